/* pnp.h - kernel-internal interface of the PnP manager (kernel/pnp/): the
 * device tree, the PCI bus driver, matching devices to services, resource
 * assignment, start and removal.  Drivers see only IRP_MJ_PNP and
 * IoInvalidateDeviceRelations (include/wdm/io.h).
 *
 * Files of kernel/pnp/:
 *   devnode.c    DEVICE_NODE: tree, states with names, ID lists
 *   match.c      IDs vs services' Match values (pure part host-tested)
 *   pcibus.c     \Driver\pci: one PDO per PCI function, its IRP_MJ_PNP
 *   legacy.c     \Driver\legacy: devices on no bus (the 8042, ACPI\PNP0303)
 *   filters.c    a service's UpperFilters, added above its function driver
 *   pcires.c     a PCI function's BAR list and resource requirements (pure)
 *   reqlist.c    requirements lists: checks, the filter IRP's answer, the
 *                first-satisfiable-alternative walk (pure, host-tested)
 *   resources.c  the requirements IRPs, satisfying MSI/line/BARs, release
 *   pnpirp.c     synchronous IRP_MJ_PNP requests to a device stack
 *   enum.c       PnpInitSystem, configure (match/add/start), bus relations,
 *                IoInvalidateDeviceRelations, PnpDriverLoaded
 *   remove.c     PnpRemoveDevicesOfDriver, subtree removal, surprise removal
 *   worker.c     the PnP lock, the "pnp" thread, PnpWaitForIdle
 *   power.c      the system power IRP (S5) to every stack at poweroff/reboot
 *
 * What a driver receives
 * ----------------------
 * 1. AddDevice(DriverObject, Pdo) once per device node matched to its
 *    service (see "Matching").  It creates an FDO, attaches it with
 *    IoAttachDeviceToDeviceStack and clears DO_DEVICE_INITIALIZING.
 * 2. Before START, resources (resources.c).  IRP_MN_QUERY_RESOURCE_
 *    REQUIREMENTS goes to the top of the stack; the bus driver answers.
 *    The PCI bus driver (pcires.c) offers one alternative list, in this
 *    order: each memory and I/O BAR as a fixed range (Minimum = the BAR's
 *    base, Maximum = base + Length - 1; a BAR of 4 GiB or more is skipped
 *    with a log line), then the interrupt: with an MSI capability a
 *    message descriptor (Flags CM_RESOURCE_INTERRUPT_MESSAGE | LATCHED,
 *    DeviceExclusive, Option IO_RESOURCE_PREFERRED) followed by the INTx
 *    line marked IO_RESOURCE_ALTERNATIVE (LEVEL_SENSITIVE, Shared,
 *    Minimum = MaximumVector = the GSI), without one the line alone; no
 *    line when the pin is unused or its GSI unknown.  Then IRP_MN_FILTER_
 *    RESOURCE_REQUIREMENTS goes to the top of the stack with that list in
 *    IoStatus.Information (and Parameters.FilterResourceRequirements); the
 *    function driver may edit it on the way back up, or replace it (a new
 *    pool list in Information, the old one freed by the driver), and the
 *    PnP manager assigns from what comes back (a pointer in Information is
 *    the list; success with none: no resources).  Filters pass it through.
 *    The assignment takes, per resource, the first alternative it can
 *    satisfy: a BAR as it is; MSI when a vector at PNP_DEVICE_IRQL is left
 *    (else the next alternative); the line when its GSI can be routed.  A
 *    resource nothing satisfies is left out with a log line and the device
 *    starts without it (NT would not start it; a polled storage
 *    controller still works).  A driver with no filter handler gets MSI
 *    whenever it is offered (NT's default); ahci and usbxhci take it out
 *    for InterruptMode Intx and Poll (include/ntstor_resreq.h).
 *    `devices` prints the offered and filtered interrupt alternatives and
 *    the one assigned (irq_offered, irq_filtered, irq).
 * 3. IRP_MN_START_DEVICE at the top of the stack, sent synchronously.  For
 *    a PCI function both lists have one CM_FULL_RESOURCE_DESCRIPTOR
 *    (InterfaceType PCIBus, BusNumber = the function's bus) holding the
 *    chosen alternatives in requirements order:
 *      - one CmResourceTypeMemory per memory BAR (BAR order), raw =
 *        translated = the physical address (Flags: READ_WRITE, plus
 *        PREFETCHABLE for prefetchable BARs);
 *      - one CmResourceTypePort per I/O BAR (Flags CM_RESOURCE_PORT_IO);
 *      - at most ONE interrupt, the alternative chosen:
 *      - MSI: Flags CM_RESOURCE_INTERRUPT_
 *        LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE, DeviceExclusive;
 *        translated u.MessageInterrupt.Translated.{Vector,Level} (the same
 *        bits as u.Interrupt.{Vector,Level}) is an IDT vector allocated at
 *        PNP_DEVICE_IRQL; raw u.MessageInterrupt.Raw.MessageCount = 1,
 *        Raw.Vector = the MSI data value.  The function's MSI capability is
 *        already programmed (HalComposeMsi address/data, one message) and
 *        enabled, and the command register's INTx Disable bit is set.
 *      - the line: Flags LEVEL_SENSITIVE,
 *        ShareDisposition Shared; raw u.Interrupt.Vector = Level = the GSI;
 *        translated u.Interrupt.Vector = an IDT vector shared by every
 *        function on that GSI, Level = PNP_DEVICE_IRQL.  The IOAPIC entry is
 *        routed (level, active low unless the MADT says otherwise) and
 *        unmasked, MSI is disabled and INTx Disable cleared; the device
 *        stays quiet until its driver enables its interrupts, which it does
 *        after IoConnectInterrupt.
 *    When MSI was chosen and the filtered list still offers the line, the
 *    line is routed too (not described): IoConnectInterruptEx
 *    (CONNECT_LINE_BASED) connects it.  A driver falling back to INTx
 *    although MSI was assigned must first
 *    clear the MSI Enable bit and the INTx Disable bit, with
 *    IRP_MN_WRITE_CONFIG to the PDO (WhichSpace PCI_WHICHSPACE_CONFIG):
 *    while MSI is enabled a function may not assert INTx (PCI Local Bus
 *    3.0, 6.8.1.3).
 *    Legacy devices (legacy.c) get their ports and ISA interrupt without
 *    the requirements IRPs.  Non-PCI devices (children a bus driver
 *    reports) get the IRPs, answer no requirements, and get NULL lists.
 * 4. IRP_MN_QUERY_DEVICE_RELATIONS(BusRelations) after a successful start
 *    and, on the PnP thread, after the driver calls
 *    IoInvalidateDeviceRelations.  Children that appear get nodes (IDs
 *    from IRP_MN_QUERY_ID), are matched and started.  A child that is no
 *    longer listed gets IRP_MN_SURPRISE_REMOVAL (its own children first)
 *    and, once no file is open on a device of its stack (at once, or when
 *    the last handle closes), IRP_MN_REMOVE_DEVICE; its devices cannot be
 *    opened meanwhile.  A child without a driver gets REMOVE at once.
 * 5. IRP_MN_QUERY_REMOVE_DEVICE then IRP_MN_REMOVE_DEVICE when its driver
 *    (or the parent's) is unloaded: children first, bottom-up.  Open
 *    devices veto the removal (STATUS_DEVICE_BUSY) before anything is sent.
 *    After REMOVE the PCI PDO has bus mastering and MSI off and INTx
 *    disabled; the node's vectors are freed.
 *
 * Matching
 * --------
 * A service matches a node when one entry of its Match value -- IDs
 * separated by ',' or ';' (quote the value in system.cfg when using ';',
 * which otherwise starts a comment), blanks around entries ignored --
 * equals one of the node's hardware or compatible IDs, case-insensitively.
 * The best service is the one matching the earliest hardware ID; any
 * hardware ID beats every compatible ID; then the earliest compatible ID;
 * ties go to the service whose key name sorts first.  Start = Disabled
 * never matches; Start = Demand matches only when that service is loaded
 * explicitly (`load name`: PnpDriverLoaded binds it to every device node
 * without a driver that it matches).  Boot, System and Auto services match
 * automatically and are loaded (IopLoadDriver) when their first device
 * appears; at the end of PnpInitSystem every Boot/System service not yet
 * loaded is loaded as well (NT loads boot drivers unconditionally).
 *
 * Serialization (worker.c): one PnP operation at a time, under the PnP
 * lock, at PASSIVE_LEVEL: boot, the shell's load/unload, and the "pnp"
 * thread.  IoInvalidateDeviceRelations only records the request and wakes
 * the thread (any IRQL <= DISPATCH_LEVEL, any lock held), as NT queues it
 * to its device-action worker.  Re-entry from inside an operation (a
 * driver load during matching) is recorded and carried out before the
 * operation releases the lock.  PnpWaitForIdle waits until everything
 * asked so far is done. */
#ifndef NTSTOR_PNP_H
#define NTSTOR_PNP_H

#include <wdm.h>

/* Device IRQL of every vector the PnP manager allocates (3..12). */
#define PNP_DEVICE_IRQL        7
/* IRP_MN_READ_CONFIG/WRITE_CONFIG WhichSpace for PCI configuration space. */
#ifndef PCI_WHICHSPACE_CONFIG
#define PCI_WHICHSPACE_CONFIG  0
#endif

#define PNP_INSTANCE_CHARS     200   /* "PCI\VEN_..&DEV_..&SUBSYS_..&REV_..\0&FA" */
#define PNP_SERVICE_CHARS      64
#define PNP_ID_LIST_CHARS      1024  /* one REG_MULTI_SZ list, terminators included */

#define PNP_TAG_NODE     NTSTOR_TAG('P', 'n', 'p', 'N')   /* device nodes, ID lists */
#define PNP_TAG_RESOURCE NTSTOR_TAG('P', 'n', 'p', 'R')   /* CM_RESOURCE_LISTs */
#define PNP_TAG_PCI      NTSTOR_TAG('P', 'n', 'p', 'P')   /* PCI bus driver's answers */

typedef enum _PNP_DEVNODE_STATE {
    DeviceNodeInitialized = 0,      /* PDO and IDs known, no driver yet */
    DeviceNodeDriversAdded,         /* AddDevice succeeded */
    DeviceNodeResourcesAssigned,
    DeviceNodeStarted,
    DeviceNodeStartFailed,          /* START (or AddDevice, or the load) failed */
    DeviceNodeRemoved,              /* its stack got IRP_MN_REMOVE_DEVICE */
    DeviceNodeUnclaimed,            /* no service matches */
    DeviceNodeSurpriseRemoved,      /* gone from its bus; REMOVE when nothing is open */
    DeviceNodeStateCount
} PNP_DEVNODE_STATE;

/* Name of a state ("Started"), "?" if out of range. */
PCSTR PnpStateName(PNP_DEVNODE_STATE State);

typedef struct _DEVICE_NODE {
    struct _DEVICE_NODE *Parent;
    struct _DEVICE_NODE *Child;         /* first child */
    struct _DEVICE_NODE *Sibling;       /* next child of Parent */
    PDEVICE_OBJECT Pdo;                 /* referenced by the node; NULL for the root */
    PDRIVER_OBJECT FunctionDriver;      /* the matched service's driver while attached */
    CHAR Service[PNP_SERVICE_CHARS];    /* matched service, "" if none */
    PNP_DEVNODE_STATE State;
    NTSTATUS LastStatus;                /* of the last failed step, for `devices` */
    PWCHAR HardwareIds;                 /* REG_MULTI_SZ in pool, or NULL */
    PWCHAR CompatibleIds;
    CHAR InstancePath[PNP_INSTANCE_CHARS];
    PCM_RESOURCE_LIST RawResources;     /* what START carried, or NULL */
    PCM_RESOURCE_LIST TranslatedResources;
    const VOID *PciFunction;            /* HAL_PCI_FUNCTION for PCI nodes */
    const struct _PNP_LEGACY_DEVICE *LegacyDevice; /* legacy.c's description, for its nodes */
    ULONG MsiVector;                    /* 0 if none */
    ULONG IntxGsi;                      /* valid when IntxVector != 0 */
    ULONG IntxVector;
    /* The interrupt alternatives of the requirements list in order ("msi,line",
     * "-"): as the bus driver offered them, and after the stack's filter. */
    CHAR IrqOffered[16];
    CHAR IrqFiltered[16];
    BOOLEAN Present;                    /* seen by the last bus relations query */
    BOOLEAN RelationsPending;           /* IoInvalidateDeviceRelations recorded */
} DEVICE_NODE, *PDEVICE_NODE;

/* Boot entry point (kernel/ke/init.c, after IoInitSystem): builds the tree
 * from PCI, matches, loads, starts, enumerates children. */
VOID PnpInitSystem(VOID);

/* The driver loader's hooks (kernel/io/load.c).  PnpRemoveDevicesOfDriver:
 * IRP_MN_REMOVE_DEVICE to every stack the driver is part of (children
 * first); STATUS_DEVICE_BUSY (nothing removed) if one of those devices is
 * open or vetoes QUERY_REMOVE.  PnpDriverLoaded: binds a freshly loaded
 * service to the device nodes without a driver that it matches. */
NTSTATUS PnpRemoveDevicesOfDriver(PDRIVER_OBJECT Driver);
VOID PnpDriverLoaded(PCUNICODE_STRING ServiceName);

/* Waits until the PnP thread has carried out every request made so far
 * (enumerations, removals), at most TimeoutMs.  TRUE if it settled.
 * PASSIVE_LEVEL.  Boot waits here before the shell starts, and the shell
 * after `load`/`unload` and before each command. */
BOOLEAN PnpWaitForIdle(ULONG TimeoutMs);
#define PNP_SETTLE_TIMEOUT_MS 30000
/* A file on a device of a surprise-removed stack closed (kernel/io). */
VOID PnpDeviceClosed(VOID);

/* The root node (HTREE\ROOT\0); NULL before PnpInitSystem. */
PDEVICE_NODE PnpGetRootNode(VOID);
/* Pre-order walk with the depth (root 0).  Return FALSE to stop. */
typedef BOOLEAN (*PPNP_NODE_CALLBACK)(PDEVICE_NODE Node, ULONG Depth, PVOID Context);
VOID PnpWalkTree(PPNP_NODE_CALLBACK Callback, PVOID Context);

/* ---- matching (match.c) ---------------------------------------------- */

/* Rank of a Match value against a node's IDs: PNP_RANK_NONE if nothing
 * matches, else the index of the first matching hardware ID, or
 * PNP_RANK_COMPATIBLE + the index of the first matching compatible ID.
 * Lower is better.  Pure (host-tested). */
#define PNP_RANK_NONE        0xFFFFFFFFu
#define PNP_RANK_COMPATIBLE  0x10000u
ULONG PnpRankMatch(PCWSTR Match, PCWSTR HardwareIds, PCWSTR CompatibleIds);

/* The best service for a node's IDs among the services in the
 * configuration tree (rules above).  ExplicitService (a bare name, or
 * NULL) is the service being loaded by hand: it is eligible even when
 * Demand.  STATUS_OBJECT_NAME_NOT_FOUND if none; Service gets the name. */
NTSTATUS PnpFindBestService(PCWSTR HardwareIds, PCWSTR CompatibleIds,
                            PCUNICODE_STRING ExplicitService, PCHAR Service,
                            SIZE_T ServiceSize, PULONG Rank);

#endif /* NTSTOR_PNP_H */
