/* dma.c - DMA adapters (include/wdm/dma.h): common buffers below the
 * device's reach, scatter/gather lists from an MDL's pages, and map
 * registers -- bounce pages below the limit -- for transfers the device
 * cannot reach.
 *
 * Locking: each adapter's spin lock guards its map register bitmap and
 * its cache of scatter/gather lists; held only around those, at
 * DISPATCH_LEVEL.  The copies to and from bounce pages run without it (the
 * registers are the caller's until PutScatterGatherList).  A list built in
 * the caller's buffer over pages the device reaches touches neither, so
 * Build and Put of it take no lock (the hot path of a 64-bit device).
 *
 * Map registers exhausted: Get/BuildScatterGatherList return
 * STATUS_INSUFFICIENT_RESOURCES and the caller retries once one of its own
 * transfers has been put back (docs/decisions.md "DMA map registers"); a
 * transfer longer than the adapter's registers can ever carry is
 * STATUS_BUFFER_TOO_SMALL instead, so a caller can tell "later" from
 * "never". */
#include "iop.h"

#define IOP_TAG_DMA NTSTOR_TAG('I', 'o', 'D', 'm')
/* 4 MiB of bounce per adapter at most: an AHCI port's 32 slots of 4 KiB,
 * or four 1 MiB transfers, in flight through it at once. */
#define IOP_DMA_MAX_MAP_REGISTERS 1024
#define IOP_DMA_SG_CACHE_MAX      64

/* Before every SCATTER_GATHER_LIST the adapter hands out. */
typedef struct _IOP_SG_HEADER {
    struct _IOP_SG_HEADER *NextFree;            /* in the adapter's cache */
    ULONG FirstMapRegister;
    ULONG MapRegisters;                         /* 0: not bounced */
    PUCHAR Client;                              /* the transfer's own bytes (bounced) */
    ULONG Bytes;
    BOOLEAN CallerBuffer;                       /* BuildScatterGatherList's: not cached */
    SCATTER_GATHER_LIST List;                   /* last: Elements[] follow */
} IOP_SG_HEADER, *PIOP_SG_HEADER;

typedef struct _IOP_DMA_ADAPTER {
    DMA_ADAPTER Public;
    ULONG64 Limit;                              /* highest address the device reaches */
    ULONG MapRegisterCount;
    PUCHAR Bounce;                              /* MapRegisterCount pages below Limit, or NULL */
    ULONG64 BouncePa;
    KSPIN_LOCK Lock;
    ULONG64 InUse[IOP_DMA_MAX_MAP_REGISTERS / 64];  /* map register bitmap */
    PIOP_SG_HEADER FreeLists;                   /* cached lists, capacity MapRegisterCount + 1 */
    ULONG FreeCount;
    volatile LONG ListsOut;                     /* handed out, not yet put back */
    ULONG64 Bounced;                            /* transfers carried through map registers */
} IOP_DMA_ADAPTER, *PIOP_DMA_ADAPTER;

static inline PIOP_DMA_ADAPTER IopDma(PDMA_ADAPTER A)
{
    return CONTAINING_RECORD(A, IOP_DMA_ADAPTER, Public);
}

static inline PIOP_SG_HEADER IopSgHeader(PSCATTER_GATHER_LIST L)
{
    return CONTAINING_RECORD(L, IOP_SG_HEADER, List);
}

static ULONG IopSgBytes(ULONG Elements)
{
    return (ULONG)(sizeof(IOP_SG_HEADER) + Elements * sizeof(SCATTER_GATHER_ELEMENT));
}

/* ---- common buffers ---- */

static PVOID IopAllocateCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
                                     BOOLEAN CacheEnabled)
{
    PHYSICAL_ADDRESS Low = { .QuadPart = 0 }, High, Boundary = { .QuadPart = 0 };
    PVOID Va;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (!Length || !LogicalAddress)
        return NULL;
    High.QuadPart = (LONGLONG)IopDma(DmaAdapter)->Limit;
    /* x86 DMA is cache-coherent: CacheEnabled FALSE still maps cached. */
    Va = MmAllocateContiguousMemorySpecifyCache(Length, Low, High, Boundary, MmCached);
    if (!Va)
        return NULL;
    *LogicalAddress = MmGetPhysicalAddress(Va);
    RtlZeroMemory(Va, Length);
    return Va;
}

static VOID IopFreeCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                                PVOID VirtualAddress, BOOLEAN CacheEnabled)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (VirtualAddress)
        MmFreeContiguousMemory(VirtualAddress);
}

/* ---- map registers ---- */

/* First fit of Count consecutive free registers; lock held.  ~0u if none. */
static ULONG IopTakeMapRegisters(PIOP_DMA_ADAPTER A, ULONG Count)
{
    for (ULONG First = 0; First + Count <= A->MapRegisterCount; First++) {
        ULONG n = 0;
        while (n < Count && !(A->InUse[(First + n) / 64] & (1ull << ((First + n) % 64))))
            n++;
        if (n == Count) {
            for (n = 0; n < Count; n++)
                A->InUse[(First + n) / 64] |= 1ull << ((First + n) % 64);
            return First;
        }
        First += n;     /* skip past the taken one */
    }
    return ~0u;
}

static VOID IopGiveMapRegisters(PIOP_DMA_ADAPTER A, ULONG First, ULONG Count)
{
    for (ULONG n = 0; n < Count; n++)
        A->InUse[(First + n) / 64] &= ~(1ull << ((First + n) % 64));
}

/* ---- scatter/gather ---- */

/* The bytes of the transfer as the kernel sees them (ntstor maps every
 * MDL's buffer: MappedSystemVa is StartVa + ByteOffset's mapping). */
static PUCHAR IopMdlClientVa(PMDL Mdl, PVOID CurrentVa)
{
    PUCHAR Base = Mdl->MappedSystemVa ? Mdl->MappedSystemVa : MmGetMdlVirtualAddress(Mdl);
    return Base + ((PUCHAR)CurrentVa - (PUCHAR)MmGetMdlVirtualAddress(Mdl));
}

/* Inlined (as IopFillScatterGather): under TCG every call and return is a
 * translation-block lookup, and these run once per I/O. */
FORCEINLINE NTSTATUS IopCheckTransfer(PMDL Mdl, PVOID CurrentVa, ULONG Length, PULONG Pages)
{
    ULONG_PTR Offset;

    if (!Mdl || !Length)
        return STATUS_INVALID_PARAMETER;
    Offset = (ULONG_PTR)CurrentVa - (ULONG_PTR)MmGetMdlVirtualAddress(Mdl);
    if ((PUCHAR)CurrentVa < (PUCHAR)MmGetMdlVirtualAddress(Mdl) || Offset + Length > Mdl->ByteCount)
        return STATUS_INVALID_PARAMETER;
    *Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length);
    return STATUS_SUCCESS;
}

/* Fills H's list for the transfer: the MDL's pages, physically
 * consecutive ones merged into one element (a pool or direct-map buffer is
 * one run: a 1 MiB transfer is one element and a tight scan); or, when a
 * page is out of reach, one element over map registers (taken here) with
 * the data copied in for a write. */
FORCEINLINE NTSTATUS IopFillScatterGather(PIOP_DMA_ADAPTER A, PIOP_SG_HEADER H, PMDL Mdl, PVOID CurrentVa,
                                          ULONG Length, BOOLEAN WriteToDevice)
{
    PPFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl) +
                      (((ULONG_PTR)PAGE_ALIGN(CurrentVa) - (ULONG_PTR)PAGE_ALIGN(MmGetMdlVirtualAddress(Mdl)))
                       >> PAGE_SHIFT);
    ULONG Offset = BYTE_OFFSET(CurrentVa), Left = Length, n = 0;
    BOOLEAN Reachable = TRUE;
    PSCATTER_GATHER_ELEMENT E = H->List.Elements;

    H->MapRegisters = 0;
    while (Left) {
        ULONG Chunk = PAGE_SIZE - Offset;
        ULONG64 Pa = ((ULONG64)Pfn[0] << PAGE_SHIFT) + Offset;
        while (Chunk < Left && Pfn[1] == Pfn[0] + 1) {
            Pfn++;
            Chunk += PAGE_SIZE;
        }
        Pfn++;
        if (Chunk > Left)
            Chunk = Left;
        if (Pa + Chunk - 1 > A->Limit)
            Reachable = FALSE;
        E[n].Address.QuadPart = (LONGLONG)Pa;
        E[n].Length = Chunk;
        E[n].Reserved = 0;
        n++;
        Left -= Chunk;
        Offset = 0;
    }
    H->List.NumberOfElements = n;
    H->List.Reserved = 0;
    if (__builtin_expect(Reachable, 1))
        return STATUS_SUCCESS;

    /* Out of reach: carried whole through consecutive map registers. */
    ULONG Count = BYTES_TO_PAGES(Length), First;
    KIRQL Old;
    if (!A->Bounce || Count > A->MapRegisterCount)
        return STATUS_BUFFER_TOO_SMALL;     /* never fits: not worth a retry */
    KeAcquireSpinLock(&A->Lock, &Old);
    First = IopTakeMapRegisters(A, Count);
    if (First != ~0u)
        A->Bounced++;
    KeReleaseSpinLock(&A->Lock, Old);
    if (First == ~0u)
        return STATUS_INSUFFICIENT_RESOURCES;   /* taken: free again after a Put */
    H->FirstMapRegister = First;
    H->MapRegisters = Count;
    H->Client = IopMdlClientVa(Mdl, CurrentVa);
    H->Bytes = Length;
    if (WriteToDevice)
        RtlCopyMemory(A->Bounce + (SIZE_T)First * PAGE_SIZE, H->Client, Length);
    H->List.NumberOfElements = 1;
    E[0].Address.QuadPart = (LONGLONG)(A->BouncePa + (ULONG64)First * PAGE_SIZE);
    E[0].Length = Length;
    return STATUS_SUCCESS;
}

static NTSTATUS IopGetScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                        PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                        PVOID Context, BOOLEAN WriteToDevice)
{
    PIOP_DMA_ADAPTER A = IopDma(DmaAdapter);
    PIOP_SG_HEADER H;
    ULONG Pages;
    KIRQL Old;
    NTSTATUS Status = IopCheckTransfer(Mdl, CurrentVa, Length, &Pages);

    if (!NT_SUCCESS(Status) || !ExecutionRoutine)
        return NT_SUCCESS(Status) ? STATUS_INVALID_PARAMETER : Status;
    if (Pages > A->MapRegisterCount + 1)
        return STATUS_BUFFER_TOO_SMALL;     /* longer than IoGetDmaAdapter said */
    KeAcquireSpinLock(&A->Lock, &Old);
    H = A->FreeLists;
    if (H) {
        A->FreeLists = H->NextFree;
        A->FreeCount--;
    }
    KeReleaseSpinLock(&A->Lock, Old);
    if (!H) {
        /* Only until the cache has as many lists as are ever out at once. */
        H = ExAllocatePoolWithTag(NonPagedPool, IopSgBytes(A->MapRegisterCount + 1), IOP_TAG_DMA);
        if (!H)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    H->CallerBuffer = FALSE;
    Status = IopFillScatterGather(A, H, Mdl, CurrentVa, Length, WriteToDevice);
    if (!NT_SUCCESS(Status)) {
        KeAcquireSpinLock(&A->Lock, &Old);
        H->NextFree = A->FreeLists;
        A->FreeLists = H;
        A->FreeCount++;
        KeReleaseSpinLock(&A->Lock, Old);
        return Status;
    }
    InterlockedIncrement(&A->ListsOut);
    ExecutionRoutine(DeviceObject, DeviceObject ? DeviceObject->CurrentIrp : NULL, &H->List, Context);
    return STATUS_SUCCESS;
}

static VOID IopPutScatterGatherList(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                    BOOLEAN WriteToDevice)
{
    PIOP_DMA_ADAPTER A = IopDma(DmaAdapter);
    PIOP_SG_HEADER H = IopSgHeader(ScatterGather);
    KIRQL Old;

    /* The caller's buffer over pages the device reached: nothing to copy,
     * give back or cache, so no lock (every I/O of a 64-bit device). */
    if (__builtin_expect(H->CallerBuffer && !H->MapRegisters, 1)) {
        InterlockedDecrement(&A->ListsOut);
        return;
    }
    if (H->MapRegisters && !WriteToDevice)
        RtlCopyMemory(H->Client, A->Bounce + (SIZE_T)H->FirstMapRegister * PAGE_SIZE, H->Bytes);
    KeAcquireSpinLock(&A->Lock, &Old);
    if (H->MapRegisters)
        IopGiveMapRegisters(A, H->FirstMapRegister, H->MapRegisters);
    H->MapRegisters = 0;
    if (!H->CallerBuffer && A->FreeCount < IOP_DMA_SG_CACHE_MAX) {
        H->NextFree = A->FreeLists;
        A->FreeLists = H;
        A->FreeCount++;
        H = NULL;
    }
    KeReleaseSpinLock(&A->Lock, Old);
    InterlockedDecrement(&A->ListsOut);
    if (H && !H->CallerBuffer)
        ExFreePoolWithTag(H, IOP_TAG_DMA);
}

static NTSTATUS IopCalculateScatterGatherList(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                              PULONG ScatterGatherListSize, PULONG NumberOfMapRegisters)
{
    ULONG Pages;
    NTSTATUS Status;

    /* As NT: without an MDL, CurrentVa and Length alone say the span (a
     * caller sizing its buffer for the worst case passes an offset). */
    if (!Mdl) {
        if (!Length)
            return STATUS_INVALID_PARAMETER;
        Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length);
        Status = STATUS_SUCCESS;
    } else {
        Status = IopCheckTransfer(Mdl, CurrentVa, Length, &Pages);
    }
    if (!NT_SUCCESS(Status) || !ScatterGatherListSize)
        return NT_SUCCESS(Status) ? STATUS_INVALID_PARAMETER : Status;
    *ScatterGatherListSize = IopSgBytes(Pages);
    if (NumberOfMapRegisters)
        *NumberOfMapRegisters = Pages;
    return STATUS_SUCCESS;
}

static NTSTATUS IopBuildScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                          PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                          PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                          ULONG ScatterGatherLength)
{
    PIOP_DMA_ADAPTER A = IopDma(DmaAdapter);
    PIOP_SG_HEADER H = ScatterGatherBuffer;
    ULONG Pages;
    NTSTATUS Status = IopCheckTransfer(Mdl, CurrentVa, Length, &Pages);

    if (!NT_SUCCESS(Status) || !ExecutionRoutine || !H)
        return NT_SUCCESS(Status) ? STATUS_INVALID_PARAMETER : Status;
    if (ScatterGatherLength < IopSgBytes(Pages) || ((ULONG_PTR)H & (sizeof(PVOID) - 1)) ||
        Pages > A->MapRegisterCount + 1)
        return STATUS_BUFFER_TOO_SMALL;     /* longer than IoGetDmaAdapter said */
    H->CallerBuffer = TRUE;
    Status = IopFillScatterGather(A, H, Mdl, CurrentVa, Length, WriteToDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    InterlockedIncrement(&A->ListsOut);
    ExecutionRoutine(DeviceObject, DeviceObject ? DeviceObject->CurrentIrp : NULL, &H->List, Context);
    return STATUS_SUCCESS;
}

/* ---- the rest of the table ---- */

static ULONG IopGetDmaAlignment(PDMA_ADAPTER DmaAdapter)
{
    return 1;
}

static NTSTATUS IopDmaNotSupported(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, ULONG Count,
                                   PDRIVER_CONTROL ExecutionRoutine, PVOID Context)
{
    DbgPrint("io: DMA: packet-based DMA (AllocateAdapterChannel) is not provided; use GetScatterGatherList\n");
    return STATUS_NOT_SUPPORTED;
}

static BOOLEAN IopFlushAdapterBuffers(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                      ULONG Length, BOOLEAN WriteToDevice)
{
    return TRUE;        /* coherent, and no packet-based transfers exist */
}

static VOID IopFreeAdapterChannel(PDMA_ADAPTER DmaAdapter)
{
}

static VOID IopFreeMapRegisters(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG Count)
{
}

static PHYSICAL_ADDRESS IopMapTransfer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                       PULONG Length, BOOLEAN WriteToDevice)
{
    PHYSICAL_ADDRESS None = { .QuadPart = 0 };
    if (Length)
        *Length = 0;
    return None;
}

static ULONG IopReadDmaCounter(PDMA_ADAPTER DmaAdapter)
{
    return 0;
}

static VOID IopPutDmaAdapter(PDMA_ADAPTER DmaAdapter)
{
    PIOP_DMA_ADAPTER A = IopDma(DmaAdapter);

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (A->ListsOut)
        KeBugCheckEx(DRIVER_VERIFIER_DMA_VIOLATION, 0x1, (ULONG_PTR)A, (ULONG_PTR)A->ListsOut, 0);
    while (A->FreeLists) {
        PIOP_SG_HEADER H = A->FreeLists;
        A->FreeLists = H->NextFree;
        ExFreePoolWithTag(H, IOP_TAG_DMA);
    }
    if (A->Bounce)
        MmFreeContiguousMemory(A->Bounce);
    ExFreePoolWithTag(A, IOP_TAG_DMA);
}

static DMA_OPERATIONS IopDmaOperations = {
    .Size = sizeof(DMA_OPERATIONS),
    .PutDmaAdapter = IopPutDmaAdapter,
    .AllocateCommonBuffer = IopAllocateCommonBuffer,
    .FreeCommonBuffer = IopFreeCommonBuffer,
    .AllocateAdapterChannel = IopDmaNotSupported,
    .FlushAdapterBuffers = IopFlushAdapterBuffers,
    .FreeAdapterChannel = IopFreeAdapterChannel,
    .FreeMapRegisters = IopFreeMapRegisters,
    .MapTransfer = IopMapTransfer,
    .GetDmaAlignment = IopGetDmaAlignment,
    .ReadDmaCounter = IopReadDmaCounter,
    .GetScatterGatherList = IopGetScatterGatherList,
    .PutScatterGatherList = IopPutScatterGatherList,
    .CalculateScatterGatherList = IopCalculateScatterGatherList,
    .BuildScatterGatherList = IopBuildScatterGatherList,
};

PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject, PDEVICE_DESCRIPTION DeviceDescription,
                             PULONG NumberOfMapRegisters)
{
    PIOP_DMA_ADAPTER A;
    ULONG Registers;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (!DeviceDescription || !NumberOfMapRegisters)
        return NULL;
    if (!DeviceDescription->Master) {
        DbgPrint("io: IoGetDmaAdapter: only bus-master (Master = TRUE) adapters are provided\n");
        return NULL;
    }
    A = ExAllocatePoolZero(NonPagedPool, sizeof(*A), IOP_TAG_DMA);
    if (!A)
        return NULL;
    A->Public.Version = 1;
    A->Public.Size = sizeof(DMA_ADAPTER);
    A->Public.DmaOperations = &IopDmaOperations;
    A->Limit = DeviceDescription->Dma64BitAddresses ? ~0ull
             : DeviceDescription->Dma32BitAddresses ? 0xFFFFFFFFull : 0xFFFFFFull;
    if (DeviceDescription->Version >= DEVICE_DESCRIPTION_VERSION3 && DeviceDescription->DmaAddressWidth >= 24 &&
        DeviceDescription->DmaAddressWidth < 64)
        A->Limit = (1ull << DeviceDescription->DmaAddressWidth) - 1;
    KeInitializeSpinLock(&A->Lock);
    Registers = DeviceDescription->MaximumLength / PAGE_SIZE + 1;
    if (Registers > IOP_DMA_MAX_MAP_REGISTERS)
        Registers = IOP_DMA_MAX_MAP_REGISTERS;
    A->MapRegisterCount = Registers;
    if (A->Limit != ~0ull) {
        /* Bounce pages for transfers out of reach, allocated once. */
        PHYSICAL_ADDRESS Low = { .QuadPart = 0 }, High = { .QuadPart = (LONGLONG)A->Limit },
                         Boundary = { .QuadPart = 0 };
        A->Bounce = MmAllocateContiguousMemorySpecifyCache((SIZE_T)Registers * PAGE_SIZE, Low, High, Boundary,
                                                           MmCached);
        if (!A->Bounce) {
            ExFreePoolWithTag(A, IOP_TAG_DMA);
            return NULL;
        }
        A->BouncePa = (ULONG64)MmGetPhysicalAddress(A->Bounce).QuadPart;
    }
    *NumberOfMapRegisters = Registers;
    return &A->Public;
}
