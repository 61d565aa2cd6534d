/* obinit.c - object types and the bring-up of the namespace.
 *
 * Bootstrap order: the Type, Directory and SymbolicLink type objects are
 * allocated before any name can be inserted, then the root, then
 * \ObjectTypes receives the three type objects by name, then the standard
 * directories. */
#include "obp.h"

POBJECT_TYPE ObTypeObjectType;
POBJECT_TYPE ObDirectoryObjectType;
POBJECT_TYPE ObSymbolicLinkObjectType;
POBJECT_HEADER ObpRoot;

#define OBP_TYPE_DIR u"\\ObjectTypes"

/* "\ObjectTypes\<TypeName>" into Buffer (room for OB_MAX_NAME_CHARS). */
static NTSTATUS ObpTypePath(PCWSTR TypeName, PWCHAR Buffer, SIZE_T BufferChars, PUNICODE_STRING Path)
{
    static const WCHAR Prefix[] = OBP_TYPE_DIR u"\\";
    SIZE_T PrefixChars = RTL_NUMBER_OF(Prefix) - 1, i;

    if (!TypeName)
        return STATUS_INVALID_PARAMETER;
    RtlCopyMemory(Buffer, Prefix, PrefixChars * sizeof(WCHAR));
    for (i = 0; TypeName[i]; i++) {
        if (PrefixChars + i >= BufferChars)
            return STATUS_NAME_TOO_LONG;
        Buffer[PrefixChars + i] = TypeName[i];
    }
    Path->Buffer = Buffer;
    Path->Length = Path->MaximumLength = (USHORT)((PrefixChars + i) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

static NTSTATUS ObpInsertType(POBJECT_HEADER Header, PCWSTR TypeName)
{
    WCHAR Buffer[16 + OB_MAX_NAME_CHARS];
    UNICODE_STRING Path;
    NTSTATUS Status = ObpTypePath(TypeName, Buffer, RTL_NUMBER_OF(Buffer), &Path);

    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObpInsertObject(Header, &Path, OBJ_PERMANENT, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    ((POBJECT_TYPE)ObpBody(Header))->Name = &Header->Name;
    return STATUS_SUCCESS;
}

NTSTATUS ObCreateObjectType(PCWSTR TypeName, const OBJECT_TYPE_INITIALIZER *Init, POBJECT_TYPE *Type)
{
    POBJECT_HEADER Header;
    POBJECT_TYPE Body;
    NTSTATUS Status;

    if (!Init || !Type || !ObTypeObjectType)
        return STATUS_INVALID_PARAMETER;
    Status = ObpAllocateObject(ObTypeObjectType, sizeof(OBJECT_TYPE), &Header);
    if (!NT_SUCCESS(Status))
        return Status;
    Body = ObpBody(Header);
    Body->Init = *Init;
    Status = ObpInsertType(Header, TypeName);
    if (!NT_SUCCESS(Status)) {
        ObpFreeUninsertedObject(Header);
        return Status;
    }
    /* Types are permanent; the caller keeps a plain pointer. */
    ObDereferenceObject(Body);
    *Type = Body;
    return STATUS_SUCCESS;
}

static POBJECT_TYPE ObpBootstrapType(POBJECT_TYPE TypeType, POB_DELETE_PROCEDURE Delete)
{
    POBJECT_HEADER Header;
    NTSTATUS Status = ObpAllocateObject(TypeType, sizeof(OBJECT_TYPE), &Header);

    if (!NT_SUCCESS(Status))
        KeBugCheckEx(OBJECT_INITIALIZATION_FAILED, (ULONG_PTR)Status, 1, 0, 0);
    POBJECT_TYPE Type = ObpBody(Header);
    Type->Init.DeleteProcedure = Delete;
    Type->Init.PoolTag = OBP_TAG_DEFAULT;
    if (!TypeType)
        Header->Type = Type;    /* "Type" is its own type */
    return Type;
}

static VOID ObpCheckInit(NTSTATUS Status, ULONG_PTR Step)
{
    if (!NT_SUCCESS(Status))
        KeBugCheckEx(OBJECT_INITIALIZATION_FAILED, (ULONG_PTR)Status, Step, 0, 0);
}

VOID ObInitSystem(VOID)
{
    static const PCWSTR Directories[] = { u"\\Device", u"\\Driver", u"\\??", u"\\Registry" };
    POBJECT_HEADER Root;
    UNICODE_STRING Path;

    if (ObpRoot)
        KeBugCheckEx(OBJECT_INITIALIZATION_FAILED, 0, 0, 0, 0);
    KeInitializeSpinLock(&ObpLock);
    ObTypeObjectType = ObpBootstrapType(NULL, NULL);
    ObDirectoryObjectType = ObpBootstrapType(ObTypeObjectType, NULL);
    ObSymbolicLinkObjectType = ObpBootstrapType(ObTypeObjectType, ObpDeleteSymbolicLink);

    ObpCheckInit(ObpAllocateObject(ObDirectoryObjectType, 0, &Root), 2);
    Root->Flags |= OBP_FLAG_PERMANENT;
    Root->PointerCount = 0;     /* only the namespace knows it */
    ObpRoot = Root;

    RtlInitUnicodeString(&Path, OBP_TYPE_DIR);
    ObpCheckInit(ObCreateDirectoryObject(&Path, NULL), 3);
    ObpCheckInit(ObpInsertType(ObpHeader(ObTypeObjectType), u"Type"), 4);
    ObpCheckInit(ObpInsertType(ObpHeader(ObDirectoryObjectType), u"Directory"), 5);
    ObpCheckInit(ObpInsertType(ObpHeader(ObSymbolicLinkObjectType), u"SymbolicLink"), 6);
    ObDereferenceObject(ObTypeObjectType);
    ObDereferenceObject(ObDirectoryObjectType);
    ObDereferenceObject(ObSymbolicLinkObjectType);

    for (ULONG i = 0; i < RTL_NUMBER_OF(Directories); i++) {
        RtlInitUnicodeString(&Path, Directories[i]);
        ObpCheckInit(ObCreateDirectoryObject(&Path, NULL), 10 + i);
    }
}
