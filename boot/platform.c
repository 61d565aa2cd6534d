/* platform.c - what the firmware knows that the kernel needs: ACPI RSDP,
 * GOP framebuffer, load options as the kernel command line. */
#include "loader.h"

static EFI_GUID BlpAcpi20Guid = ACPI_20_TABLE_GUID;
static EFI_GUID BlpAcpi10Guid = ACPI_TABLE_GUID;

/* UEFI 2.10, 4.6 EFI Configuration Table: ACPI 2.0+ RSDP preferred (it has
 * the XSDT), the 1.0 one otherwise. */
static UINT64 BlpFindRsdp(VOID)
{
    UINT64 Acpi10 = 0;
    UINTN i;

    for (i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *Table = &ST->ConfigurationTable[i];

        if (CompareGuid(&Table->VendorGuid, &BlpAcpi20Guid) == 0)
            return (UINT64)(UINTN)Table->VendorTable;
        if (CompareGuid(&Table->VendorGuid, &BlpAcpi10Guid) == 0)
            Acpi10 = (UINT64)(UINTN)Table->VendorTable;
    }
    return Acpi10;
}

/* UEFI 2.10, 12.9 Graphics Output Protocol: keep the current mode (the
 * firmware picked one that the display accepts). */
static VOID BlpFindFramebuffer(VOID)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *Gop;
    EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *Info;
    ntstor_framebuffer *Fb = &BlBootInfo->fb;
    EFI_STATUS Status;

    Fb->format = NTSTOR_FB_NONE;
    Status = uefi_call_wrapper(BS->LocateProtocol, 3, &GraphicsOutputProtocol, NULL,
                               (VOID **)&Gop);
    if (EFI_ERROR(Status) || Gop == NULL || Gop->Mode == NULL || Gop->Mode->Info == NULL) {
        BlLog("no GOP framebuffer: serial console only");
        return;
    }
    Info = Gop->Mode->Info;
    switch (Info->PixelFormat) {
    case PixelRedGreenBlueReserved8BitPerColor:
        Fb->format = NTSTOR_FB_RGBX;
        break;
    case PixelBlueGreenRedReserved8BitPerColor:
        Fb->format = NTSTOR_FB_BGRX;
        break;
    default:
        BlLog("GOP pixel format %d is not RGBX/BGRX (or has no linear framebuffer): not used",
              (INT32)Info->PixelFormat);
        return;
    }
    Fb->base = Gop->Mode->FrameBufferBase;
    Fb->size = Gop->Mode->FrameBufferSize;
    Fb->width = Info->HorizontalResolution;
    Fb->height = Info->VerticalResolution;
    Fb->pixels_per_line = Info->PixelsPerScanLine;
}

static BOOLEAN BlpIsSpace(CHAR16 c)
{
    return c == L' ' || c == L'\t';
}

/* LoadOptions is UCS-2 text when a boot option or the UEFI Shell supplies a
 * command line, but firmware-created boot options carry binary data (edk2
 * puts a GUID there): only printable text is taken. */
static VOID BlpCommandLine(EFI_LOADED_IMAGE *LoadedImage, BOOLEAN *StaleKeyTest)
{
    CHAR16 *Options = LoadedImage->LoadOptions;
    UINTN Count = LoadedImage->LoadOptionsSize / sizeof(CHAR16), i, Start = 0, Out = 0;
    char *Cmdline = BlBootInfo->cmdline;

    *StaleKeyTest = FALSE;
    if (Options == NULL || Count == 0)
        return;
    for (i = 0; i < Count && Options[i] != L'\0'; i++) {
        if (Options[i] < 0x20 || Options[i] > 0x7e) {
            if (Options[i] != L'\t') {
                BlLog("load options are not text (%d bytes): no command line",
                      (INT32)LoadedImage->LoadOptionsSize);
                return;
            }
        }
    }
    Count = i;

    /* The UEFI Shell passes the image's own path as the first word. */
    while (Start < Count && BlpIsSpace(Options[Start]))
        Start++;
    for (i = Start; i < Count && !BlpIsSpace(Options[i]); i++)
        ;
    if (i - Start >= 4 && Options[i - 4] == L'.' &&
        (Options[i - 3] | 0x20) == L'e' && (Options[i - 2] | 0x20) == L'f' &&
        (Options[i - 1] | 0x20) == L'i')
        Start = i;
    while (Start < Count && BlpIsSpace(Options[Start]))
        Start++;

    for (i = Start; i < Count; i++) {
        if (Out + 1 >= NTSTOR_CMDLINE_MAX) {
            BlLog("command line longer than %d characters: truncated", NTSTOR_CMDLINE_MAX - 1);
            break;
        }
        Cmdline[Out++] = (char)Options[i];
    }
    while (Out > 0 && Cmdline[Out - 1] == ' ')
        Out--;
    Cmdline[Out] = '\0';

    /* Test hook for the stale-map-key path of handoff.c: a whole word. */
    for (i = 0; i < Out; ) {
        UINTN WordStart = i;

        while (i < Out && Cmdline[i] != ' ' && Cmdline[i] != '\t')
            i++;
        if (i - WordStart == 11 && CompareMem(&Cmdline[WordStart], "bl.stalekey", 11) == 0)
            *StaleKeyTest = TRUE;
        while (i < Out && (Cmdline[i] == ' ' || Cmdline[i] == '\t'))
            i++;
    }
}

/* The boot volume's device path as text, so the kernel (and a person
 * reading the log) can tell which device the machine booted from. */
static VOID BlpBootDevice(EFI_LOADED_IMAGE *LoadedImage)
{
    EFI_DEVICE_PATH *Path = DevicePathFromHandle(LoadedImage->DeviceHandle);
    CHAR16 *Text = Path ? DevicePathToStr(Path) : NULL;
    char *Out = BlBootInfo->boot_device;
    UINTN i;

    if (Text == NULL) {
        BlLog("the firmware gave no device path for the boot volume");
        return;
    }
    for (i = 0; Text[i] != L'\0' && i + 1 < NTSTOR_BOOT_DEVICE_MAX; i++)
        Out[i] = (Text[i] >= 0x20 && Text[i] <= 0x7e) ? (char)Text[i] : '?';
    Out[i] = '\0';
    FreePool(Text);
}

VOID BlCollectPlatformInfo(EFI_LOADED_IMAGE *LoadedImage, BOOLEAN *StaleKeyTest)
{
    BlpBootDevice(LoadedImage);
    BlBootInfo->rsdp = BlpFindRsdp();
    if (BlBootInfo->rsdp == 0)
        BlLog("no ACPI RSDP in the UEFI configuration table");
    BlpFindFramebuffer();
    BlpCommandLine(LoadedImage, StaleKeyTest);
}
