/* wdm/io.h - I/O manager types and services exported to drivers
 * (kernel/io/): driver and device objects, IRPs and stack locations, file
 * objects, MDLs, StartIo device queues, cancellation, interrupts, PnP minor
 * codes and resource lists.
 *
 * Shapes, names and numbers follow the WDK's wdm.h so a driver reads as it
 * would on NT.  Fields NT has but ntstor never uses are left out; where
 * ntstor's behaviour differs from NT's it is said beside the declaration.
 *
 * IRQL rules (as NT): IoCallDriver and IoCompleteRequest at <= DISPATCH_LEVEL;
 * IoCreateDevice/IoDeleteDevice/IoAttachDeviceToDeviceStack at PASSIVE_LEVEL;
 * IoAllocateIrp/IoFreeIrp/IoAllocateMdl/IoFreeMdl at <= DISPATCH_LEVEL. */
#ifndef NTSTOR_WDM_IO_H
#define NTSTOR_WDM_IO_H

#include <ntdef.h>
#include <ntstatus.h>
#include <wdm/ke.h>
#include <wdm/mm.h>
#include <wdm/ex.h>

typedef SHORT CSHORT;
typedef ULONG_PTR KAFFINITY;
typedef ULONG DEVICE_TYPE;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

struct _DRIVER_OBJECT;
struct _DEVICE_OBJECT;
struct _FILE_OBJECT;
struct _IRP;
struct _IO_STACK_LOCATION;
struct _SCSI_REQUEST_BLOCK;
struct _KINTERRUPT;

/* ---- object type codes (the Type field of each I/O object) ---- */
#define IO_TYPE_DEVICE                  0x0003
#define IO_TYPE_DRIVER                  0x0004
#define IO_TYPE_FILE                    0x0005
#define IO_TYPE_IRP                     0x0006
#define IO_TYPE_DEVICE_OBJECT_EXTENSION 0x000d

/* ---- access rights and create options ---- */
#ifndef FILE_READ_DATA
#define FILE_READ_DATA           0x0001
#define FILE_WRITE_DATA          0x0002
#define FILE_READ_ATTRIBUTES     0x0080
#define DELETE                   0x00010000
#define SYNCHRONIZE              0x00100000
#define STANDARD_RIGHTS_REQUIRED 0x000F0000
#define GENERIC_READ             0x80000000
#define GENERIC_WRITE            0x40000000
#define GENERIC_EXECUTE          0x20000000
#define GENERIC_ALL              0x10000000
#endif
#define FILE_SHARE_READ          0x00000001
#define FILE_SHARE_WRITE         0x00000002
#define FILE_SHARE_DELETE        0x00000004
/* CreateOptions */
#define FILE_WRITE_THROUGH             0x00000002
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008
#define FILE_SYNCHRONOUS_IO_ALERT      0x00000010
#define FILE_SYNCHRONOUS_IO_NONALERT   0x00000020
#define FILE_NON_DIRECTORY_FILE        0x00000040

#include <devioctl.h>      /* device types, CTL_CODE */

/* ---- major and minor function codes (NT's numbers) ---- */
#define IRP_MJ_CREATE                   0x00
#define IRP_MJ_CREATE_NAMED_PIPE        0x01
#define IRP_MJ_CLOSE                    0x02
#define IRP_MJ_READ                     0x03
#define IRP_MJ_WRITE                    0x04
#define IRP_MJ_QUERY_INFORMATION        0x05
#define IRP_MJ_SET_INFORMATION          0x06
#define IRP_MJ_QUERY_EA                 0x07
#define IRP_MJ_SET_EA                   0x08
#define IRP_MJ_FLUSH_BUFFERS            0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION   0x0b
#define IRP_MJ_DIRECTORY_CONTROL        0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL      0x0d
#define IRP_MJ_DEVICE_CONTROL           0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL  0x0f
#define IRP_MJ_SCSI                     IRP_MJ_INTERNAL_DEVICE_CONTROL
#define IRP_MJ_SHUTDOWN                 0x10
#define IRP_MJ_LOCK_CONTROL             0x11
#define IRP_MJ_CLEANUP                  0x12
#define IRP_MJ_CREATE_MAILSLOT          0x13
#define IRP_MJ_QUERY_SECURITY           0x14
#define IRP_MJ_SET_SECURITY             0x15
#define IRP_MJ_POWER                    0x16
#define IRP_MJ_SYSTEM_CONTROL           0x17
#define IRP_MJ_DEVICE_CHANGE            0x18
#define IRP_MJ_QUERY_QUOTA              0x19
#define IRP_MJ_SET_QUOTA                0x1a
#define IRP_MJ_PNP                      0x1b
#define IRP_MJ_MAXIMUM_FUNCTION         0x1b

#define IRP_MN_START_DEVICE                 0x00
#define IRP_MN_QUERY_REMOVE_DEVICE          0x01
#define IRP_MN_REMOVE_DEVICE                0x02
#define IRP_MN_CANCEL_REMOVE_DEVICE         0x03
#define IRP_MN_STOP_DEVICE                  0x04
#define IRP_MN_QUERY_STOP_DEVICE            0x05
#define IRP_MN_CANCEL_STOP_DEVICE           0x06
#define IRP_MN_QUERY_DEVICE_RELATIONS       0x07
#define IRP_MN_QUERY_INTERFACE              0x08
#define IRP_MN_QUERY_CAPABILITIES           0x09
#define IRP_MN_QUERY_RESOURCES              0x0A
#define IRP_MN_QUERY_RESOURCE_REQUIREMENTS  0x0B
#define IRP_MN_QUERY_DEVICE_TEXT            0x0C
#define IRP_MN_FILTER_RESOURCE_REQUIREMENTS 0x0D
#define IRP_MN_READ_CONFIG                  0x0F
#define IRP_MN_WRITE_CONFIG                 0x10
#define IRP_MN_EJECT                        0x11
#define IRP_MN_SET_LOCK                     0x12
#define IRP_MN_QUERY_ID                     0x13
#define IRP_MN_QUERY_PNP_DEVICE_STATE       0x14
#define IRP_MN_QUERY_BUS_INFORMATION        0x15
#define IRP_MN_DEVICE_USAGE_NOTIFICATION    0x16
#define IRP_MN_SURPRISE_REMOVAL             0x17

/* IRP_MJ_POWER minors */
#define IRP_MN_WAIT_WAKE      0x00
#define IRP_MN_POWER_SEQUENCE 0x01
#define IRP_MN_SET_POWER      0x02
#define IRP_MN_QUERY_POWER    0x03

/* IRP_MJ_INTERNAL_DEVICE_CONTROL / IRP_MJ_SCSI minor */
#define IRP_MN_SCSI_CLASS 0x01

typedef enum _DEVICE_RELATION_TYPE {
    BusRelations = 0,
    EjectionRelations,
    PowerRelations,
    RemovalRelations,
    TargetDeviceRelation,
} DEVICE_RELATION_TYPE;

/* Allocated from pool by whoever answers IRP_MN_QUERY_DEVICE_RELATIONS;
 * each listed object carries a reference for the PnP manager, which frees
 * the structure. */
typedef struct _DEVICE_RELATIONS {
    ULONG Count;
    struct _DEVICE_OBJECT *Objects[1];
} DEVICE_RELATIONS, *PDEVICE_RELATIONS;

typedef enum _BUS_QUERY_ID_TYPE {
    BusQueryDeviceID = 0,
    BusQueryHardwareIDs = 1,
    BusQueryCompatibleIDs = 2,
    BusQueryInstanceID = 3,
    BusQueryDeviceSerialNumber = 4,
    BusQueryContainerID = 5,
} BUS_QUERY_ID_TYPE;

typedef enum _DEVICE_TEXT_TYPE {
    DeviceTextDescription = 0,
    DeviceTextLocationInformation = 1,
} DEVICE_TEXT_TYPE;

/* IRP_MN_QUERY_CAPABILITIES: the subset of NT's DEVICE_CAPABILITIES ntstor's
 * bus drivers fill in. */
typedef struct _DEVICE_CAPABILITIES {
    USHORT Size;
    USHORT Version;
    /* The WDK's bit order: a driver built against the WDK's layout reads
     * and sets the same bits. */
    ULONG DeviceD1 : 1;
    ULONG DeviceD2 : 1;
    ULONG LockSupported : 1;
    ULONG EjectSupported : 1;
    ULONG Removable : 1;
    ULONG DockDevice : 1;
    ULONG UniqueID : 1;
    ULONG SilentInstall : 1;
    ULONG RawDeviceOK : 1;
    ULONG SurpriseRemovalOK : 1;
    ULONG WakeFromD0 : 1;
    ULONG WakeFromD1 : 1;
    ULONG WakeFromD2 : 1;
    ULONG WakeFromD3 : 1;
    ULONG HardwareDisabled : 1;
    ULONG NonDynamic : 1;
    ULONG WarmEjectSupported : 1;
    ULONG NoDisplayInUI : 1;
    ULONG Reserved1 : 1;
    ULONG WakeFromInterrupt : 1;
    ULONG SecureDevice : 1;
    ULONG ChildOfVgaEnabledBridge : 1;
    ULONG DecodeIoOnBoot : 1;
    ULONG Reserved : 9;
    ULONG Address;      /* bus-relative: PCI (device << 16) | function; AHCI port */
    ULONG UINumber;
} DEVICE_CAPABILITIES, *PDEVICE_CAPABILITIES;

/* IRP_MN_QUERY_PNP_DEVICE_STATE result bits */
#define PNP_DEVICE_DISABLED              0x00000001
#define PNP_DEVICE_DONT_DISPLAY_IN_UI    0x00000002
#define PNP_DEVICE_FAILED                0x00000004
#define PNP_DEVICE_REMOVED               0x00000008
#define PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED 0x00000010
#define PNP_DEVICE_NOT_DISABLEABLE       0x00000020

/* ---- hardware resources (CM_RESOURCE_LIST, wdm.h shapes) ----
 *
 * IRP_MN_START_DEVICE carries two lists (Parameters.StartDevice):
 *  - AllocatedResources (raw, bus-relative): Memory/Port Start is the BAR's
 *    bus address; Interrupt: u.Interrupt.Vector is the GSI (IOAPIC input)
 *    for INTx, or for MSI (Flags has CM_RESOURCE_INTERRUPT_MESSAGE)
 *    u.MessageInterrupt.Raw.MessageCount messages.
 *  - AllocatedResourcesTranslated (what a driver uses): Memory Start is the
 *    physical address to pass to MmMapIoSpace; Interrupt u.Interrupt.Vector
 *    is the IDT vector, already allocated and routed by the PnP manager
 *    (IOAPIC entry for INTx, the function's MSI capability programmed and
 *    enabled for MSI), u.Interrupt.Level the IRQL.  For MSI the same numbers
 *    are in u.MessageInterrupt.Translated (the two overlay, as in the WDK).
 *    Hand Vector and Level straight to IoConnectInterrupt.
 * A PCI function gets at most one interrupt descriptor: the alternative the
 * PnP manager chose from the (filtered) requirements below -- MSI (already
 * enabled) when offered and a vector was left, else INTx (level, shared).
 * So the usual loop keeping the last interrupt descriptor connects what the
 * function signals.  A driver falling back from MSI to INTx connects the
 * line with IoConnectInterruptEx(CONNECT_LINE_BASED) (wdm/intrex.h) and
 * clears MSI Enable and the command register's INTx Disable with
 * IRP_MN_WRITE_CONFIG to its PDO.  The full list: kernel/include/pnp.h. */
#define CmResourceTypeNull            0
#define CmResourceTypePort            1
#define CmResourceTypeInterrupt       2
#define CmResourceTypeMemory          3
#define CmResourceTypeDma             4
#define CmResourceTypeDeviceSpecific  5
#define CmResourceTypeBusNumber       6
#define CmResourceTypeMemoryLarge     7

typedef enum _CM_SHARE_DISPOSITION {
    CmResourceShareUndetermined = 0,
    CmResourceShareDeviceExclusive,
    CmResourceShareDriverExclusive,
    CmResourceShareShared,
} CM_SHARE_DISPOSITION;

/* Interrupt Flags */
#define CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE 0x0000
#define CM_RESOURCE_INTERRUPT_LATCHED         0x0001
#define CM_RESOURCE_INTERRUPT_MESSAGE         0x0002
/* Memory Flags */
#define CM_RESOURCE_MEMORY_READ_WRITE    0x0000
#define CM_RESOURCE_MEMORY_PREFETCHABLE  0x0004
/* Port Flags */
#define CM_RESOURCE_PORT_MEMORY 0x0000
#define CM_RESOURCE_PORT_IO     0x0001

typedef enum _INTERFACE_TYPE {
    InterfaceTypeUndefined = -1,
    Internal = 0,
    Isa = 1,
    PCIBus = 5,
} INTERFACE_TYPE;

#pragma pack(push, 4)
typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
    UCHAR Type;                 /* CmResourceType* */
    UCHAR ShareDisposition;     /* CM_SHARE_DISPOSITION */
    USHORT Flags;
    union {
        struct { PHYSICAL_ADDRESS Start; ULONG Length; } Generic;
        struct { PHYSICAL_ADDRESS Start; ULONG Length; } Port;
        struct { PHYSICAL_ADDRESS Start; ULONG Length; } Memory;
        struct {
            USHORT Level;       /* IRQL (translated) */
            USHORT Group;
            ULONG Vector;       /* GSI (raw) or IDT vector (translated) */
            KAFFINITY Affinity;
        } Interrupt;
        struct {
            union {
                struct {
                    USHORT Reserved;
                    USHORT MessageCount;
                    ULONG Vector;
                    KAFFINITY Affinity;
                } Raw;
                struct {
                    USHORT Level;
                    USHORT Group;
                    ULONG Vector;
                    KAFFINITY Affinity;
                } Translated;
            };
        } MessageInterrupt;
        struct { ULONG Channel; ULONG Port; ULONG Reserved1; } Dma;
        struct { ULONG Data[3]; } DevicePrivate;
        struct { ULONG Start; ULONG Length; ULONG Reserved; } BusNumber;
        struct { ULONG DataSize; ULONG Reserved1; ULONG Reserved2; } DeviceSpecificData;
    } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;
#pragma pack(pop)

typedef struct _CM_PARTIAL_RESOURCE_LIST {
    USHORT Version;
    USHORT Revision;
    ULONG Count;
    CM_PARTIAL_RESOURCE_DESCRIPTOR PartialDescriptors[1];
} CM_PARTIAL_RESOURCE_LIST, *PCM_PARTIAL_RESOURCE_LIST;

typedef struct _CM_FULL_RESOURCE_DESCRIPTOR {
    INTERFACE_TYPE InterfaceType;
    ULONG BusNumber;
    CM_PARTIAL_RESOURCE_LIST PartialResourceList;
} CM_FULL_RESOURCE_DESCRIPTOR, *PCM_FULL_RESOURCE_DESCRIPTOR;

typedef struct _CM_RESOURCE_LIST {
    ULONG Count;
    CM_FULL_RESOURCE_DESCRIPTOR List[1];
} CM_RESOURCE_LIST, *PCM_RESOURCE_LIST;

/* ---- resource requirements (IO_RESOURCE_REQUIREMENTS_LIST, wdm.h shapes) ----
 *
 * IRP_MN_QUERY_RESOURCE_REQUIREMENTS: the bus driver answers, in
 * IoStatus.Information, a pool list of what the device can use; the PnP
 * manager frees it.  IRP_MN_FILTER_RESOURCE_REQUIREMENTS then goes to the
 * top of the stack with IoStatus.Information (and Parameters.
 * FilterResourceRequirements.IoResourceRequirementList) = that list.  The
 * function driver handles it on the way back up (after the bus driver
 * completed it): it may edit the list in place when the size stays, or put
 * a new pool list in IoStatus.Information and ExFreePool the old one, and
 * then sets STATUS_SUCCESS; a driver that does not filter passes it down
 * untouched.  WDK "IRP_MN_FILTER_RESOURCE_REQUIREMENTS".
 *
 * One IO_RESOURCE_LIST holds descriptors in resource order.  A descriptor
 * without IO_RESOURCE_ALTERNATIVE starts a resource; the descriptors right
 * after it marked IO_RESOURCE_ALTERNATIVE are other ways to satisfy the same
 * resource, in order of preference.  The PnP manager takes, per resource,
 * the first alternative it can satisfy, and START carries only that one.
 * What the PCI bus driver offers (kernel/include/pnp.h): each BAR as a fixed
 * range (MinimumAddress = its base, MaximumAddress = base + Length - 1), and
 * the interrupt: with an MSI capability a message descriptor (Flags
 * CM_RESOURCE_INTERRUPT_MESSAGE | LATCHED, DeviceExclusive, Option
 * IO_RESOURCE_PREFERRED, vectors CM_RESOURCE_INTERRUPT_MESSAGE_TOKEN) then
 * the line (LEVEL_SENSITIVE, Shared, Option IO_RESOURCE_ALTERNATIVE,
 * Minimum = MaximumVector = the GSI); without one only the line.
 * ntstor reads AlternativeLists but assigns from the first list only. */
#define IO_RESOURCE_PREFERRED   0x01
#define IO_RESOURCE_DEFAULT     0x02
#define IO_RESOURCE_ALTERNATIVE 0x08
#define CM_RESOURCE_INTERRUPT_MESSAGE_TOKEN ((ULONG)-2)

typedef enum _IRQ_DEVICE_POLICY {
    IrqPolicyMachineDefault = 0,
    IrqPolicyAllCloseProcessors,
    IrqPolicyOneCloseProcessor,
    IrqPolicyAllProcessorsInMachine,
    IrqPolicySpecifiedProcessors,
    IrqPolicySpreadMessagesAcrossAllProcessors,
} IRQ_DEVICE_POLICY;

typedef enum _IRQ_PRIORITY {
    IrqPriorityUndefined = 0,
    IrqPriorityLow,
    IrqPriorityNormal,
    IrqPriorityHigh,
} IRQ_PRIORITY;

typedef struct _IO_RESOURCE_DESCRIPTOR {
    UCHAR Option;               /* IO_RESOURCE_PREFERRED / _ALTERNATIVE */
    UCHAR Type;                 /* CmResourceType* */
    UCHAR ShareDisposition;     /* CM_SHARE_DISPOSITION */
    UCHAR Spare1;
    USHORT Flags;               /* as the CM descriptor's */
    USHORT Spare2;
    union {
        struct {
            ULONG Length;
            ULONG Alignment;
            PHYSICAL_ADDRESS MinimumAddress;
            PHYSICAL_ADDRESS MaximumAddress;
        } Port;
        struct {
            ULONG Length;
            ULONG Alignment;
            PHYSICAL_ADDRESS MinimumAddress;
            PHYSICAL_ADDRESS MaximumAddress;
        } Memory;
        struct {
            ULONG MinimumVector;    /* raw: the GSI; message: ..._MESSAGE_TOKEN */
            ULONG MaximumVector;
            IRQ_DEVICE_POLICY AffinityPolicy;
            USHORT Group;
            IRQ_PRIORITY PriorityPolicy;
            KAFFINITY TargetedProcessors;
        } Interrupt;
        struct { ULONG MinimumChannel; ULONG MaximumChannel; } Dma;
        struct {
            ULONG Length;
            ULONG Alignment;
            PHYSICAL_ADDRESS MinimumAddress;
            PHYSICAL_ADDRESS MaximumAddress;
        } Generic;
        struct { ULONG Data[3]; } DevicePrivate;
        struct { ULONG Length; ULONG MinBusNumber; ULONG MaxBusNumber; ULONG Reserved; } BusNumber;
    } u;
} IO_RESOURCE_DESCRIPTOR, *PIO_RESOURCE_DESCRIPTOR;

typedef struct _IO_RESOURCE_LIST {
    USHORT Version;
    USHORT Revision;
    ULONG Count;
    IO_RESOURCE_DESCRIPTOR Descriptors[1];
} IO_RESOURCE_LIST, *PIO_RESOURCE_LIST;

typedef struct _IO_RESOURCE_REQUIREMENTS_LIST {
    ULONG ListSize;             /* bytes of the whole list */
    INTERFACE_TYPE InterfaceType;
    ULONG BusNumber;
    ULONG SlotNumber;
    ULONG Reserved[3];
    ULONG AlternativeLists;     /* IO_RESOURCE_LISTs that follow, each sized by its Count */
    IO_RESOURCE_LIST List[1];
} IO_RESOURCE_REQUIREMENTS_LIST, *PIO_RESOURCE_REQUIREMENTS_LIST;

/* ---- I/O status ---- */
typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/* ntstor has no APCs: an I/O-manager request's ApcRoutine is called directly
 * from IoCompleteRequest (at the completer's IRQL, <= DISPATCH_LEVEL) after
 * the status block is written.  It must not block. */
typedef VOID IO_APC_ROUTINE(PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved);
typedef IO_APC_ROUTINE *PIO_APC_ROUTINE;

/* ---- MDL: a buffer described by its physical pages ----
 * An MDL is followed by ADDRESS_AND_SIZE_TO_SPAN_PAGES(StartVa + ByteOffset,
 * ByteCount) PFN_NUMBERs (physical page numbers).  ntstor has no paging: all
 * kernel memory is resident, so every MDL built here is also mapped
 * (MappedSystemVa is valid) and "locking" only records the pages. */
typedef struct _MDL {
    struct _MDL *Next;
    CSHORT Size;            /* bytes: sizeof(MDL) + page count * sizeof(PFN_NUMBER) */
    CSHORT MdlFlags;
    PVOID Process;          /* always NULL (kernel buffers only) */
    PVOID MappedSystemVa;
    PVOID StartVa;          /* page-aligned */
    ULONG ByteCount;
    ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA     0x0001
#define MDL_PAGES_LOCKED            0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE    0x0008
#define MDL_PARTIAL                 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ            0x0040
#define MDL_WRITE_OPERATION         0x0080
#define MDL_PARENT_MAPPED_SYSTEM_VA 0x0100
#define MDL_FREE_EXTRA_PTES         0x0200
#define MDL_DESCRIBES_AWE           0x0400
#define MDL_IO_SPACE                0x0800
#define MDL_NETWORK_HEADER          0x1000
#define MDL_MAPPING_CAN_FAIL        0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_INTERNAL                0x8000   /* the system's own bookkeeping (WDK: "internal") */

typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority = 0,
    NormalPagePriority = 16,
    HighPagePriority = 32,
} MM_PAGE_PRIORITY;
#define MdlMappingNoExecute 0x40000000

typedef enum _LOCK_OPERATION {
    IoReadAccess = 0,
    IoWriteAccess = 1,
    IoModifyAccess = 2,
} LOCK_OPERATION;

FORCEINLINE PPFN_NUMBER MmGetMdlPfnArray(PMDL Mdl) { return (PPFN_NUMBER)(Mdl + 1); }
FORCEINLINE PVOID MmGetMdlVirtualAddress(PMDL Mdl)
{
    return (PVOID)((PUCHAR)Mdl->StartVa + Mdl->ByteOffset);
}
FORCEINLINE ULONG MmGetMdlByteCount(PMDL Mdl) { return Mdl->ByteCount; }
FORCEINLINE ULONG MmGetMdlByteOffset(PMDL Mdl) { return Mdl->ByteOffset; }
FORCEINLINE SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
    return sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length);
}
/* Initializes caller-provided storage of at least MmSizeOfMdl(BaseVa, Length)
 * bytes (e.g. inside a device extension: no allocation on the I/O path).
 * Follow with MmBuildMdlForNonPagedPool. */
FORCEINLINE VOID MmInitializeMdl(PMDL Mdl, PVOID BaseVa, SIZE_T Length)
{
    Mdl->Next = NULL;
    Mdl->Size = (CSHORT)MmSizeOfMdl(BaseVa, Length);
    Mdl->MdlFlags = 0;
    Mdl->Process = NULL;
    Mdl->MappedSystemVa = NULL;
    Mdl->StartVa = PAGE_ALIGN(BaseVa);
    Mdl->ByteOffset = BYTE_OFFSET(BaseVa);
    Mdl->ByteCount = (ULONG)Length;
}
/* All ntstor MDLs describe mapped kernel memory; NULL only for an MDL that
 * was never built (no MmBuildMdlForNonPagedPool/MmProbeAndLockPages). */
FORCEINLINE PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    (void)Priority;
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return NULL;
}

/* Fills the PFN array from the page tables (MmGetPhysicalAddress per page)
 * and sets MappedSystemVa. */
VOID MmBuildMdlForNonPagedPool(PMDL Mdl);
/* Same as MmBuildMdlForNonPagedPool plus MDL_PAGES_LOCKED; never raises.
 * Bug-checks (PAGE_FAULT_IN_NONPAGED_AREA) if a page is not mapped. */
VOID MmProbeAndLockPages(PMDL Mdl, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation);
VOID MmUnlockPages(PMDL Mdl);

struct _IRP;
/* Allocates an MDL for [VirtualAddress, +Length).  If Irp is given, the MDL
 * becomes Irp->MdlAddress (SecondaryBuffer FALSE) or is chained at the end
 * of Irp's MDL list (TRUE).  The PFN array is not filled: call
 * MmBuildMdlForNonPagedPool.  Small MDLs come from a cache, not the pool. */
PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, struct _IRP *Irp);
VOID IoFreeMdl(PMDL Mdl);
/* Describes [VirtualAddress, +Length) -- which must lie inside SourceMdl's
 * buffer -- in TargetMdl using SourceMdl's page numbers (for splitting a
 * request without touching page tables).  Length 0 = to the end. */
VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length);

/* ---- StartIo device queue (KDEVICE_QUEUE) ----
 * Busy says the driver is working on a request; entries wait in
 * DeviceListHead, sorted by SortKey for the ByKey variants. */
typedef struct _KDEVICE_QUEUE {
    CSHORT Type;
    CSHORT Size;
    LIST_ENTRY DeviceListHead;
    KSPIN_LOCK Lock;
    BOOLEAN Busy;
} KDEVICE_QUEUE, *PKDEVICE_QUEUE;

typedef struct _KDEVICE_QUEUE_ENTRY {
    LIST_ENTRY DeviceListEntry;
    ULONG SortKey;
    BOOLEAN Inserted;
} KDEVICE_QUEUE_ENTRY, *PKDEVICE_QUEUE_ENTRY;

VOID KeInitializeDeviceQueue(PKDEVICE_QUEUE Queue);
/* FALSE (and Busy set) if the queue was idle: the caller starts the entry
 * itself.  TRUE if the entry was queued behind the busy device.
 * At DISPATCH_LEVEL. */
BOOLEAN KeInsertDeviceQueue(PKDEVICE_QUEUE Queue, PKDEVICE_QUEUE_ENTRY Entry);
BOOLEAN KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE Queue, PKDEVICE_QUEUE_ENTRY Entry, ULONG SortKey);
/* Next entry, or NULL (and Busy cleared) if the queue is empty. */
PKDEVICE_QUEUE_ENTRY KeRemoveDeviceQueue(PKDEVICE_QUEUE Queue);
/* First entry with SortKey >= the key (wrapping to the head), or NULL. */
PKDEVICE_QUEUE_ENTRY KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE Queue, ULONG SortKey);
/* TRUE if the entry was queued and is now removed. */
BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE Queue, PKDEVICE_QUEUE_ENTRY Entry);

/* ---- routine types ---- */
typedef NTSTATUS DRIVER_INITIALIZE(struct _DRIVER_OBJECT *DriverObject, PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
/* Every driver image's entry point.  Declared here with default visibility
 * so it is exported from the image (drivers build with -fvisibility=hidden)
 * and the loader can find it (kernel/ldr/elf_validate.c). */
__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;
typedef NTSTATUS DRIVER_ADD_DEVICE(struct _DRIVER_OBJECT *DriverObject,
                                   struct _DEVICE_OBJECT *PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;
typedef NTSTATUS DRIVER_DISPATCH(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef VOID DRIVER_STARTIO(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;
typedef VOID DRIVER_UNLOAD(struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
/* Called with the cancel spin lock held (Irp->CancelIrql is the IRQL to
 * restore); the routine must call IoReleaseCancelSpinLock(Irp->CancelIrql). */
typedef VOID DRIVER_CANCEL(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_CANCEL *PDRIVER_CANCEL;
/* DeviceObject is the device at this stack location (NULL for the location
 * of the IRP's creator).  Return STATUS_MORE_PROCESSING_REQUIRED to keep
 * ownership of the IRP (completion stops; the routine completes or frees it
 * later), anything else to let completion continue upward. */
typedef NTSTATUS IO_COMPLETION_ROUTINE(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp, PVOID Context);
typedef IO_COMPLETION_ROUTINE *PIO_COMPLETION_ROUTINE;
typedef VOID IO_DPC_ROUTINE(PKDPC Dpc, struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp, PVOID Context);
typedef IO_DPC_ROUTINE *PIO_DPC_ROUTINE;

/* ---- driver object ---- */
typedef struct _DRIVER_EXTENSION {
    struct _DRIVER_OBJECT *DriverObject;
    PDRIVER_ADD_DEVICE AddDevice;
    ULONG Count;                    /* times DriverEntry ran */
    UNICODE_STRING ServiceKeyName;  /* "ahci" */
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

#define DRVO_UNLOAD_INVOKED 0x00000001
#define DRVO_LEGACY_DRIVER  0x00000002
#define DRVO_BUILTIN_DRIVER 0x00000004
#define DRVO_INITIALIZED    0x00000010

typedef struct _DRIVER_OBJECT {
    CSHORT Type;                    /* IO_TYPE_DRIVER */
    CSHORT Size;
    struct _DEVICE_OBJECT *DeviceObject;    /* this driver's devices, via NextDevice */
    ULONG Flags;                    /* DRVO_* */
    PVOID DriverStart;              /* image base and size */
    ULONG DriverSize;
    PVOID DriverSection;            /* the loader's record of the image */
    PDRIVER_EXTENSION DriverExtension;
    UNICODE_STRING DriverName;      /* \Driver\ahci */
    PUNICODE_STRING HardwareDatabase;   /* \Registry\Machine\Hardware\Description\System */
    PVOID FastIoDispatch;           /* always NULL */
    PDRIVER_INITIALIZE DriverInit;
    PDRIVER_STARTIO DriverStartIo;
    PDRIVER_UNLOAD DriverUnload;
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* ---- device object ---- */
#define DO_VERIFY_VOLUME          0x00000002
#define DO_BUFFERED_IO            0x00000004
#define DO_EXCLUSIVE              0x00000008
#define DO_DIRECT_IO              0x00000010
#define DO_MAP_IO_BUFFER          0x00000020
#define DO_DEVICE_HAS_NAME        0x00000040
#define DO_DEVICE_INITIALIZING    0x00000080
#define DO_SHUTDOWN_REGISTERED    0x00000800
#define DO_BUS_ENUMERATED_DEVICE  0x00001000
#define DO_POWER_PAGABLE          0x00002000
#define DO_POWER_INRUSH           0x00004000

/* AlignmentRequirement values */
#define FILE_BYTE_ALIGNMENT     0x00000000
#define FILE_WORD_ALIGNMENT     0x00000001
#define FILE_LONG_ALIGNMENT     0x00000003
#define FILE_QUAD_ALIGNMENT     0x00000007
#define FILE_OCTA_ALIGNMENT     0x0000000f
#define FILE_32_BYTE_ALIGNMENT  0x0000001f
#define FILE_64_BYTE_ALIGNMENT  0x0000003f
#define FILE_512_BYTE_ALIGNMENT 0x000001ff

/* The I/O and PnP managers' per-device bookkeeping (NT's DEVOBJ_EXTENSION).
 * Drivers do not touch it. */
typedef struct _DEVOBJ_EXTENSION {
    CSHORT Type;                    /* IO_TYPE_DEVICE_OBJECT_EXTENSION */
    USHORT Size;
    struct _DEVICE_OBJECT *DeviceObject;
    struct _DEVICE_OBJECT *AttachedTo;  /* the device below in the stack */
    PVOID DeviceNode;               /* the PnP manager's node, for PDOs */
    ULONG ExtensionFlags;           /* DOE_* */
    ULONG StartIoKey;
    ULONG StartIoFlags;             /* DOE_SIO_* */
    LONG StartIoCount;
    BOOLEAN (*PollRoutine)(struct _DEVICE_OBJECT *DeviceObject, PVOID Context);
    PVOID PollContext;              /* IoRegisterPollRoutine */
    ULONG PowerState;               /* DEVICE_POWER_STATE: PoSetPowerState's, 0 = unspecified */
} DEVOBJ_EXTENSION, *PDEVOBJ_EXTENSION;

#define DOE_UNLOAD_PENDING   0x00000001
#define DOE_DELETE_PENDING   0x00000002
#define DOE_REMOVE_PENDING   0x00000004
#define DOE_REMOVE_PROCESSED 0x00000008
#define DOE_START_PENDING    0x00000010

typedef struct _DEVICE_OBJECT {
    CSHORT Type;                    /* IO_TYPE_DEVICE */
    USHORT Size;
    LONG ReferenceCount;            /* open file objects */
    struct _DRIVER_OBJECT *DriverObject;
    struct _DEVICE_OBJECT *NextDevice;      /* next device of the same driver */
    struct _DEVICE_OBJECT *AttachedDevice;  /* the device above in the stack */
    struct _IRP *CurrentIrp;        /* StartIo: the IRP being worked on */
    ULONG Flags;                    /* DO_* */
    ULONG Characteristics;          /* FILE_* characteristics */
    PVOID DeviceExtension;          /* ExtSize bytes, zeroed, 16-byte aligned */
    DEVICE_TYPE DeviceType;
    CCHAR StackSize;                /* stack locations an IRP to this device needs */
    ULONG AlignmentRequirement;     /* FILE_*_ALIGNMENT: buffer address mask */
    KDEVICE_QUEUE DeviceQueue;      /* StartIo queue */
    KDPC Dpc;                       /* IoInitializeDpcRequest / IoRequestDpc */
    USHORT SectorSize;
    PDEVOBJ_EXTENSION DeviceObjectExtension;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

/* ---- file object ---- */
#define FO_SYNCHRONOUS_IO   0x00000002
#define FO_NO_INTERMEDIATE_BUFFERING 0x00000008
#define FO_HANDLE_CREATED   0x00040000
#define FO_CLEANUP_COMPLETE 0x00004000
/* ntstor: asynchronous requests on this file are completed by the caller's
 * polling (NtSetPolledCompletion / NtPollFile, kernel/include/io.h). */
#define FO_NTSTOR_POLLED    0x40000000

typedef struct _FILE_OBJECT {
    CSHORT Type;                    /* IO_TYPE_FILE */
    CSHORT Size;
    PDEVICE_OBJECT DeviceObject;    /* the named device opened (bottom of what was opened) */
    PVOID FsContext;                /* the driver's, per open */
    PVOID FsContext2;
    BOOLEAN ReadAccess;
    BOOLEAN WriteAccess;
    BOOLEAN SharedRead;
    BOOLEAN SharedWrite;
    ULONG Flags;                    /* FO_* */
    UNICODE_STRING FileName;        /* the part of the path after the device's name */
    LARGE_INTEGER CurrentByteOffset;    /* used when a read/write gives no offset */
    NTSTATUS FinalStatus;
    ULONG ShareAccess;              /* FILE_SHARE_* asked at open */
    /* ntstor: the I/O manager's count of its outstanding asynchronous
     * requests on this file; Event is set when it drops to zero (NtClose
     * waits for it). */
    volatile LONG PendingRequests;
    KEVENT Event;
} FILE_OBJECT, *PFILE_OBJECT;

/* ---- IRP and stack locations ---- */
#define SL_PENDING_RETURNED  0x01
#define SL_ERROR_RETURNED    0x02
#define SL_INVOKE_ON_CANCEL  0x20
#define SL_INVOKE_ON_SUCCESS 0x40
#define SL_INVOKE_ON_ERROR   0x80

/* IO_STACK_LOCATION.Flags */
#define SL_FORCE_ACCESS_CHECK    0x01
#define SL_OVERRIDE_VERIFY_VOLUME 0x02
#define SL_WRITE_THROUGH         0x04
#define SL_FT_SEQUENTIAL_WRITE   0x08

typedef enum _SYSTEM_POWER_STATE {
    PowerSystemUnspecified = 0, PowerSystemWorking, PowerSystemSleeping1,
    PowerSystemSleeping2, PowerSystemSleeping3, PowerSystemHibernate,
    PowerSystemShutdown, PowerSystemMaximum,
} SYSTEM_POWER_STATE;
typedef enum _DEVICE_POWER_STATE {
    PowerDeviceUnspecified = 0, PowerDeviceD0, PowerDeviceD1, PowerDeviceD2,
    PowerDeviceD3, PowerDeviceMaximum,
} DEVICE_POWER_STATE;
typedef enum _POWER_STATE_TYPE { SystemPowerState = 0, DevicePowerState } POWER_STATE_TYPE;
typedef union _POWER_STATE {
    SYSTEM_POWER_STATE SystemState;
    DEVICE_POWER_STATE DeviceState;
} POWER_STATE;
typedef enum _POWER_ACTION {
    PowerActionNone = 0, PowerActionReserved, PowerActionSleep, PowerActionHibernate,
    PowerActionShutdown, PowerActionShutdownReset, PowerActionShutdownOff, PowerActionWarmEject,
} POWER_ACTION;

typedef struct _IO_STACK_LOCATION {
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR Flags;                    /* SL_* request flags */
    UCHAR Control;                  /* SL_PENDING_RETURNED, SL_INVOKE_ON_* */
    union {
        struct {
            PVOID SecurityContext;  /* always NULL */
            ULONG Options;          /* (disposition << 24) | create options */
            USHORT FileAttributes;
            USHORT ShareAccess;
            ULONG EaLength;
        } Create;
        struct {
            ULONG Length;
            ULONG Key;
            LARGE_INTEGER ByteOffset;
        } Read;
        struct {
            ULONG Length;
            ULONG Key;
            LARGE_INTEGER ByteOffset;
        } Write;
        struct {
            ULONG OutputBufferLength;
            ULONG InputBufferLength;
            ULONG IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
        struct {
            struct _SCSI_REQUEST_BLOCK *Srb;
        } Scsi;
        struct {
            DEVICE_RELATION_TYPE Type;
        } QueryDeviceRelations;
        struct {
            BUS_QUERY_ID_TYPE IdType;
        } QueryId;
        struct {
            DEVICE_TEXT_TYPE DeviceTextType;
            ULONG LocaleId;
        } QueryDeviceText;
        struct {
            PDEVICE_CAPABILITIES Capabilities;
        } DeviceCapabilities;
        struct {
            PCM_RESOURCE_LIST AllocatedResources;
            PCM_RESOURCE_LIST AllocatedResourcesTranslated;
        } StartDevice;
        struct {
            PIO_RESOURCE_REQUIREMENTS_LIST IoResourceRequirementList;
        } FilterResourceRequirements;
        struct {
            ULONG WhichSpace;
            PVOID Buffer;
            ULONG Offset;
            ULONG Length;
        } ReadWriteConfig;
        struct {
            ULONG SystemContext;
            POWER_STATE_TYPE Type;
            POWER_STATE State;
            POWER_ACTION ShutdownType;
        } Power;
        struct {
            PVOID Argument1;
            PVOID Argument2;
            PVOID Argument3;
            PVOID Argument4;
        } Others;
    } Parameters;
    PDEVICE_OBJECT DeviceObject;    /* set by IoCallDriver */
    PFILE_OBJECT FileObject;
    PIO_COMPLETION_ROUTINE CompletionRoutine;
    PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

/* IRP Flags */
#define IRP_NOCACHE             0x00000001
#define IRP_PAGING_IO           0x00000002
#define IRP_SYNCHRONOUS_API     0x00000004
#define IRP_ASSOCIATED_IRP      0x00000008
#define IRP_BUFFERED_IO         0x00000010
#define IRP_DEALLOCATE_BUFFER   0x00000020
#define IRP_INPUT_OPERATION     0x00000040
#define IRP_CREATE_OPERATION    0x00000080
#define IRP_READ_OPERATION      0x00000100
#define IRP_WRITE_OPERATION     0x00000200
#define IRP_CLOSE_OPERATION     0x00000400
#define IRP_DEFER_IO_COMPLETION 0x00000800
/* ntstor: built by the I/O manager (IoBuild*, Nt*File): IoCompleteRequest
 * finishes it (status to UserIosb, UserEvent, MDLs and IRP freed).  An IRP
 * from IoAllocateIrp without this flag must be reclaimed by its creator's
 * completion routine returning STATUS_MORE_PROCESSING_REQUIRED. */
#define IRP_IOMGR_OWNED         0x00100000
/* ntstor: the IRP's originator drives completion by calling IoPollDevice
 * on the stack it sent the IRP to until the IRP completes, so a driver
 * that finds completions by polling may return STATUS_PENDING at once
 * instead of spinning for this IRP (see IoRegisterPollRoutine).  Set only
 * when IoPollDevice from that stack reaches a poll routine. */
#define IRP_NTSTOR_POLLED       0x00200000

/* IRP AllocationFlags */
#define IRP_QUOTA_CHARGED        0x01
#define IRP_ALLOCATED_MUST_SUCCEED 0x02
#define IRP_ALLOCATED_FIXED_SIZE 0x04
#define IRP_LOOKASIDE_ALLOCATION 0x08

typedef struct _IRP {
    CSHORT Type;                    /* IO_TYPE_IRP */
    USHORT Size;                    /* bytes including the stack locations */
    PMDL MdlAddress;                /* direct I/O: the caller's buffer */
    ULONG Flags;                    /* IRP_* */
    union {
        struct _IRP *MasterIrp;
        volatile LONG IrpCount;
        PVOID SystemBuffer;         /* buffered I/O: the I/O manager's copy */
    } AssociatedIrp;
    LIST_ENTRY ThreadListEntry;
    IO_STATUS_BLOCK IoStatus;
    KPROCESSOR_MODE RequestorMode;  /* always KernelMode */
    BOOLEAN PendingReturned;
    CHAR StackCount;
    CHAR CurrentLocation;           /* StackCount + 1 when new; 1 = first driver's */
    BOOLEAN Cancel;
    KIRQL CancelIrql;
    CCHAR ApcEnvironment;
    UCHAR AllocationFlags;          /* IRP_* allocation flags */
    PIO_STATUS_BLOCK UserIosb;
    PKEVENT UserEvent;
    union {
        struct {
            PIO_APC_ROUTINE UserApcRoutine;
            PVOID UserApcContext;
        } AsynchronousParameters;
        LARGE_INTEGER AllocationSize;
    } Overlay;
    volatile PDRIVER_CANCEL CancelRoutine;
    PVOID UserBuffer;               /* METHOD_NEITHER / buffered output target */
    ULONG UserBufferLength;         /* ntstor: bytes at UserBuffer (bounds the buffered copy-back) */
    struct _IO_PROFILE_RECORD *NtstorProfile;  /* ntstor: bench profile=1 stamps, else NULL
                                                  (ntstor_ioprofile.h) */
    union {
        struct {
            union {
                KDEVICE_QUEUE_ENTRY DeviceQueueEntry;   /* StartIo queue */
                struct {
                    PVOID DriverContext[4];             /* the current owner's */
                };
            };
            PVOID Thread;
            PCHAR AuxiliaryBuffer;
            struct {
                LIST_ENTRY ListEntry;   /* the current owner's, e.g. a driver's queue */
                union {
                    struct _IO_STACK_LOCATION *CurrentStackLocation;
                    ULONG PacketType;
                };
            };
            PFILE_OBJECT OriginalFileObject;
        } Overlay;
        KDPC Apc;
        PVOID CompletionKey;
    } Tail;
} IRP, *PIRP;

#define IoSizeOfIrp(StackSize) \
    ((USHORT)(sizeof(IRP) + (ULONG)(UCHAR)(StackSize) * sizeof(IO_STACK_LOCATION)))

FORCEINLINE PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation;
}
FORCEINLINE PIO_STACK_LOCATION IoGetNextIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation - 1;
}
/* Only for a driver that set up the next location itself and calls the
 * lower driver through something other than IoCallDriver. */
FORCEINLINE VOID IoSetNextIrpStackLocation(PIRP Irp)
{
    Irp->CurrentLocation--;
    Irp->Tail.Overlay.CurrentStackLocation--;
}
FORCEINLINE VOID IoSkipCurrentIrpStackLocation(PIRP Irp)
{
    Irp->CurrentLocation++;
    Irp->Tail.Overlay.CurrentStackLocation++;
}
/* Copies everything but the completion routine and its context; the next
 * location's Control is cleared (as the WDK macro does). */
FORCEINLINE VOID IoCopyCurrentIrpStackLocationToNext(PIRP Irp)
{
    PIO_STACK_LOCATION cur = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
    __builtin_memcpy(next, cur, offsetof(IO_STACK_LOCATION, CompletionRoutine));
    next->Control = 0;
}
FORCEINLINE VOID IoSetCompletionRoutine(PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine,
                                        PVOID Context, BOOLEAN InvokeOnSuccess,
                                        BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)
{
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
    next->CompletionRoutine = CompletionRoutine;
    next->Context = Context;
    next->Control = 0;
    if (InvokeOnSuccess)
        next->Control |= SL_INVOKE_ON_SUCCESS;
    if (InvokeOnError)
        next->Control |= SL_INVOKE_ON_ERROR;
    if (InvokeOnCancel)
        next->Control |= SL_INVOKE_ON_CANCEL;
}
FORCEINLINE VOID IoMarkIrpPending(PIRP Irp)
{
    IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
}
/* Returns the previous cancel routine (interlocked, as NT). */
FORCEINLINE PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
    return __atomic_exchange_n(&Irp->CancelRoutine, CancelRoutine, __ATOMIC_SEQ_CST);
}

/* ---- IRP services ---- */
/* NULL when out of memory.  IRPs of up to IOP_SMALL_IRP_STACK (see the
 * kernel's io.h) locations come from a cache: no pool allocation. */
PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota);
VOID IoFreeIrp(PIRP Irp);
/* Initializes caller-provided storage of IoSizeOfIrp(StackSize) bytes. */
VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize);
/* Makes a completed IRP ready to be sent again (status Status). */
VOID IoReuseIrp(PIRP Irp, NTSTATUS Status);
/* Moves to the next stack location (bug-check NO_MORE_IRP_STACK_LOCATIONS
 * if there is none), records DeviceObject in it and calls the driver's
 * MajorFunction.  Returns what the driver returned. */
NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp);
/* Copies the current stack location to the next, sends Irp to
 * DeviceObject and waits until it comes back (the caller owns it again;
 * its status is in Irp->IoStatus.Status).  PASSIVE_LEVEL.  TRUE. */
BOOLEAN IoForwardIrpSynchronously(PDEVICE_OBJECT DeviceObject, PIRP Irp);
#define IofCallDriver IoCallDriver
/* Runs completion routines from the current location upward, then finishes
 * an I/O-manager IRP.  PriorityBoost is ignored (one thread).  Completing
 * an IRP twice bug-checks MULTIPLE_IRP_COMPLETE_REQUESTS. */
VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost);
#define IofCompleteRequest IoCompleteRequest

/* Build an IRP for MajorFunction READ, WRITE, FLUSH_BUFFERS or SHUTDOWN with
 * the next stack location set up for Device.  Buffered devices get a pool
 * copy (copied back for reads), direct-I/O devices an MDL; neither: the
 * buffer is UserBuffer.  The synchronous variant signals Event when the IRP
 * completes; both write the final status to IoStatus and free the IRP. */
PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
                                  PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset,
                                  PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock);
PIRP IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
                                   PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset,
                                   PIO_STATUS_BLOCK IoStatusBlock);
/* METHOD_BUFFERED: one system buffer of max(In, Out) bytes, input copied in,
 * output copied back (IoStatus.Information bytes) on success.
 * METHOD_IN/OUT_DIRECT: input in a system buffer, output described by an
 * MDL.  METHOD_NEITHER: Type3InputBuffer = InputBuffer, UserBuffer =
 * OutputBuffer.  Internal selects IRP_MJ_INTERNAL_DEVICE_CONTROL. */
PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject,
                                   PVOID InputBuffer, ULONG InputBufferLength,
                                   PVOID OutputBuffer, ULONG OutputBufferLength,
                                   BOOLEAN InternalDeviceIoControl, PKEVENT Event,
                                   PIO_STATUS_BLOCK IoStatusBlock);

/* ---- cancellation ---- */
/* The cancel spin lock guards every IRP's CancelRoutine and Cancel fields
 * while a driver queues or dequeues cancelable IRPs. */
VOID IoAcquireCancelSpinLock(PKIRQL Irql);
VOID IoReleaseCancelSpinLock(KIRQL Irql);
/* Sets Irp->Cancel; if a cancel routine is set, clears it and calls it at
 * DISPATCH_LEVEL with the cancel spin lock held.  TRUE if a routine ran. */
BOOLEAN IoCancelIrp(PIRP Irp);

/* ---- StartIo ---- */
/* If the device is idle, makes Irp its CurrentIrp and calls DriverStartIo
 * (at DISPATCH_LEVEL); otherwise queues it (sorted by *Key if given).  With
 * CancelFunction the IRP is cancelable while queued: IoCancelIrp calls it
 * with the cancel spin lock held, and it does as on NT -- if the IRP is not
 * DeviceObject->CurrentIrp, KeRemoveEntryDeviceQueue(&DeviceObject->
 * DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry), release the cancel lock,
 * complete with STATUS_CANCELLED. */
VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key, PDRIVER_CANCEL CancelFunction);
/* Called by the driver when CurrentIrp is done: starts the next queued IRP
 * (Cancelable: the queue holds cancelable IRPs) or marks the device idle. */
VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable);
VOID IoStartNextPacketByKey(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, ULONG Key);

/* ISR-to-DPC handoff: DeviceObject->Dpc runs DpcRoutine(Dpc, DeviceObject,
 * Irp, Context) at DISPATCH_LEVEL. */
VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject, PIO_DPC_ROUTINE DpcRoutine);
FORCEINLINE VOID IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeInsertQueueDpc(&DeviceObject->Dpc, Irp, Context);
}

/* ---- driver and device objects ---- */
/* Per-driver data keyed by ClientIdentificationAddress (any unique pointer,
 * usually DriverEntry's address).  Zeroed; freed with the driver object.
 * STATUS_OBJECT_NAME_COLLISION if the key is in use. */
NTSTATUS IoAllocateDriverObjectExtension(PDRIVER_OBJECT DriverObject,
                                         PVOID ClientIdentificationAddress,
                                         ULONG DriverObjectExtensionSize,
                                         PVOID *DriverObjectExtension);
PVOID IoGetDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress);

/* DeviceName (optional) is a full path such as \Device\Ahci0; its parent
 * directory must exist.  The extension is zeroed and 16-byte aligned; the
 * new device has StackSize 1 and DO_DEVICE_INITIALIZING set, which the
 * driver clears when ready (AddDevice) -- until then opens fail.
 * Exclusive: only one file object may be open at a time. */
NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                        ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject);
/* Unlinks the device from its driver and its name from the namespace; the
 * memory goes when the last reference does.  Detach first. */
VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject);
/* Attaches SourceDevice above the current top of TargetDevice's stack and
 * returns that top (the device to pass IRPs to), or NULL if the target is
 * being deleted.  SourceDevice->StackSize becomes top->StackSize + 1. */
PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice);
/* TargetDevice is the device returned by the attach: its AttachedDevice is
 * cleared. */
VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice);
/* The top of DeviceObject's stack; the Reference variant takes a reference
 * the caller drops with ObDereferenceObject. */
PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject);
PDEVICE_OBJECT IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject);

/* The device gets an IRP_MJ_SHUTDOWN (sent to the top of its stack) before
 * the machine powers off or restarts; newest registration first.  A driver
 * unregisters before deleting the device (IoDeleteDevice also does it). */
NTSTATUS IoRegisterShutdownNotification(PDEVICE_OBJECT DeviceObject);
VOID IoUnregisterShutdownNotification(PDEVICE_OBJECT DeviceObject);
/* A failure no caller can be told of (a flush at IRP_MJ_SHUTDOWN or at
 * IRP_MN_REMOVE_DEVICE, which cannot fail) goes to the user: the shell
 * prints `error: <command> <What>: <STATUS_...> (<Why>)` for the command
 * during which it was reported.  What names the device in key=value form
 * ("disk=1 serial=\"QM00003\""), Why says what it means for the data.
 * ntstor's form of NT's IoRaiseInformationalHardError.  <= DISPATCH_LEVEL. */
VOID IoReportHardError(NTSTATUS ErrorStatus, PCSTR What, PCSTR Why);
/* ---- work items (kernel/io/workitem.c) ----
 * Run Routine(DeviceObject, Context) at PASSIVE_LEVEL on a system worker
 * thread (wdm/ex.h).  While an item is queued or running it holds a
 * reference on DeviceObject, and the driver's image stays loaded: an
 * unload waits for it after DriverUnload, as NT's does.  Allocate and
 * queue at IRQL <= DISPATCH_LEVEL; queueing an item already queued
 * bug-checks INVALID_WORK_QUEUE_ITEM.  Free it when it is not queued (the
 * routine itself may free it). */
typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;
typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE *PIO_WORKITEM_ROUTINE;
PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem);
VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                     WORK_QUEUE_TYPE QueueType, PVOID Context);

/* ---- power (kernel/io/power.c) ----
 * NT 6's power manager calls, as a driver sees them.  PoCallDriver is
 * IoCallDriver for IRP_MJ_POWER (power IRPs are not serialized per
 * device, so PoStartNextPowerIrp has nothing to release and returns).
 * PoSetPowerState records the device's power state (DevicePowerState;
 * a SystemPowerState is accepted and ignored) and returns the previous
 * one.  PoRequestPowerIrp sends a new IRP_MJ_POWER (IRP_MN_SET_POWER or
 * IRP_MN_QUERY_POWER, a DevicePowerState) to the top of DeviceObject's
 * stack -- a function driver asks for its own D-IRP with its PDO -- and
 * calls CompletionFunction(DeviceObject, Minor, PowerState, Context,
 * &IoStatus) when it completes, then frees it; STATUS_PENDING once sent,
 * STATUS_INVALID_PARAMETER_2 for another minor.  <= DISPATCH_LEVEL.
 *
 * The system's power IRPs: `poweroff` and `reboot` send IRP_MN_SET_POWER
 * (SystemPowerState PowerSystemShutdown, ShutdownType PowerActionShutdown)
 * to every started device stack, children before parents, after the
 * IRP_MJ_SHUTDOWN notifications; each stack has 10 s to answer.  A
 * function driver that wants its device off requests D3 from there. */
typedef VOID REQUEST_POWER_COMPLETE(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction,
                                    POWER_STATE PowerState, PVOID Context,
                                    PIO_STATUS_BLOCK IoStatus);
typedef REQUEST_POWER_COMPLETE *PREQUEST_POWER_COMPLETE;
NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp);
VOID PoStartNextPowerIrp(PIRP Irp);
POWER_STATE PoSetPowerState(PDEVICE_OBJECT DeviceObject, POWER_STATE_TYPE Type, POWER_STATE State);
NTSTATUS PoRequestPowerIrp(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction, POWER_STATE PowerState,
                           PREQUEST_POWER_COMPLETE CompletionFunction, PVOID Context, PIRP *Irp);

/* ---- remove locks (kernel/io/removelock.c) ----
 * NT's IO_REMOVE_LOCK: counts the requests a driver has in flight on a
 * device so IRP_MN_REMOVE_DEVICE can wait for them before it deletes it.
 * IoCount starts at 1 (the device's own hold); every dispatch routine
 * acquires before it touches the device and releases when the IRP is done
 * with (after its completion, for an IRP passed down with a completion
 * routine).  Once IoReleaseRemoveLockAndWait has begun (REMOVE_DEVICE),
 * every acquire fails with STATUS_DELETE_PENDING; ReleaseAndWait releases
 * the caller's acquire and the initial hold and waits, at PASSIVE_LEVEL,
 * until every other holder has released.  Acquire and release at
 * <= DISPATCH_LEVEL.  A release that takes the count below zero (released
 * more than acquired) bug-checks PNP_DETECTED_FATAL_ERROR with P1 =
 * IO_REMOVE_LOCK_UNDERFLOW.  Tag is the caller's (any value, e.g. the IRP);
 * for a driver under the verifier (kernel/io/verifier.c) the tags of the
 * locks it initializes are tracked and a release with a tag that holds
 * none -- never acquired, or released more than acquired -- is
 * DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) P1 0x1006.  Common.Reserved[0]
 * is the kernel's (it marks such a lock).  The WDK's macros over the *Ex
 * routines, as in wdm.h, are what drivers call. */
typedef struct _IO_REMOVE_LOCK_COMMON_BLOCK {
    BOOLEAN Removed;
    BOOLEAN Reserved[3];
    volatile LONG IoCount;
    KEVENT RemoveEvent;
} IO_REMOVE_LOCK_COMMON_BLOCK;
typedef struct _IO_REMOVE_LOCK {
    IO_REMOVE_LOCK_COMMON_BLOCK Common;
} IO_REMOVE_LOCK, *PIO_REMOVE_LOCK;
#define IO_REMOVE_LOCK_UNDERFLOW 0x1001

VOID IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes,
                              ULONG HighWatermark, ULONG RemlockSize);
NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line,
                               ULONG RemlockSize);
VOID IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize);
VOID IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize);
#define IoInitializeRemoveLock(Lock, Tag, Maxmin, HighWater) \
    IoInitializeRemoveLockEx(Lock, Tag, Maxmin, HighWater, sizeof(IO_REMOVE_LOCK))
#define IoAcquireRemoveLock(RemoveLock, Tag) \
    IoAcquireRemoveLockEx(RemoveLock, Tag, __FILE__, __LINE__, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLock(RemoveLock, Tag) \
    IoReleaseRemoveLockEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLockAndWait(RemoveLock, Tag) \
    IoReleaseRemoveLockAndWaitEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))

/* The device directly below (referenced), or NULL. */
PDEVICE_OBJECT IoGetLowerDeviceObject(PDEVICE_OBJECT DeviceObject);

/* ntstor: polled completion (docs/performance.md).  A driver that finds
 * completions by polling its hardware (an AHCI port in poll mode) registers
 * a poll routine on its device object.  IoPollDevice(DeviceObject) calls
 * the poll routines of DeviceObject and of every device below it in its
 * stack (DeviceObject is normally the top, where the IRP was sent), once
 * each, in the caller's context at <= DISPATCH_LEVEL.  A poll routine
 * looks at the hardware once, completes what has finished (IoCompleteRequest
 * inline, no lock held: completion routines run from inside IoPollDevice
 * and may send new IRPs, which must not poll recursively) and returns TRUE
 * if completions on this device are found by polling -- the caller should
 * keep calling until its IRP completes -- or FALSE if they arrive by
 * themselves (interrupts): the caller may block instead.  IoPollDevice
 * returns TRUE if some routine did.
 *
 * Who polls: the I/O manager while it waits for a synchronous request it
 * sent (it then marks the IRP IRP_NTSTOR_POLLED), class drivers waiting for
 * their own SRBs, and callers of asynchronous requests that asked for it
 * (FO_NTSTOR_POLLED).  A polling driver spins in the submitter, as before,
 * for IRPs without IRP_NTSTOR_POLLED.
 *
 * Register while the device exists and before requests arrive; Routine
 * NULL unregisters.  The registration goes with the device object. */
typedef BOOLEAN DRIVER_POLL_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef DRIVER_POLL_ROUTINE *PDRIVER_POLL_ROUTINE;
VOID IoRegisterPollRoutine(PDEVICE_OBJECT DeviceObject, PDRIVER_POLL_ROUTINE Routine, PVOID Context);
BOOLEAN IoPollDevice(PDEVICE_OBJECT DeviceObject);
/* TRUE if IoPollDevice(DeviceObject) would reach a poll routine. */
BOOLEAN IoIsPollable(PDEVICE_OBJECT DeviceObject);
/* The device a file object's requests go to (top of its device's stack). */
PDEVICE_OBJECT IoGetRelatedDeviceObject(PFILE_OBJECT FileObject);
/* Opens ObjectName and returns the file object (referenced: the caller
 * ObDereferenceObject's it when done) and the top device.  As in NT the
 * device gets IRP_MJ_CREATE and IRP_MJ_CLEANUP (the handle NT opens and
 * closes inside) before this returns, and IRP_MJ_CLOSE at the last
 * dereference. */
NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess,
                                  PFILE_OBJECT *FileObject, PDEVICE_OBJECT *DeviceObject);
NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName);
NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName);

/* How many of each device kind exist.  A disk class driver increments
 * DiskCount for each disk it adds and decrements it at removal; disk
 * numbers are not derived from it (they are the lowest free, see
 * drivers/disk/pnp.c), so it is a count, not a next number. */
typedef struct _CONFIGURATION_INFORMATION {
    ULONG DiskCount;
    ULONG FloppyCount;
    ULONG CdRomCount;
    ULONG TapeCount;
    ULONG ScsiPortCount;
    ULONG SerialCount;
    ULONG ParallelCount;
} CONFIGURATION_INFORMATION, *PCONFIGURATION_INFORMATION;
PCONFIGURATION_INFORMATION IoGetConfigurationInformation(VOID);

/* ---- PnP ---- */
/* A bus driver tells the PnP manager that the children of its device
 * (Pdo: the bus device's PDO, or any device of its stack) changed.  As in
 * NT the call only queues the work and returns (callable at <= DISPATCH_
 * LEVEL, with the caller's own locks held): the PnP thread then sends
 * IRP_MN_QUERY_DEVICE_RELATIONS(BusRelations), starts the new children and
 * surprise-removes the vanished ones (REMOVE_DEVICE follows when nothing
 * of a vanished child's stack is open; kernel/include/pnp.h).  Only
 * BusRelations is supported. */
VOID IoInvalidateDeviceRelations(PDEVICE_OBJECT DeviceObject, DEVICE_RELATION_TYPE Type);

/* Device interfaces (kernel/pnp/interface.c), NT's: a driver registers an
 * interface class (a GUID, e.g. GUID_DEVINTERFACE_DISK in ntddstor.h) for
 * a PDO the PnP manager knows and gets its symbolic link name
 * (\??\<instance path, '\' as '#'>#{guid}[\<reference>]; the caller frees
 * the buffer with ExFreePool); IoSetDeviceInterfaceState creates (TRUE)
 * or deletes (FALSE) that link -- disable it at SURPRISE_REMOVAL/REMOVE;
 * a disabled interface is forgotten (no persistent registry: register
 * again, the name is the same).
 * IoGetDeviceInterfaces: the enabled links of a class (and of one PDO, if
 * given; DEVICE_INTERFACE_INCLUDE_NONACTIVE: the disabled ones too) as a
 * REG_MULTI_SZ in pool the caller frees with ExFreePool.  An interface
 * goes away with its PDO's device node.  PASSIVE_LEVEL. */
#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID, *PGUID;
#endif
#define DEVICE_INTERFACE_INCLUDE_NONACTIVE 0x00000001
NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject, const GUID *InterfaceClassGuid,
                                   PUNICODE_STRING ReferenceString, PUNICODE_STRING SymbolicLinkName);
NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable);
NTSTATUS IoGetDeviceInterfaces(const GUID *InterfaceClassGuid, PDEVICE_OBJECT PhysicalDeviceObject,
                               ULONG Flags, PWSTR *SymbolicLinkList);

/* ---- interrupts ---- */
typedef struct _KINTERRUPT KINTERRUPT, *PKINTERRUPT;
typedef BOOLEAN KSERVICE_ROUTINE(PKINTERRUPT Interrupt, PVOID ServiceContext);
typedef KSERVICE_ROUTINE *PKSERVICE_ROUTINE;
typedef BOOLEAN KSYNCHRONIZE_ROUTINE(PVOID SynchronizeContext);
typedef KSYNCHRONIZE_ROUTINE *PKSYNCHRONIZE_ROUTINE;
typedef enum _KINTERRUPT_MODE { LevelSensitive = 0, Latched = 1 } KINTERRUPT_MODE;

/* Connects ServiceRoutine to IDT Vector (the translated resource's
 * u.Interrupt.Vector; see CM_PARTIAL_RESOURCE_DESCRIPTOR).  Irql is the
 * vector's IRQL (u.Interrupt.Level); the ISR runs at SynchronizeIrql
 * (>= Irql) holding SpinLock, or the interrupt object's own lock if SpinLock
 * is NULL.  ShareVector allows other ISRs on the vector (INTx).  Affinity
 * and FloatingSave are accepted and ignored (one CPU, no FP in the kernel).
 * STATUS_INVALID_PARAMETER for a vector whose IRQL is not Irql or
 * SynchronizeIrql < Irql; STATUS_INVALID_PARAMETER also for a vector already
 * connected unshared. */
NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector,
                            KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave);
VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject);
/* Runs SynchronizeRoutine at the interrupt's SynchronizeIrql with its spin
 * lock held: the ISR cannot run meanwhile. */
BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext);
KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt);
VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql);

/* ---- partition tables (NT's fstub; kernel/fstub/) -------------------------
 * One parser, in the kernel: GPT (UEFI 2.x 5.3, the backup header when the
 * primary is bad) or MBR with its extended chain.  The routines talk to
 * DeviceObject with IRPs at PASSIVE_LEVEL: IOCTL_DISK_GET_DRIVE_GEOMETRY_EX
 * for the sector size and disk size, IRP_MJ_READ for the sectors.  The
 * layout type is ntdddisk.h's (not included here: its MEDIA_TYPE names,
 * "Unknown" among them, would land in every file that includes wdm.h). */
struct _DRIVE_LAYOUT_INFORMATION_EX;

typedef struct _DISK_SIGNATURE {
    ULONG PartitionStyle;           /* PARTITION_STYLE_MBR or _GPT */
    union {
        struct {
            ULONG Signature;        /* MBR bytes 440..443 */
            ULONG CheckSum;         /* the 32-bit sum of LBA 0's first 128 ULONGs, negated */
        } Mbr;
        struct {
            GUID DiskId;
        } Gpt;
    };
} DISK_SIGNATURE, *PDISK_SIGNATURE;

/* Reads the disk's partition table into a pool-allocated layout the caller
 * frees with ExFreePool.  A disk without a usable table succeeds with
 * PARTITION_STYLE_RAW and no partitions; every problem met is logged
 * (DbgPrint, naming the device).  Partition numbers are 1..N in table
 * order (GPT entries, then MBR primaries, then logical partitions). */
NTSTATUS IoReadPartitionTableEx(PDEVICE_OBJECT DeviceObject, struct _DRIVE_LAYOUT_INFORMATION_EX **DriveLayout);

/* The disk's identity: the GPT's DiskId when the protective MBR leads to a
 * valid GPT; otherwise the MBR's signature and checksum (a disk with no
 * table too: its checksum still tells it apart).  STATUS_DISK_CORRUPT_ERROR
 * for a protective MBR with no valid GPT behind it. */
NTSTATUS IoReadDiskSignature(PDEVICE_OBJECT DeviceObject, ULONG BytesPerSector, PDISK_SIGNATURE Signature);

/* Writes DriveLayout to the disk through IRP_MJ_WRITE (so the disk
 * driver's write permission applies): MBR -- PartitionEntry[0..3] into the
 * four primary slots (type 0: empty; LBA 0's boot code kept); GPT --
 * protective MBR, both headers and entry arrays with their CRC32s, the
 * usable area computed from the disk's size.  Offsets and lengths in whole
 * sectors.  Nothing is written unless the whole layout is valid:
 * STATUS_INVALID_PARAMETER for a misaligned, empty, out-of-range or
 * overlapping partition, STATUS_NOT_SUPPORTED for RAW, more than four MBR
 * entries or an extended partition. */
NTSTATUS IoWritePartitionTableEx(PDEVICE_OBJECT DeviceObject, struct _DRIVE_LAYOUT_INFORMATION_EX *DriveLayout);

#endif
