/* ntddstor.h - storage-class IOCTLs (the WDK's ntddstor.h subset ntstor
 * uses): device property queries, device numbers and data-set management
 * (TRIM).  Names, codes and structure shapes are NT's. */
#ifndef NTSTOR_NTDDSTOR_H
#define NTSTOR_NTDDSTOR_H

#include <ntdef.h>

#include <devioctl.h>

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID, *PGUID;
#endif

/* The disk interface class (WDK ntddstor.h): disk.sys registers it for
 * every disk; IoGetDeviceInterfaces lists the disks. */
static const GUID GUID_DEVINTERFACE_DISK __attribute__((unused)) = {
    0x53f56307, 0xb6bf, 0x11d0, { 0x94, 0xf2, 0x00, 0xa0, 0xc9, 0x1e, 0xfb, 0x8b } };

#define IOCTL_STORAGE_BASE 0x0000002d   /* FILE_DEVICE_MASS_STORAGE */

#define IOCTL_STORAGE_CHECK_VERIFY       CTL_CODE(IOCTL_STORAGE_BASE, 0x0200, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_STORAGE_GET_DEVICE_NUMBER  CTL_CODE(IOCTL_STORAGE_BASE, 0x0420, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_STORAGE_QUERY_PROPERTY     CTL_CODE(IOCTL_STORAGE_BASE, 0x0500, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES CTL_CODE(IOCTL_STORAGE_BASE, 0x0501, METHOD_BUFFERED, FILE_WRITE_ACCESS)

/* IOCTL_STORAGE_GET_DEVICE_NUMBER output. */
typedef struct _STORAGE_DEVICE_NUMBER {
    ULONG DeviceType;               /* FILE_DEVICE_DISK */
    ULONG DeviceNumber;             /* n of \Device\Harddisk<n> */
    ULONG PartitionNumber;          /* 0 = the whole disk */
} STORAGE_DEVICE_NUMBER, *PSTORAGE_DEVICE_NUMBER;

/* IOCTL_STORAGE_QUERY_PROPERTY input. */
typedef enum _STORAGE_PROPERTY_ID {
    StorageDeviceProperty = 0,
    StorageAdapterProperty = 1,
    StorageDeviceIdProperty = 2,
    StorageDeviceUniqueIdProperty = 3,
    StorageDeviceWriteCacheProperty = 4,
    StorageMiniportProperty = 5,
    StorageAccessAlignmentProperty = 6,
    StorageDeviceSeekPenaltyProperty = 7,
    StorageDeviceTrimProperty = 8,
} STORAGE_PROPERTY_ID;

typedef enum _STORAGE_QUERY_TYPE {
    PropertyStandardQuery = 0,      /* return the descriptor */
    PropertyExistsQuery = 1,        /* STATUS_SUCCESS if the property exists */
    PropertyMaskQuery = 2,
    PropertyQueryMaxDefined = 3,
} STORAGE_QUERY_TYPE;

typedef struct _STORAGE_PROPERTY_QUERY {
    STORAGE_PROPERTY_ID PropertyId;
    STORAGE_QUERY_TYPE QueryType;
    UCHAR AdditionalParameters[1];
} STORAGE_PROPERTY_QUERY, *PSTORAGE_PROPERTY_QUERY;

/* Every descriptor starts with Version (= sizeof the structure) and Size
 * (bytes of the full descriptor, which may be more than the caller gave:
 * ask with a STORAGE_DESCRIPTOR_HEADER first, then with Size bytes). */
typedef struct _STORAGE_DESCRIPTOR_HEADER {
    ULONG Version;
    ULONG Size;
} STORAGE_DESCRIPTOR_HEADER, *PSTORAGE_DESCRIPTOR_HEADER;

typedef enum _STORAGE_BUS_TYPE {
    BusTypeUnknown = 0x00,
    BusTypeScsi = 0x01,
    BusTypeAtapi = 0x02,
    BusTypeAta = 0x03,
    BusType1394 = 0x04,
    BusTypeSsa = 0x05,
    BusTypeFibre = 0x06,
    BusTypeUsb = 0x07,
    BusTypeRAID = 0x08,
    BusTypeiScsi = 0x09,
    BusTypeSas = 0x0A,
    BusTypeSata = 0x0B,
    BusTypeSd = 0x0C,
    BusTypeMmc = 0x0D,
    BusTypeVirtual = 0x0E,
    BusTypeFileBackedVirtual = 0x0F,
    BusTypeSpaces = 0x10,
    BusTypeNvme = 0x11,
} STORAGE_BUS_TYPE;

/* StorageAdapterProperty: what the port driver's adapter takes per
 * request (a class driver splits larger ones). */
typedef struct _STORAGE_ADAPTER_DESCRIPTOR {
    ULONG Version;
    ULONG Size;
    ULONG MaximumTransferLength;    /* bytes per request */
    ULONG MaximumPhysicalPages;
    ULONG AlignmentMask;
    BOOLEAN AdapterUsesPio;
    BOOLEAN AdapterScansDown;
    BOOLEAN CommandQueueing;
    BOOLEAN AcceleratedTransfer;
    UCHAR BusType;                  /* STORAGE_BUS_TYPE */
    USHORT BusMajorVersion;
    USHORT BusMinorVersion;
    UCHAR SrbType;
    UCHAR AddressType;
} STORAGE_ADAPTER_DESCRIPTOR, *PSTORAGE_ADAPTER_DESCRIPTOR;

/* StorageDeviceProperty.  The strings are NUL-terminated ASCII at the
 * given offsets from the start of the descriptor (0 = not present). */
typedef struct _STORAGE_DEVICE_DESCRIPTOR {
    ULONG Version;
    ULONG Size;
    UCHAR DeviceType;               /* SCSI peripheral device type */
    UCHAR DeviceTypeModifier;
    BOOLEAN RemovableMedia;
    BOOLEAN CommandQueueing;
    ULONG VendorIdOffset;
    ULONG ProductIdOffset;
    ULONG ProductRevisionOffset;
    ULONG SerialNumberOffset;
    STORAGE_BUS_TYPE BusType;
    ULONG RawPropertiesLength;
    UCHAR RawDeviceProperties[1];
} STORAGE_DEVICE_DESCRIPTOR, *PSTORAGE_DEVICE_DESCRIPTOR;

/* StorageAccessAlignmentProperty. */
typedef struct _STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR {
    ULONG Version;
    ULONG Size;
    ULONG BytesPerCacheLine;
    ULONG BytesOffsetForCacheAlignment;
    ULONG BytesPerLogicalSector;
    ULONG BytesPerPhysicalSector;
    ULONG BytesOffsetForSectorAlignment;
} STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR, *PSTORAGE_ACCESS_ALIGNMENT_DESCRIPTOR;

/* StorageDeviceTrimProperty. */
typedef struct _DEVICE_TRIM_DESCRIPTOR {
    ULONG Version;
    ULONG Size;
    BOOLEAN TrimEnabled;
} DEVICE_TRIM_DESCRIPTOR, *PDEVICE_TRIM_DESCRIPTOR;

/* IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES input: this header, then
 * DataSetRangesLength / sizeof(DEVICE_DATA_SET_RANGE) ranges at
 * DataSetRangesOffset from its start.  Offsets and lengths in bytes,
 * relative to the opened device (a partition: its own start). */
typedef ULONG DEVICE_DATA_MANAGEMENT_SET_ACTION;
#define DeviceDsmAction_None            0
#define DeviceDsmAction_Trim            1
#define DeviceDsmAction_Notification    (2 | 0x80000000)

#define DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE 0x00000001

typedef struct _DEVICE_MANAGE_DATA_SET_ATTRIBUTES {
    ULONG Size;                     /* sizeof(DEVICE_MANAGE_DATA_SET_ATTRIBUTES) */
    DEVICE_DATA_MANAGEMENT_SET_ACTION Action;
    ULONG Flags;                    /* DEVICE_DSM_FLAG_* */
    ULONG ParameterBlockOffset;
    ULONG ParameterBlockLength;
    ULONG DataSetRangesOffset;
    ULONG DataSetRangesLength;
} DEVICE_MANAGE_DATA_SET_ATTRIBUTES, *PDEVICE_MANAGE_DATA_SET_ATTRIBUTES;

typedef struct _DEVICE_DATA_SET_RANGE {
    LONGLONG StartingOffset;
    ULONGLONG LengthInBytes;
} DEVICE_DATA_SET_RANGE, *PDEVICE_DATA_SET_RANGE;

#endif /* NTSTOR_NTDDSTOR_H */
