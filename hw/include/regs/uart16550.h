/* uart16550.h - 16550 UART registers (PC16550D datasheet), offsets from the
 * I/O base (COM1 = 0x3F8). */
#ifndef NTSTOR_REGS_UART16550_H
#define NTSTOR_REGS_UART16550_H

#define UART_COM1_BASE  0x3F8
#define UART_CLOCK_HZ   1843200     /* base clock / 16 = 115200 at divisor 1 */

#define UART_RBR 0  /* receive buffer (read, DLAB=0) */
#define UART_THR 0  /* transmit holding (write, DLAB=0) */
#define UART_DLL 0  /* divisor latch low (DLAB=1) */
#define UART_IER 1  /* interrupt enable (DLAB=0) */
#define UART_DLM 1  /* divisor latch high (DLAB=1) */
#define UART_FCR 2  /* FIFO control (write) */
#define UART_LCR 3  /* line control */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */
#define UART_SCR 7  /* scratch */

#define UART_LCR_8N1    0x03
#define UART_LCR_DLAB   0x80
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR  0x06        /* clear RX and TX FIFOs */
#define UART_FCR_TRIG14 0xC0
#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT2   0x08
#define UART_LSR_DR     0x01        /* data ready */
#define UART_LSR_THRE   0x20        /* transmit holding register empty */

#endif
