/* xhcip.h - the xHCI host controller driver's private interface (NT's
 * usbxhci with the root hub and hub logic inside, docs/decisions.md).
 * Get the hardware in QEMU: -device qemu-xhci (usb-kbd, usb-hub,
 * usb-storage on its bus).
 *
 * Files:
 *   entry.c     DriverEntry, AddDevice, dispatch routing, parameters
 *   pnp.c       the controller FDO's and the device PDOs' IRP_MJ_PNP
 *   hcreset.c   BIOS/OS handoff, halt, reset, root port reset (model-tested)
 *   hc.c        bring-up: memory, rings, interrupter, run; shutdown
 *   ring.c      TRB rings: producer enqueue with link TRBs and cycle bits
 *   event.c     ISR, DPC, poll timer: the event ring and completions
 *   cmd.c       the command ring (one command at a time, PASSIVE_LEVEL)
 *   xfer.c      transfer descriptors: control, bulk and interrupt TDs
 *   endpoint.c  endpoint contexts, configure, reset/stop/dequeue recovery
 *   device.c    one USB device: slot, address, descriptors, teardown
 *   hub.c       root ports and external hubs: status, reset, enumeration
 *   enum.c      the enumeration thread (PASSIVE_LEVEL, one per controller)
 *   urb.c       the URB interface of every device PDO
 *   tree.c      IOCTL_NTSTOR_USB_GET_TREE for the `usb` shell command
 *   usbdesc.c   descriptor parsing (pure; fuzzed)
 *   xhcievt.c   event TRB decoding, completion codes (pure; fuzzed)
 *
 * Locking: Hc->Lock (spin lock, DISPATCH_LEVEL) guards the rings, every
 * endpoint's Pending list, device states and the slot table.  It is never
 * held across a wait, an IoCompleteRequest or an IoCallDriver.  Commands
 * are issued one at a time under Hc->CmdMutex at PASSIVE_LEVEL. */
#ifndef NTSTOR_XHCIP_H
#define NTSTOR_XHCIP_H

#include <wdm.h>
#include <usbdi.h>
#include <xhci.h>
#include <ntstor_usb.h>
#include "usbdesc.h"
#include "xhcievt.h"

#define XHCI_TAG NTSTOR_TAG('x', 'H', 'C', 'I')

#define XHCI_MAX_PORTS          64      /* root ports served; more are named and ignored */
#define XHCI_MAX_HUB_PORTS      15      /* USB 2.0 11.23.2.1: a hub has at most 255, QEMU 8 */
#define XHCI_MAX_DEPTH          5       /* route string: 5 tiers of hubs (USB 3.2 8.9) */
#define XHCI_RING_TRBS          256     /* one page: control and interrupt rings */
#define XHCI_BULK_RING_TRBS     1024    /* four pages: a 1 MiB TD needs 257 TRBs */
#define XHCI_EVENT_TRBS         256
#define XHCI_MAX_TRANSFER       (2u << 20)  /* bytes per URB; ring room is checked too */
#define XHCI_CONFIG_MAX         4096    /* configuration descriptor bytes kept */

/* Timeouts, each with its source. */
#define XHCI_HANDOFF_MS         1000    /* 7.1.1: no figure; Linux waits 1 s for the BIOS */
#define XHCI_HALT_MS            16      /* 5.4.1 USBCMD.R/S: HCH within 16 ms */
#define XHCI_RESET_MS           1000    /* 4.22.1: no figure; CNR/HCRST, Linux 1 s (10 s quirk) */
#define XHCI_PORT_RESET_MS      500     /* USB 2.0 7.1.7.5 tDRSTr 50 ms; USB3 warm reset 100-200 ms */
#define XHCI_RESET_RECOVERY_MS  10      /* USB 2.0 7.1.7.3 TRSTRCY */
#define XHCI_COMMAND_MS         5000    /* 4.6.1.2: abort a command ring that has not answered */
#define XHCI_CONTROL_MS         5000    /* USB 2.0 9.2.6.4: a request completes within 5 s */
#define XHCI_BOOT_ENUM_MS       5000    /* boot waits this long at most for devices present */
#define XHCI_POLL_MS            10      /* event ring poll in poll mode */
#define XHCI_WATCHDOG_MS        100     /* event ring poll with interrupts (lost interrupts) */
#define XHCI_HUB_POWER_MIN_MS   100     /* USB 2.0 7.1.7.3 attach debounce */

typedef struct _XHCI_HC XHCI_HC, *PXHCI_HC;
typedef struct _XHCI_DEVICE XHCI_DEVICE, *PXHCI_DEVICE;
typedef struct _XHCI_ENDPOINT XHCI_ENDPOINT, *PXHCI_ENDPOINT;
typedef struct _XHCI_TD XHCI_TD, *PXHCI_TD;

typedef struct _XHCI_RING {
    volatile ULONG *Trbs;       /* 4 dwords per TRB; the last TRB links back */
    ULONG64 Pa;
    ULONG Count;
    ULONG Enqueue;              /* producer index (command, transfer rings) */
    ULONG Dequeue;              /* consumer index (event ring) */
    ULONG Cycle;                /* producer/consumer cycle state */
    ULONG Used;                 /* TRBs owned by TDs in flight (transfer rings) */
} XHCI_RING, *PXHCI_RING;

/* Called at DISPATCH_LEVEL with no lock held when a TD ends. */
typedef VOID XHCI_TD_DONE(PXHCI_TD Td);

struct _XHCI_TD {
    LIST_ENTRY Link;            /* Ep->Pending, in ring order (Hc->Lock) */
    PXHCI_ENDPOINT Ep;
    ULONG First;                /* ring index of its first TRB */
    ULONG Last;                 /* ring index of its last TRB */
    ULONG Span;                 /* TRBs it occupies, link TRBs included */
    ULONG Requested;
    ULONG Actual;
    BOOLEAN Control;
    BOOLEAN ShortSeen;          /* a short data stage was reported */
    BOOLEAN ShortOk;
    USBD_STATUS Status;
    XHCI_TD_DONE *Done;
    PVOID Context;
    PIRP Irp;
    PURB Urb;
    KEVENT Event;               /* synchronous transfers */
};

struct _XHCI_ENDPOINT {
    PXHCI_DEVICE Dev;
    UCHAR Dci;                  /* device context index 1..31 */
    UCHAR Address;              /* bEndpointAddress */
    UCHAR Type;                 /* USB_ENDPOINT_TYPE_* */
    UCHAR Interval;             /* bInterval as the descriptor gave it */
    USHORT MaxPacket;
    UCHAR MaxBurst;
    BOOLEAN Halted;             /* the xHC halted it; a reset is owed (Hc->Lock) */
    XHCI_RING Ring;
    LIST_ENTRY Pending;         /* XHCI_TDs in flight (Hc->Lock) */
    USBD_PIPE_INFORMATION Info; /* what SELECT_CONFIGURATION reported */
};

typedef enum _XHCI_DEVICE_STATE {
    XhciDevEnumerating = 0,
    XhciDevAddressed,
    XhciDevReady,               /* descriptors read, PDO may exist */
    XhciDevConfigured,          /* a configuration is selected */
    XhciDevFailed,              /* enumeration failed: kept for `usb`, no PDO */
    XhciDevGone,                /* unplugged: everything fails DEVICE_GONE */
    XhciDevStateCount
} XHCI_DEVICE_STATE;
extern const char *const XhciDevStateNames[XhciDevStateCount];

/* The PDO extension: NT's IsFdo header first, then the device. */
typedef struct _XHCI_PDO_EXT {
    BOOLEAN IsFdo;              /* FALSE */
    PXHCI_DEVICE Dev;
    BOOLEAN Started;
} XHCI_PDO_EXT, *PXHCI_PDO_EXT;

struct _XHCI_DEVICE {
    LIST_ENTRY HcLink;          /* Hc->Devices (Hc->Lock) */
    PXHCI_HC Hc;
    PXHCI_DEVICE Parent;        /* the hub it hangs off, NULL on a root port */
    UCHAR ParentPort;           /* 1-based port of Parent (or the root port) */
    UCHAR RootPort;             /* 1-based root hub port */
    UCHAR Depth;                /* 0 on a root port */
    UCHAR Speed;                /* XHCI_SPEED_* */
    ULONG Route;                /* route string (USB 3.2 8.9) */
    UCHAR SlotId;
    UCHAR Address;
    ULONG Number;               /* \Device\USBPDO-<n> */
    XHCI_DEVICE_STATE State;
    PCSTR FailReason;
    /* Contexts: the output device context the xHC owns, and one input
     * context (control context + slot + 31 endpoints) reused by every
     * command, under Hc->CmdMutex. */
    PUCHAR OutCtx;
    ULONG64 OutCtxPa;
    PUCHAR InCtx;
    ULONG64 InCtxPa;
    PXHCI_ENDPOINT Ep[XHCI_CTX_ENTRIES];   /* by DCI; [1] is the default pipe */
    USB_DEVICE_DESCRIPTOR Desc;
    PUCHAR Config;              /* the whole configuration descriptor (pool) */
    ULONG ConfigLength;
    UCHAR ConfigValue;          /* selected bConfigurationValue, 0 unconfigured */
    UCHAR IfClass, IfSubClass, IfProtocol;   /* first interface */
    USHORT LangId;
    WCHAR Product[64];
    WCHAR Manufacturer[64];
    WCHAR Serial[64];
    /* A hub (Desc.bDeviceClass 9): its ports and their children. */
    BOOLEAN IsHub;
    BOOLEAN HubMtt;
    UCHAR HubPorts;
    UCHAR HubTtThink;
    USHORT HubPowerMs;
    USHORT HubPortStatus[XHCI_MAX_HUB_PORTS + 1];   /* wPortStatus by port, 1-based */
    PXHCI_DEVICE HubChild[XHCI_MAX_HUB_PORTS + 1];
    PXHCI_ENDPOINT HubEp;       /* status change endpoint (interrupt IN) */
    PXHCI_TD HubTd;             /* kept in flight on HubEp */
    PUCHAR HubBuf;
    BOOLEAN HubTdBusy;          /* Hc->Lock */
    USBD_STATUS HubTdStatus;
    ULONG HubChange;            /* port bits the hub reported, bit 0 the hub (Hc->Lock) */
    /* The PDO, NULL for a hub (the driver serves hubs itself) or after it
     * was deleted; Hc->Lock.  A gone device is freed when its PDO goes. */
    PDEVICE_OBJECT Pdo;
    BOOLEAN Reported;           /* in the last BusRelations answer */
};

typedef struct _XHCI_PORT {
    UCHAR Major;                /* 2 or 3 (Supported Protocol capability), 0 unknown */
    UCHAR Speed;
    ULONG LastPortsc;
    PXHCI_DEVICE Dev;           /* the device on it (enumeration thread) */
    PCSTR Note;                 /* last problem, for `usb` */
    BOOLEAN Failed;             /* reset failed: retried on the next connect change */
} XHCI_PORT;

struct _XHCI_HC {
    BOOLEAN IsFdo;              /* TRUE: first field of both extensions */
    ULONG Number;
    PDEVICE_OBJECT Fdo;
    PDEVICE_OBJECT PciPdo;
    PDEVICE_OBJECT LowerDevice;
    BOOLEAN Started;
    /* Registers. */
    volatile UCHAR *Base;
    PHYSICAL_ADDRESS BasePa;
    ULONG BaseLength;
    ULONG OpOffset, RtOffset, DbOffset;
    ULONG HciVersion;
    ULONG HcsParams1, HcsParams2, HccParams1;
    ULONG MaxSlots, MaxPorts, MaxScratch;
    ULONG ContextSize;          /* 32 or 64 (HCCPARAMS1.CSZ) */
    BOOLEAN Ac64;
    ULONG64 DmaLimit;
    USHORT VendorId, DeviceId;
    ULONG PciBus, PciDevice, PciFunction;
    PCSTR HandoffResult;        /* "none", "released", "timeout" */
    /* Memory the xHC reads. */
    volatile ULONG64 *Dcbaa;
    ULONG64 DcbaaPa;
    volatile ULONG64 *ScratchArray;
    PVOID *ScratchPages;
    XHCI_RING CmdRing;
    XHCI_RING EventRing;
    volatile ULONG *Erst;
    ULONG64 ErstPa;
    KSPIN_LOCK Lock;
    /* Commands (cmd.c). */
    FAST_MUTEX CmdMutex;
    KEVENT CmdEvent;
    ULONG64 CmdTrbPa;           /* the command waited for (Hc->Lock) */
    ULONG CmdCc;
    ULONG CmdSlot;
    /* Interrupts (event.c). */
    PKINTERRUPT Interrupt;
    ULONG Vector;
    KIRQL Irql;
    NTSTOR_USB_MODE Mode;
    KDPC Dpc;
    KTIMER PollTimer;
    KDPC PollDpc;
    ULONG64 Events;             /* event TRBs handled */
    BOOLEAN HceSeen;            /* USBSTS.HCE logged */
    ULONG64 Interrupts;
    /* Ports and devices. */
    XHCI_PORT Ports[XHCI_MAX_PORTS + 1];   /* 1-based */
    PXHCI_DEVICE Slots[256];
    LIST_ENTRY Devices;
    ULONG NextDeviceNumber;
    /* The enumeration thread (enum.c). */
    PVOID EnumThread;
    KEVENT EnumWake;
    KEVENT BootEnumDone;
    volatile BOOLEAN EnumStop;
    volatile BOOLEAN PortChange;
    ULONG BootEnumMs;
    /* A default pipe halted on an asynchronous request: the enumeration
     * thread resets it (Hc->Lock). */
    BOOLEAN RecoverQueued;
};

typedef struct _XHCI_PARAMETERS {
    NTSTOR_USB_MODE InterruptMode;
    BOOLEAN Debug;
} XHCI_PARAMETERS;
extern XHCI_PARAMETERS XhciParameters;

/* ---- registers ---- */
#ifdef XHCI_MMIO_MODEL
ULONG XhciModelRead(PXHCI_HC Hc, ULONG Offset);
VOID XhciModelWrite(PXHCI_HC Hc, ULONG Offset, ULONG Value);
static inline ULONG XhciRead(PXHCI_HC Hc, ULONG Offset) { return XhciModelRead(Hc, Offset); }
static inline VOID XhciWrite(PXHCI_HC Hc, ULONG Offset, ULONG Value) { XhciModelWrite(Hc, Offset, Value); }
#else
static inline ULONG XhciRead(PXHCI_HC Hc, ULONG Offset)
{
    return *(volatile ULONG *)(Hc->Base + Offset);
}
static inline VOID XhciWrite(PXHCI_HC Hc, ULONG Offset, ULONG Value)
{
    *(volatile ULONG *)(Hc->Base + Offset) = Value;
}
#endif
static inline VOID XhciWrite64(PXHCI_HC Hc, ULONG Offset, ULONG64 Value)
{
    XhciWrite(Hc, Offset, (ULONG)Value);
    XhciWrite(Hc, Offset + 4, (ULONG)(Value >> 32));
}
static inline ULONG XhciOpRead(PXHCI_HC Hc, ULONG R) { return XhciRead(Hc, Hc->OpOffset + R); }
static inline VOID XhciOpWrite(PXHCI_HC Hc, ULONG R, ULONG V) { XhciWrite(Hc, Hc->OpOffset + R, V); }
static inline ULONG XhciPortRead(PXHCI_HC Hc, ULONG Port)
{
    return XhciOpRead(Hc, XHCI_PORTSC(Port - 1));
}
static inline VOID XhciPortWrite(PXHCI_HC Hc, ULONG Port, ULONG V)
{
    XhciOpWrite(Hc, XHCI_PORTSC(Port - 1), V);
}
static inline ULONG64 XhciNow(VOID) { return KeQueryInterruptTime(); }
static inline ULONG64 XhciMs(ULONG Ms) { return (ULONG64)Ms * 10000; }

/* hcreset.c (PASSIVE_LEVEL) */
VOID XhciSleepMs(ULONG Ms);
BOOLEAN XhciWaitOp(PXHCI_HC Hc, ULONG Reg, ULONG Mask, ULONG Value, ULONG Ms);
VOID XhciBiosHandoff(PXHCI_HC Hc);
NTSTATUS XhciHaltAndReset(PXHCI_HC Hc);
NTSTATUS XhciRootPortReset(PXHCI_HC Hc, ULONG Port, PULONG Portsc);
VOID XhciReadProtocols(PXHCI_HC Hc);

/* hc.c */
NTSTATUS XhciStart(PXHCI_HC Hc, PCM_RESOURCE_LIST Translated);
VOID XhciStop(PXHCI_HC Hc);
PVOID XhciAllocDma(PXHCI_HC Hc, SIZE_T Bytes, PULONG64 Pa);
VOID XhciFreeDma(PVOID Va);
NTSTATUS XhciPciConfig(PXHCI_HC Hc, BOOLEAN Write, ULONG Offset, PVOID Buffer, ULONG Length);

/* ring.c */
NTSTATUS XhciRingInit(PXHCI_HC Hc, PXHCI_RING Ring, ULONG Count);
VOID XhciRingFree(PXHCI_RING Ring);
ULONG XhciRingRoom(PXHCI_RING Ring);
ULONG XhciRingPush(PXHCI_RING Ring, ULONG64 Param, ULONG Status, ULONG Control);
VOID XhciRingPublish(PXHCI_RING Ring, ULONG First);
ULONG64 XhciRingPa(PXHCI_RING Ring, ULONG Index);
BOOLEAN XhciRingIndex(PXHCI_RING Ring, ULONG64 Pa, PULONG Index);
static inline VOID XhciRingDoorbell(PXHCI_HC Hc, ULONG Slot, ULONG Target)
{
    XhciWrite(Hc, Hc->DbOffset + 4 * Slot, Target);
}

/* event.c */
BOOLEAN XhciIsr(PKINTERRUPT Interrupt, PVOID Context);
KDEFERRED_ROUTINE XhciDpc;
KDEFERRED_ROUTINE XhciPollDpc;
VOID XhciProcessEvents(PXHCI_HC Hc);

/* cmd.c (PASSIVE_LEVEL) */
ULONG XhciCommand(PXHCI_HC Hc, ULONG64 Param, ULONG Status, ULONG Control, PULONG SlotOut);

/* xfer.c */
USBD_STATUS XhciQueueTd(PXHCI_ENDPOINT Ep, PXHCI_TD Td, PUSB_DEFAULT_PIPE_SETUP_PACKET Setup,
                        BOOLEAN In, PVOID Buffer, struct _MDL *Mdl, ULONG Length);
VOID XhciTdEvent(PXHCI_HC Hc, PXHCI_ENDPOINT Ep, const XHCI_EVENT *Ev, PLIST_ENTRY Done);
VOID XhciFinishTds(PLIST_ENTRY Done);
VOID XhciFailPending(PXHCI_ENDPOINT Ep, USBD_STATUS Status, PLIST_ENTRY Done);
USBD_STATUS XhciControlSync(PXHCI_DEVICE Dev, UCHAR RequestType, UCHAR Request, USHORT Value,
                            USHORT Index, PVOID Buffer, USHORT Length, PULONG Actual);
USBD_STATUS XhciTransferSync(PXHCI_ENDPOINT Ep, PVOID Buffer, ULONG Length, PULONG Actual,
                             ULONG TimeoutMs);
NTSTATUS XhciUsbdToNt(USBD_STATUS Status);

/* endpoint.c */
PXHCI_ENDPOINT XhciEndpointCreate(PXHCI_DEVICE Dev, const USB_PARSED_ENDPOINT *Desc);
VOID XhciEndpointFree(PXHCI_ENDPOINT Ep);
VOID XhciFillEndpointContext(PXHCI_DEVICE Dev, PXHCI_ENDPOINT Ep, volatile ULONG *Ctx);
static inline volatile ULONG *XhciInCtx(PXHCI_DEVICE Dev, ULONG Index)
{
    return (volatile ULONG *)(Dev->InCtx + Dev->Hc->ContextSize * Index);
}
static inline volatile ULONG *XhciOutCtx(PXHCI_DEVICE Dev, ULONG Index)
{
    return (volatile ULONG *)(Dev->OutCtx + Dev->Hc->ContextSize * Index);
}
USBD_STATUS XhciResetEndpoint(PXHCI_ENDPOINT Ep, BOOLEAN ClearDeviceHalt);
USBD_STATUS XhciAbortEndpoint(PXHCI_ENDPOINT Ep);
USBD_STATUS XhciConfigureEndpoints(PXHCI_DEVICE Dev, PXHCI_ENDPOINT *Add, ULONG AddCount,
                                   BOOLEAN DropAll);
UCHAR XhciEndpointDci(UCHAR Address);
VOID XhciQueueRecovery(PXHCI_HC Hc);
VOID XhciRecoverHalted(PXHCI_HC Hc);

/* device.c (PASSIVE_LEVEL) */
PXHCI_DEVICE XhciDeviceAttach(PXHCI_HC Hc, PXHCI_DEVICE Parent, UCHAR Port, UCHAR Speed);
VOID XhciDeviceDetach(PXHCI_DEVICE Dev);
VOID XhciDeviceRelease(PXHCI_DEVICE Dev);
USBD_STATUS XhciDeviceSetConfiguration(PXHCI_DEVICE Dev, UCHAR Value);
NTSTATUS XhciDeviceResetPort(PXHCI_DEVICE Dev);
BOOLEAN XhciDeviceAlive(PXHCI_DEVICE Dev);

/* hub.c (PASSIVE_LEVEL, enumeration thread) */
VOID XhciRootPortsScan(PXHCI_HC Hc, BOOLEAN *Changed);
VOID XhciHubsScan(PXHCI_HC Hc, BOOLEAN *Changed);
NTSTATUS XhciHubInit(PXHCI_DEVICE Hub);
NTSTATUS XhciHubPortReset(PXHCI_DEVICE Hub, UCHAR Port, PUCHAR Speed);
ULONG XhciDevicePortStatus(PXHCI_DEVICE Dev);
PCSTR XhciSpeedName(UCHAR Speed);

/* enum.c */
NTSTATUS XhciEnumStart(PXHCI_HC Hc);
VOID XhciEnumStop(PXHCI_HC Hc);
VOID XhciEnumKick(PXHCI_HC Hc);

/* pnp.c */
NTSTATUS XhciDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp);
NTSTATUS XhciDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp);
NTSTATUS XhciCreatePdo(PXHCI_DEVICE Dev);

/* urb.c */
NTSTATUS XhciDispatchInternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp);

/* tree.c */
NTSTATUS XhciDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp);

static inline NTSTATUS XhciCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

#define XhciDbg(Hc, ...) \
    do { if (XhciParameters.Debug) DbgPrint(__VA_ARGS__); } while (0)

#endif
