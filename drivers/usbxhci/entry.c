/* entry.c - the xHCI driver's entry points: DriverEntry (parameters,
 * dispatch table) and AddDevice (one controller FDO, \Device\USBFDO-<n>,
 * per xHCI function).  Get the hardware in QEMU: -device qemu-xhci. */
#include "xhcip.h"

XHCI_PARAMETERS XhciParameters = {
    .InterruptMode = NtstorUsbModeMsi,
    .Debug = FALSE,
};

static ULONG XhciControllerCount;

/* Parameters: InterruptMode (Msi|Intx|Poll; Intx and Poll take MSI out of
 * the resource requirements, pnp.c), Debug (0|1).  A bad value is named
 * and ignored. */
static VOID XhciReadParameters(PUNICODE_STRING RegistryPath)
{
    HANDLE svc, par;
    WCHAR mode[16];
    ULONG v;

    if (!NT_SUCCESS(CmOpenKey(RegistryPath, &svc)))
        return;
    if (NT_SUCCESS(CmOpenSubKey(svc, u"Parameters", &par))) {
        if (NT_SUCCESS(CmQueryValueString(par, u"InterruptMode", mode, sizeof(mode), u"Msi"))) {
            UNICODE_STRING m, poll, intx, msi;
            RtlInitUnicodeString(&m, mode);
            RtlInitUnicodeString(&poll, u"Poll");
            RtlInitUnicodeString(&intx, u"Intx");
            RtlInitUnicodeString(&msi, u"Msi");
            if (RtlEqualUnicodeString(&m, &poll, TRUE))
                XhciParameters.InterruptMode = NtstorUsbModePoll;
            else if (RtlEqualUnicodeString(&m, &intx, TRUE))
                XhciParameters.InterruptMode = NtstorUsbModeIntx;
            else if (!RtlEqualUnicodeString(&m, &msi, TRUE))
                DbgPrint("usbxhci: Parameters\\InterruptMode: not Msi, Intx or Poll; using Msi\n");
        }
        if (NT_SUCCESS(CmQueryValueUlong(par, u"Debug", &v, 0)))
            XhciParameters.Debug = v != 0;
        CmCloseKey(par);
    }
    CmCloseKey(svc);
}

static NTSTATUS XhciAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
{
    WCHAR wide[32];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    CHAR ascii[32];
    PDEVICE_OBJECT fdo;
    PXHCI_HC hc;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\USBFDO-%u", XhciControllerCount);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(DriverObject, sizeof(XHCI_HC), &name, FILE_DEVICE_CONTROLLER,
                                FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbxhci: IoCreateDevice %s: 0x%08x\n", ascii, (ULONG)status);
        return status;
    }
    hc = fdo->DeviceExtension;
    RtlZeroMemory(hc, sizeof(*hc));
    hc->IsFdo = TRUE;
    hc->Number = XhciControllerCount;
    hc->Fdo = fdo;
    hc->PciPdo = PhysicalDeviceObject;
    hc->HandoffResult = "-";
    KeInitializeSpinLock(&hc->Lock);
    ExInitializeFastMutex(&hc->CmdMutex);
    KeInitializeEvent(&hc->CmdEvent, NotificationEvent, FALSE);
    KeInitializeEvent(&hc->EnumWake, SynchronizationEvent, FALSE);
    KeInitializeEvent(&hc->BootEnumDone, NotificationEvent, FALSE);
    KeInitializeDpc(&hc->Dpc, XhciDpc, hc);
    KeInitializeTimer(&hc->PollTimer);
    KeInitializeDpc(&hc->PollDpc, XhciPollDpc, hc);
    InitializeListHead(&hc->Devices);
    hc->NextDeviceNumber = 0;
    hc->LowerDevice = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
    if (!hc->LowerDevice) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    XhciControllerCount++;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS XhciDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return XhciCompleteIrp(Irp, STATUS_SUCCESS, 0);
}

static VOID XhciUnload(PDRIVER_OBJECT DriverObject)
{
    DbgPrint("usbxhci: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    XhciReadParameters(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE]                  = XhciDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE]                   = XhciDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL]          = XhciDispatchDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = XhciDispatchInternalIoctl;
    DriverObject->MajorFunction[IRP_MJ_PNP]                     = XhciDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER]                   = XhciDispatchPower;
    DriverObject->DriverExtension->AddDevice = XhciAddDevice;
    DriverObject->DriverUnload = XhciUnload;
    return STATUS_SUCCESS;
}
