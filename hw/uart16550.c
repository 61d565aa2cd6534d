/* uart16550.c - the COM1 console: 115200 8N1, FIFOs on, polled.
 * QEMU: -serial stdio (or a socket) gives the same 16550 as a PC's COM1. */
#include <ntos.h>
#include <uart16550.h>

#define UART_BAUD 115200
/* A transmitter that never drains (no UART at 0x3F8 on a real board) must
 * not hang the kernel: give up on a byte after this many status polls. */
#define UART_TX_SPIN_LIMIT 100000

static BOOLEAN UartPresent;

static void uart_out(USHORT reg, UCHAR v) { __outbyte(UART_COM1_BASE + reg, v); }
static UCHAR uart_in(USHORT reg) { return __inbyte(UART_COM1_BASE + reg); }

VOID HalUartInit(VOID)
{
    USHORT divisor = UART_CLOCK_HZ / 16 / UART_BAUD;

    /* Scratch-register probe: an absent UART reads back 0xFF. */
    uart_out(UART_SCR, 0x5A);
    if (uart_in(UART_SCR) != 0x5A)
        return;
    uart_out(UART_IER, 0);
    uart_out(UART_LCR, UART_LCR_DLAB);
    uart_out(UART_DLL, (UCHAR)divisor);
    uart_out(UART_DLM, (UCHAR)(divisor >> 8));
    uart_out(UART_LCR, UART_LCR_8N1);
    uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR | UART_FCR_TRIG14);
    uart_out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    UartPresent = TRUE;
}

static void uart_putc(char c)
{
    for (ULONG spin = 0; !(uart_in(UART_LSR) & UART_LSR_THRE); spin++)
        if (spin == UART_TX_SPIN_LIMIT)
            return;
    uart_out(UART_THR, (UCHAR)c);
}

VOID HalUartWrite(PCSTR Text, SIZE_T Length)
{
    if (!UartPresent)
        return;
    for (SIZE_T i = 0; i < Length; i++) {
        if (Text[i] == '\n')
            uart_putc('\r');
        uart_putc(Text[i]);
    }
}

INT HalUartPoll(VOID)
{
    if (!UartPresent || !(uart_in(UART_LSR) & UART_LSR_DR))
        return -1;
    return uart_in(UART_RBR);
}
