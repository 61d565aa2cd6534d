/* badhdr.c - test driver whose image is corrupted after linking: the
 * Makefile's driver-images section overwrites e_phoff with 0x7fff0000, so
 * the loader must refuse it with
 *   ldr: badhdr.sys: e_phoff 0x7fff0000 (N headers) beyond end of file (...)
 * The code itself is a valid, trivial driver, so the refusal can only come
 * from the header. */
#include <wdm.h>

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DbgPrint("badhdr: DriverEntry must never run\n");
    return STATUS_SUCCESS;
}
