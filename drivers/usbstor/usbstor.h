/* usbstor.h - private to the USB mass storage port driver (drivers/usbstor/):
 * a function driver on the USB device's PDO (bulk-only transport, SCSI
 * transparent command set) and a bus driver for its logical units, each a
 * SCSI PDO disk.sys binds as it does over AHCI.  Get the hardware in QEMU:
 * -device qemu-xhci -device usb-storage,drive=... (or usb-bot with
 * scsi-hd LUNs).
 *
 * Files:
 *   bot.c      the bulk-only transport engine (pure; bot.h)
 *   desc.c     configuration and string descriptors (pure; desc.h)
 *   entry.c    DriverEntry, AddDevice, dispatch routing
 *   usbio.c    synchronous URBs with timeouts; BOT_OPS over them
 *   fdo.c      the USB device FDO: start (descriptors, configuration,
 *              GET MAX LUN, INQUIRY per LUN), bus relations, removal
 *   queue.c    the per-device request thread: SRBs one at a time
 *   pdo.c      the LUN PDOs: IDs, PnP, IRP_MJ_SCSI, storage properties
 *
 * Threads and IRQL: everything that talks to the device runs at
 * PASSIVE_LEVEL, in the device's own thread once started (queue.c) and in
 * the PnP start before that.  One thread per USB device serializes its
 * commands (BOT has no queueing) and keeps a slow stick from holding up any
 * other device.  USBSTOR_FDO.QueueLock (a spin lock) guards Queue and
 * Stopping; the rest of the FDO is written during START and REMOVE only. */
#ifndef NTSTOR_USBSTOR_H
#define NTSTOR_USBSTOR_H

#include <wdm.h>
#include <srb.h>
#include <scsi.h>
#include <ntddscsi.h>
#include <ntddstor.h>
#include <usbdi.h>
#include "bot.h"
#include "desc.h"

#define USBSTOR_TAG         NTSTOR_TAG('U', 's', 'b', 'S')
#define USBSTOR_TAG_URB     NTSTOR_TAG('U', 's', 'U', 'r')

/* A control request to the device (descriptors, class requests): USB 2.0
 * 9.2.6.4 gives devices 500 ms for most, 5 s for data stages. */
#define USBSTOR_CONTROL_TIMEOUT_MS  5000
/* After a timed-out transfer is cancelled, how long the host controller
 * driver may take to hand the IRP back before we say so in the log (we
 * still wait: the IRP and its buffer are in its hands). */
#define USBSTOR_CANCEL_GRACE_MS     5000
/* Bytes asked of the configuration descriptor (wTotalLength beyond is cut). */
#define USBSTOR_CONFIG_BYTES        512
/* One bulk transfer at most (the USB stack takes 1 MiB); larger SRBs are
 * refused with SRB_STATUS_INVALID_REQUEST: disk.sys splits by the adapter
 * property's MaximumTransferLength. */
#define USBSTOR_MAX_TRANSFER        (1024 * 1024)
#define USBSTOR_MAX_LUNS            (BOT_MAX_LUN + 1)
#define USBSTOR_INQUIRY_BYTES       36
/* The request thread's priority (queue.c): NT's real-time floor. */
#define USBSTOR_THREAD_PRIORITY     LOW_REALTIME_PRIORITY

typedef struct _USBSTOR_COMMON {
    BOOLEAN IsFdo;              /* first in both extensions (classpnp's idiom) */
} USBSTOR_COMMON;

struct _USBSTOR_FDO;

typedef struct _USBSTOR_LUN {
    USBSTOR_COMMON Common;
    struct _USBSTOR_FDO *Fdo;   /* NULL once the FDO is going */
    PDEVICE_OBJECT Self;
    UCHAR Lun;
    UCHAR DeviceType;           /* INQUIRY peripheral device type */
    BOOLEAN Removable;          /* INQUIRY RMB */
    BOOLEAN Started;
    CHAR Vendor[9], Product[17], Revision[5];   /* INQUIRY, blanks trimmed */
} USBSTOR_LUN, *PUSBSTOR_LUN;

typedef struct _USBSTOR_FDO {
    USBSTOR_COMMON Common;
    ULONG Number;               /* \Device\UsbStor<n> */
    PDEVICE_OBJECT Self, Pdo, Lower;
    BOOLEAN Started;
    volatile BOOLEAN Gone;      /* surprise-removed or the device left */
    USHORT VendorId, ProductId;
    CHAR Serial[64];            /* iSerialNumber, printable ASCII ("" without) */
    USBSTOR_INTERFACE Interface;
    USBD_CONFIGURATION_HANDLE ConfigurationHandle;
    USBD_PIPE_HANDLE PipeIn, PipeOut;
    UCHAR MaxLun;
    ULONG LunCount;
    PDEVICE_OBJECT Luns[USBSTOR_MAX_LUNS];
    BOT_DEVICE Bot;             /* nonpaged: its CBW/CSW buffers go to the bus */
    /* queue.c */
    KSPIN_LOCK QueueLock;
    LIST_ENTRY Queue;           /* IRP_MJ_SCSI IRPs, by Tail.Overlay.ListEntry */
    BOOLEAN Stopping;
    KEVENT QueueEvent;          /* synchronization: work queued or stop */
    PVOID Thread;               /* referenced thread object */
    ULONG64 Requests;
} USBSTOR_FDO, *PUSBSTOR_FDO;

/* entry.c */
VOID UsbstorReleaseNumber(ULONG Number);
/* usbio.c */
extern const BOT_OPS UsbstorBotOps;
NTSTATUS UsbstorSubmitUrb(PUSBSTOR_FDO Fdo, PURB Urb, ULONG TimeoutMs, USBD_PIPE_HANDLE AbortPipe);
NTSTATUS UsbstorGetDescriptor(PUSBSTOR_FDO Fdo, UCHAR Type, UCHAR Index, USHORT LanguageId,
                              PVOID Buffer, ULONG Length, PULONG Got);
NTSTATUS UsbstorClassRequest(PUSBSTOR_FDO Fdo, BOOLEAN In, UCHAR Request, USHORT Value,
                             PVOID Buffer, ULONG Length, PULONG Got);
/* fdo.c */
NTSTATUS UsbstorFdoPnp(PUSBSTOR_FDO Fdo, PIRP Irp);
/* queue.c */
NTSTATUS UsbstorStartQueue(PUSBSTOR_FDO Fdo);
VOID UsbstorStopQueue(PUSBSTOR_FDO Fdo);
NTSTATUS UsbstorQueueSrb(PUSBSTOR_FDO Fdo, PIRP Irp);
VOID UsbstorFailQueued(PUSBSTOR_FDO Fdo, NTSTATUS Status);
/* pdo.c */
NTSTATUS UsbstorCreateLun(PUSBSTOR_FDO Fdo, UCHAR Lun, const UCHAR *Inquiry, ULONG Got);
NTSTATUS UsbstorPdoPnp(PUSBSTOR_LUN Lun, PIRP Irp);
NTSTATUS UsbstorPdoScsi(PUSBSTOR_LUN Lun, PIRP Irp);
NTSTATUS UsbstorPdoDeviceControl(PUSBSTOR_LUN Lun, PIRP Irp);
NTSTATUS UsbstorCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information);

#endif /* NTSTOR_USBSTOR_H */
