/* interrupt.c - device vectors: allocation by IRQL, connecting ISRs (shared
 * vectors call every routine), and the dispatch path every device interrupt
 * takes.  The IRQL <-> vector mapping is explained in irql.c.
 *
 * Connections live in a fixed table so connecting works before the pool
 * exists and the dispatch path never touches the allocator.  The table and
 * the per-vector chains change only with interrupts disabled. */
#include "ki.h"

#define KI_MAX_CONNECTIONS 64
#define KI_VECTOR_CLASS(v) ((v) >> 4)

typedef struct _KI_CONNECTION {
    struct _KI_CONNECTION *Next;
    PKE_VECTOR_ROUTINE Routine;
    PVOID Context;
    ULONG Vector;
    BOOLEAN InUse;
} KI_CONNECTION;

static KI_CONNECTION KiConnections[KI_MAX_CONNECTIONS];
static KI_CONNECTION *KiVectorChain[256];
static BOOLEAN KiVectorAllocated[256];
/* Interrupts taken per vector; no routine claimed them. */
static ULONG64 KiVectorCount[256];
static ULONG64 KiVectorUnclaimed[256];

KIRQL KeVectorToIrql(ULONG Vector)
{
    if (Vector >= 0xF0)
        return CLOCK_LEVEL;
    if (Vector >= 0x50)
        return (KIRQL)(KI_VECTOR_CLASS(Vector) - 2);
    return DEVICE_LEVEL_MIN;
}

ULONG KeAllocateVector(KIRQL Irql)
{
    ULONG First;

    if (Irql >= DEVICE_LEVEL_MIN && Irql <= DEVICE_LEVEL_MAX)
        First = (ULONG)(Irql + 2) << 4;
    else if (Irql == CLOCK_LEVEL)
        First = 0xF0;
    else
        return 0;

    ULONG64 Flags = KiDisableInterrupts();
    for (ULONG v = First; v < First + 16; v++) {
        if (v == KI_SPURIOUS_VECTOR || v == KI_CLOCK_VECTOR || KiVectorAllocated[v])
            continue;
        KiVectorAllocated[v] = TRUE;
        KiRestoreInterrupts(Flags);
        return v;
    }
    KiRestoreInterrupts(Flags);
    return 0;
}

VOID KeFreeVector(ULONG Vector)
{
    if (Vector < KI_FIRST_DEVICE_VECTOR || Vector > 0xFF || !KiVectorAllocated[Vector]) {
        DbgPrint("ke: KeFreeVector(0x%x): vector not allocated, ignored\n", Vector);
        return;
    }
    if (KiVectorChain[Vector])
        DbgPrint("ke: KeFreeVector(0x%x): routines still connected\n", Vector);
    KiVectorAllocated[Vector] = FALSE;
}

PVOID KeConnectVector(ULONG Vector, PKE_VECTOR_ROUTINE Routine, PVOID Context)
{
    if (Vector < KI_FIRST_DEVICE_VECTOR || Vector >= KI_SPURIOUS_VECTOR || !Routine) {
        DbgPrint("ke: KeConnectVector(0x%x): not a device vector\n", Vector);
        return NULL;
    }

    ULONG64 Flags = KiDisableInterrupts();
    KI_CONNECTION *Connection = NULL;
    for (ULONG i = 0; i < KI_MAX_CONNECTIONS; i++) {
        if (!KiConnections[i].InUse) {
            Connection = &KiConnections[i];
            break;
        }
    }
    if (!Connection) {
        KiRestoreInterrupts(Flags);
        DbgPrint("ke: KeConnectVector(0x%x): all %u connections in use\n",
                 Vector, KI_MAX_CONNECTIONS);
        return NULL;
    }
    Connection->Routine = Routine;
    Connection->Context = Context;
    Connection->Vector = Vector;
    Connection->Next = NULL;
    Connection->InUse = TRUE;
    /* Append: routines run in connection order. */
    KI_CONNECTION **Link = &KiVectorChain[Vector];
    while (*Link)
        Link = &(*Link)->Next;
    *Link = Connection;
    KiRestoreInterrupts(Flags);
    return Connection;
}

VOID KeDisconnectVector(PVOID Cookie)
{
    KI_CONNECTION *Connection = Cookie;

    if (Connection < &KiConnections[0] || Connection >= &KiConnections[KI_MAX_CONNECTIONS] ||
        !Connection->InUse) {
        DbgPrint("ke: KeDisconnectVector(%p): not a connection, ignored\n", Cookie);
        return;
    }
    ULONG64 Flags = KiDisableInterrupts();
    for (KI_CONNECTION **Link = &KiVectorChain[Connection->Vector]; *Link; Link = &(*Link)->Next) {
        if (*Link == Connection) {
            *Link = Connection->Next;
            break;
        }
    }
    Connection->InUse = FALSE;
    Connection->Next = NULL;
    KiRestoreInterrupts(Flags);
}

ULONG64 KeQueryVectorCount(ULONG Vector, PULONG64 Unclaimed)
{
    if (Vector > 0xFF)
        return 0;
    if (Unclaimed)
        *Unclaimed = KiVectorUnclaimed[Vector];
    return KiVectorCount[Vector];
}

/* Entered from KiTrapDispatch with interrupts disabled. */
VOID KiInterruptDispatch(PKTRAP_FRAME TrapFrame)
{
    ULONG Vector = (ULONG)TrapFrame->Vector;

    /* The APIC's spurious vector: no ISR bit was set, so no EOI
     * (SDM vol. 3 10.9). */
    if (Vector == KI_SPURIOUS_VECTOR)
        return;

    KiVectorCount[Vector]++;
    KIRQL Old = KiCurrentIrql;
    KIRQL Irql = KeVectorToIrql(Vector);
    /* The TPR lets through only vectors above the current IRQL; never
     * lower the level if something else got here. */
    if (Irql < Old)
        Irql = Old;
    KiSetIrql(Irql);

    /* Higher vectors may nest while the routines run. */
    KiEnable();
    BOOLEAN Claimed = FALSE;
    for (KI_CONNECTION *Connection = KiVectorChain[Vector]; Connection; Connection = Connection->Next)
        Claimed |= Connection->Routine(Connection->Context);
    KiDisable();
    if (!Claimed)
        KiVectorUnclaimed[Vector]++;

    if (KiCurrentIrql != Irql)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, KiCurrentIrql, Irql, 3, Vector);

    HalEndOfInterrupt();
    KiSetIrql(Old);

    /* Back to code below DISPATCH_LEVEL: run what the ISRs queued, and a
     * thread switch they caused, as the DISPATCH software interrupt would.  Interrupts stay off between the
     * last check and the return (iretq restores IF). */
    while (Old < DISPATCH_LEVEL && (KiDpcPending() || KiSwitchPending())) {
        KiSetIrql(DISPATCH_LEVEL);
        KiEnable();
        KiRetireDpcList();
        /* Preemption: the interrupted thread's trap frame stays on its
         * stack, and it returns through it when it runs again (sched.c). */
        if (KiSwitchPending())
            KiDispatchPending();
        KiDisable();
        KiSetIrql(Old);
    }
}
