/* obhandle.c - the kernel handle table (one table: ntstor has no processes).
 *
 * A handle is (slot + 1) * 4, so it is never NULL and looks like NT's.
 * Each open slot holds one pointer reference and one handle count on its
 * object.  The table doubles when full; the slots are guarded by ObpLock. */
#include "obp.h"

#define OBP_HANDLE_INITIAL_SLOTS 32
#define OBP_HANDLE_MAX_SLOTS     (1u << 20)

static PVOID *ObpHandleSlots;
static ULONG ObpHandleSlotCount;
static ULONG ObpHandlesOpen;
static ULONG ObpHandleHint;     /* where the search for a free slot starts */

static inline HANDLE ObpSlotToHandle(ULONG Slot)
{
    return (HANDLE)(ULONG_PTR)((Slot + 1) * 4);
}

/* Slot index, or ~0u if the value cannot be a handle of this table. */
static ULONG ObpHandleToSlot(HANDLE Handle)
{
    ULONG_PTR V = (ULONG_PTR)Handle;
    if (V == 0 || (V & 3) || V / 4 > ObpHandleSlotCount)
        return ~0u;
    return (ULONG)(V / 4 - 1);
}

/* Makes the table bigger; called without the lock. */
static NTSTATUS ObpGrowHandleTable(ULONG SeenCount)
{
    ULONG NewCount = SeenCount ? SeenCount * 2 : OBP_HANDLE_INITIAL_SLOTS;
    PVOID *New, *Old = NULL;
    KIRQL OldIrql;

    if (NewCount > OBP_HANDLE_MAX_SLOTS)
        return STATUS_INSUFFICIENT_RESOURCES;
    New = ExAllocatePoolZero(NonPagedPool, NewCount * sizeof(PVOID), OBP_TAG_HANDLES);
    if (!New)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeAcquireSpinLock(&ObpLock, &OldIrql);
    if (ObpHandleSlotCount == SeenCount) {
        if (SeenCount)
            RtlCopyMemory(New, ObpHandleSlots, SeenCount * sizeof(PVOID));
        Old = ObpHandleSlots;
        ObpHandleSlots = New;
        ObpHandleSlotCount = NewCount;
        New = NULL;
    }
    KeReleaseSpinLock(&ObpLock, OldIrql);
    /* Either the old table or ours if someone grew it meanwhile. */
    if (Old)
        ExFreePoolWithTag(Old, OBP_TAG_HANDLES);
    if (New)
        ExFreePoolWithTag(New, OBP_TAG_HANDLES);
    return STATUS_SUCCESS;
}

NTSTATUS ObInsertHandle(PVOID Object, PHANDLE Handle)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object);
    KIRQL OldIrql;

    if (!Handle)
        return STATUS_INVALID_PARAMETER;
    for (;;) {
        ULONG Count;
        KeAcquireSpinLock(&ObpLock, &OldIrql);
        Count = ObpHandleSlotCount;
        for (ULONG n = 0; n < Count; n++) {
            ULONG Slot = (ObpHandleHint + n) % Count;
            if (!ObpHandleSlots[Slot]) {
                ObpHandleSlots[Slot] = Object;
                ObpHandleHint = Slot + 1;
                ObpHandlesOpen++;
                Header->PointerCount++;
                Header->HandleCount++;
                KeReleaseSpinLock(&ObpLock, OldIrql);
                *Handle = ObpSlotToHandle(Slot);
                return STATUS_SUCCESS;
            }
        }
        KeReleaseSpinLock(&ObpLock, OldIrql);
        NTSTATUS Status = ObpGrowHandleTable(Count);
        if (!NT_SUCCESS(Status))
            return Status;
    }
}

NTSTATUS ObpReferenceObjectByHandle(HANDLE Handle, POBJECT_TYPE Type, PVOID *Object)
{
    KIRQL OldIrql;
    NTSTATUS Status = STATUS_INVALID_HANDLE;
    ULONG Slot;

    if (!Object)
        return STATUS_INVALID_PARAMETER;
    *Object = NULL;
    KeAcquireSpinLock(&ObpLock, &OldIrql);
    Slot = ObpHandleToSlot(Handle);
    if (Slot != ~0u && ObpHandleSlots[Slot]) {
        POBJECT_HEADER Header = ObpHeader(ObpHandleSlots[Slot]);
        if (Type && Header->Type != Type) {
            Status = STATUS_OBJECT_TYPE_MISMATCH;
        } else {
            Header->PointerCount++;
            *Object = ObpHandleSlots[Slot];
            Status = STATUS_SUCCESS;
        }
    }
    KeReleaseSpinLock(&ObpLock, OldIrql);
    return Status;
}

NTSTATUS ObpCloseHandle(HANDLE Handle)
{
    KIRQL OldIrql;
    PVOID Object = NULL;
    ULONG Slot;

    KeAcquireSpinLock(&ObpLock, &OldIrql);
    Slot = ObpHandleToSlot(Handle);
    if (Slot != ~0u && ObpHandleSlots[Slot]) {
        POBJECT_HEADER Header = ObpHeader(ObpHandleSlots[Slot]);
        if (Header->HandleCount <= 0)
            KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Header->Type, (ULONG_PTR)ObpBody(Header),
                         (ULONG_PTR)(LONG_PTR)Header->PointerCount,
                         (ULONG_PTR)(LONG_PTR)Header->HandleCount);
        Header->HandleCount--;
        Object = ObpHandleSlots[Slot];
        ObpHandleSlots[Slot] = NULL;
        ObpHandlesOpen--;
    }
    KeReleaseSpinLock(&ObpLock, OldIrql);
    if (!Object)
        return STATUS_INVALID_HANDLE;
    ObDereferenceObject(Object);
    return STATUS_SUCCESS;
}

NTSTATUS ObOpenObjectByName(PCUNICODE_STRING Path, ULONG Attributes, POBJECT_TYPE Type,
                            PHANDLE Handle)
{
    PVOID Object;
    NTSTATUS Status;

    if (!Handle)
        return STATUS_INVALID_PARAMETER;
    Status = ObpReferenceObjectByName(Path, Attributes, Type, &Object);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObInsertHandle(Object, Handle);
    ObDereferenceObject(Object);
    return Status;
}

ULONG ObQueryHandleCount(VOID)
{
    return ObpHandlesOpen;
}

/* ---- the WDK's signatures (include/wdm/ob.h) ---- */

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                   KPROCESSOR_MODE AccessMode, PVOID *Object,
                                   POBJECT_HANDLE_INFORMATION HandleInformation)
{
    NTSTATUS Status;

    if (!Object)
        return STATUS_INVALID_PARAMETER;
    Status = ObpReferenceObjectByHandle(Handle, ObjectType, Object);
    if (NT_SUCCESS(Status) && HandleInformation) {
        HandleInformation->HandleAttributes = OBJ_KERNEL_HANDLE;
        HandleInformation->GrantedAccess = DesiredAccess;
    }
    return Status;
}

NTSTATUS ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode)
{
    return ObpCloseHandle(Handle);
}

NTSTATUS ZwClose(HANDLE Handle)
{
    return ObpCloseHandle(Handle);
}
