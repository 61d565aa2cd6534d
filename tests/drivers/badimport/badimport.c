/* badimport.c - test driver that imports a symbol the kernel does not export.
 * The loader must refuse it before mapping anything, naming the symbol:
 *   ldr: badimport.sys: imports unknown symbol 'KeFooBar' */
#include <wdm.h>

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

/* Deliberately not a kernel export. */
extern NTSTATUS KeFooBar(ULONG Value);

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    return KeFooBar(42);
}
