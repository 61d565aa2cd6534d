/* remove.c - taking device stacks down: the loader's
 * PnpRemoveDevicesOfDriver (before DriverUnload), and the removal of
 * children that vanished from their bus.  NT's order: the whole subtree
 * is asked first (IRP_MN_QUERY_REMOVE_DEVICE, any failure vetoes and the
 * asked ones get IRP_MN_CANCEL_REMOVE_DEVICE), then children are removed
 * before their parent, each stack getting IRP_MN_REMOVE_DEVICE at its top
 * (the function driver detaches and deletes its FDO and passes the IRP to
 * the PDO; the bus driver deletes a PDO whose device is gone).  WDK:
 * "Removing a Device", "Handling an IRP_MN_REMOVE_DEVICE Request".
 *
 * A child its bus stops reporting is gone without asking: its subtree
 * gets IRP_MN_SURPRISE_REMOVAL (children first), its devices refuse new
 * opens (DOE_REMOVE_PENDING), and IRP_MN_REMOVE_DEVICE follows as soon as
 * nothing of the subtree's stacks is open -- at once, or when the last
 * handle closes (the I/O manager wakes the PnP thread, worker.c).  WDK:
 * "Handling an IRP_MN_SURPRISE_REMOVAL Request". */
#include "pnpp.h"

#define PNP_MAX_REMOVE_TARGETS 64

/* Does a device of Driver sit in Node's stack above the PDO? */
static BOOLEAN PnpStackHasDriver(PDEVICE_NODE Node, PDRIVER_OBJECT Driver)
{
    if (Node->Pdo == NULL)
        return FALSE;
    for (PDEVICE_OBJECT d = Node->Pdo->AttachedDevice; d; d = d->AttachedDevice)
        if (d->DriverObject == Driver)
            return TRUE;
    return FALSE;
}

/* The first device in the subtree's stacks that has a file open, or NULL. */
static PDEVICE_NODE PnpFindOpenDevice(PDEVICE_NODE Node)
{
    if (Node->Pdo)
        for (PDEVICE_OBJECT d = Node->Pdo; d; d = d->AttachedDevice)
            if (d->ReferenceCount > 0)
                return Node;
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling) {
        PDEVICE_NODE open = PnpFindOpenDevice(c);
        if (open)
            return open;
    }
    return NULL;
}

VOID PnpRemoveNodeStack(PDEVICE_NODE Node)
{
    NTSTATUS status;

    /* The children's PDOs belong to the stack about to go. */
    while (Node->Child)
        PnpRemoveAndDeleteNode(Node->Child);
    if (Node->Pdo == NULL)
        return;
    /* A failed start already sent REMOVE; a removed node has had its own. */
    if (Node->State != DeviceNodeRemoved && Node->State != DeviceNodeStartFailed) {
        status = PnpSendIrp(Node->Pdo, IRP_MN_REMOVE_DEVICE, NULL, 0, NULL);
        if (!NT_SUCCESS(status) && status != STATUS_NOT_SUPPORTED)
            DbgPrint("pnp: %s: REMOVE_DEVICE: %s\n", Node->InstancePath, RtlNtStatusName(status));
        if (Node->Pdo->AttachedDevice)
            DbgPrint("pnp: %s: a device is still attached above the PDO after REMOVE_DEVICE\n",
                     Node->InstancePath);
    }
    PnpReleaseResources(Node);
    Node->FunctionDriver = NULL;
    Node->Service[0] = 0;           /* no driver serves it any more */
    Node->RelationsPending = FALSE;
    PnpSetState(Node, DeviceNodeRemoved);
}

VOID PnpRemoveAndDeleteNode(PDEVICE_NODE Node)
{
    PnpRemoveNodeStack(Node);
    PnpDeleteNode(Node);
}

/* Nodes whose stacks hold a device of Driver; a target's subtree goes with
 * it, so descendants are not listed again. */
static VOID PnpCollectTargets(PDEVICE_NODE Node, PDRIVER_OBJECT Driver, PDEVICE_NODE *Targets,
                              PULONG Count, PBOOLEAN Overflow)
{
    if (PnpNodeHasStack(Node) && PnpStackHasDriver(Node, Driver)) {
        if (*Count < PNP_MAX_REMOVE_TARGETS)
            Targets[(*Count)++] = Node;
        else
            *Overflow = TRUE;
        return;
    }
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        PnpCollectTargets(c, Driver, Targets, Count, Overflow);
}

/* Post-order list (children before parents) of the subtree's nodes that
 * have a function driver: those get QUERY_REMOVE. */
static VOID PnpCollectStacks(PDEVICE_NODE Node, PDEVICE_NODE *List, PULONG Count, PBOOLEAN Overflow)
{
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        PnpCollectStacks(c, List, Count, Overflow);
    /* A surprise-removed stack is not asked: it is going anyway. */
    if (!PnpNodeHasStack(Node) || Node->State == DeviceNodeSurpriseRemoved)
        return;
    if (*Count < PNP_MAX_REMOVE_TARGETS)
        List[(*Count)++] = Node;
    else
        *Overflow = TRUE;
}

static NTSTATUS PnpQueryRemove(PDEVICE_NODE *Targets, ULONG TargetCount, PDEVICE_NODE *Asked)
{
    ULONG count = 0;
    BOOLEAN overflow = FALSE;
    NTSTATUS status = STATUS_SUCCESS;
    ULONG done;

    for (ULONG t = 0; t < TargetCount; t++)
        PnpCollectStacks(Targets[t], Asked, &count, &overflow);
    if (overflow) {
        DbgPrint("pnp: more than %u device stacks to remove at once\n", PNP_MAX_REMOVE_TARGETS);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (done = 0; done < count; done++) {
        status = PnpSendIrp(Asked[done]->Pdo, IRP_MN_QUERY_REMOVE_DEVICE, NULL, 0, NULL);
        /* Nobody handling it is no veto. */
        if (status == STATUS_NOT_SUPPORTED)
            status = STATUS_SUCCESS;
        if (!NT_SUCCESS(status)) {
            DbgPrint("pnp: %s: QUERY_REMOVE_DEVICE vetoed: %s\n", Asked[done]->InstancePath,
                     RtlNtStatusName(status));
            break;
        }
    }
    if (NT_SUCCESS(status))
        return STATUS_SUCCESS;
    for (ULONG i = 0; i <= done && i < count; i++)
        PnpSendIrp(Asked[i]->Pdo, IRP_MN_CANCEL_REMOVE_DEVICE, NULL, 0, NULL);
    return STATUS_DEVICE_BUSY;
}

NTSTATUS PnpRemoveDevicesOfDriver(PDRIVER_OBJECT Driver)
{
    PDEVICE_NODE *targets, *asked, open;
    ULONG count = 0;
    BOOLEAN overflow = FALSE;
    NTSTATUS status = STATUS_SUCCESS;

    if (PnpRootNode == NULL || Driver == NULL)
        return STATUS_SUCCESS;
    if (PnpIsOwner()) {
        DbgPrint("pnp: cannot remove a driver's devices from inside a PnP operation\n");
        return STATUS_DEVICE_BUSY;
    }
    targets = ExAllocatePoolWithTag(NonPagedPool, 2 * PNP_MAX_REMOVE_TARGETS * sizeof(*targets),
                                    PNP_TAG_NODE);
    if (targets == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    asked = targets + PNP_MAX_REMOVE_TARGETS;
    PnpEnter();

    PnpCollectTargets(PnpRootNode, Driver, targets, &count, &overflow);
    if (overflow) {
        DbgPrint("pnp: more than %u devices to remove at once\n", PNP_MAX_REMOVE_TARGETS);
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    /* An open device vetoes before anything is sent (NT: the open handle
     * makes QUERY_REMOVE fail). */
    for (ULONG t = 0; t < count; t++) {
        open = PnpFindOpenDevice(targets[t]);
        if (open) {
            DbgPrint("pnp: %s: a device of its stack is open; not removed\n", open->InstancePath);
            status = STATUS_DEVICE_BUSY;
            goto out;
        }
    }
    status = PnpQueryRemove(targets, count, asked);
    if (!NT_SUCCESS(status))
        goto out;
    for (ULONG t = 0; t < count; t++)
        PnpRemoveNodeStack(targets[t]);
    if (count) {
        CHAR name[PNP_SERVICE_CHARS];
        RtlUnicodeToAscii(name, sizeof(name), &Driver->DriverName);
        DbgPrint("pnp: removed %u device stack(s) of %s\n", count, name);
    }

out:
    ExFreePoolWithTag(targets, PNP_TAG_NODE);
    /* Requests recorded meanwhile (the stacks are gone; others may stay). */
    PnpLeave();
    return status;
}

/* ---- surprise removal ---- */

VOID PnpSurpriseRemoveNode(PDEVICE_NODE Node)
{
    NTSTATUS status;

    if (Node->State == DeviceNodeSurpriseRemoved)
        return;
    /* Its children vanish with it: they hear first. */
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        PnpSurpriseRemoveNode(c);
    Node->Present = FALSE;
    Node->RelationsPending = FALSE;
    if (Node->Pdo == NULL || !PnpNodeHasStack(Node))
        return;     /* no driver to tell; REMOVE (to the bus driver) comes with the parent's */
    IopMarkStackRemovePending(Node->Pdo);   /* no new opens, nothing attaches */
    status = PnpSendIrp(Node->Pdo, IRP_MN_SURPRISE_REMOVAL, NULL, 0, NULL);
    if (!NT_SUCCESS(status) && status != STATUS_NOT_SUPPORTED)
        DbgPrint("pnp: %s: SURPRISE_REMOVAL: %s\n", Node->InstancePath, RtlNtStatusName(status));
    PnpSetState(Node, DeviceNodeSurpriseRemoved);
}

/* The topmost surprise-removed node with nothing of its subtree open. */
static PDEVICE_NODE PnpFindRemovable(PDEVICE_NODE Node)
{
    if (Node->State == DeviceNodeSurpriseRemoved && Node->Parent &&
        Node->Parent->State != DeviceNodeSurpriseRemoved)
        return PnpFindOpenDevice(Node) ? NULL : Node;
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling) {
        PDEVICE_NODE r = PnpFindRemovable(c);
        if (r)
            return r;
    }
    return NULL;
}

VOID PnpFinishSurpriseRemovals(VOID)
{
    PDEVICE_NODE node;

    /* Vanished nodes without a stack (unclaimed, failed) need no close. */
    if (PnpRootNode == NULL)
        return;
    while ((node = PnpFindRemovable(PnpRootNode)) != NULL) {
        DbgPrint("pnp: %s: nothing of its stack is open: REMOVE_DEVICE\n", node->InstancePath);
        PnpRemoveAndDeleteNode(node);
    }
}
