/* usbdesc.h - USB descriptor parsing, pure (no kernel calls): the xHCI
 * driver, its host tests and the fuzzer (tests/fuzz/fuzz_usbdesc.c) run
 * the same code.  Every function checks lengths against the buffer and
 * says what was wrong in *Why. */
#ifndef NTSTOR_USBDESC_H
#define NTSTOR_USBDESC_H

#include <ntdef.h>
#include <ntstatus.h>
#include <usbspec.h>

#define USB_PARSED_MAX_ENDPOINTS 30

typedef struct _USB_PARSED_ENDPOINT {
    UCHAR Address;
    UCHAR Type;                 /* USB_ENDPOINT_TYPE_* */
    UCHAR Interval;
    UCHAR MaxBurst;             /* SuperSpeed companion, 0 otherwise */
    USHORT MaxPacket;           /* bits 10..0 */
    UCHAR Mult;                 /* high-bandwidth extra transactions (bits 12..11) */
    UCHAR Reserved;
} USB_PARSED_ENDPOINT;

typedef struct _USB_PARSED_INTERFACE {
    UCHAR Number;
    UCHAR Alternate;
    UCHAR Class, SubClass, Protocol;
    UCHAR StringIndex;
    UCHAR EndpointCount;
    USB_PARSED_ENDPOINT Endpoints[USB_PARSED_MAX_ENDPOINTS];
    USHORT HidReportLength;     /* from a HID descriptor, 0 if none */
} USB_PARSED_INTERFACE, *PUSB_PARSED_INTERFACE;

typedef struct _USB_PARSED_HUB {
    UCHAR Ports;
    USHORT Characteristics;
    UCHAR PowerOnToPowerGoodMs2;    /* 2 ms units */
    UCHAR TtThinkTime;              /* wHubCharacteristics bits 6..5 */
} USB_PARSED_HUB, *PUSB_PARSED_HUB;

/* An 18-byte device descriptor: bLength, type, bMaxPacketSize0 (8, 16,
 * 32, 64 below USB 3; exponent 9 on USB 3) and bNumConfigurations. */
NTSTATUS UsbParseDeviceDescriptor(const UCHAR *Buffer, ULONG Length, BOOLEAN SuperSpeed,
                                  PUSB_DEVICE_DESCRIPTOR Out, PCSTR *Why);
/* EP0's max packet size from a device descriptor's first 8 bytes. */
USHORT UsbMaxPacket0(const USB_DEVICE_DESCRIPTOR *Desc, BOOLEAN SuperSpeed);
/* The 9-byte header of a configuration descriptor; *Total gets
 * wTotalLength when it is sane (>= 9). */
NTSTATUS UsbParseConfigHeader(const UCHAR *Buffer, ULONG Length,
                              PUSB_CONFIGURATION_DESCRIPTOR Out, PCSTR *Why);
/* Walks a whole configuration descriptor: every descriptor's bLength
 * within the buffer and >= 2, interfaces and endpoints well formed.
 * Finds the interface with bInterfaceNumber == Number and
 * bAlternateSetting == Alternate (Number 0xFF: the first interface) and
 * its endpoints.  STATUS_NOT_FOUND when it is not there. */
NTSTATUS UsbFindInterface(const UCHAR *Config, ULONG Length, UCHAR Number, UCHAR Alternate,
                          PUSB_PARSED_INTERFACE Out, PCSTR *Why);
/* Number of distinct interfaces (alternate 0) in a configuration. */
ULONG UsbCountInterfaces(const UCHAR *Config, ULONG Length);
/* A USB 2.0 hub descriptor (11.23.2.1). */
NTSTATUS UsbParseHubDescriptor(const UCHAR *Buffer, ULONG Length, PUSB_PARSED_HUB Out,
                               PCSTR *Why);
/* A string descriptor's UTF-16 units into Out (Chars units with room for
 * the terminator, always terminated); returns the units copied. */
ULONG UsbParseString(const UCHAR *Buffer, ULONG Length, PWCHAR Out, ULONG Chars);
/* The first LANGID of string descriptor 0, 0 if none. */
USHORT UsbParseLangId(const UCHAR *Buffer, ULONG Length);

#endif
