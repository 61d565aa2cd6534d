/* file.c - reading whole files from the boot volume into EfiLoaderData pages
 * (UEFI 2.10, 13.4 Simple File System Protocol, 13.5 File Protocol). */
#include "loader.h"

/* Some firmware FAT drivers on USB misbehave on very large single reads. */
#define BL_READ_CHUNK (1024 * 1024)

EFI_STATUS BlAllocatePages(UINT64 Bytes, UINT64 *Physical)
{
    EFI_PHYSICAL_ADDRESS Address = 0;
    UINTN Pages = BL_PAGES(Bytes ? Bytes : 1);
    EFI_STATUS Status;

    Status = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
                               Pages, &Address);
    if (EFI_ERROR(Status))
        return Status;
    ZeroMem((VOID *)(UINTN)Address, Pages * BL_PAGE_SIZE);
    *Physical = Address;
    return EFI_SUCCESS;
}

EFI_STATUS BlOpenBootVolume(EFI_LOADED_IMAGE *LoadedImage, EFI_FILE_HANDLE *Root)
{
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *Volume;
    EFI_STATUS Status;

    Status = uefi_call_wrapper(BS->HandleProtocol, 3, LoadedImage->DeviceHandle,
                               &FileSystemProtocol, (VOID **)&Volume);
    if (EFI_ERROR(Status))
        return Status;
    return uefi_call_wrapper(Volume->OpenVolume, 2, Volume, Root);
}

/* Read Path (ASCII, '\' or '/' separated) into fresh EfiLoaderData pages.
 * One zero byte always follows the data, so text files are NUL-terminated. */
EFI_STATUS BlReadFile(EFI_FILE_HANDLE Root, CONST char *Path, UINT64 MaxSize,
                      UINT64 *Physical, UINT64 *Size)
{
    CHAR16 WidePath[NTSTOR_BOOT_PATH_MAX];
    EFI_FILE_HANDLE File;
    EFI_FILE_INFO *Info;
    EFI_STATUS Status;
    UINT64 FileSize, Done, Buffer;
    UINTN i;

    for (i = 0; Path[i] != '\0'; i++) {
        if (i + 1 >= NTSTOR_BOOT_PATH_MAX)
            return EFI_INVALID_PARAMETER;
        WidePath[i] = (Path[i] == '/') ? L'\\' : (CHAR16)(UINT8)Path[i];
    }
    WidePath[i] = L'\0';

    Status = uefi_call_wrapper(Root->Open, 5, Root, &File, WidePath, EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(Status))
        return Status;

    Info = LibFileInfo(File);
    if (Info == NULL) {
        uefi_call_wrapper(File->Close, 1, File);
        return EFI_DEVICE_ERROR;
    }
    FileSize = Info->FileSize;
    Status = (Info->Attribute & EFI_FILE_DIRECTORY) ? EFI_INVALID_PARAMETER :
             (FileSize > MaxSize) ? EFI_BAD_BUFFER_SIZE : EFI_SUCCESS;
    FreePool(Info);
    if (EFI_ERROR(Status)) {
        uefi_call_wrapper(File->Close, 1, File);
        return Status;
    }

    Status = BlAllocatePages(FileSize + 1, &Buffer);
    if (EFI_ERROR(Status)) {
        uefi_call_wrapper(File->Close, 1, File);
        return Status;
    }

    for (Done = 0; Done < FileSize; ) {
        UINTN Chunk = (FileSize - Done > BL_READ_CHUNK) ? BL_READ_CHUNK : (UINTN)(FileSize - Done);

        Status = uefi_call_wrapper(File->Read, 3, File, &Chunk, (VOID *)(UINTN)(Buffer + Done));
        if (!EFI_ERROR(Status) && Chunk == 0)
            Status = EFI_END_OF_FILE;       /* file shorter than its directory entry */
        if (EFI_ERROR(Status))
            break;
        Done += Chunk;
    }
    uefi_call_wrapper(File->Close, 1, File);
    if (EFI_ERROR(Status)) {
        uefi_call_wrapper(BS->FreePages, 2, Buffer, BL_PAGES(FileSize + 1));
        return Status;
    }
    *Physical = Buffer;
    *Size = FileSize;
    return EFI_SUCCESS;
}

EFI_STATUS BlAddBootFile(CONST char *Path, UINT64 Physical, UINT64 Size)
{
    ntstor_boot_file *Entry;
    UINTN i;

    if (BlBootInfo->file_count >= NTSTOR_MAX_BOOT_FILES) {
        BlLog("%a: more than %d boot files, not passed to the kernel",
              Path, NTSTOR_MAX_BOOT_FILES);
        return EFI_OUT_OF_RESOURCES;
    }
    Entry = &BlBootInfo->files[BlBootInfo->file_count];
    for (i = 0; Path[i] != '\0'; i++) {
        if (i + 1 >= sizeof(Entry->path))
            return EFI_INVALID_PARAMETER;
        Entry->path[i] = (char)Path[i];
    }
    Entry->path[i] = '\0';
    Entry->phys = Physical;
    Entry->size = Size;
    BlBootInfo->file_count++;
    return EFI_SUCCESS;
}
