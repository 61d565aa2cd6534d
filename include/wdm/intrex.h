/* wdm/intrex.h - IoConnectInterruptEx and IoDisconnectInterruptEx, as in
 * the WDK (kernel/io/intrex.c).  The PnP manager knows a PCI function's
 * interrupts, so a driver names its PDO instead of copying vectors out of
 * the start resources:
 *
 *   CONNECT_FULLY_SPECIFIED  the caller gives Vector/Irql (IoConnectInterrupt's
 *                            arguments in a structure).
 *   CONNECT_LINE_BASED       the PDO's line-based (INTx or ISA) interrupt.  For
 *                            a PCI function it is routed even when MSI was
 *                            assigned, so a driver can fall back to it; it must
 *                            then switch MSI off and INTx on in config space
 *                            (kernel/include/pnp.h).
 *   CONNECT_MESSAGE_BASED    the PDO's message interrupt (one MSI message in
 *                            ntstor); *InterruptMessageTable describes it.
 *                            Without one, FallBackServiceRoutine (if set) is
 *                            connected line-based and Version comes back as
 *                            CONNECT_LINE_BASED with the KINTERRUPT in
 *                            *ConnectionContext.InterruptObject, as NT does.
 * Disconnect with IoDisconnectInterruptEx and the Version the connect left.
 * PASSIVE_LEVEL.  IoConnectInterrupt stays as it is. */
#ifndef NTSTOR_WDM_INTREX_H
#define NTSTOR_WDM_INTREX_H

#include <wdm/io.h>

#define CONNECT_FULLY_SPECIFIED        0x1
#define CONNECT_LINE_BASED             0x2
#define CONNECT_MESSAGE_BASED          0x3
#define CONNECT_FULLY_SPECIFIED_GROUP  0x4
#define CONNECT_CURRENT_VERSION        0x3

typedef BOOLEAN KMESSAGE_SERVICE_ROUTINE(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG MessageId);
typedef KMESSAGE_SERVICE_ROUTINE *PKMESSAGE_SERVICE_ROUTINE;

typedef enum _KINTERRUPT_POLARITY {
    InterruptPolarityUnknown = 0,
    InterruptActiveHigh = 1,
    InterruptActiveLow = 2,
} KINTERRUPT_POLARITY;

typedef struct _IO_INTERRUPT_MESSAGE_INFO_ENTRY {
    PHYSICAL_ADDRESS MessageAddress;
    KAFFINITY TargetProcessorSet;
    PKINTERRUPT InterruptObject;
    ULONG MessageData;
    ULONG Vector;
    KIRQL Irql;
    KINTERRUPT_MODE Mode;
    KINTERRUPT_POLARITY Polarity;
} IO_INTERRUPT_MESSAGE_INFO_ENTRY, *PIO_INTERRUPT_MESSAGE_INFO_ENTRY;

typedef struct _IO_INTERRUPT_MESSAGE_INFO {
    KIRQL UnifiedIrql;
    ULONG MessageCount;
    IO_INTERRUPT_MESSAGE_INFO_ENTRY MessageInfo[1];
} IO_INTERRUPT_MESSAGE_INFO, *PIO_INTERRUPT_MESSAGE_INFO;

typedef struct _IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS {
    PDEVICE_OBJECT PhysicalDeviceObject;
    PKINTERRUPT *InterruptObject;
    PKSERVICE_ROUTINE ServiceRoutine;
    PVOID ServiceContext;
    PKSPIN_LOCK SpinLock;
    KIRQL SynchronizeIrql;
    BOOLEAN FloatingSave;
    BOOLEAN ShareVector;
    ULONG Vector;
    KIRQL Irql;
    KINTERRUPT_MODE InterruptMode;
    KAFFINITY ProcessorEnableMask;
    USHORT Group;
} IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;

typedef struct _IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS {
    PDEVICE_OBJECT PhysicalDeviceObject;
    PKINTERRUPT *InterruptObject;
    PKSERVICE_ROUTINE ServiceRoutine;
    PVOID ServiceContext;
    PKSPIN_LOCK SpinLock;
    KIRQL SynchronizeIrql;      /* 0: the interrupt's own IRQL */
    BOOLEAN FloatingSave;
} IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;

typedef struct _IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS {
    PDEVICE_OBJECT PhysicalDeviceObject;
    union {
        PVOID *Generic;
        PIO_INTERRUPT_MESSAGE_INFO *InterruptMessageTable;
        PKINTERRUPT *InterruptObject;
    } ConnectionContext;
    PKMESSAGE_SERVICE_ROUTINE MessageServiceRoutine;
    PVOID ServiceContext;
    PKSPIN_LOCK SpinLock;
    KIRQL SynchronizeIrql;      /* 0: the interrupt's own IRQL */
    BOOLEAN FloatingSave;
    PKSERVICE_ROUTINE FallBackServiceRoutine;
} IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;

typedef struct _IO_CONNECT_INTERRUPT_PARAMETERS {
    ULONG Version;              /* CONNECT_*; may come back changed (see above) */
    union {
        IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS FullySpecified;
        IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS LineBased;
        IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS MessageBased;
    };
} IO_CONNECT_INTERRUPT_PARAMETERS, *PIO_CONNECT_INTERRUPT_PARAMETERS;

typedef struct _IO_DISCONNECT_INTERRUPT_PARAMETERS {
    ULONG Version;
    union {
        PVOID Generic;
        PKINTERRUPT InterruptObject;
        PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
    } ConnectionContext;
} IO_DISCONNECT_INTERRUPT_PARAMETERS, *PIO_DISCONNECT_INTERRUPT_PARAMETERS;

/* STATUS_INVALID_PARAMETER for a bad structure or an unknown Version,
 * STATUS_INVALID_DEVICE_REQUEST when the device object is no PDO the PnP
 * manager enumerated, STATUS_NOT_FOUND when the PDO has no interrupt of the
 * kind asked for (and, for MESSAGE_BASED, no fallback). */
NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters);
VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters);

#endif /* NTSTOR_WDM_INTREX_H */
