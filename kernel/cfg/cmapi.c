/* cmapi.c - the driver-facing queries of include/wdm/cm.h: open keys by
 * path or below a handle, read numbers and strings with defaults. */
#include "cmp.h"

NTSTATUS CmpReferenceKey(HANDLE Key, PCM_KEY_BODY *Body)
{
    PVOID Object;
    NTSTATUS Status;

    if (!CmKeyObjectType)
        return STATUS_INVALID_HANDLE;
    Status = ObpReferenceObjectByHandle(Key, CmKeyObjectType, &Object);
    if (NT_SUCCESS(Status))
        *Body = Object;
    return Status;
}

NTSTATUS CmOpenKey(PCUNICODE_STRING Path, PHANDLE KeyHandle)
{
    if (!KeyHandle)
        return STATUS_INVALID_PARAMETER;
    *KeyHandle = NULL;
    if (!CmKeyObjectType)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    return ObOpenObjectByName(Path, OBJ_CASE_INSENSITIVE, CmKeyObjectType, KeyHandle);
}

NTSTATUS CmOpenSubKey(HANDLE Parent, PCWSTR SubKey, PHANDLE KeyHandle)
{
    PCM_KEY_BODY Key;
    PVOID Sub;
    UNICODE_STRING Name;
    NTSTATUS Status;

    if (!KeyHandle || !SubKey)
        return STATUS_INVALID_PARAMETER;
    *KeyHandle = NULL;
    Status = CmpReferenceKey(Parent, &Key);
    if (!NT_SUCCESS(Status))
        return Status;
    RtlInitUnicodeString(&Name, SubKey);
    Status = ObReferenceObjectRelative(Key, &Name, OBJ_CASE_INSENSITIVE, CmKeyObjectType, &Sub);
    ObDereferenceObject(Key);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObInsertHandle(Sub, KeyHandle);
    ObDereferenceObject(Sub);
    return Status;
}

NTSTATUS CmCloseKey(HANDLE KeyHandle)
{
    PCM_KEY_BODY Key;
    /* Refuse to close a handle to something that is not a key. */
    NTSTATUS Status = CmpReferenceKey(KeyHandle, &Key);

    if (!NT_SUCCESS(Status))
        return Status;
    ObDereferenceObject(Key);
    return ObpCloseHandle(KeyHandle);
}

/* Finds Name under the key of a handle: the value or NULL.  On success
 * the key stays referenced in *Key and the value lock is held: the caller
 * ends with CmpUnlockValues and ObDereferenceObject(*Key). */
static NTSTATUS CmpLookupValue(HANDLE KeyHandle, PCWSTR Name, PCM_KEY_BODY *Key, PCM_KEY_VALUE *Value)
{
    UNICODE_STRING N;
    NTSTATUS Status;

    *Value = NULL;
    if (!Name)
        return STATUS_INVALID_PARAMETER;
    Status = CmpReferenceKey(KeyHandle, Key);
    if (!NT_SUCCESS(Status))
        return Status;
    RtlInitUnicodeString(&N, Name);
    CmpLockValues();
    *Value = CmpFindValue(*Key, &N);
    return STATUS_SUCCESS;
}

NTSTATUS CmQueryValueUlong64(HANDLE KeyHandle, PCWSTR Name, PULONG64 Value, ULONG64 Default)
{
    PCM_KEY_BODY Key;
    PCM_KEY_VALUE V;
    NTSTATUS Status;

    if (!Value)
        return STATUS_INVALID_PARAMETER;
    *Value = Default;
    Status = CmpLookupValue(KeyHandle, Name, &Key, &V);
    if (!NT_SUCCESS(Status))
        return Status;
    if (V) {
        if (V->Type == REG_DWORD || V->Type == REG_QWORD)
            *Value = V->Number;
        else
            Status = STATUS_OBJECT_TYPE_MISMATCH;
    }
    CmpUnlockValues();
    ObDereferenceObject(Key);
    return Status;
}

NTSTATUS CmQueryValueUlong(HANDLE KeyHandle, PCWSTR Name, PULONG Value, ULONG Default)
{
    ULONG64 Wide;
    NTSTATUS Status;

    if (!Value)
        return STATUS_INVALID_PARAMETER;
    Status = CmQueryValueUlong64(KeyHandle, Name, &Wide, Default);
    if (NT_SUCCESS(Status) && Wide > 0xFFFFFFFFull) {
        Wide = Default;
        Status = STATUS_INTEGER_OVERFLOW;
    }
    *Value = (ULONG)Wide;
    return Status;
}

/* Decimal text of a number (no pool, no formatter: this is host-tested). */
static USHORT CmpFormatDecimal(ULONG64 v, PWCHAR Out)
{
    WCHAR Rev[20];
    USHORT n = 0, i;
    do {
        Rev[n++] = (WCHAR)(L'0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        Out[i] = Rev[n - 1 - i];
    return n;
}

static NTSTATUS CmpCopyString(PWCHAR Buffer, ULONG BufferBytes, const WCHAR *Src, SIZE_T Chars)
{
    SIZE_T Room;

    if (!Buffer || BufferBytes < sizeof(WCHAR))
        return STATUS_BUFFER_TOO_SMALL;
    Room = BufferBytes / sizeof(WCHAR) - 1;
    if (Chars > Room) {
        RtlCopyMemory(Buffer, Src, Room * sizeof(WCHAR));
        Buffer[Room] = 0;
        return STATUS_BUFFER_OVERFLOW;
    }
    RtlCopyMemory(Buffer, Src, Chars * sizeof(WCHAR));
    Buffer[Chars] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS CmQueryValueString(HANDLE KeyHandle, PCWSTR Name, PWCHAR Buffer, ULONG BufferBytes,
                            PCWSTR Default)
{
    static const WCHAR Empty[] = u"";
    PCM_KEY_BODY Key = NULL;
    PCM_KEY_VALUE V;
    WCHAR Digits[20];
    NTSTATUS Status = CmpLookupValue(KeyHandle, Name, &Key, &V), CopyStatus;
    SIZE_T n = 0;

    if (!NT_SUCCESS(Status) || !V) {
        /* No such value, or no key at all: the default, so Buffer holds
         * something usable either way. */
        PCWSTR Text = Default ? Default : Empty;
        while (Text[n])
            n++;
        CopyStatus = CmpCopyString(Buffer, BufferBytes, Text, n);
        if (!NT_SUCCESS(Status))
            return Status;
    } else if (V->Type == REG_SZ || V->Type == REG_EXPAND_SZ) {
        CopyStatus = CmpCopyString(Buffer, BufferBytes, V->String.Buffer, V->String.Length / sizeof(WCHAR));
    } else if (V->Type == REG_DWORD || V->Type == REG_QWORD) {
        n = CmpFormatDecimal(V->Number, Digits);
        CopyStatus = CmpCopyString(Buffer, BufferBytes, Digits, n);
    } else {
        PCWSTR Text = Default ? Default : Empty;     /* binary data is no text */
        while (Text[n])
            n++;
        CmpCopyString(Buffer, BufferBytes, Text, n);
        CopyStatus = STATUS_OBJECT_TYPE_MISMATCH;
    }
    CmpUnlockValues();
    ObDereferenceObject(Key);
    return CopyStatus;
}

NTSTATUS CmQueryValue(HANDLE KeyHandle, PCWSTR Name, PULONG Type, PVOID Data, ULONG DataBytes,
                      PULONG ResultBytes)
{
    PCM_KEY_BODY Key;
    PCM_KEY_VALUE V;
    const VOID *Src;
    ULONG Need;
    NTSTATUS Status = CmpLookupValue(KeyHandle, Name, &Key, &V);

    if (!NT_SUCCESS(Status))
        return Status;
    if (!V) {
        CmpUnlockValues();
        ObDereferenceObject(Key);
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    CmpValueData(V, &Src, &Need);
    if (Type)
        *Type = V->Type;
    if (ResultBytes)
        *ResultBytes = Need;
    if (!Data || DataBytes < Need)
        Status = STATUS_BUFFER_TOO_SMALL;
    else
        RtlCopyMemory(Data, Src, Need);
    CmpUnlockValues();
    ObDereferenceObject(Key);
    return Status;
}
