/* usbdlib.h - the USBD descriptor library: walking a configuration
 * descriptor as the WDK's usbd.sys / usbdex.lib routines do, exported by the
 * kernel so every USB driver walks descriptors the same way (one home for
 * what was three walks, in usbxhci, usbstor and kbdhid).
 *
 * The contract differs from Windows in one way, on purpose: Windows's parse
 * routines trust the descriptor; ntstor's never read past TotalLength (or
 * wTotalLength) whatever the bytes say.  Still, validate first:
 * NtstorUsbdValidateConfiguration (or the WDK's
 * USBD_ValidateConfigurationDescriptor) says what is wrong with a
 * configuration a device sent, and a configuration that passed level 2 can
 * be walked with the parse routines without further length checks.
 *
 * Pure code (no kernel calls): host unit tests and fuzzers link it as is.
 * Callable at any IRQL. */
#ifndef NTSTOR_USBDLIB_H
#define NTSTOR_USBDLIB_H

#include <ntdef.h>
#include <usb.h>

#define USBD_STATUS_INAVLID_CONFIGURATION_DESCRIPTOR ((USBD_STATUS)0xC0000F00L)  /* sic, WDK */
#define USBD_STATUS_BAD_DESCRIPTOR                   ((USBD_STATUS)0xC0100000L)
#define USBD_STATUS_BAD_DESCRIPTOR_BLEN              ((USBD_STATUS)0xC0100001L)
#define USBD_STATUS_BAD_DESCRIPTOR_TYPE              ((USBD_STATUS)0xC0100002L)
#define USBD_STATUS_BAD_INTERFACE_DESCRIPTOR         ((USBD_STATUS)0xC0100003L)
#define USBD_STATUS_BAD_ENDPOINT_DESCRIPTOR          ((USBD_STATUS)0xC0100004L)
#define USBD_STATUS_BAD_CONFIG_DESC_LENGTH           ((USBD_STATUS)0xC0100006L)
#define USBD_STATUS_BAD_NUMBER_OF_ENDPOINTS          ((USBD_STATUS)0xC0100008L)
#define USBD_STATUS_BAD_ENDPOINT_ADDRESS             ((USBD_STATUS)0xC0100009L)

/* Validation levels (USBD_ValidateConfigurationDescriptor's Level):
 *  1  the header: bLength >= 9 and inside what arrived, bDescriptorType 2,
 *     wTotalLength >= bLength.
 *     A buffer shorter than wTotalLength is not an error here: ntstor walks
 *     what arrived (min(wTotalLength, BufferLength)) and lets level 2 find
 *     a descriptor cut in half.
 *  2  every descriptor in the walk: bLength >= 2 and inside the walk;
 *     interface descriptors >= 9 bytes, endpoint descriptors >= 7,
 *     SuperSpeed endpoint companions >= 6.
 *  3  each endpoint: address number not 0, no reserved bits (6..4),
 *     wMaxPacketSize not 0, no address twice in one alternate setting, at
 *     most 30 endpoints in one. */
#define USBD_VALIDATE_HEADER      1
#define USBD_VALIDATE_LENGTHS     2
#define USBD_VALIDATE_ENDPOINTS   3

#define USBD_MAX_INTERFACE_ENDPOINTS 30     /* 15 IN + 15 OUT */

/* WDK: validates ConfigDesc to Level; on failure *Offset points at the
 * offending descriptor (or field).  Tag is accepted and unused (nothing is
 * allocated). */
USBD_STATUS USBD_ValidateConfigurationDescriptor(PUSB_CONFIGURATION_DESCRIPTOR ConfigDesc, ULONG BufferLength,
                                                 USHORT Level, PUCHAR *Offset, ULONG Tag);

/* ntstor: the same, with *Why naming the problem in words for the log
 * (a static string; NULL on success) and *WalkLength set to the bytes the
 * parse routines may walk (min(wTotalLength, BufferLength)). */
USBD_STATUS NtstorUsbdValidateConfiguration(const VOID *Config, ULONG BufferLength, USHORT Level,
                                            PULONG WalkLength, PCSTR *Why);

/* WDK: the first descriptor of DescriptorType at or after StartPosition
 * inside [DescriptorBuffer, DescriptorBuffer + TotalLength), or NULL.
 * StartPosition itself is a candidate (pass the previous hit plus its
 * bLength to go on).  Stops, returning NULL, at a descriptor that does not
 * fit. */
PUSB_COMMON_DESCRIPTOR USBD_ParseDescriptors(PVOID DescriptorBuffer, ULONG TotalLength, PVOID StartPosition,
                                             LONG DescriptorType);

/* WDK: the first interface descriptor at or after StartPosition matching
 * every criterion that is not -1, walking wTotalLength bytes of the
 * configuration (callers that received fewer bytes must validate first:
 * the walk length then comes from NtstorUsbdValidateConfiguration and
 * NtstorUsbdFindInterface takes it). */
PUSB_INTERFACE_DESCRIPTOR USBD_ParseConfigurationDescriptorEx(PUSB_CONFIGURATION_DESCRIPTOR ConfigurationDescriptor,
                                                              PVOID StartPosition, LONG InterfaceNumber,
                                                              LONG AlternateSetting, LONG InterfaceClass,
                                                              LONG InterfaceSubClass, LONG InterfaceProtocol);

/* ntstor: USBD_ParseConfigurationDescriptorEx over WalkLength bytes. */
PUSB_INTERFACE_DESCRIPTOR NtstorUsbdFindInterface(const VOID *Config, ULONG WalkLength, const VOID *StartPosition,
                                                  LONG InterfaceNumber, LONG AlternateSetting, LONG InterfaceClass,
                                                  LONG InterfaceSubClass, LONG InterfaceProtocol);

/* ntstor: the descriptor after Current that belongs to the same interface
 * (an endpoint, a class descriptor, a companion), or NULL at the next
 * interface descriptor or the end of the walk.  Pass the interface
 * descriptor itself to get its first one. */
PUSB_COMMON_DESCRIPTOR NtstorUsbdNextInInterface(const VOID *Config, ULONG WalkLength, const VOID *Current);

#endif
