/* test_ahci_io.c - the AHCI driver's issue/complete logic (drivers/ahci/io.c,
 * io_complete.c, sglist.c over kernel/io/dma.c) against a port whose
 * registers are plain memory: PRDT from the adapter's scatter/gather list
 * of the MDL's pages, command FIS, NCQ/non-NCQ ordering, autosense,
 * timeouts, the adapter's map registers for data above 4 GiB on a 32-bit
 * HBA, and a request waiting while they are all taken. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ahcip.h"
#include "ahci_sim.h"
#include "host_support.h"

/* ---- stand-ins for what io.c calls outside itself ---- */
AHCI_PARAMETERS AhciParameters = { NtstorAhciModeMsi, TRUE, 32, FALSE };

static PIRP completed[64];
static int ncompleted;
static int caller_calls;
/* Enough of IoCompleteRequest for a one-location IRP: the routine set on
 * the current location runs when its SL_INVOKE_* bits match (the tests check
 * that a bounced read's data is in place by the time it runs). */
VOID IoCompleteRequest(PIRP Irp, CCHAR Boost)
{
    PIO_STACK_LOCATION st = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = Irp->IoStatus.Status;

    completed[ncompleted++] = Irp;
    if (st->CompletionRoutine &&
        ((NT_SUCCESS(status) && (st->Control & SL_INVOKE_ON_SUCCESS)) ||
         (!NT_SUCCESS(status) && (st->Control & SL_INVOKE_ON_ERROR))))
        st->CompletionRoutine(NULL, Irp, st->Context);
}

/* Contiguous memory "below 4 GiB" (a 32-bit port's map registers): host
 * memory, given fake physical addresses from BOUNCE_PA up by
 * MmGetPhysicalAddress. */
#define BOUNCE_PA 0x20000000ull
static PUCHAR contig_block;
static SIZE_T contig_bytes;
static ULONG64 contig_highest;
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T Bytes, PHYSICAL_ADDRESS Low,
                                             PHYSICAL_ADDRESS High, PHYSICAL_ADDRESS Boundary,
                                             MEMORY_CACHING_TYPE Type)
{
    contig_highest = (ULONG64)High.QuadPart;
    contig_bytes = Bytes;
    contig_block = aligned_alloc(4096, Bytes);
    return contig_block;
}
VOID MmFreeContiguousMemory(PVOID Base)
{
    assert_ptr_equal(Base, contig_block);
    free(contig_block);
    contig_block = NULL;
}

/* Stands in for error.c: counts, fails the timed-out slots, and takes
 * back slots prepared but never rung, as the real recovery does (they are
 * re-issued once the device is out of its error state).  What the HBA had
 * been told when recovery began is kept for the tests. */
static ULONG recover_calls, recover_late, recover_saw_sact, recover_saw_ci;
static ULONG reg(ULONG off);
VOID AhciRecoverPort(PAHCI_PORT Port, ULONG PortIs, ULONG TimedOut, PLIST_ENTRY Done)
{
    recover_calls++;
    recover_late = TimedOut;
    recover_saw_sact = reg(AHCI_PxSACT);
    recover_saw_ci = reg(AHCI_PxCI);
    Port->Deferred = 0;
    for (ULONG b = TimedOut; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_TIMEOUT, NULL, Done);
}
BOOLEAN AhciPortStopEngine(PAHCI_PORT Port) { return TRUE; }
/* intr.c's hand-over of what the ISR recorded: no ISR runs here, PendingIs stays 0. */
VOID AhciTakePendingIs(PAHCI_PORT Port) { (void)Port; }
BOOLEAN AhciPortStartEngine(PAHCI_PORT Port) { return TRUE; }
BOOLEAN AhciPortClearBusy(PAHCI_PORT Port) { return TRUE; }
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS pa = { .QuadPart = (LONGLONG)(ULONG_PTR)Va };
    if (contig_block && (PUCHAR)Va >= contig_block && (PUCHAR)Va < contig_block + contig_bytes)
        pa.QuadPart = (LONGLONG)(BOUNCE_PA + ((PUCHAR)Va - contig_block));
    return pa;
}

/* ---- a port with memory for registers ---- */
static AHCI_CONTROLLER ctrl;
static AHCI_PORT port;
static UCHAR regs[AHCI_PORT_STRIDE];
static UCHAR *dma;

/* A 32-bit HBA (no S64A): the port's adapter reaches below 4 GiB. */
static BOOLEAN setup_32bit;

static void setup_port(BOOLEAN ncq)
{
    memset(&ctrl, 0, sizeof(ctrl));
    memset(regs, 0, sizeof(regs));
    ctrl.Cap = (setup_32bit ? 0 : AHCI_CAP_S64A) | AHCI_CAP_SNCQ;
    ctrl.NumSlots = 32;
    dma = AhciSimInitPort(&port, &ctrl, regs, ncq);
    ncompleted = 0;
    recover_calls = 0;
    caller_calls = 0;
    setup_32bit = FALSE;
}

static void teardown_port(void) { AhciSimFreePort(&port, dma); }

static ULONG reg(ULONG off) { return *(ULONG *)(regs + off); }
static void setreg(ULONG off, ULONG v) { *(ULONG *)(regs + off) = v; }

/* A fake page-aligned buffer address: only its offset within a page matters. */
#define FAKE_VA(off) ((PVOID)(0x7f0000000000ull + (off)))

static void test_prdt_from_mdl(void **state)
{
    setup_port(TRUE);
    PFN_NUMBER pages[] = { 0x100, 0x101, 0x300, 0x301 };
    AHCI_SIM_REQ *r = AhciSimRequest(FAKE_VA(0x200), 3 * 4096, pages, 4);
    AhciSimCdbRw(r, SCSIOP_WRITE, 8, 24);

    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(ncompleted, 0);
    assert_int_equal(port.Issued, 1);
    assert_int_equal(port.NcqIssued, 1);
    assert_int_equal(reg(AHCI_PxCI), 1);
    assert_int_equal(reg(AHCI_PxSACT), 1);

    AHCI_PRD *prd = port.Slots[0].Prdt;
    /* 0x100200..0x102000 contiguous (two pages merged), then 0x300000..0x301200. */
    assert_int_equal(prd[0].Dba, 0x100200);
    assert_int_equal(prd[0].Dbau, 0);
    assert_int_equal(prd[0].Dbc, 0xE00 + 0x1000 - 1);
    assert_int_equal(prd[1].Dba, 0x300000);
    assert_int_equal(prd[1].Dbc, 0x1000 + 0x200 - 1);
    ULONG flags = port.CmdList[0].Flags;
    assert_int_equal(flags >> AHCI_CMDH_PRDTL_SHIFT, 2);
    assert_int_equal(flags & AHCI_CMDH_CFL_MASK, 5);
    assert_true(flags & AHCI_CMDH_WRITE);

    FIS_REG_H2D *f = (FIS_REG_H2D *)port.Slots[0].Table->Cfis;
    assert_int_equal(f->FisType, FIS_TYPE_REG_H2D);
    assert_int_equal(f->PmPortC, 0x80);
    assert_int_equal(f->Command, ATA_CMD_WRITE_FPDMA_QUEUED);
    assert_int_equal(f->FeatureLow, 24);
    assert_int_equal(f->CountLow, 0);       /* tag 0 */
    assert_int_equal(f->Lba0, 8);
    assert_int_equal(f->Device, ATA_DEV_LBA);

    /* The HBA finishes it. */
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 1);
    assert_ptr_equal(completed[0], &r->irp);
    assert_int_equal(r->srb.SrbStatus, SRB_STATUS_SUCCESS);
    assert_int_equal(r->srb.DataTransferLength, 3 * 4096);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(port.Issued, 0);
    free(r);
    teardown_port();
}

static void test_prdt_limits(void **state)
{
    setup_port(FALSE);
    AHCI_SIM_REQ *r;
    /* Odd buffer address: PRD entries must be word aligned. */
    PFN_NUMBER p[] = { 0x100, 0x101 };
    r = AhciSimRequest(FAKE_VA(1), 512, p, 2);
    AhciSimCdbRw(r, SCSIOP_READ, 0, 1);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(r->srb.SrbStatus, SRB_STATUS_INVALID_REQUEST);
    free(r);

    /* 1 MiB from a page offset over scattered pages: 257 entries fit. */
    static PFN_NUMBER many[257];
    for (int i = 0; i < 257; i++)
        many[i] = 0x1000 + 2 * i;
    r = AhciSimRequest(FAKE_VA(0x800), 1024 * 1024, many, 257);
    AhciSimCdbRw(r, SCSIOP_READ, 0, 2048);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(port.Issued, 1);
    assert_int_equal(port.CmdList[0].Flags >> AHCI_CMDH_PRDTL_SHIFT, 257);
    assert_int_equal(port.Slots[0].Prdt[256].Dbc, 0x800 - 1);
    assert_false(port.CmdList[0].Flags & AHCI_CMDH_WRITE);
    FIS_REG_H2D *f = (FIS_REG_H2D *)port.Slots[0].Table->Cfis;
    assert_int_equal(f->Command, ATA_CMD_READ_DMA_EXT);
    assert_int_equal(f->CountLow, 0x00);
    assert_int_equal(f->CountHigh, 0x08);
    free(r);
    teardown_port();
}

static void test_ncq_ordering(void **state)
{
    PFN_NUMBER p[] = { 0x100, 0x101, 0x102 };
    AHCI_SIM_REQ *rd[3], *flush, *after;

    setup_port(TRUE);
    for (int i = 0; i < 3; i++) {
        rd[i] = AhciSimRequest(FAKE_VA(0), 4096, p, 1);
        AhciSimCdbRw(rd[i], SCSIOP_READ, 100 * i, 8);
        AhciSubmitSrb(&port, &rd[i]->irp, &rd[i]->srb);
    }
    assert_int_equal(port.Issued, 0x7);
    assert_int_equal(port.NcqIssued, 0x7);
    FIS_REG_H2D *f2 = (FIS_REG_H2D *)port.Slots[2].Table->Cfis;
    assert_int_equal(f2->CountLow, 2 << 3);   /* tag 2 */
    assert_int_equal(f2->Lba0, 200);

    flush = AhciSimRequest(NULL, 0, NULL, 0);
    flush->srb.CdbLength = 10;
    flush->srb.Cdb[0] = SCSIOP_SYNCHRONIZE_CACHE;
    AhciSubmitSrb(&port, &flush->irp, &flush->srb);
    after = AhciSimRequest(FAKE_VA(0), 4096, p, 1);
    AhciSimCdbRw(after, SCSIOP_READ, 5, 8);
    AhciSubmitSrb(&port, &after->irp, &after->srb);
    /* FLUSH is not queued: it waits for the three reads, and the read
     * behind it waits for the flush. */
    assert_int_equal(port.Issued, 0x7);

    /* Tag 1 finishes first (PxSACT still shows 0 and 2). */
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0x5);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 1);
    assert_ptr_equal(completed[0], &rd[1]->irp);
    assert_int_equal(port.Issued, 0x5);

    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 3);
    assert_int_equal(port.Issued, 0x1);         /* the flush alone, in slot 0 */
    assert_int_equal(port.NcqIssued, 0);
    FIS_REG_H2D *f0 = (FIS_REG_H2D *)port.Slots[0].Table->Cfis;
    assert_int_equal(f0->Command, ATA_CMD_FLUSH_CACHE_EXT);
    assert_int_equal(port.CmdList[0].Flags >> AHCI_CMDH_PRDTL_SHIFT, 0);

    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_DHRS);
    assert_int_equal(ncompleted, 4);
    assert_ptr_equal(completed[3], &flush->irp);
    assert_int_equal(port.NcqIssued, 0x1);      /* the read behind it went out */

    for (int i = 0; i < 3; i++)
        free(rd[i]);
    free(flush);
    free(after);
    teardown_port();
}

/* A polled NCQ port and N one-page requests of 8 sectors at LBA 8*i,
 * marked as from an originator that polls (IRP_NTSTOR_POLLED). */
static void polled_port_requests(AHCI_SIM_REQ **r, int n, UCHAR Op)
{
    static PFN_NUMBER page[] = { 0x100 };

    setup_port(TRUE);
    port.Mode = NtstorAhciModePoll;
    for (int i = 0; i < n; i++) {
        r[i] = AhciSimRequest(FAKE_VA(0), 4096, page, 1);
        AhciSimCdbRw(r[i], Op, 8 * i, 8);
        r[i]->irp.Flags |= IRP_NTSTOR_POLLED;
    }
}

/* Poll mode (io.c "Doorbell batching"): IRPs whose originator polls are
 * left with the HBA (no spinning in the submitter); the first rings at
 * once, later ones wait for the next look, which reads PxSACT (a slot not
 * yet rung is never taken for a finished one), then PxIS, and rings them
 * with one PxSACT and one PxCI write only if the device reports no error.
 * Other IRPs ring at once. */
static void test_polled_doorbell_batching(void **state)
{
    PFN_NUMBER p[] = { 0x100 };
    AHCI_SIM_REQ *r[4];

    polled_port_requests(r, 4, SCSIOP_READ);
    /* Nothing in flight: rung at once. */
    assert_int_equal(AhciSubmitSrb(&port, &r[0]->irp, &r[0]->srb), STATUS_PENDING);
    assert_int_equal(port.Issued, 0x1);
    assert_int_equal(port.Deferred, 0);
    assert_int_equal(reg(AHCI_PxSACT), 0x1);
    assert_int_equal(reg(AHCI_PxCI), 0x1);
    /* Two more while it runs: prepared, not rung. */
    setreg(AHCI_PxCI, 0);               /* the HBA took the FIS of slot 0 */
    AhciSubmitSrb(&port, &r[1]->irp, &r[1]->srb);
    AhciSubmitSrb(&port, &r[2]->irp, &r[2]->srb);
    assert_int_equal(port.Issued, 0x7);
    assert_int_equal(port.NcqIssued, 0x7);
    assert_int_equal(port.Deferred, 0x6);
    assert_int_equal(reg(AHCI_PxSACT), 0x1);
    assert_int_equal(reg(AHCI_PxCI), 0);
    assert_int_equal(ncompleted, 0);

    /* A look reads first (slot 0 has finished), checks PxIS, credits
     * slot 0 and only then rings 1 and 2 with one write each. */
    setreg(AHCI_PxSACT, 0);
    AhciPollLook(&port);
    assert_int_equal(port.Deferred, 0);
    assert_int_equal(reg(AHCI_PxSACT), 0x6);
    assert_int_equal(reg(AHCI_PxCI), 0x6);
    assert_int_equal(ncompleted, 1);
    assert_ptr_equal(completed[0], &r[0]->irp);
    assert_int_equal(r[0]->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(port.Issued, 0x6);

    /* Deferred again, then the whole port is looked at from elsewhere
     * (DPC, watchdog): it rings before it compares. */
    setreg(AHCI_PxCI, 0);
    AhciSubmitSrb(&port, &r[3]->irp, &r[3]->srb);
    assert_int_equal(port.Deferred, 0x1);
    setreg(AHCI_PxSACT, 0x6);
    AhciProcessPort(&port, 0);
    assert_int_equal(port.Deferred, 0);
    assert_int_equal(reg(AHCI_PxSACT), 0x1);    /* slot 0 rung; 1 and 2 read as done */
    assert_int_equal(ncompleted, 3);
    assert_int_equal(port.Issued, 0x1);

    /* A deferred slot failed before it was rung is forgotten. */
    AHCI_SIM_REQ *x = AhciSimRequest(FAKE_VA(0), 4096, p, 1);
    AhciSimCdbRw(x, SCSIOP_READ, 64, 8);
    x->irp.Flags |= IRP_NTSTOR_POLLED;
    AhciSubmitSrb(&port, &x->irp, &x->srb);
    assert_int_equal(port.Deferred, 0x2);
    AhciFailAll(&port, SRB_STATUS_NO_DEVICE);
    assert_int_equal(port.Deferred, 0);
    assert_int_equal(port.Issued, 0);
    assert_int_equal(ncompleted, 5);
    assert_int_equal(x->irp.IoStatus.Status, STATUS_DEVICE_DOES_NOT_EXIST);

    /* Interrupt-driven: the polled flag changes nothing, each rings. */
    port.Mode = NtstorAhciModeMsi;
    setreg(AHCI_PxSACT, 0);
    setreg(AHCI_PxCI, 0);
    AHCI_SIM_REQ *y = AhciSimRequest(FAKE_VA(0), 4096, p, 1), *z = AhciSimRequest(FAKE_VA(0), 4096, p, 1);
    AhciSimCdbRw(y, SCSIOP_READ, 64, 8);
    AhciSimCdbRw(z, SCSIOP_READ, 72, 8);
    y->irp.Flags |= IRP_NTSTOR_POLLED;
    z->irp.Flags |= IRP_NTSTOR_POLLED;
    AhciSubmitSrb(&port, &y->irp, &y->srb);
    AhciSubmitSrb(&port, &z->irp, &z->srb);
    assert_int_equal(port.Deferred, 0);
    assert_int_equal(reg(AHCI_PxSACT), 0x2);    /* the last write: slot 1 */
    assert_int_equal(reg(AHCI_PxCI), 0x2);

    for (int i = 0; i < 4; i++)
        free(r[i]);
    free(x);
    free(y);
    free(z);
    teardown_port();
}

/* DESIGN.md's fault rule on the polled path: a look that would hand the
 * device something new reads PxIS first; with an error there, recovery
 * runs before the slots prepared meanwhile are rung (the device in its
 * error state gets nothing new).  On the interrupt path, an error the ISR queued for its
 * DPC (PendingIs) holds new requests back until recovery has run. */
static void test_error_stops_issue(void **state)
{
    AHCI_SIM_REQ *r[4];

    polled_port_requests(r, 4, SCSIOP_WRITE);
    AhciSubmitSrb(&port, &r[0]->irp, &r[0]->srb);
    setreg(AHCI_PxCI, 0);
    AhciSubmitSrb(&port, &r[1]->irp, &r[1]->srb);
    assert_int_equal(port.Deferred, 0x2);
    /* Slot 0 failed: its PxSACT bit stays, the HBA reports TFES. */
    setreg(AHCI_PxIS, AHCI_PxIS_TFES);
    AhciPollLook(&port);
    assert_int_equal(recover_calls, 1);
    assert_int_equal(recover_saw_sact, 0x1);    /* slot 1 not rung into the error */
    assert_int_equal(recover_saw_ci, 0);
    assert_int_equal(ncompleted, 0);

    /* Interrupt-driven: the ISR saw TFES, its DPC has not run yet. */
    teardown_port();
    setup_port(TRUE);
    port.Mode = NtstorAhciModeMsi;
    port.PendingIs = AHCI_PxIS_TFES | AHCI_PENDING_IS_SEEN;
    AhciSubmitSrb(&port, &r[2]->irp, &r[2]->srb);
    assert_int_equal(port.Issued, 0);
    assert_int_equal(reg(AHCI_PxCI), 0);
    /* The DPC hands the error to recovery, then what waited goes out. */
    ULONG is = __atomic_exchange_n(&port.PendingIs, 0, __ATOMIC_RELAXED);
    AhciProcessPort(&port, is & ~AHCI_PENDING_IS_SEEN);
    assert_int_equal(recover_calls, 1);
    assert_int_equal(port.Issued, 0x1);
    assert_int_equal(reg(AHCI_PxCI), 0x1);
    for (int i = 0; i < 4; i++)
        free(r[i]);
    teardown_port();
}

static void test_synthesized_and_sense(void **state)
{
    UCHAR buf[255];
    AHCI_SIM_REQ *r;

    setup_port(TRUE);
    r = AhciSimRequest(buf, sizeof(buf), NULL, 0);
    r->srb.CdbLength = 6;
    r->srb.Cdb[0] = SCSIOP_INQUIRY;
    r->srb.Cdb[4] = 255;
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(r->srb.SrbStatus, SRB_STATUS_DATA_OVERRUN);   /* 96 of 255 bytes */
    assert_int_equal(r->srb.DataTransferLength, 96);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(r->irp.IoStatus.Information, 96);
    assert_int_equal(port.Issued, 0);
    free(r);

    r = AhciSimRequest(buf, 512, NULL, 0);
    AhciSimCdbRw(r, SCSIOP_READ, 0x200000, 1);        /* one past the end */
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(ncompleted, 2);
    assert_int_equal(r->srb.SrbStatus, SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID);
    assert_int_equal(r->srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
    assert_int_equal(r->srb.SenseInfoBufferLength, 18);
    assert_int_equal(r->sense[2], SCSI_SENSE_ILLEGAL_REQUEST);
    assert_int_equal(r->sense[12], SCSI_ADSENSE_ILLEGAL_BLOCK);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_NONEXISTENT_SECTOR);
    free(r);

    /* Autosense disabled: error without sense bytes. */
    r = AhciSimRequest(buf, 512, NULL, 0);
    AhciSimCdbRw(r, SCSIOP_READ, 0x200000, 1);
    r->srb.SrbFlags = SRB_FLAGS_DISABLE_AUTOSENSE;
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(r->srb.SrbStatus, SRB_STATUS_ERROR);
    assert_int_equal(r->srb.SenseInfoBufferLength, 0);
    free(r);
    teardown_port();
}

static void test_timeout(void **state)
{
    PFN_NUMBER p[] = { 0x100 };

    setup_port(TRUE);
    AHCI_SIM_REQ *a = AhciSimRequest(FAKE_VA(0), 4096, p, 1), *b = AhciSimRequest(FAKE_VA(0), 4096, p, 1);
    AhciSimCdbRw(a, SCSIOP_READ, 0, 8);
    AhciSimCdbRw(b, SCSIOP_READ, 8, 8);
    AhciSubmitSrb(&port, &a->irp, &a->srb);
    AhciSubmitSrb(&port, &b->irp, &b->srb);
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0x3);                   /* both still busy */
    AhciProcessPort(&port, 0);
    assert_int_equal(recover_calls, 0);         /* deadlines not reached */
    port.Slots[1].Deadline = 0;
    AhciProcessPort(&port, 0);
    assert_int_equal(recover_calls, 1);
    assert_int_equal(recover_late, 0x2);
    assert_int_equal(b->srb.SrbStatus, SRB_STATUS_TIMEOUT);
    assert_int_equal(b->irp.IoStatus.Status, STATUS_IO_TIMEOUT);
    assert_int_equal(port.Issued, 0x1);
    free(a);
    free(b);
    teardown_port();
}

/* The routine the class driver set on the port's stack location. */
static PVOID caller_context;
static UCHAR caller_first_byte;
static NTSTATUS caller_done(PDEVICE_OBJECT Device, PIRP Irp, PVOID Context)
{
    AHCI_SIM_REQ *r = CONTAINING_RECORD(Irp, AHCI_SIM_REQ, irp);
    caller_calls++;
    caller_context = Context;
    caller_first_byte = ((PUCHAR)r->srb.DataBuffer)[0];
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static void set_caller_routine(AHCI_SIM_REQ *r, PVOID Context)
{
    r->stack.CompletionRoutine = caller_done;
    r->stack.Context = Context;
    r->stack.Control = SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL;
}

/* A 32-bit HBA (no S64A), data pages at and above 4 GiB: carried through
 * the port's adapter's map registers below 4 GiB, copied out before a
 * write, copied back when the slot completes and so before the caller's
 * routine runs; pages below 4 GiB are used directly; nothing allocated per
 * request. */
static void test_bounce_above_4g(void **state)
{
    PUCHAR data = aligned_alloc(4096, 8192), wdata = aligned_alloc(4096, 4096);
    PFN_NUMBER high[] = { 0x100000, 0x100001 };      /* 4 GiB: the first page out of reach */
    PFN_NUMBER low[] = { 0xFFFFF };                  /* the last page below 4 GiB */

    setup_32bit = TRUE;
    setup_port(TRUE);
    assert_int_equal(port.DmaLimit, AHCI_DMA_LIMIT_32BIT);
    /* The map registers: 32 slots of 1 MiB wanted, 4 MiB the cap. */
    assert_int_equal(contig_highest, 0xFFFFFFFFull);
    assert_int_equal(contig_bytes, 4 * 1024 * 1024);
    ULONG64 pool_before = host_pool_allocs(0);

    /* A read of 8 KiB into two high pages. */
    memset(data, 0xEE, 8192);
    AHCI_SIM_REQ *r = AhciSimRequest(data, 8192, high, 2);
    AhciSimCdbRw(r, SCSIOP_READ, 64, 16);
    set_caller_routine(r, (PVOID)0x1234);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(port.Issued, 1);
    AHCI_PRD *prd = port.Slots[0].Prdt;
    assert_int_equal(port.CmdList[0].Flags >> AHCI_CMDH_PRDTL_SHIFT, 1);
    assert_int_equal(prd[0].Dba, (ULONG)BOUNCE_PA);            /* the first map registers */
    assert_int_equal(prd[0].Dbau, 0);
    assert_int_equal(prd[0].Dbc, 8192 - 1);
    assert_int_equal(port.Bounced, 1);
    /* The HBA writes the sectors to the map registers. */
    for (int i = 0; i < 8192; i++)
        contig_block[i] = (UCHAR)(i * 7 + 1);
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_null(port.Slots[0].Sg);
    for (int i = 0; i < 8192; i++)
        assert_int_equal(data[i], (UCHAR)(i * 7 + 1));
    /* The caller's routine ran after the copy, with its own context. */
    assert_int_equal(caller_calls, 1);
    assert_ptr_equal(caller_context, (PVOID)0x1234);
    assert_int_equal(caller_first_byte, 1);
    free(r);

    /* A write from a high page: the data is in the map registers (the
     * read gave them back) before PxCI is written; one PRD entry. */
    for (int i = 0; i < 4096; i++)
        wdata[i] = (UCHAR)(255 - i);
    AHCI_SIM_REQ *w = AhciSimRequest(wdata, 4096, high + 1, 1);
    AhciSimCdbRw(w, SCSIOP_WRITE, 8, 8);
    AhciSubmitSrb(&port, &w->irp, &w->srb);
    assert_int_equal(port.Issued, 1);
    assert_true(port.CmdList[0].Flags & AHCI_CMDH_WRITE);
    assert_int_equal(port.Slots[0].Prdt[0].Dba, (ULONG)BOUNCE_PA);
    assert_memory_equal(contig_block, wdata, 4096);
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(w->irp.IoStatus.Status, STATUS_SUCCESS);
    free(w);

    /* A page below 4 GiB on the same port: not bounced. */
    AHCI_SIM_REQ *l = AhciSimRequest(data, 4096, low, 1);
    AhciSimCdbRw(l, SCSIOP_READ, 0, 8);
    AhciSubmitSrb(&port, &l->irp, &l->srb);
    assert_int_equal(port.Slots[0].Prdt[0].Dba, 0xFFFFF000u);
    assert_int_equal(port.Bounced, 2);
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    free(l);

    /* Two reads at once get map registers of their own. */
    AHCI_SIM_REQ *a = AhciSimRequest(data, 4096, high, 1), *b = AhciSimRequest(data + 4096, 4096, high + 1, 1);
    AhciSimCdbRw(a, SCSIOP_READ, 0, 8);
    AhciSimCdbRw(b, SCSIOP_READ, 8, 8);
    AhciSubmitSrb(&port, &a->irp, &a->srb);
    AhciSubmitSrb(&port, &b->irp, &b->srb);
    assert_int_equal(port.Issued, 0x3);
    assert_int_equal(port.Slots[1].Prdt[0].Dba, (ULONG)(BOUNCE_PA + 4096));
    memset(contig_block, 0xA1, 4096);
    memset(contig_block + 4096, 0xB2, 4096);
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(data[0], 0xA1);
    assert_int_equal(data[4095], 0xA1);
    assert_int_equal(data[4096], 0xB2);
    assert_int_equal(data[8191], 0xB2);
    assert_int_equal(port.Bounced, 4);
    free(a);
    free(b);

    /* An SRB without an MDL (disk.sys's own, a buffer above 4 GiB: every
     * host address here) goes through the slot's own MDL and is bounced. */
    AHCI_SIM_REQ *k = AhciSimRequest(data, 512, NULL, 0);
    AhciSimCdbRw(k, SCSIOP_READ, 0, 1);
    AhciSubmitSrb(&port, &k->irp, &k->srb);
    assert_int_equal(port.Issued, 1);
    assert_int_equal(port.Slots[0].Prdt[0].Dba, (ULONG)BOUNCE_PA);
    assert_int_equal(port.Bounced, 5);
    memset(contig_block, 0x3C, 512);
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(k->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(data[0], 0x3C);
    assert_int_equal(data[511], 0x3C);
    free(k);

    /* Nothing was allocated per request. */
    assert_int_equal(host_pool_allocs(0), pool_before);
    teardown_port();
    assert_null(contig_block);                      /* the map registers freed with the adapter */
    free(data);
    free(wdata);
}

/* A read's slot is reused by another bounced command before the read's IRP
 * is completed: its data reached its buffer when the slot completed, and
 * the later IRP completion does not copy the new command's bytes over it.
 * A failed read still ends with its caller told. */
static void test_bounce_slot_reuse_and_errors(void **state)
{
    PUCHAR rbuf = aligned_alloc(4096, 4096), wbuf = aligned_alloc(4096, 4096);
    PFN_NUMBER high[] = { 0x200000 };
    LIST_ENTRY done;

    setup_32bit = TRUE;
    setup_port(FALSE);

    memset(rbuf, 0, 4096);
    AHCI_SIM_REQ *r = AhciSimRequest(rbuf, 4096, high, 1);
    AhciSimCdbRw(r, SCSIOP_READ, 0, 8);
    set_caller_routine(r, NULL);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    memset(contig_block, 0x5A, 4096);               /* the device's data */
    /* Slot 0 finishes; its IRP waits on a completion list. */
    InitializeListHead(&done);
    KIRQL irql;
    KeAcquireSpinLock(&port.Lock, &irql);
    AhciCompleteSlot(&port, 0, SRB_STATUS_SUCCESS, NULL, &done);
    KeReleaseSpinLock(&port.Lock, irql);
    assert_int_equal(port.Issued, 0);

    /* A write takes slot 0 (and the same map registers) meanwhile. */
    memset(wbuf, 0xC3, 4096);
    AHCI_SIM_REQ *w = AhciSimRequest(wbuf, 4096, high, 1);
    AhciSimCdbRw(w, SCSIOP_WRITE, 100, 8);
    AhciSubmitSrb(&port, &w->irp, &w->srb);
    assert_int_equal(port.Issued, 1);
    assert_int_equal(rbuf[0], 0x5A);                /* copied when the slot completed */
    assert_int_equal(rbuf[4095], 0x5A);
    assert_int_equal(contig_block[0], 0xC3);

    AhciFinishIrps(&done);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(rbuf[0], 0x5A);                /* not the write's bytes */
    assert_int_equal(caller_calls, 1);
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_DHRS);
    assert_int_equal(w->irp.IoStatus.Status, STATUS_SUCCESS);
    free(r);
    free(w);

    /* A read that fails: its list goes back (the map registers are free
     * for the next), the caller's routine runs (SL_INVOKE_ON_ERROR). */
    r = AhciSimRequest(rbuf, 4096, high, 1);
    AhciSimCdbRw(r, SCSIOP_READ, 0, 8);
    set_caller_routine(r, NULL);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    AhciFailAll(&port, SRB_STATUS_ERROR);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_IO_DEVICE_ERROR);
    assert_null(port.Slots[0].Sg);
    assert_int_equal(caller_calls, 2);
    free(r);

    /* 160 KiB (the old per-slot bounce share was 128 KiB): carried whole. */
    static PFN_NUMBER many[40];
    PUCHAR big = aligned_alloc(4096, 40 * 4096);
    for (int i = 0; i < 40; i++)
        many[i] = 0x300000 + i;
    r = AhciSimRequest(big, 40 * 4096, many, 40);
    AhciSimCdbRw(r, SCSIOP_READ, 0, 320);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(port.Issued, 1);
    assert_int_equal(port.Slots[0].Prdt[0].Dbc, 40 * 4096 - 1);
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_DHRS);
    assert_int_equal(r->srb.SrbStatus, SRB_STATUS_SUCCESS);
    free(r);
    free(big);

    teardown_port();
    free(rbuf);
    free(wbuf);
}

/* Every map register taken (four 1 MiB reads in flight fill the 4 MiB):
 * the next request is not failed but waits at the head of the queue, with
 * the one behind it, and both are issued once a slot completes. */
static void test_map_registers_exhausted_waits(void **state)
{
    enum { BIG = 1024 * 1024, PAGES = BIG / 4096 };
    AHCI_SIM_REQ *big[4], *small[2];
    PUCHAR buf[4], sbuf = aligned_alloc(4096, 8192);
    static PFN_NUMBER pfn[4][PAGES];
    PFN_NUMBER spfn[] = { 0x500000, 0x500001 };

    setup_32bit = TRUE;
    setup_port(TRUE);
    for (int i = 0; i < 4; i++) {
        buf[i] = aligned_alloc(4096, BIG);
        for (int p = 0; p < PAGES; p++)
            pfn[i][p] = 0x400000 + i * 0x1000 + p;
        big[i] = AhciSimRequest(buf[i], BIG, pfn[i], PAGES);
        AhciSimCdbRw(big[i], SCSIOP_READ, i * 2048, 2048);
        AhciSubmitSrb(&port, &big[i]->irp, &big[i]->srb);
    }
    assert_int_equal(port.Issued, 0xF);
    for (int i = 0; i < 2; i++) {
        small[i] = AhciSimRequest(sbuf + i * 4096, 4096, &spfn[i], 1);
        AhciSimCdbRw(small[i], SCSIOP_READ, 9000 + i * 8, 8);
        AhciSubmitSrb(&port, &small[i]->irp, &small[i]->srb);
    }
    assert_int_equal(port.Issued, 0xF);             /* waiting, not failed */
    assert_int_equal(ncompleted, 0);
    assert_true(port.SgStalled);
    assert_ptr_equal(port.Pending.Flink, &small[0]->irp.Tail.Overlay.ListEntry);

    /* Slot 1's read ends: its registers free, both wait no more, in order. */
    memset(contig_block + BIG, 0x6B, BIG);
    setreg(AHCI_PxSACT, 0xD);
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(big[1]->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(buf[1][0], 0x6B);
    assert_int_equal(buf[1][BIG - 1], 0x6B);
    assert_false(port.SgStalled);
    assert_true(IsListEmpty(&port.Pending));
    assert_int_equal(port.Issued, 0xF | 0x2 | 0x10);
    assert_ptr_equal(port.Slots[1].Irp, &small[0]->irp);
    assert_ptr_equal(port.Slots[4].Irp, &small[1]->irp);

    setreg(AHCI_PxSACT, 0);
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 6);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(small[i]->irp.IoStatus.Status, STATUS_SUCCESS);
        free(small[i]);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(big[i]->irp.IoStatus.Status, STATUS_SUCCESS);
        free(big[i]);
        free(buf[i]);
    }
    teardown_port();
    free(sbuf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prdt_from_mdl),
        cmocka_unit_test(test_prdt_limits),
        cmocka_unit_test(test_ncq_ordering),
        cmocka_unit_test(test_polled_doorbell_batching),
        cmocka_unit_test(test_error_stops_issue),
        cmocka_unit_test(test_synthesized_and_sense),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_bounce_above_4g),
        cmocka_unit_test(test_bounce_slot_reuse_and_errors),
        cmocka_unit_test(test_map_registers_exhausted_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
