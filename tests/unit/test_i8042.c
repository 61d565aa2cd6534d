/* test_i8042.c - host unit tests of the i8042 port driver's logic
 * (drivers/i8042prt/controller.c, scancode.c) against a behavioural model
 * of a controller and a PS/2 keyboard: no controller (0xFF), a controller
 * that never answers or never drains its input buffer, a failed
 * self-test, no keyboard, a failed BAT, a controller that ignores the
 * translation bit, stale and mouse bytes, RESEND; every wait is bounded
 * (the model's clock).  Then the runtime command exchange, the typematic
 * encoding and the scan code decoder in both sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <i8042logic.h>
#include <i8042.h>

/* ---- the model ---- */
typedef struct {
    /* behaviour */
    int absent;             /* nothing at the ports: reads 0xFF */
    int mute;               /* takes commands, never answers */
    int wedged;             /* input buffer never drains */
    int selftest;           /* answer to 0xAA */
    int kbdtest;            /* answer to 0xAB */
    int no_keyboard;
    int bat;                /* keyboard's BAT result */
    int xlat_sticks;
    int resends_left;       /* the keyboard answers RESEND this many times first */
    int selftest_resets_config;
    /* state */
    unsigned char out[64];
    int outaux[64];
    int nout;
    unsigned char config;
    int want_config;        /* next data byte is the configuration */
    int kbd_arg;            /* the keyboard awaits an argument for this command */
    int kbd_enabled_port;
    int typematic, leds, set, scanning;
    unsigned long long elapsed_us;
    int commands;
    unsigned char written[64];
    int nwritten;
} MODEL;

static MODEL M;

static void Push(unsigned char b, int aux)
{
    assert_true(M.nout < 64);
    M.out[M.nout] = b;
    M.outaux[M.nout++] = aux;
}

static UCHAR ModelRead(PVOID ctx, USHORT port)
{
    if (M.absent)
        return 0xFF;
    if (port == I8042_COMMAND_PORT)
        return (UCHAR)((M.nout ? I8042_STATUS_OBF : 0) | (M.nout && M.outaux[0] ? I8042_STATUS_AUX_OBF : 0) |
                       (M.wedged ? I8042_STATUS_IBF : 0) | I8042_STATUS_SYS);
    if (M.nout == 0)
        return 0;
    UCHAR b = M.out[0];
    memmove(M.out, M.out + 1, --M.nout);
    memmove(M.outaux, M.outaux + 1, M.nout * sizeof(int));
    return b;
}

static void Keyboard(unsigned char b)
{
    if (M.no_keyboard || !M.kbd_enabled_port)
        return;
    if (M.resends_left > 0) {
        M.resends_left--;
        Push(KBD_REPLY_RESEND, 0);
        return;
    }
    if (M.kbd_arg) {
        if (M.kbd_arg == KBD_CMD_SET_TYPEMATIC) M.typematic = b;
        if (M.kbd_arg == KBD_CMD_SET_LEDS) M.leds = b;
        if (M.kbd_arg == KBD_CMD_SCANCODE_SET) M.set = b;
        M.kbd_arg = 0;
        Push(KBD_REPLY_ACK, 0);
        return;
    }
    switch (b) {
    case KBD_CMD_RESET:
        Push(KBD_REPLY_ACK, 0);
        Push((unsigned char)M.bat, 0);
        M.set = 2; M.leds = 0; M.typematic = I8042_DEFAULT_TYPEMATIC; M.scanning = 1;
        break;
    case KBD_CMD_SET_TYPEMATIC: case KBD_CMD_SET_LEDS: case KBD_CMD_SCANCODE_SET:
        M.kbd_arg = b;
        Push(KBD_REPLY_ACK, 0);
        break;
    case KBD_CMD_ENABLE:
        M.scanning = 1;
        Push(KBD_REPLY_ACK, 0);
        break;
    default:
        Push(KBD_REPLY_RESEND, 0);
    }
}

static void ModelWrite(PVOID ctx, USHORT port, UCHAR v)
{
    if (M.absent)
        return;
    assert_false(M.wedged);             /* nobody may write while IBF is set */
    if (port == I8042_DATA_PORT) {
        M.written[M.nwritten++ % 64] = v;
        if (M.want_config) {
            M.config = M.xlat_sticks ? v : (unsigned char)(v & ~I8042_CONFIG_XLAT);
            M.want_config = 0;
        } else {
            Keyboard(v);
        }
        return;
    }
    M.commands++;
    if (M.mute)
        return;
    switch (v) {
    case I8042_CMD_READ_CONFIG: Push(M.config, 0); break;
    case I8042_CMD_WRITE_CONFIG: M.want_config = 1; break;
    case I8042_CMD_SELF_TEST:
        Push((unsigned char)M.selftest, 0);
        if (M.selftest_resets_config)
            M.config = I8042_CONFIG_KBD_DISABLE | I8042_CONFIG_AUX_DISABLE;
        break;
    case I8042_CMD_KBD_TEST: Push((unsigned char)M.kbdtest, 0); break;
    case I8042_CMD_DISABLE_KBD: M.kbd_enabled_port = 0; break;
    case I8042_CMD_ENABLE_KBD: M.kbd_enabled_port = 1; break;
    case I8042_CMD_DISABLE_AUX: break;
    default: fail_msg("unexpected controller command 0x%02x", v);
    }
}

static void ModelStall(PVOID ctx, ULONG us)
{
    M.elapsed_us += us;
}

static const I8042_IO Io = { ModelRead, ModelWrite, ModelStall, NULL };

static void GoodPc(void)
{
    memset(&M, 0, sizeof(M));
    M.selftest = I8042_SELF_TEST_OK;
    M.kbdtest = I8042_KBD_TEST_OK;
    M.bat = KBD_REPLY_BAT_OK;
    M.xlat_sticks = 1;
    M.config = I8042_CONFIG_KBD_INT | I8042_CONFIG_SYS | I8042_CONFIG_XLAT;   /* as firmware leaves it */
    M.kbd_enabled_port = 1;
    M.leds = KBD_LED_NUM;
}

/* The worst total wait the bring-up may take: every wait at its bound. */
#define WORST_US (40ull * I8042_CONTROLLER_TIMEOUT_US + I8042_KBD_BAT_TIMEOUT_US + \
                  20ull * (I8042_MAX_RESENDS + 1) * I8042_KBD_ACK_TIMEOUT_US)

static NTSTATUS Init(I8042_INIT_RESULT *r)
{
    NTSTATUS s = I8042Initialize(&Io, I8042_DEFAULT_TYPEMATIC, r);
    assert_true(M.elapsed_us <= WORST_US);
    if (!NT_SUCCESS(s))
        assert_non_null(r->Why);
    return s;
}

static void test_a_good_controller_and_keyboard(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    Push(0x1E, 0);                  /* a stale key and a mouse byte */
    Push(0x08, 1);
    assert_int_equal(Init(&r), STATUS_SUCCESS);
    assert_true(r.Translated);
    assert_false(r.KeyboardTestFailed);
    assert_int_equal(M.set, 2);
    assert_int_equal(M.typematic, I8042_DEFAULT_TYPEMATIC);
    assert_int_equal(M.leds, 0);
    assert_true(M.scanning);
    /* Interrupts stay off until the driver has connected its ISR. */
    assert_int_equal(M.config & (I8042_CONFIG_KBD_INT | I8042_CONFIG_AUX_INT | I8042_CONFIG_KBD_DISABLE), 0);
    assert_true(M.config & I8042_CONFIG_AUX_DISABLE);
    assert_int_equal(r.Config, M.config);
    assert_int_equal(M.nout, 0);
    assert_true(M.elapsed_us < 10000);  /* a working PC waits for nothing much */
    assert_int_equal(I8042SetKeyboardInterrupt(&Io, r.Config, TRUE), STATUS_SUCCESS);
    assert_true(M.config & I8042_CONFIG_KBD_INT);
    assert_int_equal(I8042SetKeyboardInterrupt(&Io, r.Config, FALSE), STATUS_SUCCESS);
    assert_false(M.config & I8042_CONFIG_KBD_INT);
}

static void test_no_controller_reads_ff(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.absent = 1;
    assert_int_equal(Init(&r), STATUS_NO_SUCH_DEVICE);
    assert_int_equal(M.elapsed_us, 0);
}

static void test_a_controller_that_never_answers(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.mute = 1;
    assert_int_equal(Init(&r), STATUS_IO_TIMEOUT);
    assert_true(M.elapsed_us >= I8042_CONTROLLER_TIMEOUT_US);
    assert_true(M.elapsed_us <= 2 * I8042_CONTROLLER_TIMEOUT_US + I8042_POLL_US);
}

static void test_an_input_buffer_that_never_drains(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.wedged = 1;
    assert_int_equal(Init(&r), STATUS_IO_TIMEOUT);
    assert_int_equal(M.commands, 0);
    assert_true(M.elapsed_us <= I8042_CONTROLLER_TIMEOUT_US + I8042_POLL_US);
}

static void test_self_test_failure(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.selftest = 0xFC;
    assert_int_equal(Init(&r), STATUS_ADAPTER_HARDWARE_ERROR);
}

static void test_a_self_test_that_resets_the_config(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.selftest_resets_config = 1;
    assert_int_equal(Init(&r), STATUS_SUCCESS);
    assert_true(r.Translated);
    assert_false(M.config & I8042_CONFIG_KBD_DISABLE);
}

static void test_no_keyboard(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.no_keyboard = 1;
    assert_int_equal(Init(&r), STATUS_DEVICE_NOT_CONNECTED);
    assert_true(M.elapsed_us >= I8042_KBD_ACK_TIMEOUT_US);
}

static void test_keyboard_bat_failure_and_interface_test(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.bat = KBD_REPLY_BAT_FAIL;
    assert_int_equal(Init(&r), STATUS_ADAPTER_HARDWARE_ERROR);
    GoodPc();
    M.kbdtest = 0x01;               /* clock line stuck low, says the EC; it works */
    assert_int_equal(Init(&r), STATUS_SUCCESS);
    assert_true(r.KeyboardTestFailed);
}

static void test_translation_that_does_not_stick(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.xlat_sticks = 0;
    assert_int_equal(Init(&r), STATUS_SUCCESS);
    assert_false(r.Translated);
}

static void test_resend_is_retried(void **state)
{
    I8042_INIT_RESULT r;
    GoodPc();
    M.resends_left = 2;
    assert_int_equal(Init(&r), STATUS_SUCCESS);
    GoodPc();
    M.resends_left = 100;           /* a keyboard that only ever says RESEND */
    assert_int_equal(Init(&r), STATUS_DEVICE_NOT_CONNECTED);
}

static void test_runtime_led_command(void **state)
{
    I8042_COMMAND cmd = { 0 };
    GoodPc();
    M.kbd_enabled_port = 0;         /* the model keyboard stays quiet: we play its part */
    assert_false(I8042CommandByte(&Io, &cmd, 0x1E));           /* idle: input */
    assert_true(I8042StartCommand(&Io, &cmd, KBD_CMD_SET_LEDS, I8042LedByte(KEYBOARD_CAPS_LOCK_ON)));
    assert_int_equal(M.written[M.nwritten - 1], KBD_CMD_SET_LEDS);
    assert_false(I8042CommandByte(&Io, &cmd, 0x9E));           /* a key in flight: input */
    assert_true(I8042CommandByte(&Io, &cmd, KBD_REPLY_RESEND));
    assert_int_equal(M.written[M.nwritten - 1], KBD_CMD_SET_LEDS);
    assert_true(I8042CommandByte(&Io, &cmd, KBD_REPLY_ACK));
    assert_int_equal(M.written[M.nwritten - 1], KBD_LED_CAPS);
    assert_true(I8042CommandByte(&Io, &cmd, KBD_REPLY_ACK));
    assert_int_equal(cmd.Count, 0);
    assert_false(I8042CommandByte(&Io, &cmd, KBD_REPLY_ACK)); /* a stray ACK is not ours */
    assert_int_equal(I8042LedByte(KEYBOARD_SCROLL_LOCK_ON | KEYBOARD_NUM_LOCK_ON | KEYBOARD_CAPS_LOCK_ON), 7);
}

static void test_typematic_encoding(void **state)
{
    assert_int_equal(I8042TypematicByte(30, 250), 0x00);
    assert_int_equal(I8042TypematicByte(2, 1000), 0x7F);
    assert_int_equal(I8042TypematicByte(11, 500), I8042_DEFAULT_TYPEMATIC);
    assert_int_equal(I8042TypematicByte(0, 0), 0x1F);
    assert_int_equal(I8042TypematicByte(1000, 65535), 0x60);
}

/* ---- decoder ---- */
static int Decode(int set2, const unsigned char *bytes, size_t n, KEYBOARD_INPUT_DATA *out)
{
    I8042_DECODER d;
    int k = 0;
    I8042DecoderInit(&d, set2);
    for (size_t i = 0; i < n; i++)
        if (I8042DecodeByte(&d, bytes[i], &out[k]))
            k++;
    return k;
}

static void test_decoder_set1_and_set2_agree(void **state)
{
    /* a, Shift+1, Up, right Ctrl, Pause, keypad Enter -- in both sets. */
    static const unsigned char s1[] = { 0x1E, 0x9E, 0x2A, 0x02, 0x82, 0xAA, 0xE0, 0x48, 0xE0, 0xC8,
                                        0xE0, 0x1D, 0xE0, 0x9D, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5,
                                        0xE0, 0x1C, 0xE0, 0x9C };
    static const unsigned char s2[] = { 0x1C, 0xF0, 0x1C, 0x12, 0x16, 0xF0, 0x16, 0xF0, 0x12, 0xE0, 0x75,
                                        0xE0, 0xF0, 0x75, 0xE0, 0x14, 0xE0, 0xF0, 0x14, 0xE1, 0x14, 0x77,
                                        0xE1, 0xF0, 0x14, 0xF0, 0x77, 0xE0, 0x5A, 0xE0, 0xF0, 0x5A };
    static const KEYBOARD_INPUT_DATA want[] = {
        { 0, 0x1E, KEY_MAKE }, { 0, 0x1E, KEY_BREAK }, { 0, 0x2A, KEY_MAKE }, { 0, 0x02, KEY_MAKE },
        { 0, 0x02, KEY_BREAK }, { 0, 0x2A, KEY_BREAK }, { 0, 0x48, KEY_E0 }, { 0, 0x48, KEY_E0 | KEY_BREAK },
        { 0, 0x1D, KEY_E0 }, { 0, 0x1D, KEY_E0 | KEY_BREAK }, { 0, 0x1D, KEY_E1 }, { 0, 0x45, KEY_E1 },
        { 0, 0x1D, KEY_E1 | KEY_BREAK }, { 0, 0x45, KEY_E1 | KEY_BREAK }, { 0, 0x1C, KEY_E0 },
        { 0, 0x1C, KEY_E0 | KEY_BREAK },
    };
    KEYBOARD_INPUT_DATA out[32];
    size_t n = sizeof(want) / sizeof(want[0]);
    for (int set2 = 0; set2 < 2; set2++) {
        memset(out, 0x55, sizeof(out));
        assert_int_equal(set2 ? Decode(1, s2, sizeof(s2), out) : Decode(0, s1, sizeof(s1), out), (int)n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(out[i].MakeCode, want[i].MakeCode);
            assert_int_equal(out[i].Flags, want[i].Flags);
            assert_int_equal(out[i].UnitId, 0);
        }
    }
}

static void test_decoder_drops_replies_and_recovers(void **state)
{
    KEYBOARD_INPUT_DATA out[8];
    /* set 1: an ACK, an overrun after a dangling E0, then a plain key. */
    static const unsigned char a[] = { 0xFA, 0xE0, 0xFF, 0x1E };
    assert_int_equal(Decode(0, a, sizeof(a), out), 1);
    assert_int_equal(out[0].Flags, 0);
    /* set 2: BAT of a hot-plugged keyboard, a dangling F0 then overrun, an
     * unknown code, then a key. */
    static const unsigned char b[] = { 0xAA, 0xF0, 0x00, 0x60, 0x1C };
    assert_int_equal(Decode(1, b, sizeof(b), out), 1);
    assert_int_equal(out[0].MakeCode, 0x1E);
    assert_int_equal(out[0].Flags, 0);
    /* set 1: 0xAA is left Shift's release there. */
    static const unsigned char c[] = { 0xAA };
    assert_int_equal(Decode(0, c, 1, out), 1);
    assert_int_equal(out[0].Flags, KEY_BREAK);
    assert_int_equal(I8042Set2ToSet1(0xFF), 0);
    assert_int_equal(I8042Set2ToSet1(0x83), 0x41);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_good_controller_and_keyboard),
        cmocka_unit_test(test_no_controller_reads_ff),
        cmocka_unit_test(test_a_controller_that_never_answers),
        cmocka_unit_test(test_an_input_buffer_that_never_drains),
        cmocka_unit_test(test_self_test_failure),
        cmocka_unit_test(test_a_self_test_that_resets_the_config),
        cmocka_unit_test(test_no_keyboard),
        cmocka_unit_test(test_keyboard_bat_failure_and_interface_test),
        cmocka_unit_test(test_translation_that_does_not_stick),
        cmocka_unit_test(test_resend_is_retried),
        cmocka_unit_test(test_runtime_led_command),
        cmocka_unit_test(test_typematic_encoding),
        cmocka_unit_test(test_decoder_set1_and_set2_agree),
        cmocka_unit_test(test_decoder_drops_replies_and_recovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
