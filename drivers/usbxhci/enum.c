/* enum.c - the controller's enumeration thread: wakes on a port status
 * change event, a hub's status change, a halted default pipe, or every
 * second, resets halted default pipes, scans the root
 * ports and the hubs, and reports new or vanished PDOs with
 * IoInvalidateDeviceRelations (PASSIVE_LEVEL, no lock held).  Its first
 * pass is the boot enumeration XhciStart waits for. */
#include "xhcip.h"

#define XHCI_ENUM_IDLE_MS 1000

static VOID XhciEnumThread(PVOID Context)
{
    PXHCI_HC hc = Context;
    BOOLEAN first = TRUE;
    ULONG64 start = XhciNow();

    while (!hc->EnumStop) {
        BOOLEAN changed = FALSE;
        LARGE_INTEGER idle = { .QuadPart = -(LONGLONG)XHCI_ENUM_IDLE_MS * 10000 };

        if (hc->RecoverQueued)
            XhciRecoverHalted(hc);
        XhciRootPortsScan(hc, &changed);
        XhciHubsScan(hc, &changed);
        if (first) {
            ULONG n = 0;
            KIRQL irql;
            KeAcquireSpinLock(&hc->Lock, &irql);
            for (PLIST_ENTRY e = hc->Devices.Flink; e != &hc->Devices; e = e->Flink)
                n++;
            KeReleaseSpinLock(&hc->Lock, irql);
            hc->BootEnumMs = (ULONG)((XhciNow() - start) / 10000);
            DbgPrint("usbxhci%u: boot enumeration: %u device(s) in %u ms\n", hc->Number, n,
                     hc->BootEnumMs);
            KeSetEvent(&hc->BootEnumDone, IO_NO_INCREMENT, FALSE);
            first = FALSE;
        } else if (changed) {
            IoInvalidateDeviceRelations(hc->PciPdo, BusRelations);
        }
        if (hc->EnumStop)
            break;
        KeWaitForSingleObject(&hc->EnumWake, Executive, KernelMode, FALSE, &idle);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

VOID XhciEnumKick(PXHCI_HC Hc)
{
    KeSetEvent(&Hc->EnumWake, IO_NO_INCREMENT, FALSE);
}

NTSTATUS XhciEnumStart(PXHCI_HC Hc)
{
    HANDLE h;
    NTSTATUS status;

    KeInitializeEvent(&Hc->EnumWake, SynchronizationEvent, FALSE);
    KeInitializeEvent(&Hc->BootEnumDone, NotificationEvent, FALSE);
    Hc->EnumStop = FALSE;
    status = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, XhciEnumThread, Hc);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Hc->EnumThread, NULL);
    ObCloseHandle(h, KernelMode);
    return status;
}

/* Ends the thread and waits for it (bounded by its own waits: a scan in
 * progress finishes its commands first).  PASSIVE_LEVEL. */
VOID XhciEnumStop(PXHCI_HC Hc)
{
    if (!Hc->EnumThread)
        return;
    Hc->EnumStop = TRUE;
    KeSetEvent(&Hc->EnumWake, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Hc->EnumThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Hc->EnumThread);
    Hc->EnumThread = NULL;
}
