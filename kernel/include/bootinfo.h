/* bootinfo.h - the one structure BOOTX64.EFI hands to the kernel.
 *
 * Shared, byte for byte, by the loader (boot/) and the kernel.  Every field is
 * fixed-width so the layout cannot differ between the two compilers' ABIs.
 * Bump NTSTOR_BOOTINFO_VERSION on any layout change; the kernel refuses a
 * structure whose magic, version or size it does not know.
 *
 * Addresses are physical unless the name says _virt.  At kernel entry the
 * loader's page tables map:
 *   - all of physical memory (and at least the low 4 GiB) identity-mapped,
 *   - the same again at NTSTOR_DIRECT_MAP_BASE (the kernel's direct map),
 *   - the kernel image at its link address (NTSTOR_KERNEL_VIRT_BASE).
 * The kernel builds its own tables and drops the identity map early.
 *
 * Memory the loader allocated (kernel image, this structure, loaded files,
 * page tables) is EfiLoaderData/EfiLoaderCode in the memory map: the kernel
 * must treat those ranges as in use.  EfiConventionalMemory and
 * EfiBootServicesCode/Data are free after ExitBootServices.
 */
#ifndef NTSTOR_BOOTINFO_H
#define NTSTOR_BOOTINFO_H

#include <stdint.h>

#define NTSTOR_BOOTINFO_MAGIC   0x4f464e4942544e53ULL /* "SNTBINFO" */
#define NTSTOR_BOOTINFO_VERSION 2

#define NTSTOR_KERNEL_VIRT_BASE 0xFFFFFFFF80000000ULL
#define NTSTOR_DIRECT_MAP_BASE  0xFFFF800000000000ULL

#define NTSTOR_MAX_BOOT_FILES   32
#define NTSTOR_BOOT_PATH_MAX    128
#define NTSTOR_CMDLINE_MAX      256
#define NTSTOR_BOOT_DEVICE_MAX  256

/* UEFI memory types the kernel cares about (UEFI 2.x, 7.2 EFI_MEMORY_TYPE). */
#define NTSTOR_EFI_LOADER_CODE          1
#define NTSTOR_EFI_LOADER_DATA          2
#define NTSTOR_EFI_BOOT_SERVICES_CODE   3
#define NTSTOR_EFI_BOOT_SERVICES_DATA   4
#define NTSTOR_EFI_CONVENTIONAL_MEMORY  7
#define NTSTOR_EFI_ACPI_RECLAIM         9

/* One UEFI memory descriptor as the firmware lays it out (EFI_MEMORY_DESCRIPTOR).
 * Walk the map with memmap_desc_size, never sizeof(this): firmware may use a
 * larger stride. */
typedef struct ntstor_efi_memory_descriptor {
    uint32_t type;
    uint32_t pad;
    uint64_t physical_start;
    uint64_t virtual_start;
    uint64_t number_of_pages;   /* 4 KiB pages */
    uint64_t attribute;
} ntstor_efi_memory_descriptor;

/* Pixel formats of the GOP framebuffer. */
#define NTSTOR_FB_NONE  0       /* no framebuffer: serial only */
#define NTSTOR_FB_RGBX  1       /* PixelRedGreenBlueReserved8BitPerColor */
#define NTSTOR_FB_BGRX  2       /* PixelBlueGreenRedReserved8BitPerColor */

typedef struct ntstor_framebuffer {
    uint64_t base;              /* physical */
    uint64_t size;              /* bytes */
    uint32_t width;             /* pixels */
    uint32_t height;
    uint32_t pixels_per_line;   /* stride in pixels (4 bytes each) */
    uint32_t format;            /* NTSTOR_FB_* */
} ntstor_framebuffer;

/* A file the loader read from the boot volume.  path is as written in
 * system.cfg or the fixed names (\ntstor\system.cfg, \ntstor\autorun,
 * \ntstor\kernel.elf), ASCII, backslashes, NUL-terminated. */
typedef struct ntstor_boot_file {
    char path[NTSTOR_BOOT_PATH_MAX];
    uint64_t phys;
    uint64_t size;
} ntstor_boot_file;

typedef struct ntstor_bootinfo {
    uint64_t magic;             /* NTSTOR_BOOTINFO_MAGIC */
    uint32_t version;           /* NTSTOR_BOOTINFO_VERSION */
    uint32_t size;              /* sizeof(ntstor_bootinfo) */

    /* UEFI memory map as returned by the final GetMemoryMap. */
    uint64_t memmap;            /* physical address of the descriptors */
    uint64_t memmap_size;       /* bytes */
    uint64_t memmap_desc_size;  /* stride */
    uint32_t memmap_desc_version;
    uint32_t pad0;

    uint64_t rsdp;              /* ACPI 2.0+ RSDP if found, else 1.0, else 0 */
    ntstor_framebuffer fb;

    /* Kernel image placement: [kernel_phys, kernel_phys+kernel_size) holds
     * the loaded segments, mapped at kernel_virt. */
    uint64_t kernel_phys;
    uint64_t kernel_virt;
    uint64_t kernel_size;

    uint64_t loader_pml4;       /* the loader's PML4 (physical) */
    uint64_t loader_tsc;        /* TSC read just before jumping to the kernel */

    char cmdline[NTSTOR_CMDLINE_MAX]; /* load options, ASCII, NUL-terminated */

    /* Files read from the boot volume.  files[] includes the raw
     * \ntstor\kernel.elf (the kernel reads its own symbol table from it),
     * \ntstor\system.cfg, the optional \ntstor\autorun, and every Boot-start
     * driver image named in system.cfg. */
    uint32_t file_count;
    uint32_t pad1;
    ntstor_boot_file files[NTSTOR_MAX_BOOT_FILES];

    /* Messages the loader wants the kernel to log (e.g. a Boot driver it
     * could not read), ASCII lines separated by '\n', NUL-terminated. */
    char loader_log[1024];

    /* The UEFI device path of the volume BOOTX64.EFI was loaded from, as
     * text (UEFI 2.x 10.6.1.6, e.g. "PciRoot(0x0)/Pci(0x1,0x0)/USB(0x0,0x0)/
     * HD(1,GPT,...)"), ASCII, NUL-terminated; empty if the firmware could not
     * say.  Version 2. */
    char boot_device[NTSTOR_BOOT_DEVICE_MAX];
} ntstor_bootinfo;

#endif /* NTSTOR_BOOTINFO_H */
