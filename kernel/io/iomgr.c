/* iomgr.c - I/O manager initialization: the Driver, Device and File object
 * types, the caches, statistics and the configuration counts. */
#include "iop.h"

POBJECT_TYPE IoDriverObjectType;
POBJECT_TYPE IoDeviceObjectType;
POBJECT_TYPE IoFileObjectType;

static CONFIGURATION_INFORMATION IopConfigurationInformation;

static POBJECT_TYPE IopCreateType(PCWSTR Name, POB_DELETE_PROCEDURE Delete, ULONG Tag)
{
    OBJECT_TYPE_INITIALIZER Init;
    POBJECT_TYPE Type;
    NTSTATUS Status;

    RtlZeroMemory(&Init, sizeof(Init));
    Init.DeleteProcedure = Delete;
    Init.PoolTag = Tag;
    Status = ObCreateObjectType(Name, &Init, &Type);
    if (!NT_SUCCESS(Status))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, (ULONG_PTR)Status, (ULONG_PTR)Name, 0x10, 0);
    return Type;
}

VOID IoInitSystem(VOID)
{
    KeInitializeSpinLock(&IopDatabaseLock);
    IopInitCancel();
    IopInitIrpCache();
    IopInitMdlCache();
    IopInitInterrupts();
    IopInitVerifier();
    RtlZeroMemory(&IopConfigurationInformation, sizeof(IopConfigurationInformation));

    IoDriverObjectType = IopCreateType(u"Driver", IopDeleteDriverProcedure, IOP_TAG_DRIVER_OBJECT);
    IoDeviceObjectType = IopCreateType(u"Device", IopDeleteDeviceProcedure, IOP_TAG_DEVICE_OBJECT);
    IoFileObjectType = IopCreateType(u"File", IopDeleteFileProcedure, IOP_TAG_FILE_OBJECT);
}

VOID IopFlushCaches(VOID)
{
    IopFlushIrpCache();
    IopFlushMdlCache();
}

PCONFIGURATION_INFORMATION IoGetConfigurationInformation(VOID)
{
    return &IopConfigurationInformation;
}
