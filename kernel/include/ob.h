/* ob.h - kernel-internal interface of the object manager (kernel/ob/):
 * object types, creation, the namespace (directories, symbolic links,
 * lookups), enumeration for the shell, and the handle table.  The exported
 * half (references, lookups by name/handle) is include/wdm/ob.h.
 *
 * Namespace rules
 *  - Paths are absolute (start with '\'); components are separated by one
 *    '\'.  An empty component ("\\a\\\\b", trailing '\') or a NUL character
 *    in a name is STATUS_OBJECT_NAME_INVALID; a path not starting with '\'
 *    is STATUS_OBJECT_PATH_SYNTAX_BAD.  A component longer than
 *    OB_MAX_NAME_CHARS or a path (also after symbolic link substitution)
 *    longer than OB_MAX_PATH_CHARS is STATUS_NAME_TOO_LONG.
 *  - Names compare case-insensitively (NT's OBJ_CASE_INSENSITIVE is always on).
 *  - Any object may hold named children, not only directories: the I/O
 *    manager places \Device\Ahci0\Port0 under the device object \Device\Ahci0,
 *    and the configuration tree keeps subkeys under their key objects.
 *  - A named object holds a reference on its parent, so a parent never goes
 *    away before its children.
 *  - Symbolic links are followed wherever they appear in a path (the target
 *    replaces the consumed prefix and the walk restarts at the root).  After
 *    OB_MAX_REPARSE substitutions the lookup fails with
 *    STATUS_REPARSE_POINT_NOT_RESOLVED (link loops end there).  A link in the
 *    last component is not followed when OBJ_OPENLINK is given or the caller
 *    asks for type ObSymbolicLinkObjectType.
 *  - When a lookup reaches an object that has no child of the next name and
 *    whose type has a ParseProcedure, the rest of the path (with its leading
 *    '\') goes to that procedure, which returns the object it resolves.
 *
 * Locking: one spin lock (ObpLock, kernel/ob/obref.c) guards the namespace,
 * the counts and the handle table; ObReferenceObject and a dereference that
 * does not reach zero are single atomic instructions without it.  Creation,
 * lookups and handle operations at PASSIVE_LEVEL; ObReferenceObject and
 * ObDereferenceObject at IRQL <= DISPATCH_LEVEL (a DeleteProcedure runs at
 * the IRQL of the last ObDereferenceObject).  Type callbacks run without the
 * lock held, so they may call the object manager. */
#ifndef NTSTOR_OB_H
#define NTSTOR_OB_H

#include <wdm.h>
#include <wdm/ob.h>

#define OB_MAX_NAME_CHARS 255
#define OB_MAX_PATH_CHARS 1024
#define OB_MAX_REPARSE    32

/* ---- object types ---------------------------------------------------- */

/* Called when the last reference goes, before the memory is freed.  The
 * object is already out of the namespace. */
typedef VOID (*POB_DELETE_PROCEDURE)(PVOID Object);
/* Resolves RemainingName (e.g. "\Partition1", leading '\' included) below
 * Object.  On success *Result is a referenced object (may be Object itself
 * with an extra reference).  Context is the lookup caller's
 * (ObReferenceObjectByName passes NULL). */
typedef NTSTATUS (*POB_PARSE_PROCEDURE)(PVOID Object, PUNICODE_STRING RemainingName,
                                        PVOID Context, PVOID *Result);

typedef struct _OBJECT_TYPE_INITIALIZER {
    POB_DELETE_PROCEDURE DeleteProcedure;   /* optional */
    POB_PARSE_PROCEDURE ParseProcedure;     /* optional */
    ULONG PoolTag;                          /* tag of header+body allocations; 0 = 'ObjT' */
} OBJECT_TYPE_INITIALIZER, *POBJECT_TYPE_INITIALIZER;

/* Creates the type object \ObjectTypes\<TypeName> (permanent).
 * STATUS_OBJECT_NAME_COLLISION if the type exists. */
NTSTATUS ObCreateObjectType(PCWSTR TypeName, const OBJECT_TYPE_INITIALIZER *Init,
                            POBJECT_TYPE *Type);

/* Built-in types, valid after ObInitSystem. */
extern POBJECT_TYPE ObTypeObjectType;         /* "Type" */
extern POBJECT_TYPE ObDirectoryObjectType;    /* "Directory" */
extern POBJECT_TYPE ObSymbolicLinkObjectType; /* "SymbolicLink" */

/* Creates the root '\' and \Device, \Driver, \??, \ObjectTypes, \Registry.
 * Call once, after the pool is up.  Bug-checks OBJECT_INITIALIZATION_FAILED
 * if it cannot. */
VOID ObInitSystem(VOID);

/* ---- objects ---------------------------------------------------------- */

/* Allocates header + BodySize bytes of zeroed body and, when Name is not
 * NULL, inserts it as the last component of Name under its parent, which
 * must exist (STATUS_OBJECT_PATH_NOT_FOUND otherwise; symbolic links in the
 * parent part are followed).  Returns the object with one reference.
 * Attributes: OBJ_PERMANENT keeps it in the namespace after the last
 * reference; OBJ_OPENIF returns an existing object of the same Type
 * (referenced, STATUS_OBJECT_NAME_EXISTS, a success code) instead of
 * failing with STATUS_OBJECT_NAME_COLLISION.  An unnamed object lives
 * while it is referenced. */
NTSTATUS ObCreateObject(POBJECT_TYPE Type, PCUNICODE_STRING Name, ULONG Attributes,
                        ULONG BodySize, PVOID *Object);

/* Permanent directory object; OBJ_OPENIF semantics are NOT applied: an
 * existing name is STATUS_OBJECT_NAME_COLLISION.  *Dir (optional) receives a
 * referenced pointer. */
NTSTATUS ObCreateDirectoryObject(PCUNICODE_STRING Path, PVOID *Dir);

/* Permanent symbolic link Link -> Target (Target is copied, need not exist
 * yet).  Delete: reference it by name with OBJ_OPENLINK,
 * ObMakeTemporaryObject, ObDereferenceObject. */
NTSTATUS ObCreateSymbolicLink(PCUNICODE_STRING Link, PCUNICODE_STRING Target);

/* Lookup below Root (an object) of a path relative to it ("a\b", no leading
 * '\'); Root NULL means the namespace root.  Same rules as
 * ObReferenceObjectByName. */
NTSTATUS ObReferenceObjectRelative(PVOID Root, PCUNICODE_STRING RelativePath,
                                   ULONG Attributes, POBJECT_TYPE Type, PVOID *Object);

/* For the I/O manager's file opens.  Walks Path as far as the namespace
 * goes (following symbolic links, calling no parse procedure) and returns
 * the deepest object reached, referenced, in *Object.  The components not
 * consumed are copied (with their leading '\', no terminator) into
 * RemainingPath's caller-supplied buffer (Buffer, MaximumLength); Length 0
 * means the whole path named *Object.  A symbolic link as the last
 * component is followed.  Errors: the path syntax/length errors above,
 * STATUS_REPARSE_POINT_NOT_RESOLVED, STATUS_BUFFER_TOO_SMALL (remainder does
 * not fit; nothing is referenced).  RemainingPath may be NULL: then a
 * non-empty remainder is ObNotFoundStatus's error. */
NTSTATUS ObLookupObjectForOpen(PCUNICODE_STRING Path, PVOID *Object,
                               PUNICODE_STRING RemainingPath);

/* The status for a lookup that stopped with Remaining (leading '\') left:
 * STATUS_OBJECT_NAME_NOT_FOUND if only the last component is missing,
 * STATUS_OBJECT_PATH_NOT_FOUND if a directory on the way is. */
NTSTATUS ObNotFoundStatus(PCUNICODE_STRING Remaining);

/* ---- enumeration and accessors (shell: ls) ---------------------------- */

/* Calls Callback for each child of Object in name order.  Each child is
 * referenced during its callback, so the callback may use the object
 * manager.  Return FALSE from Callback to stop. */
typedef BOOLEAN (*POB_ENUM_CALLBACK)(PCUNICODE_STRING Name, PVOID Object, PVOID Context);
NTSTATUS ObEnumerateDirectory(PVOID Object, POB_ENUM_CALLBACK Callback, PVOID Context);

/* Valid while the caller holds a reference.  Unnamed: an empty string. */
PCUNICODE_STRING ObGetObjectName(PVOID Object);
POBJECT_TYPE ObGetObjectType(PVOID Object);
PCUNICODE_STRING ObGetObjectTypeName(PVOID Object);
/* Name of a type object (ObGetObjectTypeName(x) == ObGetTypeName(ObGetObjectType(x))). */
PCUNICODE_STRING ObGetTypeName(POBJECT_TYPE Type);
LONG ObGetReferenceCount(PVOID Object);
LONG ObGetHandleCount(PVOID Object);
BOOLEAN ObIsPermanentObject(PVOID Object);
/* Parent object (not referenced) or NULL for the root and unnamed objects. */
PVOID ObGetParentObject(PVOID Object);
/* Target of a symbolic link object, NULL for other types. */
PCUNICODE_STRING ObQuerySymbolicLinkTarget(PVOID LinkObject);
/* Full path of a named object into Path's caller-supplied buffer (Buffer,
 * MaximumLength; NUL-terminated when room is left).  STATUS_BUFFER_TOO_SMALL
 * with Path->Length set to the bytes needed; an unnamed object yields "". */
NTSTATUS ObQueryNameString(PVOID Object, PUNICODE_STRING Path);

/* ---- the kernel's short forms of the exported lookups --------------------
 * (the WDK-signature versions in include/wdm/ob.h call these) */

/* Absolute Path, symbolic links followed; Type NULL accepts any type. */
NTSTATUS ObpReferenceObjectByName(PCUNICODE_STRING Path, ULONG Attributes, POBJECT_TYPE Type,
                                  PVOID *Object);
NTSTATUS ObpReferenceObjectByHandle(HANDLE Handle, POBJECT_TYPE Type, PVOID *Object);
NTSTATUS ObpCloseHandle(HANDLE Handle);

/* ---- handles ---------------------------------------------------------- */

/* Handles are small multiples of 4 (never NULL).  The table grows as
 * needed (STATUS_INSUFFICIENT_RESOURCES when it cannot). */
NTSTATUS ObInsertHandle(PVOID Object, PHANDLE Handle);
/* ObReferenceObjectByName + ObInsertHandle + dereference. */
NTSTATUS ObOpenObjectByName(PCUNICODE_STRING Path, ULONG Attributes, POBJECT_TYPE Type,
                            PHANDLE Handle);
/* Number of open handles (shell/leak checks). */
ULONG ObQueryHandleCount(VOID);

#endif /* NTSTOR_OB_H */
