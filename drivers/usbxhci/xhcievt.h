/* xhcievt.h - xHCI event TRB decoding and completion codes (xHCI 1.2
 * 6.4.2, 6.4.5), pure: the driver's event loop, the host tests and the
 * fuzzer (tests/fuzz/fuzz_xhcievt.c) share it.  An event TRB is written
 * by the controller and checked here before anything trusts it. */
#ifndef NTSTOR_XHCIEVT_H
#define NTSTOR_XHCIEVT_H

#include <ntdef.h>
#include <usb.h>

typedef struct _XHCI_EVENT {
    UCHAR Type;                 /* XHCI_TRB_* event type */
    UCHAR Cc;                   /* completion code */
    UCHAR Slot;                 /* transfer/command: slot id */
    UCHAR Dci;                  /* transfer: endpoint id 1..31 */
    UCHAR Port;                 /* port status change: 1-based port */
    BOOLEAN EventData;          /* transfer: Pointer is Event Data, not a TRB */
    ULONG Length;               /* transfer: residual bytes (24 bits) */
    ULONG64 Pointer;            /* transfer/command: the TRB it is about */
} XHCI_EVENT, *PXHCI_EVENT;

/* Decodes the four dwords of an event TRB (cycle bit already checked).
 * FALSE, with *Why, for a TRB that names a slot, endpoint or port out of
 * range, a misaligned pointer, or an unknown type; the caller skips it. */
BOOLEAN XhciDecodeEvent(const ULONG Trb[4], ULONG MaxSlots, ULONG MaxPorts, PXHCI_EVENT Out,
                        PCSTR *Why);
/* "success", "stall", ... ("cc-<n>" style names are not made: unknown
 * codes read "unknown"). */
PCSTR XhciCcName(ULONG Cc);
/* The USBD_STATUS a transfer's completion code means (short packet is
 * success here; the caller applies USBD_SHORT_TRANSFER_OK). */
USBD_STATUS XhciCcToUsbd(ULONG Cc);

#endif
