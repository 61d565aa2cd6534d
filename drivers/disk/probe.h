/* probe.h - what disk.sys reads from a device's answers at start, as pure
 * functions (probe.c) the host unit tests run as the driver does: READ
 * CAPACITY(10)/(16) data and which of the two to trust, the write-protect
 * bit of a MODE SENSE header, the VPD pages a device lists, and which
 * READ/WRITE CDB form it takes.  Nothing here knows the bus: the device's
 * own answers decide (DESIGN.md "Storage port drivers and the class
 * driver"). */
#ifndef NTSTOR_DISK_PROBE_H
#define NTSTOR_DISK_PROBE_H

#include <ntdef.h>
#include <ntstatus.h>

/* INQUIRY VERSION (SPC-4 6.4.2) from which a device is asked READ
 * CAPACITY(16) even when (10) fits, and VPD pages at all: SPC-2 (04h)
 * brought VPD page 00h to every device, SPC-3 (05h) READ CAPACITY(16) as a
 * general command.  Older devices (many USB sticks answer 00h-02h) may
 * hang on what they do not know; Linux's sd draws the same lines. */
#define DISK_VERSION_SPC2 0x04
#define DISK_VERSION_SPC3 0x05

/* READ CAPACITY(10) data (SBC-3 5.16): at least 8 bytes. */
NTSTATUS DiskParseCapacity10(const UCHAR *Data, ULONG Got, ULONG64 *LastLba, ULONG *BlockSize);
/* READ CAPACITY(16) data (SBC-3 5.17): at least 12 bytes; *Lbpme from
 * byte 14 when it came (0 otherwise). */
NTSTATUS DiskParseCapacity16(const UCHAR *Data, ULONG Got, ULONG64 *LastLba, ULONG *BlockSize,
                             BOOLEAN *Lbpme);
/* Whether to ask READ CAPACITY(16) after (10) said LastLba10: when (10)
 * cannot hold the answer (FFFFFFFFh, SBC-3 5.16.2) or the device claims
 * SPC-3 or later (then (16) also tells logical block provisioning). */
BOOLEAN DiskWantCapacity16(UCHAR InquiryVersion, ULONG64 LastLba10);
/* A block size disk.sys takes: a power of two, 512..4096 (disk.h). */
BOOLEAN DiskBlockSizeOk(ULONG BlockSize);
/* The WP bit of MODE SENSE(6) (Ten FALSE) or (10) parameter data (SPC-4
 * 7.5.5, SBC-3 6.5.1): STATUS_SUCCESS with *WriteProtected, or an error
 * when the header is not all there or its MODE DATA LENGTH is impossible. */
NTSTATUS DiskModeSenseWriteProtect(const UCHAR *Data, ULONG Got, BOOLEAN Ten, BOOLEAN *WriteProtected);
/* Whether VPD page Page is listed in page 00h data (SPC-4 7.8.13). */
BOOLEAN DiskVpdListed(const UCHAR *Supported, ULONG Got, UCHAR Page);
/* Builds READ/WRITE(10) or (16) (SBC-3 5.8, 5.11, 5.40, 5.43): (16) when
 * Use16 or the LBA or count do not fit (10).  Returns the CDB length. */
UCHAR DiskBuildReadWrite(PUCHAR Cdb, BOOLEAN Use16, BOOLEAN Write, ULONG64 Lba, ULONG Blocks);

#endif
