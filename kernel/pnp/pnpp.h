/* pnpp.h - private to kernel/pnp/: what the PnP manager's files share.
 * Everything here runs at PASSIVE_LEVEL under the PnP manager's
 * one-operation-at-a-time rule (pnp.h, "Serialization"). */
#ifndef NTSTOR_PNPP_H
#define NTSTOR_PNPP_H

#include <ntos.h>
#include <io.h>
#include <cfg.h>
#include <pnp.h>
#include <ntstor_resreq.h>     /* NtstorIoDescriptor, NtstorCmDescriptor */

/* ---- devnode.c ---- */
extern PDEVICE_NODE PnpRootNode;
/* A zeroed node in state Initialized, linked as Parent's last child (Parent
 * NULL: the root).  Takes over the caller's reference on Pdo (may be NULL)
 * and points the PDO's DeviceNode at the node. */
PDEVICE_NODE PnpCreateNode(PDEVICE_NODE Parent, PDEVICE_OBJECT Pdo);
/* Unlinks a childless node, drops its PDO reference, frees its IDs.  The
 * caller has released its resources. */
VOID PnpDeleteNode(PDEVICE_NODE Node);
/* "pnp: <instance> Old -> New" in the kernel log on every change. */
VOID PnpSetState(PDEVICE_NODE Node, PNP_DEVNODE_STATE State);
/* Copies a REG_MULTI_SZ (bounded by PNP_ID_LIST_CHARS) into pool; NULL if
 * List is NULL, malformed (no terminator within the bound) or no memory. */
PWCHAR PnpCopyMultiSz(PCWSTR List);
/* Whether the node has a function driver attached (states between
 * DriversAdded and Started). */
BOOLEAN PnpNodeHasStack(PDEVICE_NODE Node);

/* ---- pnpirp.c ---- */
/* Sends IRP_MJ_PNP/Minor to the top of Pdo's stack and waits.  Parameters
 * (may be NULL) is copied into the stack location's Parameters.  Status
 * starts as STATUS_NOT_SUPPORTED (NT: a PnP IRP nobody handles keeps it).
 * *Information (optional) is IoStatus.Information's starting value (0
 * but for IRP_MN_FILTER_RESOURCE_REQUIREMENTS, which starts with the
 * list) and receives the final one. */
NTSTATUS PnpSendIrp(PDEVICE_OBJECT Pdo, UCHAR Minor, const VOID *Parameters,
                    SIZE_T ParametersSize, PULONG_PTR Information);
/* IRP_MN_QUERY_ID of one type: a pool REG_MULTI_SZ the caller frees with
 * ExFreePool, or NULL. */
PWCHAR PnpQueryId(PDEVICE_OBJECT Pdo, BUS_QUERY_ID_TYPE Type);

/* ---- pcibus.c ---- */
/* Creates \Driver\pci and a PDO + node per HAL PCI function below Root. */
NTSTATUS PnpPciEnumerate(PDEVICE_NODE Root);
/* MSI capability of the function: program (Address, Data, one message) and
 * enable, or disable; the INTx Disable bit follows.  PCI 3.0 6.8.1. */
VOID PnpPciSetMsi(const HAL_PCI_FUNCTION *Function, BOOLEAN Enable, ULONG64 Address, ULONG Data);

/* ---- pcires.c: what the PCI bus driver reports ---- */
#define PNP_NO_GSI 0xFFFFFFFFu      /* HalPciInterruptGsi: not known */
/* A CM_RESOURCE_LIST (pool, Tag) with the function's memory and I/O BARs
 * and room for Extra more descriptors; NULL when out of memory. */
PCM_RESOURCE_LIST PnpPciBuildBarList(const HAL_PCI_FUNCTION *Function, ULONG Extra, ULONG Tag);
/* IRP_MN_QUERY_RESOURCE_REQUIREMENTS' answer (pool, Tag): the BARs fixed,
 * then MSI (IO_RESOURCE_PREFERRED) if the function has the capability and
 * the INTx line (IO_RESOURCE_ALTERNATIVE when after MSI) if its GSI is
 * known.  NULL when out of memory. */
PIO_RESOURCE_REQUIREMENTS_LIST PnpPciBuildRequirements(const HAL_PCI_FUNCTION *Function, ULONG Tag);

/* ---- reqlist.c: requirements lists (pure) ---- */
/* Bytes of a one-list requirements list with Count descriptors. */
ULONG PnpRequirementsSize(ULONG Count);
/* Zeroed, one alternative list with Count = 0 and room for Count
 * descriptors; ListSize and the header filled in.  NULL without memory. */
PIO_RESOURCE_REQUIREMENTS_LIST PnpAllocateRequirements(INTERFACE_TYPE Interface, ULONG Bus, ULONG Slot,
                                                       ULONG Count, ULONG Tag);
/* ListSize holds the header and the first list's Count descriptors. */
BOOLEAN PnpRequirementsValid(const IO_RESOURCE_REQUIREMENTS_LIST *Requirements);
/* The list to assign from after IRP_MN_FILTER_RESOURCE_REQUIREMENTS came
 * back with Status and Information (reqlist.c says why); may be NULL. */
PIO_RESOURCE_REQUIREMENTS_LIST PnpFilteredRequirements(PIO_RESOURCE_REQUIREMENTS_LIST Original, NTSTATUS Status,
                                                       ULONG_PTR Information);
/* "msi" or "line". */
PCSTR PnpInterruptKindName(const IO_RESOURCE_DESCRIPTOR *Descriptor);
/* The interrupt descriptors' kinds in list order, "msi,line"; "-" if none
 * (Requirements may be NULL). */
VOID PnpDescribeInterrupts(const IO_RESOURCE_REQUIREMENTS_LIST *Requirements, PCHAR Text, SIZE_T Size);
typedef struct _PNP_ASSIGN_OPS {
    /* Satisfies one alternative: fills Raw and Translated (zeroed) and
     * returns TRUE, or returns FALSE having kept nothing. */
    BOOLEAN (*Satisfy)(PVOID Context, const IO_RESOURCE_DESCRIPTOR *Io, PCM_PARTIAL_RESOURCE_DESCRIPTOR Raw,
                       PCM_PARTIAL_RESOURCE_DESCRIPTOR Translated);
    /* Optional: an alternative after the one chosen for its resource. */
    VOID (*PassedOver)(PVOID Context, const IO_RESOURCE_DESCRIPTOR *Io, const IO_RESOURCE_DESCRIPTOR *Chosen);
} PNP_ASSIGN_OPS;
/* Walks the first alternative list: per resource (a descriptor and the
 * IO_RESOURCE_ALTERNATIVEs of its type after it) the first alternative
 * Satisfy takes goes into *Raw and *Translated (pool, Tag; one full descriptor
 * with the list's interface and bus).  A resource no alternative satisfies
 * is left out and counted in *Unsatisfied.  STATUS_INVALID_PARAMETER for a
 * malformed list, STATUS_INSUFFICIENT_RESOURCES without memory (no lists). */
NTSTATUS PnpAssignRequirements(const IO_RESOURCE_REQUIREMENTS_LIST *Requirements, const PNP_ASSIGN_OPS *Ops,
                               PVOID Context, ULONG Tag, PCM_RESOURCE_LIST *Raw, PCM_RESOURCE_LIST *Translated,
                               PULONG Unsatisfied);

/* ---- legacy.c ---- */
/* Creates \Driver\legacy and the nodes of the devices the FADT allows. */
NTSTATUS PnpLegacyEnumerate(PDEVICE_NODE Root);
/* The ports and routed ISA interrupt of a legacy node (legacy.c header). */
NTSTATUS PnpLegacyAssignResources(PDEVICE_NODE Node);

/* ---- filters.c ---- */
/* Loads the UpperFilters (Upper) or LowerFilters of Node's device key and
 * of Service's key and calls their AddDevice for Node (filters.c header). */
VOID PnpAddFilters(PDEVICE_NODE Node, PCSTR Service, BOOLEAN Upper);

/* ---- resources.c ---- */
/* The vector of an IOAPIC line, routing it on first use (shared among its
 * users; Node->IntxGsi/IntxVector record it, PnpReleaseResources frees
 * it).  0 if impossible. */
ULONG PnpAcquireLineVector(ULONG Gsi, BOOLEAN LevelTriggered, BOOLEAN ActiveLow);
/* The node's resources before START (pnp.h "What a driver receives"):
 * IRP_MN_QUERY_RESOURCE_REQUIREMENTS, IRP_MN_FILTER_RESOURCE_REQUIREMENTS
 * to the top of the stack, then the assignment from the filtered list
 * into Node->RawResources/TranslatedResources (vectors allocated, MSI
 * programmed, the line routed).  Legacy nodes: legacy.c. */
NTSTATUS PnpAssignResources(PDEVICE_NODE Node);
/* Frees the lists and the vectors, masks an INTx GSI nobody uses any more. */
VOID PnpReleaseResources(PDEVICE_NODE Node);

/* ---- worker.c: serialization and the PnP thread ---- */
VOID PnpInitSerialization(VOID);
/* Takes the PnP lock (PASSIVE_LEVEL; waits for another thread's
 * operation).  FALSE when the caller already holds it (re-entry): it then
 * must not call PnpLeave. */
BOOLEAN PnpEnter(VOID);
/* PnpEnter that gives up after TimeoutMs (FALSE; also for re-entry). */
BOOLEAN PnpTryEnter(ULONG TimeoutMs);
/* Carries out what was requested meanwhile, then gives the lock back. */
VOID PnpLeave(VOID);
BOOLEAN PnpIsOwner(VOID);
/* Records that work is pending and wakes the PnP thread.  <= DISPATCH_LEVEL. */
VOID PnpRequestWork(VOID);
/* Starts the "pnp" thread (end of PnpInitSystem). */
VOID PnpStartWorker(VOID);

/* ---- interface.c ---- */
/* Disables and forgets every device interface of Pdo (its node goes). */
VOID PnpDropInterfaces(PDEVICE_OBJECT Pdo);

/* ---- power.c ---- */
/* The shutdown callback: SET_POWER S5 to every started stack, children
 * first, each bounded (power.c header). */
VOID PnpPowerDownSystem(PVOID Context);

/* ---- enum.c ---- */
/* The pending work, PnP lock held: recorded re-enumerations, then
 * surprise-removed stacks that are due for REMOVE. */
VOID PnpRunDeferred(VOID);
/* Matches, loads, adds, assigns, starts Node, then its children. */
VOID PnpConfigureNode(PDEVICE_NODE Node);
/* Binds Service (already loaded) to Node: AddDevice, resources, START, then
 * bus relations.  Node must have no stack. */
NTSTATUS PnpStartNodeWithService(PDEVICE_NODE Node, PCSTR Service);
/* Queries bus relations of a started node: new children are configured,
 * vanished ones removed. */
VOID PnpEnumerateChildren(PDEVICE_NODE Node);

/* ---- remove.c ---- */
/* Removes Node's children (deleting their nodes: their PDOs belong to the
 * stack going away), then sends QUERY_REMOVE-less REMOVE to Node's stack
 * and releases its resources.  State -> Removed; the node stays. */
VOID PnpRemoveNodeStack(PDEVICE_NODE Node);
/* PnpRemoveNodeStack, then deletes the node (its device vanished). */
VOID PnpRemoveAndDeleteNode(PDEVICE_NODE Node);
/* IRP_MN_SURPRISE_REMOVAL to Node's subtree (children first); state ->
 * SurpriseRemoved; the node stays until PnpFinishSurpriseRemovals. */
VOID PnpSurpriseRemoveNode(PDEVICE_NODE Node);
/* REMOVE_DEVICE and deletion for every surprise-removed subtree of which
 * nothing is open any more. */
VOID PnpFinishSurpriseRemovals(VOID);

#endif /* NTSTOR_PNPP_H */
