/* port.h - I/O port access for drivers, as the WDK's READ_PORT_UCHAR /
 * WRITE_PORT_UCHAR, _USHORT and _ULONG (HAL routines in NT; inline here:
 * x86 IN/OUT need no HAL).  Port is a CmResourceTypePort resource's
 * address. */
#ifndef NTSTOR_WDM_PORT_H
#define NTSTOR_WDM_PORT_H

#include <ntdef.h>

static inline UCHAR READ_PORT_UCHAR(PUCHAR Port)
{
    UCHAR v;
    __asm__ volatile("inb %w1, %0" : "=a"(v) : "Nd"((USHORT)(ULONG_PTR)Port));
    return v;
}

static inline VOID WRITE_PORT_UCHAR(PUCHAR Port, UCHAR Value)
{
    __asm__ volatile("outb %0, %w1" :: "a"(Value), "Nd"((USHORT)(ULONG_PTR)Port));
}

static inline USHORT READ_PORT_USHORT(PUSHORT Port)
{
    USHORT v;
    __asm__ volatile("inw %w1, %0" : "=a"(v) : "Nd"((USHORT)(ULONG_PTR)Port));
    return v;
}

static inline VOID WRITE_PORT_USHORT(PUSHORT Port, USHORT Value)
{
    __asm__ volatile("outw %0, %w1" :: "a"(Value), "Nd"((USHORT)(ULONG_PTR)Port));
}

static inline ULONG READ_PORT_ULONG(PULONG Port)
{
    ULONG v;
    __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"((USHORT)(ULONG_PTR)Port));
    return v;
}

static inline VOID WRITE_PORT_ULONG(PULONG Port, ULONG Value)
{
    __asm__ volatile("outl %0, %w1" :: "a"(Value), "Nd"((USHORT)(ULONG_PTR)Port));
}

#endif
