/* bot_sim.h - a simulated USB mass-storage device on the bulk-only
 * transport, behind drivers/usbstor/bot.h's BOT_OPS: a small RAM disk that
 * answers INQUIRY, TEST UNIT READY, READ CAPACITY(10), READ(10), WRITE(10)
 * and REQUEST SENSE as a stick does, keeps the BOT device state machine
 * (CBW, data, CSW; halted endpoints; reset needed after a phase error,
 * 6.6.1), and misbehaves on request: stalls in each phase, short data,
 * bad CSW fields, phase errors, timeouts, failed resets, leaving the bus.
 * Every bus operation is appended to Log ("cbw data-in csw ...") so a test
 * checks the order the spec asks for. */
#ifndef NTSTOR_BOT_SIM_H
#define NTSTOR_BOT_SIM_H

#include "../../drivers/usbstor/bot.h"

#define SIM_BLOCKS 64
#define SIM_BLOCK 512

typedef enum { SimExpectCbw, SimData, SimCsw, SimNeedReset } SIM_STATE;

typedef struct _BOT_SIM {
    UCHAR Disk[SIM_BLOCKS * SIM_BLOCK];
    SIM_STATE State;
    BOOLEAN HaltIn, HaltOut;
    /* the command under way */
    ULONG Tag, DataLength, Residue;
    BOOLEAN DataIn, WantIn, WantOut;    /* host's direction; what the command needs */
    UCHAR CswStatus;
    UCHAR Response[4096];
    ULONG ResponseLength;
    ULONG WriteLba;
    UCHAR Sense[18];                    /* pending sense for REQUEST SENSE */
    /* faults: counts are one-shot, decremented as they fire */
    int StallCbw, StallData, StallCsw, TimeoutCbw, TimeoutData, TimeoutCsw;
    int BadSignature, BadTag, BadStatus, BadResidue, PhaseError, CswLength;
    int ShortBy;                        /* IN data this many bytes short (residue follows) */
    int StallAfterShort;                /* short data, then a halted IN pipe (6.7.2 option) */
    int LieResidue;                     /* short data with residue 0 */
    int ExtraResidue;                   /* full data, residue claims this many bytes unused */
    int FailWithKey, FailAsc;           /* CSW status 1 with this sense (key 0: no sense) */
    int FailCount;
    int ResetFails, ClearFails, PortResetFails, ErrorData;
    BOOLEAN Gone;
    int Resets, PortResets;
    char Log[2048];
} BOT_SIM;

extern const BOT_OPS BotSimOps;
void BotSimInit(BOT_SIM *Sim);
void BotSimClearLog(BOT_SIM *Sim);

#endif
