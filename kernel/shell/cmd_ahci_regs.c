/* cmd_ahci_regs.c - `ahci regs [ctrl] [port]`: every HBA and port register
 * of an AHCI controller, decoded field by field (tables in
 * hw/include/regs/ahci.h), with each port's state and history, from
 * IOCTL_NTSTOR_AHCI_GET_REGS on \Device\Ahci<n>; and `hwreport`: in one go
 * what a bug report needs -- PCI functions, every controller's registers,
 * disks with quirks, IDENTIFY summaries, the log's problem lines -- so one
 * serial capture or screenshot carries it.
 *
 *   ntstor> ahci regs 0 1
 *   ahci_ctrl ctrl=0 id=8086:2922 subsys=1af4:1100 rev=02 class=010601 ...
 *   ahci_reg ctrl=0 port=1 name=PxCMD value=0x0000c017 ST=1 SUD=1 POD=1 ...
 *   ahci_port ctrl=0 port=1 state=ready in_recovery=0 commands=... history=2
 *   ahci_history ctrl=0 port=1 i=0 from=empty to=link-up ms=139 */
#include "cmd_disk.h"
#include "shellp.h"
#include <kd.h>
#include <regs/ahci.h>

typedef struct _AHCI_FIELD_DESC {
    PCSTR Name;
    UCHAR Low, Width;
} AHCI_FIELD_DESC;

#define AHCI_FIELD(name, low, width) { #name, low, width },
static const AHCI_FIELD_DESC CapFields[] = { AHCI_CAP_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC GhcFields[] = { AHCI_GHC_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC VsFields[] = { AHCI_VS_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC CccFields[] = { AHCI_CCC_CTL_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC EmLocFields[] = { AHCI_EM_LOC_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC EmCtlFields[] = { AHCI_EM_CTL_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC Cap2Fields[] = { AHCI_CAP2_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC BohcFields[] = { AHCI_BOHC_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC IsFields[] = { AHCI_PxIS_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC CmdFields[] = { AHCI_PxCMD_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC TfdFields[] = { AHCI_PxTFD_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC SigFields[] = { AHCI_PxSIG_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC SstsFields[] = { AHCI_PxSSTS_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC SctlFields[] = { AHCI_PxSCTL_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC SerrFields[] = { AHCI_PxSERR_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC FbsFields[] = { AHCI_PxFBS_FIELDS(AHCI_FIELD) };
static const AHCI_FIELD_DESC DevslpFields[] = { AHCI_PxDEVSLP_FIELDS(AHCI_FIELD) };
#undef AHCI_FIELD

typedef struct _AHCI_REG_DESC {
    PCSTR Name;
    ULONG Offset;               /* in the HBA (3.1) or port (3.3) block */
    const AHCI_FIELD_DESC *Fields;
    ULONG Count;                /* 0: a value (address, bitmap) */
} AHCI_REG_DESC;

#define REG(name, off, f) { name, off, f, sizeof(f) / sizeof((f)[0]) }
#define VAL(name, off) { name, off, NULL, 0 }
static const AHCI_REG_DESC HbaRegs[] = {
    REG("CAP", AHCI_CAP, CapFields), REG("GHC", AHCI_GHC, GhcFields), VAL("IS", AHCI_IS),
    VAL("PI", AHCI_PI), REG("VS", AHCI_VS, VsFields), REG("CCC_CTL", AHCI_CCC_CTL, CccFields),
    VAL("CCC_PORTS", AHCI_CCC_PORTS), REG("EM_LOC", AHCI_EM_LOC, EmLocFields),
    REG("EM_CTL", AHCI_EM_CTL, EmCtlFields), REG("CAP2", AHCI_CAP2, Cap2Fields),
    REG("BOHC", AHCI_BOHC, BohcFields),
};
static const AHCI_REG_DESC PortRegs[] = {
    VAL("PxCLB", AHCI_PxCLB), VAL("PxCLBU", AHCI_PxCLBU), VAL("PxFB", AHCI_PxFB),
    VAL("PxFBU", AHCI_PxFBU), REG("PxIS", AHCI_PxIS, IsFields), REG("PxIE", AHCI_PxIE, IsFields),
    REG("PxCMD", AHCI_PxCMD, CmdFields), REG("PxTFD", AHCI_PxTFD, TfdFields),
    REG("PxSIG", AHCI_PxSIG, SigFields), REG("PxSSTS", AHCI_PxSSTS, SstsFields),
    REG("PxSCTL", AHCI_PxSCTL, SctlFields), REG("PxSERR", AHCI_PxSERR, SerrFields),
    VAL("PxSACT", AHCI_PxSACT), VAL("PxCI", AHCI_PxCI), VAL("PxSNTF", AHCI_PxSNTF),
    REG("PxFBS", AHCI_PxFBS, FbsFields), REG("PxDEVSLP", AHCI_PxDEVSLP, DevslpFields),
};
#undef REG
#undef VAL

static const PCSTR AhciSourceNames[3] = { "poll", "msi", "intx" };

/* One line: "ahci_reg ctrl=0 [port=1 ]name=X value=0x... F=v ...";
 * fields of 8 bits or more in hex. */
static VOID PrintReg(ULONG Ctrl, LONG Port, const AHCI_REG_DESC *Reg, ULONG Value)
{
    CHAR line[640];
    SIZE_T n;

    if (Port < 0)
        RtlStringCbPrintfA(line, sizeof(line), "ahci_reg ctrl=%u name=%s value=0x%08x", Ctrl,
                           Reg->Name, Value);
    else
        RtlStringCbPrintfA(line, sizeof(line), "ahci_reg ctrl=%u port=%d name=%s value=0x%08x",
                           Ctrl, Port, Reg->Name, Value);
    for (ULONG i = 0; i < Reg->Count; i++) {
        const AHCI_FIELD_DESC *f = &Reg->Fields[i];
        ULONG v = (Value >> f->Low) & (f->Width >= 32 ? 0xFFFFFFFFu : (1u << f->Width) - 1);
        n = RtlAsciiLength(line);
        RtlStringCbPrintfA(line + n, sizeof(line) - n, f->Width >= 8 ? " %s=0x%x" : " %s=%u",
                           f->Name, v);
    }
    ConPrintf("%s\n", line);
}

INT AhciShellPrintRegs(PCSTR Command, ULONG Ctrl, LONG Port)
{
    PNTSTOR_AHCI_REGS r;
    CHAR quirks[256];
    HANDLE h;
    NTSTATUS status;

    if (!NT_SUCCESS(AhciShellOpen(Command, Ctrl, &h)))
        return 1;
    /* ~11 KiB: more than a shell stack should carry. */
    r = ExAllocatePoolWithTag(NonPagedPool, sizeof(*r), NTSTOR_TAG('S', 'h', 'A', 'r'));
    if (!r) {
        NtClose(h);
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "%s ctrl=%u", Command, Ctrl);
    }
    status = AhciShellIoctl(h, IOCTL_NTSTOR_AHCI_GET_REGS, NULL, 0, r, sizeof(*r));
    NtClose(h);
    if (!NT_SUCCESS(status) || r->Size != sizeof(*r)) {
        ExFreePoolWithTag(r, NTSTOR_TAG('S', 'h', 'A', 'r'));
        return ShellErrorF(NT_SUCCESS(status) ? STATUS_INFO_LENGTH_MISMATCH : status, NULL,
                           "%s ctrl=%u", Command, Ctrl);
    }
    if (Port >= 0 && !r->Ports[Port].Present) {
        ExFreePoolWithTag(r, NTSTOR_TAG('S', 'h', 'A', 'r'));
        return ShellErrorF(STATUS_INVALID_PARAMETER, "no such port", "%s ctrl=%u port=%d",
                           Command, Ctrl, Port);
    }
    DiskFormatQuirks(r->Quirks, quirks, sizeof(quirks));
    ConPrintf("ahci_ctrl ctrl=%u id=%04x:%04x subsys=%04x:%04x rev=%02x class=%06x source=%s "
              "interrupts=%llu hot_plugs=%llu quirks=%s\n", Ctrl, r->VendorId, r->DeviceId,
              r->SubVendorId, r->SubSystemId, r->Revision, r->ClassCode,
              r->Source < 3 ? AhciSourceNames[r->Source] : "?", r->Interrupts, r->HotPlugs,
              quirks);
    if (Port < 0)
        for (ULONG i = 0; i < ARRAYSIZE(HbaRegs); i++)
            PrintReg(Ctrl, -1, &HbaRegs[i], (&r->Cap)[HbaRegs[i].Offset / 4]);
    for (LONG p = 0; p < 32; p++) {
        PNTSTOR_AHCI_PORT_REGS pr = &r->Ports[p];
        if (!pr->Present || (Port >= 0 && p != Port))
            continue;
        for (ULONG i = 0; i < ARRAYSIZE(PortRegs); i++)
            PrintReg(Ctrl, p, &PortRegs[i], (&pr->Clb)[PortRegs[i].Offset / 4]);
        DiskFormatQuirks(pr->Quirks, quirks, sizeof(quirks));
        ULONG shown = pr->HistoryCount < NTSTOR_AHCI_HISTORY ? pr->HistoryCount : NTSTOR_AHCI_HISTORY;
        ConPrintf("ahci_port ctrl=%u port=%d state=%s in_recovery=%u commands=%llu errors=%llu "
                  "lost_interrupts=%llu hba_resets=%llu quirks=%s history=%u\n", Ctrl, p,
                  pr->State, pr->InRecovery, pr->Commands, pr->Errors, pr->LostInterrupts,
                  pr->HbaResets, quirks, pr->HistoryCount);
        /* The last changes, oldest first; i counts from the first change ever. */
        for (ULONG i = 0; i < shown; i++)
            ConPrintf("ahci_history ctrl=%u port=%d i=%u from=%s to=%s ms=%u\n", Ctrl, p,
                      pr->HistoryCount - shown + i, pr->History[i].From, pr->History[i].To,
                      pr->History[i].Ms);
    }
    ExFreePoolWithTag(r, NTSTOR_TAG('S', 'h', 'A', 'r'));
    return 0;
}

/* ---- hwreport ---- */

/* What in a log line makes it a bug report's business: the drivers' own
 * words for trouble (there are no log levels). */
static const PCSTR HwReportWords[] = {
    "error", "fail", "timed out", "timeout", "lost", "stuck", "recovery", "quirk", "warning",
    "not ready", "gone", "refused", "not started", "did not", "busy", "STOP", "reset",
};

static BOOLEAN HwReportContains(PCSTR Line, PCSTR Word)
{
    SIZE_T n = RtlAsciiLength(Word);

    for (; *Line; Line++)
        if (!RtlAsciiCompareN(Line, Word, n, TRUE))
            return TRUE;
    return FALSE;
}

static VOID HwReportLogSink(PCSTR Line, PVOID Context)
{
    for (ULONG i = 0; i < ARRAYSIZE(HwReportWords); i++) {
        if (HwReportContains(Line, HwReportWords[i])) {
            ConPrintf("hwreport_log %s\n", Line);
            (*(PULONG)Context)++;
            return;
        }
    }
}

/* Runs another command of the shell as typed (one home for each report). */
static VOID HwReportRun(PCSTR Name, PCSTR Arg)
{
    const SHELL_COMMAND_DESC *c = ShellFindCommand(Name);
    CHAR arg[16];
    PCHAR argv[3] = { (PCHAR)Name, arg, NULL };

    if (!c)
        return;
    RtlAsciiCopy(arg, sizeof(arg), Arg ? Arg : "");
    c->Handler(Arg ? 2 : 1, argv);
}

static INT CmdHwReport(INT Argc, PCHAR *Argv)
{
    ULONG controllers = 0, disks, logLines = 0, numbers[64];
    HANDLE h;

    ConPrintf("hwreport begin\n");
    HwReportRun("pci", NULL);
    for (ULONG c = 0; c < 16; c++) {
        if (!NT_SUCCESS(AhciShellOpen(NULL, c, &h)))
            break;
        NtClose(h);
        AhciShellPrintRegs("hwreport", c, -1);
        controllers++;
    }
    HwReportRun("disks", NULL);
    disks = DiskShellListDisks(numbers, ARRAYSIZE(numbers));
    for (ULONG i = 0; i < disks; i++) {
        CHAR num[16];
        RtlStringCbPrintfA(num, sizeof(num), "%u", numbers[i]);
        HwReportRun("identify", num);
    }
    KdLogDump(HwReportLogSink, &logLines);
    ConPrintf("hwreport end controllers=%u disks=%u log_lines=%u\n", controllers, disks, logLines);
    return 0;
}
SHELL_COMMAND(hwreport, CmdHwReport, "hwreport",
              "what a bug report needs: PCI, AHCI registers and port histories, disks, "
              "IDENTIFY, the log's problem lines");
