/* i8042.h - the PC keyboard controller (Intel 8042 and its successors in
 * super I/O chips and embedded controllers) and the PS/2 keyboard behind
 * it.  Sources: IBM PS/2 Hardware Interface Technical Reference,
 * "Keyboard/Auxiliary Device Controller" and "Keyboard" chapters.  In
 * QEMU the q35 machine has one (isa-i8042) with a PS/2 keyboard. */
#ifndef NTSTOR_REGS_I8042_H
#define NTSTOR_REGS_I8042_H

#define I8042_DATA_PORT          0x60    /* read: output buffer; write: input buffer (data) */
#define I8042_COMMAND_PORT       0x64    /* read: status; write: input buffer (command) */

/* Status register. */
#define I8042_STATUS_OBF         0x01    /* output buffer full: a byte to read at 0x60 */
#define I8042_STATUS_IBF         0x02    /* input buffer full: do not write yet */
#define I8042_STATUS_SYS         0x04
#define I8042_STATUS_CMD         0x08    /* last write was a command */
#define I8042_STATUS_AUX_OBF     0x20    /* the byte in the output buffer is the mouse's */
#define I8042_STATUS_TIMEOUT     0x40
#define I8042_STATUS_PARITY      0x80
/* What a port without a controller behind it reads on ISA/LPC. */
#define I8042_STATUS_ABSENT      0xFF

/* Controller commands (written to the command port). */
#define I8042_CMD_READ_CONFIG    0x20    /* answer: the configuration byte */
#define I8042_CMD_WRITE_CONFIG   0x60    /* then the byte at the data port */
#define I8042_CMD_DISABLE_AUX    0xA7
#define I8042_CMD_SELF_TEST      0xAA    /* answer I8042_SELF_TEST_OK */
#define I8042_CMD_KBD_TEST       0xAB    /* answer I8042_KBD_TEST_OK or an error code */
#define I8042_CMD_DISABLE_KBD    0xAD
#define I8042_CMD_ENABLE_KBD     0xAE

#define I8042_SELF_TEST_OK       0x55
#define I8042_KBD_TEST_OK        0x00

/* Configuration ("command") byte. */
#define I8042_CONFIG_KBD_INT     0x01    /* IRQ 1 when the keyboard's byte arrives */
#define I8042_CONFIG_AUX_INT     0x02    /* IRQ 12 */
#define I8042_CONFIG_SYS         0x04
#define I8042_CONFIG_KBD_DISABLE 0x10    /* keyboard clock held low */
#define I8042_CONFIG_AUX_DISABLE 0x20
#define I8042_CONFIG_XLAT        0x40    /* translate set 2 to set 1 */

/* Keyboard commands (written to the data port) and its answers. */
#define KBD_CMD_SET_LEDS         0xED    /* then KEYBOARD_*_LOCK_ON-like bits: */
#define KBD_LED_SCROLL           0x01
#define KBD_LED_NUM              0x02
#define KBD_LED_CAPS             0x04
#define KBD_CMD_SCANCODE_SET     0xF0    /* then 1, 2 or 3 */
#define KBD_CMD_SET_TYPEMATIC    0xF3    /* then delay (bits 6:5) and rate (bits 4:0) */
#define KBD_CMD_ENABLE           0xF4
#define KBD_CMD_RESET            0xFF    /* ACK, then the BAT result */

#define KBD_REPLY_ACK            0xFA
#define KBD_REPLY_RESEND         0xFE
#define KBD_REPLY_BAT_OK         0xAA
#define KBD_REPLY_BAT_FAIL       0xFC
#define KBD_REPLY_ECHO           0xEE
#define KBD_REPLY_OVERRUN_SET1   0xFF    /* key detection error / overrun */
#define KBD_REPLY_OVERRUN_SET2   0x00

/* Scan code prefixes. */
#define KBD_PREFIX_E0            0xE0
#define KBD_PREFIX_E1            0xE1
#define KBD_SET2_BREAK           0xF0    /* set 2: the next code is a release */
#define KBD_SET1_BREAK_BIT       0x80    /* set 1: release = make | 0x80 */

#endif
