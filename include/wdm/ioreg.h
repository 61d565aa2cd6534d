/* wdm/ioreg.h - a device's registry keys and properties (kernel/io/devprop.c):
 * IoOpenDeviceRegistryKey and IoGetDeviceProperty, as in the WDK.
 *
 * Keys (both created on first open, so a driver can write its settings):
 *   PLUGPLAY_REGKEY_DEVICE  the hardware key's parameters:
 *       \Registry\Machine\System\CurrentControlSet\Enum\<instance path>\Device Parameters
 *       (system.cfg: [Enum\PCI\VEN_8086&DEV_2922&...\3\Device Parameters])
 *   PLUGPLAY_REGKEY_DRIVER  the driver's per-device ("software") key:
 *       \Registry\Machine\System\CurrentControlSet\Control\Class\<service>\<instance path,
 *       each '\' written '#'>  (NT's {class GUID}\NNNN; ntstor has no class
 *       installer, so the service and the instance name it)
 * The instance path is the one `devices` shows.  Only a PDO the PnP
 * manager enumerated has these: any other device object is
 * STATUS_INVALID_DEVICE_REQUEST.  PASSIVE_LEVEL. */
#ifndef NTSTOR_WDM_IOREG_H
#define NTSTOR_WDM_IOREG_H

#include <ntdef.h>
#include <wdm/cm.h>

#define PLUGPLAY_REGKEY_DEVICE              1
#define PLUGPLAY_REGKEY_DRIVER              2
#define PLUGPLAY_REGKEY_CURRENT_HWPROFILE   4   /* accepted with either; one profile */

struct _DEVICE_OBJECT;

NTSTATUS IoOpenDeviceRegistryKey(struct _DEVICE_OBJECT *DeviceObject, ULONG DevInstKeyType,
                                 ACCESS_MASK DesiredAccess, PHANDLE DeviceRegKey);

typedef enum _DEVICE_REGISTRY_PROPERTY {
    DevicePropertyDeviceDescription = 0,
    DevicePropertyHardwareID = 1,
    DevicePropertyCompatibleIDs = 2,
    DevicePropertyBootConfiguration = 3,
    DevicePropertyBootConfigurationTranslated = 4,
    DevicePropertyClassName = 5,
    DevicePropertyClassGuid = 6,
    DevicePropertyDriverKeyName = 7,
    DevicePropertyManufacturer = 8,
    DevicePropertyFriendlyName = 9,
    DevicePropertyLocationInformation = 10,
    DevicePropertyPhysicalDeviceObjectName = 11,
    DevicePropertyBusTypeGuid = 12,
    DevicePropertyLegacyBusType = 13,
    DevicePropertyBusNumber = 14,
    DevicePropertyEnumeratorName = 15,
    DevicePropertyAddress = 16,
    DevicePropertyUINumber = 17,
    DevicePropertyInstallState = 18,
    DevicePropertyRemovalPolicy = 19,
    DevicePropertyResourceRequirements = 20,
    DevicePropertyAllocatedResources = 21,
    DevicePropertyContainerID = 22,
} DEVICE_REGISTRY_PROPERTY;

typedef enum _DEVICE_INSTALL_STATE {
    InstallStateInstalled = 0,
    InstallStateNeedsReinstall = 1,
    InstallStateFailedInstall = 2,
    InstallStateFinishInstall = 3,
} DEVICE_INSTALL_STATE;

/* Supported (others: STATUS_INVALID_PARAMETER_2; one the device has no
 * answer for: STATUS_OBJECT_NAME_NOT_FOUND, as NT):
 *   HardwareID, CompatibleIDs          REG_MULTI_SZ (double NUL at the end)
 *   DeviceDescription                  the instance path (no INF text here)
 *   EnumeratorName                     "PCI", "ACPI", "AHCI" ... (the instance path's first part)
 *   PhysicalDeviceObjectName           "\Device\Ahci0\Port0" (a named PDO only)
 *   DriverKeyName                      "<service>\<instance#path>" below Control\Class
 *   LocationInformation                PCI: "PCI bus B, device D, function F"
 *   LegacyBusType                      INTERFACE_TYPE: PCIBus, Isa (legacy devices), else Internal
 *   BusNumber                          ULONG, PCI only
 *   Address                            ULONG (device << 16) | function, PCI only
 *   InstallState                       DEVICE_INSTALL_STATE
 * Strings are NUL-terminated UTF-16.  A short buffer: STATUS_BUFFER_TOO_SMALL
 * with *ResultLength the bytes needed.  PASSIVE_LEVEL. */
NTSTATUS IoGetDeviceProperty(struct _DEVICE_OBJECT *DeviceObject, DEVICE_REGISTRY_PROPERTY DeviceProperty,
                             ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength);

#endif /* NTSTOR_WDM_IOREG_H */
