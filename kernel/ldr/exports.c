/* exports.c - the kernel's export table: every symbol a driver image may bind.
 *
 * DESIGN.md: "Kernel exports are the only symbols a driver can bind to."  An
 * image importing anything not listed here is refused by the loader with
 * "ldr: <image>: imports unknown symbol '<name>'".
 *
 * To export a symbol: add one X(Name) line to LDR_EXPORTS below, in strict
 * ASCII (strcmp) order -- upper case sorts before lower case, so "memcpy"
 * goes after every Xx name.  The symbol must exist in the kernel (the link
 * fails otherwise) and be declared in include/ (the public driver
 * interface); kernel-internal names (Iop*, Obp*, Ki*) are never exported.
 * Functions and data are listed alike (the entry is the symbol's address).
 * Lookup is a binary search; the first lookup checks the order and, if an
 * entry is out of place, logs it and falls back to a linear search.
 *
 * memcpy/memset/memmove/memcmp are exported because the compiler emits calls
 * to them for struct copies and RtlCopyMemory/RtlZeroMemory of large or
 * variable sizes even in freestanding code. */
#include <ntos.h>
#include <ob.h>
#include <ldr.h>
#include <rtl.h>
#include <ntstor_console.h>
#include <ntstor_disk.h>
#include <usbdlib.h>

#define LDR_EXPORTS(X)                         \
    X(CmCloseKey)                              \
    X(CmOpenKey)                               \
    X(CmOpenSubKey)                            \
    X(CmQueryValue)                            \
    X(CmQueryValueString)                      \
    X(CmQueryValueUlong)                       \
    X(CmQueryValueUlong64)                     \
    X(ConKeyboardInput)                        \
    X(DbgPrint)                                \
    X(ExAcquireFastMutex)                      \
    X(ExAllocatePoolWithTag)                   \
    X(ExAllocatePoolZero)                      \
    X(ExDeleteNPagedLookasideList)             \
    X(ExFreePool)                              \
    X(ExFreePoolWithTag)                       \
    X(ExInitializeFastMutex)                   \
    X(ExInitializeNPagedLookasideList)         \
    X(ExQueueWorkItem)                         \
    X(ExReleaseFastMutex)                      \
    X(ExTryToAcquireFastMutex)                 \
    X(ExpInterlockedFlushSList)                \
    X(ExpInterlockedPopEntrySList)             \
    X(ExpInterlockedPushEntrySList)            \
    X(IoAcquireCancelSpinLock)                 \
    X(IoAcquireRemoveLockEx)                   \
    X(IoAllocateDriverObjectExtension)         \
    X(IoAllocateIrp)                           \
    X(IoAllocateMdl)                           \
    X(IoAllocateWorkItem)                      \
    X(IoAttachDeviceToDeviceStack)             \
    X(IoBuildAsynchronousFsdRequest)           \
    X(IoBuildDeviceIoControlRequest)           \
    X(IoBuildPartialMdl)                       \
    X(IoBuildSynchronousFsdRequest)            \
    X(IoCallDriver)                            \
    X(IoCancelIrp)                             \
    X(IoCompleteRequest)                       \
    X(IoConnectInterrupt)                      \
    X(IoConnectInterruptEx)                    \
    X(IoCreateDevice)                          \
    X(IoCreateSymbolicLink)                    \
    X(IoDeleteDevice)                          \
    X(IoDeleteSymbolicLink)                    \
    X(IoDetachDevice)                          \
    X(IoDisconnectInterrupt)                   \
    X(IoDisconnectInterruptEx)                 \
    X(IoForwardIrpSynchronously)               \
    X(IoFreeIrp)                               \
    X(IoFreeMdl)                               \
    X(IoFreeWorkItem)                          \
    X(IoGetAttachedDevice)                     \
    X(IoGetAttachedDeviceReference)            \
    X(IoGetConfigurationInformation)           \
    X(IoGetDeviceInterfaces)                   \
    X(IoGetDeviceObjectPointer)                \
    X(IoGetDeviceProperty)                     \
    X(IoGetDmaAdapter)                         \
    X(IoGetDriverObjectExtension)              \
    X(IoGetLowerDeviceObject)                  \
    X(IoGetRelatedDeviceObject)                \
    X(IoInitializeDpcRequest)                  \
    X(IoInitializeIrp)                         \
    X(IoInitializeRemoveLockEx)                \
    X(IoInvalidateDeviceRelations)             \
    X(IoIsPollable)                            \
    X(IoOpenDeviceRegistryKey)                 \
    X(IoPollDevice)                            \
    X(IoQueueWorkItem)                         \
    X(IoReadDiskSignature)                     \
    X(IoReadPartitionTableEx)                  \
    X(IoRegisterDeviceInterface)               \
    X(IoRegisterPollRoutine)                   \
    X(IoRegisterShutdownNotification)          \
    X(IoReleaseCancelSpinLock)                 \
    X(IoReleaseRemoveLockAndWaitEx)            \
    X(IoReleaseRemoveLockEx)                   \
    X(IoReportHardError)                       \
    X(IoReuseIrp)                              \
    X(IoSetDeviceInterfaceState)               \
    X(IoStartNextPacket)                       \
    X(IoStartNextPacketByKey)                  \
    X(IoStartPacket)                           \
    X(IoUnregisterShutdownNotification)        \
    X(IoWritePartitionTableEx)                 \
    X(KeAcquireInterruptSpinLock)              \
    X(KeAcquireSpinLock)                       \
    X(KeAcquireSpinLockAtDpcLevel)             \
    X(KeBugCheck)                              \
    X(KeBugCheckEx)                            \
    X(KeCancelTimer)                           \
    X(KeClearEvent)                            \
    X(KeDelayExecutionThread)                  \
    X(KeGetCurrentIrql)                        \
    X(KeGetCurrentThread)                      \
    X(KeInitializeDeviceQueue)                 \
    X(KeInitializeDpc)                         \
    X(KeInitializeEvent)                       \
    X(KeInitializeMutex)                       \
    X(KeInitializeSemaphore)                   \
    X(KeInitializeSpinLock)                    \
    X(KeInitializeTimer)                       \
    X(KeInitializeTimerEx)                     \
    X(KeInsertByKeyDeviceQueue)                \
    X(KeInsertDeviceQueue)                     \
    X(KeInsertQueueDpc)                        \
    X(KeLowerIrql)                             \
    X(KeQueryInterruptTime)                    \
    X(KeQueryPerformanceCounter)               \
    X(KeQueryPriorityThread)                   \
    X(KeRaiseIrql)                             \
    X(KeRaiseIrqlToDpcLevel)                   \
    X(KeReadStateEvent)                        \
    X(KeReadStateMutex)                        \
    X(KeReadStateSemaphore)                    \
    X(KeReadStateTimer)                        \
    X(KeReleaseInterruptSpinLock)              \
    X(KeReleaseMutex)                          \
    X(KeReleaseSemaphore)                      \
    X(KeReleaseSpinLock)                       \
    X(KeReleaseSpinLockFromDpcLevel)           \
    X(KeRemoveByKeyDeviceQueue)                \
    X(KeRemoveDeviceQueue)                     \
    X(KeRemoveEntryDeviceQueue)                \
    X(KeRemoveQueueDpc)                        \
    X(KeResetEvent)                            \
    X(KeSetEvent)                              \
    X(KeSetPriorityThread)                     \
    X(KeSetTimer)                              \
    X(KeSetTimerEx)                            \
    X(KeStallExecutionProcessor)               \
    X(KeSynchronizeExecution)                  \
    X(KeTestSpinLock)                          \
    X(KeWaitForMultipleObjects)                \
    X(KeWaitForSingleObject)                   \
    X(MmAllocateContiguousMemorySpecifyCache)  \
    X(MmBuildMdlForNonPagedPool)               \
    X(MmFreeContiguousMemory)                  \
    X(MmGetPhysicalAddress)                    \
    X(MmMapIoSpace)                            \
    X(MmProbeAndLockPages)                     \
    X(MmUnlockPages)                           \
    X(MmUnmapIoSpace)                          \
    X(NtstorReadPartitionTableEx)              \
    X(NtstorUsbdFindInterface)                 \
    X(NtstorUsbdNextInInterface)               \
    X(NtstorUsbdValidateConfiguration)         \
    X(ObCloseHandle)                           \
    X(ObCreateDirectoryObject)                 \
    X(ObDereferenceObject)                     \
    X(ObMakeTemporaryObject)                   \
    X(ObOpenObjectByName)                      \
    X(ObReferenceObject)                       \
    X(ObReferenceObjectByHandle)               \
    X(ObReferenceObjectByName)                 \
    X(PoCallDriver)                            \
    X(PoRequestPowerIrp)                       \
    X(PoSetPowerState)                         \
    X(PoStartNextPowerIrp)                     \
    X(PsCreateSystemThread)                    \
    X(PsGetCurrentThread)                      \
    X(PsGetCurrentThreadId)                    \
    X(PsTerminateSystemThread)                 \
    X(PsThreadType)                            \
    X(RtlAppendUnicodeStringToString)          \
    X(RtlAppendUnicodeToString)                \
    X(RtlAsciiToUnicodeString)                 \
    X(RtlCheckRegistryKey)                     \
    X(RtlCompareMemory)                        \
    X(RtlCompareUnicodeString)                 \
    X(RtlComputeCrc32)                         \
    X(RtlCopyUnicodeString)                    \
    X(RtlEqualUnicodeString)                   \
    X(RtlEscapeDeviceText)                     \
    X(RtlEscapeDeviceTextW)                    \
    X(RtlInitUnicodeString)                    \
    X(RtlIntegerToUnicodeString)               \
    X(RtlPrefixUnicodeString)                  \
    X(RtlQueryRegistryValues)                  \
    X(RtlStringCbPrintfA)                      \
    X(RtlStringCbVPrintfA)                     \
    X(RtlUnicodeToAscii)                       \
    X(RtlUpcaseUnicodeChar)                    \
    X(RtlWriteRegistryValue)                   \
    X(USBD_ParseConfigurationDescriptorEx)     \
    X(USBD_ParseDescriptors)                   \
    X(USBD_ValidateConfigurationDescriptor)    \
    X(ZwClose)                                 \
    X(ZwCreateKey)                             \
    X(ZwEnumerateKey)                          \
    X(ZwEnumerateValueKey)                     \
    X(ZwOpenKey)                               \
    X(ZwQueryKey)                              \
    X(ZwQueryValueKey)                         \
    X(ZwSetValueKey)                           \
    X(memcmp)                                  \
    X(memcpy)                                  \
    X(memmove)                                 \
    X(memset)

/* The C library names have no header in a freestanding kernel. */
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);

#define LDR_EXPORT_ENTRY(name) { #name, (PVOID)&name },
static const LDR_EXPORT LdrpExports[] = { LDR_EXPORTS(LDR_EXPORT_ENTRY) };

/* 0 unchecked, 1 sorted, 2 out of order (linear search). */
static ULONG LdrpExportOrder;

static INT LdrpCompare(PCSTR a, PCSTR b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (INT)(UCHAR)*a - (INT)(UCHAR)*b;
}

static VOID LdrpCheckOrder(VOID)
{
    LdrpExportOrder = 1;
    for (ULONG i = 1; i < ARRAYSIZE(LdrpExports); i++) {
        if (LdrpCompare(LdrpExports[i - 1].Name, LdrpExports[i].Name) >= 0) {
            DbgPrint("ldr: export table out of order at '%s' (after '%s'); using linear search\n",
                     LdrpExports[i].Name, LdrpExports[i - 1].Name);
            LdrpExportOrder = 2;
            return;
        }
    }
}

PVOID LdrLookupExport(PCSTR Name, PVOID Context)
{
    ULONG lo = 0, hi = ARRAYSIZE(LdrpExports);

    UNREFERENCED_PARAMETER(Context);
    if (LdrpExportOrder == 0)
        LdrpCheckOrder();
    if (LdrpExportOrder == 2) {
        for (ULONG i = 0; i < ARRAYSIZE(LdrpExports); i++)
            if (LdrpCompare(LdrpExports[i].Name, Name) == 0)
                return LdrpExports[i].Address;
        return NULL;
    }
    while (lo < hi) {
        ULONG mid = lo + (hi - lo) / 2;
        INT cmp = LdrpCompare(LdrpExports[mid].Name, Name);
        if (cmp == 0)
            return LdrpExports[mid].Address;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

ULONG LdrExportCount(VOID)
{
    return ARRAYSIZE(LdrpExports);
}

const LDR_EXPORT *LdrExportTable(VOID)
{
    return LdrpExports;
}
