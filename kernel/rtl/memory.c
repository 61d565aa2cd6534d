/* memory.c - the four routines GCC may emit calls to in freestanding code,
 * plus RtlCompareMemory.  Kernel code uses the Rtl* macros, which expand to
 * __builtin_mem*; these are what the builtins fall back to.
 *
 * Bulk work moves 8 bytes per iteration (rep movsq/stosq) and only the tail
 * goes bytewise: under QEMU's TCG every iteration of a rep string
 * instruction is emulated separately, so this is up to 8 times faster there
 * (docs/performance.md), and no slower on hardware.
 *
 * The implementations carry Rtlp names so the host unit tests can call them
 * beside the C library's; in the kernel memcpy/memmove/memset/memcmp are
 * aliases of them. */
#include <ntos.h>

void *RtlpMemCopy(void *d, const void *s, size_t n);
void *RtlpMemMove(void *d, const void *s, size_t n);
void *RtlpMemFill(void *d, int c, size_t n);
int RtlpMemCompare(const void *a, const void *b, size_t n);

void *RtlpMemCopy(void *d, const void *s, size_t n)
{
    void *ret = d;
    size_t q = n >> 3, r = n & 7;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) :: "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(r) :: "memory");
    return ret;
}

void *RtlpMemMove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp == sp || n == 0)
        return d;
    if (dp < sp || dp >= sp + n)
        return RtlpMemCopy(d, s, n);
    /* Overlap with the destination above the source: copy backwards, a
     * byte at a time (rare: only RtlMoveMemory within one buffer). */
    dp += n - 1;
    sp += n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(dp), "+S"(sp), "+c"(n) :: "memory");
    return d;
}

void *RtlpMemFill(void *d, int c, size_t n)
{
    void *ret = d;
    size_t q = n >> 3, r = n & 7;
    unsigned long long v = 0x0101010101010101ULL * (unsigned char)c;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(v) : "memory");
    return ret;
}

int RtlpMemCompare(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

#ifndef NTSTOR_HOST_TEST
void *memcpy(void *d, const void *s, size_t n) __attribute__((alias("RtlpMemCopy")));
void *memmove(void *d, const void *s, size_t n) __attribute__((alias("RtlpMemMove")));
void *memset(void *d, int c, size_t n) __attribute__((alias("RtlpMemFill")));
int memcmp(const void *a, const void *b, size_t n) __attribute__((alias("RtlpMemCompare")));
#endif

SIZE_T RtlCompareMemory(const VOID *a, const VOID *b, SIZE_T n)
{
    const UCHAR *x = a, *y = b;
    SIZE_T i = 0;
    while (i < n && x[i] == y[i])
        i++;
    return i;
}
