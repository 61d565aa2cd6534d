/* fuzz_ahci_device.c - issue 14, the device side: the fuzz input plays a
 * buggy or hostile AHCI HBA and disk (tests/unit/hba_model.c with its
 * ModelHooks) while the driver's real hba.c/port.c/intr.c/io.c/error.c/
 * mode.c run against it with requests in flight, polled or through the
 * ISR and DPC (MSI or INTx), with the watchdog on virtual time.
 *
 * Input: two config bytes, then the workload read from the front (submit
 * reads/writes/flushes, let time pass, poll, watchdog ticks, hot plug,
 * link glitches, spurious PxIS/PxSERR/PxTFD, resets, mode changes) and
 * the device's decisions read from the back (how each command the HBA
 * accepts ends: well, with a task file error, a silent NCQ error, never,
 * an interface error; a log page that lies, no interrupt, garbage in the
 * FIS, any PRDBC).  When the workload ends the device turns kind and the
 * driver gets bounded virtual time to finish everything.
 *
 * Invariants, checked as they happen (a violation aborts, naming it):
 *  - a request completes as success only if the device's last run of it
 *    ended without error, and then a read holds what the medium holds and
 *    a write is on the medium;
 *  - a request completes once, and every request completes by the end;
 *  - register accesses stay inside the HBA's registers (the model checks),
 *    DMA inside the port's DMA memory or the buffer of the request the
 *    slot carries, in its direction, and the slot's FIS is its request's;
 *  - no new PxCI/PxSACT bit while the port is in its error state, once the
 *    driver could have known: the error came before the port lock the
 *    issue is made under was taken, or before the driver's last read of
 *    PxIS (an error that lands between the driver's last look and its
 *    doorbell is a race no driver can close);
 *  - one call into the driver spends at most WAIT_BOUND_S of virtual time. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ahcip.h"
#include "ahci_sim.h"
#include "hba_model.h"
#include "host_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

AHCI_PARAMETERS AhciParameters;
const char *const AhciModeNames[3] = { "poll", "msi", "intx" };

/* The longest wait the driver has a right to: the reset ladder of two
 * ports in an HBA recovery (2 x (10 + 10 + 35 s + debounce)) and a
 * quiesce, with room to spare. */
#define WAIT_BOUND_S    300
#define DRAIN_S         240     /* virtual time the driver gets to finish everything */
#define MAX_REQ         64
#define MAX_STEPS       400

static void Violation(const char *What, long A, long B)
{
    fprintf(stderr, "VIOLATION: %s (%ld, %ld) at %llu us\n", What, A, B,
            (unsigned long long)ModelNowUs());
    abort();
}

/* ---- what the driver calls outside itself ---- */
ULONG DbgPrint(PCSTR Format, ...)
{
    /* FUZZ_AHCI_LOG=1 shows the driver's log when replaying an input. */
    static int on = -1;
    if (on < 0)
        on = getenv("FUZZ_AHCI_LOG") != NULL;
    if (on) {
        va_list ap;
        va_start(ap, Format);
        vfprintf(stderr, Format, ap);
        va_end(ap);
    }
    return 0;
}

/* Contiguous (DMA) allocations: the only memory besides request buffers
 * the HBA may touch. */
static struct { PUCHAR Base; SIZE_T Bytes; } Contig[16];
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS pa = { .QuadPart = (LONGLONG)(ULONG_PTR)Va };
    return pa;
}
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T Bytes, PHYSICAL_ADDRESS Low,
                                             PHYSICAL_ADDRESS High, PHYSICAL_ADDRESS Boundary,
                                             MEMORY_CACHING_TYPE Type)
{
    for (int i = 0; i < 16; i++)
        if (!Contig[i].Base) {
            Contig[i].Base = aligned_alloc(4096, (Bytes + 4095) & ~4095ul);
            Contig[i].Bytes = Bytes;
            memset(Contig[i].Base, 0, Bytes);
            return Contig[i].Base;
        }
    return NULL;
}
VOID MmFreeContiguousMemory(PVOID Base)
{
    for (int i = 0; i < 16; i++)
        if (Contig[i].Base == Base) {
            free(Base);
            Contig[i].Base = NULL;
            return;
        }
    Violation("MmFreeContiguousMemory of memory not allocated", (long)(ULONG_PTR)Base, 0);
}
PVOID MmMapIoSpace(PHYSICAL_ADDRESS Pa, SIZE_T Bytes, MEMORY_CACHING_TYPE Type)
{
    return ModelAbar();
}
VOID MmUnmapIoSpace(PVOID Base, SIZE_T Bytes) { }
VOID KeInitializeTimer(PKTIMER Timer) { }
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER Due, LONG Period, PKDPC Dpc) { return FALSE; }
BOOLEAN KeCancelTimer(PKTIMER Timer) { return FALSE; }

/* PCI configuration space: the model's, behind a lower device that
 * answers at once (as kernel/pnp/pcibus.c does). */
typedef struct { IRP irp; IO_STACK_LOCATION stack[2]; } CFG_IRP;
PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    CFG_IRP *f = calloc(1, sizeof(*f));
    f->irp.StackCount = 1;
    f->irp.CurrentLocation = 2;
    f->irp.Tail.Overlay.CurrentStackLocation = &f->stack[1];
    return &f->irp;
}
VOID IoFreeIrp(PIRP Irp) { free(Irp); }
NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->CurrentLocation--;
    Irp->Tail.Overlay.CurrentStackLocation--;
    PIO_STACK_LOCATION st = IoGetCurrentIrpStackLocation(Irp);
    ULONG off = st->Parameters.ReadWriteConfig.Offset, len = st->Parameters.ReadWriteConfig.Length;
    if (off + len > 256)
        Violation("PCI config access past 256 bytes", off, len);
    if (st->MinorFunction == IRP_MN_WRITE_CONFIG)
        memcpy(ModelConfigSpace() + off, st->Parameters.ReadWriteConfig.Buffer, len);
    else
        memcpy(st->Parameters.ReadWriteConfig.Buffer, ModelConfigSpace() + off, len);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = len;
    if (st->CompletionRoutine)
        st->CompletionRoutine(NULL, Irp, st->Context);
    return STATUS_SUCCESS;
}

/* ---- IRQL, locks, DPCs: one CPU.  DPCs run at DISPATCH_LEVEL when the
 * IRQL drops below it, never nested; an interrupt the model asserts is
 * taken before any spin lock is acquired (the ISR runs above
 * DISPATCH_LEVEL whenever the line is up, so a driver that looks under
 * its lock sees what the ISR recorded by then). ---- */
static AHCI_CONTROLLER ctrl;
static KIRQL Irql;
static int InDpc;
/* IsReadSeq: the access whose view of PxIS the driver last had (one less
 * when an error landed right after that read); IsReadAt: where that read
 * really was, for ordering it against the port lock's release. */
static ULONG64 LockSeq[MODEL_MAX_PORTS], UnlockSeq[MODEL_MAX_PORTS], IsReadSeq[MODEL_MAX_PORTS],
    IsReadAt[MODEL_MAX_PORTS];

static void RunDpcs(void)
{
    if (InDpc)
        return;
    InDpc = 1;
    KIRQL old = Irql;
    Irql = DISPATCH_LEVEL;
    /* host_support runs work items when its own IRQL drops; here the IRQL
     * is this file's, so the worker (recovery, hot-plug) runs below, once
     * this IRQL is back at PASSIVE_LEVEL. */
    host_hold_work_items = TRUE;
    host_run_dpcs();
    host_hold_work_items = FALSE;
    Irql = old;
    InDpc = 0;
    if (Irql == PASSIVE_LEVEL)
        host_run_work_items();
}
KIRQL KeGetCurrentIrql(VOID) { return Irql; }
VOID KeRaiseIrql(KIRQL New, PKIRQL Old)
{
    if (New < Irql)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, New, Irql, 0, 0);
    *Old = Irql;
    Irql = New;
}
VOID KeLowerIrql(KIRQL New)
{
    Irql = New;
    if (New < DISPATCH_LEVEL)
        RunDpcs();
}
KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    return old;
}
static void Locking(PKSPIN_LOCK L)
{
    /* A level line still up after the ISR (a bit that came while it ran,
     * AHCI 10.7.2.1) interrupts again at once. */
    for (int i = 0; i < 8 && ModelInterruptAsserted(); i++)
        ModelInterruptNow();
    if (*L)
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)L, 0, 0, 0);
    *L = 1;
    for (ULONG p = 0; p < MODEL_MAX_PORTS; p++)
        if (ctrl.Ports[p] && L == &ctrl.Ports[p]->Lock)
            LockSeq[p] = ModelAccessCount();
}
VOID KeAcquireSpinLock(PKSPIN_LOCK L, PKIRQL Old)
{
    KeRaiseIrql(DISPATCH_LEVEL, Old);
    Locking(L);
}
static void Unlocking(PKSPIN_LOCK L)
{
    if (!*L)
        KeBugCheckEx(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)L, 0, 0, 0);
    *L = 0;
    for (ULONG p = 0; p < MODEL_MAX_PORTS; p++)
        if (ctrl.Ports[p] && L == &ctrl.Ports[p]->Lock)
            UnlockSeq[p] = ModelAccessCount();
}
VOID KeReleaseSpinLock(PKSPIN_LOCK L, KIRQL New)
{
    Unlocking(L);
    KeLowerIrql(New);
}
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK L) { Locking(L); }
VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK L) { Unlocking(L); }

/* ---- the requests and what the device did with them ---- */
typedef struct {
    AHCI_SIM_REQ *R;
    PUCHAR Buf;
    ULONG Bytes, Lba, Port;
    char Kind;                  /* 'r', 'w', 'f' */
    BOOLEAN Live, Done;
    BOOLEAN DeviceOk;           /* the device's last run of it ended without error */
    BOOLEAN DataOk;             /* ... and buffer and medium agreed then */
} REQ;
static REQ Req[MAX_REQ];
static ULONG NReq;
static int SlotReq[MODEL_MAX_PORTS][32];     /* request the device is running in a slot, -1 */

static REQ *ReqOfSrb(PSCSI_REQUEST_BLOCK Srb)
{
    for (ULONG i = 0; i < NReq; i++)
        if (&Req[i].R->srb == Srb)
            return &Req[i];
    return NULL;
}

static PUCHAR Medium(ULONG Port, ULONG Lba) { return ModelDriveData(Port) + (ULONG64)Lba * 512; }

VOID IoCompleteRequest(PIRP Irp, CCHAR Boost)
{
    REQ *q = NULL;
    for (ULONG i = 0; i < NReq; i++)
        if (&Req[i].R->irp == Irp)
            q = &Req[i];
    if (!q)
        Violation("completion of an IRP nobody sent", (long)(ULONG_PTR)Irp, 0);
    if (q->Done)
        Violation("request completed twice", (long)(q - Req), q->R->srb.SrbStatus);
    q->Done = TRUE;
    UCHAR st = SRB_STATUS(q->R->srb.SrbStatus);
    if (st == SRB_STATUS_SUCCESS || st == SRB_STATUS_DATA_OVERRUN ||
        NT_SUCCESS(Irp->IoStatus.Status)) {
        if (!q->DeviceOk)
            Violation("success for a request the device did not finish without error",
                      (long)(q - Req), q->Kind);
        if (!q->DataOk)
            Violation(q->Kind == 'r' ? "read succeeded with data that was not on the medium" :
                      "write succeeded but was not on the medium", (long)(q - Req), q->Lba);
    }
}

/* ---- the input ---- */
static const uint8_t *In;
static size_t Front, Back;
static int Take(void) { return Front < Back ? In[Front++] : -1; }
static int TakeDev(void) { return Back > Front ? In[--Back] : -1; }
static int TakeOr(int Default) { int v = Take(); return v < 0 ? Default : v; }

static BOOLEAN Fuzzing;         /* after start, before the drain: the device decides */
static ULONG NPorts;
static ULONG64 EntryNow, EntryAccesses;
static ULONG64 GlitchAt;
static int Glitch = -1;

/* ---- the device ---- */
static void DeviceEvent(ULONG Port, int E, int Arg);

static void Decide(ULONG Port, ULONG Slot, const UCHAR *Cfis, MODEL_END *End)
{
    PAHCI_PORT port = ctrl.Ports[Port];
    UCHAR c = Cfis[2];
    /* The driver's own commands (IDENTIFY, SET FEATURES, READ LOG EXT)
     * borrow slot 0 while its request is taken back; they use port DMA
     * memory only, which Dma checks. */
    BOOLEAN internal = c == ATA_CMD_IDENTIFY_DEVICE || c == ATA_CMD_SET_FEATURES ||
                       c == ATA_CMD_READ_LOG_EXT;
    REQ *q = port && !internal ? ReqOfSrb(port->Slots[Slot].Srb) : NULL;

    SlotReq[Port][Slot] = q ? (int)(q - Req) : -1;
    if (q) {
        /* The command the HBA fetched must be this request's. */
        ULONG64 lba = Cfis[4] | ((ULONG64)Cfis[5] << 8) | ((ULONG64)Cfis[6] << 16) |
                      ((ULONG64)Cfis[8] << 24);
        BOOLEAN ok = q->Kind == 'r' ? (c == ATA_CMD_READ_FPDMA_QUEUED || c == ATA_CMD_READ_DMA_EXT) :
                     q->Kind == 'w' ? (c == ATA_CMD_WRITE_FPDMA_QUEUED || c == ATA_CMD_WRITE_DMA_EXT) :
                     (c == ATA_CMD_FLUSH_CACHE || c == ATA_CMD_FLUSH_CACHE_EXT);
        if (!ok || (q->Kind != 'f' && lba != q->Lba))
            Violation("slot's command FIS is not its request's", (long)Slot, c);
        if (q->Done)
            Violation("device handed a request already completed", (long)(q - Req), (long)Slot);
        q->DeviceOk = FALSE;
    }
    int b = Fuzzing ? TakeDev() : -1;
    if (getenv("FUZZ_AHCI_LOG"))
        fprintf(stderr, "device: port %u slot %u command %02x request %d decision %d\n", Port,
                Slot, c, SlotReq[Port][Slot], b);
    if (b < 0)
        return;                 /* well, in the drive's own time */
    if (b < 0x80) {
        End->ServiceUs = 5 + (b & 0x1F) * 15;
        if (b & 0x20) {
            End->GarbageFis = TRUE;
            for (int i = 0; i < 16; i++)
                End->Garbage[i] = (UCHAR)(TakeDev() * 37 + i);
        }
        if (b & 0x40) {
            End->SetPrdbc = TRUE;
            End->Prdbc = (ULONG)TakeDev() * 0x1010101u;
        }
    } else if (b < 0x90) {
        End->NoInterrupt = TRUE;
        End->ServiceUs = 5 + (b & 0xF) * 40;
    } else if (b < 0xB0) {
        End->Kind = ModelEndError;
        End->Status = (b & 1) ? ATA_STS_DF : ATA_STS_ERR;
        End->Error = (UCHAR)TakeDev();
        if (b & 2) {
            End->LogLies = TRUE;
            End->LogTag = (UCHAR)TakeDev();
        }
        End->ServiceUs = 5 + (b & 0xC) * 10;
    } else if (b < 0xC0) {
        /* QEMU's non-queued failure: PxCI cleared, ERR in the FIS.  (A
         * queued tag's PxSACT bit never clears on error, SATA 13.6.3.5.) */
        BOOLEAN ncq = Cfis[2] == ATA_CMD_READ_FPDMA_QUEUED || Cfis[2] == ATA_CMD_WRITE_FPDMA_QUEUED;
        End->Kind = ncq ? ModelEndError : ModelEndErrorClears;
        End->Status = ATA_STS_ERR;
        End->Error = ATA_ERR_ABRT;
    } else if (b < 0xD0) {
        End->Kind = ModelEndSilentNcq;
    } else if (b < 0xE0) {
        End->Kind = ModelEndHang;
    } else if (b < 0xF0) {
        static const ULONG bits[4] = { AHCI_PxIS_IFS, AHCI_PxIS_HBFS, AHCI_PxIS_HBDS,
                                       AHCI_PxIS_IFS | AHCI_PxIS_INFS };
        End->Kind = ModelEndInterface;
        End->IsBits = bits[b & 3];
    } else {
        End->ServiceUs = ((b & 0xF) + 1) * 50000;   /* slow: up to 800 ms */
    }
}

static void Ended(ULONG Port, ULONG Slot, BOOLEAN Ok)
{
    int i = SlotReq[Port][Slot];
    if (getenv("FUZZ_AHCI_LOG"))
        fprintf(stderr, "device: port %u slot %u request %d ended %s\n", Port, Slot, i,
                Ok ? "well" : "in error");
    if (i >= 0) {
        /* The data is compared now: a disk swapped later (hot plug)
         * changes the medium, not what this run did. */
        REQ *q = &Req[i];
        q->DeviceOk = Ok;
        q->DataOk = q->Kind == 'f' || !memcmp(q->Buf, Medium(Port, q->Lba), q->Bytes);
    }
    SlotReq[Port][Slot] = -1;
}

static BOOLEAN InContig(ULONG64 A, ULONG Bytes)
{
    for (int i = 0; i < 16; i++) {
        ULONG64 b = (ULONG64)(ULONG_PTR)Contig[i].Base;
        if (Contig[i].Base && A >= b && A + Bytes <= b + Contig[i].Bytes)
            return TRUE;
    }
    return FALSE;
}

static void Dma(ULONG Port, ULONG Slot, MODEL_DMA_KIND Kind, ULONG64 A, ULONG Bytes, BOOLEAN ToHost)
{
    if (Kind != ModelDmaData || SlotReq[Port][Slot] < 0) {
        if (!InContig(A, Bytes))
            Violation("HBA DMA outside the port's DMA memory", (long)Kind, (long)Slot);
        return;
    }
    REQ *q = &Req[SlotReq[Port][Slot]];
    ULONG64 b = (ULONG64)(ULONG_PTR)q->Buf;
    if (A < b || A + Bytes > b + q->Bytes)
        Violation("data DMA outside the buffer of the slot's request", (long)Slot, (long)(A - b));
    if (ToHost != (q->Kind == 'r'))
        Violation("data DMA against the request's direction", (long)Slot, ToHost);
}

static void Access(ULONG Off, BOOLEAN Write, ULONG Value)
{
    ULONG64 n = ModelAccessCount();

    if (!Write && Off >= AHCI_PORT_BASE &&
        (Off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE == AHCI_PxIS) {
        IsReadSeq[(Off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE] = n;
        IsReadAt[(Off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE] = n;
    }
    if (ModelNowUs() - EntryNow > WAIT_BOUND_S * 1000000ull)
        Violation("a driver call waited past the bound (virtual time)",
                  (long)((ModelNowUs() - EntryNow) / 1000), 0);
    /* A spin with no stall: each look costs what a real MMIO read does,
     * and a long one more, so bounded spins end in bounded work. */
    if (n - EntryAccesses > 200000)
        ModelAccessCost = 1000;
    if (Glitch >= 0 && n >= GlitchAt) {
        int g = Glitch;
        ULONG p = (ULONG)g % NPorts;
        Glitch = -1;
        /* The glitch lands after this access: if it was a read of PxIS,
         * that read did not show it (the error's count is this access's). */
        if (IsReadSeq[p] == n)
            IsReadSeq[p] = n - 1;
        DeviceEvent(p, (g >> 4) % 4 + 4, g);
    }
}

static void IssueInError(ULONG Port, ULONG NewBits, ULONG64 Since)
{
    BOOLEAN locked = ctrl.Ports[Port] && ctrl.Ports[Port]->Lock;
    /* What the driver can know of: what the ISR had recorded when the
     * lock was taken (Locking runs it first, when the port's interrupts
     * are on), or what its last PxIS read showed.  A PxIS read made since
     * the port lock was last let go is the look this doorbell follows
     * (AhciPollOnce reads before it locks); an error landing after it is a
     * race no driver can close.  A read from before that is an old look:
     * it excuses nothing. */
    ULONG64 ref = locked ? LockSeq[Port] : ModelAccessCount();
    if (IsReadAt[Port] > UnlockSeq[Port])
        ref = IsReadSeq[Port];
    else if (IsReadSeq[Port] > ref)
        ref = IsReadSeq[Port];
    if (getenv("FUZZ_AHCI_LOG"))
        fprintf(stderr, "issue in error state: port %u bits %08x since %llu lock %llu (held %d) "
                "PxIS read %llu unlock %llu now %llu\n", Port, NewBits, (unsigned long long)Since,
                (unsigned long long)LockSeq[Port], locked, (unsigned long long)IsReadSeq[Port], (unsigned long long)UnlockSeq[Port],
                (unsigned long long)ModelAccessCount());
    if (Since <= ref)
        Violation("command issued while the port is in its error state", (long)Port, (long)NewBits);
}

static void BadAccess(PCSTR What, ULONG Offset) { Violation(What, (long)Offset, 0); }

static const MODEL_HOOKS Hooks = { Decide, Ended, Access, Dma, IssueInError, BadAccess };

/* Events the device causes on its own: E 0 unplug, 1 plug, 2 PHY glitch,
 * 3 slumber, 4 non-fatal PxIS, 5 fatal PxIS, 6 PxSERR bits, 7 an
 * unsolicited D2H FIS, 8 an engine that will not stop. */
static void DeviceEvent(ULONG Port, int E, int Arg)
{
    static const MODEL_DRIVE_CONFIG plug = { .Present = TRUE, .NcqDepth = 32, .Gpl = TRUE,
                                             .LinkMs = 5, .BusyMs = 20, .CommandUs = 20 };
    static const ULONG nonFatal[4] = { AHCI_PxIS_DHRS | AHCI_PxIS_SDBS, AHCI_PxIS_DPS | AHCI_PxIS_PSS,
                                       AHCI_PxIS_INFS, AHCI_PxIS_OFS | AHCI_PxIS_UFS };
    static const ULONG fatal[4] = { AHCI_PxIS_TFES, AHCI_PxIS_IFS, AHCI_PxIS_HBFS, AHCI_PxIS_HBDS };

    switch (E) {
    case 0: ModelUnplug(Port); break;
    case 1: ModelPlug(Port, &plug); break;
    case 2: ModelLinkGlitch(Port); break;
    case 3: ModelForceSlumber(Port); break;
    case 4: ModelRaiseIs(Port, nonFatal[Arg & 3]); break;
    case 5: ModelRaiseIs(Port, fatal[Arg & 3]); break;
    case 6: ModelRaiseSerr(Port, (1u << (Arg & 31)) & ~(AHCI_PxSERR_DIAG_N | AHCI_PxSERR_DIAG_X)); break;
    case 7: ModelPostTfd(Port, (UCHAR)(Arg & ~(ATA_STS_BSY | ATA_STS_DRQ)), (UCHAR)(Arg >> 3)); break;
    case 8: ModelStickEngine(Port); break;
    }
}

/* ---- the workload ---- */
static ULONG TimeoutS;

static void Enter(void)
{
    EntryNow = ModelNowUs();
    EntryAccesses = ModelAccessCount();
    ModelAccessCost = 10;       /* 1 us: an MMIO read on real hardware */
}

static void Submit(ULONG Port, char Kind, ULONG Blocks)
{
    PAHCI_PORT port = ctrl.Ports[Port];

    if (NReq >= MAX_REQ || !port)
        return;
    /* pdo.c refuses requests for a port that is not ready. */
    if (port->State != AhciPortReady)
        return;
    REQ *q = &Req[NReq];
    memset(q, 0, sizeof(*q));
    q->Kind = Kind;
    q->Port = Port;
    q->Lba = 8 + NReq * 16;
    q->Bytes = Kind == 'f' ? 0 : Blocks * 512;
    q->Buf = aligned_alloc(4096, 4096);
    for (ULONG i = 0; i < 4096; i++)
        q->Buf[i] = (UCHAR)(Kind == 'w' ? (NReq * 131 + i * 7 + 1) : 0xEE);
    q->R = AhciSimRequest(Kind == 'f' ? NULL : q->Buf, q->Bytes, NULL, 0);
    if (Kind == 'f') {
        q->R->srb.CdbLength = 10;
        q->R->srb.Cdb[0] = SCSIOP_SYNCHRONIZE_CACHE;
    } else {
        AhciSimCdbRw(q->R, Kind == 'r' ? SCSIOP_READ : SCSIOP_WRITE, q->Lba, (USHORT)Blocks);
        q->R->srb.SrbFlags |= Kind == 'r' ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT;
    }
    q->R->srb.TimeOutValue = TimeoutS;
    /* In poll mode the originator polls (IoPollDevice), as disk.sys does. */
    if (port->Mode == NtstorAhciModePoll)
        q->R->irp.Flags |= IRP_NTSTOR_POLLED;
    q->Live = TRUE;
    NReq++;
    Enter();
    AhciSubmitSrb(port, &q->R->irp, &q->R->srb);
}

/* What IoPollDevice does for each disk in poll mode (pdo.c AhciPdoPoll). */
static void PollAll(void)
{
    for (ULONG p = 0; p < NPorts; p++) {
        PAHCI_PORT port = ctrl.Ports[p];
        if (port && port->State == AhciPortReady && port->Mode == NtstorAhciModePoll) {
            Enter();
            AhciPollLook(port);
        }
    }
}

static void Pass(ULONG Us)
{
    Enter();
    ModelAdvanceUs(Us);
    RunDpcs();
}

static ULONG64 NextWatchdog;
static void Watchdog(void)
{
    if (ModelNowUs() < NextWatchdog)
        return;
    NextWatchdog = ModelNowUs() + AHCI_WATCHDOG_PERIOD_MS * 1000;
    Enter();
    KeInsertQueueDpc(&ctrl.WatchdogDpc, NULL, NULL);
    RunDpcs();
}

static BOOLEAN AllDone(void)
{
    for (ULONG i = 0; i < NReq; i++)
        if (!Req[i].Done)
            return FALSE;
    return TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    static union {
        CM_RESOURCE_LIST list;
        UCHAR space[sizeof(CM_RESOURCE_LIST) + 4 * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR)];
    } res;
    static DEVICE_OBJECT lower;
    MODEL_DRIVE_CONFIG d[MODEL_MAX_PORTS] = { { 0 } };
    MODEL_OPTIONS o = { 0 };

    if (Size < 2)
        return 0;
    In = Data;
    Front = 0;
    Back = Size;
    int c0 = Take(), c1 = Take();
    NTSTOR_AHCI_MODE mode = (NTSTOR_AHCI_MODE)(c0 % 3);
    NPorts = 1 + ((c0 >> 2) & 1);
    o.Profile = (c0 & 0x20) ? ModelIntelPch : ModelIch9Qemu;
    o.Ports = NPorts;
    o.LinkUpAtStart = TRUE;
    for (ULONG p = 0; p < NPorts; p++)
        d[p] = (MODEL_DRIVE_CONFIG){ .Present = TRUE, .NcqDepth = (c0 & 0x80) ? 0 : 32,
                                     .Gpl = !(c0 & 0x10), .LinkMs = 5, .BusyMs = 20,
                                     .CommandUs = 20 };
    TimeoutS = 1 + ((c1 >> 5) & 1);

    KeRemoveQueueDpc(&ctrl.Dpc);
    KeRemoveQueueDpc(&ctrl.WatchdogDpc);
    memset(SlotReq, 0xFF, sizeof(SlotReq));
    memset(LockSeq, 0, sizeof(LockSeq));
    memset(IsReadSeq, 0, sizeof(IsReadSeq));
    memset(UnlockSeq, 0, sizeof(UnlockSeq));
    memset(IsReadAt, 0, sizeof(IsReadAt));
    NReq = 0;
    Fuzzing = FALSE;
    Glitch = -1;
    Irql = PASSIVE_LEVEL;
    ModelStallFloorUs = 200;
    ModelInit(&o, d);
    ModelHooks = &Hooks;
    /* The sectors requests use, each different, so a read that returns
     * the wrong sector's data shows. */
    for (ULONG p = 0; p < NPorts; p++) {
        PUCHAR m = ModelDriveData(p);
        for (ULONG i = 0; i < (8 + MAX_REQ * 16) * 512; i += 8)
            *(ULONG64 *)(m + i) = i * 0x9E3779B97F4A7C15ull + p;
    }

    memset(&AhciParameters, 0, sizeof(AhciParameters));
    AhciParameters.InterruptMode = mode;
    AhciParameters.Ncq = !(c0 & 0x08);
    AhciParameters.MaxQueueDepth = 1 + (c1 & 31);
    memset(&ctrl, 0, sizeof(ctrl));
    ctrl.IsFdo = TRUE;
    lower.StackSize = 1;
    ctrl.LowerDevice = &lower;
    KeInitializeDpc(&ctrl.Dpc, AhciDpc, &ctrl);
    KeInitializeDpc(&ctrl.WatchdogDpc, AhciWatchdogDpc, &ctrl);
    memset(&res, 0, sizeof(res));
    res.list.Count = 1;
    PCM_PARTIAL_RESOURCE_LIST pl = &res.list.List[0].PartialResourceList;
    pl->PartialDescriptors[0].Type = CmResourceTypeMemory;
    pl->PartialDescriptors[0].u.Memory.Start.QuadPart = 0xFEB00000;
    pl->PartialDescriptors[0].u.Memory.Length = ModelAbarLength();
    pl->Count = 1;
    if (mode != NtstorAhciModePoll) {
        /* MSI as pnp.h offers it (LATCHED|MESSAGE) and INTx beside it. */
        if (mode == NtstorAhciModeMsi) {
            pl->PartialDescriptors[pl->Count].Type = CmResourceTypeInterrupt;
            pl->PartialDescriptors[pl->Count].Flags = CM_RESOURCE_INTERRUPT_MESSAGE |
                                                      CM_RESOURCE_INTERRUPT_LATCHED;
            pl->PartialDescriptors[pl->Count].u.Interrupt.Vector = 0x41;
            pl->PartialDescriptors[pl->Count].u.Interrupt.Level = 5;
            pl->Count++;
        }
        pl->PartialDescriptors[pl->Count].Type = CmResourceTypeInterrupt;
        pl->PartialDescriptors[pl->Count].u.Interrupt.Vector = 0x40;
        pl->PartialDescriptors[pl->Count].u.Interrupt.Level = 5;
        pl->Count++;
    }
    Enter();
    if (!NT_SUCCESS(AhciHbaStart(&ctrl, &res.list)))
        Violation("the kind device's HBA did not start", 0, 0);
    RunDpcs();
    NextWatchdog = ModelNowUs() + AHCI_WATCHDOG_PERIOD_MS * 1000;

    Fuzzing = TRUE;
    for (int step = 0; step < MAX_STEPS; step++) {
        int b = Take();
        if (b < 0)
            break;
        ULONG port = (ULONG)(b >> 7) % NPorts;
        switch (b % 12) {
        case 0: case 1: case 2: {
            int n = 1 + ((b >> 4) & 7);
            for (int i = 0; i < n; i++)
                Submit(port, 'r', 1 + (TakeOr(0) & 7));
            break;
        }
        case 3:
            Submit(port, 'w', 1 + (TakeOr(0) & 7));
            break;
        case 4:
            Submit(port, 'f', 0);
            break;
        case 5:
            Pass(((ULONG)TakeOr(0) + 1) * 20);
            break;
        case 6:
            PollAll();
            break;
        case 7:
            Pass(AHCI_WATCHDOG_PERIOD_MS * 1000);
            Watchdog();
            break;
        case 8: {
            int e = TakeOr(0);
            DeviceEvent((ULONG)(e >> 7) % NPorts, (e & 0x7F) % 9, TakeOr(0));
            Pass(10);
            break;
        }
        case 9:
            if (ctrl.Ports[port] && ctrl.Ports[port]->State == AhciPortReady) {
                Enter();
                AhciResetPort(ctrl.Ports[port]);    /* SRB_FUNCTION_RESET_DEVICE */
            }
            break;
        case 10:
            GlitchAt = ModelAccessCount() + (ULONG)TakeOr(0);
            Glitch = TakeOr(0);
            break;
        case 11:
            if (ctrl.Ports[port] && ctrl.Ports[port]->State == AhciPortReady) {
                Enter();
                AhciSetPortMode(ctrl.Ports[port], (NTSTOR_AHCI_MODE)(TakeOr(0) % 3));
                RunDpcs();
            }
            break;
        }
    }

    /* The device turns kind; every request must end within DRAIN_S. */
    Fuzzing = FALSE;
    Glitch = -1;
    ULONG64 until = ModelNowUs() + DRAIN_S * 1000000ull;
    while (!AllDone() && ModelNowUs() < until) {
        Pass(2000);
        PollAll();
        Watchdog();
    }
    for (ULONG i = 0; i < NReq; i++)
        if (!Req[i].Done)
            Violation("request lost: never completed", (long)i,
                      ctrl.Ports[Req[i].Port] ? ctrl.Ports[Req[i].Port]->State : -1);

    Enter();
    AhciHbaStop(&ctrl);
    ModelHooks = NULL;
    ModelFree();
    for (ULONG i = 0; i < NReq; i++) {
        free(Req[i].R);
        free(Req[i].Buf);
    }
    return 0;
}
