/* fuzz_xhcievt.c - the xHCI event TRB decoder (drivers/usbxhci/xhcievt.c)
 * on arbitrary TRBs: 16 bytes each, the first byte of the input picking
 * the slot and port limits.  Checked: an accepted transfer event names a
 * slot 1..MaxSlots and an endpoint 1..31 and a 16-byte aligned TRB unless
 * it carries event data or an isochronous ring error; an accepted command
 * completion has an aligned pointer and a slot within range; an accepted
 * port change names a port 1..MaxPorts; every completion code has a name
 * and maps to a USBD status that is success only for success and short
 * packet. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xhcievt.h"
#include <xhci.h>

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

#define Check(ok) CheckAt((ok), __LINE__)
static void CheckAt(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_xhcievt.c:%d: check failed\n", line);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    ULONG maxSlots, maxPorts;

    if (Size < 1)
        return 0;
    maxSlots = (Data[0] & 0x0F) * 16 + 1;
    maxPorts = (Data[0] >> 4) * 16 + 1;
    for (size_t off = 1; off + 16 <= Size; off += 16) {
        ULONG trb[4];
        XHCI_EVENT ev;
        PCSTR why = NULL;
        memcpy(trb, Data + off, 16);
        BOOLEAN ok = XhciDecodeEvent(trb, maxSlots, maxPorts, &ev, &why);
        Check(ok || why != NULL);
        Check(XhciCcName(ev.Cc) != NULL);
        USBD_STATUS us = XhciCcToUsbd(ev.Cc);
        Check(USBD_SUCCESS(us) == (ev.Cc == XHCI_CC_SUCCESS || ev.Cc == XHCI_CC_SHORT_PACKET));
        if (!ok)
            continue;
        switch (ev.Type) {
        case XHCI_TRB_TRANSFER_EVENT:
            Check(ev.Slot >= 1 && ev.Slot <= maxSlots);
            Check(ev.Dci >= 1 && ev.Dci <= 31);
            Check(ev.Length <= 0xFFFFFF);
            Check(ev.EventData || (ev.Pointer & 0xF) == 0 || ev.Cc == XHCI_CC_RING_UNDERRUN ||
                  ev.Cc == XHCI_CC_RING_OVERRUN);
            break;
        case XHCI_TRB_COMMAND_COMPLETION:
            Check((ev.Pointer & 0xF) == 0 && ev.Slot <= maxSlots);
            break;
        case XHCI_TRB_PORT_STATUS_CHANGE:
            Check(ev.Port >= 1 && ev.Port <= maxPorts);
            break;
        default:
            Check(ev.Type >= XHCI_TRB_BANDWIDTH_REQUEST && ev.Type <= XHCI_TRB_MFINDEX_WRAP);
        }
    }
    return 0;
}
