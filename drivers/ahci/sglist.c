/* sglist.c - a command's data through the port's DMA adapter
 * (include/wdm/dma.h): BuildScatterGatherList into the slot's own list
 * buffer, its execution routine copying the elements into the slot's PRDT
 * (AHCI 4.2.3), PutScatterGatherList when the slot completes.
 *
 * Each port with a disk gets an adapter of its own at bring-up, asked for
 * what the HBA reaches (CAP.S64A as the driver believes it, 3.1.1; quirk
 * no-64bit, dma-43bit).  Data the HBA cannot reach is carried through the
 * adapter's map registers (bounce pages below the limit, filled before a
 * write, copied back by the Put after a read): the driver has no bounce
 * code of its own.  Why one adapter per port, not the controller's: a port
 * whose transfer finds the map registers taken always has a command of its
 * own in flight that will give them back, so "retry when a slot of this
 * port completes" (io.c AhciStartPending) can never wait forever for
 * another port.
 *
 * Nothing is allocated per request: each slot has a list buffer sized by
 * CalculateScatterGatherList for the largest transfer from any offset, and
 * an MDL of that size for SRBs that come without one.
 *
 * Locking: the port lock guards the slot's list.  Build and Put run with
 * it held, at DISPATCH_LEVEL; their callers (AhciStartPending,
 * AhciReissueSlot, AhciCompleteSlot) check it, so there is no second check
 * per I/O here.  The adapter takes its own lock only for map registers,
 * nested inside the port lock. */
#include "ahcip.h"

/* The map register budget: every slot's share of the queue, one largest
 * transfer at least, 4 MiB at most (the kernel's cap per adapter). */
#define AHCI_SG_MAP_BYTES_MAX   (4 * 1024 * 1024)

typedef struct _AHCI_SG_CONTEXT {
    AHCI_PRD *Prdt;
    PSCATTER_GATHER_LIST List;
    ULONG Prds;                 /* 0: does not fit the PRDT */
} AHCI_SG_CONTEXT, *PAHCI_SG_CONTEXT;

/* The elements into PRD entries, split at the 4 MiB an entry carries
 * (4.2.3.3 DBC); 0 when more than AHCI_PRDT_ENTRIES would be needed.
 * Word alignment of every address and length follows from the buffer's
 * (checked by io.c) and from page-aligned map registers. */
FORCEINLINE ULONG AhciSgToPrdt(AHCI_PRD *Prdt, PSCATTER_GATHER_LIST Sg)
{
    ULONG n = 0;

    for (ULONG i = 0; i < Sg->NumberOfElements; i++) {
        ULONG64 pa = (ULONG64)Sg->Elements[i].Address.QuadPart;
        ULONG left = Sg->Elements[i].Length;
        do {
            ULONG chunk = left < AHCI_PRD_MAX_BYTES ? left : AHCI_PRD_MAX_BYTES;
            if (n == AHCI_PRDT_ENTRIES)
                return 0;
            Prdt[n].Dba = (ULONG)pa;
            Prdt[n].Dbau = (ULONG)(pa >> 32);
            Prdt[n].Reserved = 0;
            Prdt[n].Dbc = chunk - 1;
            n++;
            pa += chunk;
            left -= chunk;
        } while (left);
    }
    return n;
}

/* Runs inside BuildScatterGatherList, before it returns (ntstor's rule),
 * with the port lock still held by AhciSgBuild's caller. */
static VOID AhciSgExecute(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST Sg, PVOID Context)
{
    PAHCI_SG_CONTEXT c = Context;

    c->List = Sg;
    c->Prds = AhciSgToPrdt(c->Prdt, Sg);
}

NTSTATUS AhciSgStart(PAHCI_PORT Port)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;
    DEVICE_DESCRIPTION desc;
    ULONG registers = 0, sgBytes = 0, mdlBytes, slots = ctrl->NumSlots;
    ULONG64 want;
    NTSTATUS status;
    PUCHAR block;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (Port->DataDma)
        return STATUS_SUCCESS;      /* a disk plugged in again: kept from before */
    if (!slots || slots > AHCI_MAX_SLOTS)
        slots = AHCI_MAX_SLOTS;
    want = (ULONG64)Port->QueueDepth * AHCI_MAX_TRANSFER_BYTES;
    if (want < AHCI_MAX_TRANSFER_BYTES)
        want = AHCI_MAX_TRANSFER_BYTES;
    if (want > AHCI_SG_MAP_BYTES_MAX)
        want = AHCI_SG_MAP_BYTES_MAX;

    RtlZeroMemory(&desc, sizeof(desc));
    desc.Version = DEVICE_DESCRIPTION_VERSION3;
    desc.Master = TRUE;
    desc.ScatterGather = TRUE;
    desc.Dma32BitAddresses = TRUE;
    desc.Dma64BitAddresses = Port->DmaLimit > AHCI_DMA_LIMIT_32BIT;
    if (desc.Dma64BitAddresses && Port->DmaLimit != ~0ull)
        desc.DmaAddressWidth = 64 - (ULONG)__builtin_clzll(Port->DmaLimit - 1);
    desc.InterfaceType = PCIBus;
    desc.MaximumLength = (ULONG)want;
    Port->DataDma = IoGetDmaAdapter(ctrl->PciPdo, &desc, &registers);
    if (!Port->DataDma) {
        DbgPrint("ahci%u: port %u: IoGetDmaAdapter for data failed\n", ctrl->Number, Port->Index);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    /* The worst case: the largest transfer starting at the last word of a
     * page (no MDL: the span alone). */
    PVOID worstVa = (PVOID)(ULONG_PTR)(PAGE_SIZE - 2);
    status = Port->DataDma->DmaOperations->CalculateScatterGatherList(Port->DataDma, NULL, worstVa,
                                                                      AHCI_MAX_TRANSFER_BYTES,
                                                                      &sgBytes, NULL);
    if (!NT_SUCCESS(status))
        goto fail;
    sgBytes = ALIGN_UP_BY(sgBytes, sizeof(PVOID));
    mdlBytes = (ULONG)ALIGN_UP_BY(MmSizeOfMdl(worstVa, AHCI_MAX_TRANSFER_BYTES), sizeof(PVOID));
    block = ExAllocatePoolZero(NonPagedPool, (SIZE_T)slots * (sgBytes + mdlBytes), AHCI_TAG);
    if (!block) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto fail;
    }
    Port->SgBlock = block;
    Port->SgBytes = sgBytes;
    for (ULONG s = 0; s < slots; s++) {
        Port->Slots[s].SgBuffer = block + (SIZE_T)s * (sgBytes + mdlBytes);
        Port->Slots[s].Mdl = (PMDL)(block + (SIZE_T)s * (sgBytes + mdlBytes) + sgBytes);
    }
    if (Port->DmaLimit != ~0ull)
        DbgPrint("ahci%u: port %u: data the HBA cannot reach (at or above pa 0x%llx) goes through "
                 "the port's DMA adapter: %u map registers (%u KiB)\n", ctrl->Number, Port->Index,
                 (unsigned long long)Port->DmaLimit, registers, registers * (PAGE_SIZE / 1024));
    return STATUS_SUCCESS;

fail:
    DbgPrint("ahci%u: port %u: no memory for scatter/gather lists (%08x)\n", ctrl->Number, Port->Index,
             status);
    Port->DataDma->DmaOperations->PutDmaAdapter(Port->DataDma);
    Port->DataDma = NULL;
    return status;
}

VOID AhciSgStop(PAHCI_PORT Port)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    /* Every slot has completed (its list put back): PutDmaAdapter stops
     * the machine if one is still out. */
    if (Port->DataDma) {
        Port->DataDma->DmaOperations->PutDmaAdapter(Port->DataDma);
        Port->DataDma = NULL;
    }
    if (Port->SgBlock) {
        ExFreePoolWithTag(Port->SgBlock, AHCI_TAG);
        Port->SgBlock = NULL;
    }
    for (ULONG s = 0; s < AHCI_MAX_SLOTS; s++) {
        Port->Slots[s].SgBuffer = NULL;
        Port->Slots[s].Mdl = NULL;
    }
}

/* A bounced command: counted for `disks` (BouncedCommands) and, the first
 * and then every power of two, named in the log with where its data lies
 * and the map register carrying it. */
static VOID AhciSgCountBounce(PAHCI_PORT Port, ULONG64 Data, ULONG Bytes, BOOLEAN Write,
                              PSCATTER_GATHER_LIST Sg)
{
    ULONG64 n = ++Port->Bounced;

    if ((n & (n - 1)) == 0)
        DbgPrint("ahci%u: port %u: bounced %llu command(s); this one %s %u bytes, data at pa 0x%llx "
                 "through map registers at pa 0x%llx\n", Port->Controller->Number, Port->Index,
                 (unsigned long long)n, Write ? "writes" : "reads", Bytes, (unsigned long long)Data,
                 (unsigned long long)Sg->Elements[0].Address.QuadPart);
}

NTSTATUS AhciSgBuild(PAHCI_PORT Port, ULONG S, PIRP Irp, PVOID Buffer, ULONG Bytes, BOOLEAN Write,
                     PULONG Prds)
{
    PAHCI_SLOT slot = &Port->Slots[S];
    PDMA_ADAPTER dma = Port->DataDma;
    AHCI_SG_CONTEXT c = { slot->Prdt, NULL, 0 };
    PMDL mdl = Irp->MdlAddress;
    NTSTATUS status;

    /* Re-issued after recovery (or held): the list is still the slot's --
     * a write's data still in its map registers, a read's copy back still
     * to come -- and only the PRDT may have been overwritten (an internal
     * command borrows slot 0). */
    if (slot->Sg) {
        *Prds = AhciSgToPrdt(slot->Prdt, slot->Sg);
        return *Prds ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    }
    if (!dma || !slot->SgBuffer)
        return STATUS_INVALID_DEVICE_STATE;
    if (!mdl) {
        /* A kernel-internal SRB (disk.sys's READ CAPACITY, INQUIRY, ...)
         * carries no MDL: the slot's own describes its buffer, so it goes
         * through the adapter like the rest -- bounced on a 32-bit HBA
         * when it lies above 4 GiB, which a walk of the pages could only
         * refuse.  One page-table look per end for pool memory
         * (MmBuildMdlForNonPagedPool), and these are not the hot path. */
        if (Bytes > AHCI_MAX_TRANSFER_BYTES)
            return STATUS_INVALID_PARAMETER;
        mdl = slot->Mdl;
        MmInitializeMdl(mdl, Buffer, Bytes);
        MmBuildMdlForNonPagedPool(mdl);
    }
    status = dma->DmaOperations->BuildScatterGatherList(dma, Port->Controller->Fdo, mdl, Buffer, Bytes,
                                                        AhciSgExecute, &c, Write, slot->SgBuffer,
                                                        Port->SgBytes);
    if (status == STATUS_INVALID_PARAMETER) {
        /* The adapter checks the range (once per I/O, so not here too). */
        DbgPrint("ahci%u: port %u: SRB buffer %p (%u bytes) lies outside the IRP's MDL\n",
                 Port->Controller->Number, Port->Index, Buffer, Bytes);
    }
    if (!NT_SUCCESS(status))
        return status;      /* STATUS_INSUFFICIENT_RESOURCES: map registers taken, try later */
    if (!c.Prds) {
        DbgPrint("ahci%u: port %u: %u bytes need more than %u PRD entries\n", Port->Controller->Number,
                 Port->Index, Bytes, AHCI_PRDT_ENTRIES);
        /* Nothing moved: as for a write, no copy back into the buffer. */
        dma->DmaOperations->PutScatterGatherList(dma, c.List, TRUE);
        return STATUS_INVALID_PARAMETER;
    }
    slot->Sg = c.List;
    slot->SgWrite = Write;
    /* A bounced list is one element over map registers, never at the
     * data's own first byte (which the HBA cannot reach). */
    if (__builtin_expect(Port->DmaLimit != ~0ull, 0)) {
        ULONG first = (ULONG)(MmGetMdlByteOffset(mdl) + ((PUCHAR)Buffer - (PUCHAR)MmGetMdlVirtualAddress(mdl)));
        ULONG64 data = ((ULONG64)MmGetMdlPfnArray(mdl)[first >> PAGE_SHIFT] << PAGE_SHIFT) +
                       (first & (PAGE_SIZE - 1));
        if ((ULONG64)c.List->Elements[0].Address.QuadPart != data)
            AhciSgCountBounce(Port, data, Bytes, Write, c.List);
    }
    *Prds = c.Prds;
    return STATUS_SUCCESS;
}
