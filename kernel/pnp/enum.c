/* enum.c - bringing devices up: PnpInitSystem builds the tree from PCI,
 * then every node is matched to a service (match.c), the driver loaded if
 * needed, AddDevice called, resources assigned (resources.c), START sent,
 * and a started node's bus relations queried so its children come up the
 * same way, recursively.  Also IoInvalidateDeviceRelations and the
 * loader's PnpDriverLoaded hook.
 *
 * Serialization (pnp.h, worker.c): every operation runs between
 * PnpEnter and PnpLeave; what arrives meanwhile (a driver's
 * IoInvalidateDeviceRelations, the loader's PnpDriverLoaded for a load the
 * PnP manager itself started) is recorded and done by PnpLeave, or by the
 * PnP thread. */
#include "pnpp.h"

#define PNP_MAX_BOOT_SERVICES 32
#define PNP_ROOT_INSTANCE     "HTREE\\ROOT\\0"

/* The first started node with a recorded re-enumeration request. */
static PDEVICE_NODE PnpFindPending(PDEVICE_NODE Node)
{
    if (Node->RelationsPending) {
        if (Node->State == DeviceNodeStarted)
            return Node;
        Node->RelationsPending = FALSE;     /* its start will enumerate it */
    }
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling) {
        PDEVICE_NODE p = PnpFindPending(c);
        if (p)
            return p;
    }
    return NULL;
}

VOID PnpRunDeferred(VOID)
{
    PDEVICE_NODE node;

    if (PnpRootNode == NULL)
        return;
    while ((node = PnpFindPending(PnpRootNode)) != NULL)
        PnpEnumerateChildren(node);
    /* Surprise-removed stacks whose last handle closed get REMOVE now. */
    PnpFinishSurpriseRemovals();
}

/* ---- IDs and instance path ---- */

/* First string of a multi-sz (or the whole string) appended as ASCII. */
static VOID PnpAppendAscii(PCHAR Dest, SIZE_T Size, PCWSTR Source)
{
    SIZE_T n = RtlAsciiLength(Dest);

    for (; Source && *Source && n + 1 < Size; Source++)
        Dest[n++] = (*Source >= ' ' && *Source < 0x7f) ? (CHAR)*Source : '?';
    Dest[n] = 0;
}

/* Two children of one bus with the same device and instance ID are the bus
 * driver's error (NT bug-checks a duplicate PDO): the second is told apart
 * with "&<n>" and named in the log, so every name built from the path
 * (device interfaces, `devices`) stays one device's. */
static VOID PnpMakeInstancePathUnique(PDEVICE_NODE Node)
{
    SIZE_T base = RtlAsciiLength(Node->InstancePath);

    for (ULONG n = 1; Node->Parent; n++) {
        PDEVICE_NODE s = Node->Parent->Child;
        while (s && (s == Node || !RtlEqualMemory(s->InstancePath, Node->InstancePath,
                                                  RtlAsciiLength(Node->InstancePath) + 1)))
            s = s->Sibling;
        if (!s)
            return;
        if (n == 1)
            DbgPrint("pnp: %s: reported twice by its bus driver (duplicate instance ID)\n",
                     Node->InstancePath);
        Node->InstancePath[base] = 0;
        RtlStringCbPrintfA(Node->InstancePath + base, sizeof(Node->InstancePath) - base, "&%u", n);
    }
}

static VOID PnpQueryNodeIds(PDEVICE_NODE Node)
{
    PWCHAR deviceId, instanceId;

    Node->HardwareIds = PnpQueryId(Node->Pdo, BusQueryHardwareIDs);
    Node->CompatibleIds = PnpQueryId(Node->Pdo, BusQueryCompatibleIDs);
    deviceId = PnpQueryId(Node->Pdo, BusQueryDeviceID);
    instanceId = PnpQueryId(Node->Pdo, BusQueryInstanceID);
    Node->InstancePath[0] = 0;
    if (deviceId && deviceId[0])
        PnpAppendAscii(Node->InstancePath, sizeof(Node->InstancePath), deviceId);
    else if (Node->HardwareIds && Node->HardwareIds[0])
        PnpAppendAscii(Node->InstancePath, sizeof(Node->InstancePath), Node->HardwareIds);
    else
        RtlAsciiCopy(Node->InstancePath, sizeof(Node->InstancePath), "UNKNOWN");
    RtlAsciiCopy(Node->InstancePath + RtlAsciiLength(Node->InstancePath),
                 sizeof(Node->InstancePath) - RtlAsciiLength(Node->InstancePath), "\\");
    /* A bus driver's instance ID is unique among its own children only
     * (ahci's "0" is the port, on every controller): below anything but
     * the root the parent's prefix goes first, as NT's ParentIdPrefix,
     * so two controllers' disks on port 0 get different instance paths
     * (and device interface names). */
    if (Node->Parent && Node->Parent != PnpRootNode && Node->Parent->Parent) {
        CHAR prefix[24];
        RtlStringCbPrintfA(prefix, sizeof(prefix), "%08x&",
                           RtlComputeCrc32(0, Node->Parent->InstancePath,
                                           (ULONG)RtlAsciiLength(Node->Parent->InstancePath)));
        RtlAsciiCopy(Node->InstancePath + RtlAsciiLength(Node->InstancePath),
                     sizeof(Node->InstancePath) - RtlAsciiLength(Node->InstancePath), prefix);
    }
    if (instanceId && instanceId[0]) {
        PnpAppendAscii(Node->InstancePath, sizeof(Node->InstancePath), instanceId);
    } else {
        CHAR text[24];
        RtlStringCbPrintfA(text, sizeof(text), "%p", (PVOID)Node->Pdo);
        RtlAsciiCopy(Node->InstancePath + RtlAsciiLength(Node->InstancePath),
                     sizeof(Node->InstancePath) - RtlAsciiLength(Node->InstancePath), text);
    }
    if (deviceId)
        ExFreePoolWithTag(deviceId, PNP_TAG_NODE);
    if (instanceId)
        ExFreePoolWithTag(instanceId, PNP_TAG_NODE);
    PnpMakeInstancePathUnique(Node);
    if (Node->HardwareIds == NULL && Node->CompatibleIds == NULL)
        DbgPrint("pnp: %s: the bus driver reports no hardware or compatible IDs\n",
                 Node->InstancePath);
}

/* ---- start ---- */

static VOID PnpAsciiToUnicode(PCSTR Ascii, PUNICODE_STRING U, PWCHAR Buffer, SIZE_T Bytes)
{
    U->Buffer = Buffer;
    U->Length = 0;
    U->MaximumLength = (USHORT)Bytes;
    RtlAsciiToUnicodeString(U, Ascii);
}

/* Tears down what AddDevice built after a failed start. */
static VOID PnpUndoStart(PDEVICE_NODE Node, NTSTATUS Status)
{
    NTSTATUS status = PnpSendIrp(Node->Pdo, IRP_MN_REMOVE_DEVICE, NULL, 0, NULL);

    if (!NT_SUCCESS(status))
        DbgPrint("pnp: %s: REMOVE_DEVICE after the failed start: %s\n", Node->InstancePath,
                 RtlNtStatusName(status));
    PnpReleaseResources(Node);
    Node->FunctionDriver = NULL;
    Node->LastStatus = Status;
    PnpSetState(Node, DeviceNodeStartFailed);
}

NTSTATUS PnpStartNodeWithService(PDEVICE_NODE Node, PCSTR Service)
{
    struct {
        PCM_RESOURCE_LIST AllocatedResources;
        PCM_RESOURCE_LIST AllocatedResourcesTranslated;
    } start;
    WCHAR buffer[PNP_SERVICE_CHARS];
    UNICODE_STRING name;
    PDRIVER_OBJECT driver;
    PDEVICE_OBJECT below;
    ULONG64 started;
    PVOID growth;
    NTSTATUS status;

    RtlAsciiCopy(Node->Service, sizeof(Node->Service), Service);
    PnpAsciiToUnicode(Service, &name, buffer, sizeof(buffer));
    driver = IopFindLoadedDriver(&name);
    if (driver == NULL) {
        status = IopLoadDriver(&name);
        driver = NT_SUCCESS(status) ? IopFindLoadedDriver(&name) : NULL;
        if (driver == NULL) {
            DbgPrint("pnp: %s: driver %s did not load: %s\n", Node->InstancePath, Service,
                     RtlNtStatusName(status));
            Node->LastStatus = NT_SUCCESS(status) ? STATUS_DRIVER_UNABLE_TO_LOAD : status;
            PnpSetState(Node, DeviceNodeStartFailed);
            return Node->LastStatus;
        }
    }
    if (driver->DriverExtension == NULL || driver->DriverExtension->AddDevice == NULL) {
        DbgPrint("pnp: %s: driver %s has no AddDevice routine\n", Node->InstancePath, Service);
        Node->LastStatus = STATUS_INVALID_DEVICE_REQUEST;
        PnpSetState(Node, DeviceNodeStartFailed);
        return Node->LastStatus;
    }

    started = KeQueryTimeUs();
    growth = IopBeginDeviceStart();     /* the driver's, not its elders' leak */
    PnpAddFilters(Node, Service, FALSE);
    below = IoGetAttachedDevice(Node->Pdo);
    status = driver->DriverExtension->AddDevice(driver, Node->Pdo);
    if (!NT_SUCCESS(status) || IoGetAttachedDevice(Node->Pdo) == below) {
        DbgPrint("pnp: %s: %s AddDevice: %s%s\n", Node->InstancePath, Service,
                 RtlNtStatusName(status), NT_SUCCESS(status) ? " but nothing attached to the PDO" : "");
        Node->LastStatus = NT_SUCCESS(status) ? STATUS_DRIVER_INTERNAL_ERROR : status;
        /* Lower filters attached already: they go with a REMOVE. */
        if (IoGetAttachedDevice(Node->Pdo) != Node->Pdo)
            PnpSendIrp(Node->Pdo, IRP_MN_REMOVE_DEVICE, NULL, 0, NULL);
        PnpSetState(Node, DeviceNodeStartFailed);
        IopEndDeviceStart(driver, growth);
        return Node->LastStatus;
    }
    Node->FunctionDriver = driver;
    PnpAddFilters(Node, Service, TRUE);
    PnpSetState(Node, DeviceNodeDriversAdded);

    status = PnpAssignResources(Node);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: %s: resource assignment: %s\n", Node->InstancePath, RtlNtStatusName(status));
        PnpUndoStart(Node, status);
        IopEndDeviceStart(driver, growth);
        return status;
    }
    PnpSetState(Node, DeviceNodeResourcesAssigned);

    start.AllocatedResources = Node->RawResources;
    start.AllocatedResourcesTranslated = Node->TranslatedResources;
    status = PnpSendIrp(Node->Pdo, IRP_MN_START_DEVICE, &start, sizeof(start), NULL);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: %s: START_DEVICE (%s): %s\n", Node->InstancePath, Service,
                 RtlNtStatusName(status));
        PnpUndoStart(Node, status);
        IopEndDeviceStart(driver, growth);
        return status;
    }
    Node->LastStatus = STATUS_SUCCESS;
    PnpSetState(Node, DeviceNodeStarted);
    IopEndDeviceStart(driver, growth);
    DbgPrint("pnp: %s: started by %s in %llu us\n", Node->InstancePath, Service,
             (unsigned long long)(KeQueryTimeUs() - started));
    PnpEnumerateChildren(Node);
    return STATUS_SUCCESS;
}

VOID PnpConfigureNode(PDEVICE_NODE Node)
{
    CHAR service[PNP_SERVICE_CHARS];
    NTSTATUS status;

    if (Node->Pdo == NULL || Node->State != DeviceNodeInitialized)
        return;
    status = PnpFindBestService(Node->HardwareIds, Node->CompatibleIds, NULL, service,
                                sizeof(service), NULL);
    if (!NT_SUCCESS(status)) {
        if (status != STATUS_OBJECT_NAME_NOT_FOUND)
            DbgPrint("pnp: %s: matching failed: %s\n", Node->InstancePath, RtlNtStatusName(status));
        Node->Service[0] = 0;
        PnpSetState(Node, DeviceNodeUnclaimed);
        return;
    }
    PnpStartNodeWithService(Node, service);
}

static VOID PnpConfigureSubtree(PDEVICE_NODE Node)
{
    PnpConfigureNode(Node);
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        PnpConfigureSubtree(c);
}

/* ---- bus relations ---- */

VOID PnpEnumerateChildren(PDEVICE_NODE Node)
{
    DEVICE_RELATION_TYPE type = BusRelations;
    PDEVICE_RELATIONS rel;
    ULONG_PTR info = 0;
    PDEVICE_NODE c, next;
    NTSTATUS status;

    Node->RelationsPending = FALSE;
    if (Node->State != DeviceNodeStarted || Node->Pdo == NULL)
        return;
    status = PnpSendIrp(Node->Pdo, IRP_MN_QUERY_DEVICE_RELATIONS, &type, sizeof(type), &info);
    if (!NT_SUCCESS(status)) {
        /* Not supported: a device without children; anything else leaves
         * the known children as they are. */
        if (status != STATUS_NOT_SUPPORTED)
            DbgPrint("pnp: %s: QUERY_DEVICE_RELATIONS: %s\n", Node->InstancePath,
                     RtlNtStatusName(status));
        return;
    }
    rel = (PDEVICE_RELATIONS)info;

    for (c = Node->Child; c; c = c->Sibling)
        c->Present = FALSE;
    for (ULONG i = 0; rel && i < rel->Count; i++) {
        PDEVICE_OBJECT pdo = rel->Objects[i];
        for (c = Node->Child; c && c->Pdo != pdo; c = c->Sibling)
            ;
        if (c) {
            c->Present = TRUE;
            ObDereferenceObject(pdo);       /* the node has its own */
            continue;
        }
        c = PnpCreateNode(Node, pdo);        /* takes the relation's reference */
        if (c == NULL) {
            DbgPrint("pnp: %s: no memory for a child node\n", Node->InstancePath);
            ObDereferenceObject(pdo);
            continue;
        }
        PnpQueryNodeIds(c);
        DbgPrint("pnp: %s: new child %s\n", Node->InstancePath, c->InstancePath);
    }
    if (rel)
        ExFreePool(rel);

    /* A child the bus no longer reports is gone: surprise removal, then
     * REMOVE once nothing of its stack is open (remove.c). */
    for (c = Node->Child; c; c = next) {
        next = c->Sibling;
        if (!c->Present && c->State != DeviceNodeSurpriseRemoved) {
            DbgPrint("pnp: %s: child %s is gone\n", Node->InstancePath, c->InstancePath);
            if (PnpNodeHasStack(c))
                PnpSurpriseRemoveNode(c);
            else
                PnpRemoveAndDeleteNode(c);  /* no driver to tell: the bus driver's REMOVE */
        }
    }
    PnpFinishSurpriseRemovals();            /* those with nothing open: REMOVE now */
    for (c = Node->Child; c; c = c->Sibling)
        PnpConfigureSubtree(c);
}

VOID IoInvalidateDeviceRelations(PDEVICE_OBJECT DeviceObject, DEVICE_RELATION_TYPE Type)
{
    PDEVICE_NODE node;

    if (DeviceObject == NULL || DeviceObject->DeviceObjectExtension == NULL)
        return;
    /* Any device of the stack will do: the node hangs off the bottom. */
    while (DeviceObject->DeviceObjectExtension->AttachedTo &&
           DeviceObject->DeviceObjectExtension->AttachedTo->DeviceObjectExtension)
        DeviceObject = DeviceObject->DeviceObjectExtension->AttachedTo;
    node = DeviceObject->DeviceObjectExtension->DeviceNode;
    if (node == NULL || Type != BusRelations) {
        DbgPrint("pnp: IoInvalidateDeviceRelations(%p, %u): %s; ignored\n", (PVOID)DeviceObject,
                 (ULONG)Type, node ? "only BusRelations are supported" : "not a PDO the PnP manager knows");
        return;
    }
    /* NT queues the enumeration and returns: the caller may hold its own
     * lock, be at DISPATCH_LEVEL, or be inside its own START. */
    node->RelationsPending = TRUE;
    PnpRequestWork();
}

/* ---- the loader's hook ---- */

static VOID PnpBindService(PDEVICE_NODE Node, PCSTR Service, PCWSTR Match)
{
    if (Node->Pdo && !PnpNodeHasStack(Node) &&
        PnpRankMatch(Match, Node->HardwareIds, Node->CompatibleIds) != PNP_RANK_NONE)
        PnpStartNodeWithService(Node, Service);
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        PnpBindService(c, Service, Match);
}

/* Binds Service to every node without a driver that it matches. */
static VOID PnpBindLoadedService(PCUNICODE_STRING ServiceName)
{
    CM_SERVICE_INFO *info;
    CHAR service[PNP_SERVICE_CHARS];

    info = ExAllocatePoolZero(NonPagedPool, sizeof(*info), PNP_TAG_NODE);
    if (info == NULL)
        return;
    if (NT_SUCCESS(CmReadServiceInfo(ServiceName, info)) && info->HasMatch &&
        info->Start != SERVICE_DISABLED) {
        info->Match[CM_SERVICE_STRING_CHARS - 1] = 0;
        RtlUnicodeToAscii(service, sizeof(service), ServiceName);
        PnpBindService(PnpRootNode, service, info->Match);
    }
    ExFreePoolWithTag(info, PNP_TAG_NODE);
}

VOID PnpDriverLoaded(PCUNICODE_STRING ServiceName)
{
    /* During our own load (matching) the caller goes on to AddDevice. */
    if (PnpRootNode == NULL || !PnpEnter())
        return;
    PnpBindLoadedService(ServiceName);
    PnpLeave();
}

/* ---- boot ---- */

typedef struct _PNP_BOOT_SERVICES {
    ULONG Count;
    CM_SERVICE_INFO Info;
    WCHAR Names[PNP_MAX_BOOT_SERVICES][PNP_SERVICE_CHARS];
} PNP_BOOT_SERVICES;

static BOOLEAN PnpCollectBootService(PCUNICODE_STRING ServiceName, PCUNICODE_STRING KeyPath,
                                     PVOID Context)
{
    PNP_BOOT_SERVICES *s = Context;
    SIZE_T chars = ServiceName->Length / sizeof(WCHAR);

    if (!NT_SUCCESS(CmReadServiceInfo(KeyPath, &s->Info)) || !s->Info.HasImagePath ||
        (s->Info.Start != SERVICE_BOOT_START && s->Info.Start != SERVICE_SYSTEM_START))
        return TRUE;
    if (s->Count >= PNP_MAX_BOOT_SERVICES || chars >= PNP_SERVICE_CHARS) {
        DbgPrint("pnp: too many boot services or name too long; the rest are not loaded\n");
        return FALSE;
    }
    RtlCopyMemory(s->Names[s->Count], ServiceName->Buffer, ServiceName->Length);
    s->Names[s->Count][chars] = 0;
    s->Count++;
    return TRUE;
}

/* NT loads boot- and system-start drivers whether or not a device wanted
 * them (a driver may have no device yet, or create its own). */
static VOID PnpLoadRemainingBootDrivers(VOID)
{
    PNP_BOOT_SERVICES *s = ExAllocatePoolZero(NonPagedPool, sizeof(*s), PNP_TAG_NODE);

    if (s == NULL)
        return;
    CmFindServices(PnpCollectBootService, s);
    for (ULONG i = 0; i < s->Count; i++) {
        UNICODE_STRING name;
        RtlInitUnicodeString(&name, s->Names[i]);
        if (IopFindLoadedDriver(&name))
            continue;
        if (NT_SUCCESS(IopLoadDriver(&name)))
            PnpBindLoadedService(&name);
    }
    ExFreePoolWithTag(s, PNP_TAG_NODE);
}

typedef struct _PNP_COUNTS {
    ULONG Nodes, Started, Unclaimed, Failed;
} PNP_COUNTS;

static BOOLEAN PnpCount(PDEVICE_NODE Node, ULONG Depth, PVOID Context)
{
    PNP_COUNTS *c = Context;

    if (Node == PnpRootNode)
        return TRUE;
    c->Nodes++;
    c->Started += Node->State == DeviceNodeStarted;
    c->Unclaimed += Node->State == DeviceNodeUnclaimed;
    c->Failed += Node->State == DeviceNodeStartFailed;
    return TRUE;
}

static VOID PnpQueryTreeIds(PDEVICE_NODE Node)
{
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling) {
        PnpQueryNodeIds(c);
        PnpQueryTreeIds(c);
    }
}

VOID PnpInitSystem(VOID)
{
    ULONG64 started = KeQueryTimeUs();
    PNP_COUNTS counts = { 0 };
    PDEVICE_NODE root;

    PnpInitSerialization();
    /* The thread first: it is the kernel's, not the leak of the boot
     * drivers whose load windows would otherwise hold its allocation. */
    PnpStartWorker();
    /* Registered before any driver's IRP_MJ_SHUTDOWN notification, so it
     * runs after them (callbacks run newest first). */
    KeRegisterShutdownCallback(PnpPowerDownSystem, NULL);
    PnpEnter();
    root = PnpCreateNode(NULL, NULL);
    if (root == NULL) {
        DbgPrint("pnp: no memory for the device tree: no devices\n");
        PnpLeave();
        return;
    }
    RtlAsciiCopy(root->InstancePath, sizeof(root->InstancePath), PNP_ROOT_INSTANCE);
    root->State = DeviceNodeStarted;
    PnpRootNode = root;

    (VOID)PnpPciEnumerate(root);        /* failures are logged; legacy devices still come */
    (VOID)PnpLegacyEnumerate(root);
    /* IDs of every device first, so the log lists the whole tree before
     * drivers start talking. */
    PnpQueryTreeIds(root);
    for (PDEVICE_NODE n = root->Child; n; n = n->Sibling)
        PnpConfigureSubtree(n);
    PnpLoadRemainingBootDrivers();
    PnpLeave();

    PnpWalkTree(PnpCount, &counts);
    DbgPrint("pnp: %u devices: %u started, %u unclaimed, %u failed, in %llu us\n", counts.Nodes,
             counts.Started, counts.Unclaimed, counts.Failed,
             (unsigned long long)(KeQueryTimeUs() - started));
}
