/* entry.c - the AHCI port driver's entry points: DriverEntry (parameters,
 * dispatch table), AddDevice (one controller FDO per AHCI function),
 * Unload.  Get the hardware in QEMU: -M q35 (ICH9 AHCI at 00:1f.2). */
#include "ahcip.h"

AHCI_PARAMETERS AhciParameters = {
    .InterruptMode = NtstorAhciModeMsi,
    .Ncq = TRUE,
    .MaxQueueDepth = 32,
    .Debug = FALSE,
};

const char *const AhciModeNames[3] = {
    [NtstorAhciModePoll] = "poll",
    [NtstorAhciModeMsi] = "msi",
    [NtstorAhciModeIntx] = "intx",
};

static ULONG AhciControllerCount;

static BOOLEAN AhciValueIs(PCWSTR Value, PCWSTR Name)
{
    UNICODE_STRING v, n;

    RtlInitUnicodeString(&v, Value);
    RtlInitUnicodeString(&n, Name);
    return RtlEqualUnicodeString(&v, &n, TRUE);
}

/* RegistryPath\Parameters: InterruptMode (Msi|Intx|Poll), Ncq (0|1),
 * MaxQueueDepth (1..32), Debug (0|1).  A bad value is named and ignored. */
static VOID AhciReadParameters(PUNICODE_STRING RegistryPath)
{
    HANDLE svc, par;
    WCHAR mode[16];
    ULONG v;

    if (!NT_SUCCESS(CmOpenKey(RegistryPath, &svc)))
        return;
    if (NT_SUCCESS(CmOpenSubKey(svc, u"Parameters", &par))) {
        if (NT_SUCCESS(CmQueryValueString(par, u"InterruptMode", mode, sizeof(mode), u"Msi"))) {
            if (AhciValueIs(mode, u"msi"))
                AhciParameters.InterruptMode = NtstorAhciModeMsi;
            else if (AhciValueIs(mode, u"intx"))
                AhciParameters.InterruptMode = NtstorAhciModeIntx;
            else if (AhciValueIs(mode, u"poll"))
                AhciParameters.InterruptMode = NtstorAhciModePoll;
            else
                DbgPrint("ahci: Parameters\\InterruptMode: not Msi, Intx or Poll; using Msi\n");
        }
        if (NT_SUCCESS(CmQueryValueUlong(par, u"Ncq", &v, 1)))
            AhciParameters.Ncq = v != 0;
        if (NT_SUCCESS(CmQueryValueUlong(par, u"MaxQueueDepth", &v, 32))) {
            if (v >= 1 && v <= AHCI_MAX_SLOTS)
                AhciParameters.MaxQueueDepth = v;
            else
                DbgPrint("ahci: Parameters\\MaxQueueDepth=%u: not 1..32; using 32\n", v);
        }
        if (NT_SUCCESS(CmQueryValueUlong(par, u"Debug", &v, 0)))
            AhciParameters.Debug = v != 0;
        if (NT_SUCCESS(CmQueryValueUlong(par, u"TestLoseInterrupts", &v, 0)) && v) {
            AhciParameters.TestLoseInterrupts = v > 2 ? 2 : v;
            DbgPrint("ahci: Parameters\\TestLoseInterrupts=%u: interrupts will be silenced "
                     "(fault injection)\n", AhciParameters.TestLoseInterrupts);
        }
        if (NT_SUCCESS(CmQueryValueUlong(par, u"TestLoseInterruptsAfter", &v, 0)) && v) {
            AhciParameters.TestLoseInterruptsAfter = v;
            DbgPrint("ahci: Parameters\\TestLoseInterruptsAfter=%u: each silence comes after that "
                     "many more commands\n", v);
        }
        if (NT_SUCCESS(CmQueryValueUlong(par, u"Force32BitDma", &v, 0)) && v) {
            AhciParameters.Force32BitDma = TRUE;
            DbgPrint("ahci: Parameters\\Force32BitDma=1: HBAs treated as 32-bit only (bounce "
                     "buffers for data above 4 GiB)\n");
        }
        if (NT_SUCCESS(CmQueryValueUlong(par, u"TestHoldLowMemory", &v, 0)) && v) {
            AhciParameters.TestHoldLowMemory = TRUE;
            DbgPrint("ahci: Parameters\\TestHoldLowMemory=1: memory below 4 GiB will be held "
                     "(test)\n");
        }
        CmCloseKey(par);
    }
    CmCloseKey(svc);
}

static NTSTATUS AhciAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
{
    WCHAR nameBuf[32];
    UNICODE_STRING name = { 0, sizeof(nameBuf), nameBuf };
    PDEVICE_OBJECT fdo;
    PAHCI_CONTROLLER ctrl;
    ULONG number = AhciControllerCount;
    NTSTATUS status;
    CHAR ascii[32];

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Ahci%u", number);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateDevice(DriverObject, sizeof(AHCI_CONTROLLER), &name,
                            FILE_DEVICE_CONTROLLER, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ahci: IoCreateDevice %s: status 0x%08X\n", ascii, (ULONG)status);
        return status;
    }
    ctrl = fdo->DeviceExtension;
    ctrl->IsFdo = TRUE;
    ctrl->Number = number;
    ctrl->Fdo = fdo;
    ctrl->PciPdo = PhysicalDeviceObject;
    KeInitializeDpc(&ctrl->Dpc, AhciDpc, ctrl);
    KeInitializeTimer(&ctrl->Watchdog);
    KeInitializeDpc(&ctrl->WatchdogDpc, AhciWatchdogDpc, ctrl);
    ctrl->LowerDevice = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
    if (!ctrl->LowerDevice) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    /* The PnP manager offers what system.cfg's Match names (class code
     * and known RAID/IDE-class IDs); the driver takes only an AHCI
     * function (quirks.c AhciBindAllowed), so an IDE function sharing an
     * ID with its AHCI sibling stays unbound. */
    {
        UCHAR cfg[64] = { 0 };
        PCSTR why = "no config space";
        if (!NT_SUCCESS(AhciPciConfig(ctrl, FALSE, 0, cfg, sizeof(cfg))) ||
            !AhciBindAllowed(cfg, &why)) {
            DbgPrint("ahci: PCI function %02x%02x:%02x%02x class %02x%02x%02x not taken: %s\n",
                     cfg[1], cfg[0], cfg[3], cfg[2], cfg[11], cfg[10], cfg[9], why);
            IoDetachDevice(ctrl->LowerDevice);
            IoDeleteDevice(fdo);
            return STATUS_NO_SUCH_DEVICE;
        }
        if (cfg[11] == 0x01 && (cfg[10] != 0x06 || cfg[9] != 0x01))
            DbgPrint("ahci: PCI function %02x%02x:%02x%02x class %02x%02x%02x taken by ID (%s)\n",
                     cfg[1], cfg[0], cfg[3], cfg[2], cfg[11], cfg[10], cfg[9], why);
    }
    AhciControllerCount++;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* Devices are gone by now (the PnP manager removed them); nothing global
 * is allocated. */
static VOID AhciUnload(PDRIVER_OBJECT DriverObject)
{
    DbgPrint("ahci: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    AhciReadParameters(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE]                 = AhciDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE]                  = AhciDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL]         = AhciDispatchDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_SCSI]                   = AhciDispatchScsi;
    DriverObject->MajorFunction[IRP_MJ_PNP]                    = AhciDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER]                  = AhciDispatchPower;
    DriverObject->DriverExtension->AddDevice = AhciAddDevice;
    DriverObject->DriverUnload = AhciUnload;

    DbgPrint("ahci: mode=%s ncq=%u max_queue_depth=%u debug=%u\n",
             AhciModeNames[AhciParameters.InterruptMode], AhciParameters.Ncq,
             AhciParameters.MaxQueueDepth, AhciParameters.Debug);
    return STATUS_SUCCESS;
}
