/* test_cfg_zw.c - host unit tests of the WDK registry routines
 * (kernel/cfg/zwkey.c, kernel/cfg/rtlreg.c) over the real configuration tree
 * and object manager: open/create by OBJECT_ATTRIBUTES, value information
 * classes and their buffer rules, enumeration, RtlQueryRegistryValues'
 * flags (DIRECT, REQUIRED, defaults, SUBKEY, TYPECHECK, MULTI_SZ). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cfg.h>
#include "host_support.h"

static const char SystemCfg[] =
    "[Services\\ahci]\n"
    "Start = Boot\n"
    "[Services\\ahci\\Parameters]\n"
    "InterruptMode = Msi\n"
    "Ncq = 1\n"
    "Big = 0x123456789\n"
    "[Services\\ahci\\Parameters\\Sub]\n"
    "Leaf = 7\n"
    "[Services\\ahci\\Zeta]\n"
    "[Services\\ahci\\Alpha]\n";

#define SVC    CM_SERVICES_PATH u"\\ahci"
#define PARAMS CM_SERVICES_PATH u"\\ahci\\Parameters"

static int GroupSetup(void **state)
{
    ObInitSystem();
    return CmInitSystem(SystemCfg, sizeof(SystemCfg) - 1) == STATUS_SUCCESS ? 0 : -1;
}

static int NoHandlesLeft(void **state)
{
    assert_int_equal(ObQueryHandleCount(), 0);
    return 0;
}

static NTSTATUS OpenKey(PCWSTR Path, HANDLE Root, PHANDLE Key)
{
    UNICODE_STRING n;
    OBJECT_ATTRIBUTES oa;

    RtlInitUnicodeString(&n, Path);
    InitializeObjectAttributes(&oa, &n, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, Root, NULL);
    return ZwOpenKey(Key, KEY_READ, &oa);
}

static void test_open_absolute_and_relative(void **state)
{
    HANDLE svc, par, sub, self;

    assert_int_equal(OpenKey(SVC, NULL, &svc), STATUS_SUCCESS);
    assert_int_equal(OpenKey(L"parameters", svc, &par), STATUS_SUCCESS);     /* any case */
    assert_int_equal(OpenKey(L"Parameters\\Sub", svc, &sub), STATUS_SUCCESS);
    assert_int_equal(OpenKey(L"", par, &self), STATUS_SUCCESS);               /* the root itself */
    ZwClose(self);
    assert_int_equal(OpenKey(L"Nope", svc, &self), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_null(self);
    assert_int_equal(OpenKey(L"Nope\\Deeper", svc, &self), STATUS_OBJECT_PATH_NOT_FOUND);
    /* A device directory is no key. */
    assert_int_equal(OpenKey(L"\\Registry", NULL, &self), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ZwOpenKey(&self, KEY_READ, NULL), STATUS_INVALID_PARAMETER);
    ZwClose(sub);
    ZwClose(par);
    ZwClose(svc);
}

static void test_create_key(void **state)
{
    UNICODE_STRING n;
    OBJECT_ATTRIBUTES oa;
    HANDLE svc, k, k2;
    ULONG disp = 0;

    assert_int_equal(OpenKey(SVC, NULL, &svc), STATUS_SUCCESS);
    RtlInitUnicodeString(&n, L"Created");
    InitializeObjectAttributes(&oa, &n, OBJ_CASE_INSENSITIVE, svc, NULL);
    assert_int_equal(ZwCreateKey(&k, KEY_ALL_ACCESS, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, &disp),
                     STATUS_SUCCESS);
    assert_int_equal(disp, REG_CREATED_NEW_KEY);
    assert_int_equal(ZwCreateKey(&k2, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp), STATUS_SUCCESS);
    assert_int_equal(disp, REG_OPENED_EXISTING_KEY);
    ZwClose(k2);
    /* Absolute, and visible by path afterwards. */
    RtlInitUnicodeString(&n, SVC u"\\Created\\Child");
    InitializeObjectAttributes(&oa, &n, 0, NULL, NULL);
    assert_int_equal(ZwCreateKey(&k2, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp), STATUS_SUCCESS);
    assert_int_equal(disp, REG_CREATED_NEW_KEY);
    ZwClose(k2);
    assert_int_equal(OpenKey(SVC u"\\created\\child", NULL, &k2), STATUS_SUCCESS);
    ZwClose(k2);
    /* One level per call, as NT: a missing parent fails. */
    RtlInitUnicodeString(&n, L"Missing\\Child");
    InitializeObjectAttributes(&oa, &n, 0, svc, NULL);
    assert_int_equal(ZwCreateKey(&k2, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL), STATUS_OBJECT_PATH_NOT_FOUND);
    assert_null(k2);
    ZwClose(k);
    ZwClose(svc);
}

static void test_query_value_classes(void **state)
{
    UNICODE_STRING mode = RTL_CONSTANT_STRING(L"InterruptMode"), ncq = RTL_CONSTANT_STRING(L"Ncq");
    UNICODE_STRING big = RTL_CONSTANT_STRING(L"Big"), none = RTL_CONSTANT_STRING(L"None");
    UCHAR buf[256];
    PKEY_VALUE_PARTIAL_INFORMATION p = (PVOID)buf;
    PKEY_VALUE_FULL_INFORMATION f = (PVOID)buf;
    PKEY_VALUE_BASIC_INFORMATION b = (PVOID)buf;
    ULONG len;
    HANDLE par;

    assert_int_equal(OpenKey(PARAMS, NULL, &par), STATUS_SUCCESS);
    assert_int_equal(ZwQueryValueKey(par, &mode, KeyValuePartialInformation, p, sizeof(buf), &len),
                     STATUS_SUCCESS);
    assert_int_equal(p->Type, REG_SZ);
    assert_int_equal(p->DataLength, sizeof(L"Msi"));        /* with its NUL, as NT */
    assert_memory_equal(p->Data, L"Msi", sizeof(L"Msi"));
    assert_int_equal(len, FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(L"Msi"));

    assert_int_equal(ZwQueryValueKey(par, &ncq, KeyValuePartialInformation, p, sizeof(buf), &len),
                     STATUS_SUCCESS);
    assert_int_equal(p->Type, REG_DWORD);
    assert_int_equal(p->DataLength, 4);
    assert_int_equal(*(PULONG)p->Data, 1);
    assert_int_equal(ZwQueryValueKey(par, &big, KeyValuePartialInformation, p, sizeof(buf), &len),
                     STATUS_SUCCESS);
    assert_int_equal(p->Type, REG_QWORD);
    ULONG64 q;
    memcpy(&q, p->Data, sizeof(q));
    assert_true(q == 0x123456789ull);

    assert_int_equal(ZwQueryValueKey(par, &ncq, KeyValueFullInformation, f, sizeof(buf), &len),
                     STATUS_SUCCESS);
    assert_int_equal(f->NameLength, 6);
    assert_memory_equal(f->Name, L"Ncq", 6);
    assert_int_equal(f->DataOffset % 8, 0);
    assert_int_equal(*(PULONG)(buf + f->DataOffset), 1);
    assert_int_equal(len, f->DataOffset + 4);

    assert_int_equal(ZwQueryValueKey(par, &mode, KeyValueBasicInformation, b, sizeof(buf), &len),
                     STATUS_SUCCESS);
    assert_int_equal(b->Type, REG_SZ);
    assert_memory_equal(b->Name, L"InterruptMode", b->NameLength);

    /* Buffer rules: not even the fixed part -> TOO_SMALL; the fixed part
     * only -> OVERFLOW with it filled; the needed size always reported. */
    assert_int_equal(ZwQueryValueKey(par, &mode, KeyValuePartialInformation, p, 4, &len),
                     STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(len, FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(L"Msi"));
    memset(buf, 0xEE, sizeof(buf));
    assert_int_equal(ZwQueryValueKey(par, &mode, KeyValuePartialInformation, p,
                                     FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + 2, &len),
                     STATUS_BUFFER_OVERFLOW);
    assert_int_equal(p->Type, REG_SZ);
    assert_int_equal(p->DataLength, sizeof(L"Msi"));
    assert_int_equal(ZwQueryValueKey(par, &none, KeyValuePartialInformation, p, sizeof(buf), &len),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(ZwQueryValueKey(par, &ncq, 77, p, sizeof(buf), &len), STATUS_INVALID_PARAMETER);
    assert_int_equal(ZwQueryValueKey((HANDLE)0x7777, &ncq, KeyValuePartialInformation, p, sizeof(buf), &len),
                     STATUS_INVALID_HANDLE);
    ZwClose(par);
}

static void test_set_value_types(void **state)
{
    UNICODE_STRING n;
    UCHAR buf[256], bin[5] = { 1, 2, 3, 4, 5 };
    static WCHAR multi[] = L"one\0two\0";
    ULONG dw = 0xCAFE, len;
    ULONG64 qw = 0x1122334455667788ull;
    PKEY_VALUE_PARTIAL_INFORMATION p = (PVOID)buf;
    HANDLE par;

    assert_int_equal(OpenKey(PARAMS, NULL, &par), STATUS_SUCCESS);
    RtlInitUnicodeString(&n, L"Bin");
    assert_int_equal(ZwSetValueKey(par, &n, 0, REG_BINARY, bin, sizeof(bin)), STATUS_SUCCESS);
    assert_int_equal(ZwQueryValueKey(par, &n, KeyValuePartialInformation, p, sizeof(buf), &len), STATUS_SUCCESS);
    assert_int_equal(p->Type, REG_BINARY);
    assert_int_equal(p->DataLength, 5);
    assert_memory_equal(p->Data, bin, 5);

    RtlInitUnicodeString(&n, L"Multi");
    assert_int_equal(ZwSetValueKey(par, &n, 0, REG_MULTI_SZ, multi, sizeof(multi)), STATUS_SUCCESS);
    assert_int_equal(ZwQueryValueKey(par, &n, KeyValuePartialInformation, p, sizeof(buf), &len), STATUS_SUCCESS);
    assert_int_equal(p->Type, REG_MULTI_SZ);
    assert_int_equal(p->DataLength, sizeof(multi));
    assert_memory_equal(p->Data, multi, sizeof(multi));

    /* A string set with or without its NUL reads back with exactly one. */
    RtlInitUnicodeString(&n, L"Text");
    assert_int_equal(ZwSetValueKey(par, &n, 0, REG_SZ, L"abc", 6), STATUS_SUCCESS);
    assert_int_equal(ZwQueryValueKey(par, &n, KeyValuePartialInformation, p, sizeof(buf), &len), STATUS_SUCCESS);
    assert_int_equal(p->DataLength, 8);
    assert_memory_equal(p->Data, L"abc", 8);

    RtlInitUnicodeString(&n, L"Dw");
    assert_int_equal(ZwSetValueKey(par, &n, 0, REG_DWORD, &dw, 4), STATUS_SUCCESS);
    assert_int_equal(ZwSetValueKey(par, &n, 0, REG_DWORD, &dw, 3), STATUS_INVALID_PARAMETER);
    RtlInitUnicodeString(&n, L"Qw");
    assert_int_equal(ZwSetValueKey(par, &n, 0, REG_QWORD, &qw, 8), STATUS_SUCCESS);
    assert_int_equal(ZwSetValueKey(par, &n, 0, 99, &qw, 8), STATUS_INVALID_PARAMETER);
    /* The older Cm reader sees the same value. */
    ULONG v = 0;
    assert_int_equal(CmQueryValueUlong(par, L"Dw", &v, 0), STATUS_SUCCESS);
    assert_int_equal(v, 0xCAFE);
    ZwClose(par);
}

static void test_enumerate(void **state)
{
    UCHAR buf[256];
    PKEY_BASIC_INFORMATION k = (PVOID)buf;
    PKEY_FULL_INFORMATION full = (PVOID)buf;
    PKEY_VALUE_BASIC_INFORMATION v = (PVOID)buf;
    ULONG len, i;
    HANDLE svc, sub;

    assert_int_equal(OpenKey(SVC, NULL, &svc), STATUS_SUCCESS);
    /* Subkeys in name order: Alpha, Created (test_create_key), Parameters, Zeta. */
    static const PCWSTR names[] = { L"Alpha", L"Created", L"Parameters", L"Zeta" };
    for (i = 0; i < 4; i++) {
        assert_int_equal(ZwEnumerateKey(svc, i, KeyBasicInformation, k, sizeof(buf), &len), STATUS_SUCCESS);
        UNICODE_STRING want;
        RtlInitUnicodeString(&want, names[i]);
        assert_int_equal(k->NameLength, want.Length);
        assert_memory_equal(k->Name, names[i], k->NameLength);
    }
    assert_int_equal(ZwEnumerateKey(svc, 4, KeyBasicInformation, k, sizeof(buf), &len), STATUS_NO_MORE_ENTRIES);
    assert_int_equal(ZwQueryKey(svc, KeyFullInformation, full, sizeof(buf), &len), STATUS_SUCCESS);
    assert_int_equal(full->SubKeys, 4);
    assert_int_equal(full->Values, 1);       /* Start */
    ZwClose(svc);

    assert_int_equal(OpenKey(PARAMS u"\\Sub", NULL, &sub), STATUS_SUCCESS);
    assert_int_equal(ZwEnumerateValueKey(sub, 0, KeyValueBasicInformation, v, sizeof(buf), &len), STATUS_SUCCESS);
    assert_memory_equal(v->Name, L"Leaf", 8);
    assert_int_equal(ZwEnumerateValueKey(sub, 1, KeyValueBasicInformation, v, sizeof(buf), &len),
                     STATUS_NO_MORE_ENTRIES);
    ZwClose(sub);
}

/* ---- RtlQueryRegistryValues ---- */

typedef struct {
    ULONG Calls;
    WCHAR Seen[8][16];
    ULONG Types[8];
} ROUTINE_LOG;

static NTSTATUS LogRoutine(PWSTR Name, ULONG Type, PVOID Data, ULONG Length, PVOID Context, PVOID Entry)
{
    ROUTINE_LOG *log = Context;
    if (log->Calls < 8) {
        log->Types[log->Calls] = Type;
        const WCHAR *src = Type == REG_SZ ? Data : Name;
        for (int i = 0; i < 15 && src[i]; i++)
            log->Seen[log->Calls][i] = src[i];
    }
    log->Calls++;
    return STATUS_SUCCESS;
}

static void test_rtl_query_direct_and_defaults(void **state)
{
    ULONG ncq = 0, missing = 5, dflt = 42, leaf = 0;
    LONG64 bigbuf[2] = { -8, 0 };
    WCHAR room[16];
    UNICODE_STRING mode = { 0, sizeof(room), room }, alloc = { 0 };
    RTL_QUERY_REGISTRY_TABLE t[] = {
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Ncq", &ncq },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"InterruptMode", &mode },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"InterruptMode", &alloc },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Missing", &missing, REG_DWORD, &dflt, sizeof(ULONG) },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Big", bigbuf },
        { NULL, RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_DIRECT, L"Sub" },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Leaf", &leaf },
        { 0 },
    };
    ULONG64 before = host_pool_bytes(0);

    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"ahci\\Parameters", t, NULL, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ncq, 1);
    assert_int_equal(mode.Length, 6);
    assert_memory_equal(room, L"Msi", 8);
    assert_non_null(alloc.Buffer);                  /* allocated for the caller */
    assert_int_equal(alloc.Length, 6);
    assert_memory_equal(alloc.Buffer, L"Msi", 8);
    assert_int_equal(missing, 42);                  /* the default */
    assert_true((ULONG64)bigbuf[0] == 0x123456789ull);
    assert_int_equal(leaf, 7);                      /* via the SUBKEY entry */
    ExFreePool(alloc.Buffer);
    assert_int_equal(host_pool_bytes(0), before);   /* nothing else kept */

    /* A too small preallocated string is an error, not an overrun. */
    WCHAR tiny[2];
    UNICODE_STRING small = { 0, sizeof(tiny), tiny };
    RTL_QUERY_REGISTRY_TABLE t2[] = {
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"InterruptMode", &small },
        { 0 },
    };
    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, PARAMS, t2, NULL, NULL),
                     STATUS_BUFFER_TOO_SMALL);
}

static void test_rtl_query_required_typecheck_optional(void **state)
{
    ULONG v = 9;
    RTL_QUERY_REGISTRY_TABLE req[] = {
        { NULL, RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED, L"Missing", &v },
        { 0 },
    };
    RTL_QUERY_REGISTRY_TABLE typed[] = {
        { NULL, RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK, L"InterruptMode", &v,
          REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT },
        { 0 },
    };
    RTL_QUERY_REGISTRY_TABLE any[] = {
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Ncq", &v },
        { 0 },
    };

    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, PARAMS, req, NULL, NULL),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(v, 9);
    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, PARAMS, typed, NULL, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(v, 9);                         /* nothing written on a mismatch */
    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"nosuch", any, NULL, NULL),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL, L"nosuch", any,
                                            NULL, NULL), STATUS_SUCCESS);
    assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"ahci"), STATUS_SUCCESS);
    assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"nosuch"), STATUS_OBJECT_NAME_NOT_FOUND);
}

static void test_rtl_query_routines(void **state)
{
    static WCHAR multi[] = L"one\0two\0";
    ROUTINE_LOG log = { 0 };
    HANDLE sub;
    RTL_QUERY_REGISTRY_TABLE all[] = {
        { LogRoutine, 0, NULL },                    /* every value of the key */
        { 0 },
    };
    RTL_QUERY_REGISTRY_TABLE expand[] = {
        { LogRoutine, 0, L"List" },                 /* one call per string */
        { LogRoutine, RTL_QUERY_REGISTRY_NOEXPAND, L"List" },
        { 0 },
    };

    assert_int_equal(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"ahci\\Parameters\\Sub", L"List", REG_MULTI_SZ,
                                           multi, sizeof(multi)), STATUS_SUCCESS);
    assert_int_equal(OpenKey(PARAMS u"\\Sub", NULL, &sub), STATUS_SUCCESS);
    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)sub, all, &log, NULL), STATUS_SUCCESS);
    assert_int_equal(log.Calls, 3);                 /* Leaf, then List as two strings */
    assert_memory_equal(log.Seen[0], L"Leaf", 10);
    assert_memory_equal(log.Seen[1], L"one", 8);
    assert_memory_equal(log.Seen[2], L"two", 8);
    memset(&log, 0, sizeof(log));
    assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)sub, expand, &log, NULL), STATUS_SUCCESS);
    assert_int_equal(log.Calls, 3);
    assert_int_equal(log.Types[2], REG_MULTI_SZ);
    ZwClose(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_open_absolute_and_relative, NoHandlesLeft),
        cmocka_unit_test_teardown(test_create_key, NoHandlesLeft),
        cmocka_unit_test_teardown(test_query_value_classes, NoHandlesLeft),
        cmocka_unit_test_teardown(test_set_value_types, NoHandlesLeft),
        cmocka_unit_test_teardown(test_enumerate, NoHandlesLeft),
        cmocka_unit_test_teardown(test_rtl_query_direct_and_defaults, NoHandlesLeft),
        cmocka_unit_test_teardown(test_rtl_query_required_typecheck_optional, NoHandlesLeft),
        cmocka_unit_test_teardown(test_rtl_query_routines, NoHandlesLeft),
    };
    return cmocka_run_group_tests(tests, GroupSetup, NULL);
}
