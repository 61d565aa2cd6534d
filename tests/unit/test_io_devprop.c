/* test_io_devprop.c - host unit tests of IoOpenDeviceRegistryKey and
 * IoGetDeviceProperty (kernel/io/devprop.c) for a stand-in PCI device node
 * over the real configuration tree: the keys' places, the properties'
 * values and the buffer rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cfg.h>
#include <pnp.h>
#include <hal.h>
#include "host_support.h"

/* kernel/io/device.c's, without the rest of the I/O manager. */
struct _DEVICE_NODE *IopDeviceNodeOfPdo(PDEVICE_OBJECT DeviceObject);
struct _DEVICE_NODE *IopDeviceNodeOfPdo(PDEVICE_OBJECT DeviceObject)
{
    return DeviceObject && DeviceObject->DeviceObjectExtension ? DeviceObject->DeviceObjectExtension->DeviceNode
                                                               : NULL;
}

static DEVICE_NODE Node;
static HAL_PCI_FUNCTION Pci = { .Bus = 0, .Device = 0x1f, .Function = 2 };
static DEVOBJ_EXTENSION Doe;
static DEVICE_OBJECT Pdo, NotPdo;
static WCHAR Ids[] = L"PCI\\VEN_8086&DEV_2922\0PCI\\CC_010601\0";

static int Setup(void **state)
{
    ObInitSystem();
    if (CmInitSystem(NULL, 0) != STATUS_SUCCESS)
        return -1;
    strcpy(Node.InstancePath, "PCI\\VEN_8086&DEV_2922\\3&0&FA");
    strcpy(Node.Service, "ahci");
    Node.HardwareIds = Ids;
    Node.PciFunction = &Pci;
    Node.Pdo = &Pdo;
    Doe.DeviceNode = &Node;
    Pdo.DeviceObjectExtension = &Doe;
    return 0;
}

static void test_properties(void **state)
{
    UCHAR buf[256];
    ULONG len, v;

    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyHardwareID, sizeof(buf), buf, &len), STATUS_SUCCESS);
    assert_int_equal(len, sizeof(Ids));          /* both strings and the final NUL */
    assert_memory_equal(buf, Ids, sizeof(Ids));
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyHardwareID, 8, buf, &len), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(len, sizeof(Ids));
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyCompatibleIDs, sizeof(buf), buf, &len),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyEnumeratorName, sizeof(buf), buf, &len), STATUS_SUCCESS);
    assert_int_equal(len, sizeof(L"PCI"));
    assert_memory_equal(buf, L"PCI", sizeof(L"PCI"));
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyAddress, sizeof(v), &v, &len), STATUS_SUCCESS);
    assert_int_equal(v, 0x1f0002);
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyBusNumber, sizeof(v), &v, &len), STATUS_SUCCESS);
    assert_int_equal(v, 0);
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyLegacyBusType, sizeof(v), &v, &len), STATUS_SUCCESS);
    assert_int_equal(v, PCIBus);
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyLocationInformation, sizeof(buf), buf, &len),
                     STATUS_SUCCESS);
    assert_memory_equal(buf, L"PCI bus 0, device 31, function 2", sizeof(L"PCI bus 0, device 31, function 2"));
    assert_int_equal(IoGetDeviceProperty(&Pdo, DevicePropertyDriverKeyName, sizeof(buf), buf, &len), STATUS_SUCCESS);
    assert_memory_equal(buf, L"ahci\\PCI#VEN_8086&DEV_2922#3&0&FA", sizeof(L"ahci\\PCI#VEN_8086&DEV_2922#3&0&FA"));
    assert_int_equal(IoGetDeviceProperty(&Pdo, 999, sizeof(buf), buf, &len), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(IoGetDeviceProperty(&NotPdo, DevicePropertyHardwareID, sizeof(buf), buf, &len),
                     STATUS_INVALID_DEVICE_REQUEST);
}

static void test_registry_keys(void **state)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"Setting"), path;
    OBJECT_ATTRIBUTES oa;
    HANDLE key, again;
    ULONG one = 1;

    assert_int_equal(IoOpenDeviceRegistryKey(&Pdo, PLUGPLAY_REGKEY_DEVICE, KEY_ALL_ACCESS, &key), STATUS_SUCCESS);
    assert_int_equal(ZwSetValueKey(key, &name, 0, REG_DWORD, &one, sizeof(one)), STATUS_SUCCESS);
    ZwClose(key);
    /* Where NT puts it, and the value is there. */
    RtlInitUnicodeString(&path, CM_CONTROL_SET_PATH u"\\Enum\\PCI\\VEN_8086&DEV_2922\\3&0&FA\\Device Parameters");
    InitializeObjectAttributes(&oa, &path, OBJ_CASE_INSENSITIVE, NULL, NULL);
    assert_int_equal(ZwOpenKey(&again, KEY_READ, &oa), STATUS_SUCCESS);
    ULONG v = 0;
    assert_int_equal(CmQueryValueUlong(again, L"Setting", &v, 0), STATUS_SUCCESS);
    assert_int_equal(v, 1);
    ZwClose(again);

    assert_int_equal(IoOpenDeviceRegistryKey(&Pdo, PLUGPLAY_REGKEY_DRIVER, KEY_READ, &key), STATUS_SUCCESS);
    ZwClose(key);
    RtlInitUnicodeString(&path, CM_CONTROL_SET_PATH u"\\Control\\Class\\ahci\\PCI#VEN_8086&DEV_2922#3&0&FA");
    assert_int_equal(ZwOpenKey(&again, KEY_READ, &oa), STATUS_SUCCESS);
    ZwClose(again);

    assert_int_equal(IoOpenDeviceRegistryKey(&NotPdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &key),
                     STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(IoOpenDeviceRegistryKey(&Pdo, 7, KEY_READ, &key), STATUS_INVALID_PARAMETER);
    assert_int_equal(ObQueryHandleCount(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_registry_keys),
    };
    return cmocka_run_group_tests(tests, Setup, NULL);
}
