/* ntos.h - what every kernel source file includes: the public driver
 * interface plus the kernel-internal headers of each subsystem.
 * Prefix rule (ReactOS/NT): Io/Ob/Ke/Mm/Ex/Rtl/Hal names are exported or
 * exportable; Iop/Obp/Kep/Mmp/... are private to their subsystem. */
#ifndef NTSTOR_NTOS_H
#define NTSTOR_NTOS_H

#include <wdm.h>
#include "bootinfo.h"
#include "kd.h"
#include "rtl.h"
#include "ke.h"
#include "mm.h"
#include "hal.h"

#endif
