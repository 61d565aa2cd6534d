/* hw.c - the running keyboard: start (resources, bring-up, interrupt),
 * the ISR (one byte per IRQ 1: command ACKs first, then the decoder, into
 * a ring), the DPC (the ring to the class driver's service callback, at
 * DISPATCH_LEVEL, as NT's i8042prt), stop. */
#include "i8042prt.h"

static UCHAR I8042IoRead(PVOID Context, USHORT Port)
{
    PI8042_EXTENSION ext = Context;
    return READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)(Port == I8042_DATA_PORT ? ext->DataPort : ext->CommandPort));
}

static VOID I8042IoWrite(PVOID Context, USHORT Port, UCHAR Value)
{
    PI8042_EXTENSION ext = Context;
    WRITE_PORT_UCHAR((PUCHAR)(ULONG_PTR)(Port == I8042_DATA_PORT ? ext->DataPort : ext->CommandPort), Value);
}

static VOID I8042IoStall(PVOID Context, ULONG Microseconds)
{
    KeStallExecutionProcessor(Microseconds);
}

static BOOLEAN I8042Isr(PKINTERRUPT Interrupt, PVOID Context)
{
    PI8042_EXTENSION ext = Context;
    BOOLEAN ours = FALSE;

    for (ULONG i = 0; i < I8042_ISR_MAX_BYTES; i++) {
        UCHAR status = ext->Io.Read(ext, I8042_COMMAND_PORT);
        UCHAR b;
        KEYBOARD_INPUT_DATA data;
        if (status == I8042_STATUS_ABSENT || !(status & I8042_STATUS_OBF))
            break;
        b = ext->Io.Read(ext, I8042_DATA_PORT);
        ours = TRUE;
        if (status & I8042_STATUS_AUX_OBF)
            continue;                   /* a mouse's byte: the aux port is ours to ignore */
        if (I8042CommandByte(&ext->Io, &ext->Command, b))
            continue;
        if (!I8042DecodeByte(&ext->Decoder, b, &data))
            continue;
        data.UnitId = (USHORT)ext->UnitId;
        if (ext->Head - ext->Tail >= I8042_RING) {
            ext->Dropped++;
            continue;
        }
        ext->Ring[ext->Head++ & (I8042_RING - 1)] = data;
    }
    if (ours)
        IoRequestDpc(ext->Self, NULL, NULL);
    return ours;
}

static VOID I8042Dpc(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PI8042_EXTENSION ext = DeviceObject->DeviceExtension;
    KEYBOARD_INPUT_DATA batch[16];
    CONNECT_DATA connect;
    ULONG n, consumed;
    KIRQL irql;

    for (;;) {
        irql = KeAcquireInterruptSpinLock(ext->Interrupt);
        for (n = 0; n < ARRAYSIZE(batch) && ext->Tail != ext->Head; n++)
            batch[n] = ext->Ring[ext->Tail++ & (I8042_RING - 1)];
        connect = ext->Connect;
        KeReleaseInterruptSpinLock(ext->Interrupt, irql);
        if (n == 0)
            return;
        if (connect.ClassService) {
            consumed = 0;
            ((PSERVICE_CALLBACK_ROUTINE)connect.ClassService)(connect.ClassDeviceObject, batch,
                                                              batch + n, &consumed);
        }
    }
}

/* The ports and the interrupt from the PnP manager's lists (legacy.c). */
static NTSTATUS I8042ParseResources(PI8042_EXTENSION Ext, PCM_RESOURCE_LIST Translated)
{
    ULONG ports = 0;
    BOOLEAN irq = FALSE;

    if (Translated == NULL || Translated->Count < 1)
        return STATUS_INSUFFICIENT_RESOURCES;
    PCM_PARTIAL_RESOURCE_LIST partial = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < partial->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &partial->PartialDescriptors[i];
        if (d->Type == CmResourceTypePort && ports < 2) {
            /* ACPI's PNP0303 lists the data port first, then command/status. */
            if (ports++ == 0)
                Ext->DataPort = (USHORT)d->u.Port.Start.QuadPart;
            else
                Ext->CommandPort = (USHORT)d->u.Port.Start.QuadPart;
        } else if (d->Type == CmResourceTypeInterrupt && !irq) {
            Ext->Vector = d->u.Interrupt.Vector;
            Ext->Irql = (KIRQL)d->u.Interrupt.Level;
            irq = TRUE;
        }
    }
    return ports == 2 && irq ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

NTSTATUS I8042StartDevice(PI8042_EXTENSION Ext, PCM_RESOURCE_LIST Raw, PCM_RESOURCE_LIST Translated)
{
    I8042_INIT_RESULT init;
    NTSTATUS status;

    status = I8042ParseResources(Ext, Translated);
    if (!NT_SUCCESS(status)) {
        DbgPrint("i8042prt: START without two ports and an interrupt\n");
        return status;
    }
    Ext->Io.Read = I8042IoRead;
    Ext->Io.Write = I8042IoWrite;
    Ext->Io.Stall = I8042IoStall;
    Ext->Io.Context = Ext;
    status = I8042Initialize(&Ext->Io, Ext->Typematic, &init);
    if (!NT_SUCCESS(status)) {
        DbgPrint("i8042prt: ports 0x%x/0x%x: %s (status 0x%08x); no PS/2 keyboard\n", Ext->DataPort,
                 Ext->CommandPort, init.Why, (ULONG)status);
        return status;
    }
    if (init.KeyboardTestFailed)
        DbgPrint("i8042prt: the keyboard interface test failed; carrying on (the keyboard answered)\n");
    Ext->Config = init.Config;
    I8042DecoderInit(&Ext->Decoder, !init.Translated);
    IoInitializeDpcRequest(Ext->Self, I8042Dpc);
    status = IoConnectInterrupt(&Ext->Interrupt, I8042Isr, Ext, NULL, Ext->Vector, Ext->Irql, Ext->Irql,
                                Latched, FALSE, 1, FALSE);
    if (!NT_SUCCESS(status)) {
        DbgPrint("i8042prt: IoConnectInterrupt(vector 0x%x): status 0x%08x\n", Ext->Vector, (ULONG)status);
        return status;
    }
    status = I8042SetKeyboardInterrupt(&Ext->Io, Ext->Config, TRUE);
    if (!NT_SUCCESS(status)) {
        IoDisconnectInterrupt(Ext->Interrupt);
        Ext->Interrupt = NULL;
        return status;
    }
    Ext->Started = TRUE;
    DbgPrint("i8042prt: keyboard on ports 0x%x/0x%x vector 0x%x: scan code set %s, typematic 0x%02x\n",
             Ext->DataPort, Ext->CommandPort, Ext->Vector,
             init.Translated ? "2 translated to 1" : "2 (controller does not translate)", Ext->Typematic);
    return STATUS_SUCCESS;
}

VOID I8042StopDevice(PI8042_EXTENSION Ext)
{
    if (!Ext->Started)
        return;
    /* The controller stops raising IRQ 1 before the ISR goes. */
    (VOID)I8042SetKeyboardInterrupt(&Ext->Io, Ext->Config, FALSE);
    IoDisconnectInterrupt(Ext->Interrupt);
    Ext->Interrupt = NULL;
    Ext->Started = FALSE;
}

NTSTATUS I8042SendKeyboardCommand(PI8042_EXTENSION Ext, UCHAR Command, UCHAR Argument)
{
    BOOLEAN ok;
    KIRQL irql;

    if (!Ext->Started)
        return STATUS_DEVICE_NOT_READY;
    irql = KeAcquireInterruptSpinLock(Ext->Interrupt);
    ok = I8042StartCommand(&Ext->Io, &Ext->Command, Command, Argument);
    KeReleaseInterruptSpinLock(Ext->Interrupt, irql);
    return ok ? STATUS_SUCCESS : STATUS_IO_TIMEOUT;
}

NTSTATUS I8042SetConnect(PI8042_EXTENSION Ext, const CONNECT_DATA *Connect)
{
    KIRQL irql;

    if (!Ext->Started) {
        Ext->Connect = Connect ? *Connect : (CONNECT_DATA){ 0 };
        return STATUS_SUCCESS;
    }
    irql = KeAcquireInterruptSpinLock(Ext->Interrupt);
    Ext->Connect = Connect ? *Connect : (CONNECT_DATA){ 0 };
    KeReleaseInterruptSpinLock(Ext->Interrupt, irql);
    return STATUS_SUCCESS;
}
