/* zwkey.c - the WDK's registry routines over the configuration tree:
 * ZwOpenKey, ZwCreateKey, ZwQueryValueKey, ZwSetValueKey, ZwEnumerateKey,
 * ZwEnumerateValueKey, ZwQueryKey (include/wdm/cm.h states the contract).
 * Keys are Key objects in the object namespace, so opening is a lookup and a
 * handle; values are read under the value lock (cmp.h) and copied out. */
#include "cmp.h"

/* OBJECT_ATTRIBUTES -> referenced key object.  With RootDirectory the name
 * is relative to that key (empty: the key itself). */
static NTSTATUS CmpKeyFromAttributes(POBJECT_ATTRIBUTES Oa, PVOID *Key)
{
    PCM_KEY_BODY Root;
    NTSTATUS Status;

    *Key = NULL;
    if (!Oa || !Oa->ObjectName || (Oa->ObjectName->Length && !Oa->ObjectName->Buffer))
        return STATUS_INVALID_PARAMETER;
    if (!CmKeyObjectType)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    if (!Oa->RootDirectory)
        return ObpReferenceObjectByName(Oa->ObjectName, OBJ_CASE_INSENSITIVE, CmKeyObjectType, Key);
    Status = CmpReferenceKey(Oa->RootDirectory, &Root);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Oa->ObjectName->Length == 0) {
        *Key = Root;
        return STATUS_SUCCESS;
    }
    Status = ObReferenceObjectRelative(Root, Oa->ObjectName, OBJ_CASE_INSENSITIVE, CmKeyObjectType, Key);
    ObDereferenceObject(Root);
    return Status;
}

NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
    PVOID Key;
    NTSTATUS Status;

    if (!KeyHandle)
        return STATUS_INVALID_PARAMETER;
    *KeyHandle = NULL;
    Status = CmpKeyFromAttributes(ObjectAttributes, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObInsertHandle(Key, KeyHandle);
    ObDereferenceObject(Key);
    return Status;
}

/* The absolute path ObjectAttributes names, in pool (CM_TAG_PATH). */
static NTSTATUS CmpAbsolutePath(POBJECT_ATTRIBUTES Oa, PUNICODE_STRING Path)
{
    const USHORT Max = OB_MAX_PATH_CHARS * sizeof(WCHAR);
    PCM_KEY_BODY Root;
    NTSTATUS Status;

    Path->Buffer = ExAllocatePoolWithTag(NonPagedPool, Max, CM_TAG_PATH);
    if (!Path->Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    Path->Length = 0;
    Path->MaximumLength = Max;
    if (Oa->RootDirectory) {
        Status = CmpReferenceKey(Oa->RootDirectory, &Root);
        if (NT_SUCCESS(Status)) {
            Status = ObQueryNameString(Root, Path);
            ObDereferenceObject(Root);
        }
        if (NT_SUCCESS(Status))
            Status = RtlAppendUnicodeToString(Path, u"\\");
        if (NT_SUCCESS(Status))
            Status = RtlAppendUnicodeStringToString(Path, Oa->ObjectName);
    } else {
        Status = RtlAppendUnicodeStringToString(Path, Oa->ObjectName);
    }
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Path->Buffer, CM_TAG_PATH);
        Path->Buffer = NULL;
        return Status == STATUS_BUFFER_TOO_SMALL ? STATUS_NAME_TOO_LONG : Status;
    }
    return STATUS_SUCCESS;
}

NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                     ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition)
{
    UNICODE_STRING Path, Parent;
    PVOID Key = NULL, ParentObject;
    NTSTATUS Status;
    USHORT i;

    if (!KeyHandle)
        return STATUS_INVALID_PARAMETER;
    *KeyHandle = NULL;
    Status = CmpKeyFromAttributes(ObjectAttributes, &Key);
    if (NT_SUCCESS(Status)) {
        if (Disposition)
            *Disposition = REG_OPENED_EXISTING_KEY;
    } else if (Status == STATUS_OBJECT_NAME_NOT_FOUND) {
        /* Only the last component is missing: create it below its parent,
         * which must be a key (NT creates one level per call). */
        Status = CmpAbsolutePath(ObjectAttributes, &Path);
        if (!NT_SUCCESS(Status))
            return Status;
        for (i = Path.Length / sizeof(WCHAR); i > 0 && Path.Buffer[i - 1] != L'\\'; i--)
            ;
        Parent = (UNICODE_STRING){ (USHORT)((i - 1) * sizeof(WCHAR)), (USHORT)((i - 1) * sizeof(WCHAR)),
                                   Path.Buffer };
        Status = i > 1 ? ObpReferenceObjectByName(&Parent, OBJ_CASE_INSENSITIVE, CmKeyObjectType, &ParentObject)
                       : STATUS_OBJECT_PATH_SYNTAX_BAD;
        if (NT_SUCCESS(Status)) {
            ObDereferenceObject(ParentObject);
            Status = ObCreateObject(CmKeyObjectType, &Path, OBJ_PERMANENT | OBJ_OPENIF,
                                    sizeof(CM_KEY_BODY), &Key);
            if (Disposition && NT_SUCCESS(Status))
                *Disposition = Status == STATUS_OBJECT_NAME_EXISTS ? REG_OPENED_EXISTING_KEY
                                                                   : REG_CREATED_NEW_KEY;
        } else if (Status == STATUS_OBJECT_TYPE_MISMATCH) {
            Status = STATUS_OBJECT_PATH_NOT_FOUND;
        }
        ExFreePoolWithTag(Path.Buffer, CM_TAG_PATH);
        if (!NT_SUCCESS(Status))
            return Status;
    } else {
        return Status;
    }
    Status = ObInsertHandle(Key, KeyHandle);
    ObDereferenceObject(Key);
    return Status;
}

/* ---- value information ------------------------------------------------- */

/* Fills one KEY_VALUE_*_INFORMATION for V (value lock held).  The fixed
 * part is written whenever it fits. */
static NTSTATUS CmpFillValueInformation(const CM_KEY_VALUE *V, KEY_VALUE_INFORMATION_CLASS Class,
                                        PVOID Buffer, ULONG Length, PULONG ResultLength)
{
    const VOID *Data;
    ULONG DataBytes, Fixed, Total, NameBytes = V->Name.Length, DataOffset = 0;
    PUCHAR Out = Buffer;

    CmpValueData(V, &Data, &DataBytes);
    switch (Class) {
    case KeyValueBasicInformation:
        Fixed = FIELD_OFFSET(KEY_VALUE_BASIC_INFORMATION, Name);
        Total = Fixed + NameBytes;
        break;
    case KeyValueFullInformation:
        Fixed = FIELD_OFFSET(KEY_VALUE_FULL_INFORMATION, Name);
        DataOffset = (Fixed + NameBytes + 7) & ~7u;     /* data 8-aligned, as NT */
        Total = DataOffset + DataBytes;
        break;
    case KeyValuePartialInformation:
        Fixed = FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data);
        Total = Fixed + DataBytes;
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }
    if (ResultLength)
        *ResultLength = Total;
    if (Length < Fixed || !Buffer)
        return STATUS_BUFFER_TOO_SMALL;
    switch (Class) {
    case KeyValueBasicInformation: {
        PKEY_VALUE_BASIC_INFORMATION B = Buffer;
        B->TitleIndex = 0;
        B->Type = V->Type;
        B->NameLength = NameBytes;
        if (Length >= Total)
            RtlCopyMemory(Out + Fixed, V->Name.Buffer, NameBytes);
        break;
    }
    case KeyValueFullInformation: {
        PKEY_VALUE_FULL_INFORMATION F = Buffer;
        F->TitleIndex = 0;
        F->Type = V->Type;
        F->DataOffset = DataOffset;
        F->DataLength = DataBytes;
        F->NameLength = NameBytes;
        if (Length >= Total) {
            RtlCopyMemory(Out + Fixed, V->Name.Buffer, NameBytes);
            if (DataBytes)
                RtlCopyMemory(Out + DataOffset, Data, DataBytes);
        }
        break;
    }
    default: {
        PKEY_VALUE_PARTIAL_INFORMATION P = Buffer;
        P->TitleIndex = 0;
        P->Type = V->Type;
        P->DataLength = DataBytes;
        if (Length >= Total && DataBytes)
            RtlCopyMemory(Out + Fixed, Data, DataBytes);
        break;
    }
    }
    return Length >= Total ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                         KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                         PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)
{
    static const UNICODE_STRING Default = RTL_CONSTANT_STRING(u"");
    PCM_KEY_BODY Key;
    PCM_KEY_VALUE V;
    NTSTATUS Status;

    if (ResultLength)
        *ResultLength = 0;
    Status = CmpReferenceKey(KeyHandle, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    CmpLockValues();
    V = CmpFindValue(Key, ValueName ? ValueName : &Default);
    Status = V ? CmpFillValueInformation(V, KeyValueInformationClass, KeyValueInformation, Length,
                                         ResultLength)
               : STATUS_OBJECT_NAME_NOT_FOUND;
    CmpUnlockValues();
    ObDereferenceObject(Key);
    return Status;
}

NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                             KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                             PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)
{
    PCM_KEY_BODY Key;
    PCM_KEY_VALUE V;
    NTSTATUS Status;

    if (ResultLength)
        *ResultLength = 0;
    Status = CmpReferenceKey(KeyHandle, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    CmpLockValues();
    for (V = Key->FirstValue; V && Index; V = V->Next)
        Index--;
    Status = V ? CmpFillValueInformation(V, KeyValueInformationClass, KeyValueInformation, Length,
                                         ResultLength)
               : STATUS_NO_MORE_ENTRIES;
    CmpUnlockValues();
    ObDereferenceObject(Key);
    return Status;
}

NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type,
                       PVOID Data, ULONG DataSize)
{
    PCM_KEY_BODY Key;
    NTSTATUS Status;

    if (!ValueName || !ValueName->Length)
        return STATUS_INVALID_PARAMETER;    /* the unnamed default value is not kept */
    Status = CmpReferenceKey(KeyHandle, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = CmpSetValueRaw(Key, ValueName, Type, Data, DataSize);
    ObDereferenceObject(Key);
    return Status;
}

/* ---- key information --------------------------------------------------- */

typedef struct _CMP_KEY_SCAN {
    ULONG Index;            /* subkey wanted (ZwEnumerateKey) */
    PVOID Found;            /* referenced when found */
    ULONG SubKeys;
    ULONG MaxNameLen;
} CMP_KEY_SCAN;

static BOOLEAN CmpScanSubKey(PCUNICODE_STRING Name, PVOID SubKey, PVOID Context)
{
    CMP_KEY_SCAN *S = Context;

    if (S->SubKeys == S->Index) {
        ObReferenceObject(SubKey);
        S->Found = SubKey;
    }
    S->SubKeys++;
    if (Name->Length > S->MaxNameLen)
        S->MaxNameLen = Name->Length;
    return TRUE;
}

/* Fills KEY_*_INFORMATION about Key (a referenced key object). */
static NTSTATUS CmpFillKeyInformation(PCM_KEY_BODY Key, KEY_INFORMATION_CLASS Class, PVOID Buffer,
                                      ULONG Length, PULONG ResultLength)
{
    PCUNICODE_STRING Name = ObGetObjectName(Key);
    ULONG Fixed, Total, NameBytes = Name->Length;

    switch (Class) {
    case KeyBasicInformation:
        Fixed = FIELD_OFFSET(KEY_BASIC_INFORMATION, Name);
        Total = Fixed + NameBytes;
        break;
    case KeyNodeInformation:
        Fixed = FIELD_OFFSET(KEY_NODE_INFORMATION, Name);
        Total = Fixed + NameBytes;
        break;
    case KeyFullInformation:
        Fixed = FIELD_OFFSET(KEY_FULL_INFORMATION, Class);
        Total = Fixed;
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }
    if (ResultLength)
        *ResultLength = Total;
    if (Length < Fixed || !Buffer)
        return STATUS_BUFFER_TOO_SMALL;
    RtlZeroMemory(Buffer, Fixed);
    if (Class == KeyBasicInformation) {
        PKEY_BASIC_INFORMATION B = Buffer;
        B->NameLength = NameBytes;
        if (Length >= Total)
            RtlCopyMemory(B->Name, Name->Buffer, NameBytes);
    } else if (Class == KeyNodeInformation) {
        PKEY_NODE_INFORMATION N = Buffer;
        N->ClassOffset = 0xFFFFFFFF;
        N->NameLength = NameBytes;
        if (Length >= Total)
            RtlCopyMemory(N->Name, Name->Buffer, NameBytes);
    } else {
        PKEY_FULL_INFORMATION F = Buffer;
        CMP_KEY_SCAN Scan = { .Index = 0xFFFFFFFF };
        CmEnumerateSubKeys(Key, CmpScanSubKey, &Scan);
        F->ClassOffset = 0xFFFFFFFF;
        F->SubKeys = Scan.SubKeys;
        F->MaxNameLen = Scan.MaxNameLen;
        CmpLockValues();
        for (PCM_KEY_VALUE V = Key->FirstValue; V; V = V->Next) {
            const VOID *Data;
            ULONG Bytes;
            CmpValueData(V, &Data, &Bytes);
            F->Values++;
            if (V->Name.Length > F->MaxValueNameLen)
                F->MaxValueNameLen = V->Name.Length;
            if (Bytes > F->MaxValueDataLen)
                F->MaxValueDataLen = Bytes;
        }
        CmpUnlockValues();
    }
    return Length >= Total ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

NTSTATUS ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass,
                        PVOID KeyInformation, ULONG Length, PULONG ResultLength)
{
    PCM_KEY_BODY Key;
    CMP_KEY_SCAN Scan = { .Index = Index };
    NTSTATUS Status;

    if (ResultLength)
        *ResultLength = 0;
    Status = CmpReferenceKey(KeyHandle, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = CmEnumerateSubKeys(Key, CmpScanSubKey, &Scan);
    ObDereferenceObject(Key);
    if (!NT_SUCCESS(Status))
        return Status;
    if (!Scan.Found)
        return STATUS_NO_MORE_ENTRIES;
    Status = CmpFillKeyInformation(Scan.Found, KeyInformationClass, KeyInformation, Length, ResultLength);
    ObDereferenceObject(Scan.Found);
    return Status;
}

NTSTATUS ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass,
                    PVOID KeyInformation, ULONG Length, PULONG ResultLength)
{
    PCM_KEY_BODY Key;
    NTSTATUS Status;

    if (ResultLength)
        *ResultLength = 0;
    Status = CmpReferenceKey(KeyHandle, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = CmpFillKeyInformation(Key, KeyInformationClass, KeyInformation, Length, ResultLength);
    ObDereferenceObject(Key);
    return Status;
}
