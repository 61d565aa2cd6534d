/* log.c - loader messages: firmware console for the user, bootinfo.loader_log
 * for the kernel's log. */
#include "loader.h"

#define BL_LINE_MAX 256

ntstor_bootinfo *BlBootInfo;
BOOLEAN BlBootServicesExited;

/* Append Text and a '\n' to loader_log; silently cut at the end of the
 * buffer (the first lines matter most).  Pure memory work: safe after
 * ExitBootServices. */
VOID BlAppendLog(CONST char *Text)
{
    UINTN Used, i;
    char *Log;

    if (BlBootInfo == NULL)
        return;
    Log = BlBootInfo->loader_log;
    for (Used = 0; Used < sizeof(BlBootInfo->loader_log) && Log[Used] != '\0'; Used++)
        ;
    for (i = 0; Text[i] != '\0' && Used + 2 < sizeof(BlBootInfo->loader_log); i++)
        Log[Used++] = Text[i];
    if (Used + 1 < sizeof(BlBootInfo->loader_log))
        Log[Used++] = '\n';
    Log[Used] = '\0';
}

VOID BlLog(CONST char *Format, ...)
{
    CHAR8 Line[BL_LINE_MAX];
    va_list Args;

    va_start(Args, Format);
    AsciiVSPrint(Line, sizeof(Line), (CONST CHAR8 *)Format, Args);
    va_end(Args);
    BlAppendLog((CONST char *)Line);
    if (!BlBootServicesExited)
        Print(L"ntstor: %a\n", Line);
}

EFI_STATUS BlFail(EFI_STATUS Status, CONST char *Format, ...)
{
    CHAR8 Line[BL_LINE_MAX];
    va_list Args;

    va_start(Args, Format);
    AsciiVSPrint(Line, sizeof(Line), (CONST CHAR8 *)Format, Args);
    va_end(Args);
    Print(L"ntstor: error: %a\n", Line);
    Print(L"ntstor: cannot start the kernel; returning to the firmware in %d seconds\n",
          BL_ERROR_STALL_US / 1000000);
    uefi_call_wrapper(BS->Stall, 1, BL_ERROR_STALL_US);
    return EFI_ERROR(Status) ? Status : EFI_LOAD_ERROR;
}
