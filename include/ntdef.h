/* ntdef.h - NT base types, strings and lists: the vocabulary every driver and
 * the kernel share.  Shapes follow the WDK's ntdef.h; only what ntstor uses.
 *
 * Strings: WCHAR is 16 bits as in NT.  Everything is built with
 * -fshort-wchar, so L"..." is 16-bit as in the WDK and both
 * RTL_CONSTANT_STRING(L"\\Device\\Ahci0") and u"..." (C11 char16_t, the
 * same unsigned short) work.
 */
#ifndef NTSTOR_NTDEF_H
#define NTSTOR_NTDEF_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef void VOID, *PVOID;
typedef char CHAR, *PCHAR;
typedef uint8_t UCHAR, *PUCHAR;
typedef int16_t SHORT, *PSHORT;
typedef uint16_t USHORT, *PUSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
/* 64-bit integers are long long, as in NT, so %llu/%llx print them. */
typedef long long LONGLONG, LONG64, *PLONGLONG;
typedef unsigned long long ULONGLONG, ULONG64, *PULONGLONG, *PULONG64;
typedef uint32_t ULONG32, *PULONG32;
typedef int32_t INT;
typedef uint32_t UINT;
/* Pointer-sized integers are the C library's (unsigned long): %zu, %lx. */
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef intptr_t LONG_PTR;
typedef uint8_t BOOLEAN, *PBOOLEAN;
typedef uint16_t WCHAR, *PWCHAR, *PWSTR;
/* L"..." must mean what it means in the WDK (Makefile: -fshort-wchar). */
_Static_assert(__SIZEOF_WCHAR_T__ == 2, "build with -fshort-wchar");
typedef const uint16_t *PCWSTR;
typedef char *PSTR;
typedef const char *PCSTR;
typedef void *HANDLE, **PHANDLE;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef ULONG ACCESS_MASK;
typedef uint8_t KIRQL, *PKIRQL;
typedef int8_t CCHAR;
typedef ULONG LOGICAL;

#define TRUE 1
#define FALSE 0
#ifndef NULL
#define NULL ((void *)0)
#endif

#define IN
#define OUT
#define OPTIONAL
#define _In_
#define _Out_
#define _Inout_
#define _In_opt_
#define NTAPI
#define FORCEINLINE static inline __attribute__((always_inline))
#define UNREFERENCED_PARAMETER(p) ((void)(p))

#define NT_SUCCESS(s) (((NTSTATUS)(s)) >= 0)
#define NT_ERROR(s) ((((ULONG)(s)) >> 30) == 3)

typedef union _LARGE_INTEGER {
    struct { ULONG LowPart; LONG HighPart; };
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _UNICODE_STRING {
    USHORT Length;          /* bytes, not counting a terminator */
    USHORT MaximumLength;   /* bytes of Buffer */
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

#define RTL_CONSTANT_STRING(s) \
    { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (PWSTR)(s) }

typedef struct _ANSI_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} ANSI_STRING, *PANSI_STRING;

/* Doubly linked list with a sentinel head, as NT's LIST_ENTRY. */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

#define CONTAINING_RECORD(address, type, field) \
    ((type *)((char *)(address) - offsetof(type, field)))
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define ALIGN_UP_BY(x, a) (((ULONG_PTR)(x) + ((a) - 1)) & ~((ULONG_PTR)(a) - 1))
#define ALIGN_DOWN_BY(x, a) ((ULONG_PTR)(x) & ~((ULONG_PTR)(a) - 1))

FORCEINLINE VOID InitializeListHead(PLIST_ENTRY Head)
{
    Head->Flink = Head->Blink = Head;
}

FORCEINLINE BOOLEAN IsListEmpty(const LIST_ENTRY *Head)
{
    return Head->Flink == Head;
}

FORCEINLINE BOOLEAN RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = Entry->Flink, Blink = Entry->Blink;
    Blink->Flink = Flink;
    Flink->Blink = Blink;
    Entry->Flink = Entry->Blink = Entry;
    return Flink == Blink;
}

FORCEINLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY Head)
{
    PLIST_ENTRY Entry = Head->Flink;
    RemoveEntryList(Entry);
    return Entry;
}

FORCEINLINE PLIST_ENTRY RemoveTailList(PLIST_ENTRY Head)
{
    PLIST_ENTRY Entry = Head->Blink;
    RemoveEntryList(Entry);
    return Entry;
}

FORCEINLINE VOID InsertTailList(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = Head->Blink;
    Entry->Flink = Head;
    Entry->Blink = Blink;
    Blink->Flink = Entry;
    Head->Blink = Entry;
}

FORCEINLINE VOID InsertHeadList(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = Head->Flink;
    Entry->Flink = Flink;
    Entry->Blink = Head;
    Flink->Blink = Entry;
    Head->Flink = Entry;
}

#endif /* NTSTOR_NTDEF_H */
