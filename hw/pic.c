/* pic.c - retires the two legacy 8259A PICs.  They are reprogrammed to
 * vectors 0x20-0x2F before being masked, so that a spurious IRQ7/IRQ15
 * (which a masked 8259 can still raise, 8259A datasheet "Interrupt
 * Sequence") lands on a harmless vector instead of a CPU exception's. */
#include "halp.h"
#include <regs/pic8259.h>

/* Port 0x80 (POST code) is the conventional ~1 us I/O delay between ICWs. */
static VOID HalpPicIoDelay(VOID)
{
    __outbyte(0x80, 0);
}

VOID HalpDisablePic(VOID)
{
    /* Initialization sequence ICW1..ICW4 (8259A datasheet, "Initialization
     * Command Words"): edge triggered, cascade, 8086 mode. */
    __outbyte(PIC1_COMMAND, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    HalpPicIoDelay();
    __outbyte(PIC2_COMMAND, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    HalpPicIoDelay();
    __outbyte(PIC1_DATA, PIC1_VECTOR_BASE);
    HalpPicIoDelay();
    __outbyte(PIC2_DATA, PIC2_VECTOR_BASE);
    HalpPicIoDelay();
    __outbyte(PIC1_DATA, PIC_ICW3_MASTER_SLAVE_IRQ2);
    HalpPicIoDelay();
    __outbyte(PIC2_DATA, PIC_ICW3_SLAVE_ID);
    HalpPicIoDelay();
    __outbyte(PIC1_DATA, PIC_ICW4_8086);
    HalpPicIoDelay();
    __outbyte(PIC2_DATA, PIC_ICW4_8086);
    HalpPicIoDelay();
    __outbyte(PIC1_DATA, PIC_MASK_ALL);
    __outbyte(PIC2_DATA, PIC_MASK_ALL);
}
