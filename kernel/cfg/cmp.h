/* cmp.h - private to kernel/cfg/: key bodies and values.
 *
 * Keys are "Key" objects in the object namespace; their subkeys are their
 * named children there, their values a singly linked list in the body.
 * Locking: CmpLock (a fast mutex, cmkey.c) guards every key's value list:
 * values are written by CmInitSystem, CmSetValue and ZwSetValueKey and read
 * by the query routines, all at PASSIVE_LEVEL, now from several threads
 * (drivers' DriverEntry, work items, the shell).  Interrupts and DPCs never
 * touch the configuration. */
#ifndef NTSTOR_CMP_H
#define NTSTOR_CMP_H

#include <cfg.h>

#define CM_TAG_KEY   NTSTOR_TAG('C', 'm', 'K', 'y')
#define CM_TAG_VALUE NTSTOR_TAG('C', 'm', 'V', 'l')
#define CM_TAG_PATH  NTSTOR_TAG('C', 'm', 'P', 't')

typedef struct _CM_KEY_VALUE {
    struct _CM_KEY_VALUE *Next;
    ULONG Type;                 /* REG_* */
    ULONG64 Number;             /* REG_DWORD, REG_QWORD */
    UNICODE_STRING Name;        /* both buffers follow the structure, */
    UNICODE_STRING String;      /* REG_SZ/EXPAND_SZ: the text, NUL-terminated;
                                   other types: the raw data bytes */
} CM_KEY_VALUE, *PCM_KEY_VALUE;

/* Zeroed at creation = a key without values. */
typedef struct _CM_KEY_BODY {
    PCM_KEY_VALUE FirstValue;
    ULONG ValueCount;
} CM_KEY_BODY, *PCM_KEY_BODY;

/* The value lock (fast mutex: IRQL <= APC_LEVEL, not recursive). */
VOID CmpLockValues(VOID);
VOID CmpUnlockValues(VOID);

/* Creates the Key type once (CmInitSystem, or first use in tests). */
NTSTATUS CmpInitKeyType(VOID);
PCM_KEY_VALUE CmpFindValue(PCM_KEY_BODY Key, PCUNICODE_STRING Name);
/* Sets a value from NT-style data (ZwSetValueKey's rules, wdm/cm.h). */
NTSTATUS CmpSetValueRaw(PCM_KEY_BODY Key, PCUNICODE_STRING Name, ULONG Type, const VOID *Data,
                        ULONG DataBytes);
/* A value's data as ZwQueryValueKey returns it (REG_SZ with its NUL). */
VOID CmpValueData(const CM_KEY_VALUE *V, const VOID **Data, ULONG *Bytes);
/* Handle -> referenced key object. */
NTSTATUS CmpReferenceKey(HANDLE Key, PCM_KEY_BODY *Body);

#endif
