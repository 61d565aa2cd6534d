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

/* "PhysicalDrive<n>" (n without leading zeros, below DISK_SHELL_MAX_DISKS)
 * from an enumeration of \??: mark n in the bitmap Context. */
static BOOLEAN DiskShellCollect(PCUNICODE_STRING Name, PVOID Object, PVOID Context)
{
    static const CHAR prefix[] = "PhysicalDrive";
    const ULONG prefixChars = sizeof(prefix) - 1;
    ULONG chars = Name->Length / sizeof(WCHAR), n = 0, i;
    PULONG bitmap = Context;

    (void)Object;
    if (chars <= prefixChars || chars > prefixChars + 5)
        return TRUE;
    for (i = 0; i < prefixChars; i++) {
        WCHAR c = Name->Buffer[i];
        if ((c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) !=
            (prefix[i] >= 'a' && prefix[i] <= 'z' ? prefix[i] - 'a' + 'A' : prefix[i]))
            return TRUE;
    }
    if (Name->Buffer[i] == '0' && chars > prefixChars + 1)
        return TRUE;
    for (; i < chars; i++) {
        WCHAR c = Name->Buffer[i];
        if (c < '0' || c > '9')
            return TRUE;
        n = n * 10 + (c - '0');
    }
    if (n < DISK_SHELL_MAX_DISKS)
        bitmap[n / 32] |= 1u << (n % 32);
    return TRUE;
}

ULONG DiskShellListDisks(PULONG Numbers, ULONG Max)
{
    static const UNICODE_STRING dosDevices = RTL_CONSTANT_STRING(u"\\??");
    ULONG bitmap[DISK_SHELL_MAX_DISKS / 32] = { 0 };
    ULONG count = 0;
    PVOID dir;

    if (!NT_SUCCESS(ObReferenceObjectByName(&dosDevices, 0, NULL, &dir)))
        return 0;
    ObEnumerateDirectory(dir, DiskShellCollect, bitmap);
    ObDereferenceObject(dir);
    for (ULONG n = 0; n < DISK_SHELL_MAX_DISKS && count < Max; n++)
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
