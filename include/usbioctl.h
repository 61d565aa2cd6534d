/* usbioctl.h - the internal IOCTLs USB client drivers send to the hub and
 * host controller drivers below them (WDK usbioctl.h names and codes).
 * The URB or argument travels in Parameters.Others.Argument1 of the
 * IRP_MJ_INTERNAL_DEVICE_CONTROL stack location. */
#ifndef NTSTOR_USBIOCTL_H
#define NTSTOR_USBIOCTL_H

#include <devioctl.h>

#define FILE_DEVICE_USB             FILE_DEVICE_UNKNOWN

#define USB_SUBMIT_URB              0
#define USB_RESET_PORT              1
#define USB_GET_PORT_STATUS         4
#define USB_CYCLE_PORT              7

/* Argument1: the PURB. */
#define IOCTL_INTERNAL_USB_SUBMIT_URB \
    CTL_CODE(FILE_DEVICE_USB, USB_SUBMIT_URB, METHOD_NEITHER, FILE_ANY_ACCESS)
/* No arguments: reset the port the device is on and restore its address
 * and configuration. */
#define IOCTL_INTERNAL_USB_RESET_PORT \
    CTL_CODE(FILE_DEVICE_USB, USB_RESET_PORT, METHOD_NEITHER, FILE_ANY_ACCESS)
/* Argument1: a PULONG that receives USBD_PORT_* bits. */
#define IOCTL_INTERNAL_USB_GET_PORT_STATUS \
    CTL_CODE(FILE_DEVICE_USB, USB_GET_PORT_STATUS, METHOD_NEITHER, FILE_ANY_ACCESS)
/* Simulates unplug and replug of the device's port. */
#define IOCTL_INTERNAL_USB_CYCLE_PORT \
    CTL_CODE(FILE_DEVICE_USB, USB_CYCLE_PORT, METHOD_NEITHER, FILE_ANY_ACCESS)

#define USBD_PORT_ENABLED           0x00000001
#define USBD_PORT_CONNECTED         0x00000002

#endif
