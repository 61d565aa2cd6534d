/* wdm/intrin.h - the WDK's interlocked operations, memory barriers and
 * memory-mapped register access, inline (compiler builtins; x86-64).
 * Drivers use these instead of private __atomic/asm helpers.
 *
 * Interlocked*: full barriers (sequentially consistent), return values as
 * the WDK's (Increment/Decrement/Add return the NEW value, Exchange and
 * ExchangeAdd/Or/And the OLD one, CompareExchange the value found).
 * READ_REGISTER_x/WRITE_REGISTER_x: one volatile access of that width,
 * with a compiler barrier before it so that stores to DMA structures are
 * emitted before the doorbell write that hands them to the device (x86
 * keeps stores in order; the compiler must too). */
#ifndef NTSTOR_WDM_INTRIN_H
#define NTSTOR_WDM_INTRIN_H

#include <ntdef.h>

#define InterlockedIncrement(p)             __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)
#define InterlockedDecrement(p)             __atomic_sub_fetch((p), 1, __ATOMIC_SEQ_CST)
#define InterlockedAdd(p, v)                __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define InterlockedExchangeAdd(p, v)        __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define InterlockedExchange(p, v)           __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define InterlockedOr(p, v)                 __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define InterlockedAnd(p, v)                __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define InterlockedXor(p, v)                __atomic_fetch_xor((p), (v), __ATOMIC_SEQ_CST)
#define InterlockedIncrement64              InterlockedIncrement
#define InterlockedDecrement64              InterlockedDecrement
#define InterlockedAdd64                    InterlockedAdd
#define InterlockedExchangeAdd64            InterlockedExchangeAdd
#define InterlockedExchange64               InterlockedExchange
#define InterlockedOr64                     InterlockedOr
#define InterlockedAnd64                    InterlockedAnd

static inline LONG InterlockedCompareExchange(volatile LONG *Destination, LONG Exchange, LONG Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

static inline LONG64 InterlockedCompareExchange64(volatile LONG64 *Destination, LONG64 Exchange, LONG64 Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID Exchange, PVOID Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

static inline PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

/* Barriers: KeMemoryBarrier orders everything (MFENCE on x86-64);
 * KeMemoryBarrierWithoutFence and _ReadWriteBarrier only the compiler. */
#define KeMemoryBarrier()               __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence()   __asm__ volatile("" ::: "memory")
#define _ReadWriteBarrier()             __asm__ volatile("" ::: "memory")
#define MemoryBarrier()                 KeMemoryBarrier()
#define KeFlushIoBuffers(Mdl, ReadOperation, DmaOperation) ((void)(Mdl), (void)0)  /* coherent */

#define NTSTOR_DEFINE_REGISTER(Suffix, Type)                                        \
    static inline Type READ_REGISTER_##Suffix(volatile Type *Register)              \
    {                                                                               \
        __asm__ volatile("" ::: "memory");                                          \
        return *Register;                                                           \
    }                                                                               \
    static inline VOID WRITE_REGISTER_##Suffix(volatile Type *Register, Type Value) \
    {                                                                               \
        __asm__ volatile("" ::: "memory");                                          \
        *Register = Value;                                                          \
    }
NTSTOR_DEFINE_REGISTER(UCHAR, UCHAR)
NTSTOR_DEFINE_REGISTER(USHORT, USHORT)
NTSTOR_DEFINE_REGISTER(ULONG, ULONG)
NTSTOR_DEFINE_REGISTER(ULONG64, ULONG64)
#undef NTSTOR_DEFINE_REGISTER

#endif /* NTSTOR_WDM_INTRIN_H */
