/* io.h - kernel-internal interface of the I/O manager (kernel/io/): object
 * types, driver object creation for the driver loader, the system-service
 * layer (Nt*File) the shell and benchmarks use, statistics.  The exported
 * half is include/wdm/io.h.
 *
 * Files of kernel/io/:
 *   iomgr.c     IoInitSystem, object types, statistics, configuration counts
 *   driver.c    driver objects and driver object extensions
 *   device.c    device objects, attachment, symbolic links
 *   irp.c       IRP allocation (with a small cache), IoCallDriver
 *   complete.c  IoCompleteRequest
 *   build.c     IoBuild*Request
 *   mdl.c       MDLs (with a small cache)
 *   devqueue.c  KDEVICE_QUEUE
 *   startio.c   IoStartPacket / IoStartNextPacket
 *   cancel.c    the cancel spin lock, IoCancelIrp
 *   interrupt.c IoConnectInterrupt, KeSynchronizeExecution
 *   intrex.c    IoConnectInterruptEx (line / message based, from the PDO's node)
 *   dma.c       DMA adapters: IoGetDmaAdapter, common buffers, S/G lists, map registers
 *   devprop.c   IoOpenDeviceRegistryKey, IoGetDeviceProperty
 *   verifier.c  the driver verifier's checks
 *   vfremlock.c the verifier's remove-lock rule (tags of verified drivers' locks)
 *   removelock.c IoInitializeRemoveLockEx and friends
 *   file.c      file objects: open, cleanup, close
 *   ntapi.c     NtCreateFile, NtReadFile, ... NtClose
 *   load.c      (the driver loader's) DriverEntry / unload flow
 *   shutdown.c  IoRegisterShutdownNotification, IRP_MJ_SHUTDOWN at poweroff
 *   harderr.c   IoReportHardError: driver errors no caller can be told of
 *   profile.c   the per-layer profile of reads and writes (bench profile=1) */
#ifndef NTSTOR_IO_H
#define NTSTOR_IO_H

#include <wdm.h>
#include <ntstor_ioprofile.h>
#include <ntstor_bench_hist.h>
#include "ob.h"

/* Object types, valid after IoInitSystem. */
extern POBJECT_TYPE IoDriverObjectType;   /* "Driver" */
extern POBJECT_TYPE IoDeviceObjectType;   /* "Device" */
extern POBJECT_TYPE IoFileObjectType;     /* "File" */

/* Creates the object types and the IRP/MDL caches.  After ObInitSystem.
 * Bug-checks PHASE1_INITIALIZATION_FAILED if it cannot. */
VOID IoInitSystem(VOID);

/* Pool tags of the I/O manager's allocations. */
#define IOP_TAG_DRIVER   NTSTOR_TAG('I', 'o', 'D', 'r')   /* driver object extensions, names */
#define IOP_TAG_FILE     NTSTOR_TAG('I', 'o', 'F', 'i')   /* file names */
#define IOP_TAG_IRP      NTSTOR_TAG('I', 'r', 'p', ' ')
#define IOP_TAG_MDL      NTSTOR_TAG('M', 'd', 'l', ' ')
#define IOP_TAG_BUFFER   NTSTOR_TAG('I', 'o', 'B', 'f')   /* buffered-I/O system buffers */
#define IOP_TAG_INTERRUPT NTSTOR_TAG('I', 'o', 'I', 'n')
/* Object bodies (the object manager's allocations, per type). */
#define IOP_TAG_DRIVER_OBJECT NTSTOR_TAG('D', 'r', 'i', 'v')
#define IOP_TAG_DEVICE_OBJECT NTSTOR_TAG('D', 'e', 'v', 'i')
#define IOP_TAG_FILE_OBJECT   NTSTOR_TAG('F', 'i', 'l', 'e')

/* ---- driver objects (driver.c) ---- */

/* Creates \Driver\<ServiceName> with every MajorFunction slot set to
 * IopInvalidDeviceRequest, HardwareDatabase pointing at
 * \Registry\Machine\Hardware\Description\System, a DRIVER_EXTENSION whose
 * ServiceKeyName is a copy of ServiceName.  Returns the object with one
 * reference (the namespace keeps it while referenced).
 * STATUS_OBJECT_NAME_COLLISION if a driver of that name exists,
 * STATUS_OBJECT_NAME_INVALID for an empty name or one containing '\'. */
NTSTATUS IopCreateDriverObject(PCUNICODE_STRING ServiceName, PDRIVER_OBJECT *Driver);
/* Drops the creation reference: the object leaves \Driver and, once no
 * device holds it, its driver object extensions are freed.  The caller has
 * deleted the driver's devices (or DriverEntry failed). */
VOID IopDeleteDriverObject(PDRIVER_OBJECT Driver);
/* The default dispatch routine: completes with STATUS_INVALID_DEVICE_REQUEST. */
NTSTATUS IopInvalidDeviceRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp);

/* ---- caches (irp.c, mdl.c) ---- */

/* IRPs with up to this many stack locations come from the IRP cache. */
#define IOP_CACHED_IRP_STACK 8
/* MDLs describing up to this many pages come from the MDL caches
 * (small: a 64 KiB request; large: a 1 MiB one, page-unaligned). */
#define IOP_SMALL_MDL_PAGES 17
#define IOP_LARGE_MDL_PAGES 257
/* Returns every cached IRP and MDL to the pool (leak checks, unit tests). */
VOID IopFlushCaches(VOID);

/* ---- file objects and system services (file.c, ntapi.c) ----
 *
 * These are the kernel's simplified NT system services; all callers are
 * kernel code (the shell, benchmarks, self-tests), so buffers are kernel
 * buffers and there is no probing.  Handles come from the object manager's
 * handle table (ObInsertHandle).
 *
 * Synchronous or asynchronous: a call with Event and ApcRoutine both NULL
 * is synchronous -- it returns the final status and has written IoStatus
 * (it waits when the driver returns STATUS_PENDING).  With an Event or an
 * ApcRoutine it is asynchronous: once the request has been handed to the
 * driver the call returns STATUS_PENDING, always, and exactly once later (or
 * already, if the driver completed it inline) IoStatus is written, Event
 * (a caller-owned KEVENT, not a handle -- ntstor has no event objects) is
 * set and ApcRoutine(ApcContext, IoStatus, 0) is called from
 * IoCompleteRequest (<= DISPATCH_LEVEL, must not block).  Any other return
 * status means the request never reached the driver and nothing will be
 * signalled.  The I/O path allocates nothing from the pool for requests
 * whose IRP and MDL fit the caches.  An ApcRoutine may issue the next
 * request, but a driver that completes inline (polled mode) then calls it
 * back from inside that call: bound the depth (e.g. refill the queue from
 * the caller's loop, not from the routine, when requests finish inline).
 *
 * Callers: PASSIVE_LEVEL (asynchronous reads/writes also at DISPATCH_LEVEL,
 * e.g. from an ApcRoutine keeping a queue full). */

/* Opens Path -- a device (\Device\Harddisk0\DR0), something below a device
 * (\Device\Harddisk0\Partition1 when the partition is not an object of its
 * own: the rest of the path becomes FileObject->FileName), or a symbolic
 * link to either (\??\PhysicalDrive0).  Sends IRP_MJ_CREATE to the top of
 * the device's stack.  DesiredAccess: FILE_READ_DATA/FILE_WRITE_DATA or
 * GENERIC_READ/GENERIC_WRITE/GENERIC_ALL.  ShareAccess is recorded;
 * Options are CreateOptions (FILE_SYNCHRONOUS_IO_NONALERT etc.) passed to
 * the driver.  Errors: the object manager's path errors,
 * STATUS_OBJECT_TYPE_MISMATCH (not a device), STATUS_NO_SUCH_DEVICE (device
 * still initializing or being deleted), STATUS_ACCESS_DENIED (exclusive
 * device already open), or what the driver's create returns. */
NTSTATUS NtCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, PCUNICODE_STRING Path,
                      PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG Options);
/* ByteOffset NULL uses (and for synchronous calls advances) the file's
 * CurrentByteOffset.  STATUS_ACCESS_DENIED without read (write) access,
 * STATUS_DATATYPE_MISALIGNMENT if Buffer breaks the device's
 * AlignmentRequirement, STATUS_INVALID_PARAMETER for a negative offset. */
NTSTATUS NtReadFile(HANDLE FileHandle, PKEVENT Event, PIO_APC_ROUTINE ApcRoutine,
                    PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                    ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NtWriteFile(HANDLE FileHandle, PKEVENT Event, PIO_APC_ROUTINE ApcRoutine,
                     PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                     ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);
/* Buffers per the code's METHOD_* as IoBuildDeviceIoControlRequest. */
NTSTATUS NtDeviceIoControlFile(HANDLE FileHandle, PKEVENT Event, PIO_APC_ROUTINE ApcRoutine,
                               PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock,
                               ULONG IoControlCode, PVOID InputBuffer, ULONG InputBufferLength,
                               PVOID OutputBuffer, ULONG OutputBufferLength);
NTSTATUS NtFlushBuffersFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock);
/* Closes any handle.  For the last handle of a file object: IRP_MJ_CLEANUP,
 * then waits (up to IOP_CLOSE_DRAIN_TIMEOUT_MS) for the file's outstanding
 * asynchronous requests, then the file object's last reference sends
 * IRP_MJ_CLOSE and it goes.  If requests are still outstanding when the
 * wait gives up, the handle is closed all the same (STATUS_SUCCESS) and the
 * I/O manager keeps the file object (FO_IOP_KEPT) until the last of them
 * completes, which drops that reference -- IRP_MJ_CLOSE then, and the
 * device can be removed.  Until each request completes its status block,
 * event, ApcRoutine context and buffer must stay valid: the caller may not
 * reuse or free them just because NtClose returned. */
NTSTATUS NtClose(HANDLE Handle);
/* Polled completion (IoPollDevice in include/wdm/io.h, docs/performance.md).
 * NtSetPolledCompletion(h, TRUE): the caller drives completion of its
 * asynchronous requests on h by calling NtPollFile until they have
 * completed, so a port driver in poll mode hands them to the hardware and
 * returns instead of spinning for each one: several are in flight at once.
 * STATUS_NOT_SUPPORTED if nothing in the file's stack polls (requests then
 * complete as before); FALSE turns it off.  Synchronous requests need none
 * of this: the I/O manager polls while it waits for them.
 * NtPollFile: one look for completions (ApcRoutines and events of finished
 * requests run inside it).  STATUS_SUCCESS if a driver polled -- call again
 * while waiting; STATUS_NOT_SUPPORTED if completions on this file arrive by
 * themselves right now (interrupts): wait instead. */
NTSTATUS NtSetPolledCompletion(HANDLE FileHandle, BOOLEAN CallerPolls);
NTSTATUS NtPollFile(HANDLE FileHandle);

/* Per-layer profile of Nt{Read,Write}File (profile.c, include/ntstor_ioprofile.h;
 * `bench ... profile=1`).  IoStartProfile makes every read and write
 * started from now on carry a stamp record (up to Records in flight; more
 * go unprofiled), IoStopProfile ends that; meanwhile each request that
 * passed every boundary adds its layers' cycles to Sum and Hist (a cycle
 * histogram per layer, index IO_PROFILE_LAYERS the whole: START to DONE).
 * One profile at a time (NULL if one runs).  IoFreeProfile keeps the
 * memory (and says so) while records are still out with unfinished
 * requests.  PASSIVE_LEVEL. */
typedef struct _IO_PROFILE {
    ULONG64 Ios;                /* requests accounted */
    ULONG64 Skipped;            /* finished without passing every boundary (errors) */
    ULONG64 Sum[IO_PROFILE_LAYERS + 1];
    BENCH_HIST Hist[IO_PROFILE_LAYERS + 1];
    ULONG Records, InUse;
    KSPIN_LOCK Lock;            /* the fields above, the free list */
    PIO_PROFILE_RECORD Free;
    IO_PROFILE_RECORD Record[];
} IO_PROFILE, *PIO_PROFILE;

PIO_PROFILE IoStartProfile(ULONG Records);
VOID IoStopProfile(PIO_PROFILE Profile);
VOID IoFreeProfile(PIO_PROFILE Profile);
/* The layers' names for output: "iomgr_submit", "disk", ... */
PCSTR IoProfileLayerName(ULONG Layer);

#define IOP_CLOSE_DRAIN_TIMEOUT_MS 30000

/* FILE_OBJECT.Flags bits private to the I/O manager. */
#define FO_IOP_CREATED 0x80000000   /* IRP_MJ_CREATE succeeded: send IRP_MJ_CLOSE at the end */
#define FO_IOP_KEPT    0x20000000   /* NtClose gave up draining: the I/O manager holds a
                                       reference that the last completion drops */

/* Opens Path into a referenced file object without a handle (file.c; used
 * by NtCreateFile and IoGetDeviceObjectPointer). */
NTSTATUS IopOpenFile(PCUNICODE_STRING Path, ACCESS_MASK DesiredAccess, ULONG ShareAccess,
                     ULONG Options, PIO_STATUS_BLOCK IoStatusBlock, PFILE_OBJECT *FileObject);
/* Drops the reference NtClose kept on a file whose requests outlived the
 * close wait, once (whoever clears FO_IOP_KEPT drops it).  Any IRQL <=
 * DISPATCH_LEVEL. */
VOID IopReleaseKeptFile(PFILE_OBJECT File);
/* Sends a stack-less request (CLEANUP, CLOSE, FLUSH) for FileObject and
 * waits for it.  At PASSIVE_LEVEL. */
NTSTATUS IopSendFileRequest(PFILE_OBJECT FileObject, UCHAR MajorFunction,
                            PIO_STATUS_BLOCK IoStatusBlock);

/* ---- internal helpers shared between files ---- */

/* Builds an I/O-manager IRP for Device's stack with the next location set
 * to MajorFunction and the buffer described as the device wants it
 * (DO_DIRECT_IO: MDL; DO_BUFFERED_IO: system buffer; otherwise UserBuffer).
 * Read/write only; Offset may be NULL (0).  NULL when out of memory. */
PIRP IopBuildReadWriteIrp(UCHAR MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer,
                          ULONG Length, PLARGE_INTEGER Offset);
/* As IoBuildDeviceIoControlRequest without Event/IoStatus. */
PIRP IopBuildIoctlIrp(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer,
                      ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                      BOOLEAN InternalDeviceIoControl);
/* Frees the buffers an I/O-manager IRP owns (system buffer, MDLs). */
VOID IopFreeIrpBuffers(PIRP Irp);

/* The lock guarding device attachment (AttachedDevice/AttachedTo) and each
 * driver's device list.  Taken at DISPATCH_LEVEL, never held across calls
 * into drivers. */
extern KSPIN_LOCK IopDatabaseLock;

/* ---- driver load and unload (load.c, owned by the driver loader) ----
 * ServiceName is the service key's name ("ahci").  IopLoadDriver reads
 * ImagePath from \Registry\Machine\System\CurrentControlSet\Services\<name>,
 * takes the image from the boot files, loads it (kernel/ldr/), creates
 * \Driver\<name> and calls DriverEntry.  IopUnloadDriver calls DriverUnload
 * and removes driver object and image; it refuses (STATUS_DEVICE_BUSY,
 * STATUS_INVALID_DEVICE_REQUEST) when that cannot be done safely.
 * PASSIVE_LEVEL; serialized by the callers (boot, then the shell). */
NTSTATUS IopLoadDriver(PCUNICODE_STRING ServiceName);
NTSTATUS IopUnloadDriver(PCUNICODE_STRING ServiceName);
/* A device the PnP manager starts for Driver after its load (AddDevice,
 * filters, START_DEVICE): what that grows the pool by is Driver's, as its
 * load's own, not a leak of the drivers loaded before it.  Begin returns a
 * cookie (NULL without memory) that End consumes.  PASSIVE_LEVEL. */
PVOID IopBeginDeviceStart(VOID);
VOID IopEndDeviceStart(PDRIVER_OBJECT Driver, PVOID Cookie);
/* The driver object of a driver IopLoadDriver loaded, or NULL. */
PDRIVER_OBJECT IopFindLoadedDriver(PCUNICODE_STRING ServiceName);
/* The PnP manager's surprise removal (device.c): every device of the stack
 * above Pdo gets DOE_REMOVE_PENDING -- no new opens, nothing attaches --
 * and the close of its last file calls PnpDeviceClosed. */
VOID IopMarkStackRemovePending(PDEVICE_OBJECT Pdo);

/* The verifier (kernel/io/verifier.c).  Parameter 1 of
 * DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4): which rule.  0x62 is NT's
 * number for pool left at unload; the others are ntstor's own. */
#define VF_POOL_AT_UNLOAD        0x62
#define VF_PENDING_NOT_MARKED    0x1000
#define VF_MARKED_NOT_PENDING    0x1001
#define VF_IRQL_CHANGED          0x1002
#define VF_SPIN_LOCK_HELD        0x1003
#define VF_COMPLETION_IRQL       0x1004
#define VF_WORK_ITEMS_AT_UNLOAD  0x1005
/* IoReleaseRemoveLock(Ex) or ...AndWait with a tag that holds none on a
 * remove lock a verified driver initialized: P2 the driver object, P3 the
 * IO_REMOVE_LOCK, P4 the tag (kernel/io/vfremlock.c). */
#define VF_REMOVE_LOCK_RELEASE   0x1006
BOOLEAN IopIsDriverVerified(PDRIVER_OBJECT Driver);
VOID IopSetDriverVerified(PDRIVER_OBJECT Driver, BOOLEAN On);
VOID IopVerifierCheckWorkItems(PDRIVER_OBJECT Driver, LONG WorkItems);
/* The pool check runs after the image is gone: name the routine before. */
VOID IopVerifierNameRoutine(PVOID Routine, PCHAR Buffer, SIZE_T Size);
VOID IopVerifierCheckPool(PCSTR Service, PCSTR UnloadName, PVOID Unload, ULONG64 LeakedBytes);

/* ---- shutdown (shutdown.c) ----
 * Registrations and in-flight IRP_MJ_SHUTDOWN requests. */
#define IOP_TAG_SHUTDOWN NTSTOR_TAG('I', 'o', 'S', 'd')
/* Sends IRP_MJ_SHUTDOWN to every registered device, newest first, waiting
 * up to 10 s for each.  The kernel's shutdown callback (KeRunShutdownCallbacks
 * runs it at poweroff/reboot); PASSIVE_LEVEL. */
VOID IopShutdownSystem(PVOID Context);

/* ---- hard errors (harderr.c) ----
 * What IoReportHardError (include/wdm/io.h) queued, oldest first, for the
 * shell to print as `error: <command> <What>: <STATUS> (<Why>)`. */
#define IOP_HARD_ERRORS 8
typedef struct _IOP_HARD_ERROR {
    NTSTATUS Status;
    CHAR What[96];
    CHAR Why[64];
} IOP_HARD_ERROR;
/* TRUE with the oldest report taken out of the queue.  *Lost: reports
 * that found the queue full since the last call (in the log only). */
BOOLEAN IopTakeHardError(IOP_HARD_ERROR *Error, PULONG Lost);

/* IoQueueWorkItem items of Driver queued or running (workitem.c); the
 * unload waits for zero before the image goes. */
LONG IopQueuedWorkItems(PDRIVER_OBJECT Driver);

#endif /* NTSTOR_IO_H */
