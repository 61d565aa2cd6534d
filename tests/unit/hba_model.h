/* hba_model.h - a behavioural model of an AHCI 1.3.1 HBA and its SATA
 * drives for the host unit tests: the driver's real hba.c/port.c/intr.c/
 * io.c/error.c run against it (built with -DAHCI_MMIO_MODEL, so AhciRead/
 * AhciWrite land in AhciModelRead/AhciModelWrite).  Time is virtual: the
 * model overrides KeQueryInterruptTime and KeStallExecutionProcessor, so a
 * 10 s wait costs no wall time and link training, BSY after COMRESET, BIOS
 * Busy and command latency all happen "later" as on a real machine.
 *
 * What QEMU's ich9-ahci does not do and the model does (each with its
 * source in hba_model.c): link training of tens to hundreds of ms that may
 * fail once; BSY for seconds after COMRESET; the signature FIS held until
 * PxSERR.DIAG.X is cleared; PxIS.PCS/PRCS mirroring DIAG.X/DIAG.N (level
 * interrupt stays asserted); an HBA that stops after an error until PxCMD.ST
 * is cycled; partial/slumber with DET=1; BIOS ownership with BIOS Busy; AE
 * that sticks only after several writes; HBA reset clearing PI; Intel PCS
 * port-enable bits; drives in PUIS, with DIPM, with GPL and log page 10h;
 * an engine whose CR will not clear; a 4Kn or 512e drive. */
#ifndef NTSTOR_TEST_HBA_MODEL_H
#define NTSTOR_TEST_HBA_MODEL_H

#include "ahcip.h"

#define MODEL_MAX_PORTS     8
#define MODEL_DATA_SECTORS  2048    /* logical sectors backed by memory; others read 0 */

/* One drive as it leaves the factory. */
typedef struct _MODEL_DRIVE_CONFIG {
    BOOLEAN Present;
    ULONG64 Sectors;            /* logical sectors */
    ULONG LogicalBytes;         /* 512 or 4096 (4Kn) */
    UCHAR PhysShift;            /* log2(logical per physical): 3 = 512e */
    USHORT AlignOffset;         /* IDENTIFY word 209: LBA 0's logical offset in its physical */
    UCHAR NcqDepth;             /* 0 = no NCQ */
    BOOLEAN Gpl;                /* READ LOG EXT and log 10h */
    BOOLEAN Puis;               /* powers up in standby: needs SET FEATURES 07h */
    BOOLEAN Dipm;               /* device-initiated power management on at power-up */
    ULONG Signature;            /* PxSIG it reports (0: AHCI_SIG_ATA) */
    ULONG LinkMs;               /* COMRESET to PHY ready */
    ULONG LinkFailures;         /* this many trainings fail before one succeeds */
    ULONG BusyMs;               /* BSY after the link comes up (spin-up, firmware) */
    ULONG SpinUpMs;             /* SET FEATURES 07h takes this long (PUIS) */
    ULONG CommandUs;            /* each command's service time */
} MODEL_DRIVE_CONFIG;

/* Chipset profiles: the documented errata of each family (hba_model.c). */
typedef enum _MODEL_PROFILE {
    ModelIch9Qemu = 0,          /* what QEMU shows: kind, for the baseline test */
    ModelIntelPch,              /* PCS port enables, BIOS handoff with BIOS Busy */
    ModelAmdSb600,              /* 32-bit DMA only despite S64A, 255-sector limit */
    ModelAsm1062,               /* 43-bit DMA */
    ModelAsm1166,               /* phantom ports in PI */
    ModelJmb361,                /* IDE class, phantom port, spurious IFS */
    ModelMarvell91xx,           /* hidden port in PI */
    ModelProfileCount
} MODEL_PROFILE;

typedef struct _MODEL_OPTIONS {
    MODEL_PROFILE Profile;
    ULONG Ports;                /* CAP.NP + 1 */
    ULONG AeWritesNeeded;       /* GHC.AE sticks on this write (1 = at once) */
    BOOLEAN HrClearsPi;         /* HBA reset zeroes PI until it is written back */
    BOOLEAN PiZero;             /* firmware never programmed PI */
    BOOLEAN BiosOwned;          /* BOHC.BOS set at power-on (CAP2.BOH) */
    ULONG BiosBusyMs;           /* BIOS Busy after OOS */
    BOOLEAN PcsClearedByReset;  /* Intel: GHC.HR clears the PCS port enables */
    BOOLEAN KeepsRunningAfterError; /* QEMU-like: no stop on TFES */
    ULONG StuckEnginePorts;     /* ports whose PxCMD.CR never clears until GHC.HR (which
                                   clears this) */
    BOOLEAN LinkUpAtStart;      /* firmware left the links trained */
} MODEL_OPTIONS;

/* Builds a fresh HBA (registers, config space, drives per Drives[port]).
 * Resets the virtual clock to 1 s. */
VOID ModelInit(const MODEL_OPTIONS *Options, const MODEL_DRIVE_CONFIG *Drives);
VOID ModelFree(VOID);
PUCHAR ModelAbar(VOID);
ULONG ModelAbarLength(VOID);
PUCHAR ModelConfigSpace(VOID);  /* 256 bytes of PCI config: IDs, class, PCS */

/* Virtual time. */
ULONG64 ModelNowUs(VOID);
VOID ModelAdvanceUs(ULONG64 Us);

/* Faults and glitches. */
VOID ModelFailLba(ULONG Port, ULONG64 Lba, ULONG Times);   /* UNC at that LBA; Times 0 = always */
VOID ModelLinkGlitch(ULONG Port);   /* PhyRdy drops and returns: DIAG.N|X set */
VOID ModelUnplug(ULONG Port);
VOID ModelPlug(ULONG Port, const MODEL_DRIVE_CONFIG *Drive);
VOID ModelForceSlumber(ULONG Port);
VOID ModelSetBusyMs(ULONG Port, ULONG Ms);  /* for the next reset */
/* JMicron JMB36x: PxIS.IFS raised with no error behind it and the HBA
 * still running (Linux AHCI_HFLAG_IGN_IRQ_IF_ERR). */
VOID ModelSpuriousIfs(ULONG Port);
/* From now on clearing PxCMD.ST leaves CR set, through COMRESETs, until
 * the next HBA reset (GHC.HR). */
VOID ModelStickEngine(ULONG Port);

/* What the model saw. */
typedef struct _MODEL_STATS {
    ULONG HbaResets;
    ULONG Comresets[MODEL_MAX_PORTS];
    ULONG StartViolations[MODEL_MAX_PORTS];  /* ST set with BSY/DRQ or DET != 3 (10.3.1) */
    ULONG NcqErrors[MODEL_MAX_PORTS];
    ULONG LogReads[MODEL_MAX_PORTS];          /* READ LOG EXT 10h */
    ULONG Slumbers[MODEL_MAX_PORTS];          /* times the link entered partial/slumber */
    ULONG Commands[MODEL_MAX_PORTS];
    ULONG IsrCalls;
    ULONG StormCalls;           /* ISR calls that left the line asserted */
    ULONG64 DispatchStallUs;    /* virtual time spun at DISPATCH_LEVEL or above */
} MODEL_STATS;
extern MODEL_STATS ModelStats;

BOOLEAN ModelDriveSpunUp(ULONG Port);
BOOLEAN ModelDriveDipm(ULONG Port);
BOOLEAN ModelInterruptAsserted(VOID);  /* GHC.IE and some IS bit: the line is up */
PUCHAR ModelDriveData(ULONG Port);     /* MODEL_DATA_SECTORS * LogicalBytes */

/* The interrupt the driver connected (IoConnectInterrupt is the model's):
 * delivered from ModelAdvanceUs while asserted. */
extern BOOLEAN ModelDeliverInterrupts;

/* ---- the device as a fuzzer plays it (tests/fuzz/fuzz_ahci_device.c) ----
 * With ModelHooks set the model asks it how each command ends, shows it
 * every register access and DMA, and reports what only the model can see
 * (a new command issued while the port is in its error state, an access
 * outside the registers).  Without hooks nothing here changes the model. */
typedef enum _MODEL_END_KIND {
    ModelEndOk = 0,         /* finishes without error */
    ModelEndError,          /* task file error (6.2.2): TFES, ERR/DF in the FIS; HBA halts
                               unless KeepsRunningAfterError */
    ModelEndErrorClears,    /* TFES and ERR, yet the HBA clears the slot's PxCI/PxSACT
                               bit and runs on: a device that says "done" and "failed" */
    ModelEndSilentNcq,      /* queued: SDB FIS without TFES, the tag stays in PxSACT and
                               shows in PxSERR (older QEMU) */
    ModelEndHang,           /* never ends: only ST cleared, COMRESET or HBA reset end it */
    ModelEndInterface,      /* IsBits (IFS/HBFS/HBDS) raised, HBA halts, no FIS */
} MODEL_END_KIND;

typedef struct _MODEL_END {
    MODEL_END_KIND Kind;
    ULONG ServiceUs;        /* accepted to ended (0: the drive's CommandUs) */
    UCHAR Status, Error;    /* error kinds: the task file posted (ERR or DF set by the model) */
    ULONG IsBits;           /* Interface: the PxIS bits */
    BOOLEAN NoInterrupt;    /* Ok: no DHRS/SDBS (an interrupt that never comes) */
    BOOLEAN GarbageFis;     /* Ok: D2H FIS bytes other than status from Garbage */
    UCHAR Garbage[16];
    BOOLEAN SetPrdbc;       /* PRDBC written as Prdbc whatever moved */
    ULONG Prdbc;
    BOOLEAN LogLies;        /* queued error: log page 10h names LogTag, not the failed tag */
    UCHAR LogTag;           /* NQ bit included */
} MODEL_END;

typedef enum _MODEL_DMA_KIND {
    ModelDmaHeader, ModelDmaTable, ModelDmaData, ModelDmaFis
} MODEL_DMA_KIND;

typedef struct _MODEL_HOOKS {
    /* Slot's command was accepted (Cfis: its command FIS): how it ends. */
    VOID (*Decide)(ULONG Port, ULONG Slot, const UCHAR *Cfis, MODEL_END *End);
    /* It ended; Ok: the device finished it without error. */
    VOID (*Ended)(ULONG Port, ULONG Slot, BOOLEAN Ok);
    /* Every driver register access, after the model applied it. */
    VOID (*Access)(ULONG Offset, BOOLEAN Write, ULONG Value);
    /* Every host memory range the HBA reads or writes. */
    VOID (*Dma)(ULONG Port, ULONG Slot, MODEL_DMA_KIND Kind, ULONG64 Address, ULONG Bytes,
                BOOLEAN ToHost);
    /* PxCI/PxSACT bits NewBits newly set while the port is in its error
     * state (since access ErrorSince, ModelAccessCount's count). */
    VOID (*IssueInError)(ULONG Port, ULONG NewBits, ULONG64 ErrorSince);
    /* An access the driver had no business making. */
    VOID (*Violation)(PCSTR What, ULONG Offset);
} MODEL_HOOKS;
extern const MODEL_HOOKS *ModelHooks;

/* Register accesses so far (each one is also ModelAccessCost of time). */
ULONG64 ModelAccessCount(VOID);
extern ULONG ModelAccessCost;       /* 100 ns units per access, default 1 */
extern ULONG ModelStallFloorUs;     /* a stall lasts at least this long (0: as asked) */
/* The port's error state: from a fatal PxIS bit (an error the device or
 * HBA reported) until PxCMD.ST is cleared, COMRESET or an HBA reset (AHCI
 * 6.2.2).  0 when not in it, else the access count when it began. */
ULONG64 ModelErrorSince(ULONG Port);
/* Device-side events at any moment: PxIS bits (fatal ones halt the HBA
 * and start the error state, as a real error does), PxSERR bits, a D2H
 * FIS the device sends on its own (PxTFD and the received FIS). */
VOID ModelRaiseIs(ULONG Port, ULONG Bits);
VOID ModelRaiseSerr(ULONG Port, ULONG Bits);
VOID ModelPostTfd(ULONG Port, UCHAR Status, UCHAR Error);
/* The interrupt now, if asserted and not already in the ISR. */
VOID ModelInterruptNow(VOID);

#endif
