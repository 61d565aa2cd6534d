/* main.c - BOOTX64.EFI: load \ntstor\kernel.elf, the driver images of
 * every service not Disabled (the kernel links Boot ones at once, the rest on
 * demand),
 * system.cfg and autorun from the volume this image came from, and start the
 * kernel with one ntstor_bootinfo (kernel/include/bootinfo.h).
 *
 * In QEMU: make image && tools/qemu-run.sh (OVMF finds \EFI\BOOT\BOOTX64.EFI
 * on the ESP).  Any failure before ExitBootServices is printed on the
 * firmware console and returned to the firmware. */
#include "loader.h"
#include "config.h"
#include "elf.h"

#define BL_KERNEL_PATH  "\\ntstor\\kernel.elf"
#define BL_CONFIG_PATH  "\\ntstor\\system.cfg"
#define BL_AUTORUN_PATH "\\ntstor\\autorun"
#define BL_CMDLINE_PATH "\\ntstor\\cmdline"
#define BL_MAX_CMDLINE_FILE 4096

/* Size limits: anything bigger is not one of our files. */
#define BL_MAX_KERNEL_FILE (128ULL << 20)
#define BL_MAX_CONFIG_FILE (1ULL << 20)
#define BL_MAX_DRIVER_FILE (32ULL << 20)

/* The kernel's segments go at a 2 MiB-aligned physical address so that the
 * kernel may map itself with large pages. */
#define BL_KERNEL_ALIGN (2ULL << 20)

static BL_CONFIG BlpConfig;

/* Allocate Size bytes at a BL_KERNEL_ALIGN-aligned physical address: take
 * Size + alignment, give back the unaligned head and the tail. */
static EFI_STATUS BlpAllocateAligned(UINT64 Size, UINT64 *Physical)
{
    EFI_PHYSICAL_ADDRESS Base = 0;
    UINTN Pages = BL_PAGES(Size), Extra = BL_PAGES(BL_KERNEL_ALIGN), Head;
    EFI_STATUS Status;

    Status = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
                               Pages + Extra, &Base);
    if (EFI_ERROR(Status))
        return Status;
    Head = BL_PAGES(((Base + BL_KERNEL_ALIGN - 1) & ~(BL_KERNEL_ALIGN - 1)) - Base);
    if (Head != 0)
        uefi_call_wrapper(BS->FreePages, 2, Base, Head);
    if (Extra - Head != 0)
        uefi_call_wrapper(BS->FreePages, 2, Base + (Head + Pages) * BL_PAGE_SIZE, Extra - Head);
    *Physical = Base + Head * BL_PAGE_SIZE;
    ZeroMem((VOID *)(UINTN)*Physical, Pages * BL_PAGE_SIZE);
    return EFI_SUCCESS;
}

static EFI_STATUS BlpLoadKernel(EFI_FILE_HANDLE Root, UINT64 *Entry)
{
    UINT64 File, FileSize, Image;
    BL_ELF_LAYOUT Layout;
    CONST char *Why;
    EFI_STATUS Status;

    Status = BlReadFile(Root, BL_KERNEL_PATH, BL_MAX_KERNEL_FILE, &File, &FileSize);
    if (EFI_ERROR(Status))
        return BlFail(Status, "cannot read %a: %r", BL_KERNEL_PATH, Status);
    Why = BlElfValidate((CONST VOID *)(UINTN)File, FileSize, &Layout);
    if (Why != NULL)
        return BlFail(EFI_LOAD_ERROR, "%a is not a valid kernel image: %a", BL_KERNEL_PATH, Why);

    Status = BlpAllocateAligned(Layout.Span, &Image);
    if (EFI_ERROR(Status))
        return BlFail(Status, "%a: cannot allocate %ld bytes for the kernel: %r",
                      BL_KERNEL_PATH, Layout.Span, Status);
    BlElfCopySegments((CONST VOID *)(UINTN)File, &Layout, (VOID *)(UINTN)Image);

    BlBootInfo->kernel_phys = Image;
    BlBootInfo->kernel_virt = Layout.VirtBase;
    BlBootInfo->kernel_size = Layout.Span;
    *Entry = Layout.Entry;
    Print(L"ntstor: %a: %ld bytes, %d segments, 0x%lx bytes at phys 0x%lx -> 0x%lx\n",
          BL_KERNEL_PATH, FileSize, Layout.LoadCount, Layout.Span, Image, Layout.VirtBase);

    /* The raw file too: the kernel reads its .symtab from it. */
    BlAddBootFile(BL_KERNEL_PATH, File, FileSize);
    return EFI_SUCCESS;
}

/* Optional or per-driver files: a failure is logged and the boot goes on.
 * Service names the system.cfg service the file belongs to, or NULL. */
static BOOLEAN BlpLoadOptionalFile(EFI_FILE_HANDLE Root, CONST char *Path, UINT64 MaxSize,
                                   CONST char *Service, BOOLEAN QuietIfMissing,
                                   UINT64 *Physical, UINT64 *Size)
{
    EFI_STATUS Status;

    Status = BlReadFile(Root, Path, MaxSize, Physical, Size);
    if (Status == EFI_NOT_FOUND && QuietIfMissing)
        return FALSE;
    if (EFI_ERROR(Status)) {
        if (Service != NULL)
            BlLog("boot driver %a (service %a): cannot read: %r%a", Path, Service, Status,
                  Status == EFI_BAD_BUFFER_SIZE ? " (file too large)" : "");
        else
            BlLog("%a: cannot read: %r%a", Path, Status,
                  Status == EFI_BAD_BUFFER_SIZE ? " (file too large)" : "");
        return FALSE;
    }
    if (EFI_ERROR(BlAddBootFile(Path, *Physical, *Size)))
        return FALSE;
    Print(L"ntstor: %a: %ld bytes\n", Path, *Size);
    return TRUE;
}

static char BlpLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* FAT names are case-insensitive: two services naming the same image (in
 * any case) get one copy, recorded under the first spelling. */
static BOOLEAN BlpAlreadyLoaded(CONST char *Path)
{
    UINT32 i;
    UINTN k;

    for (i = 0; i < BlBootInfo->file_count; i++) {
        CONST char *Other = BlBootInfo->files[i].path;

        for (k = 0; Path[k] != '\0' && BlpLower(Path[k]) == BlpLower(Other[k]); k++)
            ;
        if (Path[k] == '\0' && Other[k] == '\0')
            return TRUE;
    }
    return FALSE;
}

static VOID BlpLoadBootDrivers(EFI_FILE_HANDLE Root)
{
    UINT64 Physical, Size;
    UINT32 i;

    if (!BlpLoadOptionalFile(Root, BL_CONFIG_PATH, BL_MAX_CONFIG_FILE, NULL, FALSE,
                             &Physical, &Size)) {
        BlLog("warning: no usable %a: no boot drivers loaded", BL_CONFIG_PATH);
        return;
    }
    BlParseConfig((CONST char *)(UINTN)Physical, Size, &BlpConfig);
    if (BlpConfig.ServicesDropped != 0)
        BlLog("%a: %d [Services\\...] sections ignored (more than %d, or name too long)",
              BL_CONFIG_PATH, BlpConfig.ServicesDropped, BL_MAX_SERVICES);

    for (i = 0; i < BlpConfig.ServiceCount; i++) {
        BL_SERVICE *Service = &BlpConfig.Services[i];

        if (!Service->Preload)
            continue;
        if (Service->ImagePathTooLong) {
            BlLog("service %a: ImagePath longer than %d characters: not loaded",
                  Service->Name, NTSTOR_BOOT_PATH_MAX - 1);
            continue;
        }
        if (Service->ImagePath[0] == '\0') {
            BlLog("service %a: no ImagePath: not loaded", Service->Name);
            continue;
        }
        if (BlpAlreadyLoaded(Service->ImagePath))
            continue;
        BlpLoadOptionalFile(Root, Service->ImagePath, BL_MAX_DRIVER_FILE, Service->Name, FALSE,
                            &Physical, &Size);
    }
}

/* A PC booting the stick through \EFI\BOOT\BOOTX64.EFI gets no load
 * options, so the kernel command line can also come from the first line of
 * \ntstor\cmdline (printable ASCII; the rest of the file is ignored).
 * Load options, when the firmware or the UEFI Shell gives text, win. */
static VOID BlpCommandLineFile(EFI_FILE_HANDLE Root)
{
    UINT64 Physical, Size, i, Out = 0;
    CONST char *Text;
    char *Cmdline = BlBootInfo->cmdline;

    if (EFI_ERROR(BlReadFile(Root, BL_CMDLINE_PATH, BL_MAX_CMDLINE_FILE, &Physical, &Size)))
        return;
    Text = (CONST char *)(UINTN)Physical;
    for (i = 0; i < Size && Text[i] != '\n' && Text[i] != '\r'; i++) {
        if (Out + 1 >= NTSTOR_CMDLINE_MAX) {
            BlLog("%a: line longer than %d characters: cut there", BL_CMDLINE_PATH,
                  NTSTOR_CMDLINE_MAX - 1);
            break;
        }
        if (Text[i] < 0x20 || Text[i] >= 0x7f) {
            BlLog("%a: byte 0x%x at column %d is not printable ASCII: read as a blank",
                  BL_CMDLINE_PATH, (INT32)(unsigned char)Text[i], (INT32)i + 1);
            Cmdline[Out++] = ' ';
            continue;
        }
        Cmdline[Out++] = Text[i];
    }
    while (Out > 0 && Cmdline[Out - 1] == ' ')
        Out--;
    Cmdline[Out] = '\0';
    BlLog("command line from %a: \"%a\"", BL_CMDLINE_PATH, Cmdline);
}

/* Called by gnu-efi's crt0 (_start), which passes the firmware's arguments
 * in the System V registers: no EFIAPI here. */
EFI_STATUS efi_main(EFI_HANDLE ImageHandle, EFI_SYSTEM_TABLE *SystemTable)
{
    EFI_LOADED_IMAGE *LoadedImage;
    EFI_FILE_HANDLE Root;
    BOOLEAN StaleKeyTest;
    UINT64 BootInfo, Entry = 0, Physical, Size;
    EFI_STATUS Status;

    InitializeLib(ImageHandle, SystemTable);
    Print(L"\nntstor loader (bootinfo version %d)\n", NTSTOR_BOOTINFO_VERSION);

    Status = BlAllocatePages(sizeof(ntstor_bootinfo), &BootInfo);
    if (EFI_ERROR(Status))
        return BlFail(Status, "cannot allocate the boot info: %r", Status);
    BlBootInfo = (ntstor_bootinfo *)(UINTN)BootInfo;
    BlBootInfo->magic = NTSTOR_BOOTINFO_MAGIC;
    BlBootInfo->version = NTSTOR_BOOTINFO_VERSION;
    BlBootInfo->size = sizeof(ntstor_bootinfo);

    Status = uefi_call_wrapper(BS->HandleProtocol, 3, ImageHandle, &LoadedImageProtocol,
                               (VOID **)&LoadedImage);
    if (EFI_ERROR(Status))
        return BlFail(Status, "no LoadedImage protocol on our own image: %r", Status);
    Status = BlOpenBootVolume(LoadedImage, &Root);
    if (EFI_ERROR(Status))
        return BlFail(Status, "cannot open the boot volume (the FAT partition BOOTX64.EFI "
                      "was loaded from): %r", Status);

    Status = BlpLoadKernel(Root, &Entry);
    if (EFI_ERROR(Status))
        return Status;
    BlpLoadBootDrivers(Root);
    BlpLoadOptionalFile(Root, BL_AUTORUN_PATH, BL_MAX_CONFIG_FILE, NULL, TRUE, &Physical, &Size);

    BlCollectPlatformInfo(LoadedImage, &StaleKeyTest);
    if (BlBootInfo->cmdline[0] == '\0')
        BlpCommandLineFile(Root);
    uefi_call_wrapper(Root->Close, 1, Root);
    Print(L"ntstor: rsdp 0x%lx, framebuffer %dx%d, command line \"%a\"\n",
          BlBootInfo->rsdp, BlBootInfo->fb.width, BlBootInfo->fb.height, BlBootInfo->cmdline);

    return BlStartKernel(ImageHandle, Entry, StaleKeyTest);
}
