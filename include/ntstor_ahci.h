/* ntstor_ahci.h - ntstor's private IOCTLs of the AHCI port driver, sent to a
 * disk PDO (\Device\Ahci<n>\Port<p>) directly or passed down by the disk
 * class driver: read a disk's controller facts, and switch how its
 * completions are found (polling, MSI, INTx) at run time.  Both are
 * METHOD_BUFFERED, IRP_MJ_DEVICE_CONTROL. */
#ifndef NTSTOR_AHCI_IOCTL_H
#define NTSTOR_AHCI_IOCTL_H

#include <ntdef.h>

#include <devioctl.h>
#include <ntstor_bench_hist.h>

/* FILE_DEVICE_CONTROLLER, functions from the vendor range (0x800+). */
#define IOCTL_NTSTOR_AHCI_GET_INFO CTL_CODE(FILE_DEVICE_CONTROLLER, 0x0A00, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_NTSTOR_AHCI_SET_MODE CTL_CODE(FILE_DEVICE_CONTROLLER, 0x0A01, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Raw AHCI loop for measuring the NT path's overhead (NTSTOR_AHCI_RAW_BENCH
 * in and out).  Send it to the PDO (\Device\Ahci<n>\Port<p>, opened with
 * IoGetDeviceObjectPointer) or through the disk driver. */
#define IOCTL_NTSTOR_AHCI_RAW_BENCH CTL_CODE(FILE_DEVICE_CONTROLLER, 0x0A02, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* The driver's debug output on or off at run time (NTSTOR_AHCI_SET_DEBUG in,
 * the same out with the previous setting).  Driver-wide; send it to a
 * controller FDO (\Device\Ahci<n>) or a disk PDO. */
#define IOCTL_NTSTOR_AHCI_SET_DEBUG CTL_CODE(FILE_DEVICE_CONTROLLER, 0x0A03, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Every HBA and port register as read now, with the PCI IDs and each
 * port's state and history (NTSTOR_AHCI_REGS out).  Sent to a controller
 * FDO (\Device\Ahci<n>); reads only (AHCI 3.x: no register read has a side
 * effect), any time, so a bug report can carry them. */
#define IOCTL_NTSTOR_AHCI_GET_REGS CTL_CODE(FILE_DEVICE_CONTROLLER, 0x0A04, METHOD_BUFFERED, FILE_ANY_ACCESS)

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
#define NTSTOR_AHCI_QUIRK_LOST_INTERRUPT 0x00000010 /* an interrupt went missing while running: fell back */
#define NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR 0x00000020 /* QEMU: a failed NCQ tag shows as PxSERR bit <tag>
                                                      with SDBS, not TFES, and stays in PxSACT */
/* From the driver's errata table (drivers/ahci/quirks.c), by PCI ID: */
#define NTSTOR_AHCI_QUIRK_MAX_255_SECTORS 0x00000040 /* AMD SB600/SB7xx: at most 255 sectors a command */
#define NTSTOR_AHCI_QUIRK_DMA_43BIT     0x00000080  /* ASMedia ASM106x: DMA below 2^43 only */
#define NTSTOR_AHCI_QUIRK_PHANTOM_PORTS 0x00000100  /* PI names ports the silicon lacks: masked */
#define NTSTOR_AHCI_QUIRK_IGNORE_IFS    0x00000200  /* JMicron: PxIS.IFS raised without an error */
#define NTSTOR_AHCI_QUIRK_BOUND_BY_ID   0x00000400  /* RAID or IDE class code: bound by vendor/device ID */
#define NTSTOR_AHCI_QUIRK_INTEL_PCS     0x00000800  /* Intel: PCS port enables set after every HBA reset */
/* Found at run time: */
#define NTSTOR_AHCI_QUIRK_NCQ_FAILING   0x00001000  /* NCQ turned off: queued commands kept failing */

/* The quirks' names as the driver logs them and `disks` prints them, in bit
 * order: X(bit, "name"). */
#define NTSTOR_AHCI_QUIRK_NAMES(X)                              \
    X(NTSTOR_AHCI_QUIRK_NO_NCQ, "no-ncq")                       \
    X(NTSTOR_AHCI_QUIRK_FORCED_POLL, "forced-poll")             \
    X(NTSTOR_AHCI_QUIRK_NO_64BIT, "no-64bit")                   \
    X(NTSTOR_AHCI_QUIRK_NO_CLO, "no-clo")                       \
    X(NTSTOR_AHCI_QUIRK_LOST_INTERRUPT, "lost-interrupt")       \
    X(NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR, "ncq-error-in-serr")   \
    X(NTSTOR_AHCI_QUIRK_MAX_255_SECTORS, "max-255-sectors")     \
    X(NTSTOR_AHCI_QUIRK_DMA_43BIT, "dma-43bit")                 \
    X(NTSTOR_AHCI_QUIRK_PHANTOM_PORTS, "phantom-ports")         \
    X(NTSTOR_AHCI_QUIRK_IGNORE_IFS, "ignore-ifs")               \
    X(NTSTOR_AHCI_QUIRK_BOUND_BY_ID, "bound-by-id")             \
    X(NTSTOR_AHCI_QUIRK_INTEL_PCS, "intel-pcs")                 \
    X(NTSTOR_AHCI_QUIRK_NCQ_FAILING, "ncq-failing")

/* IOCTL_NTSTOR_AHCI_GET_INFO output. */
typedef struct _NTSTOR_AHCI_INFO {
    ULONG Size;                 /* sizeof(NTSTOR_AHCI_INFO) */
    ULONG Controller;           /* n of \Device\Ahci<n> */
    ULONG Port;
    ULONG Mode;                 /* NTSTOR_AHCI_MODE in use */
    ULONG NcqDepth;             /* 0 = NCQ not used, else queue depth in use */
    ULONG Quirks;               /* NTSTOR_AHCI_QUIRK_*: the port's and its controller's */
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
    ULONG64 LostInterrupts;     /* completions the watchdog found without an interrupt */
    ULONG Modes;                /* modes SET_MODE accepts: 1 << NTSTOR_AHCI_MODE */
    ULONG BouncedCommands;      /* commands whose data went through map registers of the
                                   port's DMA adapter (out of the HBA's reach: quirk no-64bit) */
    ULONG Source;               /* NTSTOR_AHCI_MODE the controller signals (Poll: no interrupt) */
    CHAR State[16];             /* the port's state name: "ready", "gone", ... */
    ULONG PhysicalSectorSize;   /* bytes (IDENTIFY word 106; = SectorSize when not reported) */
    ULONG AlignmentOffset;      /* logical sector of LBA 0 within a physical one (word 209) */
    ULONG64 Doorbells;          /* PxCI writes that handed the HBA new commands */
    ULONG64 PollLooks;          /* polled looks at the port (AhciPollLook) */
} NTSTOR_AHCI_INFO, *PNTSTOR_AHCI_INFO;

/* IOCTL_NTSTOR_AHCI_GET_REGS output: one port (AHCI 3.3, offsets 00h-44h). */
#define NTSTOR_AHCI_HISTORY 8
typedef struct _NTSTOR_AHCI_PORT_REGS {
    ULONG Present;              /* the driver set this port up (PI, less phantom ports) */
    ULONG Clb, Clbu, Fb, Fbu, Is, Ie, Cmd, Reserved0, Tfd, Sig, Ssts, Sctl, Serr, Sact, Ci,
          Sntf, Fbs, Devslp;    /* PxCLB .. PxDEVSLP in register order */
    CHAR State[16];             /* the driver's port state: "ready", "empty", ... */
    ULONG InRecovery;           /* a recovery owns the port now */
    ULONG Quirks;               /* NTSTOR_AHCI_QUIRK_* of the port */
    ULONG64 Commands, Errors, LostInterrupts, HbaResets;
    ULONG HistoryCount;         /* state changes ever; the last (up to 8) follow, oldest first */
    struct {
        CHAR From[16], To[16];
        ULONG Ms;               /* KeQueryInterruptTime in ms when it happened */
    } History[NTSTOR_AHCI_HISTORY];
} NTSTOR_AHCI_PORT_REGS, *PNTSTOR_AHCI_PORT_REGS;

/* ... and the controller (AHCI 3.1, offsets 00h-28h) with its PCI IDs. */
typedef struct _NTSTOR_AHCI_REGS {
    ULONG Size;                 /* sizeof(NTSTOR_AHCI_REGS) */
    ULONG Controller;
    USHORT VendorId, DeviceId, SubVendorId, SubSystemId;
    ULONG Revision;
    ULONG ClassCode;            /* base << 16 | sub << 8 | prog-if */
    ULONG Cap, Ghc, Is, Pi, Vs, CccCtl, CccPorts, EmLoc, EmCtl, Cap2, Bohc;  /* in register order */
    ULONG Quirks;               /* controller-wide NTSTOR_AHCI_QUIRK_* */
    ULONG Source;               /* NTSTOR_AHCI_MODE the function signals */
    ULONG64 Interrupts;
    ULONG64 HotPlugs;           /* disks brought up after start */
    NTSTOR_AHCI_PORT_REGS Ports[32];
} NTSTOR_AHCI_REGS, *PNTSTOR_AHCI_REGS;

/* IOCTL_NTSTOR_AHCI_SET_DEBUG input and output. */
typedef struct _NTSTOR_AHCI_SET_DEBUG {
    ULONG Debug;                /* in: 0 off, 1 on; out: what it was */
} NTSTOR_AHCI_SET_DEBUG, *PNTSTOR_AHCI_SET_DEBUG;

/* IOCTL_NTSTOR_AHCI_SET_MODE input.  STATUS_NOT_SUPPORTED when the
 * controller was not given that kind of interrupt by the PnP manager.
 * Poll affects the one disk.  Msi and Intx choose what the controller's
 * PCI function signals, so every disk of that controller that is not
 * polling follows.  The port is drained (no command in flight) while
 * the mode changes; requests arriving meanwhile wait. */
typedef struct _NTSTOR_AHCI_SET_MODE {
    ULONG Mode;                 /* NTSTOR_AHCI_MODE */
} NTSTOR_AHCI_SET_MODE, *PNTSTOR_AHCI_SET_MODE;

/* IOCTL_NTSTOR_AHCI_RAW_BENCH input and output (same buffer): the
 * yardstick for `bench` (docs/performance.md).  The port is quiesced, its
 * interrupt off, and READ/WRITE FPDMA QUEUED (READ/WRITE DMA EXT without
 * NCQ) commands of BlockBytes each are kept QueueDepth deep for DurationUs,
 * then drained, in a polled loop that looks at the registers exactly as the
 * NT path's poll (AhciPollLook) does, each slot with its own buffer.  LBAs
 * are sequential from 0 or random (aligned to BlockBytes, xorshift64 from
 * Seed).  Times are the TSC, as bench's.  Write=1 overwrites the disk: the
 * caller checks that it may (the port driver cannot see that). */
typedef struct _NTSTOR_AHCI_RAW_BENCH {
    ULONG Size;                 /* sizeof(NTSTOR_AHCI_RAW_BENCH) */
    ULONG Random;               /* 0 sequential, 1 random */
    ULONG BlockBytes;           /* multiple of the sector size, <= MaxTransferBytes */
    ULONG QueueDepth;           /* 1..NcqDepth (1 without NCQ) */
    ULONG Write;                /* 0 reads, 1 writes (whatever the buffers hold) */
    ULONG Reserved0;
    ULONG64 DurationUs;         /* issue for this long (1 us .. 600 s), then drain */
    ULONG64 Seed;
    /* out */
    ULONG64 Completed;
    ULONG64 Errors;             /* commands that failed (the loop stops at the first) */
    ULONG64 ElapsedUs;          /* first issue to the end of the drain */
    ULONG64 LatencyTicks;       /* sum of per-command TSC latencies (average depth) */
    ULONG64 MaxUs;
    ULONG64 CdfUs[BENCH_CDF_POINTS];    /* latency at BENCH_CDF_LIST (ntstor_bench_hist.h) */
    ULONG64 Doorbells;          /* PxCI writes (batches of commands) */
    ULONG64 Looks;              /* looks at the port's registers */
} NTSTOR_AHCI_RAW_BENCH, *PNTSTOR_AHCI_RAW_BENCH;

#endif /* NTSTOR_AHCI_IOCTL_H */
