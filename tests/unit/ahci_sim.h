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

/* Resets Port to a ready, idle port of Ctrl with registers at Regs and a
 * fresh DMA block (returned: free it at teardown). */
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
    KeInitializeSpinLock(&Port->Lock);
    InitializeListHead(&Port->Pending);
    AhciPortLayout(Port, dma, AHCI_SIM_DMA_PA);
    AhciSimIdentify(id);
    if (!NT_SUCCESS(SatlParseIdentify(id, &Port->Device)))
        abort();
    Port->Device.MaxTransferSectors = AHCI_MAX_TRANSFER_BYTES / 512;
    Port->UseNcq = Ncq;
    Port->QueueDepth = 32;
    return dma;
}

#endif
