/* test_cfg.c - host unit tests of the configuration tree (kernel/cfg/cm*.c)
 * over the real object manager: building from system.cfg text, the query
 * API's types and defaults, duplicates, service enumeration. */
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
    "; test configuration\r\n"
    "[Services\\ahci]\r\n"
    "ImagePath = \\ntstor\\drivers\\ahci.sys\r\n"
    "Start     = Boot\r\n"
    "Match     = PCI\\CC_010601\r\n"
    "[Services\\ahci\\Parameters]\r\n"
    "InterruptMode = Msi\r\n"
    "Ncq           = 1\r\n"
    "Big           = 0x123456789\r\n"
    "Serial        = 12345\r\n"
    "Dup = 1\r\n"
    "Dup = 2\r\n"
    "broken line\r\n"                       /* line 13: error */
    "[Services\\disk]\r\n"
    "ImagePath = \\ntstor\\drivers\\disk.sys\r\n"
    "Start = 0\r\n"
    "Match = SCSI\\Disk\r\n"
    "[Services\\bogus]\r\n"
    "Start = Sometimes\r\n"
    "[Services\\nostart]\r\n"
    "ImagePath = x.sys\r\n"
    "[Services\\ahci]\r\n"                  /* a repeated header adds to the key */
    "Extra = \"two words\"\r\n"
    "[Services\\ahci\\Parameters\\Deep\\Er]\r\n"
    "Leaf = 7\r\n"
    "[Unterminated\r\n";                    /* line 26: error */

static UNICODE_STRING U(PCWSTR s)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, s);
    return u;
}

static HANDLE Open(PCWSTR Path)
{
    UNICODE_STRING p = U(Path);
    HANDLE h = NULL;
    assert_int_equal(CmOpenKey(&p, &h), STATUS_SUCCESS);
    assert_non_null(h);
    return h;
}

#define PARAMS CM_SERVICES_PATH u"\\ahci\\Parameters"

static int GroupSetup(void **state)
{
    ObInitSystem();
    if (CmInitSystem(SystemCfg, sizeof(SystemCfg) - 1) != STATUS_SUCCESS)
        return -1;
    return 0;
}

static int NoHandlesLeft(void **state)
{
    assert_int_equal(ObQueryHandleCount(), 0);
    return 0;
}

static void test_tree_built(void **state)
{
    static const PCWSTR keys[] = {
        u"\\Registry\\Machine", CM_CONTROL_SET_PATH, CM_SERVICES_PATH,
        CM_SERVICES_PATH u"\\ahci", PARAMS, PARAMS u"\\Deep\\Er",
        CM_SERVICES_PATH u"\\disk", CM_HARDWARE_DATABASE_PATH,
        u"\\REGISTRY\\machine\\system\\currentcontrolset\\SERVICES\\AHCI",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        UNICODE_STRING p = U(keys[i]);
        PVOID o;
        assert_int_equal(ObpReferenceObjectByName(&p, 0, CmKeyObjectType, &o), STATUS_SUCCESS);
        UNICODE_STRING key = U(u"Key");
        assert_true(RtlEqualUnicodeString(ObGetObjectTypeName(o), &key, FALSE));
        assert_true(ObIsPermanentObject(o));
        ObDereferenceObject(o);
    }
    assert_int_equal(CmGetConfigErrorCount(), 2);
    UNICODE_STRING p = U(CM_SERVICES_PATH u"\\Unterminated");
    PVOID o;
    assert_int_equal(ObpReferenceObjectByName(&p, 0, NULL, &o), STATUS_OBJECT_NAME_NOT_FOUND);
}

static void test_query_numbers(void **state)
{
    HANDLE h = Open(PARAMS);
    ULONG v = 0;
    ULONG64 q = 0;
    assert_int_equal(CmQueryValueUlong(h, u"Ncq", &v, 99), STATUS_SUCCESS);
    assert_int_equal(v, 1);
    assert_int_equal(CmQueryValueUlong(h, u"NCQ", &v, 99), STATUS_SUCCESS);   /* case */
    assert_int_equal(v, 1);
    assert_int_equal(CmQueryValueUlong(h, u"Absent", &v, 42), STATUS_SUCCESS);
    assert_int_equal(v, 42);
    assert_int_equal(CmQueryValueUlong(h, u"InterruptMode", &v, 5), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(v, 5);
    assert_int_equal(CmQueryValueUlong(h, u"Big", &v, 6), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(v, 6);
    assert_int_equal(CmQueryValueUlong64(h, u"Big", &q, 0), STATUS_SUCCESS);
    assert_true(q == 0x123456789ull);
    assert_int_equal(CmQueryValueUlong64(h, u"Ncq", &q, 0), STATUS_SUCCESS);
    assert_true(q == 1);
    /* Duplicate value: the last line wins. */
    assert_int_equal(CmQueryValueUlong(h, u"Dup", &v, 0), STATUS_SUCCESS);
    assert_int_equal(v, 2);
    assert_int_equal(CmCloseKey(h), STATUS_SUCCESS);
    /* A closed handle: the default, and the error. */
    assert_int_equal(CmQueryValueUlong(h, u"Ncq", &v, 77), STATUS_INVALID_HANDLE);
    assert_int_equal(v, 77);
}

static void test_query_strings(void **state)
{
    HANDLE h = Open(PARAMS);
    WCHAR buf[32];
    UNICODE_STRING got, want;

    assert_int_equal(CmQueryValueString(h, u"InterruptMode", buf, sizeof(buf), u"Poll"), STATUS_SUCCESS);
    got = U(buf); want = U(u"Msi");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));
    /* A number reads as its decimal text. */
    assert_int_equal(CmQueryValueString(h, u"Serial", buf, sizeof(buf), NULL), STATUS_SUCCESS);
    got = U(buf); want = U(u"12345");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));
    assert_int_equal(CmQueryValueString(h, u"Big", buf, sizeof(buf), NULL), STATUS_SUCCESS);
    got = U(buf); want = U(u"4886718345");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));
    /* Absent: the default, or "". */
    assert_int_equal(CmQueryValueString(h, u"Nope", buf, sizeof(buf), u"Poll"), STATUS_SUCCESS);
    got = U(buf); want = U(u"Poll");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));
    assert_int_equal(CmQueryValueString(h, u"Nope", buf, sizeof(buf), NULL), STATUS_SUCCESS);
    assert_int_equal(buf[0], 0);
    /* Truncation keeps a terminator. */
    WCHAR small[3];
    assert_int_equal(CmQueryValueString(h, u"InterruptMode", small, sizeof(small), NULL),
                     STATUS_BUFFER_OVERFLOW);
    assert_int_equal(small[0], 'M');
    assert_int_equal(small[1], 's');
    assert_int_equal(small[2], 0);
    CmCloseKey(h);

    h = Open(CM_SERVICES_PATH u"\\ahci");
    assert_int_equal(CmQueryValueString(h, u"Extra", buf, sizeof(buf), NULL), STATUS_SUCCESS);
    got = U(buf); want = U(u"two words");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));
    CmCloseKey(h);
}

static void test_query_raw(void **state)
{
    HANDLE h = Open(PARAMS);
    ULONG type = 0, bytes = 0, d = 0;
    ULONG64 q = 0;
    WCHAR s[8];
    assert_int_equal(CmQueryValue(h, u"Nope", &type, &d, sizeof(d), &bytes), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(CmQueryValue(h, u"Ncq", &type, &d, sizeof(d), &bytes), STATUS_SUCCESS);
    assert_int_equal(type, REG_DWORD);
    assert_int_equal(bytes, 4);
    assert_int_equal(d, 1);
    assert_int_equal(CmQueryValue(h, u"Big", &type, &q, sizeof(q), &bytes), STATUS_SUCCESS);
    assert_int_equal(type, REG_QWORD);
    assert_int_equal(bytes, 8);
    assert_true(q == 0x123456789ull);
    assert_int_equal(CmQueryValue(h, u"InterruptMode", &type, s, 4, &bytes), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(type, REG_SZ);
    assert_int_equal(bytes, 8);
    assert_int_equal(CmQueryValue(h, u"InterruptMode", &type, s, sizeof(s), &bytes), STATUS_SUCCESS);
    assert_int_equal(s[0], 'M');
    assert_int_equal(s[3], 0);
    CmCloseKey(h);
}

static void test_open_subkeys_and_errors(void **state)
{
    HANDLE svc = Open(CM_SERVICES_PATH u"\\ahci"), par, deep, dir;
    ULONG v = 0;
    assert_int_equal(CmOpenSubKey(svc, u"parameters", &par), STATUS_SUCCESS);
    assert_int_equal(CmQueryValueUlong(par, u"Ncq", &v, 0), STATUS_SUCCESS);
    assert_int_equal(v, 1);
    assert_int_equal(CmOpenSubKey(svc, u"Parameters\\Deep\\Er", &deep), STATUS_SUCCESS);
    assert_int_equal(CmQueryValueUlong(deep, u"Leaf", &v, 0), STATUS_SUCCESS);
    assert_int_equal(v, 7);
    assert_int_equal(CmCloseKey(deep), STATUS_SUCCESS);
    assert_int_equal(CmOpenSubKey(svc, u"Nope", &deep), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_null(deep);
    assert_int_equal(CmOpenSubKey(svc, u"Nope\\Deeper", &deep), STATUS_OBJECT_PATH_NOT_FOUND);
    CmCloseKey(par);
    assert_int_equal(CmCloseKey(svc), STATUS_SUCCESS);
    assert_int_equal(CmCloseKey(svc), STATUS_INVALID_HANDLE);

    UNICODE_STRING p = U(u"\\Registry\\Machine\\Nope");
    assert_int_equal(CmOpenKey(&p, &deep), STATUS_OBJECT_NAME_NOT_FOUND);
    p = U(u"\\Registry");          /* a directory, not a key */
    assert_int_equal(CmOpenKey(&p, &deep), STATUS_OBJECT_TYPE_MISMATCH);
    /* CmCloseKey refuses a handle to something else. */
    assert_int_equal(ObOpenObjectByName(&p, 0, NULL, &dir), STATUS_SUCCESS);
    assert_int_equal(CmCloseKey(dir), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ObpCloseHandle(dir), STATUS_SUCCESS);
}

typedef struct { int n; char names[8][32]; char paths[8][128]; } SVC_CTX;
static BOOLEAN OnService(PCUNICODE_STRING Name, PCUNICODE_STRING Path, PVOID Context)
{
    SVC_CTX *c = Context;
    if (c->n < 8) {
        RtlUnicodeToAscii(c->names[c->n], 32, Name);
        RtlUnicodeToAscii(c->paths[c->n], 128, Path);
    }
    c->n++;
    return TRUE;
}

static void test_services(void **state)
{
    SVC_CTX c = { 0 };
    assert_int_equal(CmFindServices(OnService, &c), STATUS_SUCCESS);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.names[0], "ahci");
    assert_string_equal(c.names[1], "bogus");
    assert_string_equal(c.names[2], "disk");
    assert_string_equal(c.names[3], "nostart");
    assert_string_equal(c.paths[2], "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\disk");

    static CM_SERVICE_INFO info;
    UNICODE_STRING p = U(u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\ahci");
    assert_int_equal(CmReadServiceInfo(&p, &info), STATUS_SUCCESS);
    assert_int_equal(info.Start, SERVICE_BOOT_START);
    assert_true(info.StartValid);
    assert_true(info.HasImagePath);
    assert_true(info.HasMatch);
    UNICODE_STRING got = U(info.ImagePath), want = U(u"\\ntstor\\drivers\\ahci.sys");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));
    got = U(info.Match); want = U(u"PCI\\CC_010601");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));

    p = U(u"disk");                /* bare service name */
    assert_int_equal(CmReadServiceInfo(&p, &info), STATUS_SUCCESS);
    assert_int_equal(info.Start, SERVICE_BOOT_START);   /* "Start = 0" */
    got = U(info.Match); want = U(u"SCSI\\Disk");
    assert_true(RtlEqualUnicodeString(&got, &want, FALSE));

    p = U(u"bogus");
    assert_int_equal(CmReadServiceInfo(&p, &info), STATUS_SUCCESS);
    assert_int_equal(info.Start, SERVICE_DISABLED);
    assert_false(info.StartValid);
    assert_false(info.HasImagePath);
    assert_int_equal(info.ImagePath[0], 0);

    p = U(u"nostart");
    assert_int_equal(CmReadServiceInfo(&p, &info), STATUS_SUCCESS);
    assert_int_equal(info.Start, SERVICE_DEMAND_START);
    assert_true(info.StartValid);
    assert_false(info.HasMatch);

    p = U(u"missing");
    assert_int_equal(CmReadServiceInfo(&p, &info), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_string_equal(CmServiceStartName(SERVICE_BOOT_START), "Boot");
    assert_string_equal(CmServiceStartName(9), "?");
}

typedef struct { int n; char line[12][96]; } VAL_CTX;
static BOOLEAN OnValue(PCUNICODE_STRING Name, ULONG Type, ULONG64 Number, PCUNICODE_STRING String,
                       PVOID Context)
{
    VAL_CTX *c = Context;
    char n[32], s[32];
    RtlUnicodeToAscii(n, sizeof(n), Name);
    RtlUnicodeToAscii(s, sizeof(s), String);
    if (c->n < 12)
        snprintf(c->line[c->n], sizeof(c->line[0]), "%s %lu %s", n, (unsigned long)Type,
                 Type == REG_SZ ? s : (snprintf(s, sizeof(s), "%llu", (unsigned long long)Number), s));
    c->n++;
    return TRUE;
}

static void test_enumerate_values_and_set(void **state)
{
    UNICODE_STRING p = U(PARAMS);
    PVOID key;
    VAL_CTX c = { 0 };
    assert_int_equal(ObpReferenceObjectByName(&p, 0, CmKeyObjectType, &key), STATUS_SUCCESS);
    assert_int_equal(CmEnumerateValues(key, OnValue, &c), STATUS_SUCCESS);
    assert_int_equal(c.n, 5);       /* Dup only once */
    assert_string_equal(c.line[0], "InterruptMode 1 Msi");
    assert_string_equal(c.line[1], "Ncq 4 1");
    assert_string_equal(c.line[2], "Big 11 4886718345");
    assert_string_equal(c.line[3], "Serial 4 12345");
    assert_string_equal(c.line[4], "Dup 4 2");

    /* CmSetValue replaces in place and frees the old value. */
    ULONG64 before = host_pool_allocs(0);
    UNICODE_STRING n = U(u"ncq");
    ULONG zero = 0;
    assert_int_equal(CmSetValue(key, &n, REG_DWORD, &zero), STATUS_SUCCESS);
    assert_int_equal(host_pool_allocs(0), before);
    assert_int_equal(CmSetValue(key, &n, 77, &zero), STATUS_INVALID_PARAMETER);
    HANDLE h = Open(PARAMS);
    ULONG v = 9;
    assert_int_equal(CmQueryValueUlong(h, u"Ncq", &v, 5), STATUS_SUCCESS);
    assert_int_equal(v, 0);
    ULONG one = 1;
    n = U(u"Ncq");
    CmSetValue(key, &n, REG_DWORD, &one);
    CmCloseKey(h);
    ObDereferenceObject(key);
}

static void test_reinit_without_file(void **state)
{
    /* A second CmInitSystem (no file) keeps what is there and adds nothing. */
    ULONG64 before = host_pool_allocs(0);
    assert_int_equal(CmInitSystem(NULL, 0), STATUS_SUCCESS);
    assert_int_equal(host_pool_allocs(0), before);
    HANDLE h = Open(PARAMS);
    CmCloseKey(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tree_built, NoHandlesLeft),
        cmocka_unit_test_teardown(test_query_numbers, NoHandlesLeft),
        cmocka_unit_test_teardown(test_query_strings, NoHandlesLeft),
        cmocka_unit_test_teardown(test_query_raw, NoHandlesLeft),
        cmocka_unit_test_teardown(test_open_subkeys_and_errors, NoHandlesLeft),
        cmocka_unit_test_teardown(test_services, NoHandlesLeft),
        cmocka_unit_test_teardown(test_enumerate_values_and_set, NoHandlesLeft),
        cmocka_unit_test_teardown(test_reinit_without_file, NoHandlesLeft),
    };
    return cmocka_run_group_tests(tests, GroupSetup, NULL);
}
