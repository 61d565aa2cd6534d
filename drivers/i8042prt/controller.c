/* controller.c - talking to the 8042 and the keyboard behind it: the
 * bring-up with every wait bounded, the configuration byte, and keyboard
 * commands while interrupts run.  Sources: IBM PS/2 Hardware Interface
 * Technical Reference ("Keyboard/Auxiliary Device Controller",
 * "Keyboard"); the order of the bring-up follows what firmware and
 * Linux's i8042/atkbd do, so an embedded controller that only ever met
 * those sees nothing new.  Pure code over I8042_IO (host-tested). */
#include "i8042logic.h"
#include <i8042.h>

static UCHAR I8042Status(PCI8042_IO Io)
{
    return Io->Read(Io->Context, I8042_COMMAND_PORT);
}

/* Waits until the controller can take a byte. */
static BOOLEAN I8042WaitInputEmpty(PCI8042_IO Io)
{
    for (ULONG waited = 0; waited <= I8042_CONTROLLER_TIMEOUT_US; waited += I8042_POLL_US) {
        if (!(I8042Status(Io) & I8042_STATUS_IBF))
            return TRUE;
        Io->Stall(Io->Context, I8042_POLL_US);
    }
    return FALSE;
}

/* Reads the next byte within TimeoutUs; -1 if none came.  A mouse's byte
 * (AUX_OBF) is read and dropped: the auxiliary port is off, but a
 * controller may still hold one from before. */
static INT I8042ReadByte(PCI8042_IO Io, ULONG TimeoutUs)
{
    for (ULONG waited = 0; waited <= TimeoutUs; waited += I8042_POLL_US) {
        UCHAR status = I8042Status(Io);
        if (status & I8042_STATUS_OBF) {
            UCHAR b = Io->Read(Io->Context, I8042_DATA_PORT);
            if (!(status & I8042_STATUS_AUX_OBF))
                return b;
            continue;
        }
        Io->Stall(Io->Context, I8042_POLL_US);
    }
    return -1;
}

static BOOLEAN I8042Write(PCI8042_IO Io, USHORT Port, UCHAR Value)
{
    if (!I8042WaitInputEmpty(Io))
        return FALSE;
    Io->Write(Io->Context, Port, Value);
    return TRUE;
}

static VOID I8042Flush(PCI8042_IO Io)
{
    for (ULONG i = 0; i < I8042_FLUSH_MAX_BYTES && (I8042Status(Io) & I8042_STATUS_OBF); i++)
        (VOID)Io->Read(Io->Context, I8042_DATA_PORT);
}

/* A controller command with an answer; -1 on timeout. */
static INT I8042Query(PCI8042_IO Io, UCHAR Command)
{
    if (!I8042Write(Io, I8042_COMMAND_PORT, Command))
        return -1;
    return I8042ReadByte(Io, I8042_CONTROLLER_TIMEOUT_US);
}

static BOOLEAN I8042WriteConfig(PCI8042_IO Io, UCHAR Config)
{
    return I8042Write(Io, I8042_COMMAND_PORT, I8042_CMD_WRITE_CONFIG) &&
           I8042Write(Io, I8042_DATA_PORT, Config);
}

/* One byte to the keyboard and its ACK, resending on RESEND.  -1: no
 * answer; else the answer (KBD_REPLY_ACK on success). */
static INT I8042KeyboardByte(PCI8042_IO Io, UCHAR Byte)
{
    INT reply = -1;

    for (ULONG attempt = 0; attempt <= I8042_MAX_RESENDS; attempt++) {
        if (!I8042Write(Io, I8042_DATA_PORT, Byte))
            return -1;
        reply = I8042ReadByte(Io, I8042_KBD_ACK_TIMEOUT_US);
        if (reply != KBD_REPLY_RESEND)
            return reply;
    }
    return reply;
}

static BOOLEAN I8042KeyboardCommand(PCI8042_IO Io, UCHAR Command, INT Argument)
{
    if (I8042KeyboardByte(Io, Command) != KBD_REPLY_ACK)
        return FALSE;
    return Argument < 0 || I8042KeyboardByte(Io, (UCHAR)Argument) == KBD_REPLY_ACK;
}

#define FAIL(status, why)        \
    do {                         \
        Result->Why = (why);     \
        return (status);         \
    } while (0)

NTSTATUS I8042Initialize(PCI8042_IO Io, UCHAR Typematic, PI8042_INIT_RESULT Result)
{
    INT config, reply;
    UCHAR want;

    Result->Config = 0;
    Result->Translated = FALSE;
    Result->KeyboardTestFailed = FALSE;
    Result->Why = NULL;

    /* Nothing decodes the port: the bus floats to all ones. */
    if (I8042Status(Io) == I8042_STATUS_ABSENT)
        FAIL(STATUS_NO_SUCH_DEVICE, "status register reads 0xFF: no controller");
    I8042Flush(Io);
    /* Ports off while we work, so no key lands between the steps. */
    if (!I8042Write(Io, I8042_COMMAND_PORT, I8042_CMD_DISABLE_KBD) ||
        !I8042Write(Io, I8042_COMMAND_PORT, I8042_CMD_DISABLE_AUX))
        FAIL(STATUS_IO_TIMEOUT, "the controller does not take commands (input buffer stays full)");
    I8042Flush(Io);

    config = I8042Query(Io, I8042_CMD_READ_CONFIG);
    if (config < 0)
        FAIL(STATUS_IO_TIMEOUT, "no answer to READ CONFIG (0x20)");
    /* Interrupts off and the auxiliary port held off during the bring-up;
     * translation on, so a keyboard left in set 2 arrives as set 1. */
    want = (UCHAR)((config & ~(I8042_CONFIG_KBD_INT | I8042_CONFIG_AUX_INT)) |
                   I8042_CONFIG_AUX_DISABLE | I8042_CONFIG_XLAT);
    if (!I8042WriteConfig(Io, want))
        FAIL(STATUS_IO_TIMEOUT, "WRITE CONFIG (0x60) not taken");

    reply = I8042Query(Io, I8042_CMD_SELF_TEST);
    if (reply < 0)
        FAIL(STATUS_IO_TIMEOUT, "no answer to SELF TEST (0xAA)");
    if (reply != I8042_SELF_TEST_OK)
        FAIL(STATUS_ADAPTER_HARDWARE_ERROR, "self-test failed (answer not 0x55)");
    /* The self-test may reset the controller (some do): write the
     * configuration again. */
    if (!I8042WriteConfig(Io, want))
        FAIL(STATUS_IO_TIMEOUT, "WRITE CONFIG (0x60) not taken after the self-test");

    /* The interface test fails on some laptops' embedded controllers whose
     * keyboard works; Linux carries on too.  Only no answer at all stops. */
    reply = I8042Query(Io, I8042_CMD_KBD_TEST);
    if (reply < 0)
        FAIL(STATUS_IO_TIMEOUT, "no answer to KEYBOARD INTERFACE TEST (0xAB)");
    Result->KeyboardTestFailed = reply != I8042_KBD_TEST_OK;

    want &= (UCHAR)~I8042_CONFIG_KBD_DISABLE;
    if (!I8042Write(Io, I8042_COMMAND_PORT, I8042_CMD_ENABLE_KBD) || !I8042WriteConfig(Io, want))
        FAIL(STATUS_IO_TIMEOUT, "ENABLE KEYBOARD (0xAE) not taken");

    reply = I8042KeyboardByte(Io, KBD_CMD_RESET);
    if (reply != KBD_REPLY_ACK)
        FAIL(STATUS_DEVICE_NOT_CONNECTED, reply < 0 ? "no keyboard answers RESET (0xFF)"
                                                    : "the keyboard refused RESET (0xFF)");
    reply = I8042ReadByte(Io, I8042_KBD_BAT_TIMEOUT_US);
    if (reply < 0)
        FAIL(STATUS_DEVICE_NOT_CONNECTED, "the keyboard ACKed RESET but never reported its self-test");
    if (reply != KBD_REPLY_BAT_OK)
        FAIL(STATUS_ADAPTER_HARDWARE_ERROR, "the keyboard's self-test (BAT) failed");

    /* Set 2 is every keyboard's default and the one the 8042 translates;
     * some keyboards refuse F0 (it is then set 2 anyway). */
    (VOID)I8042KeyboardCommand(Io, KBD_CMD_SCANCODE_SET, 2);
    if (!I8042KeyboardCommand(Io, KBD_CMD_SET_TYPEMATIC, Typematic))
        FAIL(STATUS_DEVICE_NOT_CONNECTED, "the keyboard did not ACK SET TYPEMATIC (0xF3)");
    if (!I8042KeyboardCommand(Io, KBD_CMD_SET_LEDS, 0))
        FAIL(STATUS_DEVICE_NOT_CONNECTED, "the keyboard did not ACK SET LEDS (0xED)");
    if (!I8042KeyboardCommand(Io, KBD_CMD_ENABLE, -1))
        FAIL(STATUS_DEVICE_NOT_CONNECTED, "the keyboard did not ACK ENABLE (0xF4)");

    /* Whether translation stuck decides how to decode (some controllers
     * ignore the bit). */
    config = I8042Query(Io, I8042_CMD_READ_CONFIG);
    if (config < 0)
        FAIL(STATUS_IO_TIMEOUT, "no answer to READ CONFIG (0x20) at the end");
    Result->Config = (UCHAR)config;
    Result->Translated = (config & I8042_CONFIG_XLAT) != 0;
    return STATUS_SUCCESS;
}

NTSTATUS I8042SetKeyboardInterrupt(PCI8042_IO Io, UCHAR Config, BOOLEAN Enable)
{
    UCHAR c = Enable ? (UCHAR)(Config | I8042_CONFIG_KBD_INT) : (UCHAR)(Config & ~I8042_CONFIG_KBD_INT);

    return I8042WriteConfig(Io, c) ? STATUS_SUCCESS : STATUS_IO_TIMEOUT;
}

UCHAR I8042TypematicByte(USHORT Rate, USHORT Delay)
{
    /* Repeat period = (8 + A) * 2^B * 4.17 ms with A = bits 2:0 and B =
     * bits 4:3 (Technical Reference, "Set Typematic Rate/Delay"); in
     * hundredths of a character per second, 100000 / (4.17 * (8+A) * 2^B). */
    ULONG want = (ULONG)Rate * 100, best = 0, bestDiff = 0xFFFFFFFFu;
    UCHAR delay;

    for (ULONG v = 0; v < 32; v++) {
        ULONG period = 417 * (8 + (v & 7)) << (v >> 3);       /* 10 us units */
        ULONG cps = 10000000u / period;                          /* hundredths */
        ULONG diff = cps > want ? cps - want : want - cps;
        if (diff < bestDiff) {
            bestDiff = diff;
            best = v;
        }
    }
    /* Delay: 250, 500, 750, 1000 ms -> 0..3, nearest. */
    delay = Delay <= 375 ? 0 : Delay <= 625 ? 1 : Delay <= 875 ? 2 : 3;
    return (UCHAR)((delay << 5) | best);
}

UCHAR I8042LedByte(USHORT LedFlags)
{
    return (UCHAR)(((LedFlags & KEYBOARD_SCROLL_LOCK_ON) ? KBD_LED_SCROLL : 0) |
                   ((LedFlags & KEYBOARD_NUM_LOCK_ON) ? KBD_LED_NUM : 0) |
                   ((LedFlags & KEYBOARD_CAPS_LOCK_ON) ? KBD_LED_CAPS : 0));
}

/* Runtime commands: the ISR sees the ACKs.  Only the input-buffer wait is
 * polled here (bounded; it drains in microseconds). */
BOOLEAN I8042StartCommand(PCI8042_IO Io, PI8042_COMMAND Command, UCHAR First, UCHAR Second)
{
    Command->Bytes[0] = First;
    Command->Bytes[1] = Second;
    Command->Count = 2;
    Command->Next = 0;
    Command->Resends = 0;
    if (!I8042Write(Io, I8042_DATA_PORT, First)) {
        Command->Count = 0;
        return FALSE;
    }
    return TRUE;
}

BOOLEAN I8042CommandByte(PCI8042_IO Io, PI8042_COMMAND Command, UCHAR Byte)
{
    if (Command->Count == 0)
        return FALSE;
    if (Byte == KBD_REPLY_ACK) {
        if (++Command->Next >= Command->Count) {
            Command->Count = 0;
            return TRUE;
        }
        Command->Resends = 0;
        if (!I8042Write(Io, I8042_DATA_PORT, Command->Bytes[Command->Next]))
            Command->Count = 0;
        return TRUE;
    }
    if (Byte == KBD_REPLY_RESEND) {
        if (Command->Resends++ >= I8042_MAX_RESENDS ||
            !I8042Write(Io, I8042_DATA_PORT, Command->Bytes[Command->Next]))
            Command->Count = 0;
        return TRUE;
    }
    /* Anything else is a key that was on its way before the command:
     * input.  A command whose ACK never comes is replaced by the next. */
    return FALSE;
}
