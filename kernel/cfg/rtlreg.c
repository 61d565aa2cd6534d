/* rtlreg.c - RtlQueryRegistryValues, RtlWriteRegistryValue and
 * RtlCheckRegistryKey (NT's table-driven registry reads, include/wdm/cm.h)
 * over the Zw* routines of zwkey.c.  Values are copied out of the tree
 * before a QueryRoutine runs, so a routine may itself use the registry. */
#include "cmp.h"

#define CM_TAG_QUERY NTSTOR_TAG('C', 'm', 'Q', 'v')

/* Opens RelativeTo/Path.  *Close says whether the handle is ours. */
static NTSTATUS CmpOpenRelative(ULONG RelativeTo, PCWSTR Path, PHANDLE Key, BOOLEAN *Close)
{
    static const PCWSTR Bases[RTL_REGISTRY_MAXIMUM] = {
        [RTL_REGISTRY_ABSOLUTE] = u"",
        [RTL_REGISTRY_SERVICES] = CM_SERVICES_PATH,
        [RTL_REGISTRY_CONTROL] = CM_CONTROL_SET_PATH u"\\Control",
        [RTL_REGISTRY_WINDOWS_NT] = CM_MACHINE_PATH u"\\Software\\Microsoft\\Windows NT\\CurrentVersion",
        [RTL_REGISTRY_DEVICEMAP] = CM_MACHINE_PATH u"\\Hardware\\DeviceMap",
    };
    ULONG Base = RelativeTo & ~(RTL_REGISTRY_HANDLE | RTL_REGISTRY_OPTIONAL);
    UNICODE_STRING Full;
    OBJECT_ATTRIBUTES Oa;
    NTSTATUS Status;

    *Close = FALSE;
    if (RelativeTo & RTL_REGISTRY_HANDLE) {
        *Key = (HANDLE)Path;
        return STATUS_SUCCESS;
    }
    if (Base >= RTL_REGISTRY_MAXIMUM || !Bases[Base])
        return STATUS_INVALID_PARAMETER;
    Full.MaximumLength = OB_MAX_PATH_CHARS * sizeof(WCHAR);
    Full.Length = 0;
    Full.Buffer = ExAllocatePoolWithTag(NonPagedPool, Full.MaximumLength, CM_TAG_PATH);
    if (!Full.Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = RtlAppendUnicodeToString(&Full, Bases[Base]);
    if (NT_SUCCESS(Status) && Path && Path[0]) {
        if (Base != RTL_REGISTRY_ABSOLUTE && Path[0] != L'\\')
            Status = RtlAppendUnicodeToString(&Full, u"\\");
        if (NT_SUCCESS(Status))
            Status = RtlAppendUnicodeToString(&Full, Path);
    }
    if (NT_SUCCESS(Status)) {
        InitializeObjectAttributes(&Oa, &Full, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
        Status = ZwOpenKey(Key, KEY_READ, &Oa);
        *Close = NT_SUCCESS(Status);
    } else if (Status == STATUS_BUFFER_TOO_SMALL) {
        Status = STATUS_NAME_TOO_LONG;
    }
    ExFreePoolWithTag(Full.Buffer, CM_TAG_PATH);
    return Status;
}

static BOOLEAN CmpIsStringType(ULONG Type)
{
    return Type == REG_SZ || Type == REG_EXPAND_SZ || Type == REG_MULTI_SZ;
}

/* DIRECT: stores one value into the entry's EntryContext (rules in cm.h). */
static NTSTATUS CmpStoreDirect(PRTL_QUERY_REGISTRY_TABLE Entry, ULONG Type, const VOID *Data, ULONG Length)
{
    if (!Entry->EntryContext)
        return STATUS_INVALID_PARAMETER;
    if (CmpIsStringType(Type)) {
        PUNICODE_STRING S = Entry->EntryContext;
        ULONG Text = Length;
        /* The counted string leaves out the terminator (the buffer keeps it). */
        if (Type != REG_MULTI_SZ && Text >= sizeof(WCHAR) && ((const WCHAR *)Data)[Text / 2 - 1] == 0)
            Text -= sizeof(WCHAR);
        if (Text + sizeof(WCHAR) > 0xFFFF)
            return STATUS_BUFFER_TOO_SMALL;
        if (!S->Buffer) {
            S->Buffer = ExAllocatePoolWithTag(NonPagedPool, Text + sizeof(WCHAR), CM_TAG_QUERY);
            if (!S->Buffer)
                return STATUS_INSUFFICIENT_RESOURCES;
            S->MaximumLength = (USHORT)(Text + sizeof(WCHAR));
        } else if (S->MaximumLength < Text + sizeof(WCHAR)) {
            return STATUS_BUFFER_TOO_SMALL;
        }
        RtlCopyMemory(S->Buffer, Data, Text);
        S->Buffer[Text / sizeof(WCHAR)] = 0;
        S->Length = (USHORT)Text;
        return STATUS_SUCCESS;
    }
    if (Length <= sizeof(ULONG)) {
        RtlCopyMemory(Entry->EntryContext, Data, Length);
        return STATUS_SUCCESS;
    }
    /* Larger than a ULONG: the buffer's first LONG is its size; negative
     * means "data only", positive "length, type, then data" (NT's rule). */
    LONG Size = *(PLONG)Entry->EntryContext;
    if (Size < 0) {
        if ((ULONG)-Size < Length)
            return STATUS_BUFFER_TOO_SMALL;
        RtlCopyMemory(Entry->EntryContext, Data, Length);
    } else {
        if ((ULONG)Size < Length + 2 * sizeof(ULONG))
            return STATUS_BUFFER_TOO_SMALL;
        ((PULONG)Entry->EntryContext)[0] = Length;
        ((PULONG)Entry->EntryContext)[1] = Type;
        RtlCopyMemory((PULONG)Entry->EntryContext + 2, Data, Length);
    }
    return STATUS_SUCCESS;
}

/* One value (or default) to one table entry. */
static NTSTATUS CmpDeliver(PRTL_QUERY_REGISTRY_TABLE Entry, PWSTR Name, ULONG Type, PVOID Data,
                           ULONG Length, PVOID Context)
{
    NTSTATUS Status;

    if (Entry->Flags & RTL_QUERY_REGISTRY_TYPECHECK) {
        ULONG Want = (Entry->DefaultType & RTL_QUERY_REGISTRY_TYPECHECK_MASK) >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
        if (Want != Type)
            return STATUS_OBJECT_TYPE_MISMATCH;
    }
    if (Entry->Flags & RTL_QUERY_REGISTRY_DIRECT)
        return CmpStoreDirect(Entry, Type, Data, Length);
    if (Type == REG_MULTI_SZ && !(Entry->Flags & RTL_QUERY_REGISTRY_NOEXPAND)) {
        /* One call per string, each with its terminator. */
        PWCHAR p = Data, End = (PWCHAR)((PUCHAR)Data + (Length & ~1u));
        while (p < End && *p) {
            PWCHAR s = p;
            while (p < End && *p)
                p++;
            Status = Entry->QueryRoutine(Name, REG_SZ, s, (ULONG)((p - s + 1) * sizeof(WCHAR)), Context,
                                         Entry->EntryContext);
            if (!NT_SUCCESS(Status))
                return Status;
            p++;
        }
        return STATUS_SUCCESS;
    }
    return Entry->QueryRoutine(Name, Type, Data, Length, Context, Entry->EntryContext);
}

/* Reads Name of Key into pool; STATUS_OBJECT_NAME_NOT_FOUND if absent. */
static NTSTATUS CmpReadValue(HANDLE Key, PWSTR Name, PKEY_VALUE_PARTIAL_INFORMATION *Info)
{
    UNICODE_STRING N;
    ULONG Need = 0;
    NTSTATUS Status;

    RtlInitUnicodeString(&N, Name);
    for (int Try = 0; Try < 4; Try++) {      /* the value may change between calls */
        Status = ZwQueryValueKey(Key, &N, KeyValuePartialInformation, NULL, 0, &Need);
        if (Status != STATUS_BUFFER_TOO_SMALL && Status != STATUS_BUFFER_OVERFLOW)
            return Status;
        *Info = ExAllocatePoolWithTag(NonPagedPool, Need + sizeof(WCHAR), CM_TAG_QUERY);
        if (!*Info)
            return STATUS_INSUFFICIENT_RESOURCES;
        Status = ZwQueryValueKey(Key, &N, KeyValuePartialInformation, *Info, Need, &Need);
        if (NT_SUCCESS(Status))
            return Status;
        ExFreePoolWithTag(*Info, CM_TAG_QUERY);
        *Info = NULL;
        if (Status != STATUS_BUFFER_OVERFLOW)
            return Status;
    }
    return STATUS_BUFFER_OVERFLOW;
}

/* An entry without a Name: every value of the key, in order. */
static NTSTATUS CmpQueryAllValues(HANDLE Key, PRTL_QUERY_REGISTRY_TABLE Entry, PVOID Context)
{
    PKEY_VALUE_FULL_INFORMATION Info;
    ULONG Need;
    NTSTATUS Status;

    for (ULONG Index = 0;; Index++) {
        Status = ZwEnumerateValueKey(Key, Index, KeyValueFullInformation, NULL, 0, &Need);
        if (Status == STATUS_NO_MORE_ENTRIES)
            return STATUS_SUCCESS;
        if (Status != STATUS_BUFFER_TOO_SMALL)
            return Status;
        Info = ExAllocatePoolWithTag(NonPagedPool, Need + sizeof(WCHAR), CM_TAG_QUERY);
        if (!Info)
            return STATUS_INSUFFICIENT_RESOURCES;
        Status = ZwEnumerateValueKey(Key, Index, KeyValueFullInformation, Info, Need, &Need);
        if (NT_SUCCESS(Status)) {
            /* The routine gets a terminated name: move it into place. */
            WCHAR Name[OB_MAX_NAME_CHARS + 1];
            ULONG Chars = Info->NameLength / sizeof(WCHAR);
            if (Chars > OB_MAX_NAME_CHARS)
                Chars = OB_MAX_NAME_CHARS;
            RtlCopyMemory(Name, Info->Name, Chars * sizeof(WCHAR));
            Name[Chars] = 0;
            Status = CmpDeliver(Entry, Name, Info->Type, (PUCHAR)Info + Info->DataOffset, Info->DataLength,
                                Context);
        }
        ExFreePoolWithTag(Info, CM_TAG_QUERY);
        if (!NT_SUCCESS(Status))
            return Status;
    }
}

/* One named entry: the value, else its default, else (REQUIRED) an error. */
static NTSTATUS CmpQueryEntry(HANDLE Key, PRTL_QUERY_REGISTRY_TABLE Entry, PVOID Context)
{
    PKEY_VALUE_PARTIAL_INFORMATION Info = NULL;
    NTSTATUS Status = Key ? CmpReadValue(Key, Entry->Name, &Info) : STATUS_OBJECT_NAME_NOT_FOUND;

    if (NT_SUCCESS(Status)) {
        Status = CmpDeliver(Entry, Entry->Name, Info->Type, Info->Data, Info->DataLength, Context);
        ExFreePoolWithTag(Info, CM_TAG_QUERY);
        return Status;
    }
    if (Status != STATUS_OBJECT_NAME_NOT_FOUND)
        return Status;
    ULONG DefaultType = Entry->DefaultType & ~RTL_QUERY_REGISTRY_TYPECHECK_MASK;
    if (DefaultType == REG_NONE || !Entry->DefaultData)
        return (Entry->Flags & RTL_QUERY_REGISTRY_REQUIRED) ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_SUCCESS;
    ULONG Length = Entry->DefaultLength;
    if (Length == 0 && CmpIsStringType(DefaultType)) {
        PCWSTR s = Entry->DefaultData;
        while (s[Length / sizeof(WCHAR)])
            Length += sizeof(WCHAR);
        Length += sizeof(WCHAR);
        if (DefaultType == REG_MULTI_SZ)        /* up to the empty string */
            while (s[Length / sizeof(WCHAR)]) {
                while (s[Length / sizeof(WCHAR)])
                    Length += sizeof(WCHAR);
                Length += sizeof(WCHAR);
            }
    }
    /* A DIRECT default is checked against the expected type too. */
    return CmpDeliver(Entry, Entry->Name, DefaultType, Entry->DefaultData, Length, Context);
}

NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                PVOID Context, PVOID Environment)
{
    HANDLE Top = NULL, Current, Sub = NULL;
    BOOLEAN CloseTop;
    NTSTATUS Status;

    if (!QueryTable)
        return STATUS_INVALID_PARAMETER;
    Status = CmpOpenRelative(RelativeTo, Path, &Top, &CloseTop);
    if (!NT_SUCCESS(Status)) {
        if ((RelativeTo & RTL_REGISTRY_OPTIONAL) &&
            (Status == STATUS_OBJECT_NAME_NOT_FOUND || Status == STATUS_OBJECT_PATH_NOT_FOUND))
            return STATUS_SUCCESS;
        return Status;
    }
    Current = Top;
    for (PRTL_QUERY_REGISTRY_TABLE Entry = QueryTable;
         Entry->QueryRoutine || (Entry->Flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_DIRECT));
         Entry++) {
        if (Entry->Flags & RTL_QUERY_REGISTRY_DELETE) {
            Status = STATUS_INVALID_PARAMETER;
            break;
        }
        if (Entry->Flags & (RTL_QUERY_REGISTRY_TOPKEY | RTL_QUERY_REGISTRY_SUBKEY)) {
            if (Sub)
                ZwClose(Sub);
            Sub = NULL;
            Current = Top;
        }
        if (Entry->Flags & RTL_QUERY_REGISTRY_SUBKEY) {
            UNICODE_STRING N;
            OBJECT_ATTRIBUTES Oa;
            if (!Entry->Name) {
                Status = STATUS_INVALID_PARAMETER;
                break;
            }
            RtlInitUnicodeString(&N, Entry->Name);
            InitializeObjectAttributes(&Oa, &N, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, Top, NULL);
            Status = ZwOpenKey(&Sub, KEY_READ, &Oa);
            if (!NT_SUCCESS(Status)) {
                /* A missing subkey: its entries see no values (defaults,
                 * REQUIRED still fail), as NT. */
                Sub = NULL;
                Current = NULL;
                if (Status != STATUS_OBJECT_NAME_NOT_FOUND)
                    break;
            } else {
                Current = Sub;
            }
            if (!Entry->QueryRoutine)
                continue;       /* a pure "switch to subkey" entry */
        }
        if (Entry->Flags & RTL_QUERY_REGISTRY_NOVALUE) {
            Status = Entry->QueryRoutine ? Entry->QueryRoutine(Entry->Name, REG_NONE, NULL, 0, Context,
                                                               Entry->EntryContext)
                                         : STATUS_INVALID_PARAMETER;
        } else if (!Entry->Name || (Entry->Flags & RTL_QUERY_REGISTRY_SUBKEY)) {
            Status = (Entry->Flags & RTL_QUERY_REGISTRY_DIRECT) ? STATUS_INVALID_PARAMETER
                     : Current ? CmpQueryAllValues(Current, Entry, Context) : STATUS_SUCCESS;
        } else {
            Status = CmpQueryEntry(Current, Entry, Context);
        }
        if (!NT_SUCCESS(Status))
            break;
        Status = STATUS_SUCCESS;
    }
    if (Sub)
        ZwClose(Sub);
    if (CloseTop)
        ZwClose(Top);
    return Status;
}

NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                               PVOID ValueData, ULONG ValueLength)
{
    HANDLE Key;
    BOOLEAN Close;
    UNICODE_STRING N;
    NTSTATUS Status = CmpOpenRelative(RelativeTo, Path, &Key, &Close);

    if (!NT_SUCCESS(Status))
        return Status;
    RtlInitUnicodeString(&N, ValueName);
    Status = ZwSetValueKey(Key, &N, 0, ValueType, ValueData, ValueLength);
    if (Close)
        ZwClose(Key);
    return Status;
}

NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path)
{
    HANDLE Key;
    BOOLEAN Close;
    NTSTATUS Status = CmpOpenRelative(RelativeTo, Path, &Key, &Close);

    if (NT_SUCCESS(Status) && Close)
        ZwClose(Key);
    return Status;
}
