/* oblookup.c - name lookup: path syntax checks, the walk down the
 * namespace with symbolic link reparse, parse procedures, and the exported
 * lookups built on it (ObReferenceObjectByName, ObReferenceObjectRelative,
 * ObLookupObjectForOpen).  Rules in kernel/include/ob.h. */
#include "obp.h"

/* Syntax of a whole path: absolute ("\" or "\a\b") or relative ("a\b"). */
NTSTATUS ObpValidatePath(PCUNICODE_STRING Path, BOOLEAN Absolute)
{
    USHORT Chars, i, Start;

    if (!Path || !Path->Buffer || (Path->Length & 1))
        return STATUS_OBJECT_NAME_INVALID;
    Chars = Path->Length / sizeof(WCHAR);
    if (Chars > OB_MAX_PATH_CHARS)
        return STATUS_NAME_TOO_LONG;
    if (Absolute) {
        if (Chars == 0 || Path->Buffer[0] != L'\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        if (Chars == 1)
            return STATUS_SUCCESS;
        Start = 1;
    } else {
        if (Chars == 0)
            return STATUS_OBJECT_NAME_INVALID;
        if (Path->Buffer[0] == L'\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        Start = 0;
    }
    for (i = Start; i <= Chars; i++) {
        if (i == Chars || Path->Buffer[i] == L'\\') {
            if (i == Start)
                return STATUS_OBJECT_NAME_INVALID;      /* empty component */
            if (i - Start > OB_MAX_NAME_CHARS)
                return STATUS_NAME_TOO_LONG;
            Start = i + 1;
        } else if (Path->Buffer[i] == 0) {
            return STATUS_OBJECT_NAME_INVALID;
        }
    }
    return STATUS_SUCCESS;
}

POBJECT_HEADER ObpFindChild(POBJECT_HEADER Parent, PCUNICODE_STRING Name)
{
    OBP_ASSERT_LOCKED();
    for (PLIST_ENTRY E = Parent->Children.Flink; E != &Parent->Children; E = E->Flink) {
        POBJECT_HEADER Child = CONTAINING_RECORD(E, OBJECT_HEADER, SiblingLink);
        if (RtlEqualUnicodeString(&Child->Name, Name, TRUE))
            return Child;
    }
    return NULL;
}

/* Builds Target + Rest into a new pool buffer (the reparsed path). */
static NTSTATUS ObpReparse(PCUNICODE_STRING Target, const WCHAR *Rest, USHORT RestChars,
                           PWCHAR *Buffer, PUNICODE_STRING Path)
{
    SIZE_T Chars = Target->Length / sizeof(WCHAR) + RestChars;
    PWCHAR New;

    if (Chars > OB_MAX_PATH_CHARS)
        return STATUS_NAME_TOO_LONG;
    New = ExAllocatePoolWithTag(NonPagedPool, Chars * sizeof(WCHAR) + sizeof(WCHAR), OBP_TAG_LOOKUP);
    if (!New)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(New, Target->Buffer, Target->Length);
    RtlCopyMemory(New + Target->Length / sizeof(WCHAR), Rest, RestChars * sizeof(WCHAR));
    *Buffer = New;
    Path->Buffer = New;
    Path->Length = Path->MaximumLength = (USHORT)(Chars * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS ObpLookup(POBJECT_HEADER Root, PCUNICODE_STRING Path, ULONG Flags, OBP_LOOKUP *Result)
{
    UNICODE_STRING Work;
    PWCHAR Buffer = NULL;
    ULONG Reparses = 0;
    NTSTATUS Status;
    POBJECT_HEADER Cur;
    USHORT Chars, Pos;
    KIRQL OldIrql;

    Result->Object = NULL;
    Result->Buffer = NULL;
    Result->Remaining.Buffer = NULL;
    Result->Remaining.Length = Result->Remaining.MaximumLength = 0;
    if (!ObpRoot)
        return STATUS_DEVICE_NOT_READY;
    Status = ObpValidatePath(Path, Root == NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Work = *Path;

restart:
    Chars = Work.Length / sizeof(WCHAR);
    KeAcquireSpinLock(&ObpLock, &OldIrql);
    if (Root) {
        Cur = Root;
        Pos = 0;
    } else {
        Cur = ObpRoot;
        Pos = 1;
    }
    while (Pos < Chars) {
        USHORT End = Pos;
        UNICODE_STRING Component;
        POBJECT_HEADER Child;

        while (End < Chars && Work.Buffer[End] != L'\\')
            End++;
        Component.Buffer = Work.Buffer + Pos;
        Component.Length = Component.MaximumLength = (USHORT)((End - Pos) * sizeof(WCHAR));
        Child = ObpFindChild(Cur, &Component);
        if (!Child)
            break;
        Cur = Child;
        Pos = End;
        if (Cur->Type == ObSymbolicLinkObjectType &&
            !(Pos == Chars && (Flags & OBP_LOOKUP_OPENLINK))) {
            POBP_SYMBOLIC_LINK Link = ObpBody(Cur);
            PWCHAR Old = Buffer;

            /* NT stops at 32 reparses; that is also what ends a loop. */
            if (++Reparses > OB_MAX_REPARSE) {
                KeReleaseSpinLock(&ObpLock, OldIrql);
                Status = STATUS_REPARSE_POINT_NOT_RESOLVED;
                goto fail;
            }
            /* Hold the link while its target is copied outside the lock. */
            Cur->PointerCount++;
            KeReleaseSpinLock(&ObpLock, OldIrql);
            Status = ObpReparse(&Link->Target, Work.Buffer + Pos, Chars - Pos, &Buffer, &Work);
            ObDereferenceObject(Link);
            if (Old)
                ExFreePoolWithTag(Old, OBP_TAG_LOOKUP);
            if (!NT_SUCCESS(Status)) {
                Buffer = NULL;
                goto fail;
            }
            Root = NULL;
            goto restart;
        }
        if (Pos < Chars)
            Pos++;      /* step over the separator */
    }
    Cur->PointerCount++;
    KeReleaseSpinLock(&ObpLock, OldIrql);

    Result->Object = Cur;
    Result->Buffer = Buffer;
    if (Pos < Chars) {
        /* Hand the separator back with the rest: "\Partition1". */
        USHORT From = (Pos > 0 && Work.Buffer[Pos - 1] == L'\\') ? Pos - 1 : Pos;
        Result->Remaining.Buffer = Work.Buffer + From;
        Result->Remaining.Length = Result->Remaining.MaximumLength =
            (USHORT)((Chars - From) * sizeof(WCHAR));
    }
    return STATUS_SUCCESS;

fail:
    if (Buffer)
        ExFreePoolWithTag(Buffer, OBP_TAG_LOOKUP);
    return Status;
}

VOID ObpReleaseLookup(OBP_LOOKUP *Result)
{
    if (Result->Object)
        ObDereferenceObject(ObpBody(Result->Object));
    if (Result->Buffer)
        ExFreePoolWithTag(Result->Buffer, OBP_TAG_LOOKUP);
    Result->Object = NULL;
    Result->Buffer = NULL;
}

/* Missing last component: name not found; missing earlier: path not found. */
NTSTATUS ObNotFoundStatus(PCUNICODE_STRING Remaining)
{
    USHORT Chars = Remaining->Length / sizeof(WCHAR);
    for (USHORT i = 1; i < Chars; i++)
        if (Remaining->Buffer[i] == L'\\')
            return STATUS_OBJECT_PATH_NOT_FOUND;
    return STATUS_OBJECT_NAME_NOT_FOUND;
}

static NTSTATUS ObpReferenceByName(POBJECT_HEADER Root, PCUNICODE_STRING Path, ULONG Attributes,
                                   POBJECT_TYPE Type, PVOID *Object)
{
    OBP_LOOKUP L;
    NTSTATUS Status;
    PVOID Found;
    ULONG Flags = 0;

    if (!Object)
        return STATUS_INVALID_PARAMETER;
    *Object = NULL;
    if ((Attributes & OBJ_OPENLINK) || (Type && Type == ObSymbolicLinkObjectType))
        Flags |= OBP_LOOKUP_OPENLINK;
    Status = ObpLookup(Root, Path, Flags, &L);
    if (!NT_SUCCESS(Status))
        return Status;
    if (L.Remaining.Length == 0) {
        Found = ObpBody(L.Object);
        L.Object = NULL;        /* the reference moves to the caller */
    } else if (L.Object->Type->Init.ParseProcedure) {
        Found = NULL;
        Status = L.Object->Type->Init.ParseProcedure(ObpBody(L.Object), &L.Remaining, NULL, &Found);
        if (NT_SUCCESS(Status) && !Found)
            Status = STATUS_OBJECT_NAME_NOT_FOUND;
    } else {
        Status = ObNotFoundStatus(&L.Remaining);
    }
    ObpReleaseLookup(&L);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Type && ObpCheckedHeader(Found)->Type != Type) {
        ObDereferenceObject(Found);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    *Object = Found;
    return STATUS_SUCCESS;
}

NTSTATUS ObpReferenceObjectByName(PCUNICODE_STRING Path, ULONG Attributes, POBJECT_TYPE Type,
                                 PVOID *Object)
{
    return ObpReferenceByName(NULL, Path, Attributes, Type, Object);
}

NTSTATUS ObReferenceObjectRelative(PVOID Root, PCUNICODE_STRING RelativePath, ULONG Attributes,
                                   POBJECT_TYPE Type, PVOID *Object)
{
    if (!Root)
        return ObpReferenceByName(NULL, RelativePath, Attributes, Type, Object);
    return ObpReferenceByName(ObpCheckedHeader(Root), RelativePath, Attributes, Type, Object);
}

NTSTATUS ObLookupObjectForOpen(PCUNICODE_STRING Path, PVOID *Object, PUNICODE_STRING RemainingPath)
{
    OBP_LOOKUP L;
    NTSTATUS Status;

    if (!Object)
        return STATUS_INVALID_PARAMETER;
    *Object = NULL;
    if (RemainingPath)
        RemainingPath->Length = 0;
    Status = ObpLookup(NULL, Path, 0, &L);
    if (!NT_SUCCESS(Status))
        return Status;
    if (L.Remaining.Length) {
        if (!RemainingPath) {
            Status = ObNotFoundStatus(&L.Remaining);
        } else if (!RemainingPath->Buffer || RemainingPath->MaximumLength < L.Remaining.Length) {
            Status = STATUS_BUFFER_TOO_SMALL;
        } else {
            RtlCopyMemory(RemainingPath->Buffer, L.Remaining.Buffer, L.Remaining.Length);
            RemainingPath->Length = L.Remaining.Length;
        }
    }
    if (NT_SUCCESS(Status)) {
        *Object = ObpBody(L.Object);
        L.Object = NULL;
    }
    ObpReleaseLookup(&L);
    return Status;
}

/* The WDK's signature (include/wdm/ob.h). */
NTSTATUS ObReferenceObjectByName(PUNICODE_STRING ObjectName, ULONG Attributes, PACCESS_STATE AccessState,
                                 ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                 KPROCESSOR_MODE AccessMode, PVOID ParseContext, PVOID *Object)
{
    if (!Object)
        return STATUS_INVALID_PARAMETER;
    return ObpReferenceObjectByName(ObjectName, Attributes, ObjectType, Object);
}
