/* ntstor_usb.h - ntstor's private IOCTL of the xHCI driver: a snapshot of
 * the USB tree behind one controller (\Device\USBFDO-<n>) for the `usb`
 * shell command.  METHOD_BUFFERED, IRP_MJ_DEVICE_CONTROL, reads only. */
#ifndef NTSTOR_USB_IOCTL_H
#define NTSTOR_USB_IOCTL_H

#include <ntdef.h>
#include <devioctl.h>

#define IOCTL_NTSTOR_USB_GET_TREE CTL_CODE(FILE_DEVICE_CONTROLLER, 0x0B00, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef enum _NTSTOR_USB_MODE {
    NtstorUsbModePoll = 0,
    NtstorUsbModeMsi = 1,
    NtstorUsbModeIntx = 2,
} NTSTOR_USB_MODE;

#define NTSTOR_USB_TREE_PORTS   64
#define NTSTOR_USB_TREE_DEVICES 64
#define NTSTOR_USB_TEXT         64

typedef struct _NTSTOR_USB_TREE_PORT {
    UCHAR Port;                 /* 1-based root port */
    UCHAR Major;                /* 2 or 3, 0 unknown */
    UCHAR Speed;                /* xHCI protocol speed ID, 0 none */
    UCHAR Connected;
    UCHAR Enabled;
    UCHAR Powered;
    UCHAR Reserved[2];
    ULONG Portsc;
    CHAR Note[NTSTOR_USB_TEXT]; /* the last problem on the port, "" if none */
} NTSTOR_USB_TREE_PORT;

typedef struct _NTSTOR_USB_TREE_DEVICE {
    UCHAR RootPort;
    UCHAR ParentIndex;          /* index of the hub in Devices[], 0xFF on a root port */
    UCHAR ParentPort;
    UCHAR Depth;
    UCHAR Speed;
    UCHAR SlotId;
    UCHAR Address;
    UCHAR IsHub;
    UCHAR HubPorts;
    UCHAR Class, SubClass, Protocol;    /* bDeviceClass, or the first interface's */
    USHORT VendorId, ProductId, BcdDevice, BcdUsb;
    ULONG Route;
    ULONG State;                /* XHCI device state, see StateName */
    CHAR StateName[16];
    PVOID Pdo;                  /* the PDO (the shell looks its driver up), NULL for hubs */
    CHAR Product[NTSTOR_USB_TEXT];      /* UTF-16 from the device, escaped */
    CHAR Manufacturer[NTSTOR_USB_TEXT];
    CHAR Serial[NTSTOR_USB_TEXT];
    CHAR Note[NTSTOR_USB_TEXT];
} NTSTOR_USB_TREE_DEVICE;

typedef struct _NTSTOR_USB_TREE {
    ULONG Controller;           /* n of \Device\USBFDO-<n> */
    PVOID PciPdo;               /* the controller's PCI PDO (the shell finds its location) */
    USHORT VendorId, DeviceId;
    ULONG PciBus, PciDevice, PciFunction;
    ULONG HciVersion;
    ULONG MaxSlots, MaxPorts, ContextSize, Scratchpads;
    ULONG Mode;                 /* NTSTOR_USB_MODE */
    ULONG BootEnumMs;
    ULONG64 Events, Interrupts;
    CHAR Handoff[16];
    ULONG PortCount;
    ULONG DeviceCount;
    NTSTOR_USB_TREE_PORT Ports[NTSTOR_USB_TREE_PORTS];
    NTSTOR_USB_TREE_DEVICE Devices[NTSTOR_USB_TREE_DEVICES];
} NTSTOR_USB_TREE, *PNTSTOR_USB_TREE;

#endif
