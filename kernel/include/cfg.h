/* cfg.h - kernel-internal interface of the configuration tree (kernel/cfg/):
 * the system.cfg parser, building the tree at boot, and the iteration the
 * PnP manager and the shell need.  Drivers use include/wdm/cm.h: the WDK's
 * Zw*Key routines (zwkey.c), RtlQueryRegistryValues (rtlreg.c) and the
 * older Cm* queries (cmapi.c).
 *
 * system.cfg (DESIGN.md) is INI-like text:
 *   [Services\ahci]               key path relative to CM_CONTROL_SET_PATH
 *   ImagePath = \ntstor\drivers\ahci.sys
 *   Start     = Boot              ; comment after ';' or '#'
 *   Model     = "WD Blue; 1TB"    quotes keep ';' '#' and outer spaces
 * Numbers (decimal, 0x-hex) become REG_DWORD (REG_QWORD above 32 bits);
 * digits too large for 64 bits and all other text stay REG_SZ.  A
 * duplicate value name in a key: the last line wins.  Repeated section
 * headers add to the same key.  Malformed lines are reported with their
 * line number and skipped; see kernel/cfg/cfg_parse.c for the list. */
#ifndef NTSTOR_CFG_H
#define NTSTOR_CFG_H

#include <wdm.h>
#include <wdm/cm.h>
#include "ob.h"

#define CM_MACHINE_PATH     u"\\Registry\\Machine"
#define CM_CONTROL_SET_PATH u"\\Registry\\Machine\\System\\CurrentControlSet"
#define CM_SERVICES_PATH    u"\\Registry\\Machine\\System\\CurrentControlSet\\Services"
#define CM_HARDWARE_DATABASE_PATH u"\\Registry\\Machine\\Hardware\\Description\\System"

/* ---- parser (kernel/cfg/cfg_parse.c): pure, no allocation ------------- */

#define CFG_MAX_LINE_BYTES 512   /* longer lines are an error */

/* A parsed value.  Text points into the parsed buffer (not terminated);
 * for REG_SZ it is the string without quotes, for numbers the digits. */
typedef struct _CFG_VALUE {
    ULONG Type;            /* REG_SZ, REG_DWORD, REG_QWORD */
    ULONG64 Number;        /* REG_DWORD/REG_QWORD */
    const CHAR *Text;
    SIZE_T TextLength;
} CFG_VALUE, *PCFG_VALUE;

typedef struct _CFG_PARSE_CALLBACKS {
    /* A valid [section] header: Path is "Services\ahci" (not terminated,
     * components separated by one '\').  Return a failure status to make
     * the parser report it ("cannot create key: STATUS_X") and skip the
     * section's values. */
    NTSTATUS (*Section)(PVOID Context, ULONG Line, const CHAR *Path, SIZE_T PathLength);
    /* A valid Name = Value line inside a valid section.  A failure status is
     * reported like a malformed line. */
    NTSTATUS (*Value)(PVOID Context, ULONG Line, const CHAR *Name, SIZE_T NameLength,
                      const CFG_VALUE *Value);
    /* A malformed line (1-based line number) and a short message. */
    VOID (*Error)(PVOID Context, ULONG Line, PCSTR Message);
} CFG_PARSE_CALLBACKS;

/* Parses Length bytes of Text (not NUL-terminated; NULs and any byte are
 * tolerated and reported).  Returns the number of errors reported. */
ULONG CfgParse(const CHAR *Text, SIZE_T Length, const CFG_PARSE_CALLBACKS *Callbacks,
               PVOID Context);

/* ---- the tree (kernel/cfg/cm*.c) ---------------------------------------- */

/* "Key", valid after CmInitSystem. */
extern POBJECT_TYPE CmKeyObjectType;

/* Builds \Registry\Machine\System\CurrentControlSet (with Services) and
 * \Registry\Machine\Hardware\Description\System, then the keys and values
 * of system.cfg (Text may be NULL when the loader found none).  Prints each
 * problem as "cfg: system.cfg line N: <problem>" and counts them.  Fails
 * only when the base keys cannot be created. */
NTSTATUS CmInitSystem(const CHAR *Text, SIZE_T Length);
/* Malformed lines seen by CmInitSystem (boot summary). */
ULONG CmGetConfigErrorCount(VOID);

/* Creates (or opens) a key by absolute path, creating missing parents below
 * \Registry\Machine.  Returns a referenced key object (permanent). */
NTSTATUS CmCreateKey(PCUNICODE_STRING Path, PVOID *KeyObject);
/* Sets a value on a key object (replaces an existing one of that name).
 * Type REG_SZ: Data is a NUL-terminated UTF-16 string; REG_DWORD: a ULONG;
 * REG_QWORD: a ULONG64. */
NTSTATUS CmSetValue(PVOID KeyObject, PCUNICODE_STRING Name, ULONG Type, const VOID *Data);

/* Value enumeration for the shell (reg).  Number is valid for
 * REG_DWORD/REG_QWORD, String (NUL-terminated) for REG_SZ.  Return FALSE to
 * stop. */
typedef BOOLEAN (*PCM_VALUE_CALLBACK)(PCUNICODE_STRING Name, ULONG Type, ULONG64 Number,
                                      PCUNICODE_STRING String, PVOID Context);
NTSTATUS CmEnumerateValues(PVOID KeyObject, PCM_VALUE_CALLBACK Callback, PVOID Context);
/* Subkeys of a key object in name order (the key is referenced during the
 * callback).  Return FALSE to stop. */
typedef BOOLEAN (*PCM_SUBKEY_CALLBACK)(PCUNICODE_STRING Name, PVOID SubKeyObject, PVOID Context);
NTSTATUS CmEnumerateSubKeys(PVOID KeyObject, PCM_SUBKEY_CALLBACK Callback, PVOID Context);

/* Calls Callback for every key under ...\CurrentControlSet\Services, in name
 * order, with the service name ("ahci") and the full key path
 * (\Registry\Machine\System\CurrentControlSet\Services\ahci; the string is
 * valid during the callback only).  Return FALSE to stop. */
typedef BOOLEAN (*PCM_SERVICE_CALLBACK)(PCUNICODE_STRING ServiceName, PCUNICODE_STRING KeyPath,
                                        PVOID Context);
NTSTATUS CmFindServices(PCM_SERVICE_CALLBACK Callback, PVOID Context);

/* What the PnP manager needs of a service key. */
#define CM_SERVICE_STRING_CHARS 512
typedef struct _CM_SERVICE_INFO {
    ULONG Start;            /* SERVICE_*_START; absent -> SERVICE_DEMAND_START;
                               unrecognised -> SERVICE_DISABLED (and StartValid FALSE) */
    BOOLEAN StartValid;
    BOOLEAN HasImagePath;
    BOOLEAN HasMatch;
    WCHAR ImagePath[CM_SERVICE_STRING_CHARS];   /* NUL-terminated, "" if absent */
    WCHAR Match[CM_SERVICE_STRING_CHARS];       /* NUL-terminated, "" if absent */
} CM_SERVICE_INFO, *PCM_SERVICE_INFO;
/* Start accepts Boot|System|Auto|Automatic|Demand|Manual|Disabled (any case)
 * or the numbers 0..4.  ServiceKeyPath is an absolute key path, or a bare
 * service name ("ahci") looked up under Services. */
NTSTATUS CmReadServiceInfo(PCUNICODE_STRING ServiceKeyPath, PCM_SERVICE_INFO Info);

/* "Boot", "System", ... for a SERVICE_*_START value ("?" otherwise). */
PCSTR CmServiceStartName(ULONG Start);

#endif /* NTSTOR_CFG_H */
