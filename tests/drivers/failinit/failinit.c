/* failinit.c - test driver whose DriverEntry fails after allocating pool.
 *
 * The contract (DESIGN.md "The driver model"): on a failure status the I/O
 * manager deletes the driver object and unloads the image; what the driver
 * allocated is a leak it reports by tag -- here exactly 128 bytes of 'Fail':
 *   driver failinit: leaked 128 bytes tag 'Fail' */
#include <wdm.h>

#define FAILINIT_TAG   NTSTOR_TAG('F', 'a', 'i', 'l')
#define FAILINIT_BYTES 128

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID leak = ExAllocatePoolWithTag(NonPagedPool, FAILINIT_BYTES, FAILINIT_TAG);

    DbgPrint("failinit: allocated %u bytes at %p, failing on purpose\n", FAILINIT_BYTES, leak);
    return STATUS_UNSUCCESSFUL;
}
