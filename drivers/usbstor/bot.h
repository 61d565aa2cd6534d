/* bot.h - the USB Mass Storage Bulk-Only Transport (BOT 1.0) as pure code:
 * CBW building, CSW checking, the three phases of a command with the
 * spec's error handling (5.3, 6.6, 6.7), REQUEST SENSE after a failed
 * command, and an SRB carried through it all.  No kernel services and no
 * URBs: the bus is reached through BOT_OPS, which the driver implements
 * with synchronous URBs (usbio.c) and the host unit tests with a simulated
 * device (tests/unit/bot_sim.c), so both run exactly this code.
 *
 * Threading: a BOT_DEVICE serves one command at a time (BOT has no
 * queueing, 5.3); the caller serializes, and every BOT_OPS call may wait,
 * so everything here runs at PASSIVE_LEVEL (the driver's per-device
 * thread, usbstor/io.c). */
#ifndef NTSTOR_USBSTOR_BOT_H
#define NTSTOR_USBSTOR_BOT_H

#include <ntdef.h>
#include <ntstatus.h>
#include <srb.h>
#include <scsi.h>

/* BOT 1.0 5.1, 5.2 */
#define BOT_CBW_SIGNATURE       0x43425355u     /* "USBC" little-endian */
#define BOT_CSW_SIGNATURE       0x53425355u     /* "USBS" */
#define BOT_CBW_LENGTH          31
#define BOT_CSW_LENGTH          13
#define BOT_CBW_FLAG_DATA_IN    0x80
#define BOT_CBW_MAX_CDB         16
#define BOT_MAX_LUN             15              /* GET MAX LUN answers 0..15 (3.2) */

/* bCSWStatus (5.2, table 5.3) */
#define BOT_CSW_PASSED          0x00
#define BOT_CSW_FAILED          0x01
#define BOT_CSW_PHASE_ERROR     0x02

/* Class requests to the interface (3.1, 3.2) */
#define BOT_REQUEST_RESET       0xFF            /* Bulk-Only Mass Storage Reset */
#define BOT_REQUEST_GET_MAX_LUN 0xFE

/* How long a phase may take when the SRB says nothing (NT's class drivers
 * default to 10 s per command); the CBW is 31 bytes and goes at once
 * unless the device is wedged. */
#define BOT_DEFAULT_TIMEOUT_MS  10000
#define BOT_CBW_TIMEOUT_MS      5000
/* REQUEST SENSE asks for the fixed-format 18 bytes (SPC-4 4.5.3): some
 * sticks misbehave when asked for more (Linux asks 18 as well). */
#define BOT_SENSE_REQUEST_BYTES 18

/* What one transfer on the bus came to. */
typedef enum _BOT_IO {
    BotIoOk = 0,            /* done; *Done may be short on an IN pipe */
    BotIoStall,             /* the endpoint answered STALL (halted) */
    BotIoTimeout,           /* nothing within the time; the transfer was aborted */
    BotIoGone,              /* the device is no longer on the bus */
    BotIoError,             /* babble, CRC, overrun ... the pipe state is unknown */
    BotIoCount
} BOT_IO;

typedef enum _BOT_PIPE { BotPipeOut = 0, BotPipeIn = 1 } BOT_PIPE;

/* The bus, as the engine sees it.  Every call may wait (PASSIVE_LEVEL). */
typedef struct _BOT_OPS {
    /* One bulk transfer of Length bytes (short IN transfers allowed);
     * *Done gets the bytes moved, whatever the outcome. */
    BOT_IO (*Bulk)(PVOID Context, BOT_PIPE Pipe, PVOID Buffer, ULONG Length, PULONG Done,
                   ULONG TimeoutMs);
    /* CLEAR_FEATURE(ENDPOINT_HALT) and the host side's toggle reset. */
    BOT_IO (*ClearHalt)(PVOID Context, BOT_PIPE Pipe);
    /* The class-specific Bulk-Only Mass Storage Reset (3.1). */
    BOT_IO (*Reset)(PVOID Context);
    /* Last resort when reset recovery fails: reset the port the device is
     * on (IOCTL_INTERNAL_USB_RESET_PORT), which keeps its configuration. */
    BOT_IO (*PortReset)(PVOID Context);
} BOT_OPS;

/* How a command ended at the transport level. */
typedef enum _BOT_RESULT {
    BotPassed = 0,          /* CSW status 0 */
    BotFailed,              /* CSW status 1: the command failed, sense tells why */
    BotPhaseError,          /* CSW status 2: reset recovery ran */
    BotInvalidCsw,          /* CSW not valid or not meaningful (6.3): reset recovery ran */
    BotTransportError,      /* a stall or bus error the spec answers with reset recovery */
    BotTimeout,             /* a phase took too long: reset recovery ran */
    BotGone,                /* the device left; nothing more goes to it */
    BotBroken,              /* recovery failed: the device is given up */
    BotResultCount
} BOT_RESULT;
extern PCSTR const BotResultNames[BotResultCount];

/* What is wrong with a CSW (6.3: valid, then meaningful). */
typedef enum _BOT_CSW_CHECK {
    BotCswOk = 0,
    BotCswWrongLength,      /* not 13 bytes */
    BotCswBadSignature,
    BotCswBadTag,
    BotCswBadStatus,        /* bCSWStatus 3..255 */
    BotCswBadResidue,       /* residue > dCBWDataTransferLength with status 0 or 1 */
    BotCswCheckCount
} BOT_CSW_CHECK;
extern PCSTR const BotCswCheckNames[BotCswCheckCount];

typedef struct _BOT_STATS {
    ULONG64 Commands;       /* CBWs sent */
    ULONG64 Failed;         /* CSW status 1 */
    ULONG64 Stalls;         /* data or CSW stalls cleared */
    ULONG64 CswRetries;     /* CSW read again after a stall */
    ULONG64 PhaseErrors;
    ULONG64 InvalidCsws;
    ULONG64 Timeouts;
    ULONG64 ResetRecoveries;
    ULONG64 PortResets;
    ULONG64 SenseFetched;   /* REQUEST SENSE that gave sense data */
} BOT_STATS, *PBOT_STATS;

/* One device's transport state.  The CBW, CSW and sense buffers live here
 * so a driver that keeps the structure in nonpaged memory hands the bus
 * nothing on the stack. */
typedef struct _BOT_DEVICE {
    const BOT_OPS *Ops;
    PVOID Context;
    ULONG NextTag;
    BOOLEAN Gone;           /* BotGone seen: every command fails at once */
    BOOLEAN Broken;         /* recovery failed: likewise */
    BOT_STATS Stats;
    PCSTR LastProblem;      /* static text of the last thing that went wrong */
    UCHAR Cbw[32];
    UCHAR Csw[16];
    UCHAR Sense[32];
} BOT_DEVICE, *PBOT_DEVICE;

/* One command through the transport. */
typedef struct _BOT_COMMAND {
    UCHAR Lun;
    UCHAR CdbLength;        /* 1..16 */
    BOOLEAN DataIn;
    const UCHAR *Cdb;
    PVOID Data;             /* DataLength bytes, NULL when DataLength is 0 */
    ULONG DataLength;
    ULONG TimeoutMs;        /* per data and status phase; 0 = BOT_DEFAULT_TIMEOUT_MS */
    /* out */
    ULONG Transferred;      /* bytes of data the command really moved */
    ULONG Residue;          /* dCSWDataResidue of a meaningful CSW */
} BOT_COMMAND, *PBOT_COMMAND;

VOID BotInitialize(PBOT_DEVICE Device, const BOT_OPS *Ops, PVOID Context);

/* Fills a 31-byte CBW (5.1). */
VOID BotBuildCbw(PUCHAR Cbw, ULONG Tag, ULONG DataLength, BOOLEAN DataIn, UCHAR Lun,
                 const UCHAR *Cdb, UCHAR CdbLength);

/* Checks Length bytes received as the CSW of the command with Tag and
 * DataLength (6.3); on BotCswOk (and on BotCswBadResidue) *Status and
 * *Residue hold the CSW's fields. */
BOT_CSW_CHECK BotCheckCsw(const UCHAR *Csw, ULONG Length, ULONG Tag, ULONG DataLength,
                          PUCHAR Status, PULONG Residue);

/* Reads sense data (SPC-4 4.5: fixed 70h/71h or descriptor 72h/73h) of
 * which Got bytes arrived: returns how many of them are sense (the header
 * plus ADDITIONAL SENSE LENGTH, cut to Got), 0 when it is not sense data,
 * and the key, ASC and ASCQ (0 where absent). */
ULONG BotParseSense(const UCHAR *Sense, ULONG Got, PUCHAR Key, PUCHAR Asc, PUCHAR Ascq);

/* Runs one command: CBW, data, CSW, with stall clearing, the CSW retry and
 * reset recovery as 5.3.x and 6.6 order them. */
BOT_RESULT BotTransport(PBOT_DEVICE Device, PBOT_COMMAND Command);

/* Reset recovery (5.3.4): Bulk-Only Mass Storage Reset, clear halt on
 * Bulk-In, clear halt on Bulk-Out; a port reset if that fails.  Returns
 * BotPassed, BotGone or BotBroken. */
BOT_RESULT BotResetRecovery(PBOT_DEVICE Device);

/* An SRB_FUNCTION_EXECUTE_SCSI SRB through BotTransport, for logical unit
 * Srb->Lun: sets SrbStatus, ScsiStatus and DataTransferLength (the bytes
 * moved: the residue is taken off), and after a failed command (CSW status
 * 1) fetches the sense with REQUEST SENSE into SenseInfoBuffer with
 * SRB_STATUS_AUTOSENSE_VALID.  Returns the NTSTATUS for the IRP. */
NTSTATUS BotExecuteSrb(PBOT_DEVICE Device, PSCSI_REQUEST_BLOCK Srb);

#endif /* NTSTOR_USBSTOR_BOT_H */
