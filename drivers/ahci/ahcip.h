/* ahcip.h - the AHCI port driver's private types: controller (FDO), port
 * and its disk (PDO), command slots.  AHCI 1.3.1; in QEMU: -M q35 has an
 * ICH9 AHCI controller at 00:1f.2 (attach disks with -drive if=none,id=d
 * -device ide-hd,drive=d,bus=ide.0).
 *
 * Locking: each port's Lock (a spin lock, so DISPATCH_LEVEL) guards its
 * slots, Issued/NcqIssued bitmaps and Pending queue.  The ISR touches only
 * registers and the PendingIs words (atomic OR), never the slots.  IRPs
 * are completed with no lock held.
 *
 * Long waits (the reset ladder's 10/10/35 s, an HBA reset, a hot-plugged
 * disk's bring-up) run in the controller's PASSIVE_LEVEL worker (worker.c,
 * IoQueueWorkItem), never at DISPATCH_LEVEL with a lock held: a port in
 * such a recovery is InRecovery with its commands taken back (Rec), and
 * every other path leaves it alone until the worker hands it back. */
#ifndef NTSTOR_AHCI_DRV_H
#define NTSTOR_AHCI_DRV_H

#include <wdm.h>
#include <wdm/cm.h>
#include <wdm/ob.h>
#include <srb.h>
#include <scsi.h>
#include <ntddscsi.h>
#include <ntstor_ahci.h>
#include <ntstor_ioprofile.h>
#include <ahci.h>
#include <ata.h>
#include "satl.h"

#define AHCI_TAG NTSTOR_TAG('A', 'h', 'c', 'i')

/* One command table per slot: 128-byte header + PRDT.  257 entries carry
 * 1 MiB from any byte offset in 4 KiB pages (256 pages + a partial one). */
#define AHCI_PRDT_ENTRIES       257
#define AHCI_CT_SIZE            ALIGN_UP_BY(AHCI_CT_PRDT + AHCI_PRDT_ENTRIES * sizeof(AHCI_PRD), AHCI_CT_ALIGN)
#define AHCI_MAX_TRANSFER_BYTES ((AHCI_PRDT_ENTRIES - 1) * PAGE_SIZE)
#define AHCI_SCRATCH_SIZE       4096    /* DSM TRIM ranges: 8 blocks */
#define AHCI_INTERNAL_BUF_SIZE  512     /* IDENTIFY, READ LOG EXT page 10h */

/* Per-port DMA memory, one contiguous block (offsets). */
#define AHCI_DMA_CMD_LIST       0x0000  /* 1 KiB aligned (4.2.2) */
#define AHCI_DMA_RFIS           0x0400  /* 256 B aligned (4.2.1) */
#define AHCI_DMA_INTERNAL       0x0800
#define AHCI_DMA_TABLES         0x1000  /* 128 B aligned (4.2.3) */
#define AHCI_DMA_SCRATCH        ALIGN_UP_BY(AHCI_DMA_TABLES + AHCI_MAX_SLOTS * AHCI_CT_SIZE, PAGE_SIZE)
#define AHCI_DMA_SIZE           (AHCI_DMA_SCRATCH + AHCI_SCRATCH_SIZE)

/* Named deadlines (ms) beyond the spec's own (regs/ahci.h). */
/* Link bring-up after COMRESET, Linux libata-core sata_deb_timing_normal:
 * look every 5 ms, PxSSTS.DET must hold one value for 100 ms, give up
 * after 2 s (DET=1, a device whose PHY is still training, keeps waiting). */
#define AHCI_LINK_DEBOUNCE_INTERVAL_MS  5
#define AHCI_LINK_DEBOUNCE_DURATION_MS  100
#define AHCI_LINK_DEBOUNCE_TIMEOUT_MS   2000
/* Tries of the port reset ladder (AhciPortHardReset) and how long each
 * waits for BSY to drop: Linux libata-eh ata_eh_reset_timeouts 10/10/35 s;
 * storahci falls back to Gen1 on the last try. */
#define AHCI_RESET_TRIES                3
#define AHCI_RESET_TRY1_MS              10000
#define AHCI_RESET_TRY2_MS              10000
#define AHCI_RESET_TRY3_MS              35000
/* SET FEATURES 07h (PUIS spin-up, ACS-3 7.45.10): disks spin up in
 * 5-15 s; a generous bound. */
#define AHCI_PUIS_SPINUP_TIMEOUT_MS     30000
/* GHC.AE: libahci ahci_enable_ahci writes it up to 5 times, 10 ms apart,
 * reading it back ("some controllers need AHCI_EN to be written multiple
 * times"). */
#define AHCI_ENABLE_TRIES               5
#define AHCI_ENABLE_RETRY_MS            10
/* Intel ICH/PCH: PCS (config 92h) port-enable bits; Linux ahci.c
 * ahci_pci_reset_controller sets those of PI after every HBA reset. */
#define AHCI_PCI_INTEL_PCS              0x92
#define AHCI_PCI_VENDOR_INTEL           0x8086
#define AHCI_INTERNAL_CMD_TIMEOUT_MS    5000    /* IDENTIFY, READ LOG EXT, flush at start */
#define AHCI_INTERRUPT_PROBE_MS         200     /* first interrupt must follow a completion */
/* The watchdog's period: a command the HBA finished (PxCI/PxSACT clear)
 * that no interrupt reaped across a whole period is a lost interrupt; it
 * also finds commands past their deadline and QEMU's silent NCQ errors. */
#define AHCI_WATCHDOG_PERIOD_MS         100
/* Draining a port before a mode switch: every command has its own
 * deadline (SRB TimeOutValue) that ends in recovery, this bounds the rest. */
#define AHCI_QUIESCE_TIMEOUT_MS         60000
#define AHCI_MAX_RETRIES                3       /* innocent commands re-issued after recovery */
/* A PASSIVE_LEVEL poller whose port is in the worker's recovery sleeps in
 * slices of this long between looks (it is also woken when it ends). */
#define AHCI_RECOVERY_WAIT_SLICE_MS     100
/* NCQ off for a port whose queued commands keep failing without the drive
 * saying which (timeouts, no log page 10h): storahci gives NCQ one chance,
 * so the second such failure within libata-eh's speed-down window
 * (ATA_EH_SPDN, 10 minutes) turns it off (quirk ncq-failing). */
#define AHCI_NCQ_FAILURES_OFF           2
#define AHCI_NCQ_FAILURE_WINDOW_MS      (10 * 60 * 1000)
/* Bit 31 of PendingIs (CPDS, never enabled): the ISR saw the port. */
#define AHCI_PENDING_IS_SEEN            0x80000000u
/* Polling (AhciPollLook): looks with nothing finished between reads of
 * PxIS for errors (~20 us under TCG), and between deadline checks. */
#define AHCI_POLL_IS_LOOKS              64
#define AHCI_POLL_DEADLINE_LOOKS        1024

/* Linux board_ahci_sb600: max_sectors 255 (quirk max-255-sectors). */
#define AHCI_SECT255_MAX_SECTORS        255
/* 3.1.1: an HBA without S64A reaches the first 4 GiB. */
#define AHCI_DMA_LIMIT_32BIT            0x100000000ull


typedef enum _AHCI_PORT_STATE {
    AhciPortEmpty = 0,      /* no device (DET != 3) */
    AhciPortLinkUp,         /* PHY up, device not yet identified */
    AhciPortReady,          /* ATA disk identified, engines running */
    AhciPortUnsupported,    /* ATAPI, port multiplier, SEMB: listed, not driven */
    AhciPortFailed,         /* recovery or identify failed */
    AhciPortStopped,        /* engines stopped (remove/unload) */
    AhciPortGone,           /* the device went away (PhyRdy lost): requests fail */
    AhciPortStateCount
} AHCI_PORT_STATE;
extern const char *const AhciPortStateNames[AhciPortStateCount];

/* One port state change, for the port's history (hwreport). */
#define AHCI_STATE_HISTORY 8
typedef struct _AHCI_STATE_CHANGE {
    UCHAR From, To;             /* AHCI_PORT_STATE */
    ULONG Ms;                   /* KeQueryInterruptTime in ms */
} AHCI_STATE_CHANGE, *PAHCI_STATE_CHANGE;

typedef struct _AHCI_CONTROLLER AHCI_CONTROLLER, *PAHCI_CONTROLLER;
typedef struct _AHCI_PORT AHCI_PORT, *PAHCI_PORT;

/* One interrupt the PnP manager offered (translated descriptor). */
typedef struct _AHCI_IRQ {
    BOOLEAN Present;            /* MSI: offered in the start resources; INTx: connected once */
    ULONG Vector;
    KIRQL Irql;
    PKINTERRUPT Object;         /* connected, or NULL */
    PIO_INTERRUPT_MESSAGE_INFO MessageTable;    /* MSI: IoConnectInterruptEx's table */
} AHCI_IRQ;

/* One recovery, from the error to the requeue (error.c).  Written under
 * the port lock; while the worker owns the port (InRecovery, RecoveryIdle
 * clear) only the worker touches it. */
typedef struct _AHCI_RECOVERY {
    ULONG PortIs;               /* the PxIS bits that started it (0: a timeout) */
    ULONG TimedOut;             /* slots past their deadline */
    ULONG Serr, Ccs;            /* PxSERR, PxCMD.CCS when it began */
    UCHAR Sts, Err;             /* the task file the guilty command is blamed with */
    ULONG Outstanding;          /* slots taken back: recovery decides each one's fate */
    ULONG Ncq;                  /* ... of them queued (FPDMA) */
    ULONG NonQueued;            /* ... of them non-queued */
    ULONG Unsent;               /* ... never rung to the HBA: no retry spent */
    LONG Tag;                   /* the failed tag log page 10h named, or -1 */
    BOOLEAN Reset;              /* the link was reset on the way */
    BOOLEAN Failed;             /* the engine would not stop even after an HBA reset */
    BOOLEAN BusReset;           /* SRB_FUNCTION_RESET_*: every command ends BUS_RESET */
    BOOLEAN Frozen;             /* handed to the worker: PxIE off until it ends */
} AHCI_RECOVERY, *PAHCI_RECOVERY;

typedef struct _AHCI_SLOT {
    PIRP Irp;                   /* NULL for internal commands */
    PSCSI_REQUEST_BLOCK Srb;
    SATL_ATA_COMMAND Ata;
    ULONG64 Deadline;           /* KeQueryInterruptTime units */
    UCHAR Retries;
    BOOLEAN Internal;
    ULONG64 StartTsc;           /* raw bench: issue time */
    AHCI_COMMAND_TABLE_HEAD *Table;
    AHCI_PRD *Prdt;
    /* sglist.c: the data's scatter/gather list from the port's adapter,
     * held from the build until the slot completes (AhciCompleteSlot puts
     * it back, copying a bounced read to its owner first); NULL when the
     * slot holds none.  SgBuffer and Mdl are the slot's preallocated list
     * buffer and MDL (for SRBs without one). */
    PSCATTER_GATHER_LIST Sg;
    BOOLEAN SgWrite;
    PVOID SgBuffer;
    PMDL Mdl;
} AHCI_SLOT, *PAHCI_SLOT;

/* What both device extensions begin with.  RemoveLock: every dispatch
 * routine holds it while it works on an IRP -- an SRB until it completes
 * (AhciFinishIrps gives it back) -- and the device's deletion waits for
 * it (IoReleaseRemoveLockAndWait). */
typedef struct _AHCI_EXTENSION_HEADER {
    BOOLEAN IsFdo;
    IO_REMOVE_LOCK RemoveLock;
} AHCI_EXTENSION_HEADER, *PAHCI_EXTENSION_HEADER;

/* Device extension of a disk PDO. */
typedef struct _AHCI_PDO_EXTENSION {
    BOOLEAN IsFdo;              /* FALSE: first field of both extensions */
    IO_REMOVE_LOCK RemoveLock;  /* AHCI_EXTENSION_HEADER */
    PAHCI_PORT Port;
    BOOLEAN Started;
    BOOLEAN Removed;
} AHCI_PDO_EXTENSION, *PAHCI_PDO_EXTENSION;

struct _AHCI_PORT {
    PAHCI_CONTROLLER Controller;
    ULONG Index;
    volatile UCHAR *Regs;       /* ABAR + 100h + 80h * Index */
    AHCI_PORT_STATE State;      /* AhciPortSetState only */
    AHCI_STATE_CHANGE History[AHCI_STATE_HISTORY];     /* ring, the last changes */
    ULONG HistoryCount;         /* changes ever; History[(n - 1) % 8] is the last */
    ULONG Signature;
    ATA_DEVICE_INFO Device;

    KSPIN_LOCK Lock;            /* guards everything below */
    ULONG Issued;               /* slots handed to the HBA */
    ULONG NcqIssued;            /* subset issued as FPDMA (tracked in PxSACT) */
    ULONG Deferred;             /* subset not yet written to PxCI/PxSACT (AhciRingDoorbell) */
    ULONG Profiled;             /* subset whose IRP carries profile stamps (bench profile=1) */
    /* Slots whose commands recovery took back after an NCQ error it could
     * not pin on one command (no log page): they are re-issued one at a
     * time (AhciStartPending), nothing joins them, so the next failure
     * names its command.  Disjoint from Issued. */
    ULONG Held;
    ULONG QueueDepth;           /* slots this port may use at once */
    LIST_ENTRY Pending;         /* IRPs not yet issued (Tail.Overlay.ListEntry) */
    AHCI_SLOT Slots[AHCI_MAX_SLOTS];
    BOOLEAN UseNcq;
    NTSTOR_AHCI_MODE Mode;
    /* Recovery owns the port: nothing is issued, reaped or link-checked
     * by anyone else.  Inline (lock held throughout) or in the worker. */
    BOOLEAN InRecovery;
    AHCI_RECOVERY Rec;
    /* Signalled while the worker does not own the port; a PASSIVE_LEVEL
     * poller waits on it instead of spinning (io.c AhciWaitRecovery). */
    KEVENT RecoveryIdle;
    /* No new issue while nonzero: how many owners hold the port quiesced
     * (a mode change at PASSIVE_LEVEL or the raw bench, and the
     * watchdog's fallback switching the source under them; a gone device
     * keeps one for good).  Only the last AhciResumePort issues again. */
    ULONG Quiesced;

    /* Watchdog (DISPATCH_LEVEL, lock held): what the last tick saw. */
    ULONG WatchDone;            /* issued slots the HBA had finished */
    ULONG64 WatchCommands;      /* Commands at that tick */
    ULONG64 LostInterrupts;
    ULONG64 Doorbells;          /* AhciRingDoorbell writes of PxCI (bench: commands per ring) */

    volatile ULONG PendingIs;   /* PxIS bits the ISR saw, for the DPC */
    ULONG PollLooks;            /* AhciPollLook calls, paces its PxIS/deadline checks */
    ULONG64 Commands, Errors;
    ULONG Quirks;               /* NTSTOR_AHCI_QUIRK_* of this port (AhciQuirkApply) */
    ULONG NcqFailures;          /* unexplained NCQ failures since NcqFailureAt (error.c) */
    ULONG64 NcqFailureAt;
    ULONG64 HbaResets;          /* HBA resets this port's recovery needed (stuck engine) */
    /* PxIS bits that mean the port halted and needs recovery: AHCI 6.1's
     * fatal set, less IFS on an HBA that raises it spuriously (quirk
     * ignore-ifs).  Set at init, read where the constant was. */
    ULONG FatalIs;
    /* One past the highest bus address the HBA reaches (3.1.1 S64A; quirks
     * no-64bit, dma-43bit); ~0 when it reaches everything. */
    ULONG64 DmaLimit;

    PVOID Dma;                  /* AHCI_DMA_SIZE bytes, see AHCI_DMA_* */
    ULONG64 DmaPa;
    AHCI_COMMAND_HEADER *CmdList;
    volatile UCHAR *Rfis;
    PUCHAR Internal;
    PUCHAR Scratch;
    /* sglist.c: the port's DMA adapter for data (its map registers carry
     * what the HBA cannot reach), the slots' list buffers and MDLs in one
     * block, and the commands carried through map registers.  SgStalled:
     * the pending queue's head found every map register taken; nothing new
     * is built until a slot of this port completes (lock held). */
    PDMA_ADAPTER DataDma;
    PUCHAR SgBlock;
    ULONG SgBytes;              /* one slot's list buffer */
    BOOLEAN SgStalled;
    ULONG64 Bounced;

    PDEVICE_OBJECT Pdo;
    PAHCI_PDO_EXTENSION PdoExt;
};

/* Device extension of the controller FDO. */
struct _AHCI_CONTROLLER {
    BOOLEAN IsFdo;              /* TRUE */
    IO_REMOVE_LOCK RemoveLock;  /* AHCI_EXTENSION_HEADER */
    ULONG Number;               /* n of \Device\Ahci<n> */
    PDEVICE_OBJECT Fdo;
    PDEVICE_OBJECT LowerDevice;
    PDEVICE_OBJECT PciPdo;
    BOOLEAN Started;

    /* The PCI function (config header, read at start): the quirk table's
     * key and what hwreport prints. */
    USHORT VendorId, DeviceId, SubVendorId, SubSystemId;
    UCHAR Revision;
    ULONG ClassCode;            /* base << 16 | sub << 8 | prog-if */
    ULONG Quirks;               /* controller-wide NTSTOR_AHCI_QUIRK_* (quirks.c) */
    ULONG PortMask;             /* quirk phantom-ports: the ports the silicon has */
    ULONG64 DmaLimit;           /* see AHCI_PORT.DmaLimit */

    volatile UCHAR *Abar;
    PHYSICAL_ADDRESS AbarPa;
    ULONG AbarLength;
    ULONG Cap, Cap2, PortsImplemented, Version;
    ULONG NumSlots;             /* CAP.NCS + 1 */

    /* Both interrupts the PnP manager offered are connected; Source says
     * which one the function signals (MSI Enable / INTx Disable in its
     * configuration space), or Poll when neither works.  Every port not
     * in poll mode has Mode == Source.  Changed only by
     * AhciSetInterruptSource, with every port quiesced. */
    AHCI_IRQ Msi;
    AHCI_IRQ Intx;
    NTSTOR_AHCI_MODE Source;
    UCHAR MsiCap;               /* MSI capability offset in config space, 0 if none */
    KDPC Dpc;
    volatile ULONG64 InterruptCount;
    KTIMER Watchdog;
    KDPC WatchdogDpc;
    ULONG InjectLoss;           /* Parameters\TestLoseInterrupts still to apply */
    ULONG64 InjectAt;           /* ... when AhciControllerCommands reaches this */
    BOOLEAN InjectNow;          /* the watchdog asks AhciSetInterruptSource to silence */

    PAHCI_PORT Ports[AHCI_MAX_PORTS];
    PDMA_ADAPTER Dma;           /* IoGetDmaAdapter: the ports' command memory (AllocateCommonBuffer) */

    /* The controller's worker (worker.c): one work item, queued when a
     * port asks for it and not already queued; it serves every asking
     * port before it returns (libata's one EH thread per host).
     * WorkLock guards the four fields below; it nests inside a port lock. */
    KSPIN_LOCK WorkLock;
    PIO_WORKITEM WorkItem;      /* NULL: no worker, long steps run where they are asked */
    ULONG WorkRecover;          /* ports whose recovery waits for the worker */
    ULONG WorkPlug;             /* empty ports whose link changed (hot plug) */
    BOOLEAN WorkQueued;         /* the item is queued or running */
    BOOLEAN Stopping;           /* AhciHbaStop: no new work */
    KEVENT WorkIdle;            /* signalled while the item is neither queued nor running */
    ULONG64 HotPlugs;           /* disks brought up after start */
};
_Static_assert(offsetof(AHCI_PDO_EXTENSION, RemoveLock) == offsetof(AHCI_EXTENSION_HEADER, RemoveLock) &&
               offsetof(struct _AHCI_CONTROLLER, RemoveLock) == offsetof(AHCI_EXTENSION_HEADER, RemoveLock),
               "both AHCI device extensions begin with AHCI_EXTENSION_HEADER");


/* Driver-wide settings from RegistryPath\Parameters. */
typedef struct _AHCI_PARAMETERS {
    NTSTOR_AHCI_MODE InterruptMode;
    BOOLEAN Ncq;
    ULONG MaxQueueDepth;
    BOOLEAN Debug;              /* Parameters\\Debug; IOCTL_NTSTOR_AHCI_SET_DEBUG at run time */
    /* Fault injection for tests: after start and after each interrupt
     * source change, this many times, silence the source just chosen
     * behind the driver's back (MSI Enable or INTx Disable in config
     * space), as a broken MSI route or IOAPIC pin would. */
    ULONG TestLoseInterrupts;
    /* ... not at once but once the controller's ports have completed this
     * many more commands (counted from start and from each source change),
     * so the loss meets I/O in flight rather than start-up.  0: at once. */
    ULONG TestLoseInterruptsAfter;
    /* Treat the HBA as if CAP.S64A were clear (quirk no-64bit): DMA
     * memory below 4 GiB, data above it bounced.  For tests. */
    BOOLEAN Force32BitDma;
    BOOLEAN TestHoldLowMemory;
} AHCI_PARAMETERS;
extern AHCI_PARAMETERS AhciParameters;

#define AhciDbg(...) do { if (AhciParameters.Debug) DbgPrint(__VA_ARGS__); } while (0)
extern const char *const AhciModeNames[3];

/* ---- MMIO ---- */
#ifdef AHCI_MMIO_MODEL
/* Host unit tests against the behavioural HBA model (tests/unit/hba_model.c):
 * every register access goes to the model, which gives each register its
 * AHCI semantics (write-1-to-clear, mirrored bits, side effects).  The
 * driver image is never built with this. */
ULONG AhciModelRead(volatile UCHAR *Base, ULONG Offset);
VOID AhciModelWrite(volatile UCHAR *Base, ULONG Offset, ULONG Value);
static inline ULONG AhciRead(volatile UCHAR *Base, ULONG Offset)
{
    return AhciModelRead(Base, Offset);
}
static inline VOID AhciWrite(volatile UCHAR *Base, ULONG Offset, ULONG Value)
{
    AhciModelWrite(Base, Offset, Value);
}
#else
/* READ/WRITE_REGISTER_ULONG (wdm/intrin.h) carry the compiler barrier
 * that keeps command-table stores ahead of the PxCI write handing them to
 * the HBA (x86 orders the stores themselves). */
static inline ULONG AhciRead(volatile UCHAR *Base, ULONG Offset)
{
    return READ_REGISTER_ULONG((volatile ULONG *)(Base + Offset));
}
static inline VOID AhciWrite(volatile UCHAR *Base, ULONG Offset, ULONG Value)
{
    WRITE_REGISTER_ULONG((volatile ULONG *)(Base + Offset), Value);
}
#endif
/* Without -mpopcnt GCC calls libgcc for __builtin_popcount; drivers bind
 * only kernel exports, so count bits by hand. */
static inline ULONG AhciPopCount(ULONG v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}
static inline ULONG64 AhciNow(VOID) { return KeQueryInterruptTime(); }
static inline ULONG64 AhciMs(ULONG Ms) { return (ULONG64)Ms * 10000; }
/* Spins until (reg & mask) == value or Ms elapse.  TRUE on success. */
BOOLEAN AhciWaitRegister(volatile UCHAR *Base, ULONG Offset, ULONG Mask, ULONG Value, ULONG Ms);

/* Carves a port's AHCI_DMA_SIZE block (Base, at physical BasePa) into the
 * command list, received-FIS area, internal buffer, scratch and the fixed
 * per-slot command tables, and points each command header at its table
 * (the header's CTBA never changes).  port.c at start; the unit tests'
 * simulated ports too. */
static inline VOID AhciPortLayout(PAHCI_PORT Port, PUCHAR Base, ULONG64 BasePa)
{
    Port->Dma = Base;
    Port->DmaPa = BasePa;
    Port->CmdList = (AHCI_COMMAND_HEADER *)(Base + AHCI_DMA_CMD_LIST);
    Port->Rfis = Base + AHCI_DMA_RFIS;
    Port->Internal = Base + AHCI_DMA_INTERNAL;
    Port->Scratch = Base + AHCI_DMA_SCRATCH;
    for (ULONG s = 0; s < AHCI_MAX_SLOTS; s++) {
        ULONG off = AHCI_DMA_TABLES + s * AHCI_CT_SIZE;
        ULONG64 pa = BasePa + off;
        Port->Slots[s].Table = (AHCI_COMMAND_TABLE_HEAD *)(Base + off);
        Port->Slots[s].Prdt = (AHCI_PRD *)(Base + off + AHCI_CT_PRDT);
        Port->CmdList[s].Ctba = (ULONG)pa;
        Port->CmdList[s].Ctbau = (ULONG)(pa >> 32);
    }
}

/* A routine whose comment says "lock held" checks it, as xv6's holding()
 * does: a caller that breaks the rule stops the machine there, naming the
 * routine, instead of racing the ISR's DPC for the slots. */
#define AHCI_ASSERT_LOCKED(Port) ASSERT(!KeTestSpinLock(&(Port)->Lock))

/* An error the ISR saw (PendingIs) that its DPC has not yet handed to
 * recovery: nothing new may be issued meanwhile (DESIGN.md's fault rule).
 * Any IRQL, lock held or not. */
static inline BOOLEAN AhciErrorPending(PAHCI_PORT Port)
{
    return (__atomic_load_n(&Port->PendingIs, __ATOMIC_RELAXED) & Port->FatalIs) != 0;
}

/* PxSSTS says a device is there: PHY up (DET=3), or a link in a power
 * state -- partial, slumber, DevSleep (IPM 2/6/8) -- whose PHY is not
 * ready (DET=1) but wakes when a command comes (AHCI 3.3.10, 8.3). */
static inline BOOLEAN AhciLinkPresent(ULONG Ssts)
{
    ULONG det = Ssts & AHCI_PxSSTS_DET_MASK;
    ULONG ipm = (Ssts & AHCI_PxSSTS_IPM_MASK) >> AHCI_PxSSTS_IPM_SHIFT;

    return det == AHCI_PxSSTS_DET_PHY ||
           (det == AHCI_PxSSTS_DET_PRESENT && (ipm == 2 || ipm == 6 || ipm == 8));
}

/* ---- hba.c ---- */
NTSTATUS AhciHbaStart(PAHCI_CONTROLLER Ctrl, PCM_RESOURCE_LIST Translated);
/* 10.4.3 GHC.HR with AE, CAP, PI and the Intel PCS enables kept.  Every
 * port's registers are back at their reset values afterwards. */
NTSTATUS AhciHbaReset(PAHCI_CONTROLLER Ctrl);
VOID AhciHbaStop(PAHCI_CONTROLLER Ctrl);
VOID AhciConnectInterrupts(PAHCI_CONTROLLER Ctrl);
VOID AhciDisconnectInterrupts(PAHCI_CONTROLLER Ctrl);

/* ---- quirks.c ---- */
/* Sets Quirk on the port (or the controller when Port is NULL) and logs
 * it by name with Why, the first time only.  TRUE if it was new.  The one
 * place a quirk is applied and logged. */
BOOLEAN AhciQuirkApply(PAHCI_CONTROLLER Ctrl, PAHCI_PORT Port, ULONG Quirk, PCSTR Why);
/* AddDevice: may the driver take this PCI function (its first 64 bytes of
 * config space)?  AHCI class, or an ID the table binds whose BAR5 is a
 * memory BAR.  *Why says why, for the log. */
BOOLEAN AhciBindAllowed(const UCHAR *Config, PCSTR *Why);
/* Start, before the HBA reset: the table's entries for the function's
 * IDs (Ctrl->VendorId/DeviceId/ClassCode read already). */
VOID AhciQuirksController(PAHCI_CONTROLLER Ctrl);
/* After PI is known: the phantom ports masked. */
VOID AhciQuirksPorts(PAHCI_CONTROLLER Ctrl);
/* After IDENTIFY: the table's disk entries (by model). */
VOID AhciQuirksDevice(PAHCI_PORT Port);

/* ---- mode.c ---- */
/* PCI configuration space of the controller through its PDO
 * (IRP_MN_READ_CONFIG / IRP_MN_WRITE_CONFIG).  <= DISPATCH_LEVEL. */
NTSTATUS AhciPciConfig(PAHCI_CONTROLLER Ctrl, BOOLEAN Write, ULONG Offset, PVOID Buffer,
                       ULONG Length);
VOID AhciFindMsiCapability(PAHCI_CONTROLLER Ctrl);
/* Stops new issues on Port and completes what is out by polling.  FALSE
 * if the port did not drain within AHCI_QUIESCE_TIMEOUT_MS. */
BOOLEAN AhciQuiescePort(PAHCI_PORT Port);
/* Ends one AhciQuiescePort; the last one lets the port issue again and
 * starts what queued up meanwhile. */
VOID AhciResumePort(PAHCI_PORT Port);
/* Switches the function between MSI and INTx (or neither: Poll), every
 * port quiesced meanwhile.  STATUS_NOT_SUPPORTED if that interrupt was
 * not offered or not connected. */
NTSTATUS AhciSetInterruptSource(PAHCI_CONTROLLER Ctrl, NTSTOR_AHCI_MODE Source);
/* One port: Poll, or the controller's interrupt (switching the source
 * for every interrupt-driven port when Mode differs from it). */
NTSTATUS AhciSetPortMode(PAHCI_PORT Port, NTSTOR_AHCI_MODE Mode);
/* Commands completed on all of the controller's ports. */
ULONG64 AhciControllerCommands(PAHCI_CONTROLLER Ctrl);
/* The watchdog saw a lost interrupt: MSI -> INTx -> Poll. */
VOID AhciInterruptFallback(PAHCI_CONTROLLER Ctrl);
KDEFERRED_ROUTINE AhciWatchdogDpc;

/* ---- port.c ---- */
NTSTATUS AhciPortInit(PAHCI_CONTROLLER Ctrl, ULONG Index);
/* Engine stopped: command list and FIS base, PxIE off, PxSERR/PxIS
 * cleared, FIS reception on (10.1.2).  At init and after an HBA reset. */
VOID AhciPortProgram(PAHCI_PORT Port);
VOID AhciPortFree(PAHCI_PORT Port);
BOOLEAN AhciPortStopEngine(PAHCI_PORT Port);
/* 10.3.1: sets FRE and ST only with BSY/DRQ clear and the link present;
 * FALSE (said in the log) otherwise. */
BOOLEAN AhciPortStartEngine(PAHCI_PORT Port);
BOOLEAN AhciPortComreset(PAHCI_PORT Port);
/* Waits up to Ms for BSY/DRQ to clear, clearing PxSERR.DIAG.X meanwhile so
 * the device's D2H FIS reaches PxTFD/PxSIG (10.4.2). */
BOOLEAN AhciPortWaitReady(PAHCI_PORT Port, ULONG Ms);
/* The reset ladder of one port, engine stopped: COMRESET + debounce + wait
 * for the device, up to AHCI_RESET_TRIES times with the 10/10/35 s
 * schedule, the last at Gen1.  Up to ~60 s: PASSIVE_LEVEL (start, the
 * worker); at DISPATCH_LEVEL only when a controller has no work item. */
BOOLEAN AhciPortHardReset(PAHCI_PORT Port);
/* BSY/DRQ down: CLO (3.3.7), bounded by 500 ms, when the HBA has it.
 * Engine stopped.  FALSE if the device is still busy. */
BOOLEAN AhciPortClo(PAHCI_PORT Port);
/* AhciPortClo, else the reset ladder (up to ~60 s: PASSIVE_LEVEL). */
BOOLEAN AhciPortClearBusy(PAHCI_PORT Port);
/* Brings up the device behind a port whose engine is stopped and whose
 * registers are programmed (AhciPortProgram): link, BSY, signature,
 * IDENTIFY; the port ends Empty, Unsupported, Failed or Ready.  Waits up
 * to ~60 s: PASSIVE_LEVEL (start, or the worker after a hot plug). */
NTSTATUS AhciPortBringUp(PAHCI_PORT Port);
VOID AhciPortSetState(PAHCI_PORT Port, AHCI_PORT_STATE State);
VOID AhciPortSetMode(PAHCI_PORT Port, NTSTOR_AHCI_MODE Mode);
/* PxIE as the port's state wants it: a ready port its Mode's (none when
 * polled); an empty one PCS/PRCS while the controller signals interrupts
 * (hot plug, AHCI 10.9); anything else none. */
VOID AhciPortEnableInterrupts(PAHCI_PORT Port);
/* After a PhyRdy/connect change (or from the watchdog): TRUE while PxSSTS
 * still shows the device with its PHY up.  Otherwise the port becomes
 * AhciPortGone, its engine stops and every issued and pending request
 * ends SRB_STATUS_NO_DEVICE (STATUS_DEVICE_DOES_NOT_EXIST); new ones are
 * refused the same way.  DISPATCH_LEVEL or below, port lock not held. */
BOOLEAN AhciPortCheckLink(PAHCI_PORT Port);
/* Lock held.  The port takes no more commands: State (AhciPortFailed or
 * AhciPortGone) for good, one Quiesced hold no resume lifts, PxIE off, and
 * every request on it ends with SrbStatus -- issued, held, the slots in
 * Also (taken back by a recovery) and pending.  The one way a port stops
 * for good, so none of them is left for a stopped engine: with PxCMD.ST
 * clear the HBA ignores PxCI, which then reads 0 and would credit every
 * command written to it as done (AHCI 3.3.14). */
VOID AhciPortGiveUp(PAHCI_PORT Port, AHCI_PORT_STATE State, UCHAR SrbStatus, ULONG Also,
                    PLIST_ENTRY Done);
/* Lock held.  After a reset: restart the engine, or, if it will not start
 * (device still busy, or gone), give the port up (AhciPortGiveUp) with the
 * slots in Also.  TRUE when the engine runs. */
BOOLEAN AhciPortRestartOrGiveUp(PAHCI_PORT Port, ULONG Also, PLIST_ENTRY Done);

/* ---- io.c ---- */
NTSTATUS AhciSubmitSrb(PAHCI_PORT Port, PIRP Irp, PSCSI_REQUEST_BLOCK Srb);
/* Issues an internal command (slot 0 of an idle port) and polls it to the
 * end.  Buffer is the port's Internal buffer or NULL. */
NTSTATUS AhciExecuteInternal(PAHCI_PORT Port, const SATL_ATA_COMMAND *Ata, PUCHAR TaskStatus,
                             PUCHAR TaskError);
/* The same with its own deadline (spin-up). */
NTSTATUS AhciExecuteInternalTimeout(PAHCI_PORT Port, const SATL_ATA_COMMAND *Ata,
                                    PUCHAR TaskStatus, PUCHAR TaskError, ULONG Ms);
/* Reaps finished slots (Issued & ~(PxCI|PxSACT)) and issues held slots
 * and pending IRPs;
 * completes the IRPs with no lock held.  From the DPC and polling loops. */
VOID AhciProcessPort(PAHCI_PORT Port, ULONG PortIs);
/* Spins until the port has nothing issued or pending (polled mode).  A
 * port in the worker's recovery is waited for at PASSIVE_LEVEL; above it
 * the loop returns (the worker and the watchdog finish the requests). */
VOID AhciPollPort(PAHCI_PORT Port);
/* The port is in the worker's recovery: at PASSIVE_LEVEL wait for it (a
 * slice at most) and TRUE; above it FALSE at once (nothing to wait with). */
BOOLEAN AhciWaitRecovery(PAHCI_PORT Port);
/* One polled look: PxIS errors acknowledged, then AhciProcessPort. */
VOID AhciPollOnce(PAHCI_PORT Port);
/* The cheap look polling repeats (one register read; PxIS and deadlines
 * now and then); reaps what finished.  Port lock not held. */
VOID AhciPollLook(PAHCI_PORT Port);
VOID AhciFailAll(PAHCI_PORT Port, UCHAR SrbStatus);

/* Lock held.  Fills slot S's command FIS, PRDT and header for Ata.  Data
 * is the SRB's buffer (with an IRP: through the port's DMA adapter, the
 * IRP's MDL or the slot's own; without one, the raw bench's buffer within
 * reach, page by page), the port's scratch (UseScratch) or the port's
 * internal buffer (Internal).  STATUS_INSUFFICIENT_RESOURCES: the map
 * registers are taken, try again later; any other failure is logged and
 * the request's. */
NTSTATUS AhciBuildCommand(PAHCI_PORT Port, ULONG S, const SATL_ATA_COMMAND *Ata, PIRP Irp,
                          PVOID Buffer, BOOLEAN IsInternal);
/* Lock held.  Issues slot S now (with any deferred slots). */
VOID AhciIssueSlot(PAHCI_PORT Port, ULONG S);
/* Lock held.  Rebuilds and issues slot S's IRP again (recovery, held
 * slots); fails it with SRB_STATUS_ERROR if its buffer cannot be described. */
VOID AhciReissueSlot(PAHCI_PORT Port, ULONG S, PLIST_ENTRY Done);
/* Lock held.  Writes PxSACT/PxCI for the slots prepared but not yet
 * issued (Deferred): polled IRPs' doorbells are batched, see io.c. */
VOID AhciRingDoorbell(PAHCI_PORT Port);
VOID AhciStartPending(PAHCI_PORT Port, PLIST_ENTRY Done);

/* ---- io_complete.c ---- */
VOID AhciCompleteSlot(PAHCI_PORT Port, ULONG Slot, UCHAR SrbStatus, const SATL_SENSE *Sense,
                      PLIST_ENTRY Done);
VOID AhciCompleteSrb(PIRP Irp, PSCSI_REQUEST_BLOCK Srb, UCHAR SrbStatus, const SATL_SENSE *Sense,
                     ULONG DataLength, PLIST_ENTRY Done);
/* Completes the IRPs on Done (no lock held); an SRB that AhciDispatchScsi
 * accepted gives back its PDO's remove lock (AhciHoldRemoveLock). */
VOID AhciFinishIrps(PLIST_ENTRY Done);
/* Marks Irp as holding Ext's remove lock until AhciFinishIrps completes it. */
VOID AhciHoldRemoveLock(PIRP Irp, PAHCI_PDO_EXTENSION Ext);

/* ---- error.c ---- */
/* Called with the port lock held after a fatal PxIS or a timeout; never
 * while the port is InRecovery.  The bounded steps run here; what needs
 * a reset or the log page goes to the worker (the port stays InRecovery
 * until AhciRecoverWorker ends it). */
VOID AhciRecoverPort(PAHCI_PORT Port, ULONG PortIs, ULONG TimedOut, PLIST_ENTRY Done);
/* The worker's part of a recovery AhciRecoverPort handed over.
 * PASSIVE_LEVEL, no lock held. */
VOID AhciRecoverWorker(PAHCI_PORT Port);
/* SRB_FUNCTION_RESET_*: COMRESET (in the worker; waited for at
 * PASSIVE_LEVEL); issued commands end SRB_STATUS_BUS_RESET. */
VOID AhciResetPort(PAHCI_PORT Port);

/* ---- worker.c ---- */
/* At start (PASSIVE_LEVEL): the work item (none: long steps run where
 * they are asked, as before the kernel had threads). */
VOID AhciWorkerInit(PAHCI_CONTROLLER Ctrl);
/* At stop (PASSIVE_LEVEL): no new work; waits for the worker to finish. */
VOID AhciWorkerStop(PAHCI_CONTROLLER Ctrl);
/* Asks the worker to finish Port's recovery (Plug FALSE) or to look at
 * an empty port whose link changed (Plug TRUE).  Any IRQL <= DISPATCH_LEVEL,
 * port lock held or not.  FALSE when there is no worker (none allocated,
 * or the controller is stopping). */
BOOLEAN AhciRequestWork(PAHCI_PORT Port, BOOLEAN Plug);
/* TRUE while some port of the controller is in the worker's recovery:
 * whoever would drain every port (a source switch from the watchdog at
 * DISPATCH_LEVEL) must wait for a later tick. */
BOOLEAN AhciControllerInRecovery(PAHCI_CONTROLLER Ctrl);

/* ---- intr.c ---- */
KSERVICE_ROUTINE AhciIsr;
KDEFERRED_ROUTINE AhciDpc;
VOID AhciTakePendingIs(PAHCI_PORT Port);
/* Issues IDENTIFY with interrupts on and checks one arrives; falls back
 * to polling (and says so) when it does not. */
VOID AhciProbeInterrupt(PAHCI_PORT Port);

/* ---- pnp.c / pdo.c / ioctl.c ---- */
DRIVER_DISPATCH AhciDispatchPnp;
DRIVER_DISPATCH AhciDispatchScsi;
DRIVER_DISPATCH AhciDispatchDeviceControl;
DRIVER_DISPATCH AhciDispatchCreateClose;
DRIVER_DISPATCH AhciDispatchPower;
NTSTATUS AhciPdoPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp);
NTSTATUS AhciCreatePdo(PAHCI_CONTROLLER Ctrl, PAHCI_PORT Port);
/* Whether the bus relations list the port's device (ready or unsupported). */
BOOLEAN AhciPortReported(PAHCI_PORT Port);
NTSTATUS AhciPdoDeviceControl(PAHCI_PORT Port, PIRP Irp);

/* ---- sglist.c ---- */
/* At bring-up (PASSIVE_LEVEL, QueueDepth known): the port's data adapter
 * and the slots' list buffers.  Again for a re-plugged disk: kept. */
NTSTATUS AhciSgStart(PAHCI_PORT Port);
/* At port free (PASSIVE_LEVEL), every slot completed. */
VOID AhciSgStop(PAHCI_PORT Port);
/* Lock held, from AhciBuildCommand for an SRB with an IRP: slot S's PRDT
 * for Bytes at Buffer, through the adapter (*Prds set).  A slot that holds
 * its list already (re-issue) gets the PRDT from it again.
 * STATUS_INSUFFICIENT_RESOURCES: every map register is taken, try again
 * when a slot of this port completes; other failures are the request's. */
NTSTATUS AhciSgBuild(PAHCI_PORT Port, ULONG S, PIRP Irp, PVOID Buffer, ULONG Bytes, BOOLEAN Write,
                     PULONG Prds);
/* Lock held (AhciCompleteSlot checks it), for a slot with a list: puts it
 * back -- a bounced read's data reaches its buffer here, before the IRP is
 * completed -- and lets a stalled queue try again.  Inline: once per I/O. */
static inline VOID AhciSgPut(PAHCI_PORT Port, ULONG S)
{
    PAHCI_SLOT slot = &Port->Slots[S];

    Port->DataDma->DmaOperations->PutScatterGatherList(Port->DataDma, slot->Sg, slot->SgWrite);
    slot->Sg = NULL;
    Port->SgStalled = FALSE;    /* map registers may be free again */
}

/* ---- lowmem.c ---- */
/* Parameters\TestHoldLowMemory: take all free memory below 4 GiB after
 * start (so request buffers come from above it); given back at stop. */
VOID AhciTestHoldLowMemory(PAHCI_CONTROLLER Ctrl);
VOID AhciTestReleaseLowMemory(VOID);

/* ---- bench.c ---- */
NTSTATUS AhciRawBench(PAHCI_PORT Port, PNTSTOR_AHCI_RAW_BENCH Bench);

#endif /* NTSTOR_AHCI_DRV_H */
