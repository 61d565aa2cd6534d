/* filters.c - upper filter drivers: a service's UpperFilters value names
 * drivers whose AddDevice is called for each device node right after the
 * function driver's, so their devices sit above the FDO.  NT keeps class
 * filters (kbdclass for every keyboard) in the device class's key and
 * device filters in the device's Enum key; ntstor has neither, so the
 * function driver's service names them:
 *
 *   [Services\i8042prt]
 *   UpperFilters = kbdclass       ; ',' or ';' between names
 *
 * A filter that does not load or whose AddDevice fails is logged and left
 * out; the device still starts with its function driver (a keyboard whose
 * class driver is missing is then silent, not fatal to the boot). */
#include "pnpp.h"

#define PNP_FILTER_LIST_CHARS 128

static VOID PnpAddOneFilter(PDEVICE_NODE Node, PCWSTR Name, SIZE_T Chars)
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
            DbgPrint("pnp: %s: upper filter %s did not load: %s\n", Node->InstancePath, ascii,
                     RtlNtStatusName(status));
            return;
        }
    }
    if (driver->DriverExtension == NULL || driver->DriverExtension->AddDevice == NULL) {
        DbgPrint("pnp: %s: upper filter %s has no AddDevice routine\n", Node->InstancePath, ascii);
        return;
    }
    status = driver->DriverExtension->AddDevice(driver, Node->Pdo);
    if (!NT_SUCCESS(status))
        DbgPrint("pnp: %s: upper filter %s AddDevice: %s\n", Node->InstancePath, ascii,
                 RtlNtStatusName(status));
    else
        DbgPrint("pnp: %s: upper filter %s added\n", Node->InstancePath, ascii);
}

VOID PnpAddUpperFilters(PDEVICE_NODE Node, PCSTR Service)
{
    WCHAR path[sizeof(CM_SERVICES_PATH) / sizeof(WCHAR) + PNP_SERVICE_CHARS + 1];
    WCHAR list[PNP_FILTER_LIST_CHARS];
    UNICODE_STRING key = { 0, sizeof(path), path };
    HANDLE svc;
    SIZE_T start = 0, i;

    RtlCopyMemory(path, CM_SERVICES_PATH u"\\", sizeof(CM_SERVICES_PATH u"\\"));
    key.Length = sizeof(CM_SERVICES_PATH u"\\") - sizeof(WCHAR);
    for (i = 0; Service[i] && key.Length + 2 * sizeof(WCHAR) <= key.MaximumLength; i++) {
        path[key.Length / sizeof(WCHAR)] = (WCHAR)(UCHAR)Service[i];
        key.Length += sizeof(WCHAR);
    }
    path[key.Length / sizeof(WCHAR)] = 0;
    if (!NT_SUCCESS(CmOpenKey(&key, &svc)))
        return;
    if (!NT_SUCCESS(CmQueryValueString(svc, u"UpperFilters", list, sizeof(list), u""))) {
        CmCloseKey(svc);
        return;
    }
    CmCloseKey(svc);
    for (i = 0;; i++) {
        if (list[i] == 0 || list[i] == ',' || list[i] == ';') {
            SIZE_T s = start, e = i;
            while (s < e && list[s] == ' ')
                s++;
            while (e > s && list[e - 1] == ' ')
                e--;
            PnpAddOneFilter(Node, list + s, e - s);
            start = i + 1;
        }
        if (list[i] == 0)
            break;
    }
}
