/* hpet.h - High Precision Event Timer registers (IA-PC HPET spec 1.0a, 2.3). */
#ifndef NTSTOR_REGS_HPET_H
#define NTSTOR_REGS_HPET_H

#define HPET_REG_CAPABILITIES   0x000   /* 63:32 period in fs, 13 COUNT_SIZE_CAP */
#define HPET_REG_CONFIG         0x010
#define HPET_REG_MAIN_COUNTER   0x0F0
#define HPET_MMIO_SIZE          0x400

#define HPET_CAP_COUNT_64BIT    (1ull << 13)
#define HPET_CAP_PERIOD_SHIFT   32
#define HPET_CONFIG_ENABLE      0x1
#define HPET_CONFIG_LEGACY_ROUTE 0x2
/* 2.3.4: the period must be non-zero and at most 100 ns. */
#define HPET_MAX_PERIOD_FS      100000000ull

#endif
