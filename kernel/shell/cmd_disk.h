/* cmd_disk.h - what the storage shell commands (kernel/shell/cmd_disk*.c)
 * share: opening \??\PhysicalDrive<n> through the I/O manager (never
 * around the stack), the disk's facts, buffered chunked transfers, and
 * the poweroff flush. */
#ifndef NTSTOR_CMD_DISK_H
#define NTSTOR_CMD_DISK_H

#include <ntos.h>
#include <shell.h>
#include <io.h>
#include <ntdddisk.h>
#include <ntddstor.h>
#include <ntddscsi.h>
#include <ntstor_disk.h>
#include <ntstor_ahci.h>

#define DISK_SHELL_TAG NTSTOR_TAG('S', 'h', 'D', 'k')
/* read/write/verify move this much per request (splitting is the driver's
 * job; this only bounds the shell's buffer). */
#define DISK_SHELL_CHUNK (256 * 1024)

typedef struct _DISK_SHELL {
    ULONG Number;
    HANDLE Handle;
    NTSTOR_DISK_INFO Info;
    NTSTOR_AHCI_INFO Ahci;
    BOOLEAN HaveAhci;
} DISK_SHELL, *PDISK_SHELL;

/* Parses "<n>" and opens the disk (Write: with write access, which the
 * I/O manager requires for flush and pass-through IOCTLs; the driver
 * still refuses writes to a read-only disk), reads its
 * facts.  On failure prints the error line for Command and returns FALSE. */
BOOLEAN DiskShellOpen(PCSTR Command, PCSTR Text, BOOLEAN Write, PDISK_SHELL Disk);
VOID DiskShellClose(PDISK_SHELL Disk);
/* The numbers of the disks that exist -- those with a \??\PhysicalDrive<n>
 * link, which the disk class driver keeps from start to removal -- in
 * ascending order, up to Max of them; returns how many.  Disk numbers are
 * reused (lowest free), so they need not run from 0 without gaps. */
#define DISK_SHELL_MAX_DISKS 1024
ULONG DiskShellListDisks(PULONG Numbers, ULONG Max);
NTSTATUS DiskShellIoctl(PDISK_SHELL Disk, ULONG Code, PVOID In, ULONG InLength, PVOID Out,
                        ULONG OutLength, PULONG_PTR Information);
/* Why a request failed, in words, for the error line. */
PCSTR DiskShellWhy(NTSTATUS Status);
/* The same for a request to Disk: a refused write on a write-protected
 * medium says so instead of pointing at `writable`. */
PCSTR DiskShellWhyFor(PDISK_SHELL Disk, NTSTATUS Status);
/* "usb", "sata", "scsi", "nvme" or "other": the bus the port reports. */
PCSTR DiskShellBusName(ULONG BusType);
/* Parses lba and count and checks that the whole range lies on the disk;
 * prints the error line on failure. */
BOOLEAN DiskShellRange(PCSTR Command, PDISK_SHELL Disk, PCSTR LbaText, PCSTR CountText,
                       ULONG64 *Lba, ULONG64 *Count);
PCSTR DiskShellModeName(ULONG Mode);
/* cmd_ahci.c: the controller FDO \Device\Ahci<Ctrl> (an error line for
 * Command on failure), and an IOCTL on it. */
/* "no-64bit,forced-poll" (NTSTOR_AHCI_QUIRK_NAMES) or "-". */
VOID DiskFormatQuirks(ULONG Quirks, PCHAR Text, SIZE_T TextSize);
/* Opens \Device\Ahci<Ctrl>; on failure prints the error line for Command
 * (none when Command is NULL: a caller probing for controllers). */
NTSTATUS AhciShellOpen(PCSTR Command, ULONG Ctrl, PHANDLE Handle);
/* `ahci regs [ctrl] [port]` (cmd_ahci_regs.c); Port -1: all of them. */
INT AhciShellPrintRegs(PCSTR Command, ULONG Ctrl, LONG Port);
NTSTATUS AhciShellIoctl(HANDLE Handle, ULONG Code, PVOID In, ULONG InLength, PVOID Out,
                        ULONG OutLength);
/* bench raw=1 (cmd_disk_rawbench.c): the AHCI port's own polled loop, the
 * yardstick.  Writes only where the caller checked the disk is writable. */
INT DiskShellRawBench(PDISK_SHELL Disk, PCSTR RwText, BOOLEAN Write, BOOLEAN Random, ULONG64 Bs,
                      ULONG64 Qd, ULONG64 Seconds, BOOLEAN Cdf);
/* bench ... cdf=1: "bench-cdf disk=<d> mode=<m> pcm=<list> us=<list>", the
 * latency at BENCH_CDF_LIST (1/100000) and the maximum last. */
VOID DiskShellPrintCdf(PCSTR Disk, PCSTR Mode, const ULONG64 *CdfUs, ULONG64 MaxUs);
/* bench ... profile=1 (cmd_disk_profile.c): a "bench-profile" line per layer
 * of Profile and one for the whole; BenchAvgCycles: bench's own mean
 * latency, for comparison. */
VOID DiskShellPrintProfile(PCSTR Disk, PIO_PROFILE Profile, ULONG64 TscHz, ULONG64 BenchAvgCycles);

#endif
