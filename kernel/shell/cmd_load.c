/* cmd_load.c - shell commands of the driver lifecycle: load, unload, drivers,
 * and devread (read any device through the I/O manager, e.g. a test
 * driver's \Device\RegCopy0 with the filter driver above it).
 *
 *   load regcopy       -> load name=regcopy status=STATUS_SUCCESS us=812 base=0x... size=20480
 *   unload regcopy     -> unload name=regcopy status=STATUS_SUCCESS us=95
 *   drivers            -> driver name=regcopy base=0x... size=20480 devices=1 state=loaded load_us=812
 *                         drivers count=1
 *   devread \Device\RegCopy0 4096 [offset]
 *                      -> devread path=\Device\RegCopy0 offset=0 length=4096 bytes=4096 crc32=0x... first=00010203...
 * Details of a refusal (which symbol, which header field, leaks by tag) are
 * in the kernel log lines printed just before. */
#include <ntos.h>
#include <io.h>
#include <ldr.h>
#include <rtl.h>
#include <shell.h>
#include <pnp.h>

#define LOAD_NAME_CHARS     64
#define DEVREAD_PATH_CHARS  256
#define DEVREAD_MAX_LENGTH  (1024 * 1024)
#define DEVREAD_SHOW_BYTES  16
#define DEVREAD_TAG         NTSTOR_TAG('D', 'v', 'R', 'd')
#define DRIVERS_MAX         64

/* Argv[1] as a service name in Buffer. */
static BOOLEAN LoadServiceName(INT Argc, PCHAR *Argv, PCSTR Command, PUNICODE_STRING Name,
                               PWCHAR Buffer, SIZE_T BufferBytes)
{
    if (Argc != 2) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "one argument: the service name", "%s", Command);
        return FALSE;
    }
    Name->Buffer = Buffer;
    Name->Length = 0;
    Name->MaximumLength = (USHORT)BufferBytes;
    if (!NT_SUCCESS(RtlAsciiToUnicodeString(Name, (PCSTR)Argv[1]))) {
        ShellErrorF(STATUS_NAME_TOO_LONG, "service names are short", "%s %s", Command,
                    (PCSTR)Argv[1]);
        return FALSE;
    }
    return TRUE;
}

static INT CmdLoad(INT Argc, PCHAR *Argv)
{
    WCHAR buffer[LOAD_NAME_CHARS];
    UNICODE_STRING name;
    PDRIVER_OBJECT driver;
    ULONG64 started;
    NTSTATUS status;

    if (!LoadServiceName(Argc, Argv, "load", &name, buffer, sizeof(buffer)))
        return 1;
    started = KeQueryTimeUs();
    status = IopLoadDriver(&name);
    /* Its devices' enumeration (queued by their bus drivers) ends first. */
    PnpWaitForIdle(PNP_SETTLE_TIMEOUT_MS);
    driver = NT_SUCCESS(status) ? IopFindLoadedDriver(&name) : NULL;
    if (driver) {
        ConPrintf("load name=%s status=%s us=%llu base=%p size=%lu\n", (PCSTR)Argv[1],
                  RtlNtStatusName(status), (unsigned long long)(KeQueryTimeUs() - started),
                  driver->DriverStart, (unsigned long)driver->DriverSize);
        return 0;
    }
    ConPrintf("load name=%s status=%s us=%llu\n", (PCSTR)Argv[1], RtlNtStatusName(status),
              (unsigned long long)(KeQueryTimeUs() - started));
    return ShellErrorF(status, "see the log lines above", "load %s", (PCSTR)Argv[1]);
}

static INT CmdUnload(INT Argc, PCHAR *Argv)
{
    WCHAR buffer[LOAD_NAME_CHARS];
    UNICODE_STRING name;
    ULONG64 started;
    NTSTATUS status;

    if (!LoadServiceName(Argc, Argv, "unload", &name, buffer, sizeof(buffer)))
        return 1;
    started = KeQueryTimeUs();
    status = IopUnloadDriver(&name);
    PnpWaitForIdle(PNP_SETTLE_TIMEOUT_MS);
    ConPrintf("unload name=%s status=%s us=%llu\n", (PCSTR)Argv[1], RtlNtStatusName(status),
              (unsigned long long)(KeQueryTimeUs() - started));
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, "see the log lines above", "unload %s", (PCSTR)Argv[1]);
    return 0;
}

static INT CmdDrivers(INT Argc, PCHAR *Argv)
{
    IOP_DRIVER_INFO *info;
    ULONG count;

    info = ExAllocatePoolWithTag(NonPagedPool, sizeof(*info) * DRIVERS_MAX, DEVREAD_TAG);
    if (info == NULL)
        return ShellError("drivers", STATUS_INSUFFICIENT_RESOURCES, NULL);
    count = IopQueryLoadedDrivers(info, DRIVERS_MAX);
    for (ULONG i = 0; i < count && i < DRIVERS_MAX; i++)
        ConPrintf("driver name=%s base=%p size=%llu devices=%lu state=%s load_us=%llu\n",
                  info[i].Name, info[i].Base, (unsigned long long)info[i].Size,
                  (unsigned long)info[i].Devices, info[i].StateName,
                  (unsigned long long)info[i].LoadUs);
    ConPrintf("drivers count=%lu exports=%lu\n", (unsigned long)count,
              (unsigned long)LdrExportCount());
    ExFreePoolWithTag(info, DEVREAD_TAG);
    return 0;
}

static INT CmdDevRead(INT Argc, PCHAR *Argv)
{
    WCHAR pathBuffer[DEVREAD_PATH_CHARS];
    UNICODE_STRING path = { 0, sizeof(pathBuffer), pathBuffer };
    ULONG64 length, offset = 0;
    IO_STATUS_BLOCK iosb = { 0 };
    LARGE_INTEGER byteOffset;
    HANDLE handle;
    PUCHAR buffer;
    char first[DEVREAD_SHOW_BYTES * 2 + 1];
    NTSTATUS status;

    if (Argc < 3 || Argc > 4)
        return ShellError("devread", STATUS_INVALID_PARAMETER,
                          "usage: devread <device path> <length> [offset]");
    if (!ShellParseU64((PCSTR)Argv[2], &length) || length == 0 || length > DEVREAD_MAX_LENGTH)
        return ShellErrorF(STATUS_INVALID_PARAMETER, "length is 1..1048576 bytes",
                           "devread length=%s", (PCSTR)Argv[2]);
    if (Argc == 4 && !ShellParseU64((PCSTR)Argv[3], &offset))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "not a number", "devread offset=%s",
                           (PCSTR)Argv[3]);
    if (!NT_SUCCESS(RtlAsciiToUnicodeString(&path, (PCSTR)Argv[1])))
        return ShellErrorF(STATUS_NAME_TOO_LONG, NULL, "devread %s", (PCSTR)Argv[1]);

    buffer = ExAllocatePoolWithTag(NonPagedPool, length, DEVREAD_TAG);
    if (buffer == NULL)
        return ShellError("devread", STATUS_INSUFFICIENT_RESOURCES, NULL);
    status = NtCreateFile(&handle, FILE_READ_DATA, &path, &iosb, FILE_SHARE_READ | FILE_SHARE_WRITE, 0);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, DEVREAD_TAG);
        return ShellErrorF(status, "cannot open", "devread %s", (PCSTR)Argv[1]);
    }
    byteOffset.QuadPart = (LONGLONG)offset;
    status = NtReadFile(handle, NULL, NULL, NULL, &iosb, buffer, (ULONG)length, &byteOffset, NULL);
    NtClose(handle);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, DEVREAD_TAG);
        return ShellErrorF(status, "read failed", "devread %s", (PCSTR)Argv[1]);
    }
    if (iosb.Information > length)
        iosb.Information = length;
    first[0] = 0;
    for (ULONG i = 0; i < DEVREAD_SHOW_BYTES && i < iosb.Information; i++)
        RtlStringCbPrintfA(first + 2 * i, sizeof(first) - 2 * i, "%02x", buffer[i]);
    ConPrintf("devread path=%s offset=%llu length=%llu bytes=%llu crc32=0x%08lx first=%s\n",
              (PCSTR)Argv[1], (unsigned long long)offset, (unsigned long long)length,
              (unsigned long long)iosb.Information,
              (unsigned long)RtlComputeCrc32(0, buffer, (ULONG)iosb.Information), first);
    ExFreePoolWithTag(buffer, DEVREAD_TAG);
    return 0;
}

SHELL_COMMAND(load, CmdLoad, "load <service>", "load a driver: image from ImagePath, then DriverEntry");
SHELL_COMMAND(unload, CmdUnload, "unload <service>", "call DriverUnload and remove the driver and its image");
SHELL_COMMAND(drivers, CmdDrivers, "drivers", "list loaded drivers: image base, size, devices, state");
SHELL_COMMAND(devread, CmdDevRead, "devread <device path> <length> [offset]",
              "read from a device through the I/O manager; prints CRC32 and first bytes");
