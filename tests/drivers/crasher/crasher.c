/* crasher.c - test driver that stops the system from inside its own code, so
 * the bug check's backtrace must name the driver's functions and image:
 *   #0 ... KeBugCheckEx ... #1 ... CrasherInner+0x.. [crasher.sys]
 *   #2 ... CrasherOuter+0x.. [crasher.sys]  #3 ... DriverEntry+0x.. */
#include <wdm.h>

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

/* Not static and never inlined: each must be a frame of its own, with a
 * symbol of its own in the image's symbol table. */
__attribute__((noinline)) VOID CrasherInner(ULONG_PTR Cookie);
__attribute__((noinline)) VOID CrasherOuter(ULONG_PTR Cookie);

VOID CrasherInner(ULONG_PTR Cookie)
{
    KeBugCheckEx(MANUALLY_INITIATED_CRASH, Cookie, 0, 0, 0);
}

VOID CrasherOuter(ULONG_PTR Cookie)
{
    CrasherInner(Cookie + 1);
    __asm__ volatile("" ::: "memory");  /* keep the call a call, not a tail jump */
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    CrasherOuter(0xC0FFEE);
    return STATUS_UNSUCCESSFUL;
}
