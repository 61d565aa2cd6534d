/* wdm/cm.h - the configuration tree ("registry") exported to drivers
 * (kernel/cfg/).  The tree is built at boot from \ntstor\system.cfg; keys are
 * objects under \Registry\Machine.  Drivers use the WDK's routines (second
 * half of this file): ZwOpenKey/ZwCreateKey/ZwQueryValueKey/ZwSetValueKey/
 * ZwEnumerateKey/ZwEnumerateValueKey/ZwClose, RtlQueryRegistryValues, and
 * IoOpenDeviceRegistryKey/IoGetDeviceProperty (wdm/io.h).
 *
 * The Cm* routines below are ntstor's older private interface, kept
 * exported for drivers not yet converted; new code uses the Zw* routines.
 * With them a driver opened its service key, then the Parameters subkey:
 *
 *   HANDLE svc, par; ULONG ncq;
 *   if (NT_SUCCESS(CmOpenKey(RegistryPath, &svc))) {
 *       if (NT_SUCCESS(CmOpenSubKey(svc, u"Parameters", &par))) {
 *           CmQueryValueUlong(par, u"Ncq", &ncq, 1);
 *           CmCloseKey(par);
 *       }
 *       CmCloseKey(svc);
 *   }
 *
 * Value types: a number in system.cfg (decimal or 0x-hex) is REG_DWORD, or
 * REG_QWORD when it does not fit 32 bits; everything else is REG_SZ. */
#ifndef NTSTOR_WDM_CM_H
#define NTSTOR_WDM_CM_H

#include <ntdef.h>
#include <wdm/ob.h>

/* NT's value type numbers. */
#define REG_NONE                0
#define REG_SZ                  1
#define REG_EXPAND_SZ           2   /* kept as text; nothing is expanded */
#define REG_BINARY              3
#define REG_DWORD               4
#define REG_MULTI_SZ            7
#define REG_QWORD               11

/* Service Start values (NT's SERVICE_*_START numbers). */
#define SERVICE_BOOT_START   0
#define SERVICE_SYSTEM_START 1
#define SERVICE_AUTO_START   2
#define SERVICE_DEMAND_START 3
#define SERVICE_DISABLED     4

/* Opens a key by absolute path (\Registry\Machine\...).  Errors as object
 * lookups: STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND,
 * STATUS_OBJECT_TYPE_MISMATCH (the path names something that is not a key). */
NTSTATUS CmOpenKey(PCUNICODE_STRING Path, PHANDLE KeyHandle);
/* Opens SubKey ("Parameters", or "a\b") below an open key. */
NTSTATUS CmOpenSubKey(HANDLE Parent, PCWSTR SubKey, PHANDLE KeyHandle);
NTSTATUS CmCloseKey(HANDLE KeyHandle);

/* Reads a number.  Absent value: *Value = Default, STATUS_SUCCESS (a missing
 * setting means "use the default").  A string value (not a number in
 * system.cfg): *Value = Default, STATUS_OBJECT_TYPE_MISMATCH.  A REG_QWORD
 * above 0xFFFFFFFF: *Value = Default, STATUS_INTEGER_OVERFLOW.  So *Value is
 * always usable; the status says whether the setting was honoured.
 * STATUS_INVALID_HANDLE for a bad key handle (*Value = Default). */
NTSTATUS CmQueryValueUlong(HANDLE Key, PCWSTR Name, PULONG Value, ULONG Default);
NTSTATUS CmQueryValueUlong64(HANDLE Key, PCWSTR Name, PULONG64 Value, ULONG64 Default);

/* Reads a string into Buffer (BufferBytes bytes), always NUL-terminated
 * when BufferBytes >= 2.  A number value is returned as its decimal text
 * (so an unquoted serial number like 12345 still reads as "12345").
 * Absent value: Default is copied (Default NULL: ""), STATUS_SUCCESS.
 * Too long: truncated, STATUS_BUFFER_OVERFLOW. */
NTSTATUS CmQueryValueString(HANDLE Key, PCWSTR Name, PWCHAR Buffer, ULONG BufferBytes,
                            PCWSTR Default);

/* Raw access that tells absence apart: STATUS_OBJECT_NAME_NOT_FOUND when
 * the value does not exist.  *Type gets REG_SZ/REG_DWORD/REG_QWORD; Data
 * gets the ULONG, ULONG64 or the NUL-terminated UTF-16 string; *ResultBytes
 * the bytes needed.  STATUS_BUFFER_TOO_SMALL if DataBytes is short (Type and
 * ResultBytes still set). */
NTSTATUS CmQueryValue(HANDLE Key, PCWSTR Name, PULONG Type, PVOID Data, ULONG DataBytes,
                      PULONG ResultBytes);


/* ---- the WDK's registry routines ----------------------------------------
 *
 * Keys are opened by OBJECT_ATTRIBUTES: ObjectName absolute
 * (\Registry\Machine\...) or, with RootDirectory a key handle, relative to
 * it ("Parameters", "a\b").  Handles close with ZwClose.  DesiredAccess is
 * accepted and not checked (every caller is the kernel).  All at
 * PASSIVE_LEVEL.  Nothing is written to disk: a key or value set at run time
 * lives until the next boot (system.cfg is the only persistent store). */

#define KEY_QUERY_VALUE        0x0001
#define KEY_SET_VALUE          0x0002
#define KEY_CREATE_SUB_KEY     0x0004
#define KEY_ENUMERATE_SUB_KEYS 0x0008
#define KEY_READ               0x20019
#define KEY_WRITE              0x20006
#define KEY_ALL_ACCESS         0xF003F

/* ZwCreateKey's CreateOptions (accepted; every key is volatile here) and
 * *Disposition. */
#define REG_OPTION_NON_VOLATILE 0x00000000
#define REG_OPTION_VOLATILE     0x00000001
#define REG_CREATED_NEW_KEY     0x00000001
#define REG_OPENED_EXISTING_KEY 0x00000002

NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes);
/* Opens the key, or creates it when its parent exists (NT creates one
 * level: a missing parent is STATUS_OBJECT_PATH_NOT_FOUND).  Disposition
 * optional. */
NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                     ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition);

typedef enum _KEY_VALUE_INFORMATION_CLASS {
    KeyValueBasicInformation = 0,
    KeyValueFullInformation = 1,
    KeyValuePartialInformation = 2,
} KEY_VALUE_INFORMATION_CLASS;

typedef struct _KEY_VALUE_BASIC_INFORMATION {
    ULONG TitleIndex;
    ULONG Type;
    ULONG NameLength;       /* bytes */
    WCHAR Name[1];          /* not terminated */
} KEY_VALUE_BASIC_INFORMATION, *PKEY_VALUE_BASIC_INFORMATION;

typedef struct _KEY_VALUE_FULL_INFORMATION {
    ULONG TitleIndex;
    ULONG Type;
    ULONG DataOffset;       /* from the start of the structure */
    ULONG DataLength;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_VALUE_FULL_INFORMATION, *PKEY_VALUE_FULL_INFORMATION;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
    ULONG TitleIndex;
    ULONG Type;
    ULONG DataLength;
    UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

/* As NT: STATUS_OBJECT_NAME_NOT_FOUND for an absent value; a buffer too
 * short for the fixed part is STATUS_BUFFER_TOO_SMALL, one that holds the
 * fixed part but not all of the name and data STATUS_BUFFER_OVERFLOW (the
 * fixed part is filled in); *ResultLength is always the bytes needed.
 * REG_SZ data includes its terminating NUL; REG_DWORD is 4 bytes, REG_QWORD 8. */
NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                         KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                         PVOID KeyValueInformation, ULONG Length, PULONG ResultLength);
/* Types REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_BINARY, REG_NONE (up to
 * 65532 bytes), REG_DWORD (DataSize 4), REG_QWORD (DataSize 8); others and
 * wrong sizes are STATUS_INVALID_PARAMETER.  Replaces a value of the same name. */
NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type,
                       PVOID Data, ULONG DataSize);

typedef enum _KEY_INFORMATION_CLASS {
    KeyBasicInformation = 0,
    KeyNodeInformation = 1,
    KeyFullInformation = 2,
} KEY_INFORMATION_CLASS;

typedef struct _KEY_BASIC_INFORMATION {
    LARGE_INTEGER LastWriteTime;    /* 0: no clock of record */
    ULONG TitleIndex;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_BASIC_INFORMATION, *PKEY_BASIC_INFORMATION;

typedef struct _KEY_NODE_INFORMATION {
    LARGE_INTEGER LastWriteTime;
    ULONG TitleIndex;
    ULONG ClassOffset;              /* -1: no class */
    ULONG ClassLength;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_NODE_INFORMATION, *PKEY_NODE_INFORMATION;

typedef struct _KEY_FULL_INFORMATION {
    LARGE_INTEGER LastWriteTime;
    ULONG TitleIndex;
    ULONG ClassOffset;
    ULONG ClassLength;
    ULONG SubKeys;
    ULONG MaxNameLen;
    ULONG MaxClassLen;
    ULONG Values;
    ULONG MaxValueNameLen;
    ULONG MaxValueDataLen;
    WCHAR Class[1];
} KEY_FULL_INFORMATION, *PKEY_FULL_INFORMATION;

/* Subkey number Index (name order); STATUS_NO_MORE_ENTRIES past the last.
 * Buffer rules as ZwQueryValueKey.  KeyFullInformation describes the
 * subkey itself. */
NTSTATUS ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass,
                        PVOID KeyInformation, ULONG Length, PULONG ResultLength);
/* Value number Index (the order values were first set). */
NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                             KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                             PVOID KeyValueInformation, ULONG Length, PULONG ResultLength);
/* The key of the handle itself (KeyBasicInformation: its own name; Full:
 * counts of subkeys and values). */
NTSTATUS ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass,
                    PVOID KeyInformation, ULONG Length, PULONG ResultLength);

/* ---- RtlQueryRegistryValues --------------------------------------------- */

#define RTL_REGISTRY_ABSOLUTE   0           /* Path is \Registry\... */
#define RTL_REGISTRY_SERVICES   1           /* ...\CurrentControlSet\Services\Path */
#define RTL_REGISTRY_CONTROL    2           /* ...\CurrentControlSet\Control\Path */
#define RTL_REGISTRY_WINDOWS_NT 3           /* ...\Software\Microsoft\Windows NT\CurrentVersion\Path */
#define RTL_REGISTRY_DEVICEMAP  4           /* \Registry\Machine\Hardware\DeviceMap\Path */
#define RTL_REGISTRY_USER       5           /* not supported: STATUS_INVALID_PARAMETER */
#define RTL_REGISTRY_MAXIMUM    6
#define RTL_REGISTRY_HANDLE     0x40000000  /* Path is a HANDLE */
#define RTL_REGISTRY_OPTIONAL   0x80000000  /* a missing key is success */

#define RTL_QUERY_REGISTRY_SUBKEY   0x00000001  /* Name is a subkey; later entries read it */
#define RTL_QUERY_REGISTRY_TOPKEY   0x00000002  /* back to the key Path names */
#define RTL_QUERY_REGISTRY_REQUIRED 0x00000004  /* absent (and no default): STATUS_OBJECT_NAME_NOT_FOUND */
#define RTL_QUERY_REGISTRY_NOVALUE  0x00000008  /* call QueryRoutine once, with no value */
#define RTL_QUERY_REGISTRY_NOEXPAND 0x00000010  /* REG_MULTI_SZ whole, not one call per string */
#define RTL_QUERY_REGISTRY_DIRECT   0x00000020  /* store into EntryContext, no QueryRoutine */
#define RTL_QUERY_REGISTRY_DELETE   0x00000040  /* not supported: STATUS_INVALID_PARAMETER */
#define RTL_QUERY_REGISTRY_NOSTRING 0x00000080
#define RTL_QUERY_REGISTRY_TYPECHECK 0x00000100 /* DefaultType's top byte is the expected type */
#define RTL_QUERY_REGISTRY_TYPECHECK_SHIFT 24
#define RTL_QUERY_REGISTRY_TYPECHECK_MASK  (0xffu << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT)

typedef NTSTATUS (*PRTL_QUERY_REGISTRY_ROUTINE)(PWSTR ValueName, ULONG ValueType, PVOID ValueData,
                                                ULONG ValueLength, PVOID Context, PVOID EntryContext);

typedef struct _RTL_QUERY_REGISTRY_TABLE {
    PRTL_QUERY_REGISTRY_ROUTINE QueryRoutine;
    ULONG Flags;
    PWSTR Name;
    PVOID EntryContext;
    ULONG DefaultType;      /* REG_NONE: no default */
    PVOID DefaultData;
    ULONG DefaultLength;    /* 0 for a REG_SZ default: its length is measured */
} RTL_QUERY_REGISTRY_TABLE, *PRTL_QUERY_REGISTRY_TABLE;

/* Walks QueryTable up to the entry whose QueryRoutine is NULL and whose
 * Flags hold neither SUBKEY nor DIRECT (a zeroed entry), as NT.  For each
 * entry with a Name: the value (or the default when absent and DefaultType
 * is not REG_NONE) goes to QueryRoutine or, with DIRECT, into EntryContext:
 *   REG_DWORD: a ULONG;  REG_QWORD: a ULONG64;
 *   REG_SZ / REG_EXPAND_SZ / REG_MULTI_SZ: a UNICODE_STRING -- filled when
 *     its Buffer is set (MaximumLength bytes; too small: STATUS_BUFFER_TOO_SMALL),
 *     else allocated from NonPagedPool (the caller frees it with ExFreePool);
 *   REG_BINARY / REG_NONE: a buffer whose first LONG holds minus its size
 *     (NT's convention); too small: STATUS_BUFFER_TOO_SMALL.
 * An entry without Name with a QueryRoutine gets every value of the key.
 * A REG_MULTI_SZ goes to a QueryRoutine one string per call unless
 * NOEXPAND.  A failure from a QueryRoutine stops the walk and is returned.
 * PASSIVE_LEVEL. */
NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                PVOID Context, PVOID Environment);
/* Writes one value below RelativeTo/Path (the key must exist). */
NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                               PVOID ValueData, ULONG ValueLength);
/* STATUS_SUCCESS if the key exists. */
NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path);

#endif /* NTSTOR_WDM_CM_H */
