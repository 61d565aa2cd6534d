/* ntstor_busid.h - for bus drivers answering IRP_MN_QUERY_ID on their PDOs:
 * a list of IDs built as ASCII and handed back as the pool REG_MULTI_SZ the
 * IRP returns, and the characters a device's strings may put into an ID.
 * Used by ahci, usbstor, usbxhci and the kernel's PCI and legacy bus PDOs.
 * Not an NT interface: NT bus drivers each write these themselves; ntstor
 * keeps one copy here.
 *
 * Called at PASSIVE_LEVEL (IRP_MN_QUERY_ID is a PnP IRP; the answer comes
 * from pool).  Nothing here takes a lock: the list lives on the caller's
 * stack, and the strings a caller passes in (INQUIRY or IDENTIFY names, a
 * serial number) are its own, set before the PDO was reported; a caller
 * whose strings can change holds its own lock around the call. */
#ifndef NTSTOR_BUSID_H
#define NTSTOR_BUSID_H

#include <stdarg.h>
#include <wdm.h>

/* Room for one answer, the terminating empty string included.  The longest
 * answers ntstor gives, a PCI function's hardware IDs and usbstor's instance
 * ID with a 63-byte serial number, need at most 106 and 80. */
#define NTSTOR_ID_LIST_BYTES 256

/* IDs collected as "a\0b\0" in Text; Length bytes are used. */
typedef struct _NTSTOR_ID_LIST {
    ULONG Length;
    BOOLEAN Overflow;               /* an ID did not fit: the answer fails */
    CHAR Text[NTSTOR_ID_LIST_BYTES];
} NTSTOR_ID_LIST, *PNTSTOR_ID_LIST;

static inline VOID NtstorIdListInit(PNTSTOR_ID_LIST List)
{
    List->Length = 0;
    List->Overflow = FALSE;
}

/* Appends one ID, formatted as RtlStringCbPrintfA does.  One byte stays
 * free for the list's terminating empty string.  An ID cut short would name
 * another device, so one that does not fit marks the list instead. */
static inline VOID __attribute__((format(printf, 2, 3)))
NtstorIdListAdd(PNTSTOR_ID_LIST List, PCSTR Format, ...)
{
    ULONG room = NTSTOR_ID_LIST_BYTES - 1 - List->Length;
    PCHAR id = List->Text + List->Length;
    va_list ap;
    NTSTATUS status;

    if (List->Overflow || room < 2) {
        List->Overflow = TRUE;
        return;
    }
    va_start(ap, Format);
    status = RtlStringCbVPrintfA(id, room, Format, ap);
    va_end(ap);
    if (!NT_SUCCESS(status)) {
        List->Overflow = TRUE;
        return;
    }
    while (*id)
        id++;
    List->Length = (ULONG)(id - List->Text) + 1;
}

/* Ascii, Bytes long (its NULs included), widened byte by byte into a pool
 * block (Tag): a REG_MULTI_SZ when Ascii is "a\0b\0\0".  IDs are ASCII, so
 * widening is the whole conversion.  Paged pool, as the WDK asks of
 * IRP_MN_QUERY_ID's answer (the PnP manager frees it); ntstor's pool is
 * nonpaged anyway.  NULL without memory. */
static inline PWCHAR NtstorMultiSzFromAscii(PCSTR Ascii, SIZE_T Bytes, ULONG Tag)
{
    PWCHAR w = ExAllocatePoolWithTag(PagedPool, Bytes * sizeof(WCHAR), Tag);

    if (w)
        for (SIZE_T i = 0; i < Bytes; i++)
            w[i] = (WCHAR)(UCHAR)Ascii[i];
    return w;
}

/* Ends the list with its empty string and hands it back as the IRP's
 * answer: a pool REG_MULTI_SZ (Tag) in *Information, the IRP's
 * IoStatus.Information.  STATUS_INSUFFICIENT_RESOURCES without memory,
 * STATUS_BUFFER_OVERFLOW if an ID did not fit; *Information is then
 * untouched. */
static inline NTSTATUS NtstorIdListFinish(PNTSTOR_ID_LIST List, ULONG Tag, PULONG_PTR Information)
{
    PWCHAR w;

    if (List->Overflow)
        return STATUS_BUFFER_OVERFLOW;
    List->Text[List->Length++] = 0;
    w = NtstorMultiSzFromAscii(List->Text, List->Length, Tag);
    if (!w)
        return STATUS_INSUFFICIENT_RESOURCES;
    *Information = (ULONG_PTR)w;
    return STATUS_SUCCESS;
}

/* A character of a device's string as it may appear in a device or instance
 * ID: NT allows no blank, control or non-ASCII character and no ',' (the
 * ID-list separator); '\' would split the instance path and '"' end the
 * quoted IDs `devices` prints.  Each becomes '_', as blanks do in SCSI IDs.
 * A WCHAR, so a USB string descriptor's characters are judged whole; a CHAR
 * above 0x7F widens to above 0x7F too. */
static inline CHAR NtstorIdChar(WCHAR c)
{
    return (c > ' ' && c < 0x7F && c != ',' && c != '\\' && c != '"') ? (CHAR)c : '_';
}

/* An ID piece from a device's string: at most Max bytes of Src (to its NUL),
 * each made ID-safe, padded with '_' to Max when Pad says so (the fixed-width
 * fields of SCSI hardware IDs).  Out holds Max + 1 bytes. */
static inline VOID NtstorIdPiece(PCHAR Out, PCSTR Src, ULONG Max, BOOLEAN Pad)
{
    ULONG i = 0;

    for (; i < Max && Src[i]; i++)
        Out[i] = NtstorIdChar(Src[i]);
    while (Pad && i < Max)
        Out[i++] = '_';
    Out[i] = 0;
}

#endif /* NTSTOR_BUSID_H */
