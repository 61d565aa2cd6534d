/* test_ahci_model.c - the AHCI driver's real start-up, interrupt, I/O and
 * recovery code (hba.c, port.c, intr.c, io.c, error.c, mode.c) against the
 * behavioural HBA model (hba_model.c) on a virtual clock: what QEMU's
 * ich9-ahci never shows.  One test per pitfall of the AHCI hardening issue
 * (docs/ahci-hardening.md has the table); each failed on the driver before
 * its fix. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <cmocka.h>
#include "ahcip.h"
#include "ahci_sim.h"
#include "hba_model.h"
#include "host_support.h"

AHCI_PARAMETERS AhciParameters;
const char *const AhciModeNames[3] = { "poll", "msi", "intx" };

static int ncompleted;
VOID IoCompleteRequest(PIRP Irp, CCHAR Boost) { ncompleted++; }

/* ---- Mm: identity-mapped host memory ---- */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS pa = { .QuadPart = (LONGLONG)(ULONG_PTR)Va };
    return pa;
}
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T Bytes, PHYSICAL_ADDRESS Low,
                                             PHYSICAL_ADDRESS High, PHYSICAL_ADDRESS Boundary,
                                             MEMORY_CACHING_TYPE Type)
{
    PVOID p = aligned_alloc(4096, (Bytes + 4095) & ~4095ul);
    memset(p, 0, Bytes);
    return p;
}
VOID MmFreeContiguousMemory(PVOID Base) { free(Base); }
PVOID MmMapIoSpace(PHYSICAL_ADDRESS Pa, SIZE_T Bytes, MEMORY_CACHING_TYPE Type)
{
    return ModelAbar();
}
VOID MmUnmapIoSpace(PVOID Base, SIZE_T Bytes) { }
VOID KeInitializeTimer(PKTIMER Timer) { }
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER Due, LONG Period, PKDPC Dpc) { return FALSE; }
BOOLEAN KeCancelTimer(PKTIMER Timer) { return FALSE; }

/* ---- PCI configuration space: the model's, behind a fake PDO ---- */
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
    assert_true(off + len <= 256);
    if (st->MinorFunction == IRP_MN_WRITE_CONFIG)
        memcpy(ModelConfigSpace() + off, st->Parameters.ReadWriteConfig.Buffer, len);
    else
        memcpy(st->Parameters.ReadWriteConfig.Buffer, ModelConfigSpace() + off, len);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = len;
    if (st->CompletionRoutine)
        st->CompletionRoutine(NULL, Irp, st->Context);
    return STATUS_SUCCESS;
}

/* ---- the controller under test ---- */
static AHCI_CONTROLLER ctrl;
static DEVICE_OBJECT lower, pciPdo;
static union {
    CM_RESOURCE_LIST list;
    UCHAR space[sizeof(CM_RESOURCE_LIST) + 4 * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR)];
} res;

static MODEL_DRIVE_CONFIG Disk(VOID)
{
    MODEL_DRIVE_CONFIG d = { .Present = TRUE, .NcqDepth = 32, .Gpl = TRUE, .LinkMs = 5,
                             .BusyMs = 50, .CommandUs = 40 };
    return d;
}

static VOID Params(NTSTOR_AHCI_MODE Mode)
{
    memset(&AhciParameters, 0, sizeof(AhciParameters));
    AhciParameters.InterruptMode = Mode;
    AhciParameters.Ncq = TRUE;
    AhciParameters.MaxQueueDepth = 32;
    AhciParameters.Debug = TRUE;
}

/* Brings the model up with Drives and starts the controller in Mode. */
static NTSTATUS Start(const MODEL_OPTIONS *O, const MODEL_DRIVE_CONFIG *Drives,
                      NTSTOR_AHCI_MODE Mode)
{
    /* A test that failed half-way may have left the last controller's
     * DPCs queued. */
    KeRemoveQueueDpc(&ctrl.Dpc);
    KeRemoveQueueDpc(&ctrl.WatchdogDpc);
    ModelInit(O, Drives);
    Params(Mode);
    memset(&ctrl, 0, sizeof(ctrl));
    ctrl.IsFdo = TRUE;
    lower.StackSize = 1;
    ctrl.LowerDevice = &lower;
    ctrl.PciPdo = &pciPdo;      /* IoInvalidateDeviceRelations is host_support's, counted */
    KeInitializeDpc(&ctrl.Dpc, AhciDpc, &ctrl);
    KeInitializeDpc(&ctrl.WatchdogDpc, AhciWatchdogDpc, &ctrl);
    memset(&res, 0, sizeof(res));
    res.list.Count = 1;
    PCM_PARTIAL_RESOURCE_LIST pl = &res.list.List[0].PartialResourceList;
    pl->PartialDescriptors[0].Type = CmResourceTypeMemory;
    pl->PartialDescriptors[0].u.Memory.Start.QuadPart = 0xFEB00000;
    pl->PartialDescriptors[0].u.Memory.Length = ModelAbarLength();
    pl->Count = 1;
    if (Mode == NtstorAhciModeIntx) {
        pl->PartialDescriptors[1].Type = CmResourceTypeInterrupt;
        pl->PartialDescriptors[1].u.Interrupt.Vector = 0x40;
        pl->PartialDescriptors[1].u.Interrupt.Level = 5;
        pl->Count = 2;
    }
    ncompleted = 0;
    return AhciHbaStart(&ctrl, &res.list);
}

static VOID Stop(VOID)
{
    AhciHbaStop(&ctrl);
    ModelFree();
}

static ULONG ReadIe(ULONG Port)
{
    return AhciRead(ModelAbar() + AHCI_PORT_OFFSET(Port), AHCI_PxIE);
}

static AHCI_PORT_STATE State(ULONG Port)
{
    return ctrl.Ports[Port] ? ctrl.Ports[Port]->State : AhciPortStateCount;
}

/* One READ(10) through the port's SRB path, polled to its end. */
static UCHAR ReadSrb(ULONG Port, ULONG Lba, PVOID Buffer, ULONG Blocks)
{
    AHCI_SIM_REQ *r = AhciSimRequest(Buffer, Blocks * 512, NULL, 0);
    AhciSimCdbRw(r, SCSIOP_READ, Lba, (USHORT)Blocks);
    r->srb.TimeOutValue = 30;
    r->srb.SrbFlags |= SRB_FLAGS_NTSTOR_POLL;
    AhciSubmitSrb(ctrl.Ports[Port], &r->irp, &r->srb);
    UCHAR st = SRB_STATUS(r->srb.SrbStatus);
    free(r);
    return st;
}

/* ---- baseline: a QEMU-like HBA works, so the model and harness do ---- */
static void test_baseline_qemu_like(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 2, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(State(1), AhciPortEmpty);
    assert_int_equal(ctrl.Ports[0]->Device.Sectors, 0x200000);
    memset(ModelDriveData(0) + 512 * 7, 0x5A, 512);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    assert_int_equal(buf[512 * 7], 0x5A);
    Stop();
}

/* A read that fails (UNC) on a real HBA, which stops processing: the
 * recovery restarts the engine and the error reaches the caller. */
static void test_baseline_error_stops_hba(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    d[0].NcqDepth = 0;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    ModelFailLba(0, 3, 0);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_ERROR);
    assert_int_equal(ReadSrb(0, 8, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* ---- pitfall 1: link bring-up on real PHYs and disks ---- */

/* Training takes 150 ms (a Gen3 PHY with spread spectrum) and the disk
 * is busy 12 s spinning up: the old 10 ms link wait and one 10 s BSY wait
 * left the port "empty" or "failed". */
static void test_p1_slow_link_and_long_busy(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1 };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    d[0].LinkMs = 150;
    d[0].BusyMs = 12000;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    Stop();
}

/* The first training fails (DET=1): Linux resets again on its schedule. */
static void test_p1_link_fails_once(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1 };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    d[0].LinkFailures = 1;
    d[0].LinkMs = 20;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    assert_true(ModelStats.Comresets[0] >= 1);
    Stop();
}

/* ---- pitfall 2: PxIS.PCS/PRCS mirror SError: a level INTx storm ---- */
static void test_p2_link_glitch_no_interrupt_storm(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    assert_int_equal(Start(&o, d, NtstorAhciModeIntx), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    host_run_dpcs();
    ModelStats.StormCalls = 0;
    ModelLinkGlitch(0);
    ModelAdvanceUs(10);
    assert_true(ModelStats.IsrCalls > 0);
    /* The ISR itself must bring the line down: its DPC cannot run while
     * a level interrupt keeps firing. */
    assert_int_equal(ModelStats.StormCalls, 0);
    assert_false(ModelInterruptAsserted());
    host_run_dpcs();
    assert_int_equal(State(0), AhciPortReady);
    Stop();
}

/* ---- pitfall 3: link power management ---- */

/* A DIPM disk on a port the firmware left unrestricted: idle, it takes the
 * link to slumber (DET=1), which the old driver read as "disk gone". */
static void test_p3_lpm_forced_off(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    d[0].Dipm = TRUE;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    ModelAdvanceUs(500000);
    assert_int_equal(ModelStats.Slumbers[0], 0);
    assert_false(ModelDriveDipm(0));
    assert_true(AhciPortCheckLink(ctrl.Ports[0]));
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* A link already in slumber (IPM 6, DET 1) is a disk that is there. */
static void test_p3_slumber_is_present(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    ModelForceSlumber(0);
    assert_true(AhciPortCheckLink(ctrl.Ports[0]));
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* ---- pitfall 4: long waits in a PASSIVE_LEVEL worker ---- */

/* An NCQ error on a drive without log page 10h needs a COMRESET, after
 * which this drive stays busy 12 s.  The DPC that sees the error does
 * only the bounded steps; the reset waits in the worker at PASSIVE_LEVEL
 * while the port holds its requests (a new one waits in Pending, nothing
 * is issued), then the failed read ends with its medium error and the
 * waiting one is issued.  The old driver spun the 12 s in the DPC. */
static void test_p4_recovery_waits_in_worker(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[2][4096] __attribute__((aligned(4096)));
    AHCI_SIM_REQ *r[2];

    d[0].Gpl = FALSE;
    assert_int_equal(Start(&o, d, NtstorAhciModeIntx), STATUS_SUCCESS);
    host_run_dpcs();
    PAHCI_PORT port = ctrl.Ports[0];
    ULONG resets = ModelStats.Comresets[0], runs = host_work_items_run;
    ModelFailLba(0, 3, 1);
    ModelSetBusyMs(0, 12000);
    ModelStats.DispatchStallUs = 0;
    ULONG64 t0 = ModelNowUs();
    host_hold_work_items = TRUE;
    for (int i = 0; i < 2; i++) {
        r[i] = AhciSimRequest(buf[i], 4096, NULL, 0);
        AhciSimCdbRw(r[i], SCSIOP_READ, 8 * i, 8);
        r[i]->srb.TimeOutValue = 30;
    }
    AhciSubmitSrb(port, &r[0]->irp, &r[0]->srb);
    for (int i = 0; i < 100 && !port->InRecovery; i++) {
        ModelAdvanceUs(100);
        host_run_dpcs();
    }
    /* The DPC handed the recovery over: the port holds its command. */
    assert_true(port->InRecovery);
    assert_int_equal(host_work_items_queued(), 1);
    assert_int_equal(port->Issued, 0);
    assert_int_equal(port->Rec.Outstanding, 1);
    assert_int_equal(ReadIe(0), 0);
    assert_true(ModelNowUs() - t0 < 1000000);
    ULONG cmds = ModelStats.Commands[0];
    AhciSubmitSrb(port, &r[1]->irp, &r[1]->srb);
    ModelAdvanceUs(1000);
    host_run_dpcs();
    assert_false(IsListEmpty(&port->Pending));
    assert_int_equal(port->Issued, 0);
    assert_int_equal(ModelStats.Commands[0], cmds);
    assert_int_equal(ncompleted, 0);

    host_hold_work_items = FALSE;
    host_run_work_items();
    assert_int_equal(host_work_items_run, runs + 1);
    assert_int_equal(host_work_item_irql, PASSIVE_LEVEL);
    assert_false(port->InRecovery);
    assert_true(ModelStats.Comresets[0] > resets);
    assert_true(ModelNowUs() - t0 >= 12000000);       /* the wait happened ... */
    assert_true(ModelStats.DispatchStallUs < 1000000); /* ... not at DISPATCH_LEVEL */
    assert_int_equal(ReadIe(0), AHCI_PxIE_DEFAULT);
    for (int i = 0; i < 1000 && ncompleted < 2; i++) {
        ModelAdvanceUs(100);
        host_run_dpcs();
    }
    assert_int_equal(ncompleted, 2);
    /* Without log page 10h all the drive said is ABRT (SATA 13.6.3.5). */
    assert_int_equal(SRB_STATUS(r[0]->srb.SrbStatus), SRB_STATUS_ERROR);
    assert_int_equal(r[0]->sense[2] & 0xF, SCSI_SENSE_ABORTED_COMMAND);
    assert_int_equal(SRB_STATUS(r[1]->srb.SrbStatus), SRB_STATUS_SUCCESS);
    assert_true(ModelStats.DispatchStallUs < 1000000);
    for (int i = 0; i < 2; i++)
        free(r[i]);
    Stop();
}

/* Polled: the submitter's loop waits for the worker (the host's
 * KeWaitForSingleObject lets it run) instead of spinning the reset's 12 s
 * with the lock held. */
static void test_p4_polled_recovery_waits_for_worker(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    d[0].Gpl = FALSE;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    ULONG runs = host_work_items_run;
    ModelFailLba(0, 3, 1);
    ModelSetBusyMs(0, 12000);
    ModelStats.DispatchStallUs = 0;
    ULONG64 t0 = ModelNowUs();
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_ERROR);
    assert_int_equal(host_work_items_run, runs + 1);
    assert_true(ModelNowUs() - t0 >= 12000000);
    assert_true(ModelStats.DispatchStallUs < 1000000);
    assert_false(ctrl.Ports[0]->InRecovery);
    assert_int_equal(ReadSrb(0, 8, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* ---- pitfall 5: PUIS and the signature ---- */
static void test_p5_puis_spin_up(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    d[0].Puis = TRUE;
    d[0].SpinUpMs = 8000;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    assert_true(ModelDriveSpunUp(0));
    assert_int_equal(ctrl.Ports[0]->Device.Sectors, 0x200000);
    Stop();
}

/* Only LBA mid/high classify a device (ACS-3 9.1 / Linux ata_dev_classify):
 * a disk with other bytes in count/LBA low is still ATA. */
static void test_p5_signature_mid_high_only(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    d[0].Signature = 0x0000FF01;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    Stop();
}

/* ---- pitfall 6: binding and the quirk table ---- */

/* The config header of the model's profile, with BAR5 (ABAR) set or not. */
static VOID ProfileConfig(MODEL_PROFILE Profile, BOOLEAN Abar, UCHAR *Cfg)
{
    MODEL_OPTIONS o = { .Profile = Profile, .Ports = 1 };
    ModelInit(&o, NULL);
    memcpy(Cfg, ModelConfigSpace(), 64);
    ULONG bar5 = Abar ? 0xFEB00000 : 0;
    memcpy(Cfg + 0x24, &bar5, 4);
    ModelFree();
}

static void test_p6_bind_by_class_and_id(void **state)
{
    UCHAR cfg[64];
    PCSTR why = NULL;

    /* Every profile's AHCI function is taken, the IDE-class JMB361 too. */
    for (int p = 0; p < ModelProfileCount; p++) {
        ProfileConfig((MODEL_PROFILE)p, TRUE, cfg);
        assert_true(AhciBindAllowed(cfg, &why));
    }
    /* JMicron's PATA function: same ID, IDE class, no ABAR. */
    ProfileConfig(ModelJmb361, FALSE, cfg);
    assert_false(AhciBindAllowed(cfg, &why));
    /* Intel in RAID mode (8086:2822, class 010400): bound by ID. */
    ProfileConfig(ModelIntelPch, TRUE, cfg);
    cfg[2] = 0x22; cfg[3] = 0x28; cfg[9] = 0x00; cfg[10] = 0x04; cfg[11] = 0x01;
    assert_true(AhciBindAllowed(cfg, &why));
    /* An unknown RAID card (an LSI ID) and an unknown IDE controller: left alone. */
    cfg[0] = 0x00; cfg[1] = 0x10; cfg[2] = 0x79; cfg[3] = 0x00;
    assert_false(AhciBindAllowed(cfg, &why));
    cfg[0] = 0x86; cfg[1] = 0x80; cfg[2] = 0x20; cfg[3] = 0x29; cfg[10] = 0x01; cfg[9] = 0x8A;
    assert_false(AhciBindAllowed(cfg, &why));
}

/* The driver takes by ID only what the PnP manager offers it: system.cfg's
 * Match names those IDs (NT's INF model). */
static void test_p6_system_cfg_offers_bound_ids(void **state)
{
    static const char *const ids[] = {
        "PCI\\CC_010601", "PCI\\VEN_8086&DEV_2822", "PCI\\VEN_8086&DEV_282A",
        "PCI\\VEN_197B&DEV_2361", "PCI\\VEN_197B&DEV_2363", "PCI\\VEN_1B4B&DEV_9123",
        "PCI\\VEN_1002&DEV_4392", "PCI\\VEN_1022&DEV_7802",
    };
    FILE *f = fopen("tools/system.cfg", "r");
    char line[4096], match[4096] = "";
    BOOLEAN inAhci = FALSE;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '[')
            inAhci = strncmp(line, "[Services\\ahci]", 15) == 0;
        else if (inAhci && strncmp(line, "Match", 5) == 0)
            strcpy(match, line);
    }
    fclose(f);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_non_null(strstr(match, ids[i]));
}

static ULONG QuirksOf(ULONG Port)
{
    return ctrl.Quirks | (ctrl.Ports[Port] ? ctrl.Ports[Port]->Quirks : 0);
}

static void test_p6_profile_quirks(void **state)
{
    MODEL_DRIVE_CONFIG d[8] = { Disk(), Disk() };
    MODEL_OPTIONS o = { .Ports = 2, .LinkUpAtStart = TRUE };

    /* Intel (QEMU's ICH9 too): PCS port enables, nothing else. */
    o.Profile = ModelIch9Qemu;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.Quirks, NTSTOR_AHCI_QUIRK_INTEL_PCS);
    Stop();

    /* AMD SB600: S64A ignored (bounced), 255 sectors a command. */
    o.Profile = ModelAmdSb600;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_true(QuirksOf(0) & NTSTOR_AHCI_QUIRK_NO_64BIT);
    assert_true(QuirksOf(0) & NTSTOR_AHCI_QUIRK_MAX_255_SECTORS);
    assert_false(ctrl.Cap & AHCI_CAP_S64A);
    assert_int_equal(ctrl.Ports[0]->DmaLimit, AHCI_DMA_LIMIT_32BIT);
    assert_true(ctrl.Ports[0]->Device.MaxTransferSectors <= 255);
    assert_int_equal(State(0), AhciPortReady);
    Stop();

    /* ASM1062: 43 address bits. */
    o.Profile = ModelAsm1062;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_true(QuirksOf(0) & NTSTOR_AHCI_QUIRK_DMA_43BIT);
    assert_int_equal(ctrl.Ports[0]->DmaLimit, 1ull << 43);
    Stop();

    /* ASM1166: six ports, PI says eight. */
    o.Profile = ModelAsm1166;
    o.Ports = 6;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.PortsImplemented, 0x3F);
    assert_true(ctrl.Quirks & NTSTOR_AHCI_QUIRK_PHANTOM_PORTS);
    assert_null(ctrl.Ports[6]);
    assert_null(ctrl.Ports[7]);
    assert_int_equal(State(0), AhciPortReady);
    Stop();

    /* JMB361: one port, IDE class, spurious IFS ignored. */
    o.Profile = ModelJmb361;
    o.Ports = 1;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.PortsImplemented, 0x1);
    assert_true(ctrl.Quirks & NTSTOR_AHCI_QUIRK_IGNORE_IFS);
    assert_true(ctrl.Quirks & NTSTOR_AHCI_QUIRK_BOUND_BY_ID);
    assert_false(ctrl.Ports[0]->FatalIs & AHCI_PxIS_IFS);
    Stop();

    /* Marvell 88SE91xx: the hidden port is not set up. */
    o.Profile = ModelMarvell91xx;
    o.Ports = 2;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.PortsImplemented, 0x3);
    assert_null(ctrl.Ports[2]);
    Stop();
}

/* JMicron raises PxIS.IFS with nothing wrong: no recovery, no COMRESET. */
static void test_p6_jmicron_spurious_ifs(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelJmb361, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModeIntx), STATUS_SUCCESS);
    host_run_dpcs();
    ULONG resets = ModelStats.Comresets[0];
    ctrl.Ports[0]->Errors = 0;
    ModelSpuriousIfs(0);
    ModelAdvanceUs(10);
    host_run_dpcs();
    assert_int_equal(ctrl.Ports[0]->Errors, 0);
    assert_int_equal(ModelStats.Comresets[0], resets);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    assert_int_equal(ctrl.Ports[0]->Errors, 0);
    Stop();
}

/* ---- pitfall 7: HBA init ---- */
static void test_p7_ae_takes_several_writes(void **state)
{
    /* No CAP.SAM: the reset clears AE, which then takes four writes
     * (libahci tries five). */
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE,
                        .AeWritesNeeded = 4 };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ModelStats.HbaResets, 1);
    assert_true(AhciRead(ModelAbar(), AHCI_GHC) & AHCI_GHC_AE);
    assert_int_equal(State(0), AhciPortReady);
    Stop();
}

static void test_p7_pi_restored_after_reset(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 2, .LinkUpAtStart = TRUE,
                        .HrClearsPi = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk(), Disk() };

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.PortsImplemented, 0x3);
    assert_int_equal(AhciRead(ModelAbar(), AHCI_PI), 0x3);
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(State(1), AhciPortReady);
    Stop();
}

static void test_p7_pi_zero_rebuilt_from_np(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 2, .LinkUpAtStart = TRUE,
                        .PiZero = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk() };

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.PortsImplemented, 0x3);
    assert_int_equal(State(0), AhciPortReady);
    Stop();
}

static void test_p7_intel_pcs_enables(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 2, .LinkUpAtStart = TRUE,
                        .PcsClearedByReset = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk(), Disk() };

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ModelConfigSpace()[0x92] & 0x3, 0x3);
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(State(1), AhciPortReady);
    Stop();
}

/* ---- pitfall 8: engine discipline ---- */

/* After a COMRESET the disk is busy 15 s: the engine may start only once
 * BSY/DRQ are clear and DET=3 (10.3.1). */
static void test_p8_engine_start_gated(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    ModelSetBusyMs(0, 15000);
    AhciResetPort(ctrl.Ports[0]);
    assert_int_equal(ModelStats.StartViolations[0], 0);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* The engine will not stop (CR stays set) when recovery clears ST after a
 * failed read: COMRESET does not help, the HBA reset does.  The other
 * port is set up again and keeps working. */
static void test_p8_stuck_engine_escalates_to_hba_reset(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 2, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk(), Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    d[0].NcqDepth = 0;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ModelStats.HbaResets, 1);
    ModelFailLba(0, 3, 1);
    ModelStickEngine(0);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_ERROR);
    assert_int_equal(ModelStats.HbaResets, 2);
    assert_int_equal(ctrl.Ports[0]->HbaResets, 1);
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(ReadSrb(0, 8, buf, 8), SRB_STATUS_SUCCESS);
    assert_int_equal(State(1), AhciPortReady);
    assert_int_equal(ReadSrb(1, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* A drive without log 10h whose queued commands fail while several are
 * out but never when re-issued alone (an NCQ firmware problem, not a bad
 * sector): the first such failure is its one chance, the second within
 * the window turns NCQ off and the port goes on with non-queued commands.
 * (A failure that isolation pins on one command explains itself and does
 * not count: test_p8_ncq_stays_on_for_a_bad_sector.) */
static void test_p8_ncq_off_after_repeated_failures(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[3][4096] __attribute__((aligned(4096)));

    d[0].Gpl = FALSE;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    for (int round = 0; round < 2; round++) {
        AHCI_SIM_REQ *r[3];
        assert_true(ctrl.Ports[0]->UseNcq);
        ModelFailLba(0, 1000 + 3, 1);           /* once: alone it succeeds */
        for (int i = 0; i < 3; i++) {
            r[i] = AhciSimRequest(buf[i], 4096, NULL, 0);
            AhciSimCdbRw(r[i], SCSIOP_READ, 1000 * i, 8);
            r[i]->srb.TimeOutValue = 30;
            r[i]->irp.Flags |= IRP_NTSTOR_POLLED;
            AhciSubmitSrb(ctrl.Ports[0], &r[i]->irp, &r[i]->srb);
        }
        for (int n = 0; n < 100000; n++) {
            BOOLEAN pending = FALSE;
            for (int i = 0; i < 3; i++)
                pending |= r[i]->srb.SrbStatus == SRB_STATUS_PENDING;
            if (!pending)
                break;
            AhciPollLook(ctrl.Ports[0]);
            ModelAdvanceUs(10);
        }
        for (int i = 0; i < 3; i++) {
            assert_int_equal(SRB_STATUS(r[i]->srb.SrbStatus), SRB_STATUS_SUCCESS);
            free(r[i]);
        }
    }
    assert_int_equal(ModelStats.NcqErrors[0], 2);
    assert_false(ctrl.Ports[0]->UseNcq);
    assert_true(ctrl.Ports[0]->Quirks & NTSTOR_AHCI_QUIRK_NCQ_FAILING);
    assert_int_equal(ReadSrb(0, 8, buf[0], 8), SRB_STATUS_SUCCESS);
    assert_int_equal(ctrl.Ports[0]->NcqIssued, 0);
    Stop();
}

/* A bad sector on a drive without log 10h: every read of it fails, alone,
 * so isolation pins each failure on its command; NCQ stays on. */
static void test_p8_ncq_stays_on_for_a_bad_sector(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    d[0].Gpl = FALSE;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    ModelFailLba(0, 3, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_ERROR);
    assert_true(ctrl.Ports[0]->UseNcq);
    assert_int_equal(ModelStats.NcqErrors[0], 4);
    Stop();
}

/* A drive that names the failed tag (log 10h) has a medium error, not an
 * NCQ problem: NCQ stays on however often it happens. */
static void test_p8_ncq_stays_on_for_named_errors(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    ModelFailLba(0, 3, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_ERROR);
    assert_true(ctrl.Ports[0]->UseNcq);
    assert_int_equal(ModelStats.NcqErrors[0], 4);
    Stop();
}

/* ---- pitfall 9: the NCQ error path with READ LOG EXT 10h ---- */
static void test_p9_ncq_error_log_names_tag(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[3][4096] __attribute__((aligned(4096)));
    AHCI_SIM_REQ *r[3];

    assert_int_equal(Start(&o, d, NtstorAhciModeIntx), STATUS_SUCCESS);
    host_run_dpcs();
    ULONG resets = ModelStats.Comresets[0];
    ModelFailLba(0, 1000 + 3, 0);
    for (int i = 0; i < 3; i++) {
        r[i] = AhciSimRequest(buf[i], 4096, NULL, 0);
        AhciSimCdbRw(r[i], SCSIOP_READ, 1000 * i, 8);
        r[i]->srb.TimeOutValue = 30;
        AhciSubmitSrb(ctrl.Ports[0], &r[i]->irp, &r[i]->srb);
    }
    assert_int_equal(ctrl.Ports[0]->NcqIssued, 0x7);
    for (int i = 0; i < 100 && ncompleted < 3; i++) {
        ModelAdvanceUs(100);
        host_run_dpcs();
    }
    assert_int_equal(ncompleted, 3);
    assert_int_equal(SRB_STATUS(r[0]->srb.SrbStatus), SRB_STATUS_SUCCESS);
    assert_int_equal(SRB_STATUS(r[1]->srb.SrbStatus), SRB_STATUS_ERROR);
    assert_int_equal(r[1]->sense[2] & 0xF, SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(SRB_STATUS(r[2]->srb.SrbStatus), SRB_STATUS_SUCCESS);
    assert_int_equal(ModelStats.NcqErrors[0], 1);
    assert_int_equal(ModelStats.LogReads[0], 1);
    /* The log page took the device out of its error state: no COMRESET. */
    assert_int_equal(ModelStats.Comresets[0], resets);
    for (int i = 0; i < 3; i++)
        free(r[i]);
    Stop();
}

/* ---- sector sizes: 4Kn through the driver's real I/O path, 512e facts ---- */

/* READ(10)/WRITE(10) of Blocks logical blocks of BlockBytes, polled. */
static UCHAR RwSrb(ULONG Port, UCHAR Op, ULONG Lba, PVOID Buffer, ULONG Blocks, ULONG BlockBytes)
{
    AHCI_SIM_REQ *r = AhciSimRequest(Buffer, Blocks * BlockBytes, NULL, 0);
    AhciSimCdbRw(r, Op, Lba, (USHORT)Blocks);
    r->srb.TimeOutValue = 30;
    r->srb.SrbFlags |= SRB_FLAGS_NTSTOR_POLL |
                       (Op == SCSIOP_WRITE ? SRB_FLAGS_DATA_OUT : SRB_FLAGS_DATA_IN);
    AhciSubmitSrb(ctrl.Ports[Port], &r->irp, &r->srb);
    UCHAR st = SRB_STATUS(r->srb.SrbStatus);
    free(r);
    return st;
}

static void test_4kn_end_to_end(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR out[8192] __attribute__((aligned(4096))), in[8192] __attribute__((aligned(4096)));

    d[0].LogicalBytes = 4096;
    d[0].Sectors = 0x40000;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(ctrl.Ports[0]->Device.SectorSize, 4096);
    assert_int_equal(ctrl.Ports[0]->Device.Sectors, 0x40000);
    for (ULONG i = 0; i < sizeof(out); i++)
        out[i] = (UCHAR)(i * 7 + 3);
    assert_int_equal(RwSrb(0, SCSIOP_WRITE, 5, out, 2, 4096), SRB_STATUS_SUCCESS);
    /* On the medium at byte 5 * 4096: the drive's sectors are 4 KiB. */
    assert_memory_equal(ModelDriveData(0) + 5 * 4096, out, sizeof(out));
    assert_int_equal(RwSrb(0, SCSIOP_READ, 5, in, 2, 4096), SRB_STATUS_SUCCESS);
    assert_memory_equal(in, out, sizeof(in));
    Stop();
}

/* A 512e disk whose LBA 0 sits at logical offset 1 of its physical sector
 * (word 209): the facts and READ CAPACITY(16)'s exponent and lowest
 * aligned LBA (SBC-3 5.16.2: 7, the first LBA on a physical boundary). */
static void test_512e_physical_and_alignment(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR cap[32] __attribute__((aligned(64)));

    d[0].PhysShift = 3;
    d[0].AlignOffset = 1;
    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ctrl.Ports[0]->Device.SectorSize, 512);
    assert_int_equal(ctrl.Ports[0]->Device.LogicalPerPhysicalShift, 3);
    assert_int_equal(ctrl.Ports[0]->Device.AlignmentOffset, 1);
    AHCI_SIM_REQ *r = AhciSimRequest(cap, sizeof(cap), NULL, 0);
    r->srb.CdbLength = 16;
    r->srb.Cdb[0] = 0x9E;                   /* SERVICE ACTION IN(16) */
    r->srb.Cdb[1] = 0x10;                   /* READ CAPACITY(16) */
    r->srb.Cdb[13] = sizeof(cap);
    r->srb.SrbFlags |= SRB_FLAGS_NTSTOR_POLL | SRB_FLAGS_DATA_IN;
    AhciSubmitSrb(ctrl.Ports[0], &r->irp, &r->srb);
    assert_int_equal(SRB_STATUS(r->srb.SrbStatus), SRB_STATUS_SUCCESS);
    assert_int_equal(cap[13] & 0xF, 3);
    assert_int_equal(((cap[14] & 0x3F) << 8) | cap[15], 7);
    free(r);
    Stop();
}

/* The driver's state changes are kept as its history, "old -> new". */
static void test_port_state_history(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    PAHCI_PORT p = ctrl.Ports[0];
    assert_int_equal(p->HistoryCount, 2);
    assert_int_equal(p->History[0].From, AhciPortEmpty);
    assert_int_equal(p->History[0].To, AhciPortLinkUp);
    assert_int_equal(p->History[1].To, AhciPortReady);
    ModelUnplug(0);
    assert_false(AhciPortCheckLink(p));
    assert_int_equal(p->HistoryCount, 3);
    assert_int_equal(p->History[2].From, AhciPortReady);
    assert_int_equal(p->History[2].To, AhciPortGone);
    Stop();
}

/* ---- hot plug: a disk plugged into an empty port appears (AHCI 10.9) ---- */

/* A reset after which the engine cannot start (the disk stays busy past
 * the whole reset ladder): the port is given up and the next read fails.
 * Before, the engine stayed off, the HBA ignored PxCI (AHCI 3.3.14),
 * PxCI read 0 and the read was credited as done without its data. */
static void test_reset_without_engine_gives_the_port_up(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 1, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[1] = { Disk() };
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    ModelSetBusyMs(0, 600000);                  /* 10 minutes: past 10/10/35 s */
    AhciResetPort(ctrl.Ports[0]);
    host_run_dpcs();
    assert_int_not_equal(State(0), AhciPortReady);
    assert_int_not_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* Interrupt mode: the empty port's PCS raises the interrupt, the DPC asks
 * the worker, the worker brings the disk up at PASSIVE_LEVEL and reports
 * BusRelations so the PnP manager creates its PDO.  The old driver left
 * the port empty ("hot plug is not handled"). */
static void test_hotplug_disk_appears(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIntelPch, .Ports = 2, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk() }, later = Disk();
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModeIntx), STATUS_SUCCESS);
    host_run_dpcs();
    assert_int_equal(State(1), AhciPortEmpty);
    assert_int_equal(ReadIe(1), AHCI_PxIE_HOTPLUG);
    ULONG reported = host_bus_relations_invalidated, runs = host_work_items_run;
    later.BusyMs = 3000;        /* spins up for 3 s after the link comes up */
    ModelStats.DispatchStallUs = 0;
    ModelPlug(1, &later);
    for (int i = 0; i < 100 && State(1) != AhciPortReady; i++) {
        ModelAdvanceUs(1000);
        host_run_dpcs();
    }
    assert_int_equal(State(1), AhciPortReady);
    assert_int_equal(host_work_items_run, runs + 1);
    assert_int_equal(host_work_item_irql, PASSIVE_LEVEL);
    assert_int_equal(host_bus_relations_invalidated, reported + 1);
    assert_int_equal(ctrl.HotPlugs, 1);
    assert_true(ModelStats.DispatchStallUs < 1000000);  /* the 3 s waited in the worker */
    assert_int_equal(ReadIe(1), AHCI_PxIE_DEFAULT);
    memset(ModelDriveData(1) + 512, 0x6B, 512);
    assert_int_equal(ReadSrb(1, 0, buf, 8), SRB_STATUS_SUCCESS);
    assert_int_equal(buf[512], 0x6B);
    /* The disk that was there all along did not notice. */
    assert_int_equal(State(0), AhciPortReady);
    assert_int_equal(ReadSrb(0, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

/* Polled controller: no interrupt comes, the watchdog sees PxIS.PCS on the
 * empty port; a link glitch with nothing behind it brings nothing up. */
static void test_hotplug_polled_watchdog(void **state)
{
    MODEL_OPTIONS o = { .Profile = ModelIch9Qemu, .Ports = 2, .LinkUpAtStart = TRUE };
    MODEL_DRIVE_CONFIG d[2] = { Disk() }, later = Disk();
    static UCHAR buf[4096] __attribute__((aligned(4096)));

    assert_int_equal(Start(&o, d, NtstorAhciModePoll), STATUS_SUCCESS);
    assert_int_equal(ReadIe(1), 0);
    ULONG reported = host_bus_relations_invalidated;
    ModelLinkGlitch(1);         /* DIAG.N/X with no device: nothing to bring up */
    KeInsertQueueDpc(&ctrl.WatchdogDpc, NULL, NULL);
    host_run_dpcs();
    assert_int_equal(State(1), AhciPortEmpty);
    assert_int_equal(host_bus_relations_invalidated, reported);
    ModelPlug(1, &later);
    ModelAdvanceUs(100000);     /* trained, DIAG.X set */
    KeInsertQueueDpc(&ctrl.WatchdogDpc, NULL, NULL);
    host_run_dpcs();
    assert_int_equal(State(1), AhciPortReady);
    assert_int_equal(host_bus_relations_invalidated, reported + 1);
    assert_int_equal(ReadSrb(1, 0, buf, 8), SRB_STATUS_SUCCESS);
    Stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_qemu_like),
        cmocka_unit_test(test_baseline_error_stops_hba),
        cmocka_unit_test(test_p1_slow_link_and_long_busy),
        cmocka_unit_test(test_p1_link_fails_once),
        cmocka_unit_test(test_p2_link_glitch_no_interrupt_storm),
        cmocka_unit_test(test_p3_lpm_forced_off),
        cmocka_unit_test(test_p3_slumber_is_present),
        cmocka_unit_test(test_p4_recovery_waits_in_worker),
        cmocka_unit_test(test_p4_polled_recovery_waits_for_worker),
        cmocka_unit_test(test_p5_puis_spin_up),
        cmocka_unit_test(test_p5_signature_mid_high_only),
        cmocka_unit_test(test_p6_bind_by_class_and_id),
        cmocka_unit_test(test_p6_system_cfg_offers_bound_ids),
        cmocka_unit_test(test_p6_profile_quirks),
        cmocka_unit_test(test_p6_jmicron_spurious_ifs),
        cmocka_unit_test(test_p7_ae_takes_several_writes),
        cmocka_unit_test(test_p7_pi_restored_after_reset),
        cmocka_unit_test(test_p7_pi_zero_rebuilt_from_np),
        cmocka_unit_test(test_p7_intel_pcs_enables),
        cmocka_unit_test(test_p8_engine_start_gated),
        cmocka_unit_test(test_p8_stuck_engine_escalates_to_hba_reset),
        cmocka_unit_test(test_p8_ncq_off_after_repeated_failures),
        cmocka_unit_test(test_p8_ncq_stays_on_for_a_bad_sector),
        cmocka_unit_test(test_p8_ncq_stays_on_for_named_errors),
        cmocka_unit_test(test_p9_ncq_error_log_names_tag),
        cmocka_unit_test(test_4kn_end_to_end),
        cmocka_unit_test(test_512e_physical_and_alignment),
        cmocka_unit_test(test_port_state_history),
        cmocka_unit_test(test_reset_without_engine_gives_the_port_up),
        cmocka_unit_test(test_hotplug_disk_appears),
        cmocka_unit_test(test_hotplug_polled_watchdog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
