/* wdm/dma.h - DMA adapters (kernel/io/dma.c): IoGetDmaAdapter and the
 * DMA_OPERATIONS a bus-master driver calls, in the WDK's shapes.
 *
 *   adapter = IoGetDmaAdapter(Pdo, &description, &mapRegisters);
 *   va = adapter->DmaOperations->AllocateCommonBuffer(adapter, bytes, &pa, TRUE);
 *   adapter->DmaOperations->GetScatterGatherList(adapter, Fdo, Irp->MdlAddress,
 *       MmGetMdlVirtualAddress(Irp->MdlAddress), length, ExecutionRoutine, ctx, write);
 *   ... ExecutionRoutine(Fdo, Fdo->CurrentIrp, sgList, ctx) programs the device;
 *   ... at completion: PutScatterGatherList(adapter, sgList, write);
 *   adapter->DmaOperations->PutDmaAdapter(adapter) at remove.
 *
 * Addressing: Dma64BitAddresses reaches everything; else Dma32BitAddresses
 * reaches below 4 GiB; else below 16 MiB (ISA); a Version 3 description's
 * DmaAddressWidth (24..63) says it exactly (an ASM106x reaches 2^43).  Common buffers are
 * allocated below that limit.  A transfer with any page above it is
 * carried whole through the adapter's map registers: bounce pages below the
 * limit, filled before a write and copied back by PutScatterGatherList after
 * a read.  *NumberOfMapRegisters says how many pages one transfer may span
 * (MaximumLength / PAGE_SIZE + 1, at most 1024); it is also the adapter's
 * whole budget of map registers, shared by the transfers in flight.
 *
 * ntstor's rules (NT's differ where said):
 *  - Get/BuildScatterGatherList call ExecutionRoutine before they return;
 *    when the map registers a bounced transfer needs are taken they return
 *    STATUS_INSUFFICIENT_RESOURCES without calling it (NT would queue the
 *    request until they free): the caller keeps the request and tries again
 *    after one of its own lists is put back.  A transfer longer than the
 *    adapter's registers can ever carry is STATUS_BUFFER_TOO_SMALL (never
 *    worth a retry).  IRQL <= DISPATCH_LEVEL.
 *  - Scatter/gather lists come from a per-adapter cache refilled by
 *    PutScatterGatherList: after the first requests no I/O touches the pool.
 *    BuildScatterGatherList never allocates (the caller's buffer, sized by
 *    CalculateScatterGatherList -- with Mdl NULL, as NT, from CurrentVa and
 *    Length alone, for sizing a buffer once for the worst case); Build and
 *    Put of such a list over pages the device reaches take no lock.
 *  - One MDL per transfer (no Next chains); Length within it.
 *  - Packet-based DMA (AllocateAdapterChannel, MapTransfer, ...) is not
 *    provided: those slots fail with STATUS_NOT_SUPPORTED or do nothing.
 *  - AllocateCommonBuffer/FreeCommonBuffer/PutDmaAdapter at PASSIVE_LEVEL. */
#ifndef NTSTOR_WDM_DMA_H
#define NTSTOR_WDM_DMA_H

#include <wdm/io.h>

#define DEVICE_DESCRIPTION_VERSION  0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

typedef enum _DMA_WIDTH { Width8Bits, Width16Bits, Width32Bits, Width64Bits, WidthNoWrap, MaximumDmaWidth } DMA_WIDTH;
typedef enum _DMA_SPEED { Compatible, TypeA, TypeB, TypeC, TypeF, MaximumDmaSpeed } DMA_SPEED;

typedef struct _DEVICE_DESCRIPTION {
    ULONG Version;
    BOOLEAN Master;
    BOOLEAN ScatterGather;
    BOOLEAN DemandMode;
    BOOLEAN AutoInitialize;
    BOOLEAN Dma32BitAddresses;
    BOOLEAN IgnoreCount;
    BOOLEAN Reserved1;
    BOOLEAN Dma64BitAddresses;
    ULONG BusNumber;
    ULONG DmaChannel;
    INTERFACE_TYPE InterfaceType;
    DMA_WIDTH DmaWidth;
    DMA_SPEED DmaSpeed;
    ULONG MaximumLength;        /* largest transfer in bytes */
    ULONG DmaPort;
    /* Version 3: */
    ULONG DmaAddressWidth;      /* 24..64: the device reaches below 2^width (overrides the two BOOLEANs) */
    ULONG DmaControllerInstance;
    ULONG DmaRequestLine;
    PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

typedef struct _SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    SCATTER_GATHER_ELEMENT Elements[];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

typedef struct _DMA_OPERATIONS *PDMA_OPERATIONS;
typedef struct _DMA_ADAPTER {
    USHORT Version;
    USHORT Size;
    PDMA_OPERATIONS DmaOperations;
} DMA_ADAPTER, *PDMA_ADAPTER;

typedef enum _IO_ALLOCATION_ACTION { KeepObject = 1, DeallocateObject, DeallocateObjectKeepRegisters } IO_ALLOCATION_ACTION;
typedef IO_ALLOCATION_ACTION DRIVER_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID MapRegisterBase,
                                            PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;
typedef VOID DRIVER_LIST_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather,
                                 PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;

/* The WDK's order: a driver indexing the table finds the same routine. */
typedef struct _DMA_OPERATIONS {
    ULONG Size;
    VOID (*PutDmaAdapter)(PDMA_ADAPTER DmaAdapter);
    PVOID (*AllocateCommonBuffer)(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
                                  BOOLEAN CacheEnabled);
    VOID (*FreeCommonBuffer)(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                             PVOID VirtualAddress, BOOLEAN CacheEnabled);
    NTSTATUS (*AllocateAdapterChannel)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                       ULONG NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine,
                                       PVOID Context);
    BOOLEAN (*FlushAdapterBuffers)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                   ULONG Length, BOOLEAN WriteToDevice);
    VOID (*FreeAdapterChannel)(PDMA_ADAPTER DmaAdapter);
    VOID (*FreeMapRegisters)(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG NumberOfMapRegisters);
    PHYSICAL_ADDRESS (*MapTransfer)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                    PULONG Length, BOOLEAN WriteToDevice);
    ULONG (*GetDmaAlignment)(PDMA_ADAPTER DmaAdapter);
    ULONG (*ReadDmaCounter)(PDMA_ADAPTER DmaAdapter);
    NTSTATUS (*GetScatterGatherList)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                     PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                     PVOID Context, BOOLEAN WriteToDevice);
    VOID (*PutScatterGatherList)(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                 BOOLEAN WriteToDevice);
    NTSTATUS (*CalculateScatterGatherList)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                           PULONG ScatterGatherListSize, PULONG NumberOfMapRegisters);
    NTSTATUS (*BuildScatterGatherList)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                       PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                       PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                       ULONG ScatterGatherLength);
} DMA_OPERATIONS;

/* NULL when the description asks for what is not provided (a slave/ISA
 * channel) or memory runs out.  PhysicalDeviceObject may be any device of
 * the stack.  PASSIVE_LEVEL. */
PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject, PDEVICE_DESCRIPTION DeviceDescription,
                             PULONG NumberOfMapRegisters);

#endif /* NTSTOR_WDM_DMA_H */
