/* desc.h - what usbstor reads from a USB device's descriptors, as pure
 * functions (desc.c) the host unit tests and fuzzers run as the driver
 * does: the bulk-only SCSI interface and its two bulk endpoints in a
 * configuration descriptor, and a string descriptor as printable ASCII. */
#ifndef NTSTOR_USBSTOR_DESC_H
#define NTSTOR_USBSTOR_DESC_H

#include <ntdef.h>
#include <ntstatus.h>
#include <usbspec.h>

#define USBSTOR_SUBCLASS_SCSI   0x06    /* SCSI transparent command set */
#define USBSTOR_PROTOCOL_BOT    0x50    /* bulk-only transport */

typedef struct _USBSTOR_INTERFACE {
    UCHAR InterfaceNumber;
    UCHAR AlternateSetting;
    UCHAR NumInterfaces;        /* of the configuration (SELECT_CONFIGURATION names each) */
    UCHAR ConfigurationValue;
    UCHAR BulkIn, BulkOut;      /* endpoint addresses */
    USHORT BulkInMaxPacket, BulkOutMaxPacket;
} USBSTOR_INTERFACE, *PUSBSTOR_INTERFACE;

/* Walks Length bytes of a configuration descriptor (header and everything
 * after it) for the first interface of class 08h, subclass 06h, protocol
 * 50h, alternate setting 0, with one bulk IN and one bulk OUT endpoint.
 * Every descriptor's length is checked against what is left; STATUS_
 * SUCCESS, or an error with *Why naming what was wrong. */
NTSTATUS UsbstorFindInterface(const UCHAR *Config, ULONG Length, PUSBSTOR_INTERFACE Out, PCSTR *Why);

/* The interface information count for SELECT_CONFIGURATION: each interface
 * of Config (alternate setting 0) with its endpoint count, in order.
 * Returns how many were found (at most Max). */
ULONG UsbstorListInterfaces(const UCHAR *Config, ULONG Length, PUCHAR Numbers, PUCHAR Endpoints,
                            ULONG Max);

/* A string descriptor (UTF-16LE) of which Got bytes arrived, as ASCII:
 * characters outside printable ASCII become '_'; leading and trailing
 * blanks dropped.  Returns the length written (Out is always terminated). */
ULONG UsbstorStringToAscii(const UCHAR *Desc, ULONG Got, PCHAR Out, ULONG OutSize);

#endif
