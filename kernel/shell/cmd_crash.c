/* cmd_crash.c - `crash [pf|gp|ud|de|df|bugcheck]`: stops the machine on
 * purpose, to see (and test) the bug check screen for each kind of fault.
 *
 *   pf        read an unmapped kernel address -> PAGE_FAULT_IN_NONPAGED_AREA
 *   gp        read a non-canonical address    -> KMODE_EXCEPTION_NOT_HANDLED (#GP)
 *   ud        execute ud2                     -> KMODE_EXCEPTION_NOT_HANDLED (#UD)
 *   de        divide by zero                  -> KMODE_EXCEPTION_NOT_HANDLED (#DE)
 *   df        push onto an unmapped stack     -> UNEXPECTED_KERNEL_MODE_TRAP (#DF on its IST stack)
 *   bugcheck  KeBugCheckEx(MANUALLY_INITIATED_CRASH)  (the default) */
#include <ntos.h>
#include <shell.h>

/* A canonical address with no mapping: reserved kernel VA is never mapped
 * until MmMapKernelRange, so touching it must fault. */
static ULONG64 CrashUnmappedAddress(VOID)
{
    PVOID Va = MmReserveSystemVa(PAGE_SIZE);
    return Va ? (ULONG64)Va : 0x10;  /* NULL page: the identity map is gone */
}

/* The non-canonical hole of 48-bit paging (SDM vol. 1 3.3.7.1). */
#define CRASH_NONCANONICAL_ADDRESS 0x8000000000000000ULL

static INT CmdCrash(INT Argc, PCHAR *Argv)
{
    PCSTR Kind = Argc > 1 ? (PCSTR)Argv[1] : "bugcheck";

    if (!RtlAsciiCompare(Kind, "pf", TRUE)) {
        volatile ULONG *p = (volatile ULONG *)CrashUnmappedAddress();
        ConPrintf("crash: reading 0x%llx\n", (unsigned long long)(ULONG_PTR)p);
        (void)*p;
    } else if (!RtlAsciiCompare(Kind, "gp", TRUE)) {
        volatile ULONG *p = (volatile ULONG *)CRASH_NONCANONICAL_ADDRESS;
        (void)*p;
    } else if (!RtlAsciiCompare(Kind, "ud", TRUE)) {
        __asm__ volatile("ud2");
    } else if (!RtlAsciiCompare(Kind, "de", TRUE)) {
        ULONG64 Zero = 0, Quotient, Remainder;
        __asm__ volatile("divq %4"
                         : "=a"(Quotient), "=d"(Remainder)
                         : "a"(1ULL), "d"(0ULL), "r"(Zero));
        (void)Quotient;
        (void)Remainder;
    } else if (!RtlAsciiCompare(Kind, "df", TRUE)) {
        /* The #PF cannot be delivered on an unmapped stack, which makes it
         * a #DF; only the IST switch lets that reach the stop screen. */
        ULONG64 Bad = CrashUnmappedAddress() + PAGE_SIZE;
        __asm__ volatile("mov %0, %%rsp; pushq $0" :: "r"(Bad) : "memory");
    } else if (!RtlAsciiCompare(Kind, "bugcheck", TRUE)) {
        KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
    } else {
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected pf, gp, ud, de, df or bugcheck",
                           "crash %s", Kind);
    }
    /* Reaching here means the fault did not happen. */
    return ShellErrorF(STATUS_UNSUCCESSFUL, "the fault did not occur", "crash %s", Kind);
}

SHELL_COMMAND(crash, CmdCrash, "crash [pf|gp|ud|de|df|bugcheck]",
              "stop the system on purpose with the given fault");
