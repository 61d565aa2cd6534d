/* ahci_sim.h - a simulated AHCI port for the driver's unit tests: the
 * registers are plain memory the test sets and reads, the DMA block is host
 * memory carved by the driver's own AhciPortLayout, and the disk is an ATA
 * disk of 1 GiB with 32 NCQ tags described as QEMU's IDENTIFY does. */
#ifndef NTSTOR_TEST_AHCI_SIM_H
#define NTSTOR_TEST_AHCI_SIM_H

#include <stdlib.h>
#include <string.h>
#include "ahcip.h"

#define AHCI_SIM_DMA_PA 0x10000000ull

/* IDENTIFY words for a 1 GiB LBA48 disk with NCQ (GPL left out: no NCQ
 * error log page, as on QEMU). */
static inline void AhciSimIdentify(UCHAR Id[512])
{
    memset(Id, 0, 512);
    Id[49 * 2 + 1] = 0x02;                          /* LBA */
    Id[83 * 2 + 1] = 0x64;                          /* LBA48, FLUSH CACHE EXT, valid */
    Id[84 * 2 + 1] = 0x40;
    Id[100 * 2 + 2] = 0x20;                         /* 0x200000 sectors */
    Id[75 * 2] = 31;                                /* queue depth 32 */
    Id[76 * 2 + 1] = 0x01;                          /* NCQ */
}

/* Resets Port to a ready, idle port of Ctrl with registers at Regs, a
 * fresh DMA block (returned: give it to AhciSimFreePort at teardown) and
 * its data adapter (sglist.c over kernel/io/dma.c: a 32-bit one when Ctrl
 * has no S64A, whose map registers come from the test's
 * MmAllocateContiguousMemorySpecifyCache). */
static inline PUCHAR AhciSimInitPort(PAHCI_PORT Port, PAHCI_CONTROLLER Ctrl, PUCHAR Regs,
                                     BOOLEAN Ncq)
{
    UCHAR id[512];
    PUCHAR dma = aligned_alloc(4096, AHCI_DMA_SIZE);

    memset(Port, 0, sizeof(*Port));
    memset(dma, 0, AHCI_DMA_SIZE);
    Port->Controller = Ctrl;
    Port->Regs = Regs;
    Port->State = AhciPortReady;
    Port->Mode = NtstorAhciModeMsi;
    Port->FatalIs = AHCI_PxIS_FATAL;
    Port->DmaLimit = (Ctrl->Cap & AHCI_CAP_S64A) ? ~0ull : AHCI_DMA_LIMIT_32BIT;
    KeInitializeSpinLock(&Port->Lock);
    InitializeListHead(&Port->Pending);
    AhciPortLayout(Port, dma, AHCI_SIM_DMA_PA);
    AhciSimIdentify(id);
    if (!NT_SUCCESS(SatlParseIdentify(id, &Port->Device)))
        abort();
    Port->Device.MaxTransferSectors = AHCI_MAX_TRANSFER_BYTES / 512;
    Port->UseNcq = Ncq;
    Port->QueueDepth = 32;
    if (!NT_SUCCESS(AhciSgStart(Port)))
        abort();
    return dma;
}

/* A test may end with commands still in slots (their requests freed
 * already): their lists go back here, as a stopping port's AhciFailAll
 * would, so the adapter -- which stops the machine when a list is still
 * out -- can go. */
static inline void AhciSimFreePort(PAHCI_PORT Port, PUCHAR Dma)
{
    KIRQL irql;

    KeAcquireSpinLock(&Port->Lock, &irql);
    for (ULONG s = 0; s < AHCI_MAX_SLOTS; s++)
        if (Port->Slots[s].Sg)
            AhciSgPut(Port, s);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciSgStop(Port);
    free(Dma);
}

/* A SCSI request as the disk class driver sends it: an IRP with one stack
 * location, its SRB with a fixed-format sense buffer and, when Pages is
 * given, an MDL over Buffer whose page numbers are Pages. */
typedef struct {
    IRP irp;
    IO_STACK_LOCATION stack;
    SCSI_REQUEST_BLOCK srb;
    UCHAR sense[18];
    struct { MDL mdl; PFN_NUMBER pfn[300]; } m;
} AHCI_SIM_REQ;

static inline AHCI_SIM_REQ *AhciSimRequest(PVOID Buffer, ULONG Length, const PFN_NUMBER *Pages,
                                           ULONG NPages)
{
    AHCI_SIM_REQ *r = calloc(1, sizeof(*r));

    if (!r || NPages > sizeof(r->m.pfn) / sizeof(r->m.pfn[0]))
        abort();
    r->irp.Tail.Overlay.CurrentStackLocation = &r->stack;
    r->stack.MajorFunction = IRP_MJ_SCSI;
    r->stack.Parameters.Scsi.Srb = &r->srb;
    r->srb.Length = sizeof(r->srb);
    r->srb.DataBuffer = Buffer;
    r->srb.DataTransferLength = Length;
    r->srb.SenseInfoBuffer = r->sense;
    r->srb.SenseInfoBufferLength = sizeof(r->sense);
    if (Pages) {
        MmInitializeMdl(&r->m.mdl, Buffer, Length);
        memcpy(r->m.pfn, Pages, NPages * sizeof(PFN_NUMBER));
        r->irp.MdlAddress = &r->m.mdl;
    }
    return r;
}

/* READ(10)/WRITE(10) CDB. */
static inline void AhciSimCdbRw(AHCI_SIM_REQ *r, UCHAR Op, ULONG Lba, USHORT Blocks)
{
    r->srb.CdbLength = 10;
    r->srb.Cdb[0] = Op;
    ScsiPutBe32(r->srb.Cdb + 2, Lba);
    ScsiPutBe16(r->srb.Cdb + 7, Blocks);
}

/* READ(10) of 8 blocks (one page) at Lba, into page number 100h + Lba. */
static inline AHCI_SIM_REQ *AhciSimRead(ULONG Lba)
{
    PFN_NUMBER pfn = 0x100 + Lba;
    AHCI_SIM_REQ *r = AhciSimRequest((PVOID)0x7f0000000000ull, 4096, &pfn, 1);

    AhciSimCdbRw(r, SCSIOP_READ, Lba, 8);
    return r;
}

#endif
