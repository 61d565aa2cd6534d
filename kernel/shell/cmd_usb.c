/* cmd_usb.c - `usb`: the USB tree behind every xHCI controller
 * (\Device\USBFDO-<n>, IOCTL_NTSTOR_USB_GET_TREE): the controller with its
 * PCI location, each root port with its protocol, speed and state, hubs
 * and their ports, each device with VID:PID, class, product string, the
 * driver bound to its PDO and the PnP state.  The tree first, then one
 * machine-readable line per controller, port and device:
 *
 *   usb0 pci=00:03.0 1b36:000d xHCI 1.00 ports=8 interrupt=intx
 *     port 2 super: 46f4:0001 class 08/06/50 "QEMU USB HARDDRIVE" driver=usbstor Started
 *     port 7 full: hub 0409:55aa, 8 ports "QEMU USB Hub" configured
 *       port 1 full: 0627:0001 class 03/01/01 "QEMU USB Keyboard" driver=kbdhid Started
 *   usb ctrl=0 pci=00:03.0 vid=1b36 did=000d version=1.00 ports=8 slots=64 context=32 mode=intx handoff=none boot_enum_ms=152 devices=4
 *   usbport ctrl=0 port=2 proto=usb3 connected=1 enabled=1 speed=super
 *   usbdev ctrl=0 port=7 path=7.1 route=00001 speed=full vid=0627 pid=0001 rev=0000 class=03 subclass=01 prot=01 hub=0 slot=4 address=4 product="QEMU USB Keyboard" driver=kbdhid state=Started
 *
 * Device text is escaped by the driver (DESIGN.md "Safety"). */
#include <ntos.h>
#include <shell.h>
#include <io.h>
#include <pnp.h>
#include <ntstor_usb.h>
#include "hal.h"

#define USB_SHELL_TAG NTSTOR_TAG('S', 'h', 'U', 's')
#define USB_SHELL_MAX_CONTROLLERS 8

static PCSTR UsbSpeedName(ULONG Speed)
{
    static const char *const names[] = { "-", "full", "low", "high", "super", "super+" };
    return Speed < sizeof(names) / sizeof(names[0]) ? names[Speed] : "unknown";
}

typedef struct _USB_NODE_FIND {
    PVOID Pdo;
    PDEVICE_NODE Node;
} USB_NODE_FIND;

static BOOLEAN UsbFindNode(PDEVICE_NODE Node, ULONG Depth, PVOID Context)
{
    USB_NODE_FIND *f = Context;
    if (Node->Pdo && (PVOID)Node->Pdo == f->Pdo) {
        f->Node = Node;
        return FALSE;
    }
    return TRUE;
}

static PDEVICE_NODE UsbNodeOf(PVOID Pdo)
{
    USB_NODE_FIND f = { Pdo, NULL };
    if (Pdo)
        PnpWalkTree(UsbFindNode, &f);
    return f.Node;
}

/* "7.1.3": the root port, then each hub port down to the device. */
static VOID UsbPath(const NTSTOR_USB_TREE *T, ULONG Index, PCHAR Out, SIZE_T Size)
{
    UCHAR ports[8];
    ULONG n = 0;
    SIZE_T len = 0;

    for (ULONG i = Index; i < T->DeviceCount && n < 8;) {
        const NTSTOR_USB_TREE_DEVICE *d = &T->Devices[i];
        ports[n++] = d->ParentPort;
        if (d->ParentIndex == 0xFF || d->ParentIndex >= T->DeviceCount)
            break;
        i = d->ParentIndex;
    }
    Out[0] = 0;
    while (n--) {
        RtlStringCbPrintfA(Out + len, Size - len, len ? ".%u" : "%u", ports[n]);
        len = RtlAsciiLength(Out);
    }
}

static VOID UsbDriverOf(const NTSTOR_USB_TREE_DEVICE *D, PCSTR *Driver, PCSTR *State)
{
    PDEVICE_NODE node = UsbNodeOf(D->Pdo);

    if (D->IsHub) {
        *Driver = "usbxhci";
        *State = D->StateName;
    } else if (!node) {
        *Driver = "-";
        *State = D->StateName;
    } else {
        *Driver = node->Service[0] ? node->Service : "-";
        *State = PnpStateName(node->State);
    }
}

/* One device line of the tree, and its children under it. */
static VOID UsbPrintDevice(const NTSTOR_USB_TREE *T, ULONG Index, ULONG Indent)
{
    const NTSTOR_USB_TREE_DEVICE *d = &T->Devices[Index];
    PCSTR driver, state;

    UsbDriverOf(d, &driver, &state);
    for (ULONG i = 0; i < Indent; i++)
        ConWrite("  ", 2);
    if (d->IsHub)
        ConPrintf("port %u %s: hub %04x:%04x, %u ports \"%s\" %s\n", d->ParentPort,
                  UsbSpeedName(d->Speed), d->VendorId, d->ProductId, d->HubPorts, d->Product,
                  state);
    else if (d->State == 4 /* failed */)
        ConPrintf("port %u %s: failed: %s\n", d->ParentPort, UsbSpeedName(d->Speed), d->Note);
    else
        ConPrintf("port %u %s: %04x:%04x class %02x/%02x/%02x \"%s\" driver=%s %s\n",
                  d->ParentPort, UsbSpeedName(d->Speed), d->VendorId, d->ProductId, d->Class,
                  d->SubClass, d->Protocol, d->Product, driver, state);
    for (ULONG c = 0; c < T->DeviceCount; c++)
        if (T->Devices[c].ParentIndex == Index)
            UsbPrintDevice(T, c, Indent + 1);
}

static VOID UsbPrintController(const NTSTOR_USB_TREE *T)
{
    PDEVICE_NODE pci = UsbNodeOf(T->PciPdo);
    const HAL_PCI_FUNCTION *f = pci ? pci->PciFunction : NULL;
    static const char *const modes[] = { "poll", "msi", "intx" };
    CHAR loc[24] = "-";
    PCSTR mode = T->Mode < 3 ? modes[T->Mode] : "?";

    if (f)
        RtlStringCbPrintfA(loc, sizeof(loc), "%02x:%02x.%x", f->Bus, f->Device, f->Function);
    ConPrintf("usb%u pci=%s %04x:%04x xHCI %x.%02x ports=%u interrupt=%s\n", T->Controller, loc,
              T->VendorId, T->DeviceId, T->HciVersion >> 8, T->HciVersion & 0xFF, T->MaxPorts, mode);
    for (ULONG p = 0; p < T->PortCount; p++) {
        const NTSTOR_USB_TREE_PORT *port = &T->Ports[p];
        BOOLEAN shown = FALSE;
        for (ULONG i = 0; i < T->DeviceCount; i++) {
            if (T->Devices[i].ParentIndex == 0xFF && T->Devices[i].RootPort == port->Port) {
                UsbPrintDevice(T, i, 1);
                shown = TRUE;
            }
        }
        if (!shown && port->Connected)
            ConPrintf("  port %u usb%u %s: connected, no device%s%s\n", port->Port, port->Major,
                      UsbSpeedName(port->Speed), port->Note[0] ? ": " : "", port->Note);
    }
    ConPrintf("usb ctrl=%u pci=%s vid=%04x did=%04x version=%x.%02x ports=%u slots=%u context=%u "
              "scratchpads=%u mode=%s handoff=%s boot_enum_ms=%u devices=%u events=%llu "
              "interrupts=%llu\n", T->Controller, loc, T->VendorId, T->DeviceId,
              T->HciVersion >> 8, T->HciVersion & 0xFF, T->MaxPorts, T->MaxSlots, T->ContextSize,
              T->Scratchpads, mode, T->Handoff, T->BootEnumMs, T->DeviceCount,
              (unsigned long long)T->Events, (unsigned long long)T->Interrupts);
    for (ULONG p = 0; p < T->PortCount; p++) {
        const NTSTOR_USB_TREE_PORT *port = &T->Ports[p];
        ConPrintf("usbport ctrl=%u port=%u proto=usb%u powered=%u connected=%u enabled=%u speed=%s "
                  "portsc=0x%08x%s%s%s\n", T->Controller, port->Port, port->Major, port->Powered,
                  port->Connected, port->Enabled, UsbSpeedName(port->Speed), port->Portsc,
                  port->Note[0] ? " note=\"" : "", port->Note, port->Note[0] ? "\"" : "");
    }
    for (ULONG i = 0; i < T->DeviceCount; i++) {
        const NTSTOR_USB_TREE_DEVICE *d = &T->Devices[i];
        PCSTR driver, state;
        CHAR path[32];
        UsbDriverOf(d, &driver, &state);
        UsbPath(T, i, path, sizeof(path));
        ConPrintf("usbdev ctrl=%u port=%u path=%s route=%05x speed=%s vid=%04x pid=%04x rev=%04x "
                  "usb=%x.%02x class=%02x subclass=%02x prot=%02x hub=%u slot=%u address=%u "
                  "product=\"%s\" manufacturer=\"%s\" serial=\"%s\" driver=%s state=%s%s%s%s\n",
                  T->Controller, d->RootPort, path, d->Route, UsbSpeedName(d->Speed), d->VendorId,
                  d->ProductId, d->BcdDevice, d->BcdUsb >> 8, d->BcdUsb & 0xFF, d->Class,
                  d->SubClass, d->Protocol, d->IsHub, d->SlotId, d->Address, d->Product,
                  d->Manufacturer, d->Serial, driver, state, d->Note[0] ? " note=\"" : "", d->Note,
                  d->Note[0] ? "\"" : "");
    }
}

static INT CmdUsb(INT Argc, PCHAR *Argv)
{
    PNTSTOR_USB_TREE tree;
    ULONG found = 0;

    if (Argc > 1)
        return ShellErrorF(STATUS_INVALID_PARAMETER, "usb takes no arguments", "usb");
    /* Device-relation changes (hot-plug) are settled before the tree is read. */
    PnpWaitForIdle(PNP_SETTLE_TIMEOUT_MS);
    tree = ExAllocatePoolWithTag(NonPagedPool, sizeof(*tree), USB_SHELL_TAG);
    if (!tree)
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "usb");
    for (ULONG c = 0; c < USB_SHELL_MAX_CONTROLLERS; c++) {
        CHAR ascii[32];
        WCHAR wide[32];
        UNICODE_STRING path = { 0, sizeof(wide), wide };
        IO_STATUS_BLOCK iosb = { { 0 }, 0 };
        HANDLE h;
        NTSTATUS status;

        RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\USBFDO-%u", c);
        RtlAsciiToUnicodeString(&path, ascii);
        status = NtCreateFile(&h, GENERIC_READ, &path, &iosb, FILE_SHARE_READ | FILE_SHARE_WRITE,
                              FILE_SYNCHRONOUS_IO_NONALERT);
        if (status == STATUS_OBJECT_NAME_NOT_FOUND)
            break;
        if (!NT_SUCCESS(status)) {
            ShellErrorF(status, NULL, "usb ctrl=%u", c);
            continue;
        }
        status = NtDeviceIoControlFile(h, NULL, NULL, NULL, &iosb, IOCTL_NTSTOR_USB_GET_TREE, NULL, 0,
                                       tree, sizeof(*tree));
        NtClose(h);
        if (!NT_SUCCESS(status)) {
            ShellErrorF(status, NULL, "usb ctrl=%u", c);
            continue;
        }
        UsbPrintController(tree);
        found++;
    }
    ExFreePoolWithTag(tree, USB_SHELL_TAG);
    if (!found)
        ConPrintf("usb controllers=0\n");
    return 0;
}
SHELL_COMMAND(usb, CmdUsb, "usb", "the USB tree: controllers, ports, hubs, devices and their drivers");
