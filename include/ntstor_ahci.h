/* ntstor_ahci.h - ntstor's private IOCTLs of the AHCI port driver, sent to a
 * disk PDO (\Device\Ahci<n>\Port<p>) directly or passed down by the disk
 * class driver: read a disk's controller facts, and switch how its
 * completions are found (polling, MSI, INTx) at run time.  Both are
 * METHOD_BUFFERED, IRP_MJ_DEVICE_CONTROL. */
#ifndef NTSTOR_AHCI_IOCTL_H
#define NTSTOR_AHCI_IOCTL_H

#include <ntdef.h>

#ifndef CTL_CODE
#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | (ULONG)(Method))
#endif

/* FILE_DEVICE_CONTROLLER, functions from the vendor range (0x800+). */
#define IOCTL_NTSTOR_AHCI_GET_INFO CTL_CODE(0x00000004, 0x0A00, 0 /* METHOD_BUFFERED */, 0)
#define IOCTL_NTSTOR_AHCI_SET_MODE CTL_CODE(0x00000004, 0x0A01, 0 /* METHOD_BUFFERED */, 0)

typedef enum _NTSTOR_AHCI_MODE {
    NtstorAhciModePoll = 0,     /* completions found by spinning on PxCI/PxSACT */
    NtstorAhciModeMsi = 1,      /* message-signalled interrupt */
    NtstorAhciModeIntx = 2,     /* legacy line interrupt through the IOAPIC */
} NTSTOR_AHCI_MODE;

/* Quirk flags (each logged once when applied). */
#define NTSTOR_AHCI_QUIRK_NO_NCQ        0x00000001  /* NCQ off (parameter, HBA or disk) */
#define NTSTOR_AHCI_QUIRK_FORCED_POLL   0x00000002  /* interrupts never arrived: fell back to polling */
#define NTSTOR_AHCI_QUIRK_NO_64BIT      0x00000004  /* HBA cannot reach above 4 GiB (CAP.S64A clear) */
#define NTSTOR_AHCI_QUIRK_NO_CLO        0x00000008  /* no command list override: COMRESET to clear BSY */

/* IOCTL_NTSTOR_AHCI_GET_INFO output. */
typedef struct _NTSTOR_AHCI_INFO {
    ULONG Size;                 /* sizeof(NTSTOR_AHCI_INFO) */
    ULONG Controller;           /* n of \Device\Ahci<n> */
    ULONG Port;
    ULONG Mode;                 /* NTSTOR_AHCI_MODE in use */
    ULONG NcqDepth;             /* 0 = NCQ not used, else queue depth in use */
    ULONG Quirks;               /* NTSTOR_AHCI_QUIRK_* */
    ULONG SectorSize;
    ULONG MaxTransferBytes;
    ULONG64 Sectors;
    BOOLEAN Trim;
    BOOLEAN WriteCacheEnabled;
    UCHAR Reserved[6];
    CHAR Model[41];
    CHAR Serial[21];
    CHAR Firmware[9];
    UCHAR Reserved2[1];
    ULONG64 Commands;           /* ATA commands completed on this port */
    ULONG64 Interrupts;         /* controller interrupts taken */
    ULONG64 Errors;             /* error recoveries run */
} NTSTOR_AHCI_INFO, *PNTSTOR_AHCI_INFO;

/* IOCTL_NTSTOR_AHCI_SET_MODE input.  STATUS_NOT_SUPPORTED when the
 * controller was not given that kind of interrupt by the PnP manager. */
typedef struct _NTSTOR_AHCI_SET_MODE {
    ULONG Mode;                 /* NTSTOR_AHCI_MODE */
} NTSTOR_AHCI_SET_MODE, *PNTSTOR_AHCI_SET_MODE;

#endif /* NTSTOR_AHCI_IOCTL_H */
