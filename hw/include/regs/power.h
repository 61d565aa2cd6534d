/* power.h - the fixed reset and power-off ports of PC chipsets. */
#ifndef NTSTOR_REGS_POWER_H
#define NTSTOR_REGS_POWER_H

/* Reset Control Register (ICH9 datasheet 13.7.5): SYS_RST bit 1, RST_CPU
 * bit 2; writing 0x02 then 0x06 requests a hard reset. */
#define RESET_CONTROL_PORT      0xCF9
#define RESET_CONTROL_SYS_RST   0x02
#define RESET_CONTROL_FULL      0x06

/* 8042 keyboard controller: command 0xFE pulses the CPU reset line. */
#define KBC_STATUS_PORT         0x64
#define KBC_COMMAND_PORT        0x64
#define KBC_STATUS_INPUT_FULL   0x02
#define KBC_CMD_PULSE_RESET     0xFE

/* QEMU's PM1a_CNT ports when no usable \_S5 is found: q35 (ICH9 PM base
 * 0x600) and the older PIIX4/Bochs 0xB000 block; value = SLP_EN | SLP_TYP 0. */
#define QEMU_Q35_PM1A_CNT       0x604
#define QEMU_PIIX_PM1A_CNT      0xB004
#define QEMU_POWEROFF_VALUE     0x2000

#endif
