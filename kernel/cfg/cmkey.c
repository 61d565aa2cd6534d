/* cmkey.c - key objects and their values: the Key type, creating keys by
 * path, setting, finding and enumerating values. */
#include "cmp.h"

POBJECT_TYPE CmKeyObjectType;

/* Guards every key's value list (cmp.h). */
static FAST_MUTEX CmpValueLock;

VOID CmpLockValues(VOID)
{
    ASSERT(KeGetCurrentIrql() <= APC_LEVEL);
    ExAcquireFastMutex(&CmpValueLock);
}

VOID CmpUnlockValues(VOID)
{
    ExReleaseFastMutex(&CmpValueLock);
}

static VOID CmpDeleteKey(PVOID Object)
{
    PCM_KEY_BODY Key = Object;
    while (Key->FirstValue) {
        PCM_KEY_VALUE V = Key->FirstValue;
        Key->FirstValue = V->Next;
        ExFreePoolWithTag(V, CM_TAG_VALUE);
    }
    Key->ValueCount = 0;
}

NTSTATUS CmpInitKeyType(VOID)
{
    OBJECT_TYPE_INITIALIZER Init = { .DeleteProcedure = CmpDeleteKey, .PoolTag = CM_TAG_KEY };

    if (CmKeyObjectType)
        return STATUS_SUCCESS;
    ExInitializeFastMutex(&CmpValueLock);
    return ObCreateObjectType(u"Key", &Init, &CmKeyObjectType);
}

NTSTATUS CmCreateKey(PCUNICODE_STRING Path, PVOID *KeyObject)
{
    USHORT Chars, i;
    NTSTATUS Status;
    PVOID Object = NULL;

    if (!Path || !Path->Buffer || !KeyObject || !CmKeyObjectType)
        return STATUS_INVALID_PARAMETER;
    *KeyObject = NULL;
    Chars = Path->Length / sizeof(WCHAR);
    if (Chars < 2 || Path->Buffer[0] != L'\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    /* Each prefix in turn: an existing object (key or directory, such as
     * \Registry) is passed through; a missing one becomes a key. */
    for (i = 1; i <= Chars; i++) {
        if (i < Chars && Path->Buffer[i] != L'\\')
            continue;
        UNICODE_STRING Prefix = { (USHORT)(i * sizeof(WCHAR)), (USHORT)(i * sizeof(WCHAR)), Path->Buffer };
        if (Object)
            ObDereferenceObject(Object);
        Object = NULL;
        Status = ObpReferenceObjectByName(&Prefix, OBJ_CASE_INSENSITIVE, NULL, &Object);
        if (Status == STATUS_OBJECT_NAME_NOT_FOUND) {
            Status = ObCreateObject(CmKeyObjectType, &Prefix, OBJ_PERMANENT | OBJ_OPENIF,
                                    sizeof(CM_KEY_BODY), &Object);
        }
        if (!NT_SUCCESS(Status))
            return Status;
        if (ObGetObjectType(Object) != CmKeyObjectType &&
            ObGetObjectType(Object) != ObDirectoryObjectType)
            break;      /* keys live under directories and keys only */
    }
    if (ObGetObjectType(Object) != CmKeyObjectType) {
        ObDereferenceObject(Object);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    *KeyObject = Object;
    return STATUS_SUCCESS;
}

PCM_KEY_VALUE CmpFindValue(PCM_KEY_BODY Key, PCUNICODE_STRING Name)
{
    for (PCM_KEY_VALUE V = Key->FirstValue; V; V = V->Next)
        if (RtlEqualUnicodeString(&V->Name, Name, TRUE))
            return V;
    return NULL;
}

static SIZE_T CmpWideLength(PCWSTR s)
{
    SIZE_T n = 0;
    while (s[n])
        n++;
    return n;
}

NTSTATUS CmpSetValueRaw(PCM_KEY_BODY Key, PCUNICODE_STRING Name, ULONG Type, const VOID *Data,
                        ULONG DataBytes)
{
    PCM_KEY_VALUE V, *Link;
    SIZE_T StringBytes = 0, Size;

    if (!Key || !Name || !Name->Length || (!Data && DataBytes) ||
        ObGetObjectType(Key) != CmKeyObjectType)
        return STATUS_INVALID_PARAMETER;
    switch (Type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
        /* Kept as text without its terminator(s): the data may or may not
         * carry the NUL, and a query adds one back. */
        StringBytes = DataBytes & ~1u;
        while (StringBytes >= sizeof(WCHAR) &&
               ((const WCHAR *)Data)[StringBytes / sizeof(WCHAR) - 1] == 0)
            StringBytes -= sizeof(WCHAR);
        break;
    case REG_MULTI_SZ:
    case REG_BINARY:
    case REG_NONE:
        StringBytes = DataBytes;
        break;
    case REG_DWORD:
        if (DataBytes != sizeof(ULONG))
            return STATUS_INVALID_PARAMETER;
        break;
    case REG_QWORD:
        if (DataBytes != sizeof(ULONG64))
            return STATUS_INVALID_PARAMETER;
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }
    if (StringBytes > 0xFFFC)
        return STATUS_INVALID_PARAMETER;
    Size = sizeof(*V) + Name->Length + sizeof(WCHAR) + StringBytes + sizeof(WCHAR);
    V = ExAllocatePoolZero(NonPagedPool, Size, CM_TAG_VALUE);
    if (!V)
        return STATUS_INSUFFICIENT_RESOURCES;
    V->Type = Type;
    V->Name.Buffer = (PWCHAR)(V + 1);
    V->Name.Length = Name->Length;
    V->Name.MaximumLength = Name->Length + sizeof(WCHAR);
    RtlCopyMemory(V->Name.Buffer, Name->Buffer, Name->Length);
    V->String.Buffer = V->Name.Buffer + Name->Length / sizeof(WCHAR) + 1;
    V->String.Length = (USHORT)StringBytes;
    V->String.MaximumLength = (USHORT)(StringBytes + sizeof(WCHAR));
    if (Type == REG_DWORD)
        V->Number = *(const ULONG *)Data;
    else if (Type == REG_QWORD)
        V->Number = *(const ULONG64 *)Data;
    else if (StringBytes)
        RtlCopyMemory(V->String.Buffer, Data, StringBytes);

    /* The last setting of a name wins; it keeps the first one's place. */
    CmpLockValues();
    for (Link = &Key->FirstValue; *Link; Link = &(*Link)->Next) {
        if (RtlEqualUnicodeString(&(*Link)->Name, Name, TRUE)) {
            PCM_KEY_VALUE Old = *Link;
            V->Next = Old->Next;
            *Link = V;
            CmpUnlockValues();
            ExFreePoolWithTag(Old, CM_TAG_VALUE);
            return STATUS_SUCCESS;
        }
    }
    *Link = V;
    Key->ValueCount++;
    CmpUnlockValues();
    return STATUS_SUCCESS;
}

VOID CmpValueData(const CM_KEY_VALUE *V, const VOID **Data, ULONG *Bytes)
{
    switch (V->Type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
        *Data = V->String.Buffer;           /* the NUL follows the text */
        *Bytes = V->String.Length + sizeof(WCHAR);
        break;
    case REG_DWORD:
        *Data = &V->Number;                 /* little-endian: the low half first */
        *Bytes = sizeof(ULONG);
        break;
    case REG_QWORD:
        *Data = &V->Number;
        *Bytes = sizeof(ULONG64);
        break;
    default:
        *Data = V->String.Buffer;
        *Bytes = V->String.Length;
        break;
    }
}

NTSTATUS CmSetValue(PVOID KeyObject, PCUNICODE_STRING Name, ULONG Type, const VOID *Data)
{
    ULONG Bytes;

    if (!Data)
        return STATUS_INVALID_PARAMETER;
    if (Type == REG_SZ) {
        SIZE_T n = CmpWideLength(Data) * sizeof(WCHAR);
        if (n > 0xFFFC)
            return STATUS_INVALID_PARAMETER;
        Bytes = (ULONG)n;
    } else if (Type == REG_DWORD) {
        Bytes = sizeof(ULONG);
    } else if (Type == REG_QWORD) {
        Bytes = sizeof(ULONG64);
    } else {
        return STATUS_INVALID_PARAMETER;
    }
    return CmpSetValueRaw(KeyObject, Name, Type, Data, Bytes);
}

NTSTATUS CmEnumerateValues(PVOID KeyObject, PCM_VALUE_CALLBACK Callback, PVOID Context)
{
    PCM_KEY_BODY Key = KeyObject;

    if (!Key || !Callback || ObGetObjectType(KeyObject) != CmKeyObjectType)
        return STATUS_INVALID_PARAMETER;
    /* The callback runs with the value lock held: it must not call the
     * configuration tree (the shell's reg only prints). */
    CmpLockValues();
    for (PCM_KEY_VALUE V = Key->FirstValue; V; V = V->Next)
        if (!Callback(&V->Name, V->Type, V->Number, &V->String, Context))
            break;
    CmpUnlockValues();
    return STATUS_SUCCESS;
}

typedef struct _CMP_SUBKEY_CTX {
    PCM_SUBKEY_CALLBACK Callback;
    PVOID Context;
} CMP_SUBKEY_CTX;

static BOOLEAN CmpSubKeyFilter(PCUNICODE_STRING Name, PVOID Object, PVOID Context)
{
    CMP_SUBKEY_CTX *C = Context;
    if (ObGetObjectType(Object) != CmKeyObjectType)
        return TRUE;
    return C->Callback(Name, Object, C->Context);
}

NTSTATUS CmEnumerateSubKeys(PVOID KeyObject, PCM_SUBKEY_CALLBACK Callback, PVOID Context)
{
    CMP_SUBKEY_CTX C = { Callback, Context };

    if (!KeyObject || !Callback)
        return STATUS_INVALID_PARAMETER;
    return ObEnumerateDirectory(KeyObject, CmpSubKeyFilter, &C);
}
