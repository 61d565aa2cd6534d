/* bounce.c - bounce buffers for an HBA that cannot reach above 4 GiB
 * (CAP.S64A clear, AHCI 3.1.1; or Parameters\Force32BitDma = 1, which makes
 * the driver treat the HBA so: quirk no-64bit).
 *
 * Each port gets one physically contiguous block below 4 GiB at start,
 * AHCI_BOUNCE_SLOT_BYTES per command slot, and the port's maximum transfer
 * is cut to that size (the disk class driver splits by GET_INFO's
 * MaxTransferBytes).  A command whose data has any page above 4 GiB is
 * carried whole through its slot's part of the block: one PRD entry, the
 * data copied there before a write is issued and back after a read
 * completes.  A slot holds one command at a time, so no two commands share
 * bounce memory, nothing is serialised and nothing is allocated per request.
 *
 * The copy back after a read happens when the slot completes
 * (AhciCompleteSlot calls AhciBounceFinish under the port lock), before the
 * slot is free again: a later command can never overwrite data that has
 * not reached its owner, and the IRP's completion needs to know nothing. */
#include "ahcip.h"

/* One slot's part of the block and the bounced command using it, if any.
 * Touched with the port lock held. */
typedef struct _AHCI_BOUNCE_SLOT {
    PUCHAR Va;
    ULONG64 Pa;
    PUCHAR Client;              /* the command's own buffer; NULL: not bounced */
    ULONG Bytes;
    BOOLEAN In;                 /* a read: copy back at completion */
} AHCI_BOUNCE_SLOT, *PAHCI_BOUNCE_SLOT;

struct _AHCI_BOUNCE {
    PAHCI_PORT Port;
    PUCHAR Block;
    ULONG64 BlockPa;
    ULONG64 Commands;           /* commands carried through the block */
    AHCI_BOUNCE_SLOT Slots[AHCI_MAX_SLOTS];
};

NTSTATUS AhciBounceAllocate(PAHCI_PORT Port)
{
    PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high = { .QuadPart = 0xFFFFFFFFll };
    PHYSICAL_ADDRESS boundary = { .QuadPart = 0 };
    PAHCI_BOUNCE b;

    if (Port->Bounce)
        return STATUS_SUCCESS;
    b = ExAllocatePoolZero(NonPagedPool, sizeof(*b), AHCI_TAG);
    if (!b)
        return STATUS_INSUFFICIENT_RESOURCES;
    b->Block = MmAllocateContiguousMemorySpecifyCache(AHCI_BOUNCE_BYTES, low, high, boundary,
                                                      MmCached);
    if (!b->Block) {
        ExFreePoolWithTag(b, AHCI_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    b->BlockPa = (ULONG64)MmGetPhysicalAddress(b->Block).QuadPart;
    b->Port = Port;
    for (ULONG s = 0; s < AHCI_MAX_SLOTS; s++) {
        b->Slots[s].Va = b->Block + (SIZE_T)s * AHCI_BOUNCE_SLOT_BYTES;
        b->Slots[s].Pa = b->BlockPa + (ULONG64)s * AHCI_BOUNCE_SLOT_BYTES;
    }
    Port->Bounce = b;
    DbgPrint("ahci%u: port %u: bounce buffers: %u KiB below 4 GiB at pa 0x%llx, %u KiB per slot "
             "(max transfer cut to that)\n", Port->Controller->Number, Port->Index,
             AHCI_BOUNCE_BYTES / 1024, (unsigned long long)b->BlockPa,
             AHCI_BOUNCE_SLOT_BYTES / 1024);
    return STATUS_SUCCESS;
}

VOID AhciBounceFree(PAHCI_PORT Port)
{
    PAHCI_BOUNCE b = Port->Bounce;

    if (!b)
        return;
    Port->Bounce = NULL;
    MmFreeContiguousMemory(b->Block);
    ExFreePoolWithTag(b, AHCI_TAG);
}

ULONG64 AhciBounceCount(PAHCI_PORT Port)
{
    return Port->Bounce ? Port->Bounce->Commands : 0;
}

/* TRUE when some byte of [Buffer, Buffer+Bytes) lies at or above 4 GiB
 * (*FirstHigh = its physical address).  The MDL's page numbers when there
 * is one (io.c has checked nothing yet, so the range is checked here). */
static BOOLEAN AhciBufferAbove4G(PIRP Irp, PVOID Buffer, ULONG Bytes, ULONG64 Limit,
                                 PULONG64 FirstHigh)
{
    ULONG left = Bytes;

    if (Irp && Irp->MdlAddress) {
        PMDL mdl = Irp->MdlAddress;
        PUCHAR va = MmGetMdlVirtualAddress(mdl);
        if ((PUCHAR)Buffer < va || (ULONG_PTR)((PUCHAR)Buffer - va) + Bytes > MmGetMdlByteCount(mdl))
            return FALSE;       /* io.c refuses it with its own message */
        ULONG first = (ULONG)(MmGetMdlByteOffset(mdl) + ((PUCHAR)Buffer - va));
        PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl) + (first >> PAGE_SHIFT);
        ULONG pageOff = first & (PAGE_SIZE - 1);
        while (left) {
            ULONG chunk = PAGE_SIZE - pageOff;
            ULONG64 pa = ((ULONG64)*pfn++ << PAGE_SHIFT) + pageOff;
            if (chunk > left)
                chunk = left;
            if (pa + chunk > Limit) {
                *FirstHigh = pa;
                return TRUE;
            }
            left -= chunk;
            pageOff = 0;
        }
        return FALSE;
    }
    PUCHAR va = Buffer;
    while (left) {
        ULONG chunk = PAGE_SIZE - BYTE_OFFSET(va);
        ULONG64 pa = (ULONG64)MmGetPhysicalAddress(va).QuadPart;
        if (chunk > left)
            chunk = left;
        if (pa + chunk > Limit) {
            *FirstHigh = pa;
            return TRUE;
        }
        va += chunk;
        left -= chunk;
    }
    return FALSE;
}

/* Lock held, from AhciCompleteSlot: slot S's command is done; Length bytes
 * arrived (0 when it failed).  A bounced read's data goes to its owner now,
 * before the slot can be reused. */
VOID AhciBounceFinish(PAHCI_PORT Port, ULONG S, ULONG Length)
{
    PAHCI_BOUNCE b = Port->Bounce;
    PAHCI_BOUNCE_SLOT bs;

    AHCI_ASSERT_LOCKED(Port);

    if (!b || S >= AHCI_MAX_SLOTS || !(bs = &b->Slots[S])->Client)
        return;
    if (bs->In && Length)
        RtlCopyMemory(bs->Client, bs->Va, Length < bs->Bytes ? Length : bs->Bytes);
    bs->Client = NULL;
}

BOOLEAN AhciBounceBuild(PAHCI_PORT Port, ULONG S, const SATL_ATA_COMMAND *Ata, PIRP Irp,
                        PVOID Buffer, PULONG Prds)
{
    PAHCI_BOUNCE b = Port->Bounce;
    ULONG bytes = Ata->TransferBytes;
    ULONG64 high = 0;
    BOOLEAN in = !SatlIsWrite(Ata);
    PCSTR why = NULL;

    AHCI_ASSERT_LOCKED(Port);

    if (!bytes || !Buffer || !AhciBufferAbove4G(Irp, Buffer, bytes, Port->DmaLimit, &high))
        return FALSE;
    if (!b)
        why = "no bounce buffer";
    else if (bytes > AHCI_BOUNCE_SLOT_BYTES || S >= AHCI_MAX_SLOTS)
        why = "larger than a slot's bounce buffer";
    if (why) {
        DbgPrint("ahci%u: port %u: %u bytes at pa 0x%llx above 4 GiB cannot be bounced (%s)\n",
                 Port->Controller->Number, Port->Index, bytes, (unsigned long long)high, why);
        return FALSE;
    }

    /* A retry of the same command finds its slot still set up: a write's
     * data is copied again (cheap), a read's copy back still waits. */
    PAHCI_BOUNCE_SLOT bs = &b->Slots[S];
    bs->Client = Buffer;
    bs->Bytes = bytes;
    bs->In = in;
    if (!in)
        RtlCopyMemory(bs->Va, Buffer, bytes);

    AHCI_PRD *prd = &Port->Slots[S].Prdt[0];
    prd->Dba = (ULONG)bs->Pa;
    prd->Dbau = (ULONG)(bs->Pa >> 32);
    prd->Reserved = 0;
    prd->Dbc = bytes - 1;
    *Prds = 1;

    ULONG64 n = ++b->Commands;
    /* The first and then every power of two: a counter in the log without
     * a line per command. */
    if ((n & (n - 1)) == 0)
        DbgPrint("ahci%u: port %u: bounced %llu command(s); this one %s %u bytes, data at pa "
                 "0x%llx\n", Port->Controller->Number, Port->Index, (unsigned long long)n,
                 in ? "reads" : "writes", bytes, (unsigned long long)high);
    return TRUE;
}

/* ---- test hook: Parameters\TestHoldLowMemory ----
 * Pool memory comes from the lowest free pages, so in a test machine the
 * buffers of ordinary requests all lie below 4 GiB and nothing would be
 * bounced.  This takes every page below 4 GiB still free after the
 * controller started (and its bounce buffers were set aside), so requests
 * that follow get pool pages above 4 GiB.  The chunks are chained through
 * their own first bytes and given back when the controller stops. */
typedef struct _AHCI_HELD_CHUNK {
    struct _AHCI_HELD_CHUNK *Next;
} AHCI_HELD_CHUNK;

static AHCI_HELD_CHUNK *AhciHeldChunks;
static ULONG64 AhciHeldBytes;

VOID AhciTestHoldLowMemory(PAHCI_CONTROLLER Ctrl)
{
    static const ULONG sizes[] = { 1024 * 1024, 64 * 1024, PAGE_SIZE };
    PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high = { .QuadPart = 0xFFFFFFFFll };
    PHYSICAL_ADDRESS boundary = { .QuadPart = 0 };

    if (AhciHeldChunks)
        return;         /* one controller holds it for all */
    for (ULONG i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (;;) {
            AHCI_HELD_CHUNK *c = MmAllocateContiguousMemorySpecifyCache(sizes[i], low, high,
                                                                        boundary, MmCached);
            if (!c)
                break;
            c->Next = AhciHeldChunks;
            AhciHeldChunks = c;
            AhciHeldBytes += sizes[i];
        }
    }
    DbgPrint("ahci%u: test: holding %llu KiB, all free memory below 4 GiB "
             "(Parameters\\TestHoldLowMemory)\n", Ctrl->Number,
             (unsigned long long)(AhciHeldBytes / 1024));
}

VOID AhciTestReleaseLowMemory(VOID)
{
    while (AhciHeldChunks) {
        AHCI_HELD_CHUNK *c = AhciHeldChunks;
        AhciHeldChunks = c->Next;
        MmFreeContiguousMemory(c);
    }
    AhciHeldBytes = 0;
}
