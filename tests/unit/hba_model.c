/* hba_model.c - the behavioural AHCI HBA and drive model (hba_model.h).
 * Each behaviour names its source: the AHCI 1.3.1 section, the SATA 3.x or
 * ACS-3 clause, or the Linux (drivers/ata/ahci.c, libahci.c, libata-eh.c)
 * or storahci comment that documents what real hardware does.  DMA
 * addresses are host pointers: the tests' MmGetPhysicalAddress is the
 * identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wdm.h>
#include "hba_model.h"

MODEL_STATS ModelStats;
BOOLEAN ModelDeliverInterrupts = TRUE;
const MODEL_HOOKS *ModelHooks;
ULONG ModelAccessCost = 1;
ULONG ModelStallFloorUs;

typedef enum { LinkDown, LinkTraining, LinkFailed, LinkUp, LinkSlumber, LinkWaking } LINK;

typedef struct {
    MODEL_DRIVE_CONFIG Cfg;
    BOOLEAN SpunUp, Dipm, NcqError;
    UCHAR ErrTag, ErrSts, ErrErr;
    ULONG64 FailLba;
    ULONG FailTimes;            /* 0: fails forever */
    BOOLEAN FailArmed;
    PUCHAR Data;
} DRIVE;

typedef struct {
    ULONG Clb, Clbu, Fb, Fbu, IsStored, Ie, Cmd, Tfd, Sig, Sctl, Serr, Sact, Ci;
    LINK Link;
    ULONG64 LinkAt;             /* training/waking ends */
    ULONG64 BusyUntil;          /* drive BSY after reset or during spin-up */
    BOOLEAN SigPending;         /* signature FIS not yet posted */
    BOOLEAN Halted;             /* 6.2.2: stopped after an error until ST is cycled */
    BOOLEAN Wedged;             /* ST set against 10.3.1's rules */
    BOOLEAN Stuck;              /* CR will not clear */
    ULONG64 DoneAt[32];         /* accepted command's completion time, 0 = none */
    ULONG64 IdleSince;
    DRIVE D;
    MODEL_END End[32];          /* ModelHooks' decision for each accepted command */
    ULONG64 ErrorSince;         /* ModelErrorSince */
} PORT;

static struct {
    MODEL_OPTIONS O;
    ULONG Cap, Ghc, Is, Pi, Cap2, Bohc;
    ULONG PiSaved;
    BOOLEAN PiWritable;
    ULONG AeWrites;
    ULONG64 HrDoneAt, BiosBusyAt, BiosDoneAt;
    PORT P[MODEL_MAX_PORTS];
    UCHAR Cfg[256];
    UCHAR *Abar;
    ULONG64 Now;                /* 100 ns units, as KeQueryInterruptTime */
    PKSERVICE_ROUTINE Isr;
    PVOID IsrContext;
    BOOLEAN InIsr;
    ULONG64 Accesses;           /* driver register accesses, from 1 */
} M;

#define US(x) ((ULONG64)(x) * 10)
#define MS(x) ((ULONG64)(x) * 10000)

/* SATA 3.x: a slumber exit takes up to 10 ms, partial 10 us; the model
 * idles into slumber after 50 ms without commands (a typical DIPM/HIPM
 * timer on Intel PCH and AMD FCH parts). */
#define MODEL_SLUMBER_EXIT_MS   10
#define MODEL_IDLE_TO_SLUMBER_MS 50
#define MODEL_HBA_RESET_MS      2

static const struct {
    const char *Name;
    USHORT Vendor, Device;
    ULONG ClassCode;
    ULONG Cap;
    ULONG PhantomPi;            /* PI bits with no port behind them */
} Profiles[ModelProfileCount] = {
    /* QEMU hw/ide/ich.c: 8086:2922, CAP 0x40141F05-like, six ports. */
    [ModelIch9Qemu] = { "ich9-qemu", 0x8086, 0x2922, 0x010601,
                        AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SAM | AHCI_CAP_SCLO, 0 },
    /* Intel 8-series PCH in AHCI mode; Linux ahci.c ahci_pci_reset_controller /
     * ahci_intel_pcs_quirk set PCS (config 92h) port enables after reset. */
    [ModelIntelPch] = { "intel-pch", 0x8086, 0x8c02, 0x010601,
                        AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SSS | AHCI_CAP_SCLO |
                        AHCI_CAP_SALP | AHCI_CAP_PSC | AHCI_CAP_SSC, 0 },
    /* Linux board_ahci_sb600: AHCI_HFLAG_32BIT_ONLY, max 255 sectors. */
    [ModelAmdSb600] = { "amd-sb600", 0x1002, 0x4380, 0x010601,
                        AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO, 0 },
    /* Linux ahci.c: ASMedia ASM106x can DMA to 43 bits only. */
    [ModelAsm1062] = { "asm1062", 0x1b21, 0x0612, 0x010601,
                       AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO, 0 },
    /* Linux ahci.c ahci_pci_save_initial_config: ASM1166 reports ports
     * past its six in PI. */
    [ModelAsm1166] = { "asm1166", 0x1b21, 0x1166, 0x010601,
                       AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO, 0xC0 },
    /* Linux: "JMB361 has only one port"; JMicron functions may carry the
     * IDE class code 0101xx; AHCI_HFLAG_IGN_IRQ_IF_ERR. */
    [ModelJmb361] = { "jmb361", 0x197b, 0x2361, 0x010185,
                      AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO, 0x2 },
    /* Linux ahci.c: Marvell 88SE91xx expose a port that is no SATA port. */
    [ModelMarvell91xx] = { "marvell-91xx", 0x1b4b, 0x9123, 0x010601,
                           AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO, 0x4 },
};

/* ---- clock ---- */
ULONGLONG KeQueryInterruptTime(VOID) { return M.Now; }
ULONG64 KeQueryTimeUs(VOID) { return M.Now / 10; }
ULONG64 ModelNowUs(VOID) { return M.Now / 10; }
static VOID ModelTick(VOID);
/* Spinning at DISPATCH_LEVEL or above is counted: pitfall 4's long waits
 * must not happen there.  The floor keeps a fuzzer's thousands of 1 us
 * polls cheap. */
VOID KeStallExecutionProcessor(ULONG Us)
{
    if (KeGetCurrentIrql() >= DISPATCH_LEVEL)
        ModelStats.DispatchStallUs += Us ? Us : 1;
    if (Us < ModelStallFloorUs)
        Us = ModelStallFloorUs;
    ModelAdvanceUs(Us ? Us : 1);
}

/* ---- interrupts: the model is the interrupt controller ---- */
NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector,
                            KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave)
{
    static UCHAR object[64];
    M.Isr = ServiceRoutine;
    M.IsrContext = ServiceContext;
    *InterruptObject = (PKINTERRUPT)object;
    return STATUS_SUCCESS;
}
VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject) { M.Isr = NULL; }

BOOLEAN ModelInterruptAsserted(VOID) { return (M.Ghc & AHCI_GHC_IE) && M.Is; }

/* ---- registers ---- */
static PORT *PortOf(ULONG Index) { return &M.P[Index]; }

/* 3.3.5: PCS "reflects the state of PxSERR.DIAG.X ... cleared when DIAG.X
 * is cleared"; PRCS "reflects the state of PxSERR.DIAG.N".  Writing 1 to
 * them in PxIS does nothing. */
static ULONG PortIs(PORT *p)
{
    ULONG is = p->IsStored & ~(AHCI_PxIS_PCS | AHCI_PxIS_PRCS);
    if (p->Serr & AHCI_PxSERR_DIAG_X)
        is |= AHCI_PxIS_PCS;
    if (p->Serr & AHCI_PxSERR_DIAG_N)
        is |= AHCI_PxIS_PRCS;
    return is;
}

/* 3.1.3 / 10.7.2.1: IS.IPS[p] is set while (PxIS & PxIE) has a bit;
 * clearing IS with the port's condition still there sets it again. */
static VOID UpdateIs(VOID)
{
    for (ULONG i = 0; i < M.O.Ports; i++)
        if (PortIs(&M.P[i]) & M.P[i].Ie)
            M.Is |= 1u << i;
}

static ULONG Ssts(PORT *p)
{
    switch (p->Link) {
    case LinkUp:
        return AHCI_PxSSTS_DET_PHY | (3u << AHCI_PxSSTS_SPD_SHIFT) |
               (AHCI_PxSSTS_IPM_ACTIVE << AHCI_PxSSTS_IPM_SHIFT);
    /* The issue's observation of real PCH/FCH ports: in slumber the PHY is
     * not ready (SATA 3.x 8.4: PhyRdy negated in Partial/Slumber), so DET
     * reads 1 with IPM 6. */
    case LinkSlumber:
    case LinkWaking:
        return AHCI_PxSSTS_DET_PRESENT | (3u << AHCI_PxSSTS_SPD_SHIFT) | (6u << AHCI_PxSSTS_IPM_SHIFT);
    /* SATA 3.x 8.4 OOB: COMINIT from the device shows it present (DET=1)
     * while speed negotiation runs; a failed training stays there. */
    case LinkTraining:
    case LinkFailed:
        return AHCI_PxSSTS_DET_PRESENT;
    default:
        return 0;
    }
}

static BOOLEAN PcsEnabled(ULONG Index)
{
    if (M.O.Profile != ModelIntelPch)
        return TRUE;
    return (M.Cfg[0x92] & (1u << Index)) != 0;
}

static BOOLEAN PortExists(ULONG Index)
{
    return Index < M.O.Ports && !(Profiles[M.O.Profile].PhantomPi & (1u << Index));
}

/* ---- drives ---- */
static VOID PutString(USHORT *Id, ULONG Word, ULONG Words, const char *S)
{
    ULONG n = (ULONG)strlen(S);
    for (ULONG i = 0; i < Words; i++) {
        UCHAR a = 2 * i < n ? (UCHAR)S[2 * i] : ' ', b = 2 * i + 1 < n ? (UCHAR)S[2 * i + 1] : ' ';
        Id[Word + i] = (USHORT)((a << 8) | b);
    }
}

/* ACS-3 7.12.7: IDENTIFY DEVICE data of the drive as it is now. */
static VOID BuildIdentify(ULONG Index, USHORT *Id)
{
    DRIVE *d = &M.P[Index].D;
    BOOLEAN incomplete = d->Cfg.Puis && !d->SpunUp;
    char serial[21];

    memset(Id, 0, 512);
    Id[0] = 0x0040 | (incomplete ? 0x0004 : 0);     /* bit 2: response incomplete */
    /* ACS-3 7.12.7.4 word 2: 37C8h = SET FEATURES spin-up needed, data
     * incomplete; C837h = no spin-up needed, complete. */
    Id[2] = d->Cfg.Puis ? (d->SpunUp ? 0xC837 : 0x37C8) : 0;
    snprintf(serial, sizeof(serial), "MODEL%05u", Index);
    PutString(Id, ATA_ID_SERIAL, 10, serial);
    PutString(Id, ATA_ID_FW_REV, 4, "1.0");
    PutString(Id, ATA_ID_MODEL, 20, "ntstor model disk");
    Id[ATA_ID_CAPABILITIES] = ATA_ID_CAP_LBA | ATA_ID_CAP_DMA;
    if (d->Cfg.NcqDepth) {
        Id[ATA_ID_QUEUE_DEPTH] = (USHORT)(d->Cfg.NcqDepth - 1);
        Id[ATA_ID_SATA_CAPABILITY] = ATA_ID_SATA_NCQ | 0x000E;
    }
    Id[ATA_ID_SATA_FEATURES] = 0x0008;                  /* word 78 bit 3: DIPM supported */
    Id[79] = d->Dipm ? 0x0008 : 0;                      /* word 79 bit 3: DIPM enabled */
    Id[ATA_ID_MAJOR_VERSION] = 0x01F0;
    Id[ATA_ID_COMMAND_SET_1] = ATA_ID_CS1_WRITE_CACHE | ATA_ID_CS1_SMART;
    Id[ATA_ID_COMMAND_SET_2] = 0x4000 | ATA_ID_CS2_LBA48 | ATA_ID_CS2_FLUSH_CACHE | 0x2000 |
                               (d->Cfg.Puis ? 0x0020 : 0);
    Id[ATA_ID_CFSSE] = 0x4000 | (d->Cfg.Gpl ? 0x0020 : 0);
    Id[ATA_ID_CFS_ENABLE_1] = ATA_ID_CS1_WRITE_CACHE | ATA_ID_CS1_SMART;
    Id[ATA_ID_CFS_ENABLE_2] = 0x0400 | 0x2000 | (d->Cfg.Puis ? 0x0020 : 0);
    Id[ATA_ID_CSF_DEFAULT] = 0x4000;
    if (!incomplete) {
        ULONG64 n = d->Cfg.Sectors;
        Id[ATA_ID_LBA48_CAPACITY] = (USHORT)n;
        Id[ATA_ID_LBA48_CAPACITY + 1] = (USHORT)(n >> 16);
        Id[ATA_ID_LBA48_CAPACITY + 2] = (USHORT)(n >> 32);
        Id[ATA_ID_LBA28_CAPACITY] = (USHORT)(n > 0x0FFFFFFF ? 0xFFFF : n);
        Id[ATA_ID_LBA28_CAPACITY + 1] = (USHORT)(n > 0x0FFFFFFF ? 0x0FFF : n >> 16);
    }
    /* Word 106 (ACS-3 7.12.7.55): 4000h valid, bit 13 several logical per
     * physical (3:0 = log2), bit 12 logical sector longer than 256 words
     * (size in words 117-118); word 209 alignment (4000h = offset 0). */
    Id[ATA_ID_SECTOR_SIZE] = 0x4000;
    if (d->Cfg.PhysShift)
        Id[ATA_ID_SECTOR_SIZE] |= 0x2000 | d->Cfg.PhysShift;
    if (d->Cfg.LogicalBytes > 512) {
        Id[ATA_ID_SECTOR_SIZE] |= 0x1000;
        Id[ATA_ID_LOGICAL_SECTOR_SIZE] = (USHORT)(d->Cfg.LogicalBytes / 2);
        Id[ATA_ID_LOGICAL_SECTOR_SIZE + 1] = (USHORT)((d->Cfg.LogicalBytes / 2) >> 16);
    }
    Id[209] = 0x4000 | d->Cfg.AlignOffset;
    Id[ATA_ID_ROTATION_RATE] = 7200;
    UCHAR *b = (UCHAR *)Id, sum = 0;
    b[510] = 0xA5;
    for (int i = 0; i < 511; i++)
        sum = (UCHAR)(sum + b[i]);
    b[511] = (UCHAR)-sum;
}

static VOID DriveReset(PORT *p)
{
    /* SATA 3.x 11.x: COMRESET aborts everything and ends the NCQ error
     * state; the drive then reports BSY until ready. */
    p->D.NcqError = FALSE;
    memset(p->DoneAt, 0, sizeof(p->DoneAt));
}

/* ---- link ---- */
static VOID StartTraining(ULONG Index)
{
    PORT *p = PortOf(Index);

    if (!p->D.Cfg.Present || !PcsEnabled(Index) || !PortExists(Index)) {
        p->Link = LinkDown;
        return;
    }
    if (p->D.Cfg.LinkFailures) {
        /* The issue: "link training ... sometimes fails once"; Linux's
         * libata-eh retries the reset on its 10/10/35 s schedule. */
        p->D.Cfg.LinkFailures--;
        p->Link = LinkFailed;
        return;
    }
    p->Link = LinkTraining;
    p->LinkAt = M.Now + MS(p->D.Cfg.LinkMs);
}

static VOID LinkReady(ULONG Index)
{
    PORT *p = PortOf(Index);

    p->Link = LinkUp;
    /* 3.3.12: PhyRdy changed (N) and COMINIT/COMWAKE exchanged (X). */
    p->Serr |= AHCI_PxSERR_DIAG_N | AHCI_PxSERR_DIAG_X;
    p->Tfd = 0x80;
    p->BusyUntil = M.Now + MS(p->D.Cfg.BusyMs);
    p->SigPending = TRUE;
    p->IdleSince = M.Now;
}

/* ---- commands ---- */
static AHCI_COMMAND_HEADER *Header(PORT *p, ULONG Slot)
{
    ULONG64 clb = ((ULONG64)p->Clbu << 32) | p->Clb;
    return (AHCI_COMMAND_HEADER *)(ULONG_PTR)clb + Slot;
}

static PUCHAR Table(PORT *p, ULONG Slot)
{
    AHCI_COMMAND_HEADER *h = Header(p, Slot);
    return (PUCHAR)(ULONG_PTR)(((ULONG64)h->Ctbau << 32) | h->Ctba);
}

/* Moves Bytes between the command's PRDT and Buf (4.2.3). */
static ULONG Dma(PORT *p, ULONG Slot, PUCHAR Buf, ULONG Bytes, BOOLEAN ToHost)
{
    AHCI_COMMAND_HEADER *h = Header(p, Slot);
    AHCI_PRD *prd = (AHCI_PRD *)(Table(p, Slot) + AHCI_CT_PRDT);
    ULONG n = h->Flags >> AHCI_CMDH_PRDTL_SHIFT, done = 0;

    for (ULONG i = 0; i < n && done < Bytes; i++) {
        PUCHAR va = (PUCHAR)(ULONG_PTR)(((ULONG64)prd[i].Dbau << 32) | prd[i].Dba);
        ULONG len = (prd[i].Dbc & AHCI_PRD_DBC_MASK) + 1;
        if (len > Bytes - done)
            len = Bytes - done;
        if (ModelHooks)
            ModelHooks->Dma((ULONG)(p - M.P), Slot, ModelDmaData, (ULONG64)(ULONG_PTR)va, len,
                            ToHost);
        if (ToHost)
            memcpy(va, Buf + done, len);
        else
            memcpy(Buf + done, va, len);
        done += len;
    }
    h->Prdbc = done;
    return done;
}

static VOID PostD2h(PORT *p, UCHAR Sts, UCHAR Err)
{
    p->Tfd = ((ULONG)Err << 8) | Sts;
    if (p->Cmd & AHCI_PxCMD_FRE) {
        PUCHAR rfis = (PUCHAR)(ULONG_PTR)(((ULONG64)p->Fbu << 32) | p->Fb);
        if (ModelHooks)
            ModelHooks->Dma((ULONG)(p - M.P), 32, ModelDmaFis, (ULONG64)(ULONG_PTR)rfis,
                            AHCI_RFIS_SIZE, TRUE);
        rfis[AHCI_RFIS_RFIS] = FIS_TYPE_REG_D2H;
        rfis[AHCI_RFIS_RFIS + 2] = Sts;
        rfis[AHCI_RFIS_RFIS + 3] = Err;
    }
}

/* 6.2.2: on a task file error the HBA sets TFES, leaves PxCI (and PxSACT)
 * bits of the failed and aborted commands set, records the slot in CCS
 * and stops processing the list until software clears PxCMD.ST. */
static VOID Halt(PORT *p, ULONG Slot)
{
    if (!p->ErrorSince)
        p->ErrorSince = M.Accesses;
    p->IsStored |= AHCI_PxIS_TFES;
    p->Cmd = (p->Cmd & ~AHCI_PxCMD_CCS_MASK) | (Slot << AHCI_PxCMD_CCS_SHIFT);
    if (!M.O.KeepsRunningAfterError) {
        p->Halted = TRUE;
        memset(p->DoneAt, 0, sizeof(p->DoneAt));
    }
}

static BOOLEAN Failing(DRIVE *d, ULONG64 Lba, ULONG Count)
{
    if (!d->FailArmed || d->FailLba < Lba || d->FailLba >= Lba + Count)
        return FALSE;
    if (d->FailTimes && --d->FailTimes == 0)
        d->FailArmed = FALSE;
    return TRUE;
}

static VOID Rw(PORT *p, ULONG Slot, ULONG64 Lba, ULONG Count, BOOLEAN Write)
{
    ULONG ss = p->D.Cfg.LogicalBytes;
    PUCHAR buf = calloc(Count ? Count : 1, ss);

    if (Lba < MODEL_DATA_SECTORS && !Write)
        memcpy(buf, p->D.Data + Lba * ss,
               (Lba + Count <= MODEL_DATA_SECTORS ? Count : MODEL_DATA_SECTORS - Lba) * ss);
    Dma(p, Slot, buf, Count * ss, !Write);
    if (Lba < MODEL_DATA_SECTORS && Write)
        memcpy(p->D.Data + Lba * ss, buf,
               (Lba + Count <= MODEL_DATA_SECTORS ? Count : MODEL_DATA_SECTORS - Lba) * ss);
    free(buf);
}

/* ---- the fuzzer's device (ModelHooks) ---- */
static VOID Ended(ULONG Index, ULONG Slot, BOOLEAN Ok)
{
    if (ModelHooks)
        ModelHooks->Ended(Index, Slot, Ok);
}

/* The error state begins: software must restart the engine (or reset)
 * before it hands the port anything new (6.2.2). */
static VOID EnterErrorState(PORT *p)
{
    if (!p->ErrorSince)
        p->ErrorSince = M.Accesses;
}

/* A command ended well: what the fuzzer's device adds to that -- no
 * interrupt bit, garbage beside the status, a PRDBC of its choosing.
 * Returns the PxIS bit to raise (0: none). */
static ULONG Succeeded(ULONG Index, ULONG Slot, BOOLEAN Ncq)
{
    PORT *p = PortOf(Index);
    MODEL_END *e = &p->End[Slot];
    ULONG is = Ncq ? AHCI_PxIS_SDBS : AHCI_PxIS_DHRS;

    if (!ModelHooks)
        return is;
    if (e->SetPrdbc)
        Header(p, Slot)->Prdbc = e->Prdbc;
    if (e->GarbageFis && (p->Cmd & AHCI_PxCMD_FRE)) {
        PUCHAR rfis = (PUCHAR)(ULONG_PTR)(((ULONG64)p->Fbu << 32) | p->Fb);
        if (Ncq) {
            memcpy(rfis + AHCI_RFIS_SDBFIS, e->Garbage, 8);
        } else {
            /* Status keeps its meaning (no ERR, DF, BSY, DRQ); the rest
             * of the FIS, the error register included, is noise. */
            UCHAR sts = (UCHAR)(ATA_STS_DRDY | (e->Garbage[0] & ~(ATA_STS_ERR | ATA_STS_DF |
                                                                  ATA_STS_BSY | ATA_STS_DRQ)));
            memcpy(rfis + AHCI_RFIS_RFIS + 3, e->Garbage + 1, 15);
            rfis[AHCI_RFIS_RFIS + 1] = e->Garbage[1];
            rfis[AHCI_RFIS_RFIS + 2] = sts;
            p->Tfd = ((ULONG)rfis[AHCI_RFIS_RFIS + 3] << 8) | sts;
        }
    }
    Ended(Index, Slot, TRUE);
    return e->NoInterrupt ? 0 : is;
}

/* A command the fuzzer's device ends other than well (MODEL_END). */
static VOID EndInjected(ULONG Index, ULONG Slot, BOOLEAN Ncq)
{
    PORT *p = PortOf(Index);
    DRIVE *d = &p->D;
    MODEL_END *e = &p->End[Slot];
    ULONG bit = 1u << Slot;
    UCHAR sts = (UCHAR)((e->Status & ~(ATA_STS_BSY | ATA_STS_DRQ)) | ATA_STS_DRDY);

    if (!(sts & (ATA_STS_ERR | ATA_STS_DF)))
        sts |= ATA_STS_ERR;
    switch (e->Kind) {
    case ModelEndInterface:
        /* 6.1.2: a fatal interface or host bus error halts the HBA; the
         * device sends no FIS. */
        p->Cmd = (p->Cmd & ~AHCI_PxCMD_CCS_MASK) | (Slot << AHCI_PxCMD_CCS_SHIFT);
        ModelRaiseIs(Index, (e->IsBits & (AHCI_PxIS_IFS | AHCI_PxIS_HBDS | AHCI_PxIS_HBFS))
                            ? e->IsBits : e->IsBits | AHCI_PxIS_IFS);
        break;
    case ModelEndSilentNcq:
        if (Ncq) {
            p->Serr |= bit;
            p->Tfd = ((ULONG)ATA_ERR_ABRT << 8) | ATA_STS_DRDY | ATA_STS_ERR;
            p->IsStored |= AHCI_PxIS_SDBS;
            break;
        }
        /* a non-queued command has no silent form */
        __attribute__((fallthrough));
    default:
        if (Ncq) {
            d->NcqError = TRUE;
            d->ErrTag = e->LogLies ? e->LogTag : (UCHAR)Slot;
            d->ErrSts = sts;
            d->ErrErr = e->Error;
            ModelStats.NcqErrors[Index]++;
        }
        PostD2h(p, sts, e->Error);
        if (e->Kind == ModelEndErrorClears) {
            EnterErrorState(p);
            p->IsStored |= AHCI_PxIS_TFES;
            p->Cmd = (p->Cmd & ~AHCI_PxCMD_CCS_MASK) | (Slot << AHCI_PxCMD_CCS_SHIFT);
            p->Ci &= ~bit;
            p->Sact &= ~bit;
        } else {
            Halt(p, Slot);
        }
        break;
    }
    Ended(Index, Slot, FALSE);
}

/* Runs the command in Slot to its end. */
static VOID Execute(ULONG Index, ULONG Slot)
{
    PORT *p = PortOf(Index);
    DRIVE *d = &p->D;
    PUCHAR f = Table(p, Slot);
    UCHAR cmd = f[2];
    ULONG64 lba = f[4] | ((ULONG64)f[5] << 8) | ((ULONG64)f[6] << 16) | ((ULONG64)f[8] << 24) |
                  ((ULONG64)f[9] << 32) | ((ULONG64)f[10] << 40);
    ULONG count = f[12] | (f[13] << 8);
    ULONG bit = 1u << Slot;
    BOOLEAN ncq = cmd == ATA_CMD_READ_FPDMA_QUEUED || cmd == ATA_CMD_WRITE_FPDMA_QUEUED;
    UCHAR err = 0;

    p->DoneAt[Slot] = 0;
    ModelStats.Commands[Index]++;
    p->IdleSince = M.Now;
    if (ncq) {
        count = f[3] | (f[11] << 8);
        if (!count)
            count = 65536;
    } else if (!count && (cmd == ATA_CMD_READ_DMA_EXT || cmd == ATA_CMD_WRITE_DMA_EXT)) {
        count = 65536;
    }
    /* The fuzzer's device fails what the drive itself would not (a drive
     * in its NCQ error state aborts on its own, below). */
    if (ModelHooks && p->End[Slot].Kind != ModelEndOk && !d->NcqError) {
        EndInjected(Index, Slot, ncq);
        return;
    }

    /* ACS-3 A.14 / SATA 3.x 13.6.3.5: after an NCQ error the device aborts
     * every command until READ LOG EXT page 10h (or a reset). */
    if (d->NcqError && !(cmd == ATA_CMD_READ_LOG_EXT && (UCHAR)lba == ATA_LOG_NCQ_COMMAND_ERROR)) {
        err = ATA_ERR_ABRT;
    } else switch (cmd) {
    case ATA_CMD_IDENTIFY_DEVICE: {
        USHORT id[256];
        BuildIdentify(Index, id);
        Dma(p, Slot, (PUCHAR)id, 512, TRUE);
        break;
    }
    case ATA_CMD_SET_FEATURES:
        if (f[3] == 0x07 && d->Cfg.Puis)
            d->SpunUp = TRUE;           /* ACS-3 7.45.10: PUIS device spin-up */
        else if (f[3] == 0x90 && f[12] == 0x03)
            d->Dipm = FALSE;            /* SATA 3.x 13.3.4: disable DIPM */
        else if (f[3] == 0x10 && f[12] == 0x03)
            d->Dipm = TRUE;
        break;
    case ATA_CMD_READ_LOG_EXT:
        if (!d->Cfg.Gpl || (UCHAR)lba != ATA_LOG_NCQ_COMMAND_ERROR) {
            err = ATA_ERR_ABRT;
        } else {
            /* ACS-3 A.14: byte 0 tag (NQ bit 7), 2 status, 3 error. */
            UCHAR page[512] = { 0 };
            ModelStats.LogReads[Index]++;
            if (d->NcqError) {
                page[0] = d->ErrTag;
                page[2] = d->ErrSts;
                page[3] = d->ErrErr;
            } else {
                page[0] = ATA_NCQ_LOG_NQ;
            }
            d->NcqError = FALSE;
            Dma(p, Slot, page, 512, TRUE);
        }
        break;
    case ATA_CMD_READ_DMA_EXT:
    case ATA_CMD_WRITE_DMA_EXT:
    case ATA_CMD_READ_FPDMA_QUEUED:
    case ATA_CMD_WRITE_FPDMA_QUEUED:
        if (d->Cfg.Puis && !d->SpunUp)
            err = ATA_ERR_ABRT;         /* ACS-3 4.17.3: media access in PUIS standby */
        else if (lba + count > d->Cfg.Sectors)
            err = ATA_ERR_IDNF;
        else if (Failing(d, lba, count))
            err = ATA_ERR_UNC;
        else
            Rw(p, Slot, lba, count,
               cmd == ATA_CMD_WRITE_DMA_EXT || cmd == ATA_CMD_WRITE_FPDMA_QUEUED);
        break;
    case ATA_CMD_FLUSH_CACHE:
    case ATA_CMD_FLUSH_CACHE_EXT:
        break;
    default:
        err = ATA_ERR_ABRT;
        break;
    }

    if (ncq) {
        if (err) {
            /* SATA 3.x 13.6.3.5: SDB FIS with ERR; every outstanding
             * command is aborted; log 10h names the tag. */
            d->NcqError = TRUE;
            d->ErrTag = (UCHAR)Slot;
            d->ErrSts = ATA_STS_DRDY | ATA_STS_ERR;
            d->ErrErr = err;
            ModelStats.NcqErrors[Index]++;
            PostD2h(p, ATA_STS_DRDY | ATA_STS_ERR, ATA_ERR_ABRT);
            Halt(p, Slot);
            if (M.O.KeepsRunningAfterError)
                p->Sact &= ~bit;
            Ended(Index, Slot, FALSE);
            return;
        }
        p->Sact &= ~bit;
        p->Tfd = ATA_STS_DRDY;
        p->IsStored |= Succeeded(Index, Slot, TRUE);
        return;
    }
    if (err) {
        PostD2h(p, ATA_STS_DRDY | ATA_STS_ERR, err);
        Halt(p, Slot);
        if (M.O.KeepsRunningAfterError)
            p->Ci &= ~bit;
        Ended(Index, Slot, FALSE);
        return;
    }
    PostD2h(p, ATA_STS_DRDY, 0);
    p->Ci &= ~bit;
    p->IsStored |= Succeeded(Index, Slot, FALSE);
}

static BOOLEAN Running(PORT *p)
{
    return (p->Cmd & AHCI_PxCMD_CR) && (p->Cmd & AHCI_PxCMD_ST) && !p->Halted && !p->Wedged &&
           !p->Stuck;
}

/* Fetches newly issued slots: a queued command's PxCI bit clears once
 * the device accepted its FIS (5.6.4.2); a non-queued one keeps it until
 * it ends. */
static VOID Fetch(ULONG Index)
{
    PORT *p = PortOf(Index);

    if (!Running(p) || p->Link != LinkUp || (p->Tfd & (ATA_STS_BSY | ATA_STS_DRQ)) ||
        M.Now < p->BusyUntil)
        return;
    for (ULONG s = 0; s < 32; s++) {
        ULONG bit = 1u << s;
        if (!(p->Ci & bit) || p->DoneAt[s])
            continue;
        UCHAR cmd = Table(p, s)[2];
        BOOLEAN ncq = cmd == ATA_CMD_READ_FPDMA_QUEUED || cmd == ATA_CMD_WRITE_FPDMA_QUEUED;
        ULONG us = p->D.Cfg.CommandUs ? p->D.Cfg.CommandUs : 20;
        if (cmd == ATA_CMD_SET_FEATURES && Table(p, s)[3] == 0x07 && p->D.Cfg.Puis &&
            !p->D.SpunUp)
            us = p->D.Cfg.SpinUpMs * 1000;
        p->DoneAt[s] = M.Now + US(us);
        if (ModelHooks) {
            /* The HBA reads the header and the command table (4.2.2, 4.2.3). */
            AHCI_COMMAND_HEADER *h = Header(p, s);
            memset(&p->End[s], 0, sizeof(p->End[s]));
            ModelHooks->Dma(Index, s, ModelDmaHeader, (ULONG64)(ULONG_PTR)h, sizeof(*h), FALSE);
            ModelHooks->Dma(Index, s, ModelDmaTable, (ULONG64)(ULONG_PTR)Table(p, s),
                            AHCI_CT_PRDT + (h->Flags >> AHCI_CMDH_PRDTL_SHIFT) * sizeof(AHCI_PRD),
                            FALSE);
            ModelHooks->Decide(Index, s, Table(p, s), &p->End[s]);
            if (p->End[s].ServiceUs)
                p->DoneAt[s] = M.Now + US(p->End[s].ServiceUs);
            if (p->End[s].Kind == ModelEndHang)
                p->DoneAt[s] = ~0ull;
        }
        if (ncq)
            p->Ci &= ~bit;
    }
}

static VOID PortTick(ULONG Index)
{
    PORT *p = PortOf(Index);

    if (p->Link == LinkTraining && M.Now >= p->LinkAt)
        LinkReady(Index);
    if (p->Link == LinkWaking && M.Now >= p->LinkAt) {
        p->Link = LinkUp;
        p->IdleSince = M.Now;
        p->Cmd &= ~AHCI_PxCMD_ICC_MASK;
    }
    /* 10.4.2 / 3.3.12: the device's signature D2H FIS updates PxTFD and
     * PxSIG only once DIAG.X is cleared (storahci and Linux clear PxSERR
     * after the PHY comes up for this reason). */
    if (p->Link == LinkUp && p->SigPending && M.Now >= p->BusyUntil &&
        !(p->Serr & AHCI_PxSERR_DIAG_X)) {
        p->SigPending = FALSE;
        p->Sig = p->D.Cfg.Signature ? p->D.Cfg.Signature : AHCI_SIG_ATA;
        PostD2h(p, ATA_STS_DRDY, 0);
    }
    if (p->Link == LinkUp && !p->SigPending && M.Now < p->BusyUntil)
        p->Tfd |= ATA_STS_BSY;
    else if (p->Link == LinkUp && !p->SigPending && (p->Tfd & ATA_STS_BSY) && M.Now >= p->BusyUntil)
        p->Tfd &= ~ATA_STS_BSY;

    /* Slumber: IPM not restricted in PxSCTL (3.3.11) and DIPM on in the
     * drive, idle long enough. */
    if (p->Link == LinkUp && !p->Ci && !p->Sact && p->D.Dipm &&
        !(((p->Sctl >> 8) & 0xF) & 0x2) && M.Now - p->IdleSince >= MS(MODEL_IDLE_TO_SLUMBER_MS)) {
        p->Link = LinkSlumber;
        ModelStats.Slumbers[Index]++;
    }

    Fetch(Index);
    for (;;) {
        ULONG best = 32;
        for (ULONG s = 0; s < 32; s++)
            if (p->DoneAt[s] && p->DoneAt[s] <= M.Now && (best == 32 || p->DoneAt[s] < p->DoneAt[best]))
                best = s;
        if (best == 32 || !Running(p))
            break;
        Execute(Index, best);
    }
}

static VOID ModelTick(VOID)
{
    if (M.HrDoneAt && M.Now >= M.HrDoneAt) {
        M.HrDoneAt = 0;
        M.Ghc &= ~AHCI_GHC_HR;
    }
    /* 10.6.3: the BIOS sets BB while it finishes, then clears BOS. */
    if (M.BiosBusyAt && M.Now >= M.BiosBusyAt) {
        M.BiosBusyAt = 0;
        M.Bohc |= AHCI_BOHC_BB;
    }
    if (M.BiosDoneAt && M.Now >= M.BiosDoneAt) {
        M.BiosDoneAt = 0;
        M.Bohc &= ~(AHCI_BOHC_BOS | AHCI_BOHC_BB);
        M.Bohc |= AHCI_BOHC_OOC;
    }
    for (ULONG i = 0; i < M.O.Ports; i++)
        PortTick(i);
    UpdateIs();
}

/* A level (or pending MSI) interrupt is taken while asserted. */
static VOID Deliver(VOID)
{
    if (M.Isr && !M.InIsr && ModelInterruptAsserted()) {
        M.InIsr = TRUE;
        M.Isr(NULL, M.IsrContext);
        ModelStats.IsrCalls++;
        UpdateIs();
        if (ModelInterruptAsserted())
            ModelStats.StormCalls++;
        M.InIsr = FALSE;
    }
}

VOID ModelAdvanceUs(ULONG64 Us)
{
    M.Now += US(Us);
    ModelTick();
    if (ModelDeliverInterrupts)
        Deliver();
}

VOID ModelInterruptNow(VOID) { Deliver(); }

/* ---- register access ---- */
static VOID HbaReset(VOID)
{
    ModelStats.HbaResets++;
    /* 10.4.3: every port's registers to their reset values, the links
     * COMRESET, GHC to 0 (AE stays only with CAP.SAM). */
    for (ULONG i = 0; i < M.O.Ports; i++) {
        PORT *p = PortOf(i);
        p->IsStored = p->Ie = p->Serr = p->Sact = p->Ci = 0;
        p->Cmd = 0;
        p->Sctl = 0;
        p->Halted = p->Wedged = p->Stuck = FALSE;
        p->ErrorSince = 0;
        p->Tfd = 0x7F;
        p->Sig = 0xFFFFFFFF;
        DriveReset(p);
    }
    /* A wedged DMA engine is what an HBA reset cures (Linux libahci
     * ahci_kick_engine's last resort; storahci's adapter reset). */
    M.O.StuckEnginePorts = 0;
    M.Is = 0;
    M.Ghc = (M.Cap & AHCI_CAP_SAM) ? AHCI_GHC_AE : 0;
    M.AeWrites = 0;
    if (M.O.HrClearsPi) {
        /* Linux libahci ahci_save_initial_config: "some controllers
         * reset PI (and CAP) on HBA reset"; PI is then RWO again. */
        M.Pi = 0;
        M.PiWritable = TRUE;
    }
    if (M.O.PcsClearedByReset)
        M.Cfg[0x92] = 0;
    for (ULONG i = 0; i < M.O.Ports; i++)
        StartTraining(i);
}

static VOID WriteCmd(ULONG Index, ULONG V)
{
    PORT *p = PortOf(Index);
    ULONG old = p->Cmd;
    ULONG keep = old & (AHCI_PxCMD_CR | AHCI_PxCMD_FR | AHCI_PxCMD_CCS_MASK);

    p->Cmd = (V & ~(AHCI_PxCMD_CR | AHCI_PxCMD_FR | AHCI_PxCMD_CCS_MASK)) | keep;
    if (!(M.Ghc & AHCI_GHC_AE))
        return;     /* legacy mode: the AHCI engine does not run (3.1.2 AE) */
    if ((V & AHCI_PxCMD_FRE))
        p->Cmd |= AHCI_PxCMD_FR;
    else
        p->Cmd &= ~AHCI_PxCMD_FR;
    if ((V & AHCI_PxCMD_ST) && !(old & AHCI_PxCMD_ST)) {
        /* 10.3.1: ST may be set only with FRE on, BSY/DRQ clear and DET=3
         * (or IPM active states).  Otherwise the engine starts against a
         * busy device and the first command is lost. */
        if ((p->Tfd & (ATA_STS_BSY | ATA_STS_DRQ)) || p->Link != LinkUp) {
            ModelStats.StartViolations[Index]++;
            p->Wedged = TRUE;
        }
        /* An error that came while the engine was stopped halted nothing:
         * with its PxIS bits cleared, the engine starts clean. */
        if (!(PortIs(p) & AHCI_PxIS_FATAL))
            p->ErrorSince = 0;
        p->Cmd |= AHCI_PxCMD_CR;
    } else if (!(V & AHCI_PxCMD_ST) && (old & AHCI_PxCMD_ST)) {
        /* 3.3.13/3.3.14: clearing ST clears PxCI and PxSACT, and ends the
         * halted state of 6.2.2.  An engine that will not stop keeps CR. */
        p->Ci = p->Sact = 0;
        p->Halted = p->Wedged = FALSE;
        p->ErrorSince = 0;
        memset(p->DoneAt, 0, sizeof(p->DoneAt));
        if (M.O.StuckEnginePorts & (1u << Index))
            p->Stuck = TRUE;
        if (!p->Stuck)
            p->Cmd &= ~AHCI_PxCMD_CR;
    }
    if (V & AHCI_PxCMD_CLO) {
        /* 3.3.7 CLO: BSY and DRQ cleared, then CLO clears itself. */
        if (M.Cap & AHCI_CAP_SCLO)
            p->Tfd &= ~(ATA_STS_BSY | ATA_STS_DRQ);
        p->Cmd &= ~AHCI_PxCMD_CLO;
    }
    if ((V & AHCI_PxCMD_ICC_MASK) == AHCI_PxCMD_ICC_ACTIVE && p->Link == LinkSlumber) {
        p->Link = LinkWaking;
        p->LinkAt = M.Now + MS(MODEL_SLUMBER_EXIT_MS);
    }
}

static VOID WritePort(ULONG Index, ULONG Off, ULONG V)
{
    PORT *p = PortOf(Index);

    switch (Off) {
    case AHCI_PxCLB: p->Clb = V; break;
    case AHCI_PxCLBU: p->Clbu = V; break;
    case AHCI_PxFB: p->Fb = V; break;
    case AHCI_PxFBU: p->Fbu = V; break;
    case AHCI_PxIS: p->IsStored &= ~V; break;  /* RWC; PCS/PRCS are mirrors */
    case AHCI_PxIE: p->Ie = V; break;
    case AHCI_PxCMD: WriteCmd(Index, V); break;
    case AHCI_PxSERR: p->Serr &= ~V; break;
    case AHCI_PxSACT:
        if (p->Cmd & AHCI_PxCMD_ST) {
            if (ModelHooks && p->ErrorSince && (V & ~p->Sact))
                ModelHooks->IssueInError(Index, V & ~p->Sact, p->ErrorSince);
            p->Sact |= V;
        }
        break;
    case AHCI_PxCI:
        if (p->Cmd & AHCI_PxCMD_ST) {
            if (ModelHooks && p->ErrorSince && (V & ~p->Ci))
                ModelHooks->IssueInError(Index, V & ~p->Ci, p->ErrorSince);
            p->Ci |= V;
            p->IdleSince = M.Now;
            /* 8.3.1.2: a command issued to a slumbering link wakes it. */
            if (p->Link == LinkSlumber) {
                p->Link = LinkWaking;
                p->LinkAt = M.Now + MS(MODEL_SLUMBER_EXIT_MS);
            }
        }
        break;
    case AHCI_PxSCTL: {
        ULONG oldDet = p->Sctl & AHCI_PxSCTL_DET_MASK;
        p->Sctl = V;
        if ((V & AHCI_PxSCTL_DET_MASK) == AHCI_PxSCTL_DET_COMRESET) {
            ModelStats.Comresets[Index]++;
            p->ErrorSince = 0;
            p->Link = LinkDown;
            p->Tfd = 0x80;
            p->Sig = 0xFFFFFFFF;
            p->Sact = 0;
            DriveReset(p);
        } else if (oldDet == AHCI_PxSCTL_DET_COMRESET && !(V & AHCI_PxSCTL_DET_MASK)) {
            StartTraining(Index);
        }
        break;
    }
    default:
        break;
    }
}

static ULONG ReadPort(ULONG Index, ULONG Off)
{
    PORT *p = PortOf(Index);

    switch (Off) {
    case AHCI_PxCLB: return p->Clb;
    case AHCI_PxCLBU: return p->Clbu;
    case AHCI_PxFB: return p->Fb;
    case AHCI_PxFBU: return p->Fbu;
    case AHCI_PxIS: return PortIs(p);
    case AHCI_PxIE: return p->Ie;
    case AHCI_PxCMD: return p->Cmd;
    case AHCI_PxTFD: return p->Tfd;
    case AHCI_PxSIG: return p->Sig;
    case AHCI_PxSSTS: return Ssts(p);
    case AHCI_PxSCTL: return p->Sctl;
    case AHCI_PxSERR: return p->Serr;
    case AHCI_PxSACT: return p->Sact;
    case AHCI_PxCI: return p->Ci;
    default: return 0;
    }
}

/* With ModelHooks: the driver touches only the generic host control
 * registers (3.1, up to BOHC) and those of ports that exist (3.3, up to
 * PxDEVSLP), dword-aligned. */
static VOID CheckAccess(volatile UCHAR *Base, ULONG Offset)
{
    ULONG64 off = (ULONG64)((Base + Offset) - (volatile UCHAR *)M.Abar);

    if (!ModelHooks)
        return;
    if ((Base + Offset) < (volatile UCHAR *)M.Abar || off >= ModelAbarLength() || (off & 3))
        ModelHooks->Violation("register access outside ABAR or unaligned", (ULONG)off);
    else if (off < AHCI_PORT_BASE ? off > AHCI_BOHC :
             (off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE >= M.O.Ports ||
             !PortExists((ULONG)(off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE) ||
             (off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE > AHCI_PxDEVSLP)
        ModelHooks->Violation("access to a register the HBA does not have", (ULONG)off);
}

static ULONG ReadRegister(ULONG off)
{
    if (off >= AHCI_PORT_BASE) {
        ULONG i = (off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;
        return i < M.O.Ports ? ReadPort(i, (off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE) : 0;
    }
    switch (off) {
    case AHCI_CAP: return M.Cap;
    case AHCI_GHC: return M.Ghc;
    case AHCI_IS: return M.Is;
    case AHCI_PI: return M.Pi;
    case AHCI_VS: return 0x00010301;
    case AHCI_CAP2: return M.Cap2;
    case AHCI_BOHC: return M.Bohc;
    default: return 0;
    }
}

ULONG AhciModelRead(volatile UCHAR *Base, ULONG Offset)
{
    ULONG off = (ULONG)((Base + Offset) - (volatile UCHAR *)M.Abar);
    ULONG v;

    CheckAccess(Base, Offset);
    /* Every access costs a little time, as an MMIO read does. */
    M.Accesses++;
    M.Now += ModelAccessCost;
    ModelTick();
    v = ReadRegister(off);
    if (ModelHooks)
        ModelHooks->Access(off, FALSE, v);
    return v;
}

VOID AhciModelWrite(volatile UCHAR *Base, ULONG Offset, ULONG Value)
{
    ULONG off = (ULONG)((Base + Offset) - (volatile UCHAR *)M.Abar);

    CheckAccess(Base, Offset);
    M.Accesses++;
    M.Now += ModelAccessCost;
    if (off >= AHCI_PORT_BASE) {
        ULONG i = (off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;
        if (i < M.O.Ports)
            WritePort(i, (off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE, Value);
    } else switch (off) {
    case AHCI_GHC:
        if (Value & AHCI_GHC_AE) {
            /* libahci ahci_enable_ahci: "Some controllers need AHCI_EN to
             * be written multiple times" (it tries 5 times, 10 ms apart). */
            if (++M.AeWrites >= M.O.AeWritesNeeded)
                M.Ghc |= AHCI_GHC_AE;
        } else if (!(M.Cap & AHCI_CAP_SAM)) {
            M.Ghc &= ~AHCI_GHC_AE;
            M.AeWrites = 0;
        }
        M.Ghc = (M.Ghc & ~AHCI_GHC_IE) | (Value & AHCI_GHC_IE);
        /* HR acts only in AHCI mode (libahci ahci_reset_controller: "we
         * must be in AHCI mode, before using anything AHCI-specific, such
         * as HOST_RESET"). */
        if ((Value & AHCI_GHC_HR) && (M.Ghc & AHCI_GHC_AE)) {
            HbaReset();
            M.Ghc |= AHCI_GHC_HR;
            M.HrDoneAt = M.Now + MS(MODEL_HBA_RESET_MS);
        }
        break;
    case AHCI_IS:
        M.Is &= ~Value;
        break;
    case AHCI_PI:
        if (M.PiWritable) {     /* RWO after reset (3.1.4, "HwInit") */
            M.Pi = Value;
            M.PiWritable = FALSE;
        }
        break;
    case AHCI_CAP:
        break;
    case AHCI_BOHC:
        if ((Value & AHCI_BOHC_OOS) && !(M.Bohc & AHCI_BOHC_OOS)) {
            M.Bohc |= AHCI_BOHC_OOS;
            if (M.Bohc & AHCI_BOHC_BOS) {
                /* 10.6.3: BIOS answers within 25 ms, BB then up to 2 s. */
                M.BiosBusyAt = M.Now + MS(10);
                M.BiosDoneAt = M.Now + MS(10 + M.O.BiosBusyMs);
            }
        }
        if (Value & AHCI_BOHC_OOC)
            M.Bohc &= ~AHCI_BOHC_OOC;
        break;
    default:
        break;
    }
    ModelTick();
    if (ModelHooks)
        ModelHooks->Access(off, TRUE, Value);
}

/* ---- setup ---- */
VOID ModelInit(const MODEL_OPTIONS *Options, const MODEL_DRIVE_CONFIG *Drives)
{
    ModelFree();
    memset(&M, 0, sizeof(M));
    memset(&ModelStats, 0, sizeof(ModelStats));
    M.O = *Options;
    if (!M.O.Ports)
        M.O.Ports = 4;
    if (!M.O.AeWritesNeeded)
        M.O.AeWritesNeeded = 1;
    M.Now = MS(1000);
    M.Accesses = 1;
    M.Abar = aligned_alloc(4096, 4096);
    memset(M.Abar, 0, 4096);
    M.Cap = Profiles[M.O.Profile].Cap | (31u << AHCI_CAP_NCS_SHIFT) | (M.O.Ports - 1);
    M.Pi = M.O.PiZero ? 0 : (((1u << M.O.Ports) - 1) | Profiles[M.O.Profile].PhantomPi);
    if (M.O.BiosOwned) {
        M.Cap2 |= AHCI_CAP2_BOH;
        M.Bohc = AHCI_BOHC_BOS;
    }
    /* Firmware left the HBA in AHCI mode (GHC.AE), as UEFI does. */
    M.Ghc = AHCI_GHC_AE;
    M.AeWrites = M.O.AeWritesNeeded;
    USHORT *cfg16 = (USHORT *)M.Cfg;
    cfg16[0] = Profiles[M.O.Profile].Vendor;
    cfg16[1] = Profiles[M.O.Profile].Device;
    M.Cfg[9] = (UCHAR)Profiles[M.O.Profile].ClassCode;
    M.Cfg[10] = (UCHAR)(Profiles[M.O.Profile].ClassCode >> 8);
    M.Cfg[11] = (UCHAR)(Profiles[M.O.Profile].ClassCode >> 16);
    for (ULONG i = 0; i < M.O.Ports; i++) {
        PORT *p = PortOf(i);
        p->Tfd = 0x7F;
        p->Sig = 0xFFFFFFFF;
        if (Drives && Drives[i].Present) {
            p->D.Cfg = Drives[i];
            if (!p->D.Cfg.LogicalBytes)
                p->D.Cfg.LogicalBytes = 512;
            if (!p->D.Cfg.Sectors)
                p->D.Cfg.Sectors = 0x200000;
            p->D.Dipm = p->D.Cfg.Dipm;
            p->D.Data = calloc(MODEL_DATA_SECTORS, p->D.Cfg.LogicalBytes);
            /* Intel: the firmware enabled the ports it found a drive on. */
            M.Cfg[0x92] |= (UCHAR)(1u << i);
        }
        if (M.O.LinkUpAtStart && p->D.Cfg.Present && PortExists(i)) {
            p->Link = LinkUp;
            p->Sig = p->D.Cfg.Signature ? p->D.Cfg.Signature : AHCI_SIG_ATA;
            p->Tfd = ATA_STS_DRDY;
            p->IdleSince = M.Now;
            /* What the firmware's own reset left in SError. */
            p->Serr = AHCI_PxSERR_DIAG_N | AHCI_PxSERR_DIAG_X;
        }
    }
}

VOID ModelFree(VOID)
{
    for (ULONG i = 0; i < MODEL_MAX_PORTS; i++) {
        free(M.P[i].D.Data);
        M.P[i].D.Data = NULL;
    }
    free(M.Abar);
    M.Abar = NULL;
}

PUCHAR ModelAbar(VOID) { return M.Abar; }
ULONG ModelAbarLength(VOID) { return AHCI_PORT_OFFSET(MODEL_MAX_PORTS); }
PUCHAR ModelConfigSpace(VOID) { return M.Cfg; }
BOOLEAN ModelDriveSpunUp(ULONG Port) { return M.P[Port].D.SpunUp; }
BOOLEAN ModelDriveDipm(ULONG Port) { return M.P[Port].D.Dipm; }
PUCHAR ModelDriveData(ULONG Port) { return M.P[Port].D.Data; }

VOID ModelFailLba(ULONG Port, ULONG64 Lba, ULONG Times)
{
    M.P[Port].D.FailLba = Lba;
    M.P[Port].D.FailTimes = Times;
    M.P[Port].D.FailArmed = TRUE;
}

/* A PHY glitch: PhyRdy drops and comes back (SATA 3.x 8.4); the HBA
 * records DIAG.N and, with the COMINIT the device sends, DIAG.X. */
VOID ModelLinkGlitch(ULONG Port)
{
    PORT *p = PortOf(Port);
    p->Serr |= AHCI_PxSERR_DIAG_N | AHCI_PxSERR_DIAG_X;
    UpdateIs();
}

VOID ModelUnplug(ULONG Port)
{
    PORT *p = PortOf(Port);
    p->D.Cfg.Present = FALSE;
    p->Link = LinkDown;
    p->Serr |= AHCI_PxSERR_DIAG_N | AHCI_PxSERR_DIAG_X;
    UpdateIs();
}

VOID ModelPlug(ULONG Port, const MODEL_DRIVE_CONFIG *Drive)
{
    PORT *p = PortOf(Port);
    free(p->D.Data);
    memset(&p->D, 0, sizeof(p->D));
    p->D.Cfg = *Drive;
    if (!p->D.Cfg.LogicalBytes)
        p->D.Cfg.LogicalBytes = 512;
    if (!p->D.Cfg.Sectors)
        p->D.Cfg.Sectors = 0x200000;
    p->D.Dipm = Drive->Dipm;
    p->D.Data = calloc(MODEL_DATA_SECTORS, p->D.Cfg.LogicalBytes);
    /* 10.9: the device's COMINIT starts link training on its own. */
    StartTraining(Port);
}

/* A power state change the HBA accepted before the driver restricted
 * PxSCTL.IPM (firmware HIPM, or a DIPM request): the link is in slumber. */
VOID ModelForceSlumber(ULONG Port)
{
    PORT *p = PortOf(Port);
    if (p->Link == LinkUp) {
        p->Link = LinkSlumber;
        ModelStats.Slumbers[Port]++;
    }
}

VOID ModelSetBusyMs(ULONG Port, ULONG Ms) { M.P[Port].D.Cfg.BusyMs = Ms; }

VOID ModelSpuriousIfs(ULONG Port)
{
    M.P[Port].IsStored |= AHCI_PxIS_IFS;
    UpdateIs();
}

VOID ModelStickEngine(ULONG Port) { M.O.StuckEnginePorts |= 1u << Port; }

/* ---- the fuzzer's device ---- */
ULONG64 ModelAccessCount(VOID) { return M.Accesses; }
ULONG64 ModelErrorSince(ULONG Port) { return M.P[Port].ErrorSince; }

VOID ModelRaiseIs(ULONG Port, ULONG Bits)
{
    PORT *p = PortOf(Port);

    /* PCS/PRCS are mirrors of PxSERR (PortIs). */
    p->IsStored |= Bits & ~(AHCI_PxIS_PCS | AHCI_PxIS_PRCS);
    if (Bits & AHCI_PxIS_FATAL) {
        /* 6.1.2: the HBA stops processing the list on a fatal error. */
        EnterErrorState(p);
        if (!M.O.KeepsRunningAfterError && (p->Cmd & AHCI_PxCMD_ST)) {
            p->Halted = TRUE;
            memset(p->DoneAt, 0, sizeof(p->DoneAt));
        }
    }
    UpdateIs();
}

VOID ModelRaiseSerr(ULONG Port, ULONG Bits)
{
    PortOf(Port)->Serr |= Bits;
    UpdateIs();
}

/* A D2H register FIS the device sends unasked: PxTFD follows it, and ERR
 * in its status is a task file error (3.3.5 TFES). */
VOID ModelPostTfd(ULONG Port, UCHAR Status, UCHAR Error)
{
    PORT *p = PortOf(Port);

    PostD2h(p, Status, Error);
    if (Status & ATA_STS_ERR)
        ModelRaiseIs(Port, AHCI_PxIS_TFES);
    else
        p->IsStored |= AHCI_PxIS_DHRS;
    UpdateIs();
}
