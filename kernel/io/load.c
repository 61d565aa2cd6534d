/* load.c - the driver lifecycle: load an image, run DriverEntry, and the
 * reverse (DESIGN.md "The driver model"; WDK "DriverEntry's Required
 * Responsibilities" and DRIVER_INITIALIZE).
 *
 * IopLoadDriver(name):
 *   service key \Registry\Machine\System\CurrentControlSet\Services\<name>
 *   -> ImagePath -> the image bytes the boot loader read (KiFindBootFile)
 *   -> LdrLoadImage -> \Driver\<name> (IopCreateDriverObject)
 *   -> DriverEntry(DriverObject, RegistryPath) with RegistryPath in pool;
 *   afterwards the RegistryPath buffer is filled with 0xCC and freed, so a
 *   driver that kept the pointer instead of copying the string reads junk.
 * After a successful DriverEntry the PnP manager's PnpDriverLoaded binds the
 * driver to the device nodes it matches that have no driver yet.
 * A failure status from DriverEntry: the driver object is deleted, devices
 * the driver left are deleted, the image is unloaded, and pool the driver
 * left behind is reported per tag ("driver <n>: leaked 128 bytes tag
 * 'Fail'").  Those allocations are NOT freed: the kernel cannot know which
 * blocks of a tag were the driver's, so they stay as a visible leak.
 *
 * IopUnloadDriver(name): refused while the driver has no DriverUnload
 * (STATUS_INVALID_DEVICE_REQUEST), or a device of it has something attached
 * above, is open, or is a PnP device and no PnP remove hook exists
 * (STATUS_DEVICE_BUSY).  Otherwise: PnP devices get IRP_MN_REMOVE_DEVICE
 * through PnpRemoveDevicesOfDriver, DriverUnload runs, no device may remain,
 * the driver object goes and with it the image (its delete procedure unmaps
 * it, after the last device reference: see driver.c), and pool tags that grew since the
 * load are reported as the driver's leaks (activity of other drivers between
 * load and unload shows up there too: the report says "since load").
 *
 * Pool snapshots flush the I/O manager's IRP/MDL caches first, so a cached
 * IRP is not mistaken for a leak.  Loading another driver is not a leak of
 * the ones already loaded: when a load (with the PnP binding it triggers)
 * finishes, what it grew the pool by is added to the baselines of the
 * drivers loaded before it, and taken off again when it unloads.  A load
 * nested in another (disk loaded while ahci binds its children) is
 * counted once: the outer load's growth is measured against a baseline the
 * nested one already raised.  The same holds for a device the PnP manager
 * starts for a driver after its load (IopBeginDeviceStart/End: the 8042's
 * stack starts after ahci's load; it is i8042prt's growth, not ahci's
 * leak).  A filter loaded inside such a start raises the elders' baselines
 * twice, which can hide a leak but never invents one.
 *
 * Serialization: callers are the boot sequence and the shell, one at a
 * time, at PASSIVE_LEVEL; IopLoadedDrivers has no lock. */
#include <ntos.h>
#include <io.h>
#include <cfg.h>
#include <ldr.h>
#include <rtl.h>

#define IOP_TAG_LOAD      NTSTOR_TAG('I', 'o', 'L', 'd')   /* this file's records */
#define IOP_TAG_REGPATH   NTSTOR_TAG('I', 'o', 'R', 'p')   /* DriverEntry's RegistryPath */
#define IOP_MAX_POOL_TAGS 256
#define IOP_NAME_CHARS    64        /* service names are short words */
#define IOP_PATH_CHARS    CM_SERVICE_STRING_CHARS
#define IOP_POISON_BYTE   0xCC

/* PnP manager hook (kernel/pnp/): sends IRP_MN_REMOVE_DEVICE to every PnP
 * device stack the driver is part of.  Weak: without a PnP manager, a
 * driver with PnP devices cannot be unloaded. */
NTSTATUS PnpRemoveDevicesOfDriver(PDRIVER_OBJECT Driver) __attribute__((weak));
/* PnP manager hook: binds a freshly loaded driver to the device nodes it
 * matches that have no driver (e.g. `load ahci` after `unload ahci`). */
VOID PnpDriverLoaded(PCUNICODE_STRING ServiceName) __attribute__((weak));

static const PCSTR IopDriverStateNames[IopDriverStateCount] = {
    [IopDriverLoaded] = "loaded",
    [IopDriverUnloadRefused] = "unload-refused",
    [IopDriverUnloadFailed] = "unload-failed",
};

typedef struct _IOP_POOL_SNAPSHOT {
    ULONG Count;
    POOL_TAG_INFO Tags[IOP_MAX_POOL_TAGS];
} IOP_POOL_SNAPSHOT;

typedef struct _IOP_LOADED_DRIVER {
    LIST_ENTRY Link;
    char Name[IOP_NAME_CHARS];
    PDRIVER_OBJECT Driver;
    PLDR_IMAGE Image;
    IOP_DRIVER_STATE State;
    ULONG64 LoadUs;
    IOP_POOL_SNAPSHOT *PoolAtLoad;  /* for the leak report at unload; raised by later loads */
    IOP_POOL_SNAPSHOT *Growth;      /* what this load added (NULL: not recorded) */
    ULONG Seq;                      /* load order: lower loaded (began) earlier */
} IOP_LOADED_DRIVER;

static ULONG IopLoadSeq;

static LIST_ENTRY IopLoadedDrivers = { &IopLoadedDrivers, &IopLoadedDrivers };

static VOID IopSetState(IOP_LOADED_DRIVER *Entry, IOP_DRIVER_STATE State)
{
    if (Entry->State != State)
        DbgPrint("driver %s: %s -> %s\n", Entry->Name, IopDriverStateNames[Entry->State],
                 IopDriverStateNames[State]);
    Entry->State = State;
}

static IOP_LOADED_DRIVER *IopFindEntry(PCSTR Name)
{
    for (PLIST_ENTRY e = IopLoadedDrivers.Flink; e != &IopLoadedDrivers; e = e->Flink) {
        IOP_LOADED_DRIVER *d = CONTAINING_RECORD(e, IOP_LOADED_DRIVER, Link);
        if (RtlAsciiCompare((PCHAR)d->Name, Name, TRUE) == 0)
            return d;
    }
    return NULL;
}

/* Service name -> ASCII, refusing what cannot be a key name. */
static NTSTATUS IopServiceNameToAscii(PCUNICODE_STRING ServiceName, char *Name, SIZE_T Size)
{
    ULONG chars;

    if (ServiceName == NULL || ServiceName->Buffer == NULL || ServiceName->Length == 0)
        return STATUS_OBJECT_NAME_INVALID;
    chars = ServiceName->Length / sizeof(WCHAR);
    if (chars >= Size)
        return STATUS_NAME_TOO_LONG;
    for (ULONG i = 0; i < chars; i++) {
        WCHAR c = ServiceName->Buffer[i];
        if (c <= ' ' || c >= 0x7f || c == '\\')
            return STATUS_OBJECT_NAME_INVALID;
        Name[i] = (char)c;
    }
    Name[chars] = 0;
    return STATUS_SUCCESS;
}

static VOID IopTakePoolSnapshot(IOP_POOL_SNAPSHOT *Snapshot)
{
    IopFlushCaches();
    Snapshot->Count = ExQueryPoolTags(Snapshot->Tags, IOP_MAX_POOL_TAGS);
    if (Snapshot->Count > IOP_MAX_POOL_TAGS)
        Snapshot->Count = IOP_MAX_POOL_TAGS;
}

static VOID IopFormatTag(ULONG Tag, char Text[5])
{
    for (ULONG i = 0; i < 4; i++) {
        UCHAR c = (UCHAR)(Tag >> (8 * i));
        Text[i] = (c >= ' ' && c < 0x7f) ? (char)c : '?';
    }
    Text[4] = 0;
}

/* Reports every tag whose bytes in use grew since Before (this file's own
 * tags excepted: its records are still allocated while it reports).
 * Returns the total bytes. */
static ULONG64 IopReportLeaks(PCSTR Name, const IOP_POOL_SNAPSHOT *Before, PCSTR Since)
{
    IOP_POOL_SNAPSHOT *after = ExAllocatePoolWithTag(NonPagedPool, sizeof(*after), IOP_TAG_LOAD);
    ULONG64 total = 0;

    if (after == NULL) {
        DbgPrint("driver %s: no pool to check for leaks\n", Name);
        return 0;
    }
    IopTakePoolSnapshot(after);
    for (ULONG i = 0; i < after->Count; i++) {
        const POOL_TAG_INFO *a = &after->Tags[i];
        ULONG64 before = 0;
        char tag[5];

        if (a->Tag == IOP_TAG_LOAD)
            continue;
        for (ULONG j = 0; j < Before->Count; j++)
            if (Before->Tags[j].Tag == a->Tag) {
                before = Before->Tags[j].BytesInUse;
                break;
            }
        if (a->BytesInUse <= before)
            continue;
        IopFormatTag(a->Tag, tag);
        DbgPrint("driver %s: leaked %llu bytes tag '%s'%s\n", Name,
                 (unsigned long long)(a->BytesInUse - before), tag, Since);
        total += a->BytesInUse - before;
    }
    ExFreePoolWithTag(after, IOP_TAG_LOAD);
    return total;
}

/* Baseline += Sign * Delta, tag by tag (a tag missing from Baseline is
 * added while there is room; bytes stay >= 0). */
static VOID IopAdjustSnapshot(IOP_POOL_SNAPSHOT *Baseline, const IOP_POOL_SNAPSHOT *Delta, LONG Sign)
{
    for (ULONG i = 0; i < Delta->Count; i++) {
        const POOL_TAG_INFO *d = &Delta->Tags[i];
        POOL_TAG_INFO *b = NULL;

        for (ULONG j = 0; j < Baseline->Count && !b; j++)
            if (Baseline->Tags[j].Tag == d->Tag)
                b = &Baseline->Tags[j];
        if (!b) {
            if (Sign < 0 || Baseline->Count >= IOP_MAX_POOL_TAGS)
                continue;
            b = &Baseline->Tags[Baseline->Count++];
            RtlZeroMemory(b, sizeof(*b));
            b->Tag = d->Tag;
        }
        if (Sign > 0)
            b->BytesInUse += d->BytesInUse;
        else
            b->BytesInUse = b->BytesInUse > d->BytesInUse ? b->BytesInUse - d->BytesInUse : 0;
    }
}

/* Now becomes what grew since Before: only the tags that grew, by how
 * much (this file's own records left out). */
static VOID IopGrowthSince(const IOP_POOL_SNAPSHOT *Before, IOP_POOL_SNAPSHOT *Now)
{
    ULONG n = 0;

    for (ULONG i = 0; i < Now->Count; i++) {
        ULONG64 before = 0;
        for (ULONG j = 0; j < Before->Count; j++)
            if (Before->Tags[j].Tag == Now->Tags[i].Tag) {
                before = Before->Tags[j].BytesInUse;
                break;
            }
        if (Now->Tags[i].Tag == IOP_TAG_LOAD || Now->Tags[i].BytesInUse <= before)
            continue;
        Now->Tags[n] = Now->Tags[i];
        Now->Tags[n].BytesInUse -= before;
        n++;
    }
    Now->Count = n;
}

/* Adds Delta to Entry's recorded growth (kept while the driver is loaded,
 * only the tags that grew) and to the baselines of the drivers loaded
 * before it (see the header). */
static VOID IopAddGrowth(IOP_LOADED_DRIVER *Entry, const IOP_POOL_SNAPSHOT *Delta)
{
    ULONG had = Entry->Growth ? Entry->Growth->Count : 0;
    IOP_POOL_SNAPSHOT *growth;

    if (!Delta->Count)
        return;
    growth = ExAllocatePoolWithTag(NonPagedPool, FIELD_OFFSET(IOP_POOL_SNAPSHOT, Tags) +
                                   (had + Delta->Count) * sizeof(POOL_TAG_INFO), IOP_TAG_LOAD);
    if (!growth)
        return;                     /* reports may then blame this growth on others */
    growth->Count = had;
    if (had)
        RtlCopyMemory(growth->Tags, Entry->Growth->Tags, had * sizeof(POOL_TAG_INFO));
    /* Delta merged in: a tag already there grows, a new one is appended
     * (room was made for all of Delta). */
    for (ULONG i = 0; i < Delta->Count; i++) {
        ULONG j = 0;
        while (j < growth->Count && growth->Tags[j].Tag != Delta->Tags[i].Tag)
            j++;
        if (j == growth->Count) {
            growth->Tags[j] = Delta->Tags[i];
            growth->Count++;
        } else {
            growth->Tags[j].BytesInUse += Delta->Tags[i].BytesInUse;
        }
    }
    if (Entry->Growth)
        ExFreePoolWithTag(Entry->Growth, IOP_TAG_LOAD);
    Entry->Growth = growth;
    for (PLIST_ENTRY e = IopLoadedDrivers.Flink; e != &IopLoadedDrivers; e = e->Flink) {
        IOP_LOADED_DRIVER *d = CONTAINING_RECORD(e, IOP_LOADED_DRIVER, Link);
        if (d->Seq < Entry->Seq)
            IopAdjustSnapshot(d->PoolAtLoad, Delta, +1);
    }
}

/* After Entry's load: record its growth over its baseline and raise the
 * baselines of the drivers loaded before it (see the header). */
static VOID IopRecordLoadGrowth(IOP_LOADED_DRIVER *Entry)
{
    IOP_POOL_SNAPSHOT *now = ExAllocatePoolWithTag(NonPagedPool, sizeof(*now), IOP_TAG_LOAD);

    if (now == NULL)
        return;                     /* reports may then blame this load on others */
    IopTakePoolSnapshot(now);
    IopGrowthSince(Entry->PoolAtLoad, now);
    IopAddGrowth(Entry, now);
    ExFreePoolWithTag(now, IOP_TAG_LOAD);
}

PVOID IopBeginDeviceStart(VOID)
{
    IOP_POOL_SNAPSHOT *before = ExAllocatePoolWithTag(NonPagedPool, sizeof(*before), IOP_TAG_LOAD);

    if (before)
        IopTakePoolSnapshot(before);
    return before;
}

VOID IopEndDeviceStart(PDRIVER_OBJECT Driver, PVOID Cookie)
{
    IOP_POOL_SNAPSHOT *before = Cookie, *now;

    if (!before)
        return;
    now = ExAllocatePoolWithTag(NonPagedPool, sizeof(*now), IOP_TAG_LOAD);
    if (now) {
        for (PLIST_ENTRY e = IopLoadedDrivers.Flink; e != &IopLoadedDrivers; e = e->Flink) {
            IOP_LOADED_DRIVER *d = CONTAINING_RECORD(e, IOP_LOADED_DRIVER, Link);
            if (d->Driver == Driver) {
                IopTakePoolSnapshot(now);
                IopGrowthSince(before, now);
                IopAddGrowth(d, now);
                break;
            }
        }
        ExFreePoolWithTag(now, IOP_TAG_LOAD);
    }
    ExFreePoolWithTag(before, IOP_TAG_LOAD);
}

static ULONG IopCountDevices(PDRIVER_OBJECT Driver)
{
    ULONG n = 0;
    KIRQL irql;

    KeAcquireSpinLock(&IopDatabaseLock, &irql);
    for (PDEVICE_OBJECT d = Driver->DeviceObject; d; d = d->NextDevice)
        n++;
    KeReleaseSpinLock(&IopDatabaseLock, irql);
    return n;
}

/* Deletes the devices a driver left behind when DriverEntry failed: their
 * dispatch routines are in the image about to be unmapped. */
static VOID IopDeleteLeftoverDevices(PCSTR Name, PDRIVER_OBJECT Driver)
{
    ULONG n = 0;

    while (Driver->DeviceObject) {
        PDEVICE_OBJECT d = Driver->DeviceObject;
        PDEVICE_OBJECT below = d->DeviceObjectExtension ? d->DeviceObjectExtension->AttachedTo : NULL;
        if (below)
            IoDetachDevice(below);
        IoDeleteDevice(d);
        n++;
        if (Driver->DeviceObject == d)
            break;  /* IoDeleteDevice did not unlink it; do not spin */
    }
    if (n)
        DbgPrint("driver %s: deleted %lu device(s) it left behind\n", Name, (unsigned long)n);
}

/* Builds "<Prefix>\<Name>" in a pool buffer (NUL-terminated). */
static NTSTATUS IopBuildKeyPath(PCSTR Name, PUNICODE_STRING Path, ULONG Tag)
{
    static const WCHAR prefix[] = CM_SERVICES_PATH u"\\";
    SIZE_T nameChars = RtlAsciiLength(Name);
    SIZE_T bytes = sizeof(prefix) + nameChars * sizeof(WCHAR);

    Path->Buffer = ExAllocatePoolWithTag(NonPagedPool, bytes, Tag);
    if (Path->Buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(Path->Buffer, prefix, sizeof(prefix) - sizeof(WCHAR));
    for (SIZE_T i = 0; i < nameChars; i++)
        Path->Buffer[ARRAYSIZE(prefix) - 1 + i] = (UCHAR)Name[i];
    Path->Buffer[ARRAYSIZE(prefix) - 1 + nameChars] = 0;
    Path->Length = (USHORT)(bytes - sizeof(WCHAR));
    Path->MaximumLength = (USHORT)bytes;
    return STATUS_SUCCESS;
}

/* ImagePath of the service, as ASCII, and the image's file name. */
static NTSTATUS IopReadImagePath(PCSTR Name, PCUNICODE_STRING KeyPath, char *ImagePath,
                                 SIZE_T Size)
{
    CM_SERVICE_INFO *info = ExAllocatePoolWithTag(NonPagedPool, sizeof(*info), IOP_TAG_LOAD);
    UNICODE_STRING image;
    NTSTATUS status;

    if (info == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = CmReadServiceInfo(KeyPath, info);
    if (!NT_SUCCESS(status)) {
        DbgPrint("driver %s: cannot read service key Services\\%s: %s\n", Name, Name,
                 RtlNtStatusName(status));
    } else if (!info->HasImagePath || info->ImagePath[0] == 0) {
        DbgPrint("driver %s: service key has no ImagePath\n", Name);
        status = STATUS_OBJECT_NAME_NOT_FOUND;
    } else if (info->Start == SERVICE_DISABLED) {
        DbgPrint("driver %s: service is Disabled (Start)\n", Name);
        status = STATUS_DRIVER_UNABLE_TO_LOAD;
    } else {
        info->ImagePath[CM_SERVICE_STRING_CHARS - 1] = 0;
        RtlInitUnicodeString(&image, info->ImagePath);
        RtlUnicodeToAscii((PCHAR)ImagePath, Size, &image);
    }
    ExFreePoolWithTag(info, IOP_TAG_LOAD);
    return status;
}

static PCSTR IopBaseName(PCSTR Path)
{
    PCSTR base = Path;
    for (PCSTR p = Path; *p; p++)
        if (*p == '\\' || *p == '/')
            base = p + 1;
    return base;
}

/* Verifier = 1 in the service's key: the verifier checks the driver from
 * its DriverEntry on (kernel/io/verifier.c). */
static BOOLEAN IopVerifierWanted(PCSTR Name)
{
    UNICODE_STRING path;
    HANDLE key;
    ULONG on = 0;

    if (!NT_SUCCESS(IopBuildKeyPath(Name, &path, IOP_TAG_LOAD)))
        return FALSE;
    if (NT_SUCCESS(CmOpenKey(&path, &key))) {
        if (!NT_SUCCESS(CmQueryValueUlong(key, u"Verifier", &on, 0)))
            DbgPrint("driver %s: Verifier: not a number; verifier off\n", Name);
        CmCloseKey(key);
    }
    ExFreePoolWithTag(path.Buffer, IOP_TAG_LOAD);
    return on != 0;
}

/* Calls DriverEntry with a pool RegistryPath, poisoned and freed after. */
static NTSTATUS IopCallDriverEntry(PCSTR Name, PDRIVER_OBJECT Driver, PULONG64 EntryUs)
{
    UNICODE_STRING registryPath;
    ULONG64 started;
    NTSTATUS status;

    status = IopBuildKeyPath(Name, &registryPath, IOP_TAG_REGPATH);
    if (!NT_SUCCESS(status))
        return status;
    started = KeQueryTimeUs();
    status = Driver->DriverInit(Driver, &registryPath);
    *EntryUs = KeQueryTimeUs() - started;
    Driver->DriverExtension->Count++;
    /* NT does this fixup and drivers rely on it: a slot DriverEntry set to
     * NULL (a zeroed table copied over MajorFunction, say) goes to the
     * default routine, so an IRP of that kind is refused, not a jump to 0. */
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        if (Driver->MajorFunction[i] == NULL)
            Driver->MajorFunction[i] = IopInvalidDeviceRequest;
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        /* A driver that returns at raised IRQL would wedge the shell. */
        KeBugCheckEx(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, (ULONG_PTR)Driver->DriverInit,
                     KeGetCurrentIrql(), 0, 0);
    }
    RtlFillMemory(registryPath.Buffer, registryPath.MaximumLength, IOP_POISON_BYTE);
    ExFreePoolWithTag(registryPath.Buffer, IOP_TAG_REGPATH);
    return status;
}

NTSTATUS IopLoadDriver(PCUNICODE_STRING ServiceName)
{
    char name[IOP_NAME_CHARS], imagePath[IOP_PATH_CHARS];
    ULONG64 started = KeQueryTimeUs(), entryUs = 0;
    IOP_LOADED_DRIVER *entry;
    const ntstor_boot_file *file;
    UNICODE_STRING keyPath = { 0 };
    PDRIVER_OBJECT driver = NULL;
    NTSTATUS status;

    status = IopServiceNameToAscii(ServiceName, name, sizeof(name));
    if (!NT_SUCCESS(status)) {
        DbgPrint("driver: bad service name: %s\n", RtlNtStatusName(status));
        return status;
    }
    if (IopFindEntry(name)) {
        DbgPrint("driver %s: already loaded\n", name);
        return STATUS_IMAGE_ALREADY_LOADED;
    }

    entry = ExAllocatePoolZero(NonPagedPool, sizeof(*entry), IOP_TAG_LOAD);
    if (entry)
        entry->PoolAtLoad = ExAllocatePoolWithTag(NonPagedPool, sizeof(*entry->PoolAtLoad),
                                                  IOP_TAG_LOAD);
    if (entry == NULL || entry->PoolAtLoad == NULL) {
        if (entry)
            ExFreePoolWithTag(entry, IOP_TAG_LOAD);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlAsciiCopy((PCHAR)entry->Name, sizeof(entry->Name), name);
    InitializeListHead(&entry->Link);
    entry->Seq = ++IopLoadSeq;
    IopTakePoolSnapshot(entry->PoolAtLoad);

    status = IopBuildKeyPath(name, &keyPath, IOP_TAG_LOAD);
    if (NT_SUCCESS(status))
        status = IopReadImagePath(name, &keyPath, imagePath, sizeof(imagePath));
    if (keyPath.Buffer)
        ExFreePoolWithTag(keyPath.Buffer, IOP_TAG_LOAD);
    if (!NT_SUCCESS(status))
        goto fail;

    file = KiFindBootFile(imagePath);
    if (file == NULL) {
        DbgPrint("driver %s: image %s is not among the files the boot loader read\n", name,
                 imagePath);
        status = STATUS_OBJECT_NAME_NOT_FOUND;
        goto fail;
    }
    status = LdrLoadImage(IopBaseName(imagePath), KiBootFileData(file), file->size, &entry->Image);
    if (!NT_SUCCESS(status))
        goto fail;

    status = IopCreateDriverObject(ServiceName, &driver);
    if (!NT_SUCCESS(status)) {
        DbgPrint("driver %s: cannot create \\Driver\\%s: %s\n", name, name,
                 RtlNtStatusName(status));
        goto fail;
    }
    driver->DriverStart = entry->Image->Base;
    driver->DriverSize = (ULONG)entry->Image->Size;
    driver->DriverSection = entry->Image;
    driver->DriverInit = (PDRIVER_INITIALIZE)entry->Image->EntryPoint;
    if (IopVerifierWanted(name)) {
        IopSetDriverVerified(driver, TRUE);
        DbgPrint("driver %s: verifier on\n", name);
    }

    status = IopCallDriverEntry(name, driver, &entryUs);
    if (!NT_SUCCESS(status)) {
        DbgPrint("driver %s: DriverEntry failed %s\n", name, RtlNtStatusName(status));
        IopDeleteLeftoverDevices(name, driver);
        goto fail;
    }

    /* NT marks these after a successful DriverEntry. */
    driver->Flags |= DRVO_INITIALIZED;
    if (driver->DriverExtension && driver->DriverExtension->AddDevice == NULL)
        driver->Flags |= DRVO_LEGACY_DRIVER;
    entry->Driver = driver;
    entry->State = IopDriverLoaded;
    entry->LoadUs = KeQueryTimeUs() - started;
    InsertTailList(&IopLoadedDrivers, &entry->Link);
    DbgPrint("driver %s: loaded %s at %p size 0x%llx, %lu device(s), load+DriverEntry %llu us (DriverEntry %llu us)\n",
             name, entry->Image->Name, entry->Image->Base,
             (unsigned long long)entry->Image->Size, (unsigned long)IopCountDevices(driver),
             (unsigned long long)entry->LoadUs, (unsigned long long)entryUs);
    if (PnpDriverLoaded)
        PnpDriverLoaded(ServiceName);
    IopRecordLoadGrowth(entry);
    return STATUS_SUCCESS;

fail:
    /* The driver object owns the image once it exists (its delete
     * procedure unmaps it). */
    if (driver) {
        IopSetDriverVerified(driver, FALSE);
        IopDeleteDriverObject(driver);
    } else if (entry->Image)
        LdrUnloadImage(entry->Image);
    if (driver)
        IopReportLeaks(name, entry->PoolAtLoad, "");
    ExFreePoolWithTag(entry->PoolAtLoad, IOP_TAG_LOAD);
    ExFreePoolWithTag(entry, IOP_TAG_LOAD);
    return status;
}

/* Can the driver's devices go?  STATUS_SUCCESS, or why not. */
static NTSTATUS IopCheckDevicesRemovable(IOP_LOADED_DRIVER *Entry, BOOLEAN *HasPnpDevices)
{
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL irql;

    *HasPnpDevices = FALSE;
    KeAcquireSpinLock(&IopDatabaseLock, &irql);
    for (PDEVICE_OBJECT d = Entry->Driver->DeviceObject; d; d = d->NextDevice) {
        /* A PnP device: a PDO, or a device attached (maybe through others)
         * to one.  The PnP manager removes the stacks above those itself. */
        BOOLEAN isPnp = (d->Flags & DO_BUS_ENUMERATED_DEVICE) != 0;
        for (PDEVICE_OBJECT s = d; s && s->DeviceObjectExtension && !isPnp;
             s = s->DeviceObjectExtension->AttachedTo)
            isPnp = s->DeviceObjectExtension->DeviceNode != NULL;
        if (d->AttachedDevice && d->AttachedDevice->DriverObject != Entry->Driver &&
            !(isPnp && PnpRemoveDevicesOfDriver)) {
            status = STATUS_DEVICE_BUSY;
            break;
        }
        if (d->ReferenceCount > 0) {
            status = STATUS_DEVICE_BUSY;
            break;
        }
        if (isPnp)
            *HasPnpDevices = TRUE;
    }
    KeReleaseSpinLock(&IopDatabaseLock, irql);
    if (status == STATUS_DEVICE_BUSY)
        DbgPrint("driver %s: a device is open or has another driver's device attached above it\n",
                 Entry->Name);
    if (NT_SUCCESS(status) && *HasPnpDevices && PnpRemoveDevicesOfDriver == NULL) {
        DbgPrint("driver %s: has PnP devices and the PnP manager cannot remove them\n",
                 Entry->Name);
        status = STATUS_DEVICE_BUSY;
    }
    return status;
}

NTSTATUS IopUnloadDriver(PCUNICODE_STRING ServiceName)
{
    char name[IOP_NAME_CHARS];
    IOP_LOADED_DRIVER *entry;
    ULONG64 started = KeQueryTimeUs(), leaked;
    BOOLEAN pnp, verified;
    PVOID unloadRoutine;
    CHAR unloadName[96];
    ULONG left;
    NTSTATUS status;

    status = IopServiceNameToAscii(ServiceName, name, sizeof(name));
    if (!NT_SUCCESS(status))
        return status;
    entry = IopFindEntry(name);
    if (entry == NULL) {
        DbgPrint("driver %s: not loaded\n", name);
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    if (entry->State == IopDriverUnloadFailed) {
        DbgPrint("driver %s: DriverUnload already ran and left devices; the image stays\n", name);
        return STATUS_DEVICE_BUSY;
    }
    if (entry->Driver->DriverUnload == NULL) {
        DbgPrint("driver %s: has no DriverUnload routine\n", name);
        IopSetState(entry, IopDriverUnloadRefused);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    status = IopCheckDevicesRemovable(entry, &pnp);
    if (!NT_SUCCESS(status)) {
        IopSetState(entry, IopDriverUnloadRefused);
        return status;
    }
    if (pnp) {
        status = PnpRemoveDevicesOfDriver(entry->Driver);
        if (!NT_SUCCESS(status)) {
            DbgPrint("driver %s: PnP removal of its devices failed: %s\n", name,
                     RtlNtStatusName(status));
            IopSetState(entry, IopDriverUnloadRefused);
            return STATUS_DEVICE_BUSY;
        }
    }

    entry->Driver->Flags |= DRVO_UNLOAD_INVOKED;
    entry->Driver->DriverUnload(entry->Driver);
    IopVerifierCheckWorkItems(entry->Driver, IopQueuedWorkItems(entry->Driver));
    /* A work item queued before or during DriverUnload still runs the
     * image's code: the image stays until it has (workitem.c). */
    if (IopQueuedWorkItems(entry->Driver)) {
        DbgPrint("driver %s: waiting for %ld queued work item(s)\n", name,
                 (long)IopQueuedWorkItems(entry->Driver));
        while (IopQueuedWorkItems(entry->Driver)) {
            LARGE_INTEGER poll = { .QuadPart = -10000 };    /* 1 ms */
            KeDelayExecutionThread(KernelMode, FALSE, &poll);
        }
    }
    left = IopCountDevices(entry->Driver);
    if (left) {
        /* Its dispatch routines are still reachable: the image must stay. */
        DbgPrint("driver %s: DriverUnload left %lu device(s); driver object and image kept\n",
                 name, (unsigned long)left);
        IopSetState(entry, IopDriverUnloadFailed);
        return STATUS_DEVICE_BUSY;
    }

    RemoveEntryList(&entry->Link);
    /* Nothing else should hold the driver object now (devices gone, no
     * opens); if something does, the image waits for it. */
    if (ObGetReferenceCount(entry->Driver) != 1)
        DbgPrint("driver %s: driver object still referenced; image unmapped at its last reference\n",
                 name);
    verified = IopIsDriverVerified(entry->Driver);
    unloadRoutine = (PVOID)entry->Driver->DriverUnload;
    if (verified)
        IopVerifierNameRoutine(unloadRoutine, unloadName, sizeof(unloadName));
    IopSetDriverVerified(entry->Driver, FALSE);
    IopDeleteDriverObject(entry->Driver);
    leaked = IopReportLeaks(name, entry->PoolAtLoad, " (since load)");
    if (verified)
        IopVerifierCheckPool(name, unloadName, unloadRoutine, leaked);
    /* Its load no longer weighs on the baselines of those loaded before. */
    if (entry->Growth) {
        for (PLIST_ENTRY e = IopLoadedDrivers.Flink; e != &IopLoadedDrivers; e = e->Flink) {
            IOP_LOADED_DRIVER *d = CONTAINING_RECORD(e, IOP_LOADED_DRIVER, Link);
            if (d->Seq < entry->Seq)
                IopAdjustSnapshot(d->PoolAtLoad, entry->Growth, -1);
        }
        ExFreePoolWithTag(entry->Growth, IOP_TAG_LOAD);
    }
    ExFreePoolWithTag(entry->PoolAtLoad, IOP_TAG_LOAD);
    ExFreePoolWithTag(entry, IOP_TAG_LOAD);
    DbgPrint("driver %s: unloaded in %llu us\n", name,
             (unsigned long long)(KeQueryTimeUs() - started));
    return STATUS_SUCCESS;
}

PDRIVER_OBJECT IopFindLoadedDriver(PCUNICODE_STRING ServiceName)
{
    char name[IOP_NAME_CHARS];
    IOP_LOADED_DRIVER *entry;

    if (!NT_SUCCESS(IopServiceNameToAscii(ServiceName, name, sizeof(name))))
        return NULL;
    entry = IopFindEntry(name);
    return entry ? entry->Driver : NULL;
}

ULONG IopQueryLoadedDrivers(IOP_DRIVER_INFO *Info, ULONG Max)
{
    ULONG n = 0;

    for (PLIST_ENTRY e = IopLoadedDrivers.Flink; e != &IopLoadedDrivers; e = e->Flink, n++) {
        IOP_LOADED_DRIVER *d = CONTAINING_RECORD(e, IOP_LOADED_DRIVER, Link);
        if (n >= Max)
            continue;
        RtlAsciiCopy((PCHAR)Info[n].Name, sizeof(Info[n].Name), (PCSTR)d->Name);
        Info[n].Base = d->Image->Base;
        Info[n].Size = d->Image->Size;
        Info[n].Devices = IopCountDevices(d->Driver);
        Info[n].State = d->State;
        Info[n].StateName = IopDriverStateNames[d->State];
        Info[n].LoadUs = d->LoadUs;
    }
    return n;
}
