/* disk_image.h - in-memory disk images for the disk class driver's host
 * tests and fuzz target: a sector array with a read callback that can be
 * told to fail, and builders for GPT (UEFI 5.3) and MBR/EBR tables written
 * field by field, independent of the parser under test. */
#ifndef NTSTOR_TEST_DISK_IMAGE_H
#define NTSTOR_TEST_DISK_IMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ntdef.h>
#include <ntstatus.h>
#include <wdm/rtl.h>

typedef struct {
    uint8_t *Data;
    uint32_t SectorSize;
    uint64_t Sectors;
    uint64_t FailLba;       /* reads touching this LBA fail; UINT64_MAX: none */
    unsigned Reads;
    uint64_t FailWriteLba;  /* writes touching this LBA fail; UINT64_MAX: none */
    unsigned Writes;
} TEST_DISK;

static inline void TdInit(TEST_DISK *d, uint32_t SectorSize, uint64_t Sectors)
{
    d->Data = calloc(Sectors, SectorSize);
    d->SectorSize = SectorSize;
    d->Sectors = Sectors;
    d->FailLba = UINT64_MAX;
    d->Reads = 0;
    d->FailWriteLba = UINT64_MAX;
    d->Writes = 0;
}

static inline void TdFree(TEST_DISK *d) { free(d->Data); d->Data = NULL; }
static inline uint8_t *TdSector(TEST_DISK *d, uint64_t Lba) { return d->Data + Lba * d->SectorSize; }

static inline NTSTATUS TdRead(PVOID Context, ULONG64 Lba, ULONG Count, PVOID Buffer)
{
    TEST_DISK *d = Context;
    d->Reads++;
    if (Count == 0 || Lba >= d->Sectors || Count > d->Sectors - Lba)
        return STATUS_INVALID_PARAMETER;
    if (d->FailLba >= Lba && d->FailLba < Lba + Count)
        return STATUS_DEVICE_DATA_ERROR;
    memcpy(Buffer, d->Data + Lba * d->SectorSize, (size_t)Count * d->SectorSize);
    return STATUS_SUCCESS;
}

/* The writer's callback (fstub.h PFSTUB_WRITE_SECTORS). */
static inline NTSTATUS TdWrite(PVOID Context, ULONG64 Lba, ULONG Count, const VOID *Buffer)
{
    TEST_DISK *d = Context;
    d->Writes++;
    if (Count == 0 || Lba >= d->Sectors || Count > d->Sectors - Lba)
        return STATUS_INVALID_PARAMETER;
    if (d->FailWriteLba >= Lba && d->FailWriteLba < Lba + Count)
        return STATUS_DEVICE_DATA_ERROR;
    memcpy(d->Data + Lba * d->SectorSize, Buffer, (size_t)Count * d->SectorSize);
    return STATUS_SUCCESS;
}

static inline void TdPut16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void TdPut32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void TdPut64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* ---- MBR ---- */
static inline void TdMbrEntry(uint8_t *Sector, int Slot, uint8_t Status, uint8_t Type,
                              uint32_t Start, uint32_t Count)
{
    uint8_t *e = Sector + 446 + 16 * Slot;
    e[0] = Status;
    e[4] = Type;
    TdPut32(e + 8, Start);
    TdPut32(e + 12, Count);
    Sector[510] = 0x55;
    Sector[511] = 0xAA;
}

/* ---- GPT ---- */
typedef struct {
    uint8_t Type[16];
    uint8_t Id[16];
    uint64_t Start, End, Attributes;
    const char *Name;
} TD_GPT_ENTRY;

#define TD_GPT_ENTRIES 128
#define TD_GPT_ENTRY_SIZE 128

/* A GUID's on-disk bytes (mixed endian) from its text-order fields. */
static inline void TdGuid(uint8_t *p, uint32_t d1, uint16_t d2, uint16_t d3, uint64_t d4be)
{
    TdPut32(p, d1);
    TdPut16(p + 4, d2);
    TdPut16(p + 6, d3);
    for (int i = 0; i < 8; i++)
        p[8 + i] = (uint8_t)(d4be >> (56 - 8 * i));
}

static inline void TdGptWriteArray(TEST_DISK *d, uint64_t Lba, const TD_GPT_ENTRY *E, int N)
{
    uint8_t *a = TdSector(d, Lba);
    memset(a, 0, TD_GPT_ENTRIES * TD_GPT_ENTRY_SIZE);
    for (int i = 0; i < N; i++) {
        uint8_t *e = a + i * TD_GPT_ENTRY_SIZE;
        memcpy(e, E[i].Type, 16);
        memcpy(e + 16, E[i].Id, 16);
        TdPut64(e + 32, E[i].Start);
        TdPut64(e + 40, E[i].End);
        TdPut64(e + 48, E[i].Attributes);
        for (int c = 0; E[i].Name && E[i].Name[c] && c < 36; c++)
            TdPut16(e + 56 + 2 * c, (uint8_t)E[i].Name[c]);
    }
}

static inline void TdGptWriteHeader(TEST_DISK *d, uint64_t My, uint64_t Alt, uint64_t ArrayLba,
                                    uint64_t FirstUsable, uint64_t LastUsable)
{
    uint8_t *h = TdSector(d, My);
    memset(h, 0, d->SectorSize);
    memcpy(h, "EFI PART", 8);
    TdPut32(h + 8, 0x00010000);
    TdPut32(h + 12, 92);
    TdPut64(h + 24, My);
    TdPut64(h + 32, Alt);
    TdPut64(h + 40, FirstUsable);
    TdPut64(h + 48, LastUsable);
    TdGuid(h + 56, 0x11223344, 0x5566, 0x7788, 0x99AABBCCDDEEFF00ull);
    TdPut64(h + 72, ArrayLba);
    TdPut32(h + 80, TD_GPT_ENTRIES);
    TdPut32(h + 84, TD_GPT_ENTRY_SIZE);
    TdPut32(h + 88, RtlComputeCrc32(0, TdSector(d, ArrayLba), TD_GPT_ENTRIES * TD_GPT_ENTRY_SIZE));
    TdPut32(h + 16, RtlComputeCrc32(0, h, 92));
}

/* Recomputes a header's CRC after a test changed a field. */
static inline void TdGptResealHeader(TEST_DISK *d, uint64_t Lba)
{
    uint8_t *h = TdSector(d, Lba);
    TdPut32(h + 16, 0);
    TdPut32(h + 16, RtlComputeCrc32(0, h, 92));
}

/* Protective MBR, primary header and array at LBA 1/2, backup array and
 * header at the end, as sgdisk lays a disk out. */
static inline void TdMakeGpt(TEST_DISK *d, const TD_GPT_ENTRY *E, int N)
{
    uint64_t arraySectors = (TD_GPT_ENTRIES * TD_GPT_ENTRY_SIZE) / d->SectorSize;
    uint64_t last = d->Sectors - 1;
    uint64_t first = 2 + arraySectors, lastUsable = last - arraySectors - 1;
    uint64_t mbrCount = d->Sectors - 1 > 0xFFFFFFFFull ? 0xFFFFFFFFull : d->Sectors - 1;

    TdMbrEntry(TdSector(d, 0), 0, 0, 0xEE, 1, (uint32_t)mbrCount);
    TdGptWriteArray(d, 2, E, N);
    TdGptWriteArray(d, last - arraySectors, E, N);
    TdGptWriteHeader(d, 1, last, 2, first, lastUsable);
    TdGptWriteHeader(d, last, 1, last - arraySectors, first, lastUsable);
}

#endif
