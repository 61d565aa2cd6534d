/* host_support.h - what kernel code needs from the rest of the kernel when it
 * runs as a host unit test: a malloc-backed pool with per-tag accounting, a
 * bug check that a test can catch, IRQL and DPC bookkeeping, a clock.
 * Everything in host_support.c is weak so a test can link the real module
 * (e.g. kernel/mm/pool.c) instead. */
#ifndef NTSTOR_HOST_SUPPORT_H
#define NTSTOR_HOST_SUPPORT_H

#include <setjmp.h>
#include <ntdef.h>

/* Set host_bugcheck_jmp to catch KeBugCheckEx; the code lands in
 * host_last_bugcheck.  Unset, a bug check fails the test (abort). */
extern jmp_buf *host_bugcheck_jmp;
extern ULONG host_last_bugcheck;
extern ULONG_PTR host_last_bugcheck_params[4];

/* Host pool accounting (the weak ExAllocatePoolWithTag). */
ULONG64 host_pool_bytes(ULONG Tag);     /* Tag 0 = all tags */
ULONG64 host_pool_allocs(ULONG Tag);    /* outstanding allocations */
/* Make the Nth allocation from now fail (1 = the next one); 0 disables. */
void host_pool_fail_after(ULONG n);

/* DPCs queued with KeInsertQueueDpc run when the test calls this (or at
 * KeLowerIrql below DISPATCH_LEVEL). */
void host_run_dpcs(void);

/* Work items (the weak IoQueueWorkItem) run at PASSIVE_LEVEL, one at a
 * time, as the kernel's worker thread would: when the IRQL drops to
 * PASSIVE_LEVEL (after the DPCs) and when the test thread waits on an
 * event that is not set.  host_hold_work_items keeps them queued across
 * IRQL drops (a test looking at the state in between); waits and
 * host_run_work_items run them anyway. */
extern BOOLEAN host_hold_work_items;
extern ULONG host_work_items_run;
extern KIRQL host_work_item_irql;
void host_run_work_items(void);
ULONG host_work_items_queued(void);
/* IoInvalidateDeviceRelations(BusRelations) calls (the weak one). */
extern ULONG host_bus_relations_invalidated;

#endif
