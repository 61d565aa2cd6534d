/* usbdi.h - what a USB client driver includes, as in the WDK: the URB
 * interface (usb.h) and the internal IOCTLs that carry it (usbioctl.h). */
#ifndef NTSTOR_USBDI_H
#define NTSTOR_USBDI_H

#include <usb.h>
#include <usbioctl.h>

#endif
