/* cmd_handle.c - handles kept open across commands: `hopen <path>`,
 * `hread <h> <length> [offset]`, `hclose <h>`.  What a program holding a
 * device open sees when the device goes away under it (surprise removal:
 * reads fail, REMOVE_DEVICE waits for the close), scripted from the
 * shell.  The table is the shell thread's own; PASSIVE_LEVEL. */
#include <ntos.h>
#include <io.h>
#include <rtl.h>
#include <shell.h>

#define HANDLE_SLOTS        8
#define HANDLE_PATH_CHARS   256
#define HANDLE_MAX_LENGTH   (64 * 1024)
#define HANDLE_TAG          NTSTOR_TAG('S', 'h', 'H', 'd')

static HANDLE ShellHandles[HANDLE_SLOTS];   /* NULL: free */

static BOOLEAN HandleSlot(PCSTR Text, PULONG Slot)
{
    ULONG64 n;

    if (!ShellParseU64(Text, &n) || n >= HANDLE_SLOTS || ShellHandles[n] == NULL)
        return FALSE;
    *Slot = (ULONG)n;
    return TRUE;
}

static INT CmdHOpen(INT Argc, PCHAR *Argv)
{
    WCHAR buffer[HANDLE_PATH_CHARS];
    UNICODE_STRING path = { 0, sizeof(buffer), buffer };
    IO_STATUS_BLOCK iosb = { 0 };
    NTSTATUS status;
    ULONG slot;

    if (Argc != 2)
        return ShellError("hopen", STATUS_INVALID_PARAMETER, "usage: hopen <device path>");
    for (slot = 0; slot < HANDLE_SLOTS && ShellHandles[slot]; slot++)
        ;
    if (slot == HANDLE_SLOTS)
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, "close one with hclose", "hopen %s",
                           (PCSTR)Argv[1]);
    if (!NT_SUCCESS(RtlAsciiToUnicodeString(&path, (PCSTR)Argv[1])))
        return ShellErrorF(STATUS_NAME_TOO_LONG, NULL, "hopen %s", (PCSTR)Argv[1]);
    status = NtCreateFile(&ShellHandles[slot], FILE_READ_DATA, &path, &iosb,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, 0);
    if (!NT_SUCCESS(status)) {
        ShellHandles[slot] = NULL;
        return ShellErrorF(status, "cannot open", "hopen %s", (PCSTR)Argv[1]);
    }
    ConPrintf("hopen path=%s handle=%lu\n", (PCSTR)Argv[1], (unsigned long)slot);
    return 0;
}

static INT CmdHRead(INT Argc, PCHAR *Argv)
{
    IO_STATUS_BLOCK iosb = { 0 };
    LARGE_INTEGER offset = { .QuadPart = 0 };
    ULONG64 length, at = 0;
    NTSTATUS status;
    PUCHAR buffer;
    ULONG slot;

    if (Argc < 3 || Argc > 4)
        return ShellError("hread", STATUS_INVALID_PARAMETER, "usage: hread <handle> <length> [offset]");
    if (!HandleSlot((PCSTR)Argv[1], &slot))
        return ShellErrorF(STATUS_INVALID_HANDLE, "not a handle hopen returned", "hread %s",
                           (PCSTR)Argv[1]);
    if (!ShellParseU64((PCSTR)Argv[2], &length) || length == 0 || length > HANDLE_MAX_LENGTH)
        return ShellErrorF(STATUS_INVALID_PARAMETER, "length is 1..65536 bytes", "hread length=%s",
                           (PCSTR)Argv[2]);
    if (Argc == 4 && !ShellParseU64((PCSTR)Argv[3], &at))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "not a number", "hread offset=%s", (PCSTR)Argv[3]);
    buffer = ExAllocatePoolWithTag(NonPagedPool, length, HANDLE_TAG);
    if (buffer == NULL)
        return ShellError("hread", STATUS_INSUFFICIENT_RESOURCES, NULL);
    offset.QuadPart = (LONGLONG)at;
    status = NtReadFile(ShellHandles[slot], NULL, NULL, NULL, &iosb, buffer, (ULONG)length,
                        &offset, NULL);
    if (NT_SUCCESS(status)) {
        ULONG got = iosb.Information > length ? (ULONG)length : (ULONG)iosb.Information;
        ConPrintf("hread handle=%lu status=%s bytes=%lu crc32=0x%08lx\n", (unsigned long)slot,
                  RtlNtStatusName(status), (unsigned long)got,
                  (unsigned long)RtlComputeCrc32(0, buffer, got));
    }
    ExFreePoolWithTag(buffer, HANDLE_TAG);
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, "read failed", "hread handle=%lu", (unsigned long)slot);
    return 0;
}

static INT CmdHClose(INT Argc, PCHAR *Argv)
{
    NTSTATUS status;
    ULONG slot;

    if (Argc != 2 || !HandleSlot((PCSTR)Argv[1], &slot))
        return ShellError("hclose", STATUS_INVALID_HANDLE, "usage: hclose <handle from hopen>");
    status = NtClose(ShellHandles[slot]);
    ShellHandles[slot] = NULL;
    ConPrintf("hclose handle=%lu status=%s\n", (unsigned long)slot, RtlNtStatusName(status));
    return NT_SUCCESS(status) ? 0 : 1;
}

SHELL_COMMAND(hopen, CmdHOpen, "hopen <device path>", "open a device and keep the handle (hread, hclose)");
SHELL_COMMAND(hread, CmdHRead, "hread <handle> <length> [offset]", "read through a handle hopen kept");
SHELL_COMMAND(hclose, CmdHClose, "hclose <handle>", "close a handle hopen kept");
