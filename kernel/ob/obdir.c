/* obdir.c - directories and the tree of named objects: ordered insertion,
 * enumeration, names and paths. */
#include "obp.h"

VOID ObpLinkChild(POBJECT_HEADER Parent, POBJECT_HEADER Child)
{
    OBP_ASSERT_LOCKED();
    PLIST_ENTRY E;

    /* Name order keeps ls stable and readable. */
    for (E = Parent->Children.Flink; E != &Parent->Children; E = E->Flink) {
        POBJECT_HEADER Other = CONTAINING_RECORD(E, OBJECT_HEADER, SiblingLink);
        if (RtlCompareUnicodeString(&Child->Name, &Other->Name, TRUE) < 0)
            break;
    }
    InsertTailList(E, &Child->SiblingLink);   /* i.e. insert before E */
}

NTSTATUS ObCreateDirectoryObject(PCUNICODE_STRING Path, PVOID *Dir)
{
    PVOID Object;
    NTSTATUS Status = ObCreateObject(ObDirectoryObjectType, Path, OBJ_PERMANENT, 0, &Object);

    if (!NT_SUCCESS(Status))
        return Status;
    if (Dir)
        *Dir = Object;
    else
        ObDereferenceObject(Object);
    return STATUS_SUCCESS;
}

NTSTATUS ObEnumerateDirectory(PVOID Object, POB_ENUM_CALLBACK Callback, PVOID Context)
{
    POBJECT_HEADER Parent = ObpCheckedHeader(Object);
    POBJECT_HEADER Child = NULL, Next;
    KIRQL OldIrql;
    BOOLEAN More = TRUE;

    if (!Callback)
        return STATUS_INVALID_PARAMETER;
    /* A referenced child stays linked (only the last dereference unlinks),
     * so its Flink is still valid after the callback. */
    KeAcquireSpinLock(&ObpLock, &OldIrql);
    PLIST_ENTRY E = Parent->Children.Flink;
    while (More && E != &Parent->Children) {
        Next = CONTAINING_RECORD(E, OBJECT_HEADER, SiblingLink);
        Next->PointerCount++;
        KeReleaseSpinLock(&ObpLock, OldIrql);
        if (Child)
            ObDereferenceObject(ObpBody(Child));
        Child = Next;
        More = Callback(&Child->Name, ObpBody(Child), Context);
        KeAcquireSpinLock(&ObpLock, &OldIrql);
        E = Child->SiblingLink.Flink;
    }
    KeReleaseSpinLock(&ObpLock, OldIrql);
    if (Child)
        ObDereferenceObject(ObpBody(Child));
    return STATUS_SUCCESS;
}

PCUNICODE_STRING ObGetObjectName(PVOID Object)
{
    return &ObpCheckedHeader(Object)->Name;
}

POBJECT_TYPE ObGetObjectType(PVOID Object)
{
    return ObpCheckedHeader(Object)->Type;
}

PCUNICODE_STRING ObGetTypeName(POBJECT_TYPE Type)
{
    static const UNICODE_STRING Unknown = RTL_CONSTANT_STRING(u"?");
    return (Type && Type->Name) ? Type->Name : &Unknown;
}

PCUNICODE_STRING ObGetObjectTypeName(PVOID Object)
{
    return ObGetTypeName(ObGetObjectType(Object));
}

PVOID ObGetParentObject(PVOID Object)
{
    POBJECT_HEADER Parent = ObpCheckedHeader(Object)->Parent;
    return Parent ? ObpBody(Parent) : NULL;
}

NTSTATUS ObQueryNameString(PVOID Object, PUNICODE_STRING Path)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object), H;
    SIZE_T Bytes = 0, Pos;
    KIRQL OldIrql;
    NTSTATUS Status = STATUS_SUCCESS;

    if (!Path)
        return STATUS_INVALID_PARAMETER;
    KeAcquireSpinLock(&ObpLock, &OldIrql);
    if (Header == ObpRoot)
        Bytes = sizeof(WCHAR);
    else if (Header->Parent)
        for (H = Header; H && H != ObpRoot; H = H->Parent)
            Bytes += sizeof(WCHAR) + H->Name.Length;
    if (Bytes > 0xFFFF - sizeof(WCHAR)) {
        Status = STATUS_NAME_TOO_LONG;
    } else if (Bytes > Path->MaximumLength || !Path->Buffer) {
        Path->Length = (USHORT)Bytes;
        Status = STATUS_BUFFER_TOO_SMALL;
    } else {
        /* Fill from the end: the object's name last, the root's '\' first. */
        Pos = Bytes;
        if (Header == ObpRoot)
            Path->Buffer[0] = L'\\';
        else
            for (H = Header; H && H != ObpRoot && H->Parent; H = H->Parent) {
                Pos -= H->Name.Length;
                RtlCopyMemory((PUCHAR)Path->Buffer + Pos, H->Name.Buffer, H->Name.Length);
                Pos -= sizeof(WCHAR);
                Path->Buffer[Pos / sizeof(WCHAR)] = L'\\';
            }
        Path->Length = (USHORT)Bytes;
        if (Bytes + sizeof(WCHAR) <= Path->MaximumLength)
            Path->Buffer[Bytes / sizeof(WCHAR)] = 0;
    }
    KeReleaseSpinLock(&ObpLock, OldIrql);
    return Status;
}
