/* wdm/io.h - I/O manager types and services exported to drivers
 * (kernel/io/): driver and device objects, IRPs and stack locations, MDLs,
 * interrupts, PnP minor codes.  Filled in with the I/O manager. */
#ifndef NTSTOR_WDM_IO_H
#define NTSTOR_WDM_IO_H

#include <ntdef.h>

#endif
