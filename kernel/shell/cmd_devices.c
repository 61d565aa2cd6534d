/* cmd_devices.c - `devices`: the PnP manager's device tree.  First the
 * tree, indented by depth, one line per node (instance path, state,
 * driver or '-', hardware IDs); then one machine-readable line per node
 * and a summary:
 *
 *   HTREE\ROOT\0  Started  -
 *     PCI\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02\0&0&FA  Started  ahci  PCI\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02,...
 *       SCSI\Disk&Ven_ATA&Prod_QEMU_HARDDISK\0  Started  disk  SCSI\DiskATA_____QEMU_HARDDISK___,SCSI\Disk,GenDisk
 *   device id="PCI\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02\0&0&FA" driver=ahci state=Started
 *          parent="HTREE\ROOT\0" hwids="...,..." compat="PCI\VEN_8086&DEV_2922&REV_02,PCI\CC_010601,PCI\CC_0106"
 *          msi=0x71 intx_gsi=16 irq_offered=msi,line irq_filtered=msi,line irq=msi
 *          status=STATUS_SUCCESS                                     (one line)
 *   devices count=7 started=2 unclaimed=5 failed=0 removed=0
 *
 * The root (HTREE\ROOT\0) is listed in the tree only; count excludes it. */
#include <ntos.h>
#include <pnp.h>
#include <shell.h>

#define DEVICES_ID_TEXT 512
#define DEVICES_INDENT_MAX 16

/* A REG_MULTI_SZ as "a,b,c" (ASCII, truncated to Size). */
static VOID DevicesJoinIds(PCWSTR Ids, PCHAR Out, SIZE_T Size)
{
    SIZE_T n = 0;

    Out[0] = 0;
    if (Ids == NULL || Size == 0)
        return;
    for (PCWSTR id = Ids; *id && n + 1 < Size; id++) {
        if (n)
            Out[n++] = ',';
        for (; *id && n + 1 < Size; id++)
            Out[n++] = (*id >= ' ' && *id < 0x7f && *id != '"') ? (CHAR)*id : '?';
        if (*id)
            break;
    }
    Out[n] = 0;
}

/* The interrupt START carried: "msi", "line", or "-" (none, or not
 * started).  irq_offered/irq_filtered are the requirements list's
 * interrupt alternatives, in order, as the bus driver offered them and
 * after the stack's IRP_MN_FILTER_RESOURCE_REQUIREMENTS (kernel/pnp/
 * resources.c); "-" when there were none. */
static PCSTR DevicesChosenInterrupt(PDEVICE_NODE Node)
{
    PCM_RESOURCE_LIST list = Node->TranslatedResources;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d;

    if (list == NULL || list->Count < 1)
        return "-";
    d = list->List[0].PartialResourceList.PartialDescriptors;
    for (ULONG i = 0; i < list->List[0].PartialResourceList.Count; i++, d++)
        if (d->Type == CmResourceTypeInterrupt)
            return (d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) ? "msi" : "line";
    return "-";
}

static PCSTR DevicesText(PCSTR Text)
{
    return Text[0] ? Text : "-";
}

static PCSTR DevicesDriver(PDEVICE_NODE Node)
{
    return Node->Service[0] ? Node->Service : "-";
}

static BOOLEAN DevicesPrintTree(PDEVICE_NODE Node, ULONG Depth, PVOID Context)
{
    CHAR ids[DEVICES_ID_TEXT];
    ULONG indent = Depth < DEVICES_INDENT_MAX ? Depth : DEVICES_INDENT_MAX;

    DevicesJoinIds(Node->HardwareIds, ids, sizeof(ids));
    for (ULONG i = 0; i < indent; i++)
        ConWrite("  ", 2);
    ConPrintf("%s  %s  %s  %s\n", Node->InstancePath, PnpStateName(Node->State),
              DevicesDriver(Node), ids[0] ? ids : "-");
    return TRUE;
}

typedef struct _DEVICES_COUNTS {
    ULONG Count, Started, Unclaimed, Failed, Removed;
} DEVICES_COUNTS;

static BOOLEAN DevicesPrintLine(PDEVICE_NODE Node, ULONG Depth, PVOID Context)
{
    DEVICES_COUNTS *c = Context;
    CHAR hw[DEVICES_ID_TEXT], compat[DEVICES_ID_TEXT], msi[16], gsi[16];

    if (Node->Parent == NULL)
        return TRUE;
    DevicesJoinIds(Node->HardwareIds, hw, sizeof(hw));
    DevicesJoinIds(Node->CompatibleIds, compat, sizeof(compat));
    RtlStringCbPrintfA(msi, sizeof(msi), Node->MsiVector ? "0x%x" : "-", Node->MsiVector);
    RtlStringCbPrintfA(gsi, sizeof(gsi), Node->IntxVector ? "%u" : "-", Node->IntxGsi);
    ConPrintf("device id=\"%s\" driver=%s state=%s parent=\"%s\" hwids=\"%s\" compat=\"%s\""
              " msi=%s intx_gsi=%s irq_offered=%s irq_filtered=%s irq=%s status=%s\n",
              Node->InstancePath, DevicesDriver(Node), PnpStateName(Node->State),
              Node->Parent->InstancePath, hw, compat, msi, gsi, DevicesText(Node->IrqOffered),
              DevicesText(Node->IrqFiltered), DevicesChosenInterrupt(Node),
              RtlNtStatusName(Node->LastStatus));
    c->Count++;
    c->Started += Node->State == DeviceNodeStarted;
    c->Unclaimed += Node->State == DeviceNodeUnclaimed;
    c->Failed += Node->State == DeviceNodeStartFailed;
    c->Removed += Node->State == DeviceNodeRemoved;
    return TRUE;
}

static INT CmdDevices(INT Argc, PCHAR *Argv)
{
    DEVICES_COUNTS counts = { 0 };

    if (Argc != 1)
        return ShellError("devices", STATUS_INVALID_PARAMETER, "no arguments");
    if (PnpGetRootNode() == NULL)
        return ShellError("devices", STATUS_DEVICE_NOT_CONNECTED, "the PnP manager did not start");
    PnpWaitForIdle(PNP_SETTLE_TIMEOUT_MS);
    PnpWalkTree(DevicesPrintTree, NULL);
    PnpWalkTree(DevicesPrintLine, &counts);
    ConPrintf("devices count=%lu started=%lu unclaimed=%lu failed=%lu removed=%lu\n",
              (unsigned long)counts.Count, (unsigned long)counts.Started,
              (unsigned long)counts.Unclaimed, (unsigned long)counts.Failed,
              (unsigned long)counts.Removed);
    return 0;
}

SHELL_COMMAND(devices, CmdDevices, "devices", "the PnP device tree: nodes, states, drivers, IDs");
