/* cmd_disk_rw.c - `read <disk> <lba> <count>`, `write <disk> <lba> <count>
 * seed=<n>`, `verify <disk> <lba> <count> seed=<n>`: NtReadFile/NtWriteFile
 * on \??\PhysicalDrive<n> in chunks of DISK_SHELL_CHUNK, with DESIGN.md's
 * data pattern (RtlFillPatternBlock: 512-byte block b of the disk holds
 * splitmix64(seed + b*64 + i) in word i).
 *
 *   read disk=0 lba=0 count=1 crc32=0x1234abcd      (hex dump first when <= 512 bytes)
 *   write disk=1 lba=2048 count=64 seed=7 status=STATUS_SUCCESS
 *   verify disk=1 lba=2048 count=64 seed=7 mismatches=0 first_bad_lba=- */
#include "cmd_disk.h"

typedef enum { DiskRwRead, DiskRwWrite, DiskRwVerify } DISK_RW_OP;
static PCSTR const DiskRwNames[] = { "read", "write", "verify" };

static VOID DiskHexDump(const UCHAR *p, ULONG n)
{
    for (ULONG off = 0; off < n; off += 16) {
        CHAR line[100];
        ULONG at = 0;
        RtlStringCbPrintfA(line, sizeof(line), "%04x:", off);
        while (line[at])
            at++;
        for (ULONG i = 0; i < 16 && off + i < n; i++) {
            RtlStringCbPrintfA(line + at, sizeof(line) - at, " %02x", p[off + i]);
            at += 3;
        }
        RtlStringCbPrintfA(line + at, sizeof(line) - at, "  ");
        at += 2;
        for (ULONG i = 0; i < 16 && off + i < n && at + 2 < sizeof(line); i++)
            line[at++] = (p[off + i] >= 0x20 && p[off + i] < 0x7F) ? (CHAR)p[off + i] : '.';
        line[at] = 0;
        ConPrintf("%s\n", line);
    }
}

static INT DiskRw(DISK_RW_OP Op, INT Argc, PCHAR *Argv)
{
    PCSTR name = DiskRwNames[Op];
    DISK_SHELL d;
    ULONG64 lba, count, seed = 0, done = 0, mismatches = 0, firstBad = ~0ull;
    ULONG crc = 0, ss;
    PUCHAR buf;
    PCSTR seedText;
    NTSTATUS status = STATUS_SUCCESS;

    if (!DiskShellOpen(name, Argc > 1 ? Argv[1] : NULL, Op == DiskRwWrite, &d))
        return 1;
    if (!DiskShellRange(name, &d, Argc > 2 ? Argv[2] : NULL, Argc > 3 ? Argv[3] : NULL, &lba, &count)) {
        DiskShellClose(&d);
        return 1;
    }
    seedText = ShellGetKeyArg(Argc, Argv, "seed");
    if (Op != DiskRwRead && (!seedText || !ShellParseU64(seedText, &seed))) {
        DiskShellClose(&d);
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected seed=<n>", "%s disk=%u lba=%llu",
                           name, d.Number, lba);
    }
    ss = d.Info.SectorSize;
    if (ss < 512 || ss > DISK_SHELL_CHUNK) {
        DiskShellClose(&d);
        return ShellErrorF(STATUS_INVALID_DEVICE_STATE, "sector size unknown", "%s disk=%u", name, d.Number);
    }
    buf = ExAllocatePoolWithTag(NonPagedPool, DISK_SHELL_CHUNK, DISK_SHELL_TAG);
    if (!buf) {
        DiskShellClose(&d);
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "%s disk=%u", name, d.Number);
    }

    while (done < count) {
        ULONG64 n = count - done;
        ULONG perChunk = DISK_SHELL_CHUNK / ss;
        IO_STATUS_BLOCK iosb;
        LARGE_INTEGER offset;
        ULONG bytes;

        if (n > perChunk)
            n = perChunk;
        bytes = (ULONG)(n * ss);
        offset.QuadPart = (LONGLONG)((lba + done) * ss);
        if (Op == DiskRwWrite) {
            for (ULONG b = 0; b < bytes / 512; b++)
                RtlFillPatternBlock(buf + b * 512, seed, (ULONG64)offset.QuadPart / 512 + b);
            status = NtWriteFile(d.Handle, NULL, NULL, NULL, &iosb, buf, bytes, &offset, NULL);
        } else {
            status = NtReadFile(d.Handle, NULL, NULL, NULL, &iosb, buf, bytes, &offset, NULL);
        }
        if (NT_SUCCESS(status) && iosb.Information != bytes)
            status = STATUS_DEVICE_PROTOCOL_ERROR;
        if (!NT_SUCCESS(status))
            break;
        if (Op == DiskRwRead) {
            crc = RtlComputeCrc32(crc, buf, bytes);
            if ((ULONG64)count * ss <= 512)
                DiskHexDump(buf, bytes);
        } else if (Op == DiskRwVerify) {
            for (ULONG s = 0; s < n; s++) {
                ULONG bad = 0;
                for (ULONG b = 0; b < ss / 512; b++)
                    bad += RtlCheckPatternBlock(buf + s * ss + b * 512, seed,
                                                (ULONG64)offset.QuadPart / 512 + s * (ss / 512) + b);
                if (bad) {
                    mismatches++;
                    if (firstBad == ~0ull)
                        firstBad = lba + done + s;
                }
            }
        }
        done += n;
    }
    ExFreePoolWithTag(buf, DISK_SHELL_TAG);
    DiskShellClose(&d);

    if (!NT_SUCCESS(status)) {
        ShellErrorF(status, DiskShellWhyFor(&d, status), "%s disk=%u lba=%llu", name,
                    d.Number, lba + done);
        if (Op == DiskRwWrite)
            ConPrintf("write disk=%u lba=%llu count=%llu seed=%llu status=%s\n", d.Number, lba, count,
                      seed, RtlNtStatusName(status));
        return 1;
    }
    if (Op == DiskRwRead) {
        ConPrintf("read disk=%u lba=%llu count=%llu crc32=0x%08x\n", d.Number, lba, count, crc);
    } else if (Op == DiskRwWrite) {
        ConPrintf("write disk=%u lba=%llu count=%llu seed=%llu status=%s\n", d.Number, lba, count,
                  seed, RtlNtStatusName(status));
    } else {
        CHAR bad[24];
        RtlStringCbPrintfA(bad, sizeof(bad), firstBad == ~0ull ? "-" : "%llu", firstBad);
        ConPrintf("verify disk=%u lba=%llu count=%llu seed=%llu mismatches=%llu first_bad_lba=%s\n",
                  d.Number, lba, count, seed, mismatches, bad);
    }
    return 0;
}

static INT CmdRead(INT Argc, PCHAR *Argv) { return DiskRw(DiskRwRead, Argc, Argv); }
static INT CmdWrite(INT Argc, PCHAR *Argv) { return DiskRw(DiskRwWrite, Argc, Argv); }
static INT CmdVerify(INT Argc, PCHAR *Argv) { return DiskRw(DiskRwVerify, Argc, Argv); }
SHELL_COMMAND(read, CmdRead, "read <disk> <lba> <count>", "read sectors: CRC-32, hex dump up to 512 bytes");
SHELL_COMMAND(write, CmdWrite, "write <disk> <lba> <count> seed=<n>", "write the test pattern");
SHELL_COMMAND(verify, CmdVerify, "verify <disk> <lba> <count> seed=<n>", "compare sectors with the test pattern");
