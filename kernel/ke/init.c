/* init.c - kernel initialization, in the order each layer needs the one
 * below it: console, CPU tables, memory, ACPI and interrupt controllers,
 * threads, time, PCI, then the NT executive (objects, thread objects and
 * worker threads, configuration, I/O, PnP) and finally the shell, which
 * runs on the boot thread. */
#include <ntos.h>
#include <shell.h>
#include <ob.h>
#include <cfg.h>
#include <io.h>
#include <pnp.h>
#include <ps.h>

extern ULONG64 KiEntryTsc;

static ntstor_bootinfo KiBootInfo;

VOID KiSystemInit(ULONG64 BootInfoPhys);

const ntstor_bootinfo *KeGetBootInfo(VOID)
{
    return &KiBootInfo;
}

const ntstor_boot_file *KiFindBootFile(PCSTR Path)
{
    for (ULONG i = 0; i < KiBootInfo.file_count; i++)
        if (RtlAsciiCompare(KiBootInfo.files[i].path, Path, TRUE) == 0)
            return &KiBootInfo.files[i];
    return NULL;
}

/* Before memory management is up the boot info is reached through the
 * loader's identity map; copy it so nothing later depends on that map. */
static BOOLEAN KiCaptureBootInfo(ULONG64 Phys)
{
    const ntstor_bootinfo *bi = (const ntstor_bootinfo *)Phys;
    if (!Phys || bi->magic != NTSTOR_BOOTINFO_MAGIC) {
        ConPrintf("ntstor: no boot information at %p (bad magic): not started by BOOTX64.EFI?\n",
                  (PVOID)Phys);
        return FALSE;
    }
    if (bi->version != NTSTOR_BOOTINFO_VERSION || bi->size != sizeof(ntstor_bootinfo)) {
        ConPrintf("ntstor: boot information version %u size %u, kernel expects version %u size %u:"
                  " loader and kernel do not match\n", bi->version, bi->size,
                  NTSTOR_BOOTINFO_VERSION, (ULONG)sizeof(ntstor_bootinfo));
        return FALSE;
    }
    RtlCopyMemory(&KiBootInfo, bi, sizeof(KiBootInfo));
    if (KiBootInfo.file_count > NTSTOR_MAX_BOOT_FILES)
        KiBootInfo.file_count = NTSTOR_MAX_BOOT_FILES;
    for (ULONG i = 0; i < KiBootInfo.file_count; i++)
        KiBootInfo.files[i].path[NTSTOR_BOOT_PATH_MAX - 1] = 0;
    KiBootInfo.cmdline[NTSTOR_CMDLINE_MAX - 1] = 0;
    KiBootInfo.loader_log[sizeof(KiBootInfo.loader_log) - 1] = 0;
    KiBootInfo.boot_device[NTSTOR_BOOT_DEVICE_MAX - 1] = 0;
    return TRUE;
}

static VOID KiLogLoaderMessages(VOID)
{
    PCHAR p = KiBootInfo.loader_log;
    while (*p) {
        PCHAR end = p;
        while (*end && *end != '\n')
            end++;
        CHAR saved = *end;
        *end = 0;
        if (end != p)
            DbgPrint("loader: %s", p);
        *end = saved;
        p = saved ? end + 1 : end;
    }
}

VOID KiSystemInit(ULONG64 BootInfoPhys)
{
    KeBootTsc = KiEntryTsc;
    HalUartInit();
    ConPrintf("\nntstor kernel starting\n");
    if (!KiCaptureBootInfo(BootInfoPhys))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, BootInfoPhys, 0, 0, 0);

    KeInitProcessor();
    MmInitSystem(&KiBootInfo);
    HalFbInit(&KiBootInfo.fb);
    KiLogLoaderMessages();
    if (KiBootInfo.cmdline[0])
        DbgPrint("command line: %s", KiBootInfo.cmdline);
    DbgPrint("boot device: %s", KiBootInfo.boot_device[0] ? KiBootInfo.boot_device : "(unknown)");

    const ntstor_boot_file *kernelFile = KiFindBootFile("\\ntstor\\kernel.elf");
    if (kernelFile)
        KiRegisterKernelSymbols(KiBootFileData(kernelFile), kernelFile->size);
    else
        DbgPrint("init: kernel.elf not among the boot files: backtraces will lack symbols");

    NTSTATUS status = HalAcpiInit(KiBootInfo.rsdp);
    if (!NT_SUCCESS(status))
        DbgPrint("init: ACPI unavailable (%s): no IOAPIC, power-off falls back", RtlNtStatusName(status));
    HalUartAddSpcr();
    HalInitInterrupts();
    /* From here this code is a thread ("shell": it goes on to run the
     * shell), and waits block it instead of halting the CPU. */
    KeInitThreads("shell");
    KeInitTime();
    __asm__ volatile("sti");
    HalPciEnumerate();
    HalUartAddPci();

    ObInitSystem();
    PsInitSystem();
    ExInitWorkerThreads();
    const ntstor_boot_file *cfg = KiFindBootFile("\\ntstor\\system.cfg");
    if (cfg) {
        CmInitSystem(KiBootFileData(cfg), cfg->size);
    } else {
        DbgPrint("init: no \\ntstor\\system.cfg on the boot volume: no drivers configured");
        CmInitSystem(NULL, 0);      /* still the base keys */
    }
    ConInitKeyboard();              /* the layout, before any keyboard starts */
    IoInitSystem();
    PnpInitSystem();

    ShellMain();
}

PCSTR KeQueryBootDevicePath(VOID)
{
    return KiBootInfo.boot_device;
}
