/* ahci.h - AHCI 1.3.1 host bus adapter registers and in-memory structures:
 * generic host control (section 3.1), port registers (3.3), command list
 * header (4.2.2), command table and PRD (4.2.3), received FIS area (4.2.1)
 * and the Serial ATA FIS types the HBA exchanges (SATA 3.x 10.5).
 * Pure definitions: no code, no kernel types beyond fixed-width integers. */
#ifndef NTSTOR_REGS_AHCI_H
#define NTSTOR_REGS_AHCI_H

#include <stdint.h>

/* PCI: class 01h subclass 06h prog-if 01h; ABAR is BAR5 (AHCI 2.1.11). */
#define AHCI_PCI_CLASS_CODE         0x010601
#define AHCI_PCI_ABAR_INDEX         5

/* ---- generic host control, offsets from ABAR (3.1) ---- */
#define AHCI_CAP        0x00    /* host capabilities */
#define AHCI_GHC        0x04    /* global host control */
#define AHCI_IS         0x08    /* interrupt status, one bit per port (RWC) */
#define AHCI_PI         0x0C    /* ports implemented */
#define AHCI_VS         0x10    /* version */
#define AHCI_CCC_CTL    0x14
#define AHCI_CCC_PORTS  0x18
#define AHCI_EM_LOC     0x1C
#define AHCI_EM_CTL     0x20
#define AHCI_CAP2       0x24    /* host capabilities extended */
#define AHCI_BOHC       0x28    /* BIOS/OS handoff control and status */

/* CAP (3.1.1) */
#define AHCI_CAP_NP_MASK    0x0000001Fu /* number of ports - 1 */
#define AHCI_CAP_SXS        (1u << 5)
#define AHCI_CAP_EMS        (1u << 6)
#define AHCI_CAP_CCCS       (1u << 7)
#define AHCI_CAP_NCS_SHIFT  8           /* number of command slots - 1 */
#define AHCI_CAP_NCS_MASK   (0x1Fu << 8)
#define AHCI_CAP_PSC        (1u << 13)
#define AHCI_CAP_SSC        (1u << 14)
#define AHCI_CAP_PMD        (1u << 15)
#define AHCI_CAP_FBSS       (1u << 16)
#define AHCI_CAP_SPM        (1u << 17)  /* port multiplier */
#define AHCI_CAP_SAM        (1u << 18)  /* AHCI only (no legacy mode) */
#define AHCI_CAP_ISS_SHIFT  20
#define AHCI_CAP_ISS_MASK   (0xFu << 20)
#define AHCI_CAP_SCLO       (1u << 24)  /* command list override */
#define AHCI_CAP_SAL        (1u << 25)
#define AHCI_CAP_SALP       (1u << 26)
#define AHCI_CAP_SSS        (1u << 27)  /* staggered spin-up */
#define AHCI_CAP_SMPS       (1u << 28)
#define AHCI_CAP_SSNTF      (1u << 29)
#define AHCI_CAP_SNCQ       (1u << 30)  /* native command queuing */
#define AHCI_CAP_S64A       (1u << 31)  /* 64-bit addressing */

/* GHC (3.1.2) */
#define AHCI_GHC_HR         (1u << 0)   /* HBA reset; HBA clears it when done (<= 1 s) */
#define AHCI_GHC_IE         (1u << 1)   /* interrupt enable */
#define AHCI_GHC_MRSM       (1u << 2)   /* MSI revert to single message */
#define AHCI_GHC_AE         (1u << 31)  /* AHCI enable */

/* CAP2 (3.1.10) */
#define AHCI_CAP2_BOH       (1u << 0)   /* BIOS/OS handoff supported */
#define AHCI_CAP2_NVMP      (1u << 1)
#define AHCI_CAP2_APST      (1u << 2)
#define AHCI_CAP2_SDS       (1u << 3)
#define AHCI_CAP2_SADM      (1u << 4)
#define AHCI_CAP2_DESO      (1u << 5)

/* BOHC (3.1.11, handoff procedure 10.6.3) */
#define AHCI_BOHC_BOS       (1u << 0)   /* BIOS owned semaphore */
#define AHCI_BOHC_OOS       (1u << 1)   /* OS owned semaphore */
#define AHCI_BOHC_SOOE      (1u << 2)
#define AHCI_BOHC_OOC       (1u << 3)   /* OS ownership change (RWC) */
#define AHCI_BOHC_BB        (1u << 4)   /* BIOS busy */

/* ---- port registers: ABAR + 0x100 + port * 0x80 (3.3) ---- */
#define AHCI_PORT_BASE      0x100
#define AHCI_PORT_STRIDE    0x80
#define AHCI_MAX_PORTS      32
#define AHCI_PORT_OFFSET(p) (AHCI_PORT_BASE + (p) * AHCI_PORT_STRIDE)

#define AHCI_PxCLB      0x00    /* command list base, 1 KiB aligned */
#define AHCI_PxCLBU     0x04
#define AHCI_PxFB       0x08    /* FIS base, 256 B aligned */
#define AHCI_PxFBU      0x0C
#define AHCI_PxIS       0x10    /* interrupt status (RWC) */
#define AHCI_PxIE       0x14    /* interrupt enable */
#define AHCI_PxCMD      0x18    /* command and status */
#define AHCI_PxTFD      0x20    /* task file data: ERR in 15:8, STS in 7:0 */
#define AHCI_PxSIG      0x24    /* signature from the first D2H FIS */
#define AHCI_PxSSTS     0x28    /* SStatus */
#define AHCI_PxSCTL     0x2C    /* SControl */
#define AHCI_PxSERR     0x30    /* SError (RWC) */
#define AHCI_PxSACT     0x34    /* NCQ tags outstanding */
#define AHCI_PxCI       0x38    /* command issue */
#define AHCI_PxSNTF     0x3C
#define AHCI_PxFBS      0x40
#define AHCI_PxDEVSLP   0x44

/* PxIS / PxIE (3.3.5, 3.3.6) */
#define AHCI_PxIS_DHRS      (1u << 0)   /* D2H register FIS */
#define AHCI_PxIS_PSS       (1u << 1)   /* PIO setup FIS */
#define AHCI_PxIS_DSS       (1u << 2)   /* DMA setup FIS */
#define AHCI_PxIS_SDBS      (1u << 3)   /* set device bits FIS (NCQ completion) */
#define AHCI_PxIS_UFS       (1u << 4)   /* unknown FIS */
#define AHCI_PxIS_DPS       (1u << 5)   /* descriptor processed */
#define AHCI_PxIS_PCS       (1u << 6)   /* port connect change */
#define AHCI_PxIS_DMPS      (1u << 7)
#define AHCI_PxIS_PRCS      (1u << 22)  /* PhyRdy change */
#define AHCI_PxIS_IPMS      (1u << 23)
#define AHCI_PxIS_OFS       (1u << 24)  /* overflow */
#define AHCI_PxIS_INFS      (1u << 26)  /* interface non-fatal */
#define AHCI_PxIS_IFS       (1u << 27)  /* interface fatal */
#define AHCI_PxIS_HBDS      (1u << 28)  /* host bus data error */
#define AHCI_PxIS_HBFS      (1u << 29)  /* host bus fatal error */
#define AHCI_PxIS_TFES      (1u << 30)  /* task file error */
#define AHCI_PxIS_CPDS      (1u << 31)
/* Errors that stop the command list and need recovery (6.1.2). */
#define AHCI_PxIS_FATAL     (AHCI_PxIS_TFES | AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS)
#define AHCI_PxIS_ERRORS    (AHCI_PxIS_FATAL | AHCI_PxIS_INFS | AHCI_PxIS_OFS | AHCI_PxIS_UFS)
/* What ntstor enables: completions, errors and link changes. */
#define AHCI_PxIE_DEFAULT   (AHCI_PxIS_DHRS | AHCI_PxIS_PSS | AHCI_PxIS_DSS | AHCI_PxIS_SDBS | \
                             AHCI_PxIS_DPS | AHCI_PxIS_PCS | AHCI_PxIS_PRCS | AHCI_PxIS_ERRORS)
/* An empty port: only its link changes (hot plug, 10.9). */
#define AHCI_PxIE_HOTPLUG   (AHCI_PxIS_PCS | AHCI_PxIS_PRCS)

/* PxCMD (3.3.7) */
#define AHCI_PxCMD_ST       (1u << 0)   /* start: process the command list */
#define AHCI_PxCMD_SUD      (1u << 1)   /* spin-up device */
#define AHCI_PxCMD_POD      (1u << 2)   /* power on device */
#define AHCI_PxCMD_CLO      (1u << 3)   /* command list override */
#define AHCI_PxCMD_FRE      (1u << 4)   /* FIS receive enable */
#define AHCI_PxCMD_CCS_SHIFT 8
#define AHCI_PxCMD_CCS_MASK (0x1Fu << 8)
#define AHCI_PxCMD_MPSS     (1u << 13)
#define AHCI_PxCMD_FR       (1u << 14)  /* FIS receive running */
#define AHCI_PxCMD_CR       (1u << 15)  /* command list running */
#define AHCI_PxCMD_CPS      (1u << 16)
#define AHCI_PxCMD_PMA      (1u << 17)
#define AHCI_PxCMD_HPCP     (1u << 18)
#define AHCI_PxCMD_MPSP     (1u << 19)
#define AHCI_PxCMD_CPD      (1u << 20)
#define AHCI_PxCMD_ESP      (1u << 21)
#define AHCI_PxCMD_FBSCP    (1u << 22)
#define AHCI_PxCMD_APSTE    (1u << 23)
#define AHCI_PxCMD_ATAPI    (1u << 24)
#define AHCI_PxCMD_DLAE     (1u << 25)
#define AHCI_PxCMD_ALPE     (1u << 26)
#define AHCI_PxCMD_ASP      (1u << 27)
#define AHCI_PxCMD_ICC_MASK (0xFu << 28)
#define AHCI_PxCMD_ICC_ACTIVE (1u << 28)

/* PxTFD (3.3.8): a copy of the ATA status and error registers. */
#define AHCI_PxTFD_STS_MASK 0x000000FFu
#define AHCI_PxTFD_ERR_SHIFT 8
#define AHCI_PxTFD_ERR_MASK 0x0000FF00u
#define AHCI_PxTFD_STS_ERR  (1u << 0)
#define AHCI_PxTFD_STS_DRQ  (1u << 3)
#define AHCI_PxTFD_STS_BSY  (1u << 7)

/* PxSIG (3.3.9): device signatures (Serial ATA / ATA8-ACS 4.x). */
#define AHCI_SIG_ATA        0x00000101u
#define AHCI_SIG_ATAPI      0xEB140101u
#define AHCI_SIG_SEMB       0xC33C0101u
#define AHCI_SIG_PM         0x96690101u
/* Only LBA mid/high (PxSIG 31:16) classify a device (ATA8-ACS 9.12 table
 * 206; Linux ata_dev_classify); count and LBA low vary between devices. */
#define AHCI_SIG_CLASS(sig)     ((sig) >> 16)

/* PxSSTS (3.3.10) */
#define AHCI_PxSSTS_DET_MASK    0x0000000Fu
#define AHCI_PxSSTS_DET_NONE    0x0
#define AHCI_PxSSTS_DET_PRESENT 0x1     /* device but no PHY communication */
#define AHCI_PxSSTS_DET_PHY     0x3     /* device present and PHY established */
#define AHCI_PxSSTS_DET_OFFLINE 0x4
#define AHCI_PxSSTS_SPD_SHIFT   4
#define AHCI_PxSSTS_SPD_MASK    0x000000F0u
#define AHCI_PxSSTS_IPM_SHIFT   8
#define AHCI_PxSSTS_IPM_MASK    0x00000F00u
#define AHCI_PxSSTS_IPM_ACTIVE  0x1

/* PxSCTL (3.3.11) */
#define AHCI_PxSCTL_DET_MASK    0x0000000Fu
#define AHCI_PxSCTL_DET_NONE    0x0
#define AHCI_PxSCTL_DET_COMRESET 0x1    /* hold >= 1 ms, then back to 0 (10.4.2) */
#define AHCI_PxSCTL_DET_DISABLE 0x4
#define AHCI_PxSCTL_SPD_MASK    0x000000F0u /* speed limit: 1 = Gen1 */
#define AHCI_PxSCTL_SPD_SHIFT   4
#define AHCI_PxSCTL_IPM_MASK    0x00000F00u
#define AHCI_PxSCTL_IPM_NOPARTIAL_NOSLUMBER (0x3u << 8)

/* PxSERR (3.3.12): DIAG.X (exchanged) must be cleared for PxTFD updates;
 * DIAG.N: PhyRdy changed. */
#define AHCI_PxSERR_ALL         0xFFFFFFFFu
#define AHCI_PxSERR_DIAG_N      (1u << 16)
#define AHCI_PxSERR_DIAG_X      (1u << 26)

/* ---- received FIS area, 256 bytes, PxFB (4.2.1) ---- */
#define AHCI_RFIS_DSFIS         0x00    /* DMA setup FIS */
#define AHCI_RFIS_PSFIS         0x20    /* PIO setup FIS */
#define AHCI_RFIS_RFIS          0x40    /* D2H register FIS */
#define AHCI_RFIS_SDBFIS        0x58    /* set device bits FIS */
#define AHCI_RFIS_UFIS          0x60
#define AHCI_RFIS_SIZE          256
#define AHCI_RFIS_ALIGN         256

/* ---- command list: 32 headers of 32 bytes, PxCLB (4.2.2) ---- */
#define AHCI_CMD_LIST_SIZE      1024
#define AHCI_CMD_LIST_ALIGN     1024
#define AHCI_MAX_SLOTS          32

typedef struct _AHCI_COMMAND_HEADER {
    uint32_t Flags;     /* DW0: CFL 4:0, A 5, W 6, P 7, R 8, B 9, C 10, PMP 15:12, PRDTL 31:16 */
    uint32_t Prdbc;     /* DW1: PRD byte count, written by the HBA */
    uint32_t Ctba;      /* DW2: command table base, 128 B aligned */
    uint32_t Ctbau;     /* DW3 */
    uint32_t Reserved[4];
} AHCI_COMMAND_HEADER;
_Static_assert(sizeof(AHCI_COMMAND_HEADER) == 32, "AHCI 4.2.2: command header is 32 bytes");

#define AHCI_CMDH_CFL_MASK      0x1Fu   /* command FIS length in DWORDs (2..16) */
#define AHCI_CMDH_ATAPI         (1u << 5)
#define AHCI_CMDH_WRITE         (1u << 6)   /* H2D data direction */
#define AHCI_CMDH_PREFETCH      (1u << 7)
#define AHCI_CMDH_RESET         (1u << 8)
#define AHCI_CMDH_BIST          (1u << 9)
#define AHCI_CMDH_CLEAR_BUSY    (1u << 10)  /* clear BSY on R_OK */
#define AHCI_CMDH_PMP_SHIFT     12
#define AHCI_CMDH_PRDTL_SHIFT   16

/* ---- command table (4.2.3): CFIS 64 B, ACMD 16 B, reserved, PRDT ---- */
#define AHCI_CT_CFIS            0x00
#define AHCI_CT_ACMD            0x40
#define AHCI_CT_PRDT            0x80
#define AHCI_CT_ALIGN           128

typedef struct _AHCI_PRD {
    uint32_t Dba;       /* data base address; bit 0 must be 0 (word aligned) */
    uint32_t Dbau;
    uint32_t Reserved;
    uint32_t Dbc;       /* byte count - 1 in 21:0 (max 4 MiB, must be odd: even byte count), I in 31 */
} AHCI_PRD;
_Static_assert(sizeof(AHCI_PRD) == 16, "AHCI 4.2.3.3: PRD entry is 16 bytes");

#define AHCI_PRD_DBC_MASK       0x003FFFFFu
#define AHCI_PRD_MAX_BYTES      (4u * 1024 * 1024)
#define AHCI_PRD_INTERRUPT      (1u << 31)
#define AHCI_PRDT_MAX_ENTRIES   65535

typedef struct _AHCI_COMMAND_TABLE_HEAD {
    uint8_t Cfis[64];
    uint8_t Acmd[16];
    uint8_t Reserved[48];
    /* AHCI_PRD Prdt[] follows */
} AHCI_COMMAND_TABLE_HEAD;
_Static_assert(sizeof(AHCI_COMMAND_TABLE_HEAD) == AHCI_CT_PRDT, "AHCI 4.2.3: PRDT at 0x80");

/* ---- FIS types (SATA 3.x 10.5) ---- */
#define FIS_TYPE_REG_H2D        0x27
#define FIS_TYPE_REG_D2H        0x34
#define FIS_TYPE_DMA_ACTIVATE   0x39
#define FIS_TYPE_DMA_SETUP      0x41
#define FIS_TYPE_DATA           0x46
#define FIS_TYPE_BIST           0x58
#define FIS_TYPE_PIO_SETUP      0x5F
#define FIS_TYPE_DEV_BITS       0xA1

#pragma pack(push, 1)
/* Register host-to-device FIS (SATA 10.5.5): 20 bytes, CFL = 5. */
typedef struct _FIS_REG_H2D {
    uint8_t FisType;        /* FIS_TYPE_REG_H2D */
    uint8_t PmPortC;        /* PM port 3:0, C (command, not control) bit 7 */
    uint8_t Command;
    uint8_t FeatureLow;
    uint8_t Lba0;
    uint8_t Lba1;
    uint8_t Lba2;
    uint8_t Device;
    uint8_t Lba3;
    uint8_t Lba4;
    uint8_t Lba5;
    uint8_t FeatureHigh;
    uint8_t CountLow;       /* NCQ: tag << 3 */
    uint8_t CountHigh;      /* NCQ: PRIO */
    uint8_t Icc;
    uint8_t Control;
    uint8_t Auxiliary[4];
} FIS_REG_H2D;

/* Register device-to-host FIS (SATA 10.5.6). */
typedef struct _FIS_REG_D2H {
    uint8_t FisType;
    uint8_t PmPortI;        /* I (interrupt) bit 6 */
    uint8_t Status;
    uint8_t Error;
    uint8_t Lba0;
    uint8_t Lba1;
    uint8_t Lba2;
    uint8_t Device;
    uint8_t Lba3;
    uint8_t Lba4;
    uint8_t Lba5;
    uint8_t Reserved1;
    uint8_t CountLow;
    uint8_t CountHigh;
    uint8_t Reserved2[6];
} FIS_REG_D2H;

/* Set device bits FIS (SATA 10.5.7); NCQ completions, 13.6.4. */
typedef struct _FIS_SET_DEVICE_BITS {
    uint8_t FisType;
    uint8_t PmPortIN;
    uint8_t Status;         /* STS-Hi 6:4, STS-Lo 2:0 */
    uint8_t Error;
    uint32_t SActive;       /* tags completed */
} FIS_SET_DEVICE_BITS;
#pragma pack(pop)
_Static_assert(sizeof(FIS_REG_H2D) == 20, "SATA 10.5.5: H2D register FIS is 20 bytes");
_Static_assert(sizeof(FIS_REG_D2H) == 20, "SATA 10.5.6: D2H register FIS is 20 bytes");

#define FIS_H2D_C               0x80
#define FIS_H2D_CFL_DWORDS      (sizeof(FIS_REG_H2D) / 4)

/* ---- timeouts the spec states ---- */
#define AHCI_HBA_RESET_TIMEOUT_MS       1000    /* 10.4.3: GHC.HR clears within 1 s */
#define AHCI_PORT_STOP_TIMEOUT_MS       500     /* 10.1.2: CR and FR clear within 500 ms */
#define AHCI_COMRESET_HOLD_MS           1       /* 10.4.2: DET=1 held at least 1 ms */
#define AHCI_LINK_UP_TIMEOUT_MS         10      /* 10.4.2: PHY comm re-established */
#define AHCI_BOHC_BIOS_BUSY_MS          2000    /* 10.6.3: BIOS may take up to 2 s when BB set */
#define AHCI_BOHC_OWNERSHIP_MS          25      /* 10.6.3: BIOS answers OOS within 25 ms */

/* ---- field tables for decoding (the shell's `ahci regs`): X(name, low bit,
 * width), AHCI 1.3.1 section by register ---- */
#define AHCI_CAP_FIELDS(X)  /* 3.1.1 */                                     \
    X(NP, 0, 5) X(SXS, 5, 1) X(EMS, 6, 1) X(CCCS, 7, 1) X(NCS, 8, 5)        \
    X(PSC, 13, 1) X(SSC, 14, 1) X(PMD, 15, 1) X(FBSS, 16, 1) X(SPM, 17, 1)  \
    X(SAM, 18, 1) X(ISS, 20, 4) X(SCLO, 24, 1) X(SAL, 25, 1) X(SALP, 26, 1) \
    X(SSS, 27, 1) X(SMPS, 28, 1) X(SSNTF, 29, 1) X(SNCQ, 30, 1) X(S64A, 31, 1)
#define AHCI_GHC_FIELDS(X)  /* 3.1.2 */                                     \
    X(HR, 0, 1) X(IE, 1, 1) X(MRSM, 2, 1) X(AE, 31, 1)
#define AHCI_VS_FIELDS(X)   /* 3.1.5 */                                     \
    X(MNR, 0, 16) X(MJR, 16, 16)
#define AHCI_CCC_CTL_FIELDS(X) /* 3.1.6 */                                  \
    X(EN, 0, 1) X(INT, 3, 5) X(CC, 8, 8) X(TV, 16, 16)
#define AHCI_EM_LOC_FIELDS(X)  /* 3.1.8 */                                  \
    X(SZ, 0, 16) X(OFST, 16, 16)
#define AHCI_EM_CTL_FIELDS(X)  /* 3.1.9 */                                  \
    X(STS_MR, 0, 1) X(CTL_TM, 8, 1) X(CTL_RST, 9, 1) X(SUPP_LED, 16, 1)     \
    X(SUPP_SAFTE, 17, 1) X(SUPP_SES2, 18, 1) X(SUPP_SGPIO, 19, 1)          \
    X(ATTR_SMB, 24, 1) X(ATTR_XMT, 25, 1) X(ATTR_ALHD, 26, 1) X(ATTR_PM, 27, 1)
#define AHCI_CAP2_FIELDS(X) /* 3.1.10 */                                    \
    X(BOH, 0, 1) X(NVMP, 1, 1) X(APST, 2, 1) X(SDS, 3, 1) X(SADM, 4, 1)     \
    X(DESO, 5, 1)
#define AHCI_BOHC_FIELDS(X) /* 3.1.11 */                                    \
    X(BOS, 0, 1) X(OOS, 1, 1) X(SOOE, 2, 1) X(OOC, 3, 1) X(BB, 4, 1)
#define AHCI_PxIS_FIELDS(X) /* 3.3.5, 3.3.6 (PxIE: the same bits) */        \
    X(DHRS, 0, 1) X(PSS, 1, 1) X(DSS, 2, 1) X(SDBS, 3, 1) X(UFS, 4, 1)      \
    X(DPS, 5, 1) X(PCS, 6, 1) X(DMPS, 7, 1) X(PRCS, 22, 1) X(IPMS, 23, 1)   \
    X(OFS, 24, 1) X(INFS, 26, 1) X(IFS, 27, 1) X(HBDS, 28, 1) X(HBFS, 29, 1) \
    X(TFES, 30, 1) X(CPDS, 31, 1)
#define AHCI_PxCMD_FIELDS(X) /* 3.3.7 */                                    \
    X(ST, 0, 1) X(SUD, 1, 1) X(POD, 2, 1) X(CLO, 3, 1) X(FRE, 4, 1)         \
    X(CCS, 8, 5) X(MPSS, 13, 1) X(FR, 14, 1) X(CR, 15, 1) X(CPS, 16, 1)     \
    X(PMA, 17, 1) X(HPCP, 18, 1) X(MPSP, 19, 1) X(CPD, 20, 1) X(ESP, 21, 1) \
    X(FBSCP, 22, 1) X(APSTE, 23, 1) X(ATAPI, 24, 1) X(DLAE, 25, 1)          \
    X(ALPE, 26, 1) X(ASP, 27, 1) X(ICC, 28, 4)
#define AHCI_PxTFD_FIELDS(X) /* 3.3.8: STS with its BSY/DRQ/ERR bits, ERR */ \
    X(STS, 0, 8) X(BSY, 7, 1) X(DRQ, 3, 1) X(STS_ERR, 0, 1) X(ERR, 8, 8)
#define AHCI_PxSIG_FIELDS(X) /* 3.3.9 */                                    \
    X(COUNT, 0, 8) X(LBA_LOW, 8, 8) X(LBA_MID, 16, 8) X(LBA_HIGH, 24, 8)
#define AHCI_PxSSTS_FIELDS(X) /* 3.3.10 */                                  \
    X(DET, 0, 4) X(SPD, 4, 4) X(IPM, 8, 4)
#define AHCI_PxSCTL_FIELDS(X) /* 3.3.11 */                                  \
    X(DET, 0, 4) X(SPD, 4, 4) X(IPM, 8, 4) X(SPM, 12, 4) X(PMP, 16, 4)
#define AHCI_PxSERR_FIELDS(X) /* 3.3.12 */                                  \
    X(ERR_I, 0, 1) X(ERR_M, 1, 1) X(ERR_T, 8, 1) X(ERR_C, 9, 1)             \
    X(ERR_P, 10, 1) X(ERR_E, 11, 1) X(DIAG_N, 16, 1) X(DIAG_I, 17, 1)       \
    X(DIAG_W, 18, 1) X(DIAG_B, 19, 1) X(DIAG_D, 20, 1) X(DIAG_C, 21, 1)     \
    X(DIAG_H, 22, 1) X(DIAG_S, 23, 1) X(DIAG_T, 24, 1) X(DIAG_F, 25, 1)     \
    X(DIAG_X, 26, 1)
#define AHCI_PxFBS_FIELDS(X) /* 3.3.16 */                                   \
    X(EN, 0, 1) X(DEC, 1, 1) X(SDE, 2, 1) X(DEV, 8, 4) X(ADO, 12, 4)        \
    X(DWE, 16, 4)
#define AHCI_PxDEVSLP_FIELDS(X) /* 3.3.17 */                                \
    X(ADSE, 0, 1) X(DSP, 1, 1) X(DETO, 2, 8) X(MDAT, 10, 5) X(DITO, 15, 10) \
    X(DM, 25, 4)

#endif /* NTSTOR_REGS_AHCI_H */
