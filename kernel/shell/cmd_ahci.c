/* cmd_ahci.c - `ahci debug on|off [ctrl]`: the AHCI port driver's debug
 * output switched at run time (9front sdiahci's per-controller debug), by
 * IOCTL_NTSTOR_AHCI_SET_DEBUG on the controller FDO \Device\Ahci<n>;
 * `ahci regs [ctrl] [port]`: its registers decoded (cmd_ahci_regs.c).
 *
 *   ntstor> ahci debug on
 *   ahci ctrl=0 debug=1 was=0 */
#include "cmd_disk.h"

NTSTATUS AhciShellOpen(PCSTR Command, ULONG Ctrl, PHANDLE Handle)
{
    CHAR ascii[32];
    WCHAR wide[32];
    UNICODE_STRING path = { 0, sizeof(wide), wide };
    IO_STATUS_BLOCK iosb;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Ahci%u", Ctrl);
    RtlAsciiToUnicodeString(&path, ascii);
    status = NtCreateFile(Handle, GENERIC_READ, &path, &iosb, FILE_SHARE_READ | FILE_SHARE_WRITE,
                          FILE_SYNCHRONOUS_IO_NONALERT);
    if (!NT_SUCCESS(status) && Command)
        ShellErrorF(status, status == STATUS_OBJECT_NAME_NOT_FOUND ? "no such controller" : NULL,
                    "%s ctrl=%u", Command, Ctrl);
    return status;
}

NTSTATUS AhciShellIoctl(HANDLE Handle, ULONG Code, PVOID In, ULONG InLength, PVOID Out,
                        ULONG OutLength)
{
    IO_STATUS_BLOCK iosb = { { 0 }, 0 };
    return NtDeviceIoControlFile(Handle, NULL, NULL, NULL, &iosb, Code, In, InLength, Out,
                                 OutLength);
}

static INT CmdAhciDebug(INT Argc, PCHAR *Argv)
{
    NTSTOR_AHCI_SET_DEBUG d;
    ULONG64 ctrl = 0;
    HANDLE h;
    NTSTATUS status;

    if (Argc < 3 || (RtlAsciiCompare(Argv[2], "on", TRUE) && RtlAsciiCompare(Argv[2], "off", TRUE)))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected on or off", "ahci debug");
    if (Argc > 3 && (!ShellParseU64(Argv[3], &ctrl) || ctrl > 0xFFFF))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected a controller number", "ahci debug");
    if (!NT_SUCCESS(AhciShellOpen("ahci debug", (ULONG)ctrl, &h)))
        return 1;
    d.Debug = RtlAsciiCompare(Argv[2], "on", TRUE) == 0;
    ULONG want = d.Debug;
    status = AhciShellIoctl(h, IOCTL_NTSTOR_AHCI_SET_DEBUG, &d, sizeof(d), &d, sizeof(d));
    NtClose(h);
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, NULL, "ahci debug ctrl=%u", (ULONG)ctrl);
    ConPrintf("ahci ctrl=%u debug=%u was=%u\n", (ULONG)ctrl, want, d.Debug);
    return 0;
}

static INT CmdAhciRegs(INT Argc, PCHAR *Argv)
{
    ULONG64 ctrl = 0, port = 0;

    if (Argc > 2 && (!ShellParseU64(Argv[2], &ctrl) || ctrl > 0xFFFF))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected a controller number", "ahci regs");
    if (Argc > 3 && (!ShellParseU64(Argv[3], &port) || port > 31))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected a port number (0-31)", "ahci regs");
    return AhciShellPrintRegs("ahci regs", (ULONG)ctrl, Argc > 3 ? (LONG)port : -1);
}

static INT CmdAhci(INT Argc, PCHAR *Argv)
{
    if (Argc > 1 && !RtlAsciiCompare(Argv[1], "debug", TRUE))
        return CmdAhciDebug(Argc, Argv);
    if (Argc > 1 && !RtlAsciiCompare(Argv[1], "regs", TRUE))
        return CmdAhciRegs(Argc, Argv);
    return ShellErrorF(STATUS_INVALID_PARAMETER, "expected debug or regs", "ahci");
}
SHELL_COMMAND(ahci, CmdAhci, "ahci debug on|off [ctrl] | ahci regs [ctrl] [port]",
              "the AHCI driver's debug output, switched at run time; its registers, decoded");
