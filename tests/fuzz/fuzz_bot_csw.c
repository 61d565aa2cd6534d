/* fuzz_bot_csw.c - the bulk-only transport's CSW check and a whole command
 * against a device whose every answer comes from the input
 * (drivers/usbstor/bot.c).
 *
 * Input: 4 bytes of expected tag, 4 of expected data length, then the CSW
 * bytes (any length) for BotCheckCsw; the same bytes also drive one
 * BotTransport, each bus operation taking its outcome, length and payload
 * from the input in turn.  Checked: an accepted CSW is exactly 13 bytes
 * with the signature and tag and a residue within the transfer (or a phase
 * error); a command never reports more data than was asked nor than
 * crossed the bus, and a failed transport credits no data to the SRB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../drivers/usbstor/bot.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

typedef struct {
    const uint8_t *p;
    size_t n;
    ULONG Moved;        /* bytes the device put into data-phase buffers */
} FEED;

static uint8_t take(FEED *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static BOT_IO FBulk(PVOID Context, BOT_PIPE Pipe, PVOID Buffer, ULONG Length, PULONG Done,
                    ULONG TimeoutMs)
{
    FEED *f = Context;
    uint8_t what = take(f);
    ULONG n = take(f);

    n |= (ULONG)take(f) << 8;
    *Done = 0;
    if (f->n == 0)
        return BotIoGone;       /* out of input: the device left */
    if (n > Length)
        n = Length;
    if (Pipe == BotPipeIn) {
        for (ULONG i = 0; i < n; i++)
            ((uint8_t *)Buffer)[i] = take(f);
    }
    *Done = n;
    return (BOT_IO)(what % BotIoCount);
}

static BOT_IO FOther(PVOID Context, BOT_PIPE Pipe)
{
    return (BOT_IO)(take(Context) % BotIoCount);
}

static BOT_IO FReset(PVOID Context)
{
    return (BOT_IO)(take(Context) % BotIoCount);
}

static const BOT_OPS FOps = { FBulk, FOther, FReset, FReset };

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    if (Size < 8)
        return 0;
    ULONG tag = Data[0] | (Data[1] << 8) | (Data[2] << 16) | ((ULONG)Data[3] << 24);
    ULONG length = Data[4] | (Data[5] << 8) | (Data[6] << 16) | ((ULONG)Data[7] << 24);
    UCHAR status = 0xEE;
    ULONG residue = 0;
    uint8_t *csw = malloc(Size - 8 + 1);    /* exactly sized: ASan sees overreads */

    memcpy(csw, Data + 8, Size - 8);
    BOT_CSW_CHECK c = BotCheckCsw(csw, (ULONG)(Size - 8), tag, length, &status, &residue);
    if (c == BotCswOk) {
        if (Size - 8 != BOT_CSW_LENGTH || memcmp(csw, "USBS", 4) || memcmp(csw + 4, Data, 4))
            abort();
        if (status > 2 || (status != 2 && residue > length))
            abort();
    }
    free(csw);

    /* One READ-like SRB through a device made of the input. */
    static BOT_DEVICE dev;
    static UCHAR buf[512], sense[18];
    FEED f = { Data + 8, Size - 8, 0 };
    SCSI_REQUEST_BLOCK srb;

    BotInitialize(&dev, &FOps, &f);
    memset(&srb, 0, sizeof(srb));
    srb.Function = SRB_FUNCTION_EXECUTE_SCSI;
    srb.CdbLength = 10;
    srb.Cdb[0] = 0x28;
    srb.DataBuffer = buf;
    srb.DataTransferLength = length % (sizeof(buf) + 1);
    srb.SrbFlags = (tag & 1) ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT;
    srb.SenseInfoBuffer = sense;
    srb.SenseInfoBufferLength = (UCHAR)(tag >> 8) % (sizeof(sense) + 1);
    ULONG asked = srb.DataTransferLength;
    UCHAR senseRoom = srb.SenseInfoBufferLength;
    NTSTATUS st = BotExecuteSrb(&dev, &srb);
    if (srb.DataTransferLength > asked)
        abort();
    if (SRB_STATUS(srb.SrbStatus) != SRB_STATUS_SUCCESS &&
        SRB_STATUS(srb.SrbStatus) != SRB_STATUS_DATA_OVERRUN &&
        SRB_STATUS(srb.SrbStatus) != SRB_STATUS_ERROR && srb.DataTransferLength)
        abort();
    if ((st == STATUS_SUCCESS) != (SRB_STATUS(srb.SrbStatus) == SRB_STATUS_SUCCESS ||
                                   SRB_STATUS(srb.SrbStatus) == SRB_STATUS_DATA_OVERRUN))
        abort();
    if ((srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID) &&
        (srb.SenseInfoBufferLength == 0 || srb.SenseInfoBufferLength > senseRoom))
        abort();
    return 0;
}
