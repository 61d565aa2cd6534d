/* usb.h - the USB client interface of NT: USB request blocks (URBs) a
 * client driver (kbdhid, usbstor, the hub driver) sends down its stack in
 * IRP_MJ_INTERNAL_DEVICE_CONTROL / IOCTL_INTERNAL_USB_SUBMIT_URB with the
 * URB in Parameters.Others.Argument1, as in the WDK's usb.h.  The subset
 * here is what ntstor's drivers use; field names, order and function codes
 * are the WDK's so WDM code reads as it does on Windows.
 *
 * Rules the host controller driver enforces (and a client may rely on):
 * - Hdr.Length is checked against the function's structure size; a short
 *   URB fails with USBD_STATUS_INVALID_PARAMETER / STATUS_INVALID_PARAMETER.
 * - Hdr.Status is set on completion; the IRP's status says the same in NT
 *   terms (USBD_STATUS_STALL_PID -> STATUS_UNSUCCESSFUL, DEVICE_GONE ->
 *   STATUS_DEVICE_DOES_NOT_EXIST, CANCELED -> STATUS_CANCELLED).
 * - TransferBufferLength is updated to the bytes actually moved; a short
 *   IN transfer is an error unless USBD_SHORT_TRANSFER_OK is set.
 * - Submission is allowed at IRQL <= DISPATCH_LEVEL; completion runs at
 *   DISPATCH_LEVEL. */
#ifndef NTSTOR_USB_H
#define NTSTOR_USB_H

#include <ntdef.h>
#include <usbspec.h>

struct _MDL;

typedef LONG USBD_STATUS;
typedef PVOID USBD_PIPE_HANDLE;
typedef PVOID USBD_CONFIGURATION_HANDLE;
typedef PVOID USBD_INTERFACE_HANDLE;

/* USBD_STATUS: bits 31..30 are the state (00 success, 01 pending,
 * 11 error, 10 error from the host controller's software). */
#define USBD_SUCCESS(s)     ((USBD_STATUS)(s) >= 0)
#define USBD_PENDING(s)     ((ULONG)(s) >> 30 == 1)
#define USBD_ERROR(s)       ((USBD_STATUS)(s) < 0)

#define USBD_STATUS_SUCCESS                 ((USBD_STATUS)0x00000000L)
#define USBD_STATUS_PENDING                 ((USBD_STATUS)0x40000000L)
#define USBD_STATUS_CRC                     ((USBD_STATUS)0xC0000001L)
#define USBD_STATUS_BTSTUFF                 ((USBD_STATUS)0xC0000002L)
#define USBD_STATUS_DATA_TOGGLE_MISMATCH    ((USBD_STATUS)0xC0000003L)
#define USBD_STATUS_STALL_PID               ((USBD_STATUS)0xC0000004L)
#define USBD_STATUS_DEV_NOT_RESPONDING      ((USBD_STATUS)0xC0000005L)
#define USBD_STATUS_PID_CHECK_FAILURE       ((USBD_STATUS)0xC0000006L)
#define USBD_STATUS_UNEXPECTED_PID          ((USBD_STATUS)0xC0000007L)
#define USBD_STATUS_DATA_OVERRUN            ((USBD_STATUS)0xC0000008L)
#define USBD_STATUS_DATA_UNDERRUN           ((USBD_STATUS)0xC0000009L)
#define USBD_STATUS_BUFFER_OVERRUN          ((USBD_STATUS)0xC000000CL)
#define USBD_STATUS_BUFFER_UNDERRUN         ((USBD_STATUS)0xC000000DL)
#define USBD_STATUS_NOT_ACCESSED            ((USBD_STATUS)0xC000000FL)
#define USBD_STATUS_FIFO                    ((USBD_STATUS)0xC0000010L)
#define USBD_STATUS_XACT_ERROR              ((USBD_STATUS)0xC0000011L)
#define USBD_STATUS_BABBLE_DETECTED         ((USBD_STATUS)0xC0000012L)
#define USBD_STATUS_DATA_BUFFER_ERROR       ((USBD_STATUS)0xC0000013L)
#define USBD_STATUS_ENDPOINT_HALTED         ((USBD_STATUS)0xC0000030L)
#define USBD_STATUS_NO_MEMORY               ((USBD_STATUS)0x80000100L)
#define USBD_STATUS_INVALID_URB_FUNCTION    ((USBD_STATUS)0x80000200L)
#define USBD_STATUS_INVALID_PARAMETER       ((USBD_STATUS)0x80000300L)
#define USBD_STATUS_ERROR_BUSY              ((USBD_STATUS)0x80000400L)
#define USBD_STATUS_INVALID_PIPE_HANDLE     ((USBD_STATUS)0x80000600L)
#define USBD_STATUS_NO_BANDWIDTH            ((USBD_STATUS)0x80000700L)
#define USBD_STATUS_INTERNAL_HC_ERROR       ((USBD_STATUS)0x80000800L)
#define USBD_STATUS_ERROR_SHORT_TRANSFER    ((USBD_STATUS)0x80000900L)
#define USBD_STATUS_BAD_START_FRAME         ((USBD_STATUS)0xC0000A00L)
#define USBD_STATUS_NOT_SUPPORTED           ((USBD_STATUS)0xC0000E00L)
#define USBD_STATUS_TIMEOUT                 ((USBD_STATUS)0xC0006000L)
#define USBD_STATUS_DEVICE_GONE             ((USBD_STATUS)0xC0007000L)
#define USBD_STATUS_CANCELED                ((USBD_STATUS)0xC0010000L)

/* URB functions (WDK usb.h values). */
#define URB_FUNCTION_SELECT_CONFIGURATION               0x0000
#define URB_FUNCTION_SELECT_INTERFACE                   0x0001
#define URB_FUNCTION_ABORT_PIPE                         0x0002
#define URB_FUNCTION_CONTROL_TRANSFER                   0x0008
#define URB_FUNCTION_BULK_OR_INTERRUPT_TRANSFER         0x0009
#define URB_FUNCTION_GET_DESCRIPTOR_FROM_DEVICE         0x000B
#define URB_FUNCTION_SET_FEATURE_TO_DEVICE              0x000D
#define URB_FUNCTION_SET_FEATURE_TO_INTERFACE           0x000E
#define URB_FUNCTION_SET_FEATURE_TO_ENDPOINT            0x000F
#define URB_FUNCTION_CLEAR_FEATURE_TO_DEVICE            0x0010
#define URB_FUNCTION_CLEAR_FEATURE_TO_INTERFACE         0x0011
#define URB_FUNCTION_CLEAR_FEATURE_TO_ENDPOINT          0x0012
#define URB_FUNCTION_GET_STATUS_FROM_DEVICE             0x0013
#define URB_FUNCTION_GET_STATUS_FROM_INTERFACE          0x0014
#define URB_FUNCTION_GET_STATUS_FROM_ENDPOINT           0x0015
#define URB_FUNCTION_VENDOR_DEVICE                      0x0017
#define URB_FUNCTION_VENDOR_INTERFACE                   0x0018
#define URB_FUNCTION_VENDOR_ENDPOINT                    0x0019
#define URB_FUNCTION_CLASS_DEVICE                       0x001A
#define URB_FUNCTION_CLASS_INTERFACE                    0x001B
#define URB_FUNCTION_CLASS_ENDPOINT                     0x001C
#define URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL    0x001E
#define URB_FUNCTION_CLASS_OTHER                        0x001F
#define URB_FUNCTION_VENDOR_OTHER                       0x0020
#define URB_FUNCTION_GET_CONFIGURATION                  0x0026
#define URB_FUNCTION_GET_INTERFACE                      0x0027
#define URB_FUNCTION_GET_DESCRIPTOR_FROM_INTERFACE      0x0028
#define URB_FUNCTION_SYNC_RESET_PIPE                    0x0030
#define URB_FUNCTION_SYNC_CLEAR_STALL                   0x0031
#define URB_FUNCTION_RESET_PIPE URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL

/* TransferFlags. */
#define USBD_TRANSFER_DIRECTION_OUT     0
#define USBD_TRANSFER_DIRECTION_IN      1
#define USBD_SHORT_TRANSFER_OK          2
#define USBD_START_ISO_TRANSFER_ASAP    4
#define USBD_DEFAULT_PIPE_TRANSFER      8
#define USBD_TRANSFER_DIRECTION(f)      ((f) & USBD_TRANSFER_DIRECTION_IN)

typedef enum _USBD_PIPE_TYPE {
    UsbdPipeTypeControl,
    UsbdPipeTypeIsochronous,
    UsbdPipeTypeBulk,
    UsbdPipeTypeInterrupt
} USBD_PIPE_TYPE;

typedef struct _USBD_PIPE_INFORMATION {
    USHORT MaximumPacketSize;
    UCHAR  EndpointAddress;
    UCHAR  Interval;
    USBD_PIPE_TYPE PipeType;
    USBD_PIPE_HANDLE PipeHandle;
    ULONG  MaximumTransferSize;
    ULONG  PipeFlags;
} USBD_PIPE_INFORMATION, *PUSBD_PIPE_INFORMATION;

typedef struct _USBD_INTERFACE_INFORMATION {
    USHORT Length;              /* of this structure with all its Pipes[] */
    UCHAR  InterfaceNumber;
    UCHAR  AlternateSetting;
    UCHAR  Class;
    UCHAR  SubClass;
    UCHAR  Protocol;
    UCHAR  Reserved;
    USBD_INTERFACE_HANDLE InterfaceHandle;
    ULONG  NumberOfPipes;
    USBD_PIPE_INFORMATION Pipes[1];
} USBD_INTERFACE_INFORMATION, *PUSBD_INTERFACE_INFORMATION;

#define GET_USBD_INTERFACE_SIZE(numEndpoints) \
    (sizeof(USBD_INTERFACE_INFORMATION) + \
     sizeof(USBD_PIPE_INFORMATION) * ((numEndpoints) - 1))

struct _URB_HEADER {
    USHORT Length;
    USHORT Function;
    USBD_STATUS Status;
    PVOID UsbdDeviceHandle;     /* the host controller driver's; clients leave it */
    ULONG UsbdFlags;
};

/* Room the host controller driver keeps its per-request state in. */
struct _URB_HCD_AREA {
    PVOID Reserved8[8];
};

struct _URB_SELECT_CONFIGURATION {
    struct _URB_HEADER Hdr;
    PUSB_CONFIGURATION_DESCRIPTOR ConfigurationDescriptor;  /* NULL: unconfigure */
    USBD_CONFIGURATION_HANDLE ConfigurationHandle;
    USBD_INTERFACE_INFORMATION Interface;   /* followed by the other interfaces */
};

struct _URB_SELECT_INTERFACE {
    struct _URB_HEADER Hdr;
    USBD_CONFIGURATION_HANDLE ConfigurationHandle;
    USBD_INTERFACE_INFORMATION Interface;
};

struct _URB_PIPE_REQUEST {
    struct _URB_HEADER Hdr;
    USBD_PIPE_HANDLE PipeHandle;
    ULONG Reserved;
};

struct _URB_CONTROL_TRANSFER {
    struct _URB_HEADER Hdr;
    USBD_PIPE_HANDLE PipeHandle;    /* NULL with USBD_DEFAULT_PIPE_TRANSFER */
    ULONG TransferFlags;
    ULONG TransferBufferLength;
    PVOID TransferBuffer;
    struct _MDL *TransferBufferMDL;
    struct _URB *UrbLink;
    struct _URB_HCD_AREA hca;
    UCHAR SetupPacket[8];
};

struct _URB_BULK_OR_INTERRUPT_TRANSFER {
    struct _URB_HEADER Hdr;
    USBD_PIPE_HANDLE PipeHandle;
    ULONG TransferFlags;
    ULONG TransferBufferLength;
    PVOID TransferBuffer;
    struct _MDL *TransferBufferMDL;
    struct _URB *UrbLink;
    struct _URB_HCD_AREA hca;
};

struct _URB_CONTROL_DESCRIPTOR_REQUEST {
    struct _URB_HEADER Hdr;
    PVOID Reserved;
    ULONG Reserved0;
    ULONG TransferBufferLength;
    PVOID TransferBuffer;
    struct _MDL *TransferBufferMDL;
    struct _URB *UrbLink;
    struct _URB_HCD_AREA hca;
    USHORT Reserved1;
    UCHAR Index;
    UCHAR DescriptorType;
    USHORT LanguageId;
    USHORT Reserved2;
};

struct _URB_CONTROL_GET_STATUS_REQUEST {
    struct _URB_HEADER Hdr;
    PVOID Reserved;
    ULONG Reserved0;
    ULONG TransferBufferLength;
    PVOID TransferBuffer;
    struct _MDL *TransferBufferMDL;
    struct _URB *UrbLink;
    struct _URB_HCD_AREA hca;
    UCHAR Reserved1[4];
    USHORT Index;
    USHORT Reserved2;
};

struct _URB_CONTROL_FEATURE_REQUEST {
    struct _URB_HEADER Hdr;
    PVOID Reserved;
    ULONG Reserved2;
    ULONG Reserved3;
    PVOID Reserved4;
    struct _MDL *Reserved5;
    struct _URB *UrbLink;
    struct _URB_HCD_AREA hca;
    USHORT Reserved0;
    USHORT FeatureSelector;
    USHORT Index;
    USHORT Reserved1;
};

struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST {
    struct _URB_HEADER Hdr;
    PVOID Reserved;
    ULONG TransferFlags;
    ULONG TransferBufferLength;
    PVOID TransferBuffer;
    struct _MDL *TransferBufferMDL;
    struct _URB *UrbLink;
    struct _URB_HCD_AREA hca;
    UCHAR RequestTypeReservedBits;
    UCHAR Request;
    USHORT Value;
    USHORT Index;
    USHORT Reserved1;
};

typedef struct _URB {
    union {
        struct _URB_HEADER UrbHeader;
        struct _URB_SELECT_INTERFACE UrbSelectInterface;
        struct _URB_SELECT_CONFIGURATION UrbSelectConfiguration;
        struct _URB_PIPE_REQUEST UrbPipeRequest;
        struct _URB_CONTROL_TRANSFER UrbControlTransfer;
        struct _URB_BULK_OR_INTERRUPT_TRANSFER UrbBulkOrInterruptTransfer;
        struct _URB_CONTROL_DESCRIPTOR_REQUEST UrbControlDescriptorRequest;
        struct _URB_CONTROL_GET_STATUS_REQUEST UrbControlGetStatusRequest;
        struct _URB_CONTROL_FEATURE_REQUEST UrbControlFeatureRequest;
        struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST UrbControlVendorClassRequest;
    };
} URB, *PURB;

/* Builders, as the WDK's macros (usbdlib.h).  Link is always NULL here. */
#define UsbBuildGetDescriptorRequest(urb, length, descriptorType, descriptorIndex, \
                                     languageId, transferBuffer, transferBufferMDL, \
                                     transferBufferLength, link) \
    do { \
        (urb)->UrbHeader.Function = URB_FUNCTION_GET_DESCRIPTOR_FROM_DEVICE; \
        (urb)->UrbHeader.Length = (USHORT)(length); \
        (urb)->UrbControlDescriptorRequest.TransferBufferLength = (transferBufferLength); \
        (urb)->UrbControlDescriptorRequest.TransferBufferMDL = (transferBufferMDL); \
        (urb)->UrbControlDescriptorRequest.TransferBuffer = (transferBuffer); \
        (urb)->UrbControlDescriptorRequest.DescriptorType = (descriptorType); \
        (urb)->UrbControlDescriptorRequest.Index = (descriptorIndex); \
        (urb)->UrbControlDescriptorRequest.LanguageId = (languageId); \
        (urb)->UrbControlDescriptorRequest.UrbLink = (link); \
    } while (0)

#define UsbBuildInterruptOrBulkTransferRequest(urb, length, pipeHandle, transferBuffer, \
                                               transferBufferMDL, transferBufferLength, \
                                               transferFlags, link) \
    do { \
        (urb)->UrbHeader.Function = URB_FUNCTION_BULK_OR_INTERRUPT_TRANSFER; \
        (urb)->UrbHeader.Length = (USHORT)(length); \
        (urb)->UrbBulkOrInterruptTransfer.PipeHandle = (pipeHandle); \
        (urb)->UrbBulkOrInterruptTransfer.TransferBufferLength = (transferBufferLength); \
        (urb)->UrbBulkOrInterruptTransfer.TransferBufferMDL = (transferBufferMDL); \
        (urb)->UrbBulkOrInterruptTransfer.TransferBuffer = (transferBuffer); \
        (urb)->UrbBulkOrInterruptTransfer.TransferFlags = (transferFlags); \
        (urb)->UrbBulkOrInterruptTransfer.UrbLink = (link); \
    } while (0)

#define UsbBuildVendorRequest(urb, cmd, length, transferFlags, reservedbits, request, \
                              value, index, transferBuffer, transferBufferMDL, \
                              transferBufferLength, link) \
    do { \
        (urb)->UrbHeader.Function = (cmd); \
        (urb)->UrbHeader.Length = (USHORT)(length); \
        (urb)->UrbControlVendorClassRequest.TransferBufferLength = (transferBufferLength); \
        (urb)->UrbControlVendorClassRequest.TransferBufferMDL = (transferBufferMDL); \
        (urb)->UrbControlVendorClassRequest.TransferBuffer = (transferBuffer); \
        (urb)->UrbControlVendorClassRequest.RequestTypeReservedBits = (reservedbits); \
        (urb)->UrbControlVendorClassRequest.Request = (request); \
        (urb)->UrbControlVendorClassRequest.Value = (value); \
        (urb)->UrbControlVendorClassRequest.Index = (index); \
        (urb)->UrbControlVendorClassRequest.TransferFlags = (transferFlags); \
        (urb)->UrbControlVendorClassRequest.UrbLink = (link); \
    } while (0)

#endif
