/* usbspec.h - what the USB 2.0 and 3.x specifications define on the wire:
 * standard descriptors, setup packets, standard requests and hub class
 * requests, with the WDK's names (usbspec.h / usb100.h / usb200.h).
 *
 * Every structure here arrives from a device and may be wrong: its bLength
 * may be short, long or zero, and wTotalLength may not match what follows.
 * Parse through the checking helpers of the driver that reads them, never
 * by casting a buffer and trusting it. */
#ifndef NTSTOR_USBSPEC_H
#define NTSTOR_USBSPEC_H

#include <ntdef.h>

/* Descriptor types (USB 2.0 table 9-5, USB 3.2 table 9-6, HID 1.11 7.1). */
#define USB_DEVICE_DESCRIPTOR_TYPE                      0x01
#define USB_CONFIGURATION_DESCRIPTOR_TYPE               0x02
#define USB_STRING_DESCRIPTOR_TYPE                      0x03
#define USB_INTERFACE_DESCRIPTOR_TYPE                   0x04
#define USB_ENDPOINT_DESCRIPTOR_TYPE                    0x05
#define USB_DEVICE_QUALIFIER_DESCRIPTOR_TYPE            0x06
#define USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE       0x0B
#define USB_BOS_DESCRIPTOR_TYPE                         0x0F
#define USB_HID_DESCRIPTOR_TYPE                         0x21
#define USB_HID_REPORT_DESCRIPTOR_TYPE                  0x22
#define USB_20_HUB_DESCRIPTOR_TYPE                      0x29
#define USB_30_HUB_DESCRIPTOR_TYPE                      0x2A
#define USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE 0x30

/* bmRequestType (USB 2.0 9.3.1). */
#define BMREQUEST_HOST_TO_DEVICE    0
#define BMREQUEST_DEVICE_TO_HOST    1
#define BMREQUEST_STANDARD          0
#define BMREQUEST_CLASS             1
#define BMREQUEST_VENDOR            2
#define BMREQUEST_TO_DEVICE         0
#define BMREQUEST_TO_INTERFACE      1
#define BMREQUEST_TO_ENDPOINT       2
#define BMREQUEST_TO_OTHER          3

/* Standard requests (USB 2.0 table 9-4). */
#define USB_REQUEST_GET_STATUS          0x00
#define USB_REQUEST_CLEAR_FEATURE       0x01
#define USB_REQUEST_SET_FEATURE         0x03
#define USB_REQUEST_SET_ADDRESS         0x05
#define USB_REQUEST_GET_DESCRIPTOR      0x06
#define USB_REQUEST_SET_DESCRIPTOR      0x07
#define USB_REQUEST_GET_CONFIGURATION   0x08
#define USB_REQUEST_SET_CONFIGURATION   0x09
#define USB_REQUEST_GET_INTERFACE       0x0A
#define USB_REQUEST_SET_INTERFACE       0x0B
#define USB_REQUEST_SYNC_FRAME          0x0C

/* Feature selectors (USB 2.0 table 9-6). */
#define USB_FEATURE_ENDPOINT_STALL      0x0000
#define USB_FEATURE_REMOTE_WAKEUP       0x0001

#pragma pack(push, 1)

typedef struct _USB_DEFAULT_PIPE_SETUP_PACKET {
    UCHAR  bmRequestType;
    UCHAR  bRequest;
    USHORT wValue;
    USHORT wIndex;
    USHORT wLength;
} USB_DEFAULT_PIPE_SETUP_PACKET, *PUSB_DEFAULT_PIPE_SETUP_PACKET;

typedef struct _USB_COMMON_DESCRIPTOR {
    UCHAR bLength;
    UCHAR bDescriptorType;
} USB_COMMON_DESCRIPTOR, *PUSB_COMMON_DESCRIPTOR;

typedef struct _USB_DEVICE_DESCRIPTOR {
    UCHAR  bLength;
    UCHAR  bDescriptorType;
    USHORT bcdUSB;
    UCHAR  bDeviceClass;
    UCHAR  bDeviceSubClass;
    UCHAR  bDeviceProtocol;
    UCHAR  bMaxPacketSize0;     /* a byte count below USB 3, an exponent (2^n) on USB 3 */
    USHORT idVendor;
    USHORT idProduct;
    USHORT bcdDevice;
    UCHAR  iManufacturer;
    UCHAR  iProduct;
    UCHAR  iSerialNumber;
    UCHAR  bNumConfigurations;
} USB_DEVICE_DESCRIPTOR, *PUSB_DEVICE_DESCRIPTOR;

typedef struct _USB_CONFIGURATION_DESCRIPTOR {
    UCHAR  bLength;
    UCHAR  bDescriptorType;
    USHORT wTotalLength;        /* this descriptor and every one after it */
    UCHAR  bNumInterfaces;
    UCHAR  bConfigurationValue;
    UCHAR  iConfiguration;
    UCHAR  bmAttributes;
    UCHAR  MaxPower;            /* 2 mA units (8 mA at SuperSpeed) */
} USB_CONFIGURATION_DESCRIPTOR, *PUSB_CONFIGURATION_DESCRIPTOR;

typedef struct _USB_INTERFACE_DESCRIPTOR {
    UCHAR bLength;
    UCHAR bDescriptorType;
    UCHAR bInterfaceNumber;
    UCHAR bAlternateSetting;
    UCHAR bNumEndpoints;
    UCHAR bInterfaceClass;
    UCHAR bInterfaceSubClass;
    UCHAR bInterfaceProtocol;
    UCHAR iInterface;
} USB_INTERFACE_DESCRIPTOR, *PUSB_INTERFACE_DESCRIPTOR;

typedef struct _USB_ENDPOINT_DESCRIPTOR {
    UCHAR  bLength;
    UCHAR  bDescriptorType;
    UCHAR  bEndpointAddress;    /* bit 7: IN; bits 3..0: number */
    UCHAR  bmAttributes;        /* bits 1..0: USB_ENDPOINT_TYPE_* */
    USHORT wMaxPacketSize;      /* bits 10..0: size; 12..11: extra transactions */
    UCHAR  bInterval;
} USB_ENDPOINT_DESCRIPTOR, *PUSB_ENDPOINT_DESCRIPTOR;

typedef struct _USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR {
    UCHAR  bLength;
    UCHAR  bDescriptorType;
    UCHAR  bMaxBurst;
    UCHAR  bmAttributes;        /* bulk: MaxStreams in bits 4..0 */
    USHORT wBytesPerInterval;
} USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR, *PUSB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR;

typedef struct _USB_STRING_DESCRIPTOR {
    UCHAR bLength;
    UCHAR bDescriptorType;
    WCHAR bString[1];           /* UTF-16LE, (bLength - 2) / 2 units, not terminated */
} USB_STRING_DESCRIPTOR, *PUSB_STRING_DESCRIPTOR;

/* USB 2.0 11.23.2.1; bRemoveAndPowerMask holds DeviceRemovable then
 * PortPwrCtrlMask, each (bNumberOfPorts + 1 + 7) / 8 bytes. */
typedef struct _USB_HUB_DESCRIPTOR {
    UCHAR  bDescriptorLength;
    UCHAR  bDescriptorType;
    UCHAR  bNumberOfPorts;
    USHORT wHubCharacteristics;
    UCHAR  bPowerOnToPowerGood; /* 2 ms units */
    UCHAR  bHubControlCurrent;
    UCHAR  bRemoveAndPowerMask[64];
} USB_HUB_DESCRIPTOR, *PUSB_HUB_DESCRIPTOR;

/* USB 3.2 10.15.2.1. */
typedef struct _USB_30_HUB_DESCRIPTOR {
    UCHAR  bLength;
    UCHAR  bDescriptorType;
    UCHAR  bNumberOfPorts;
    USHORT wHubCharacteristics;
    UCHAR  bPowerOnToPowerGood;
    UCHAR  bHubControlCurrent;
    UCHAR  bHubHdrDecLat;
    USHORT wHubDelay;
    USHORT DeviceRemovable;
} USB_30_HUB_DESCRIPTOR, *PUSB_30_HUB_DESCRIPTOR;

#pragma pack(pop)

#define USB_ENDPOINT_DIRECTION_MASK     0x80
#define USB_ENDPOINT_DIRECTION_IN(a)    (((a) & USB_ENDPOINT_DIRECTION_MASK) != 0)
#define USB_ENDPOINT_ADDRESS_MASK       0x0F

#define USB_ENDPOINT_TYPE_MASK          0x03
#define USB_ENDPOINT_TYPE_CONTROL       0x00
#define USB_ENDPOINT_TYPE_ISOCHRONOUS   0x01
#define USB_ENDPOINT_TYPE_BULK          0x02
#define USB_ENDPOINT_TYPE_INTERRUPT     0x03

#define USB_CONFIG_SELF_POWERED         0x40
#define USB_CONFIG_REMOTE_WAKEUP        0x20

/* Class codes this project binds (usb.org class code list). */
#define USB_DEVICE_CLASS_HUMAN_INTERFACE 0x03
#define USB_DEVICE_CLASS_STORAGE        0x08
#define USB_DEVICE_CLASS_HUB            0x09

/* Hub class requests and port features (USB 2.0 11.24, USB 3.2 10.16). */
#define USB_REQUEST_GET_HUB_DESCRIPTOR  USB_REQUEST_GET_DESCRIPTOR
#define USB_REQUEST_SET_HUB_DEPTH       0x0C
#define PORT_CONNECTION                 0
#define PORT_ENABLE                     1
#define PORT_SUSPEND                    2
#define PORT_OVER_CURRENT               3
#define PORT_RESET                      4
#define PORT_LINK_STATE                 5
#define PORT_POWER                      8
#define PORT_LOW_SPEED                  9
#define C_PORT_CONNECTION               16
#define C_PORT_ENABLE                   17
#define C_PORT_SUSPEND                  18
#define C_PORT_OVER_CURRENT             19
#define C_PORT_RESET                    20
#define BH_PORT_RESET                   28
#define C_PORT_LINK_STATE               25
#define C_PORT_CONFIG_ERROR             26
#define C_BH_PORT_RESET                 29

#endif
