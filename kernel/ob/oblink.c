/* oblink.c - symbolic link objects (\??\PhysicalDrive0 -> \Device\Harddisk0\DR0).
 * The lookup that follows them is in oblookup.c. */
#include "obp.h"

VOID ObpDeleteSymbolicLink(PVOID Object)
{
    POBP_SYMBOLIC_LINK Link = Object;
    if (Link->Target.Buffer)
        ExFreePoolWithTag(Link->Target.Buffer, OBP_TAG_LINK);
}

NTSTATUS ObCreateSymbolicLink(PCUNICODE_STRING Link, PCUNICODE_STRING Target)
{
    POBJECT_HEADER Header;
    POBP_SYMBOLIC_LINK Body;
    NTSTATUS Status;

    /* The target must be a path a lookup can restart from. */
    Status = ObpValidatePath(Target, TRUE);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObpAllocateObject(ObSymbolicLinkObjectType, sizeof(OBP_SYMBOLIC_LINK), &Header);
    if (!NT_SUCCESS(Status))
        return Status;
    Body = ObpBody(Header);
    Body->Target.Buffer = ExAllocatePoolWithTag(NonPagedPool, Target->Length + sizeof(WCHAR), OBP_TAG_LINK);
    if (!Body->Target.Buffer) {
        ObpFreeUninsertedObject(Header);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(Body->Target.Buffer, Target->Buffer, Target->Length);
    Body->Target.Buffer[Target->Length / sizeof(WCHAR)] = 0;
    Body->Target.Length = Target->Length;
    Body->Target.MaximumLength = Target->Length + sizeof(WCHAR);

    /* Filled in before it becomes visible: a lookup never sees it empty. */
    Status = ObpInsertObject(Header, Link, OBJ_PERMANENT, NULL);
    if (!NT_SUCCESS(Status)) {
        ObpDeleteSymbolicLink(Body);
        ObpFreeUninsertedObject(Header);
        return Status;
    }
    ObDereferenceObject(Body);
    return STATUS_SUCCESS;
}

PCUNICODE_STRING ObQuerySymbolicLinkTarget(PVOID LinkObject)
{
    POBJECT_HEADER Header = ObpCheckedHeader(LinkObject);
    if (Header->Type != ObSymbolicLinkObjectType)
        return NULL;
    return &((POBP_SYMBOLIC_LINK)LinkObject)->Target;
}
