/* test_hal_pit.c - TSC calibration against the 8254 PIT (hw/pit_measure.c)
 * with a PIT model: a channel 2 counting down from FFFFh in mode 0 at
 * 1.193182 MHz over simulated time, where every port read costs time and
 * the TSC runs at a chosen rate.  Also the PITs that must be refused: no
 * chip (reads FFFFh), gate closed (count frozen), a counter that wraps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "../../hw/pitp.h"
#include <regs/pit8254.h>

typedef enum { PIT_OK, PIT_ABSENT, PIT_FROZEN, PIT_LATE_START, PIT_COUNTS_UP } pit_kind;

typedef struct {
    pit_kind kind;
    double now_ns;          /* simulated time since the count was loaded */
    double read_cost_ns;    /* one latched count read (three port I/Os) */
    double tsc_hz;
    unsigned long reads;
} pit_model;

static ULONG model_count(PVOID ctx)
{
    pit_model *m = ctx;
    unsigned long long ticks;

    m->now_ns += m->read_cost_ns;
    m->reads++;
    ticks = (unsigned long long)(m->now_ns * PIT_HZ / 1e9);
    switch (m->kind) {
    case PIT_ABSENT:     return 0xFFFF;                         /* open bus */
    case PIT_FROZEN:     return 0x1234;                         /* gate shut */
    case PIT_LATE_START: return (0x1000 - ticks) & 0xFFFF;      /* nearly at 0 */
    case PIT_COUNTS_UP:  return ticks & 0xFFFF;
    default:             return (PIT_MAX_COUNT - ticks) & 0xFFFF;   /* mode 0 wraps */
    }
}

static ULONG64 model_tsc(PVOID ctx)
{
    pit_model *m = ctx;
    return (ULONG64)(m->now_ns * m->tsc_hz / 1e9);
}

static BOOLEAN measure(pit_model *m, ULONG us, ULONG64 *delta)
{
    HALP_PIT_ACCESS a = { model_count, model_tsc, m };
    *delta = 0;
    return HalpPitMeasure(&a, us, delta);
}

static void check_rate(double tsc_hz, double read_cost_ns)
{
    pit_model m = { PIT_OK, 0, read_cost_ns, tsc_hz, 0 };
    ULONG64 delta;
    double hz;

    assert_true(measure(&m, 10000, &delta));
    hz = (double)delta * 100.0;     /* 10 ms window */
    /* one PIT tick (0.84 us) plus a read either side in 10 ms */
    assert_true(hz > tsc_hz * 0.9995 && hz < tsc_hz * 1.0005);
}

static void test_pit_measures_tsc_rate(void **state)
{
    check_rate(3.0e9, 1000);        /* ~1 us per read, as on hardware */
    check_rate(2.6e9, 200);
    check_rate(800e6, 3000);        /* slow reads: a busy emulator */
}

static void test_pit_absent_is_refused(void **state)
{
    pit_model m = { PIT_ABSENT, 0, 1000, 3e9, 0 };
    ULONG64 delta;
    assert_false(measure(&m, 10000, &delta));
    assert_int_equal(delta, 0);
    /* bounded: gives up after the stuck limit, not never */
    assert_true(m.reads <= HALP_PIT_STUCK_READS + 3);
}

static void test_pit_frozen_is_refused(void **state)
{
    pit_model m = { PIT_FROZEN, 0, 1000, 3e9, 0 };
    ULONG64 delta;
    assert_false(measure(&m, 10000, &delta));
    assert_true(m.reads <= HALP_PIT_STUCK_READS + 3);
}

static void test_pit_wrap_is_refused(void **state)
{
    pit_model late = { PIT_LATE_START, 0, 1000, 3e9, 0 };
    pit_model up = { PIT_COUNTS_UP, 0, 1000, 3e9, 0 };
    ULONG64 delta;
    /* 10 ms is 11932 ticks; a count at 0FFFh would wrap before that */
    assert_false(measure(&late, 10000, &delta));
    assert_false(measure(&up, 10000, &delta));
}

static void test_pit_window_limits(void **state)
{
    pit_model m = { PIT_OK, 0, 1000, 3e9, 0 };
    ULONG64 delta;
    assert_false(measure(&m, 0, &delta));
    assert_false(measure(&m, 30000, &delta));     /* past half the counter */
    m.now_ns = 0;
    assert_true(measure(&m, 27000, &delta));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pit_measures_tsc_rate),
        cmocka_unit_test(test_pit_absent_is_refused),
        cmocka_unit_test(test_pit_frozen_is_refused),
        cmocka_unit_test(test_pit_wrap_is_refused),
        cmocka_unit_test(test_pit_window_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
