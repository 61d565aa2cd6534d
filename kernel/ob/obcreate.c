/* obcreate.c - allocating objects and inserting them into the namespace. */
#include "obp.h"

NTSTATUS ObpAllocateObject(POBJECT_TYPE Type, ULONG BodySize, POBJECT_HEADER *Header)
{
    ULONG Tag = (Type && Type->Init.PoolTag) ? Type->Init.PoolTag : OBP_TAG_DEFAULT;
    POBJECT_HEADER New = ExAllocatePoolZero(NonPagedPool, sizeof(OBJECT_HEADER) + (SIZE_T)BodySize, Tag);

    if (!New)
        return STATUS_INSUFFICIENT_RESOURCES;
    New->Magic = OBP_HEADER_MAGIC;
    New->PointerCount = 1;
    New->Type = Type;
    New->PoolTag = Tag;
    InitializeListHead(&New->SiblingLink);
    InitializeListHead(&New->Children);
    *Header = New;
    return STATUS_SUCCESS;
}

VOID ObpFreeUninsertedObject(POBJECT_HEADER Header)
{
    if (Header->PointerCount != 1 || Header->Parent || !IsListEmpty(&Header->Children))
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Header->Type, (ULONG_PTR)ObpBody(Header),
                     (ULONG_PTR)(LONG_PTR)Header->PointerCount, 0);
    if (Header->Name.Buffer)
        ExFreePoolWithTag(Header->Name.Buffer, OBP_TAG_NAME);
    Header->Magic = 0;
    ExFreePoolWithTag(Header, Header->PoolTag);
}

NTSTATUS ObpInsertObject(POBJECT_HEADER Header, PCUNICODE_STRING Path, ULONG Attributes,
                         PVOID *Existing)
{
    NTSTATUS Status = ObpValidatePath(Path, TRUE);
    USHORT Chars, Split;
    UNICODE_STRING ParentPath, Name;
    OBP_LOOKUP Parent;
    PWCHAR NameBuffer;
    POBJECT_HEADER Other;
    KIRQL OldIrql;

    if (!NT_SUCCESS(Status))
        return Status;
    Chars = Path->Length / sizeof(WCHAR);
    if (Chars == 1)
        return STATUS_OBJECT_NAME_INVALID;   /* the root exists already */
    for (Split = Chars - 1; Path->Buffer[Split] != L'\\'; Split--)
        ;
    ParentPath.Buffer = Path->Buffer;
    ParentPath.Length = ParentPath.MaximumLength = (USHORT)((Split ? Split : 1) * sizeof(WCHAR));
    Name.Buffer = Path->Buffer + Split + 1;
    Name.Length = Name.MaximumLength = (USHORT)((Chars - Split - 1) * sizeof(WCHAR));

    Status = ObpLookup(NULL, &ParentPath, 0, &Parent);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Parent.Remaining.Length != 0) {
        ObpReleaseLookup(&Parent);
        return STATUS_OBJECT_PATH_NOT_FOUND;
    }

    NameBuffer = ExAllocatePoolWithTag(NonPagedPool, Name.Length + sizeof(WCHAR), OBP_TAG_NAME);
    if (!NameBuffer) {
        ObpReleaseLookup(&Parent);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(NameBuffer, Name.Buffer, Name.Length);
    NameBuffer[Name.Length / sizeof(WCHAR)] = 0;

    KeAcquireSpinLock(&ObpLock, &OldIrql);
    Other = ObpFindChild(Parent.Object, &Name);
    if (Other) {
        if ((Attributes & OBJ_OPENIF) && Other->Type == Header->Type && Existing) {
            Other->PointerCount++;
            *Existing = ObpBody(Other);
            Status = STATUS_OBJECT_NAME_EXISTS;
        } else {
            Status = STATUS_OBJECT_NAME_COLLISION;
        }
        KeReleaseSpinLock(&ObpLock, OldIrql);
        ExFreePoolWithTag(NameBuffer, OBP_TAG_NAME);
        ObpReleaseLookup(&Parent);
        return Status;
    }
    Header->Name.Buffer = NameBuffer;
    Header->Name.Length = Name.Length;
    Header->Name.MaximumLength = Name.Length + sizeof(WCHAR);
    if (Attributes & OBJ_PERMANENT)
        Header->Flags |= OBP_FLAG_PERMANENT;
    /* The lookup's reference on the parent becomes the child's. */
    Header->Parent = Parent.Object;
    Parent.Object = NULL;
    ObpLinkChild(Header->Parent, Header);
    KeReleaseSpinLock(&ObpLock, OldIrql);
    ObpReleaseLookup(&Parent);
    return STATUS_SUCCESS;
}

NTSTATUS ObCreateObject(POBJECT_TYPE Type, PCUNICODE_STRING Name, ULONG Attributes,
                        ULONG BodySize, PVOID *Object)
{
    POBJECT_HEADER Header;
    PVOID Existing = NULL;
    NTSTATUS Status;

    if (!Type || !Object)
        return STATUS_INVALID_PARAMETER;
    Status = ObpAllocateObject(Type, BodySize, &Header);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Name) {
        Status = ObpInsertObject(Header, Name, Attributes, &Existing);
        if (Status != STATUS_SUCCESS) {
            ObpFreeUninsertedObject(Header);
            if (Status == STATUS_OBJECT_NAME_EXISTS)
                *Object = Existing;
            return Status;
        }
    } else if (Attributes & OBJ_PERMANENT) {
        /* Permanence only means something for a name in the namespace. */
        Header->Flags |= OBP_FLAG_PERMANENT;
    }
    *Object = ObpBody(Header);
    return STATUS_SUCCESS;
}
