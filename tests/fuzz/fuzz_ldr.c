/* fuzz_ldr.c - libFuzzer target over the driver image loader's pure core:
 * LdrValidateImage on arbitrary bytes; whatever it accepts is import-checked,
 * copied and relocated into a buffer of exactly Info.Span bytes, so ASan
 * catches any read outside the file or write outside the image.
 * Seeds: tests/fuzz/corpus/ldr/ (copies of the built test driver images). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ntos.h>
#include <ldr.h>

/* Keeps each run fast; larger accepted images are only validated. */
#define FUZZ_MAX_RELOCATE_SPAN (1024 * 1024)

static PVOID FuzzResolve(PCSTR Name, PVOID Context)
{
    /* Every name resolves except one, so both paths are exercised. */
    if (strcmp(Name, "KeFooBar") == 0)
        return NULL;
    return (PVOID)(uintptr_t)(0xFFFFF80000001000ULL + (strlen(Name) << 4));
}

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    LDR_IMAGE_INFO info;
    unsigned char *mapped;

    if (!NT_SUCCESS(LdrValidateImage("fuzz.sys", Data, Size, &info))) {
        if (strncmp(info.Error, "ldr: fuzz.sys: ", 15) != 0)
            abort();    /* every refusal names the image */
        return 0;
    }
    if (info.Span == 0 || info.Span > LDR_MAX_IMAGE_SPAN || info.SymbolCount == 0)
        abort();        /* accepted images are bounded */
    if (!NT_SUCCESS(LdrCheckImports("fuzz.sys", Data, &info, FuzzResolve, NULL)))
        return 0;
    if (info.Span > FUZZ_MAX_RELOCATE_SPAN)
        return 0;
    mapped = malloc(info.Span);
    LdrCopySegments(Data, &info, mapped);
    if (!NT_SUCCESS(LdrApplyRelocations("fuzz.sys", Data, &info, mapped,
                                        0xFFFF900000000000ULL, FuzzResolve, NULL)))
        abort();        /* validated + imports checked must relocate */
    free(mapped);
    return 0;
}
