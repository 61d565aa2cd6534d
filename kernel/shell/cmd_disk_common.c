/* cmd_disk_common.c - helpers of the storage shell commands (cmd_disk.h)
 * and the poweroff flush: every disk gets IRP_MJ_FLUSH_BUFFERS (the disk
 * class driver's SYNCHRONIZE CACHE) before the machine goes down, through
 * the same file-object path as everything else. */
#include "cmd_disk.h"


PCSTR DiskShellModeName(ULONG Mode)
{
    switch (Mode) {
    case NtstorAhciModePoll: return "poll";
    case NtstorAhciModeMsi: return "msi";
    case NtstorAhciModeIntx: return "intx";
    default: return "unknown";
    }
}

/* The number of the disk behind one interface link (IOCTL_STORAGE_GET_
 * DEVICE_NUMBER through an open of the link, as any program would). */
static BOOLEAN DiskShellInterfaceNumber(PCWSTR Link, PULONG Number)
{
    UNICODE_STRING path;
    IO_STATUS_BLOCK iosb;
    STORAGE_DEVICE_NUMBER number;
    HANDLE handle;
    NTSTATUS status;

    RtlInitUnicodeString(&path, Link);
    if (!NT_SUCCESS(NtCreateFile(&handle, FILE_READ_ATTRIBUTES, &path, &iosb,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE, 0)))
        return FALSE;       /* going away right now */
    status = NtDeviceIoControlFile(handle, NULL, NULL, NULL, &iosb, IOCTL_STORAGE_GET_DEVICE_NUMBER,
                                   NULL, 0, &number, sizeof(number));
    NtClose(handle);
    if (!NT_SUCCESS(status) || iosb.Information < sizeof(number))
        return FALSE;
    *Number = number.DeviceNumber;
    return TRUE;
}

/* The disks are the enabled GUID_DEVINTERFACE_DISK interfaces (disk.sys
 * registers one per disk), in the order of their numbers. */
ULONG DiskShellListDisks(PULONG Numbers, ULONG Max)
{
    ULONG bitmap[DISK_SHELL_MAX_DISKS / 32] = { 0 };
    ULONG count = 0, n;
    PWSTR list;

    if (!NT_SUCCESS(IoGetDeviceInterfaces(&GUID_DEVINTERFACE_DISK, NULL, 0, &list)))
        return 0;
    for (PWSTR link = list; *link; ) {
        if (DiskShellInterfaceNumber(link, &n) && n < DISK_SHELL_MAX_DISKS)
            bitmap[n / 32] |= 1u << (n % 32);
        while (*link)
            link++;
        link++;
    }
    ExFreePool(list);
    for (n = 0; n < DISK_SHELL_MAX_DISKS && count < Max; n++)
        if (bitmap[n / 32] & (1u << (n % 32)))
            Numbers[count++] = n;
    return count;
}

static NTSTATUS DiskShellOpenNumber(ULONG Number, BOOLEAN Write, PHANDLE Handle)
{
    CHAR ascii[48];
    WCHAR wide[48];
    UNICODE_STRING path = { 0, sizeof(wide), wide };
    IO_STATUS_BLOCK iosb;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\??\\PhysicalDrive%u", Number);
    RtlAsciiToUnicodeString(&path, ascii);
    return NtCreateFile(Handle, GENERIC_READ | (Write ? GENERIC_WRITE : 0), &path, &iosb,
                        FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT);
}

NTSTATUS DiskShellIoctl(PDISK_SHELL Disk, ULONG Code, PVOID In, ULONG InLength, PVOID Out,
                        ULONG OutLength, PULONG_PTR Information)
{
    IO_STATUS_BLOCK iosb = { { 0 }, 0 };
    NTSTATUS status = NtDeviceIoControlFile(Disk->Handle, NULL, NULL, NULL, &iosb, Code, In, InLength,
                                            Out, OutLength);
    if (Information)
        *Information = iosb.Information;
    return status;
}

BOOLEAN DiskShellOpen(PCSTR Command, PCSTR Text, BOOLEAN Write, PDISK_SHELL Disk)
{
    ULONG64 n;
    NTSTATUS status;

    RtlZeroMemory(Disk, sizeof(*Disk));
    if (!Text || !ShellParseU64(Text, &n) || n > 0xFFFF) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "expected a disk number", "%s disk=%s", Command,
                    Text ? Text : "-");
        return FALSE;
    }
    Disk->Number = (ULONG)n;
    status = DiskShellOpenNumber(Disk->Number, Write, &Disk->Handle);
    if (!NT_SUCCESS(status)) {
        ShellErrorF(status, status == STATUS_OBJECT_NAME_NOT_FOUND ? "no such disk" : "cannot open",
                    "%s disk=%u", Command, Disk->Number);
        return FALSE;
    }
    status = DiskShellIoctl(Disk, IOCTL_NTSTOR_DISK_GET_INFO, NULL, 0, &Disk->Info,
                            sizeof(Disk->Info), NULL);
    if (!NT_SUCCESS(status)) {
        ShellErrorF(status, "disk facts unavailable", "%s disk=%u", Command, Disk->Number);
        NtClose(Disk->Handle);
        return FALSE;
    }
    Disk->HaveAhci = NT_SUCCESS(DiskShellIoctl(Disk, IOCTL_NTSTOR_AHCI_GET_INFO, NULL, 0, &Disk->Ahci,
                                               sizeof(Disk->Ahci), NULL));
    return TRUE;
}

VOID DiskShellClose(PDISK_SHELL Disk)
{
    if (Disk->Handle)
        NtClose(Disk->Handle);
    Disk->Handle = NULL;
}

PCSTR DiskShellWhy(NTSTATUS Status)
{
    switch (Status) {
    case STATUS_INVALID_PARAMETER:
        return "refused by the disk driver";
    case STATUS_MEDIA_WRITE_PROTECTED:
        return "disk is read-only: `writable <disk> on` or Parameters\\WritableSerials";
    case STATUS_DATATYPE_MISALIGNMENT:
        return "buffer misaligned for the device";
    case STATUS_DEVICE_DATA_ERROR:
        return "medium error";
    case STATUS_IO_TIMEOUT:
        return "device timed out";
    case STATUS_NOT_SUPPORTED:
        return "not supported by this disk";
    default:
        return NULL;
    }
}

PCSTR DiskShellWhyFor(PDISK_SHELL Disk, NTSTATUS Status)
{
    if (Status == STATUS_MEDIA_WRITE_PROTECTED && Disk->Info.WriteProtected)
        return "the medium is write-protected (the device reports WP in MODE SENSE)";
    return DiskShellWhy(Status);
}

PCSTR DiskShellBusName(ULONG BusType)
{
    switch (BusType) {
    case BusTypeUsb:
        return "usb";
    case BusTypeSata:
    case BusTypeAta:
        return "sata";
    case BusTypeScsi:
        return "scsi";
    case BusTypeNvme:
        return "nvme";
    default:
        return "other";
    }
}

BOOLEAN DiskShellRange(PCSTR Command, PDISK_SHELL Disk, PCSTR LbaText, PCSTR CountText,
                       ULONG64 *Lba, ULONG64 *Count)
{
    PCSTR why;

    if (!LbaText || !CountText || !ShellParseU64(LbaText, Lba) || !ShellParseU64(CountText, Count)) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "expected <lba> <count>", "%s disk=%u", Command,
                    Disk->Number);
        return FALSE;
    }
    /* The whole range is checked here, before anything moves: the driver
     * checks each chunk, so a write running off the end would otherwise
     * change the sectors before the end and only then fail. */
    why = ShellRangeWhy(*Lba, *Count, Disk->Info.Sectors);
    if (why) {
        ShellErrorF(STATUS_INVALID_PARAMETER, why, "%s disk=%u lba=%llu", Command, Disk->Number,
                    *Lba);
        return FALSE;
    }
    return TRUE;
}
