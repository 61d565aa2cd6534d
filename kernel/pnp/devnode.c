/* devnode.c - the device tree: one DEVICE_NODE per device the PnP manager
 * knows (NT's devnode), its place among parent and children, its state
 * with printable transitions, its ID lists.  The tree is only touched
 * under the PnP manager's serialization (pnp.h); no lock. */
#include "pnpp.h"

PDEVICE_NODE PnpRootNode;

static const PCSTR PnpStateNames[DeviceNodeStateCount] = {
    [DeviceNodeInitialized] = "Initialized",
    [DeviceNodeDriversAdded] = "DriversAdded",
    [DeviceNodeResourcesAssigned] = "ResourcesAssigned",
    [DeviceNodeStarted] = "Started",
    [DeviceNodeStartFailed] = "StartFailed",
    [DeviceNodeRemoved] = "Removed",
    [DeviceNodeUnclaimed] = "Unclaimed",
    [DeviceNodeSurpriseRemoved] = "SurpriseRemoved",
};

PCSTR PnpStateName(PNP_DEVNODE_STATE State)
{
    return (ULONG)State < DeviceNodeStateCount ? PnpStateNames[State] : "?";
}

VOID PnpSetState(PDEVICE_NODE Node, PNP_DEVNODE_STATE State)
{
    if (Node->State != State)
        DbgPrint("pnp: %s %s -> %s\n", Node->InstancePath, PnpStateName(Node->State),
                 PnpStateName(State));
    Node->State = State;
}

BOOLEAN PnpNodeHasStack(PDEVICE_NODE Node)
{
    return Node->State == DeviceNodeDriversAdded || Node->State == DeviceNodeResourcesAssigned ||
           Node->State == DeviceNodeStarted || Node->State == DeviceNodeSurpriseRemoved;
}

PDEVICE_NODE PnpGetRootNode(VOID)
{
    return PnpRootNode;
}

PDEVICE_NODE PnpCreateNode(PDEVICE_NODE Parent, PDEVICE_OBJECT Pdo)
{
    PDEVICE_NODE node = ExAllocatePoolZero(NonPagedPool, sizeof(*node), PNP_TAG_NODE);

    if (node == NULL)
        return NULL;
    node->State = DeviceNodeInitialized;
    node->Pdo = Pdo;
    node->Present = TRUE;
    node->Parent = Parent;
    if (Parent) {
        PDEVICE_NODE *link = &Parent->Child;
        while (*link)
            link = &(*link)->Sibling;
        *link = node;
    }
    if (Pdo && Pdo->DeviceObjectExtension)
        Pdo->DeviceObjectExtension->DeviceNode = node;
    return node;
}

VOID PnpDeleteNode(PDEVICE_NODE Node)
{
    if (Node->Child)
        KeBugCheckEx(PNP_DETECTED_FATAL_ERROR, 0x100, (ULONG_PTR)Node, (ULONG_PTR)Node->Child, 0);
    if (Node->Parent) {
        PDEVICE_NODE *link = &Node->Parent->Child;
        while (*link && *link != Node)
            link = &(*link)->Sibling;
        if (*link)
            *link = Node->Sibling;
    }
    if (Node->Pdo) {
        PnpDropInterfaces(Node->Pdo);
        if (Node->Pdo->DeviceObjectExtension &&
            Node->Pdo->DeviceObjectExtension->DeviceNode == Node)
            Node->Pdo->DeviceObjectExtension->DeviceNode = NULL;
        ObDereferenceObject(Node->Pdo);
    }
    if (Node->HardwareIds)
        ExFreePoolWithTag(Node->HardwareIds, PNP_TAG_NODE);
    if (Node->CompatibleIds)
        ExFreePoolWithTag(Node->CompatibleIds, PNP_TAG_NODE);
    if (PnpRootNode == Node)
        PnpRootNode = NULL;
    ExFreePoolWithTag(Node, PNP_TAG_NODE);
}

PWCHAR PnpCopyMultiSz(PCWSTR List)
{
    SIZE_T chars = 0;
    PWCHAR copy;

    if (List == NULL)
        return NULL;
    /* The list ends at the first empty string: two NULs in a row (or a
     * NUL at the very start for an empty list). */
    for (;;) {
        if (chars + 1 >= PNP_ID_LIST_CHARS)
            return NULL;
        if (List[chars] == 0)
            break;
        while (List[chars] != 0) {
            if (++chars + 1 >= PNP_ID_LIST_CHARS)
                return NULL;
        }
        chars++;
    }
    chars++;
    copy = ExAllocatePoolWithTag(NonPagedPool, chars * sizeof(WCHAR), PNP_TAG_NODE);
    if (copy)
        RtlCopyMemory(copy, List, chars * sizeof(WCHAR));
    return copy;
}

static BOOLEAN PnpWalk(PDEVICE_NODE Node, ULONG Depth, PPNP_NODE_CALLBACK Callback,
                       PVOID Context)
{
    if (!Callback(Node, Depth, Context))
        return FALSE;
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        if (!PnpWalk(c, Depth + 1, Callback, Context))
            return FALSE;
    return TRUE;
}

VOID PnpWalkTree(PPNP_NODE_CALLBACK Callback, PVOID Context)
{
    if (PnpRootNode)
        PnpWalk(PnpRootNode, 0, Callback, Context);
}
