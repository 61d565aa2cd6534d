/* test_ahci_mode.c - the run-time interrupt mode machine and the watchdog
 * (drivers/ahci/mode.c) on a controller whose registers and PCI
 * configuration space are plain memory (config access answered by a fake
 * lower device through IRP_MN_READ/WRITE_CONFIG): MSI <-> INTx <-> poll
 * with the function's MSI Enable / INTx Disable bits and each port's PxIE,
 * refusals, quiesce/resume around a change, the lost-interrupt decision
 * (a finished command unreaped across two ticks) and the fallback chain
 * MSI -> INTx -> Poll, deadlines and a vanished disk found by the tick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ahcip.h"
#include "ahci_sim.h"
#include <pci.h>
#include "host_support.h"

/* error.c escalates a stuck engine to an HBA reset (hba.c, not linked
 * here; test_ahci_model.c runs the real one against the model). */
NTSTATUS AhciHbaReset(PAHCI_CONTROLLER Ctrl) { return STATUS_SUCCESS; }
AHCI_PARAMETERS AhciParameters = { NtstorAhciModeMsi, TRUE, 32, FALSE };
const char *const AhciModeNames[3] = { "poll", "msi", "intx" };

static int ncompleted;
VOID IoCompleteRequest(PIRP Irp, CCHAR Boost)
{
    PIO_STACK_LOCATION st = IoGetCurrentIrpStackLocation(Irp);
    ncompleted++;
    if (st->CompletionRoutine)
        st->CompletionRoutine(NULL, Irp, st->Context);
}
BOOLEAN AhciWaitRegister(volatile UCHAR *Base, ULONG Offset, ULONG Mask, ULONG Value, ULONG Ms)
{
    return (*(volatile ULONG *)(Base + Offset) & Mask) == Value;
}
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS pa = { .QuadPart = (LONGLONG)(ULONG_PTR)Va };
    return pa;
}
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T Bytes, PHYSICAL_ADDRESS Low,
                                             PHYSICAL_ADDRESS High, PHYSICAL_ADDRESS Boundary,
                                             MEMORY_CACHING_TYPE Type) { return NULL; }
VOID MmFreeContiguousMemory(PVOID Base) { }

/* ---- the PCI function's configuration space, behind a fake PDO ---- */
static UCHAR cfg[256];
static ULONG cfg_writes;
#define MSI_CAP 0x80

typedef struct { IRP irp; IO_STACK_LOCATION stack[2]; } FAKE_IRP;
PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    FAKE_IRP *f = calloc(1, sizeof(*f));
    f->irp.StackCount = 1;
    f->irp.CurrentLocation = 2;
    f->irp.Tail.Overlay.CurrentStackLocation = &f->stack[1];
    return &f->irp;
}
VOID IoFreeIrp(PIRP Irp) { free(Irp); }
NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->CurrentLocation--;
    Irp->Tail.Overlay.CurrentStackLocation--;
    PIO_STACK_LOCATION st = IoGetCurrentIrpStackLocation(Irp);
    ULONG off = st->Parameters.ReadWriteConfig.Offset, len = st->Parameters.ReadWriteConfig.Length;
    assert_true(off + len <= sizeof(cfg));
    if (st->MinorFunction == IRP_MN_WRITE_CONFIG) {
        memcpy(cfg + off, st->Parameters.ReadWriteConfig.Buffer, len);
        cfg_writes++;
    } else {
        memcpy(st->Parameters.ReadWriteConfig.Buffer, cfg + off, len);
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = len;
    IoCompleteRequest(Irp, 0);
    return STATUS_SUCCESS;
}

static USHORT cfg16(ULONG off) { return (USHORT)(cfg[off] | (cfg[off + 1] << 8)); }
static BOOLEAN msi_on(void) { return (cfg16(MSI_CAP + PCI_MSI_CONTROL) & PCI_MSI_CTRL_ENABLE) != 0; }
static BOOLEAN intx_on(void) { return !(cfg16(PCI_CFG_COMMAND) & PCI_COMMAND_INTX_DISABLE); }

/* ---- controller with two ports ---- */
static AHCI_CONTROLLER ctrl;
static AHCI_PORT ports[2];
static UCHAR abar[AHCI_PORT_OFFSET(2)];
static UCHAR *dma[2];
static DEVICE_OBJECT lower;
static UCHAR fake_interrupt_storage[64];

static ULONG preg(int p, ULONG off) { return *(ULONG *)(abar + AHCI_PORT_OFFSET(p) + off); }
static void setpreg(int p, ULONG off, ULONG v) { *(ULONG *)(abar + AHCI_PORT_OFFSET(p) + off) = v; }

static int setup(void **state)
{
    memset(&ctrl, 0, sizeof(ctrl));
    memset(ports, 0, sizeof(ports));
    memset(abar, 0, sizeof(abar));
    memset(cfg, 0, sizeof(cfg));
    cfg_writes = 0;
    ncompleted = 0;
    /* Capability list with MSI at 0x80, MSI enabled (START left it so). */
    cfg[PCI_CFG_STATUS] = PCI_STATUS_CAP_LIST;
    cfg[PCI_CFG_CAP_PTR] = MSI_CAP;
    cfg[MSI_CAP] = PCI_CAP_ID_MSI;
    cfg[MSI_CAP + PCI_MSI_CONTROL] = PCI_MSI_CTRL_ENABLE;
    cfg[PCI_CFG_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
    lower.StackSize = 1;
    ctrl.LowerDevice = &lower;
    ctrl.Abar = abar;
    ctrl.Cap = AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO;
    ctrl.NumSlots = 32;
    ctrl.Msi.Present = ctrl.Intx.Present = TRUE;
    ctrl.Msi.Object = ctrl.Intx.Object = (PKINTERRUPT)fake_interrupt_storage;
    ctrl.Source = NtstorAhciModeMsi;
    ctrl.Started = TRUE;
    AhciFindMsiCapability(&ctrl);
    assert_int_equal(ctrl.MsiCap, MSI_CAP);

    for (int p = 0; p < 2; p++) {
        PAHCI_PORT port = &ports[p];
        dma[p] = AhciSimInitPort(port, &ctrl, abar + AHCI_PORT_OFFSET(p), TRUE);
        port->Index = p;
        port->Device.MaxTransferSectors = 2048;
        setpreg(p, AHCI_PxSSTS, AHCI_PxSSTS_DET_PHY);
        setpreg(p, AHCI_PxTFD, ATA_STS_DRDY);
        setpreg(p, AHCI_PxIE, AHCI_PxIE_DEFAULT);
        ctrl.Ports[p] = port;
    }
    return 0;
}

static int teardown(void **state)
{
    AhciSimFreePort(&ports[0], dma[0]);
    AhciSimFreePort(&ports[1], dma[1]);
    return 0;
}

static void test_source_switch_msi_intx_poll(void **state)
{
    assert_true(msi_on());
    assert_false(intx_on());

    assert_int_equal(AhciSetInterruptSource(&ctrl, NtstorAhciModeIntx), STATUS_SUCCESS);
    assert_int_equal(ctrl.Source, NtstorAhciModeIntx);
    assert_false(msi_on());
    assert_true(intx_on());
    for (int p = 0; p < 2; p++) {
        assert_int_equal(ports[p].Mode, NtstorAhciModeIntx);   /* every interrupt port follows */
        assert_int_equal(preg(p, AHCI_PxIE), AHCI_PxIE_DEFAULT);
        assert_false(ports[p].Quiesced);                        /* resumed */
    }
    assert_true(*(ULONG *)(abar + AHCI_GHC) & AHCI_GHC_IE);

    /* One port to polling: only its PxIE goes off; the source stays. */
    assert_int_equal(AhciSetPortMode(&ports[1], NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ports[1].Mode, NtstorAhciModePoll);
    assert_int_equal(preg(1, AHCI_PxIE), 0);
    assert_int_equal(ports[0].Mode, NtstorAhciModeIntx);
    assert_int_equal(ctrl.Source, NtstorAhciModeIntx);

    /* Back to MSI: the polled port stays polled. */
    assert_int_equal(AhciSetPortMode(&ports[0], NtstorAhciModeMsi), STATUS_SUCCESS);
    assert_true(msi_on());
    assert_false(intx_on());
    assert_int_equal(ports[0].Mode, NtstorAhciModeMsi);
    assert_int_equal(ports[1].Mode, NtstorAhciModePoll);

    /* Poll as the source: neither signals, GHC.IE off. */
    assert_int_equal(AhciSetInterruptSource(&ctrl, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_false(msi_on());
    assert_false(intx_on());
    assert_false(*(ULONG *)(abar + AHCI_GHC) & AHCI_GHC_IE);

    /* Not offered / not connected: refused, nothing written. */
    ULONG writes = cfg_writes;
    ctrl.Msi.Object = NULL;
    assert_int_equal(AhciSetPortMode(&ports[0], NtstorAhciModeMsi), STATUS_NOT_SUPPORTED);
    assert_int_equal(cfg_writes, writes);
    assert_int_equal(AhciSetPortMode(&ports[0], 7), STATUS_INVALID_PARAMETER);
}

/* A switch waits for commands in flight to finish (quiesce polls them) and
 * issues what queued up meanwhile. */
static void test_switch_drains_and_resumes(void **state)
{
    AHCI_SIM_REQ *a = AhciSimRead(1), *b = AhciSimRead(2);

    AhciSubmitSrb(&ports[0], &a->irp, &a->srb);
    assert_int_equal(ports[0].Issued, 1);
    /* The HBA finishes it by the time the quiesce looks. */
    setpreg(0, AHCI_PxCI, 0);
    setpreg(0, AHCI_PxSACT, 0);
    assert_true(AhciQuiescePort(&ports[0]));
    assert_int_equal(ports[0].Issued, 0);
    assert_int_equal(a->irp.IoStatus.Status, STATUS_SUCCESS);
    /* Arrives while quiesced: waits, not issued. */
    AhciSubmitSrb(&ports[0], &b->irp, &b->srb);
    assert_int_equal(ports[0].Issued, 0);
    assert_false(IsListEmpty(&ports[0].Pending));
    AhciResumePort(&ports[0]);
    assert_int_equal(ports[0].Issued, 1);
    assert_true(IsListEmpty(&ports[0].Pending));
    free(a);
    free(b);
}

/* A port its owner quiesced (raw bench, a mode change at PASSIVE_LEVEL)
 * stays quiesced across a source switch the watchdog's fallback makes
 * meanwhile: the switch must not hand the owner's slots back to the
 * pending queue, nor turn on its PxIE or eat its PxIS bits. */
static void test_switch_keeps_foreign_quiesce(void **state)
{
    AHCI_SIM_REQ *b = AhciSimRead(2);

    assert_true(AhciQuiescePort(&ports[0]));
    setpreg(0, AHCI_PxIE, 0);                           /* the bench turns it off */
    setpreg(0, AHCI_PxIS, AHCI_PxIS_TFES);              /* and reads errors from here */
    AhciSubmitSrb(&ports[0], &b->irp, &b->srb);
    assert_int_equal(AhciSetInterruptSource(&ctrl, NtstorAhciModeIntx), STATUS_SUCCESS);
    assert_true(ports[0].Quiesced);
    assert_int_equal(ports[0].Issued, 0);
    assert_false(IsListEmpty(&ports[0].Pending));
    assert_int_equal(preg(0, AHCI_PxIE), 0);
    assert_int_equal(preg(0, AHCI_PxIS), AHCI_PxIS_TFES);
    assert_int_equal(ports[0].Mode, NtstorAhciModeIntx); /* the owner's resume applies it */
    assert_false(ports[1].Quiesced);
    assert_int_equal(preg(1, AHCI_PxIE), AHCI_PxIE_DEFAULT);
    AhciResumePort(&ports[0]);
    assert_false(ports[0].Quiesced);
    assert_int_equal(ports[0].Issued, 1);
    free(b);
}

/* The watchdog: a command the HBA finished stays unreaped across two ticks
 * while the port waits for an interrupt -> lost interrupt, fallback
 * MSI -> INTx; again -> Poll.  One tick alone, or progress in between, is
 * not a loss. */
static void test_watchdog_lost_interrupt_fallback(void **state)
{
    AHCI_SIM_REQ *r = AhciSimRead(3);

    AhciSubmitSrb(&ports[0], &r->irp, &r->srb);
    assert_int_equal(ports[0].Issued, 1);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);           /* still running: nothing */
    assert_int_equal(ports[0].LostInterrupts, 0);
    setpreg(0, AHCI_PxCI, 0);
    setpreg(0, AHCI_PxSACT, 0);                         /* done, no interrupt */
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);           /* first sight */
    assert_int_equal(ports[0].LostInterrupts, 0);
    assert_int_equal(ports[0].Issued, 1);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);           /* still unreaped: lost */
    assert_int_equal(ports[0].LostInterrupts, 1);
    assert_true(ports[0].Quirks & NTSTOR_AHCI_QUIRK_LOST_INTERRUPT);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_SUCCESS);   /* reaped by the tick */
    assert_int_equal(ctrl.Source, NtstorAhciModeIntx);
    assert_true(intx_on());
    assert_false(msi_on());

    /* Progress between ticks (an interrupt reaped something) is no loss. */
    AHCI_SIM_REQ *a = AhciSimRead(4), *b = AhciSimRead(5);
    AhciSubmitSrb(&ports[0], &a->irp, &a->srb);
    AhciSubmitSrb(&ports[0], &b->irp, &b->srb);
    setpreg(0, AHCI_PxSACT, 0x2);                       /* slot 0 done, 1 running */
    setpreg(0, AHCI_PxCI, 0x2);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    AhciProcessPort(&ports[0], 0);                      /* the interrupt's DPC */
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    assert_int_equal(ports[0].LostInterrupts, 1);
    assert_int_equal(ctrl.Source, NtstorAhciModeIntx);

    /* Lost again under INTx: fall back to polling. */
    setpreg(0, AHCI_PxSACT, 0);
    setpreg(0, AHCI_PxCI, 0);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    assert_int_equal(ports[0].LostInterrupts, 2);
    assert_int_equal(ctrl.Source, NtstorAhciModePoll);
    assert_false(intx_on());
    assert_false(msi_on());
    assert_int_equal(b->irp.IoStatus.Status, STATUS_SUCCESS);

    /* Every port now polls: interrupts off at the port. */
    for (int p = 0; p < 2; p++) {
        assert_int_equal(ports[p].Mode, NtstorAhciModePoll);
        assert_int_equal(preg(p, AHCI_PxIE), 0);
    }
    /* A polled port's finished-but-unreaped command is no lost interrupt. */
    AHCI_SIM_REQ *c = AhciSimRead(6);
    KIRQL irql;
    KeAcquireSpinLock(&ports[0].Lock, &irql);
    InsertTailList(&ports[0].Pending, &c->irp.Tail.Overlay.ListEntry);
    LIST_ENTRY done;
    InitializeListHead(&done);
    AhciStartPending(&ports[0], &done);
    KeReleaseSpinLock(&ports[0].Lock, irql);
    setpreg(0, AHCI_PxSACT, 0);
    setpreg(0, AHCI_PxCI, 0);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    assert_int_equal(ports[0].LostInterrupts, 2);
    free(r);
    free(a);
    free(b);
    free(c);
}

/* The tick also ends commands past their deadline, and finds a disk whose
 * link went down without an interrupt saying so. */
static void test_watchdog_deadline_and_vanished_disk(void **state)
{
    AHCI_SIM_REQ *r = AhciSimRead(9), *s = AhciSimRead(10);

    AhciSubmitSrb(&ports[1], &r->irp, &r->srb);
    setpreg(1, AHCI_PxCI, 1);
    setpreg(1, AHCI_PxSACT, 1);
    ports[1].Slots[0].Deadline = 0;                     /* long past */
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    assert_int_equal(SRB_STATUS(r->srb.SrbStatus), SRB_STATUS_TIMEOUT);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_IO_TIMEOUT);
    assert_int_equal(ports[1].Errors, 1);

    AhciSubmitSrb(&ports[1], &s->irp, &s->srb);
    assert_int_equal(ports[1].Issued, 1);
    setpreg(1, AHCI_PxSSTS, AHCI_PxSSTS_DET_NONE);
    AhciWatchdogDpc(NULL, &ctrl, NULL, NULL);
    assert_int_equal(ports[1].State, AhciPortGone);
    assert_int_equal(s->irp.IoStatus.Status, STATUS_DEVICE_DOES_NOT_EXIST);
    assert_int_equal(ports[0].State, AhciPortReady);    /* the other disk is unaffected */
    free(r);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_source_switch_msi_intx_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_drains_and_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_keeps_foreign_quiesce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_lost_interrupt_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_deadline_and_vanished_disk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
