/* xhci.h - eXtensible Host Controller Interface 1.2 registers and in-memory
 * structures: capability registers (5.3), operational registers (5.4),
 * port registers (5.4.8), runtime and interrupter registers (5.5),
 * doorbells (5.6), extended capabilities (7), contexts (6.2), TRBs (6.4)
 * and completion codes (6.4.5).
 * Pure definitions: no code, no kernel types beyond fixed-width integers. */
#ifndef NTSTOR_REGS_XHCI_H
#define NTSTOR_REGS_XHCI_H

#include <stdint.h>

/* PCI: class 0Ch subclass 03h prog-if 30h; registers in BAR0 (5.2). */
#define XHCI_PCI_CLASS_CODE     0x0C0330

/* ---- capability registers, offsets from BAR0 (5.3) ---- */
#define XHCI_CAPLENGTH          0x00    /* byte; HCIVERSION in the upper 16 bits */
#define XHCI_HCSPARAMS1         0x04
#define XHCI_HCSPARAMS2         0x08
#define XHCI_HCSPARAMS3         0x0C
#define XHCI_HCCPARAMS1         0x10
#define XHCI_DBOFF              0x14
#define XHCI_RTSOFF             0x18
#define XHCI_HCCPARAMS2         0x1C

#define XHCI_HCS1_MAXSLOTS(v)   ((v) & 0xFF)
#define XHCI_HCS1_MAXINTRS(v)   (((v) >> 8) & 0x7FF)
#define XHCI_HCS1_MAXPORTS(v)   (((v) >> 24) & 0xFF)
#define XHCI_HCS2_ERST_MAX(v)   (((v) >> 4) & 0xF)
/* Max Scratchpad Buffers: Hi (bits 25..21) << 5 | Lo (bits 31..27). */
#define XHCI_HCS2_MAX_SCRATCH(v) ((((v) >> 21) & 0x1F) << 5 | (((v) >> 27) & 0x1F))
#define XHCI_HCC1_AC64          (1u << 0)
#define XHCI_HCC1_CSZ           (1u << 2)   /* 64-byte contexts */
#define XHCI_HCC1_PPC           (1u << 3)   /* port power control */
#define XHCI_HCC1_XECP(v)       (((v) >> 16) & 0xFFFF)  /* in 32-bit words */

/* ---- operational registers, offsets from BAR0 + CAPLENGTH (5.4) ---- */
#define XHCI_USBCMD             0x00
#define XHCI_USBSTS             0x04
#define XHCI_PAGESIZE           0x08
#define XHCI_DNCTRL             0x14
#define XHCI_CRCR               0x18    /* 64-bit */
#define XHCI_DCBAAP             0x30    /* 64-bit */
#define XHCI_CONFIG             0x38
#define XHCI_PORTSC(n)          (0x400 + 0x10 * (n))    /* n from 0 */

#define XHCI_CMD_RS             (1u << 0)
#define XHCI_CMD_HCRST          (1u << 1)
#define XHCI_CMD_INTE           (1u << 2)
#define XHCI_CMD_HSEE           (1u << 3)

#define XHCI_STS_HCH            (1u << 0)   /* halted */
#define XHCI_STS_HSE            (1u << 2)   /* host system error (RW1C) */
#define XHCI_STS_EINT           (1u << 3)   /* event interrupt (RW1C) */
#define XHCI_STS_PCD            (1u << 4)   /* port change detect (RW1C) */
#define XHCI_STS_CNR            (1u << 11)  /* controller not ready */
#define XHCI_STS_HCE            (1u << 12)  /* host controller error */

#define XHCI_CRCR_RCS           (1ull << 0)
#define XHCI_CRCR_CS            (1ull << 1)
#define XHCI_CRCR_CA            (1ull << 2)
#define XHCI_CRCR_CRR           (1ull << 3)

/* PORTSC (5.4.8).  RW1C change bits must be written 0 to be left alone;
 * PED is RW1C too (writing 1 disables the port). */
#define XHCI_PORTSC_CCS         (1u << 0)
#define XHCI_PORTSC_PED         (1u << 1)
#define XHCI_PORTSC_OCA         (1u << 3)
#define XHCI_PORTSC_PR          (1u << 4)
#define XHCI_PORTSC_PLS_SHIFT   5
#define XHCI_PORTSC_PLS_MASK    (0xFu << 5)
#define XHCI_PORTSC_PP          (1u << 9)
#define XHCI_PORTSC_SPEED(v)    (((v) >> 10) & 0xF)
#define XHCI_PORTSC_LWS         (1u << 16)
#define XHCI_PORTSC_CSC         (1u << 17)
#define XHCI_PORTSC_PEC         (1u << 18)
#define XHCI_PORTSC_WRC         (1u << 19)
#define XHCI_PORTSC_OCC         (1u << 20)
#define XHCI_PORTSC_PRC         (1u << 21)
#define XHCI_PORTSC_PLC         (1u << 22)
#define XHCI_PORTSC_CEC         (1u << 23)
#define XHCI_PORTSC_WPR         (1u << 31)  /* warm port reset (USB3) */
#define XHCI_PORTSC_CHANGE_BITS (XHCI_PORTSC_CSC | XHCI_PORTSC_PEC | XHCI_PORTSC_WRC | \
                                 XHCI_PORTSC_OCC | XHCI_PORTSC_PRC | XHCI_PORTSC_PLC | \
                                 XHCI_PORTSC_CEC)
/* Bits that keep their value when written back (RW, not RW1C/RW1S). */
#define XHCI_PORTSC_PRESERVE    (XHCI_PORTSC_PP | (3u << 14) /* PIC */ | (7u << 25) /* WCE/WDE/WOE */)

/* Protocol speed IDs of the default PSI table (7.2.2.1.1). */
#define XHCI_SPEED_FULL         1
#define XHCI_SPEED_LOW          2
#define XHCI_SPEED_HIGH         3
#define XHCI_SPEED_SUPER        4
#define XHCI_SPEED_SUPER_PLUS   5

/* ---- runtime registers, offsets from BAR0 + RTSOFF (5.5) ---- */
#define XHCI_IR(n)              (0x20 + 0x20 * (n))
#define XHCI_IR_IMAN            0x00
#define XHCI_IR_IMOD            0x04
#define XHCI_IR_ERSTSZ          0x08
#define XHCI_IR_ERSTBA          0x10    /* 64-bit */
#define XHCI_IR_ERDP            0x18    /* 64-bit */
#define XHCI_IMAN_IP            (1u << 0)   /* RW1C */
#define XHCI_IMAN_IE            (1u << 1)
#define XHCI_ERDP_EHB           (1ull << 3) /* RW1C */

/* ---- extended capabilities (7) ---- */
#define XHCI_XCAP_ID(v)         ((v) & 0xFF)
#define XHCI_XCAP_NEXT(v)       (((v) >> 8) & 0xFF)     /* in 32-bit words, 0 ends */
#define XHCI_XCAP_LEGACY        1
#define XHCI_XCAP_PROTOCOL      2
/* USB Legacy Support (7.1): USBLEGSUP, then USBLEGCTLSTS. */
#define XHCI_LEGSUP_BIOS_OWNED  (1u << 16)
#define XHCI_LEGSUP_OS_OWNED    (1u << 24)
#define XHCI_LEGCTLSTS          4
#define XHCI_LEGCTLSTS_SMI_MASK 0x0000E011u /* SMI enables: USB, HSE, OS own, PCI cmd, BAR */
#define XHCI_LEGCTLSTS_SMI_EVENTS 0xE0000000u /* RW1C SMI on OS ownership/PCI/BAR change */
/* Supported Protocol (7.2): dword0 bits 31..24 major revision, dword2
 * bits 7..0 compatible port offset (1-based), 15..8 port count. */
#define XHCI_PROTO_MAJOR(v)     (((v) >> 24) & 0xFF)
#define XHCI_PROTO_PORT_OFF(v)  ((v) & 0xFF)
#define XHCI_PROTO_PORT_CNT(v)  (((v) >> 8) & 0xFF)

/* ---- TRBs (6.4) ---- */
#define XHCI_TRB_SIZE           16
#define XHCI_TRB_CYCLE          (1u << 0)
#define XHCI_TRB_ENT            (1u << 1)   /* evaluate next TRB */
#define XHCI_TRB_TC             (1u << 1)   /* link: toggle cycle */
#define XHCI_TRB_ISP            (1u << 2)   /* interrupt on short packet */
#define XHCI_TRB_CH             (1u << 4)   /* chain */
#define XHCI_TRB_IOC            (1u << 5)
#define XHCI_TRB_IDT            (1u << 6)   /* immediate data */
#define XHCI_TRB_BSR            (1u << 9)   /* address device: block SET_ADDRESS */
#define XHCI_TRB_DIR_IN         (1u << 16)  /* data stage */
#define XHCI_TRB_TYPE_SHIFT     10
#define XHCI_TRB_TYPE(c)        (((c) >> 10) & 0x3F)
#define XHCI_TRB_SLOT(c)        (((c) >> 24) & 0xFF)
#define XHCI_TRB_EP(c)          (((c) >> 16) & 0x1F)
#define XHCI_TRB_CC(s)          (((s) >> 24) & 0xFF)
#define XHCI_TRB_LEN(s)         ((s) & 0xFFFFFF)
#define XHCI_TRB_EVT_ED         (1u << 2)   /* transfer event: event data */
#define XHCI_TRB_TD_SIZE_SHIFT  17
#define XHCI_TRB_MAX_LEN        0x10000     /* 64 KiB per TRB (TRB Transfer Length 17 bits) */
/* Setup stage TRT (6.4.1.2.1). */
#define XHCI_TRT_NO_DATA        (0u << 16)
#define XHCI_TRT_OUT            (2u << 16)
#define XHCI_TRT_IN             (3u << 16)

enum {
    XHCI_TRB_NORMAL = 1, XHCI_TRB_SETUP = 2, XHCI_TRB_DATA = 3, XHCI_TRB_STATUS = 4,
    XHCI_TRB_LINK = 6, XHCI_TRB_EVENT_DATA = 7, XHCI_TRB_NOOP = 8,
    XHCI_TRB_ENABLE_SLOT = 9, XHCI_TRB_DISABLE_SLOT = 10, XHCI_TRB_ADDRESS_DEVICE = 11,
    XHCI_TRB_CONFIGURE_EP = 12, XHCI_TRB_EVALUATE_CTX = 13, XHCI_TRB_RESET_EP = 14,
    XHCI_TRB_STOP_EP = 15, XHCI_TRB_SET_TR_DEQ = 16, XHCI_TRB_RESET_DEVICE = 17,
    XHCI_TRB_NOOP_CMD = 23,
    XHCI_TRB_TRANSFER_EVENT = 32, XHCI_TRB_COMMAND_COMPLETION = 33,
    XHCI_TRB_PORT_STATUS_CHANGE = 34, XHCI_TRB_BANDWIDTH_REQUEST = 35,
    XHCI_TRB_DOORBELL_EVENT = 36, XHCI_TRB_HOST_CONTROLLER_EVENT = 37,
    XHCI_TRB_DEVICE_NOTIFICATION = 38, XHCI_TRB_MFINDEX_WRAP = 39,
};

/* Completion codes (6.4.5). */
enum {
    XHCI_CC_INVALID = 0, XHCI_CC_SUCCESS = 1, XHCI_CC_DATA_BUFFER = 2, XHCI_CC_BABBLE = 3,
    XHCI_CC_TRANSACTION = 4, XHCI_CC_TRB = 5, XHCI_CC_STALL = 6, XHCI_CC_RESOURCE = 7,
    XHCI_CC_BANDWIDTH = 8, XHCI_CC_NO_SLOTS = 9, XHCI_CC_INVALID_STREAM_TYPE = 10,
    XHCI_CC_SLOT_NOT_ENABLED = 11, XHCI_CC_EP_NOT_ENABLED = 12, XHCI_CC_SHORT_PACKET = 13,
    XHCI_CC_RING_UNDERRUN = 14, XHCI_CC_RING_OVERRUN = 15, XHCI_CC_VF_EVENT_RING_FULL = 16,
    XHCI_CC_PARAMETER = 17, XHCI_CC_BANDWIDTH_OVERRUN = 18, XHCI_CC_CONTEXT_STATE = 19,
    XHCI_CC_NO_PING_RESPONSE = 20, XHCI_CC_EVENT_RING_FULL = 21,
    XHCI_CC_INCOMPATIBLE_DEVICE = 22, XHCI_CC_MISSED_SERVICE = 23,
    XHCI_CC_COMMAND_RING_STOPPED = 24, XHCI_CC_COMMAND_ABORTED = 25, XHCI_CC_STOPPED = 26,
    XHCI_CC_STOPPED_LENGTH_INVALID = 27, XHCI_CC_STOPPED_SHORT_PACKET = 28,
    XHCI_CC_MAX_EXIT_LATENCY = 29, XHCI_CC_ISOCH_BUFFER_OVERRUN = 31,
    XHCI_CC_EVENT_LOST = 32, XHCI_CC_UNDEFINED = 33, XHCI_CC_INVALID_STREAM_ID = 34,
    XHCI_CC_SECONDARY_BANDWIDTH = 35, XHCI_CC_SPLIT_TRANSACTION = 36,
};

/* ---- contexts (6.2); dword indices within one context ---- */
#define XHCI_CTX_ENTRIES        32          /* slot + 31 endpoints */
/* Slot context dword 0: route string 19..0, speed 23..20, MTT 25, hub 26,
 * context entries 31..27; dword 1: root hub port 23..16, number of ports
 * 31..24; dword 2: TT hub slot 7..0, TT port 15..8, TTT 17..16; dword 3:
 * device address 7..0, slot state 31..27. */
#define XHCI_SLOT0_SPEED_SHIFT  20
#define XHCI_SLOT0_MTT          (1u << 25)
#define XHCI_SLOT0_HUB          (1u << 26)
#define XHCI_SLOT0_ENTRIES_SHIFT 27
#define XHCI_SLOT1_ROOT_PORT_SHIFT 16
#define XHCI_SLOT1_NPORTS_SHIFT 24
#define XHCI_SLOT2_TT_PORT_SHIFT 8
#define XHCI_SLOT2_TTT_SHIFT    16
/* Endpoint context dword 0: state 2..0, interval 23..16; dword 1: CErr
 * 2..1, type 5..3, max burst 15..8, max packet 31..16; dwords 2-3: TR
 * dequeue pointer with DCS in bit 0; dword 4: average TRB length 15..0,
 * max ESIT payload 31..16. */
#define XHCI_EP0_STATE(v)       ((v) & 7)
#define XHCI_EP0_INTERVAL_SHIFT 16
#define XHCI_EP1_CERR_SHIFT     1
#define XHCI_EP1_TYPE_SHIFT     3
#define XHCI_EP1_BURST_SHIFT    8
#define XHCI_EP1_MPS_SHIFT      16
#define XHCI_EP4_ESIT_SHIFT     16
enum {
    XHCI_EP_TYPE_ISOCH_OUT = 1, XHCI_EP_TYPE_BULK_OUT = 2, XHCI_EP_TYPE_INTR_OUT = 3,
    XHCI_EP_TYPE_CONTROL = 4, XHCI_EP_TYPE_ISOCH_IN = 5, XHCI_EP_TYPE_BULK_IN = 6,
    XHCI_EP_TYPE_INTR_IN = 7,
};
enum {
    XHCI_EP_STATE_DISABLED = 0, XHCI_EP_STATE_RUNNING = 1, XHCI_EP_STATE_HALTED = 2,
    XHCI_EP_STATE_STOPPED = 3, XHCI_EP_STATE_ERROR = 4,
};

#endif
