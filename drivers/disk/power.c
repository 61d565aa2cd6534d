/* power.c - IRP_MJ_POWER of the disk FDO, the WDK's way: a system power
 * IRP going below S0 (poweroff, reboot: S5) makes the function driver
 * request its own device power IRP, D3 (PoRequestPowerIrp on its PDO, which
 * reaches the top of this stack); on the way down to D3 the disk is made
 * safe to lose power as Windows' and Linux's disk drivers do at shutdown:
 * SYNCHRONIZE CACHE (the write cache on the medium; not again when the
 * IRP_MJ_SHUTDOWN just before flushed it and nothing was written since),
 * then START STOP UNIT
 * with START=0 (SBC-3 5.25; the SATL turns it into STANDBY IMMEDIATE: heads
 * parked, spindle stopped).  Each step that fails is reported naming the
 * disk (IoReportHardError: an `error:` line at poweroff) and the next one
 * still runs; power-down never waits for a gone disk longer than its SRB
 * time-out.  PASSIVE_LEVEL (the PnP manager's shutdown pass). */
#include "disk.h"

/* How long the system IRP waits for the D3 it asked for (the flush and
 * the stop each end within DISK_SRB_TIMEOUT_SECONDS at the port). */
#define DISK_D3_TIMEOUT_MS (3 * DISK_SRB_TIMEOUT_SECONDS * 1000)

static VOID DiskReport(PDISK_FDO Fdo, NTSTATUS Status, PCSTR Why)
{
    CHAR what[96];

    DbgPrint("disk%u: %s: 0x%08X\n", Fdo->Number, Why, (ULONG)Status);
    RtlStringCbPrintfA(what, sizeof(what), "disk=%u serial=\"%s\"", Fdo->Number, Fdo->Serial);
    IoReportHardError(Status, what, Why);
}

/* D0 -> D3: flush, then stop. */
static VOID DiskPowerDown(PDISK_FDO Fdo)
{
    UCHAR stop[6] = { SCSIOP_START_STOP_UNIT, 0, 0, 0, 0 /* START=0, LOEJ=0 */, 0 };
    NTSTATUS flushed, stopped;

    if (Fdo->ShutdownFlushed && Fdo->Writes == Fdo->ShutdownFlushWrites)
        flushed = Fdo->ShutdownFlushStatus;     /* IRP_MJ_SHUTDOWN's, just before: reported there */
    else
        flushed = DiskFlushAndReport(Fdo, "before power-down");
    stopped = DiskSendSrbSync(Fdo, stop, sizeof(stop), NULL, 0, SRB_FLAGS_NO_DATA_TRANSFER, NULL,
                              NULL, NULL);
    if (!NT_SUCCESS(stopped))
        DiskReport(Fdo, stopped, "START STOP UNIT (stop) failed before power-down");
    DbgPrint("disk%u: power-down: SYNCHRONIZE CACHE 0x%08X, START STOP UNIT (stop) 0x%08X\n",
             Fdo->Number, (ULONG)flushed, (ULONG)stopped);
}

static VOID DiskD3Done(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction, POWER_STATE PowerState,
                       PVOID Context, PIO_STATUS_BLOCK IoStatus)
{
    PDISK_FDO fdo = Context;

    fdo->PowerRequestStatus = IoStatus->Status;
    KeSetEvent(&fdo->PowerRequestDone, IO_NO_INCREMENT, FALSE);
}

/* The system IRP on its way down: ask for D3 and wait for it. */
static VOID DiskRequestD3(PDISK_FDO Fdo)
{
    LARGE_INTEGER timeout = { .QuadPart = -(LONGLONG)DISK_D3_TIMEOUT_MS * 10000 };
    POWER_STATE d3 = { .DeviceState = PowerDeviceD3 };
    NTSTATUS status;

    KeClearEvent(&Fdo->PowerRequestDone);
    status = PoRequestPowerIrp(Fdo->Pdo, IRP_MN_SET_POWER, d3, DiskD3Done, Fdo, NULL);
    if (status != STATUS_PENDING) {
        DiskReport(Fdo, status, "no device power IRP (D3) before power-down");
        return;
    }
    /* The event is the FDO's, so a D3 that ends after the time-out still
     * signals live memory. */
    if (KeWaitForSingleObject(&Fdo->PowerRequestDone, Executive, KernelMode, FALSE, &timeout) ==
        STATUS_TIMEOUT)
        DiskReport(Fdo, STATUS_IO_TIMEOUT, "device power IRP (D3) not done in time");
    else if (!NT_SUCCESS(Fdo->PowerRequestStatus))
        DiskReport(Fdo, Fdo->PowerRequestStatus, "device power IRP (D3) failed");
}

NTSTATUS DiskDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PDISK_FDO fdo = common->Fdo;
    NTSTATUS status;

    if (common->Kind != DiskKindFdo) {
        PoStartNextPowerIrp(Irp);
        return DiskCompleteIrp(Irp, STATUS_SUCCESS, 0);
    }
    if (!NT_SUCCESS(DiskAcquire(fdo, Irp, TRUE))) {
        PoStartNextPowerIrp(Irp);
        return DiskCompleteIrp(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
    }
    if (stack->MinorFunction == IRP_MN_SET_POWER && KeGetCurrentIrql() == PASSIVE_LEVEL) {
        if (stack->Parameters.Power.Type == SystemPowerState) {
            if (stack->Parameters.Power.State.SystemState > PowerSystemWorking &&
                fdo->State == DiskStateStarted)
                DiskRequestD3(fdo);
        } else if (stack->Parameters.Power.State.DeviceState == PowerDeviceD3) {
            POWER_STATE d3 = { .DeviceState = PowerDeviceD3 };
            if (fdo->State == DiskStateStarted &&
                PoSetPowerState(fdo->Self, DevicePowerState, d3).DeviceState != PowerDeviceD3)
                DiskPowerDown(fdo);
        } else {
            PoSetPowerState(fdo->Self, DevicePowerState, stack->Parameters.Power.State);
        }
        Irp->IoStatus.Status = STATUS_SUCCESS;
    }
    PoStartNextPowerIrp(Irp);
    IoSkipCurrentIrpStackLocation(Irp);
    status = PoCallDriver(fdo->Lower, Irp);
    DiskRelease(fdo, Irp);
    return status;
}
