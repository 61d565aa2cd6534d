/* wdm.h - the public driver interface of ntstor: the subset of the WDK's
 * wdm.h/ntddk.h that drivers compile against.  Drivers include this (and
 * srb.h, ntddscsi.h, ntdddisk.h, ntddstor.h as needed) and nothing else;
 * none of the kernel's internals are visible from here. */
#ifndef NTSTOR_WDM_H
#define NTSTOR_WDM_H

#include <ntdef.h>
#include <ntstatus.h>
#include <wdm/rtl.h>
#include <wdm/intrin.h>
#include <wdm/ke.h>
#include <wdm/ex.h>
#include <wdm/mm.h>
#include <wdm/io.h>
#include <wdm/intrex.h>
#include <wdm/dma.h>
#include <wdm/ob.h>
#include <wdm/cm.h>
#include <wdm/ioreg.h>
#include <wdm/ps.h>
#include <wdm/port.h>

#endif
