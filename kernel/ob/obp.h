/* obp.h - private to kernel/ob/: the object header, the type body, the
 * namespace lock and the helpers the ob files share. */
#ifndef NTSTOR_OBP_H
#define NTSTOR_OBP_H

#include <wdm.h>
#include <ob.h>

#define OBP_HEADER_MAGIC  NTSTOR_TAG('O', 'b', 'H', 'd')
#define OBP_TAG_DEFAULT   NTSTOR_TAG('O', 'b', 'j', 'T')
#define OBP_TAG_NAME      NTSTOR_TAG('O', 'b', 'N', 'm')   /* header names */
#define OBP_TAG_LOOKUP    NTSTOR_TAG('O', 'b', 'L', 'k')   /* reparsed paths */
#define OBP_TAG_LINK      NTSTOR_TAG('O', 'b', 'S', 'l')   /* link targets */
#define OBP_TAG_HANDLES   NTSTOR_TAG('O', 'b', 'H', 't')   /* handle table */

#define OBP_FLAG_PERMANENT 0x1

/* Precedes every object body (16-byte aligned so bodies are too).
 * Counts, Flags, Parent, SiblingLink and Children are guarded by ObpLock. */
typedef struct _OBJECT_HEADER {
    ULONG Magic;
    ULONG Flags;
    LONG PointerCount;              /* includes one per handle */
    LONG HandleCount;
    POBJECT_TYPE Type;
    ULONG PoolTag;                  /* tag of this allocation */
    UNICODE_STRING Name;            /* OBP_TAG_NAME buffer; empty if unnamed */
    struct _OBJECT_HEADER *Parent;  /* holds a reference; NULL for root/unnamed */
    LIST_ENTRY SiblingLink;         /* in Parent->Children, in name order */
    LIST_ENTRY Children;
} __attribute__((aligned(16))) OBJECT_HEADER, *POBJECT_HEADER;

/* Body of a type object. */
struct _OBJECT_TYPE {
    PCUNICODE_STRING Name;          /* the type object's own header name */
    OBJECT_TYPE_INITIALIZER Init;
};

/* Body of a symbolic link. */
typedef struct _OBP_SYMBOLIC_LINK {
    UNICODE_STRING Target;          /* OBP_TAG_LINK buffer */
} OBP_SYMBOLIC_LINK, *POBP_SYMBOLIC_LINK;

static inline POBJECT_HEADER ObpHeader(PVOID Object)
{
    return (POBJECT_HEADER)Object - 1;
}
static inline PVOID ObpBody(POBJECT_HEADER Header)
{
    return Header + 1;
}

/* Checks the header magic; bug-checks REFERENCE_BY_POINTER on a pointer
 * that is not an object body (or a freed one). */
POBJECT_HEADER ObpCheckedHeader(PVOID Object);

/* The one lock of the object manager (obref.c). */
extern KSPIN_LOCK ObpLock;
/* "Caller holds ObpLock", checked (one CPU: a lock not free is ours). */
#define OBP_ASSERT_LOCKED() ASSERT(!KeTestSpinLock(&ObpLock))
extern POBJECT_HEADER ObpRoot;

/* obcreate.c: allocate header+body (PointerCount 1, not in the namespace). */
NTSTATUS ObpAllocateObject(POBJECT_TYPE Type, ULONG BodySize, POBJECT_HEADER *Header);
/* Frees an object that was never inserted (PointerCount must be 1). */
VOID ObpFreeUninsertedObject(POBJECT_HEADER Header);
/* Inserts an allocated object as Path (absolute).  On failure the object is
 * untouched (caller frees it).  *Existing receives a referenced existing
 * object when OBJ_OPENIF applies (status STATUS_OBJECT_NAME_EXISTS). */
NTSTATUS ObpInsertObject(POBJECT_HEADER Header, PCUNICODE_STRING Path, ULONG Attributes,
                         PVOID *Existing);

/* oblookup.c */
NTSTATUS ObpValidatePath(PCUNICODE_STRING Path, BOOLEAN Absolute);
/* Child of Parent named Name, or NULL.  Caller holds ObpLock. */
POBJECT_HEADER ObpFindChild(POBJECT_HEADER Parent, PCUNICODE_STRING Name);

/* Lookup result: the deepest object reached (referenced) and the part of
 * the path not consumed (leading '\' included, points into Buffer or into
 * the caller's path).  ObpReleaseLookup frees Buffer. */
typedef struct _OBP_LOOKUP {
    POBJECT_HEADER Object;
    UNICODE_STRING Remaining;
    PWCHAR Buffer;                  /* OBP_TAG_LOOKUP, after a reparse */
} OBP_LOOKUP;
#define OBP_LOOKUP_OPENLINK 0x1     /* do not follow a link in the last component */
NTSTATUS ObpLookup(POBJECT_HEADER Root, PCUNICODE_STRING Path, ULONG Flags, OBP_LOOKUP *Result);
VOID ObpReleaseLookup(OBP_LOOKUP *Result);

/* obdir.c: name-ordered insertion.  Caller holds ObpLock. */
VOID ObpLinkChild(POBJECT_HEADER Parent, POBJECT_HEADER Child);

/* oblink.c: the SymbolicLink type's DeleteProcedure. */
VOID ObpDeleteSymbolicLink(PVOID Object);

#endif
