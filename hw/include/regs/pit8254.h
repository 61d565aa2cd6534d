/* pit8254.h - the 8254 programmable interval timer of a PC and the NMI
 * status/control port that gates its channel 2 (Intel 8254 datasheet,
 * order 231164; ICH9 datasheet 13.6 and 13.7.1). */
#ifndef NTSTOR_REGS_PIT8254_H
#define NTSTOR_REGS_PIT8254_H

#define PIT_HZ                  1193182u    /* 14.31818 MHz / 12 */
#define PIT_CHANNEL2_PORT       0x42
#define PIT_COMMAND_PORT        0x43

/* Control word (datasheet "Control Word Format"): SC1:SC0 select the
 * counter, RW1:RW0 the access (00 = counter latch command), M2:M0 the
 * mode, BCD = 0 for a 16-bit binary count. */
#define PIT_CW_CHANNEL2         (2u << 6)
#define PIT_CW_LATCH            (0u << 4)
#define PIT_CW_LSB_MSB          (3u << 4)
#define PIT_CW_MODE0            (0u << 1)   /* interrupt on terminal count */
#define PIT_MAX_COUNT           0xFFFFu     /* 16-bit binary counter */

/* NMI status and control register, "port B" (ICH9 13.7.1). */
#define NMI_SC_PORT             0x61
#define NMI_SC_TIM2_GATE        0x01        /* channel 2 gate */
#define NMI_SC_SPKR_DAT_EN      0x02        /* speaker follows OUT2: keep off */

#endif
