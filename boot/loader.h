/* loader.h - private declarations shared by the files of BOOTX64.EFI.
 * Prefix Bl (NT's boot loader); Blp for helpers private to one file. */
#ifndef NTSTOR_BOOT_LOADER_H
#define NTSTOR_BOOT_LOADER_H

#include <efi.h>
#include <efilib.h>
#include <bootinfo.h>

#define BL_PAGE_SIZE 4096ULL
#define BL_PAGES(Bytes) (((Bytes) + BL_PAGE_SIZE - 1) / BL_PAGE_SIZE)

/* How long an error stays on the screen before control goes back to the
 * firmware (which may then try the next boot option). */
#define BL_ERROR_STALL_US (5 * 1000 * 1000)

/* The structure handed to the kernel; allocated first so everything after can
 * log into it. */
extern ntstor_bootinfo *BlBootInfo;

/* Set once ExitBootServices succeeded: no console output after that. */
extern BOOLEAN BlBootServicesExited;

/* log.c: BlLog prints a line on ConOut and appends it to
 * BlBootInfo->loader_log (the kernel logs it).  BlFail prints an error,
 * waits BL_ERROR_STALL_US and returns Status for efi_main to return.
 * Formats are gnu-efi's (%a ASCII string, %d, %lx, %r EFI_STATUS). */
VOID BlLog(CONST char *Format, ...);
EFI_STATUS BlFail(EFI_STATUS Status, CONST char *Format, ...);
VOID BlAppendLog(CONST char *Text);

/* file.c */
EFI_STATUS BlAllocatePages(UINT64 Bytes, UINT64 *Physical);
EFI_STATUS BlOpenBootVolume(EFI_LOADED_IMAGE *LoadedImage, EFI_FILE_HANDLE *Root);
EFI_STATUS BlReadFile(EFI_FILE_HANDLE Root, CONST char *Path, UINT64 MaxSize,
                      UINT64 *Physical, UINT64 *Size);
EFI_STATUS BlAddBootFile(CONST char *Path, UINT64 Physical, UINT64 Size);

/* platform.c: RSDP, framebuffer, command line into BlBootInfo.  Returns TRUE
 * in *StaleKeyTest if the command line asks for the ExitBootServices retry
 * test (token "bl.stalekey"). */
VOID BlCollectPlatformInfo(EFI_LOADED_IMAGE *LoadedImage, BOOLEAN *StaleKeyTest);

/* paging.c: 4-level tables (see bootinfo.h for what they map). */
EFI_STATUS BlBuildPageTables(UINT64 PhysicalTop, UINT64 *Cr3);

/* handoff.c: memory map, ExitBootServices, jump.  Returns only on failure. */
EFI_STATUS BlStartKernel(EFI_HANDLE ImageHandle, UINT64 Entry, BOOLEAN StaleKeyTest);

#endif
