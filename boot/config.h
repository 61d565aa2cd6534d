/* config.h - the loader's lenient reading of system.cfg: which services are
 * not Disabled (their images come along) and where their images are.
 *
 * Pure C (no UEFI types) so it can be compiled on the host for tests.  The
 * kernel's cfg/ parser is the authority on the file: it reports malformed
 * lines; the loader only skips them. */
#ifndef NTSTOR_BOOT_CONFIG_H
#define NTSTOR_BOOT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <bootinfo.h>

#define BL_MAX_SERVICES     32
#define BL_SERVICE_NAME_MAX 64

typedef struct _BL_SERVICE {
    char Name[BL_SERVICE_NAME_MAX];         /* as written in the section header */
    char ImagePath[NTSTOR_BOOT_PATH_MAX];   /* as written, "" if absent */
    uint8_t Preload;                        /* Start is not Disabled: bring the image */
    uint8_t ImagePathTooLong;               /* ImagePath did not fit: do not load */
} BL_SERVICE;

typedef struct _BL_CONFIG {
    BL_SERVICE Services[BL_MAX_SERVICES];
    uint32_t ServiceCount;
    uint32_t ServicesDropped;               /* [Services\x] sections beyond BL_MAX_SERVICES
                                               or with a name longer than BL_SERVICE_NAME_MAX-1 */
} BL_CONFIG;

/* Parse Length bytes of Text (need not be NUL-terminated, may contain any
 * bytes).  Sections [Services\<name>] (name without further '\') are merged by
 * name, case-insensitively; keys ImagePath and Start are case-insensitive;
 * ';' or '#' starts a comment; a line that is not a section header or
 * key = value is ignored. */
void BlParseConfig(const char *Text, size_t Length, BL_CONFIG *Config);

#endif
