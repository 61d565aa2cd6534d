/* xhcievt.c - event TRB decoding (xHCI 1.2 6.4.2) and completion codes
 * (6.4.5), pure: see xhcievt.h. */
#include "xhcievt.h"
#include <xhci.h>

BOOLEAN XhciDecodeEvent(const ULONG Trb[4], ULONG MaxSlots, ULONG MaxPorts, PXHCI_EVENT Out,
                        PCSTR *Why)
{
    ULONG control = Trb[3], status = Trb[2];

    Out->Type = (UCHAR)XHCI_TRB_TYPE(control);
    Out->Cc = (UCHAR)XHCI_TRB_CC(status);
    Out->Slot = (UCHAR)XHCI_TRB_SLOT(control);
    Out->Dci = 0;
    Out->Port = 0;
    Out->EventData = FALSE;
    Out->Length = 0;
    Out->Pointer = (ULONG64)Trb[0] | ((ULONG64)Trb[1] << 32);
    switch (Out->Type) {
    case XHCI_TRB_TRANSFER_EVENT:
        Out->Dci = (UCHAR)XHCI_TRB_EP(control);
        Out->Length = XHCI_TRB_LEN(status);
        Out->EventData = (control & XHCI_TRB_EVT_ED) != 0;
        if (Out->Slot == 0 || Out->Slot > MaxSlots) {
            *Why = "transfer event for a slot out of range";
            return FALSE;
        }
        if (Out->Dci == 0) {
            *Why = "transfer event for endpoint id 0";
            return FALSE;
        }
        /* Ring underrun/overrun (isochronous) and a few others carry no TRB. */
        if (!Out->EventData && (Out->Pointer & 0xF) &&
            Out->Cc != XHCI_CC_RING_UNDERRUN && Out->Cc != XHCI_CC_RING_OVERRUN) {
            *Why = "transfer event TRB pointer not 16-byte aligned";
            return FALSE;
        }
        return TRUE;
    case XHCI_TRB_COMMAND_COMPLETION:
        if (Out->Pointer & 0xF) {
            *Why = "command completion TRB pointer not 16-byte aligned";
            return FALSE;
        }
        if (Out->Slot > MaxSlots) {
            *Why = "command completion for a slot out of range";
            return FALSE;
        }
        return TRUE;
    case XHCI_TRB_PORT_STATUS_CHANGE:
        Out->Port = (UCHAR)(Trb[0] >> 24);
        if (Out->Port == 0 || Out->Port > MaxPorts) {
            *Why = "port status change for a port out of range";
            return FALSE;
        }
        return TRUE;
    case XHCI_TRB_BANDWIDTH_REQUEST:
    case XHCI_TRB_DOORBELL_EVENT:
    case XHCI_TRB_HOST_CONTROLLER_EVENT:
    case XHCI_TRB_DEVICE_NOTIFICATION:
    case XHCI_TRB_MFINDEX_WRAP:
        return TRUE;
    default:
        *Why = "not an event TRB type";
        return FALSE;
    }
}

static const char *const XhciCcNames[] = {
    [XHCI_CC_INVALID] = "invalid", [XHCI_CC_SUCCESS] = "success",
    [XHCI_CC_DATA_BUFFER] = "data-buffer-error", [XHCI_CC_BABBLE] = "babble",
    [XHCI_CC_TRANSACTION] = "transaction-error", [XHCI_CC_TRB] = "trb-error",
    [XHCI_CC_STALL] = "stall", [XHCI_CC_RESOURCE] = "resource-error",
    [XHCI_CC_BANDWIDTH] = "bandwidth-error", [XHCI_CC_NO_SLOTS] = "no-slots",
    [XHCI_CC_INVALID_STREAM_TYPE] = "invalid-stream-type",
    [XHCI_CC_SLOT_NOT_ENABLED] = "slot-not-enabled", [XHCI_CC_EP_NOT_ENABLED] = "ep-not-enabled",
    [XHCI_CC_SHORT_PACKET] = "short-packet", [XHCI_CC_RING_UNDERRUN] = "ring-underrun",
    [XHCI_CC_RING_OVERRUN] = "ring-overrun", [XHCI_CC_VF_EVENT_RING_FULL] = "vf-event-ring-full",
    [XHCI_CC_PARAMETER] = "parameter-error", [XHCI_CC_BANDWIDTH_OVERRUN] = "bandwidth-overrun",
    [XHCI_CC_CONTEXT_STATE] = "context-state-error", [XHCI_CC_NO_PING_RESPONSE] = "no-ping-response",
    [XHCI_CC_EVENT_RING_FULL] = "event-ring-full", [XHCI_CC_INCOMPATIBLE_DEVICE] = "incompatible-device",
    [XHCI_CC_MISSED_SERVICE] = "missed-service", [XHCI_CC_COMMAND_RING_STOPPED] = "command-ring-stopped",
    [XHCI_CC_COMMAND_ABORTED] = "command-aborted", [XHCI_CC_STOPPED] = "stopped",
    [XHCI_CC_STOPPED_LENGTH_INVALID] = "stopped-length-invalid",
    [XHCI_CC_STOPPED_SHORT_PACKET] = "stopped-short-packet",
    [XHCI_CC_MAX_EXIT_LATENCY] = "max-exit-latency", [XHCI_CC_ISOCH_BUFFER_OVERRUN] = "isoch-buffer-overrun",
    [XHCI_CC_EVENT_LOST] = "event-lost", [XHCI_CC_UNDEFINED] = "undefined-error",
    [XHCI_CC_INVALID_STREAM_ID] = "invalid-stream-id",
    [XHCI_CC_SECONDARY_BANDWIDTH] = "secondary-bandwidth-error",
    [XHCI_CC_SPLIT_TRANSACTION] = "split-transaction-error",
};

PCSTR XhciCcName(ULONG Cc)
{
    if (Cc < sizeof(XhciCcNames) / sizeof(XhciCcNames[0]) && XhciCcNames[Cc])
        return XhciCcNames[Cc];
    return "unknown";
}

USBD_STATUS XhciCcToUsbd(ULONG Cc)
{
    switch (Cc) {
    case XHCI_CC_SUCCESS:
    case XHCI_CC_SHORT_PACKET:
        return USBD_STATUS_SUCCESS;
    case XHCI_CC_STALL:
        return USBD_STATUS_STALL_PID;
    case XHCI_CC_BABBLE:
        return USBD_STATUS_BABBLE_DETECTED;
    case XHCI_CC_DATA_BUFFER:
        return USBD_STATUS_DATA_BUFFER_ERROR;
    case XHCI_CC_TRANSACTION:
    case XHCI_CC_SPLIT_TRANSACTION:
        return USBD_STATUS_XACT_ERROR;
    case XHCI_CC_STOPPED:
    case XHCI_CC_STOPPED_LENGTH_INVALID:
    case XHCI_CC_STOPPED_SHORT_PACKET:
        return USBD_STATUS_CANCELED;
    case XHCI_CC_BANDWIDTH:
    case XHCI_CC_SECONDARY_BANDWIDTH:
    case XHCI_CC_BANDWIDTH_OVERRUN:
        return USBD_STATUS_NO_BANDWIDTH;
    case XHCI_CC_SLOT_NOT_ENABLED:
    case XHCI_CC_EP_NOT_ENABLED:
        return USBD_STATUS_DEVICE_GONE;
    default:
        return USBD_STATUS_INTERNAL_HC_ERROR;
    }
}
