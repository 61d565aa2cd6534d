/* uart16550.c - the serial consoles: 16550-family UARTs, polled, 8N1 with
 * FIFOs on.  COM1 (I/O 0x3F8) is probed first, at the kernel's first line;
 * uart_find.c adds the port ACPI's SPCR names and PCI serial cards once
 * ACPI and PCI are known.  Output goes to every console, input comes from
 * any (DESIGN.md "Consoles").
 *
 * Callable at any IRQL and from the bug check path: no locks, no
 * allocation.  The list only grows, during boot, on the boot CPU, before
 * other CPUs or threads write to it; a reader may see the count before
 * the entry only if it ran concurrently with HalUartAdd, which nothing
 * does (the console is written with interrupts off, HalUartAdd runs
 * before the shell). */
#include <ntos.h>
#include <uart16550.h>

#define UART_DEFAULT_BAUD 115200
/* A transmitter that never drains (a UART that stopped answering) must
 * not hang the kernel: give up on a byte after this many status polls. */
#define UART_TX_SPIN_LIMIT 100000
/* After this many bytes given up in a row, the console is dropped from
 * output (a PCI card pulled, a BMC port that went away): one dead port
 * must not slow every line on the others to a crawl. */
#define UART_DEAD_AFTER 8

typedef struct _HALP_UART {
    HAL_UART_DESC Desc;
    volatile UCHAR *Va;         /* MMIO mapping */
    ULONG TxGivenUp;
    BOOLEAN Dead;
    CHAR Name[32];
} HALP_UART;

static HALP_UART HalpUarts[HAL_MAX_UARTS];
static ULONG HalpUartCount;
static ULONG HalpUartNextPoll;

static UCHAR UartIn(const HALP_UART *U, ULONG Reg)
{
    if (!U->Desc.Mmio)
        return __inbyte((USHORT)(U->Desc.Address + Reg));
    if (U->Desc.Width == 4)
        return (UCHAR)READ_REGISTER_ULONG((volatile ULONG *)(U->Va + Reg * U->Desc.Stride));
    return READ_REGISTER_UCHAR(U->Va + Reg * U->Desc.Stride);
}

static VOID UartOut(const HALP_UART *U, ULONG Reg, UCHAR V)
{
    if (!U->Desc.Mmio)
        __outbyte((USHORT)(U->Desc.Address + Reg), V);
    else if (U->Desc.Width == 4)
        WRITE_REGISTER_ULONG((volatile ULONG *)(U->Va + Reg * U->Desc.Stride), V);
    else
        WRITE_REGISTER_UCHAR(U->Va + Reg * U->Desc.Stride, V);
}

/* Scratch-register probe: an absent UART reads back 0xFF (I/O) or
 * whatever the bus floats to; two patterns rule out a stuck value. */
static BOOLEAN UartAnswers(const HALP_UART *U)
{
    UartOut(U, UART_SCR, 0x5A);
    if (UartIn(U, UART_SCR) != 0x5A)
        return FALSE;
    UartOut(U, UART_SCR, 0xA5);
    return UartIn(U, UART_SCR) == 0xA5;
}

static VOID UartProgram(const HALP_UART *U)
{
    UartOut(U, UART_IER, 0);
    if (U->Desc.Baud) {
        USHORT divisor = (USHORT)(UART_CLOCK_HZ / 16 / U->Desc.Baud);
        UartOut(U, UART_LCR, UART_LCR_DLAB);
        UartOut(U, UART_DLL, (UCHAR)divisor);
        UartOut(U, UART_DLM, (UCHAR)(divisor >> 8));
    }
    UartOut(U, UART_LCR, UART_LCR_8N1);
    UartOut(U, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR | UART_FCR_TRIG14);
    UartOut(U, UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
}

NTSTATUS HalUartAdd(const HAL_UART_DESC *Desc, PCSTR Name)
{
    HALP_UART *u;

    for (ULONG i = 0; i < HalpUartCount; i++)
        if (HalpUarts[i].Desc.Mmio == Desc->Mmio && HalpUarts[i].Desc.Address == Desc->Address)
            return STATUS_OBJECT_NAME_COLLISION;
    if (HalpUartCount == HAL_MAX_UARTS) {
        DbgPrint("console: %s not used: already %u serial consoles\n", Name, HAL_MAX_UARTS);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if ((Desc->Stride != 1 && Desc->Stride != 4) || (Desc->Width != 1 && Desc->Width != 4) ||
        (!Desc->Mmio && (Desc->Address > 0xFFF8 || Desc->Stride != 1))) {
        DbgPrint("console: %s at 0x%llx has an unusable register layout (stride %u, width %u)\n",
                 Name, (unsigned long long)Desc->Address, Desc->Stride, Desc->Width);
        return STATUS_INVALID_PARAMETER;
    }
    u = &HalpUarts[HalpUartCount];
    RtlZeroMemory(u, sizeof(*u));
    u->Desc = *Desc;
    if (Desc->Mmio) {
        PHYSICAL_ADDRESS pa;
        pa.QuadPart = (LONGLONG)Desc->Address;
        u->Va = MmMapIoSpace(pa, 8u * Desc->Stride, MmNonCached);
        if (!u->Va) {
            DbgPrint("console: %s at 0x%llx could not be mapped\n", Name,
                     (unsigned long long)Desc->Address);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    if (!UartAnswers(u)) {
        DbgPrint("console: %s at %s 0x%llx does not answer (scratch register): not used\n", Name,
                 Desc->Mmio ? "mmio" : "io", (unsigned long long)Desc->Address);
        if (u->Va)
            MmUnmapIoSpace((PVOID)u->Va, 8u * Desc->Stride);
        return STATUS_NO_SUCH_DEVICE;
    }
    UartProgram(u);
    RtlStringCbPrintfA(u->Name, sizeof(u->Name), "%s", Name);
    HalpUartCount++;
    DbgPrint("console: serial console %u: %s, %s 0x%llx, %s\n", HalpUartCount - 1, Name,
                 Desc->Mmio ? "mmio" : "io", (unsigned long long)Desc->Address,
                 Desc->Baud ? "programmed 8N1" : "baud rate as firmware set it");
    return STATUS_SUCCESS;
}

VOID HalUartInit(VOID)
{
    HAL_UART_DESC com1 = { FALSE, UART_COM1_BASE, 1, 1, UART_DEFAULT_BAUD };

    HalUartAdd(&com1, "COM1");
}

ULONG HalUartCount(VOID)
{
    return HalpUartCount;
}

PCSTR HalUartName(ULONG Index)
{
    return Index < HalpUartCount ? HalpUarts[Index].Name : NULL;
}

static VOID UartPutc(HALP_UART *U, char C)
{
    for (ULONG spin = 0; !(UartIn(U, UART_LSR) & UART_LSR_THRE); spin++) {
        if (spin == UART_TX_SPIN_LIMIT) {
            if (++U->TxGivenUp == UART_DEAD_AFTER)
                U->Dead = TRUE;
            return;
        }
    }
    U->TxGivenUp = 0;
    UartOut(U, UART_THR, (UCHAR)C);
}

VOID HalUartWrite(PCSTR Text, SIZE_T Length)
{
    for (ULONG i = 0; i < HalpUartCount; i++) {
        HALP_UART *u = &HalpUarts[i];
        for (SIZE_T c = 0; c < Length && !u->Dead; c++) {
            if (Text[c] == '\n')
                UartPutc(u, '\r');
            UartPutc(u, Text[c]);
        }
    }
}

/* Round robin, so a console that is being typed into fast cannot starve
 * another. */
INT HalUartPoll(VOID)
{
    for (ULONG n = 0; n < HalpUartCount; n++) {
        HALP_UART *u = &HalpUarts[HalpUartNextPoll++ % HalpUartCount];
        if (u->Dead)
            continue;
        if (UartIn(u, UART_LSR) & UART_LSR_DR)
            return UartIn(u, UART_RBR);
    }
    return -1;
}
