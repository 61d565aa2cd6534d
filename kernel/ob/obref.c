/* obref.c - object lifetime: pointer references, permanence, deletion.
 *
 * Rule (NT's): an object lives while it is referenced or while it is
 * permanent and named.  The last ObDereferenceObject of a temporary object
 * unlinks it from its parent, calls the type's DeleteProcedure, frees the
 * name and the memory, and drops the reference the object held on its
 * parent (which may cascade up a chain of temporary objects). */
#include "obp.h"

KSPIN_LOCK ObpLock;

POBJECT_HEADER ObpCheckedHeader(PVOID Object)
{
    if (!Object)
        KeBugCheckEx(REFERENCE_BY_POINTER, 0, 0, 0, 0);
    POBJECT_HEADER Header = ObpHeader(Object);
    if (Header->Magic != OBP_HEADER_MAGIC)
        KeBugCheckEx(REFERENCE_BY_POINTER, 0, (ULONG_PTR)Object, Header->Magic, 0);
    return Header;
}

/* Contract break: NT's REFERENCE_BY_POINTER with (type, object, pointer
 * count, handle count). */
__attribute__((noreturn)) static VOID ObpBadReference(POBJECT_HEADER Header)
{
    KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Header->Type, (ULONG_PTR)ObpBody(Header),
                 (ULONG_PTR)(LONG_PTR)Header->PointerCount,
                 (ULONG_PTR)(LONG_PTR)Header->HandleCount);
}

/* Counts change with single locked instructions outside ObpLock, and with
 * plain ones inside it: ObpLock holders run at DISPATCH_LEVEL on the one
 * CPU, so no lock-free update can interleave with them. */
VOID ObReferenceObject(PVOID Object)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object);

    /* A permanent object may be at zero (only the namespace knows it);
     * a negative count means it was already released too often. */
    if (__atomic_fetch_add(&Header->PointerCount, 1, __ATOMIC_SEQ_CST) < 0)
        ObpBadReference(Header);
}

/* Frees an unlinked object whose count reached zero; returns its former
 * parent (still referenced by this object's link, to be dropped). */
static POBJECT_HEADER ObpDestroy(POBJECT_HEADER Header)
{
    POBJECT_HEADER Parent = Header->Parent;

    if (Header->PointerCount != 0 || Header->HandleCount != 0 || !IsListEmpty(&Header->Children))
        ObpBadReference(Header);
    Header->Parent = NULL;
    if (Header->Type->Init.DeleteProcedure)
        Header->Type->Init.DeleteProcedure(ObpBody(Header));
    if (Header->Name.Buffer)
        ExFreePoolWithTag(Header->Name.Buffer, OBP_TAG_NAME);
    Header->Magic = 0;
    ExFreePoolWithTag(Header, Header->PoolTag);
    return Parent;
}

/* Called with ObpLock held and the count just dropped: if the object must
 * go, unlink it and return TRUE (the caller destroys it after unlocking). */
static BOOLEAN ObpUnlinkIfDead(POBJECT_HEADER Header)
{
    OBP_ASSERT_LOCKED();
    if (Header->PointerCount != 0 || (Header->Flags & OBP_FLAG_PERMANENT))
        return FALSE;
    if (Header->HandleCount != 0)
        ObpBadReference(Header);
    if (Header->Parent)
        RemoveEntryList(&Header->SiblingLink);
    return TRUE;
}

VOID ObDereferenceObject(PVOID Object)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object);

    while (Header) {
        KIRQL OldIrql;
        BOOLEAN Dead;
        LONG Left = __atomic_sub_fetch(&Header->PointerCount, 1, __ATOMIC_SEQ_CST);

        if (Left > 0)
            break;              /* the common case: no lock */
        if (Left < 0)
            ObpBadReference(Header);
        /* Zero: decide under the lock (a lookup may have found the object
         * again meanwhile, or it may be permanent). */
        KeAcquireSpinLock(&ObpLock, &OldIrql);
        Dead = ObpUnlinkIfDead(Header);
        KeReleaseSpinLock(&ObpLock, OldIrql);
        if (!Dead)
            break;
        Header = ObpDestroy(Header);
    }
}

VOID ObMakeTemporaryObject(PVOID Object)
{
    KIRQL OldIrql;
    POBJECT_HEADER Header = ObpCheckedHeader(Object);
    BOOLEAN Dead;

    KeAcquireSpinLock(&ObpLock, &OldIrql);
    Header->Flags &= ~OBP_FLAG_PERMANENT;
    Dead = ObpUnlinkIfDead(Header);
    KeReleaseSpinLock(&ObpLock, OldIrql);
    if (Dead) {
        POBJECT_HEADER Parent = ObpDestroy(Header);
        if (Parent)
            ObDereferenceObject(ObpBody(Parent));
    }
}

LONG ObGetReferenceCount(PVOID Object)
{
    return ObpCheckedHeader(Object)->PointerCount;
}

LONG ObGetHandleCount(PVOID Object)
{
    return ObpCheckedHeader(Object)->HandleCount;
}

BOOLEAN ObIsPermanentObject(PVOID Object)
{
    return (ObpCheckedHeader(Object)->Flags & OBP_FLAG_PERMANENT) != 0;
}
