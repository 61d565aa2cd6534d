/* cmp.h - private to kernel/cfg/: key bodies and values.
 *
 * Keys are "Key" objects in the object namespace; their subkeys are their
 * named children there, their values a singly linked list in the body.
 * Locking: values are written only by CmInitSystem and CmSetValue and read
 * by the query routines, all at PASSIVE_LEVEL in ntstor's single thread of
 * control (interrupts and DPCs never touch the configuration), so the list
 * needs no lock; keep it that way or add one here. */
#ifndef NTSTOR_CMP_H
#define NTSTOR_CMP_H

#include <cfg.h>

#define CM_TAG_KEY   NTSTOR_TAG('C', 'm', 'K', 'y')
#define CM_TAG_VALUE NTSTOR_TAG('C', 'm', 'V', 'l')
#define CM_TAG_PATH  NTSTOR_TAG('C', 'm', 'P', 't')

typedef struct _CM_KEY_VALUE {
    struct _CM_KEY_VALUE *Next;
    ULONG Type;                 /* REG_SZ, REG_DWORD, REG_QWORD */
    ULONG64 Number;
    UNICODE_STRING Name;        /* both buffers follow the structure, */
    UNICODE_STRING String;      /* NUL-terminated */
} CM_KEY_VALUE, *PCM_KEY_VALUE;

/* Zeroed at creation = a key without values. */
typedef struct _CM_KEY_BODY {
    PCM_KEY_VALUE FirstValue;
    ULONG ValueCount;
} CM_KEY_BODY, *PCM_KEY_BODY;

/* Creates the Key type once (CmInitSystem, or first use in tests). */
NTSTATUS CmpInitKeyType(VOID);
PCM_KEY_VALUE CmpFindValue(PCM_KEY_BODY Key, PCUNICODE_STRING Name);
/* Handle -> referenced key object. */
NTSTATUS CmpReferenceKey(HANDLE Key, PCM_KEY_BODY *Body);

#endif
