/* wdm/cm.h - configuration tree ("registry") queries exported to drivers
 * (kernel/cfg/).  The tree is built at boot from \ntstor\system.cfg; keys are
 * objects under \Registry\Machine.  A driver typically opens its service key
 * (DriverEntry's RegistryPath), then the Parameters subkey:
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

/* NT's value type numbers. */
#define REG_NONE   0
#define REG_SZ     1
#define REG_DWORD  4
#define REG_QWORD  11

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

#endif /* NTSTOR_WDM_CM_H */
