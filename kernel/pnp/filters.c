/* filters.c - filter drivers named in system.cfg: each UpperFilters and
 * LowerFilters entry is a service whose AddDevice is called for the device
 * node -- the lower ones before the function driver's AddDevice, so their
 * devices sit between the PDO and the FDO, the upper ones after it, above
 * the FDO.  NT keeps device filters in the device's Enum key and class
 * filters in the class key; ntstor has no class key, and the function
 * driver's service stands in for it:
 *
 *   [Enum\SCSI\Disk]            ; a hardware ID of the device: its device key
 *   LowerFilters = irpcount
 *   [Services\i8042prt]
 *   UpperFilters = kbdclass       ; ',' or ';' between names
 *
 * The device key is the first of Enum\<hardware ID>, in the node's
 * hardware ID order, that exists.  NT's order: lower device filters, lower
 * service (class) filters, the function driver, upper device filters,
 * upper service filters.  A filter that does not load or whose AddDevice
 * fails is logged and left out; the device still starts with its function
 * driver (a keyboard whose class driver is missing is then silent, not
 * fatal to the boot). */
#include "pnpp.h"

#define PNP_FILTER_LIST_CHARS 128
#define PNP_ENUM_PATH         CM_CONTROL_SET_PATH u"\\Enum"

static VOID PnpAddOneFilter(PDEVICE_NODE Node, PCWSTR Name, SIZE_T Chars, PCSTR Kind)
{
    WCHAR buffer[PNP_SERVICE_CHARS];
    CHAR ascii[PNP_SERVICE_CHARS];
    UNICODE_STRING name = { 0, sizeof(buffer), buffer };
    PDRIVER_OBJECT driver;
    NTSTATUS status;

    if (Chars == 0 || Chars >= PNP_SERVICE_CHARS)
        return;
    RtlCopyMemory(buffer, Name, Chars * sizeof(WCHAR));
    buffer[Chars] = 0;
    name.Length = (USHORT)(Chars * sizeof(WCHAR));
    RtlUnicodeToAscii(ascii, sizeof(ascii), &name);
    driver = IopFindLoadedDriver(&name);
    if (driver == NULL) {
        status = IopLoadDriver(&name);
        driver = NT_SUCCESS(status) ? IopFindLoadedDriver(&name) : NULL;
        if (driver == NULL) {
            DbgPrint("pnp: %s: %s filter %s did not load: %s\n", Node->InstancePath, Kind, ascii,
                     RtlNtStatusName(status));
            return;
        }
    }
    if (driver->DriverExtension == NULL || driver->DriverExtension->AddDevice == NULL) {
        DbgPrint("pnp: %s: %s filter %s has no AddDevice routine\n", Node->InstancePath, Kind,
                 ascii);
        return;
    }
    status = driver->DriverExtension->AddDevice(driver, Node->Pdo);
    if (!NT_SUCCESS(status))
        DbgPrint("pnp: %s: %s filter %s AddDevice: %s\n", Node->InstancePath, Kind, ascii,
                 RtlNtStatusName(status));
    else
        DbgPrint("pnp: %s: %s filter %s added\n", Node->InstancePath, Kind, ascii);
}

/* Calls PnpAddOneFilter for each name in Key's Value. */
static VOID PnpAddFilterList(PDEVICE_NODE Node, HANDLE Key, PCWSTR Value, PCSTR Kind)
{
    WCHAR list[PNP_FILTER_LIST_CHARS];
    SIZE_T start = 0, i;

    if (!NT_SUCCESS(CmQueryValueString(Key, Value, list, sizeof(list), u"")))
        return;
    for (i = 0;; i++) {
        if (list[i] == 0 || list[i] == ',' || list[i] == ';') {
            SIZE_T s = start, e = i;
            while (s < e && list[s] == ' ')
                s++;
            while (e > s && list[e - 1] == ' ')
                e--;
            PnpAddOneFilter(Node, list + s, e - s, Kind);
            start = i + 1;
        }
        if (list[i] == 0)
            break;
    }
}

/* Opens Prefix + the ASCII or wide Name (one of them NULL) into *Key. */
static NTSTATUS PnpOpenKeyUnder(PCWSTR Prefix, PCSTR Ascii, PCWSTR Wide, HANDLE *Key)
{
    WCHAR path[sizeof(CM_SERVICES_PATH) / sizeof(WCHAR) + PNP_INSTANCE_CHARS + 2];
    UNICODE_STRING key = { 0, sizeof(path), path };
    SIZE_T i;

    for (i = 0; Prefix[i] && key.Length + 2 * sizeof(WCHAR) <= key.MaximumLength; i++) {
        path[i] = Prefix[i];
        key.Length += sizeof(WCHAR);
    }
    for (i = 0; (Ascii ? Ascii[i] != 0 : Wide[i] != 0) &&
                key.Length + 2 * sizeof(WCHAR) <= key.MaximumLength; i++) {
        path[key.Length / sizeof(WCHAR)] = Ascii ? (WCHAR)(UCHAR)Ascii[i] : Wide[i];
        key.Length += sizeof(WCHAR);
    }
    path[key.Length / sizeof(WCHAR)] = 0;
    return CmOpenKey(&key, Key);
}

/* The node's device key: Enum\<first hardware ID that has one>. */
static BOOLEAN PnpOpenDeviceKey(PDEVICE_NODE Node, HANDLE *Key)
{
    for (PCWSTR id = Node->HardwareIds; id && *id; ) {
        if (NT_SUCCESS(PnpOpenKeyUnder(PNP_ENUM_PATH u"\\", NULL, id, Key)))
            return TRUE;
        while (*id)
            id++;
        id++;
    }
    return FALSE;
}

VOID PnpAddFilters(PDEVICE_NODE Node, PCSTR Service, BOOLEAN Upper)
{
    PCWSTR value = Upper ? u"UpperFilters" : u"LowerFilters";
    HANDLE key;

    if (PnpOpenDeviceKey(Node, &key)) {
        PnpAddFilterList(Node, key, value, Upper ? "upper device" : "lower device");
        CmCloseKey(key);
    }
    if (NT_SUCCESS(PnpOpenKeyUnder(CM_SERVICES_PATH u"\\", Service, NULL, &key))) {
        PnpAddFilterList(Node, key, value, Upper ? "upper" : "lower");
        CmCloseKey(key);
    }
}
