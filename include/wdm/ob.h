/* wdm/ob.h - object manager services exported to drivers (kernel/ob/):
 * reference counting and lookups of named objects.  The kernel-internal
 * half (creation, types, directories, links, handles) is kernel/include/ob.h.
 *
 * Every object (driver, device, file, directory, symbolic link, key) has a
 * header before its body holding the type, the name, the parent and two
 * counts: pointer references and handles (each handle also holds one
 * pointer reference).  Names are case-insensitive, as in NT. */
#ifndef NTSTOR_WDM_OB_H
#define NTSTOR_WDM_OB_H

#include <ntdef.h>
#include <wdm/ke.h>

typedef struct _OBJECT_TYPE OBJECT_TYPE, *POBJECT_TYPE;

/* Attributes (NT's OBJ_* values). */
#define OBJ_PERMANENT        0x00000010L   /* stays in the namespace with no references */
#define OBJ_CASE_INSENSITIVE 0x00000040L   /* accepted; lookups are always case-insensitive */
#define OBJ_OPENIF           0x00000080L   /* create: return the existing object of the same type */
#define OBJ_OPENLINK         0x00000100L   /* lookup: do not follow a symbolic link in the last component */

#define OBJ_KERNEL_HANDLE    0x00000200L   /* accepted; every handle is a kernel handle */

/* NT's object attributes, accepted where the WDK's signatures take them
 * (PsCreateSystemThread); only Attributes is looked at. */
typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
    do {                                          \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);  \
        (p)->RootDirectory = (r);                 \
        (p)->Attributes = (a);                    \
        (p)->ObjectName = (n);                    \
        (p)->SecurityDescriptor = (s);            \
        (p)->SecurityQualityOfService = NULL;     \
    } while (0)

/* One more pointer reference; the object must already be referenced. */
VOID ObReferenceObject(PVOID Object);
/* Drops a reference.  The last reference of a temporary object removes it
 * from its directory, calls its type's DeleteProcedure and frees it; a
 * permanent object stays in the namespace.  Bug-checks REFERENCE_BY_POINTER
 * if the count would go below zero.  At IRQL <= DISPATCH_LEVEL. */
VOID ObDereferenceObject(PVOID Object);
#define ObDereferenceObjectDeferDelete ObDereferenceObject

/* What the WDK's signatures take and ntstor does not check: every caller
 * is kernel code, so access is always granted. */
typedef struct _ACCESS_STATE *PACCESS_STATE;
typedef struct _OBJECT_HANDLE_INFORMATION {
    ULONG HandleAttributes;     /* OBJ_KERNEL_HANDLE */
    ACCESS_MASK GrantedAccess;  /* the DesiredAccess asked for */
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

/* The WDK's signature.  ObjectName is an absolute path (e.g.
 * \Device\Harddisk0\DR0), symbolic links followed; ObjectType NULL
 * accepts any type.  Returns a referenced object in *Object.  AccessState,
 * DesiredAccess, AccessMode and ParseContext are accepted and not used.
 * Errors: STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND,
 * STATUS_OBJECT_TYPE_MISMATCH, the path syntax errors (kernel/include/ob.h).
 * PASSIVE_LEVEL. */
NTSTATUS ObReferenceObjectByName(PUNICODE_STRING ObjectName, ULONG Attributes, PACCESS_STATE AccessState,
                                 ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                 KPROCESSOR_MODE AccessMode, PVOID ParseContext, PVOID *Object);
/* The WDK's signature.  Handle from ZwOpenKey, PsCreateSystemThread and
 * the like; ObjectType NULL accepts any type.  HandleInformation
 * (optional) gets OBJ_KERNEL_HANDLE and DesiredAccess.
 * STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH.  IRQL <= DISPATCH_LEVEL. */
NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                   KPROCESSOR_MODE AccessMode, PVOID *Object,
                                   POBJECT_HANDLE_INFORMATION HandleInformation);
/* Closes a handle, dropping its reference (the WDK's signature;
 * PreviousMode must be KernelMode).  STATUS_INVALID_HANDLE if it is not open. */
NTSTATUS ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode);
/* NT's name for closing a kernel handle. */
NTSTATUS ZwClose(HANDLE Handle);
/* Creates the permanent directory Path (its parent must exist), e.g. a
 * disk class driver's \Device\Harddisk<n>.  An existing name is
 * STATUS_OBJECT_NAME_COLLISION.  *Dir (optional) receives a referenced
 * pointer.  Delete: ObMakeTemporaryObject, then drop the reference
 * (ObReferenceObjectByName to get one).  PASSIVE_LEVEL. */
NTSTATUS ObCreateDirectoryObject(PCUNICODE_STRING Path, PVOID *Dir);
/* Clears OBJ_PERMANENT; with no references left the object goes now.
 * Delete a permanent object: ObMakeTemporaryObject, then drop your reference. */
VOID ObMakeTemporaryObject(PVOID Object);

#endif /* NTSTOR_WDM_OB_H */
