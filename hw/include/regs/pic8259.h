/* pic8259.h - the two cascaded 8259A interrupt controllers of a PC (Intel
 * 8259A datasheet; ICH9 datasheet 13.4). */
#ifndef NTSTOR_REGS_PIC8259_H
#define NTSTOR_REGS_PIC8259_H

#define PIC1_COMMAND            0x20
#define PIC1_DATA               0x21
#define PIC2_COMMAND            0xA0
#define PIC2_DATA               0xA1

#define PIC_ICW1_INIT           0x10
#define PIC_ICW1_ICW4           0x01
#define PIC_ICW3_MASTER_SLAVE_IRQ2 0x04  /* master: slave on input 2 */
#define PIC_ICW3_SLAVE_ID       0x02     /* slave: cascade identity 2 */
#define PIC_ICW4_8086           0x01
#define PIC_MASK_ALL            0xFF

/* Chosen vector bases: above the 32 exception vectors, so a spurious IRQ7 or
 * IRQ15 cannot be mistaken for a CPU exception. */
#define PIC1_VECTOR_BASE        0x20
#define PIC2_VECTOR_BASE        0x28

#endif
