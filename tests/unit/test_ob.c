/* test_ob.c - host unit tests of the object manager (kernel/ob/): object
 * lifetime, permanence, lookups, symbolic links and loops, name limits,
 * parse procedures, enumeration and the handle table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <ob.h>
#include "host_support.h"
#include "../../kernel/ob/obp.h"

#define TEST_TAG NTSTOR_TAG('T', 's', 't', 'O')

static POBJECT_TYPE TestType, ParseType;
static int DeleteCalls;
static PVOID LastDeleted;

typedef struct { ULONG Cookie; } TEST_BODY;

static VOID TestDelete(PVOID Object)
{
    DeleteCalls++;
    LastDeleted = Object;
    /* The object must already be out of the namespace but still intact. */
    assert_int_equal(((TEST_BODY *)Object)->Cookie, 0x5eed);
}

/* A device-like type: resolves "\PartitionN" below itself to an object
 * created on the fly (unnamed). */
static UNICODE_STRING LastParseRemaining;
static WCHAR LastParseBuffer[64];
static NTSTATUS TestParse(PVOID Object, PUNICODE_STRING Remaining, PVOID Context, PVOID *Result)
{
    LastParseRemaining.Buffer = LastParseBuffer;
    LastParseRemaining.MaximumLength = sizeof(LastParseBuffer);
    LastParseRemaining.Length = Remaining->Length < sizeof(LastParseBuffer) ? Remaining->Length : 0;
    memcpy(LastParseBuffer, Remaining->Buffer, LastParseRemaining.Length);
    static const UNICODE_STRING Part1 = RTL_CONSTANT_STRING(u"\\Partition1");
    if (!RtlEqualUnicodeString(Remaining, &Part1, TRUE))
        return STATUS_OBJECT_NAME_NOT_FOUND;
    ObReferenceObject(Object);
    *Result = Object;
    return STATUS_SUCCESS;
}

static UNICODE_STRING U(PCWSTR s)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, s);
    return u;
}

static PVOID MakeObj(PCWSTR Path, ULONG Attributes)
{
    UNICODE_STRING n = U(Path);
    PVOID o = NULL;
    assert_int_equal(ObCreateObject(TestType, Path ? &n : NULL, Attributes, sizeof(TEST_BODY), &o),
                     STATUS_SUCCESS);
    ((TEST_BODY *)o)->Cookie = 0x5eed;
    return o;
}

static NTSTATUS Lookup(PCWSTR Path, POBJECT_TYPE Type, PVOID *Object)
{
    UNICODE_STRING n = U(Path);
    return ObpReferenceObjectByName(&n, OBJ_CASE_INSENSITIVE, Type, Object);
}

static BOOLEAN Exists(PCWSTR Path)
{
    PVOID o;
    if (!NT_SUCCESS(Lookup(Path, NULL, &o)))
        return FALSE;
    ObDereferenceObject(o);
    return TRUE;
}

static void Link(PCWSTR From, PCWSTR To)
{
    UNICODE_STRING l = U(From), t = U(To);
    assert_int_equal(ObCreateSymbolicLink(&l, &t), STATUS_SUCCESS);
}

static void Unlink(PCWSTR From)
{
    UNICODE_STRING l = U(From);
    PVOID o;
    assert_int_equal(ObpReferenceObjectByName(&l, OBJ_OPENLINK, NULL, &o), STATUS_SUCCESS);
    ObMakeTemporaryObject(o);
    ObDereferenceObject(o);
    assert_false(Exists(From));
}

static int GroupSetup(void **state)
{
    OBJECT_TYPE_INITIALIZER Init = { TestDelete, NULL, TEST_TAG };
    OBJECT_TYPE_INITIALIZER PInit = { NULL, TestParse, TEST_TAG };
    ObInitSystem();
    if (ObCreateObjectType(u"Test", &Init, &TestType) != STATUS_SUCCESS)
        return -1;
    if (ObCreateObjectType(u"ParseTest", &PInit, &ParseType) != STATUS_SUCCESS)
        return -1;
    return 0;
}

/* Every test must leave no test objects and no lookup buffers behind. */
static int CheckClean(void **state)
{
    assert_int_equal(host_pool_allocs(TEST_TAG), 0);
    assert_int_equal(host_pool_allocs(OBP_TAG_LOOKUP), 0);
    assert_int_equal(ObQueryHandleCount(), 0);
    return 0;
}

static void test_init_namespace(void **state)
{
    PVOID o;
    assert_true(Exists(u"\\"));
    assert_true(Exists(u"\\Device"));
    assert_true(Exists(u"\\Driver"));
    assert_true(Exists(u"\\??"));
    assert_true(Exists(u"\\Registry"));
    assert_int_equal(Lookup(u"\\ObjectTypes\\Directory", ObTypeObjectType, &o), STATUS_SUCCESS);
    assert_ptr_equal(o, ObDirectoryObjectType);
    ObDereferenceObject(o);
    assert_int_equal(Lookup(u"\\ObjectTypes\\Test", ObTypeObjectType, &o), STATUS_SUCCESS);
    assert_ptr_equal(o, TestType);
    UNICODE_STRING want = U(u"Test");
    assert_true(RtlEqualUnicodeString(ObGetObjectName(o), &want, FALSE));
    want = U(u"Type");
    assert_true(RtlEqualUnicodeString(ObGetObjectTypeName(o), &want, FALSE));
    ObDereferenceObject(o);
    assert_int_equal(Lookup(u"\\Device", ObDirectoryObjectType, &o), STATUS_SUCCESS);
    want = U(u"Directory");
    assert_true(RtlEqualUnicodeString(ObGetObjectTypeName(o), &want, FALSE));
    ObDereferenceObject(o);
}

static void test_temporary_lifetime(void **state)
{
    ULONG64 before = host_pool_allocs(0);
    PVOID o = MakeObj(u"\\Device\\Temp0", 0), p;
    DeleteCalls = 0;
    assert_true(host_pool_allocs(TEST_TAG) == 1);
    assert_int_equal(ObGetReferenceCount(o), 1);
    ObReferenceObject(o);
    assert_int_equal(Lookup(u"\\Device\\Temp0", TestType, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, o);
    assert_int_equal(ObGetReferenceCount(o), 3);
    ObDereferenceObject(p);
    ObDereferenceObject(o);
    assert_int_equal(DeleteCalls, 0);
    assert_int_equal(host_pool_allocs(TEST_TAG), 1);
    ObDereferenceObject(o);      /* the last reference */
    assert_int_equal(DeleteCalls, 1);
    assert_ptr_equal(LastDeleted, o);
    assert_int_equal(host_pool_allocs(TEST_TAG), 0);
    assert_int_equal(host_pool_allocs(0), before);
    assert_false(Exists(u"\\Device\\Temp0"));
}

static void test_unnamed_lifetime(void **state)
{
    PVOID o = MakeObj(NULL, 0);
    DeleteCalls = 0;
    assert_int_equal(ObGetObjectName(o)->Length, 0);
    assert_null(ObGetParentObject(o));
    ObDereferenceObject(o);
    assert_int_equal(DeleteCalls, 1);
}

static void test_permanent(void **state)
{
    PVOID o = MakeObj(u"\\Device\\Perm0", OBJ_PERMANENT), p;
    DeleteCalls = 0;
    assert_true(ObIsPermanentObject(o));
    ObDereferenceObject(o);
    assert_int_equal(DeleteCalls, 0);
    assert_int_equal(Lookup(u"\\Device\\Perm0", TestType, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, o);
    assert_int_equal(ObGetReferenceCount(p), 1);
    /* Temporary while referenced: stays until that reference goes. */
    ObMakeTemporaryObject(p);
    assert_int_equal(DeleteCalls, 0);
    assert_true(Exists(u"\\Device\\Perm0"));
    ObDereferenceObject(p);
    assert_int_equal(DeleteCalls, 1);
    assert_false(Exists(u"\\Device\\Perm0"));

    /* Temporary with no references: goes at once. */
    o = MakeObj(u"\\Device\\Perm1", OBJ_PERMANENT);
    ObDereferenceObject(o);
    assert_int_equal(Lookup(u"\\Device\\Perm1", NULL, &p), STATUS_SUCCESS);
    ObDereferenceObject(p);
    assert_int_equal(ObGetReferenceCount(p), 0);
    ObMakeTemporaryObject(p);
    assert_int_equal(DeleteCalls, 2);
    assert_false(Exists(u"\\Device\\Perm1"));
}

static void test_parent_held_by_child(void **state)
{
    UNICODE_STRING d = U(u"\\Device\\TmpDir");
    PVOID dir, o;
    assert_int_equal(ObCreateDirectoryObject(&d, &dir), STATUS_SUCCESS);
    LONG base = ObGetReferenceCount(dir);
    o = MakeObj(u"\\Device\\TmpDir\\Child", 0);
    assert_int_equal(ObGetReferenceCount(dir), base + 1);
    assert_ptr_equal(ObGetParentObject(o), dir);
    /* Directory made temporary: the child keeps it in the namespace. */
    ObMakeTemporaryObject(dir);
    ObDereferenceObject(dir);
    assert_true(Exists(u"\\Device\\TmpDir"));
    assert_true(Exists(u"\\Device\\TmpDir\\Child"));
    ObDereferenceObject(o);     /* child goes, then the directory */
    assert_false(Exists(u"\\Device\\TmpDir"));
}

static void test_case_insensitive(void **state)
{
    PVOID o = MakeObj(u"\\Device\\MixedCase", 0), p;
    assert_int_equal(Lookup(u"\\DEVICE\\mixedcase", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, o);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\device\\MIXEDCASE", TestType, &p), STATUS_SUCCESS);
    ObDereferenceObject(p);
    /* The stored name keeps its case. */
    UNICODE_STRING want = U(u"MixedCase");
    assert_true(RtlEqualUnicodeString(ObGetObjectName(o), &want, FALSE));
    ObDereferenceObject(o);
}

static void test_duplicates_and_missing_parent(void **state)
{
    PVOID o = MakeObj(u"\\Device\\Dup", 0), p = NULL;
    UNICODE_STRING n = U(u"\\DEVICE\\dup");
    assert_int_equal(ObCreateObject(TestType, &n, 0, 8, &p), STATUS_OBJECT_NAME_COLLISION);
    assert_int_equal(ObCreateObject(TestType, &n, OBJ_OPENIF, 8, &p), STATUS_OBJECT_NAME_EXISTS);
    assert_ptr_equal(p, o);
    ObDereferenceObject(p);
    assert_int_equal(ObCreateObject(ObDirectoryObjectType, &n, OBJ_OPENIF, 0, &p),
                     STATUS_OBJECT_NAME_COLLISION);
    assert_int_equal(host_pool_allocs(TEST_TAG), 1);
    ObDereferenceObject(o);

    n = U(u"\\NoSuchDir\\X");
    assert_int_equal(ObCreateObject(TestType, &n, 0, 8, &p), STATUS_OBJECT_PATH_NOT_FOUND);
    n = U(u"\\NoSuchDir\\Deeper\\X");
    assert_int_equal(ObCreateObject(TestType, &n, 0, 8, &p), STATUS_OBJECT_PATH_NOT_FOUND);
    n = U(u"\\");
    assert_int_equal(ObCreateObject(TestType, &n, 0, 8, &p), STATUS_OBJECT_NAME_INVALID);
    assert_int_equal(Lookup(u"\\Device\\Nope", NULL, &p), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(Lookup(u"\\Nope\\Nope", NULL, &p), STATUS_OBJECT_PATH_NOT_FOUND);
    assert_int_equal(host_pool_allocs(TEST_TAG), 0);
}

static void test_type_mismatch(void **state)
{
    PVOID o = MakeObj(u"\\Device\\Typed", 0), p = (PVOID)1;
    assert_int_equal(Lookup(u"\\Device\\Typed", ObDirectoryObjectType, &p), STATUS_OBJECT_TYPE_MISMATCH);
    assert_null(p);
    assert_int_equal(ObGetReferenceCount(o), 1);
    ObDereferenceObject(o);
}

static void test_symbolic_links(void **state)
{
    UNICODE_STRING d = U(u"\\Device\\Harddisk0");
    PVOID dir, dr0, p;
    assert_int_equal(ObCreateDirectoryObject(&d, &dir), STATUS_SUCCESS);
    dr0 = MakeObj(u"\\Device\\Harddisk0\\DR0", 0);
    Link(u"\\??\\PhysicalDrive0", u"\\Device\\Harddisk0\\DR0");
    Link(u"\\??\\Disk0Alias", u"\\??\\PhysicalDrive0");           /* link to link */
    Link(u"\\??\\Hd0", u"\\Device\\Harddisk0");                     /* link mid-path */
    Link(u"\\??\\DevLink", u"\\Device");

    assert_int_equal(Lookup(u"\\??\\PhysicalDrive0", TestType, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, dr0);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\physicaldrive0", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, dr0);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\Disk0Alias", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, dr0);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\Hd0\\DR0", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, dr0);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\DevLink\\Harddisk0\\DR0", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, dr0);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\Hd0\\DR9", NULL, &p), STATUS_OBJECT_NAME_NOT_FOUND);

    /* The link itself, with OBJ_OPENLINK or by asking for its type. */
    UNICODE_STRING l = U(u"\\??\\PhysicalDrive0");
    assert_int_equal(ObpReferenceObjectByName(&l, OBJ_OPENLINK, NULL, &p), STATUS_SUCCESS);
    UNICODE_STRING want = U(u"\\Device\\Harddisk0\\DR0");
    assert_non_null(ObQuerySymbolicLinkTarget(p));
    assert_true(RtlEqualUnicodeString(ObQuerySymbolicLinkTarget(p), &want, FALSE));
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\PhysicalDrive0", ObSymbolicLinkObjectType, &p), STATUS_SUCCESS);
    assert_ptr_equal(ObGetObjectType(p), ObSymbolicLinkObjectType);
    assert_null(ObQuerySymbolicLinkTarget(dr0));
    ObDereferenceObject(p);

    /* Dangling link. */
    Link(u"\\??\\Dangling", u"\\Device\\Gone");
    assert_int_equal(Lookup(u"\\??\\Dangling", NULL, &p), STATUS_OBJECT_NAME_NOT_FOUND);

    /* A relative or malformed target is refused. */
    UNICODE_STRING bl = U(u"\\??\\Bad"), bt = U(u"Device\\X");
    assert_int_equal(ObCreateSymbolicLink(&bl, &bt), STATUS_OBJECT_PATH_SYNTAX_BAD);
    assert_false(Exists(u"\\??\\Bad"));

    ULONG64 links = host_pool_allocs(OBP_TAG_LINK);
    Unlink(u"\\??\\PhysicalDrive0");
    Unlink(u"\\??\\Disk0Alias");
    Unlink(u"\\??\\Hd0");
    Unlink(u"\\??\\DevLink");
    Unlink(u"\\??\\Dangling");
    assert_int_equal(host_pool_allocs(OBP_TAG_LINK), links - 5);
    assert_false(Exists(u"\\??\\PhysicalDrive0"));
    ObDereferenceObject(dr0);
    ObMakeTemporaryObject(dir);
    ObDereferenceObject(dir);
    assert_false(Exists(u"\\Device\\Harddisk0"));
}

static void test_link_loops(void **state)
{
    PVOID p = (PVOID)1;
    Link(u"\\??\\LoopA", u"\\??\\LoopB");
    Link(u"\\??\\LoopB", u"\\??\\LoopA");
    Link(u"\\??\\Self", u"\\??\\Self\\x");
    assert_int_equal(Lookup(u"\\??\\LoopA", NULL, &p), STATUS_REPARSE_POINT_NOT_RESOLVED);
    assert_null(p);
    assert_int_equal(Lookup(u"\\??\\LoopB\\deeper", NULL, &p), STATUS_REPARSE_POINT_NOT_RESOLVED);
    /* Self\x -> Self\x\x -> ...: grows each round; ends by the reparse
     * limit or the path length limit, never by running forever. */
    NTSTATUS s = Lookup(u"\\??\\Self", NULL, &p);
    assert_true(s == STATUS_REPARSE_POINT_NOT_RESOLVED || s == STATUS_NAME_TOO_LONG);
    Unlink(u"\\??\\LoopA");
    Unlink(u"\\??\\LoopB");
    Unlink(u"\\??\\Self");

    /* A chain of exactly OB_MAX_REPARSE links resolves; one more does not. */
    PVOID end = MakeObj(u"\\Device\\ChainEnd", 0);
    WCHAR name[64], target[64];
    for (int i = 0; i <= OB_MAX_REPARSE; i++) {
        UNICODE_STRING l, t;
        for (int k = 0; k < 64; k++) name[k] = target[k] = 0;
        char a[32], b[32];
        snprintf(a, sizeof(a), "\\??\\C%d", i);
        if (i == 0) snprintf(b, sizeof(b), "\\Device\\ChainEnd");
        else snprintf(b, sizeof(b), "\\??\\C%d", i - 1);
        for (int k = 0; a[k]; k++) name[k] = (WCHAR)a[k];
        for (int k = 0; b[k]; k++) target[k] = (WCHAR)b[k];
        l = U(name); t = U(target);
        assert_int_equal(ObCreateSymbolicLink(&l, &t), STATUS_SUCCESS);
    }
    assert_int_equal(Lookup(u"\\??\\C31", NULL, &p), STATUS_SUCCESS);   /* 32 reparses */
    assert_ptr_equal(p, end);
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\??\\C32", NULL, &p), STATUS_REPARSE_POINT_NOT_RESOLVED);
    for (int i = 0; i <= OB_MAX_REPARSE; i++) {
        char a[32];
        snprintf(a, sizeof(a), "\\??\\C%d", i);
        for (int k = 0; k < 64; k++) name[k] = 0;
        for (int k = 0; a[k]; k++) name[k] = (WCHAR)a[k];
        Unlink(name);
    }
    ObDereferenceObject(end);
}

static void FillPath(PWCHAR buf, size_t n, size_t component)
{
    /* "\aaaa\aaaa..." with components of `component` chars, n chars total */
    for (size_t i = 0; i < n; i++)
        buf[i] = (i % (component + 1) == 0) ? L'\\' : L'a';
    buf[n] = 0;
}

static void test_name_limits(void **state)
{
    static WCHAR buf[2100];
    PVOID p;
    UNICODE_STRING n;

    /* 255-char component: legal; 256: too long. */
    buf[0] = L'\\';
    for (int i = 1; i <= 255; i++) buf[i] = L'x';
    buf[256] = 0;
    assert_int_equal(Lookup(buf, NULL, &p), STATUS_OBJECT_NAME_NOT_FOUND);
    PVOID o = MakeObj(buf, 0);
    assert_int_equal(Lookup(buf, TestType, &p), STATUS_SUCCESS);
    ObDereferenceObject(p);
    ObDereferenceObject(o);
    buf[256] = L'x';
    buf[257] = 0;
    assert_int_equal(Lookup(buf, NULL, &p), STATUS_NAME_TOO_LONG);
    n = U(buf);
    assert_int_equal(ObCreateObject(TestType, &n, 0, 8, &p), STATUS_NAME_TOO_LONG);

    /* Total length: 1024 is the limit. */
    FillPath(buf, 1024, 100);
    assert_int_equal(Lookup(buf, NULL, &p), STATUS_OBJECT_PATH_NOT_FOUND);
    FillPath(buf, 1025, 100);
    assert_int_equal(Lookup(buf, NULL, &p), STATUS_NAME_TOO_LONG);
    FillPath(buf, 2000, 100);
    assert_int_equal(Lookup(buf, NULL, &p), STATUS_NAME_TOO_LONG);

    assert_int_equal(Lookup(u"Device", NULL, &p), STATUS_OBJECT_PATH_SYNTAX_BAD);
    assert_int_equal(Lookup(u"", NULL, &p), STATUS_OBJECT_PATH_SYNTAX_BAD);
    assert_int_equal(Lookup(u"\\\\Device", NULL, &p), STATUS_OBJECT_NAME_INVALID);
    assert_int_equal(Lookup(u"\\Device\\", NULL, &p), STATUS_OBJECT_NAME_INVALID);
    assert_int_equal(Lookup(u"\\Device\\\\X", NULL, &p), STATUS_OBJECT_NAME_INVALID);
    /* An embedded NUL (counted string) is invalid. */
    WCHAR withnul[] = { '\\', 'D', 0, 'x' };
    n.Buffer = withnul; n.Length = n.MaximumLength = sizeof(withnul);
    assert_int_equal(ObpReferenceObjectByName(&n, 0, NULL, &p), STATUS_OBJECT_NAME_INVALID);
    /* Odd byte length. */
    n = U(u"\\Device");
    n.Length = 3;
    assert_int_equal(ObpReferenceObjectByName(&n, 0, NULL, &p), STATUS_OBJECT_NAME_INVALID);

    /* A link whose expansion exceeds the total limit. */
    FillPath(buf, 1000, 50);
    UNICODE_STRING l = U(u"\\??\\Long"), t = U(buf);
    assert_int_equal(ObCreateSymbolicLink(&l, &t), STATUS_SUCCESS);
    assert_int_equal(Lookup(u"\\??\\Long\\abcdefghijklmnopqrstuvwxyz\\abcdefghijklmnopqrstuvwxyz", NULL, &p),
                     STATUS_NAME_TOO_LONG);
    Unlink(u"\\??\\Long");
}

static void test_parse_procedure_and_open_lookup(void **state)
{
    UNICODE_STRING n = U(u"\\Device\\ParseDev");
    PVOID dev, p, q;
    assert_int_equal(ObCreateObject(ParseType, &n, 0, 16, &dev), STATUS_SUCCESS);
    assert_int_equal(Lookup(u"\\Device\\ParseDev\\partition1", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, dev);
    UNICODE_STRING want = U(u"\\partition1");
    assert_true(RtlEqualUnicodeString(&LastParseRemaining, &want, FALSE));
    ObDereferenceObject(p);
    assert_int_equal(Lookup(u"\\Device\\ParseDev\\Partition2", NULL, &p), STATUS_OBJECT_NAME_NOT_FOUND);
    /* Through a link too. */
    Link(u"\\??\\PD", u"\\Device\\ParseDev");
    assert_int_equal(Lookup(u"\\??\\PD\\Partition1", NULL, &p), STATUS_SUCCESS);
    ObDereferenceObject(p);

    /* Children win over the parse procedure. */
    PVOID child = MakeObj(u"\\Device\\ParseDev\\Port0", 0);
    assert_int_equal(Lookup(u"\\Device\\ParseDev\\Port0", NULL, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, child);
    ObDereferenceObject(p);

    /* ObLookupObjectForOpen: the deepest object and the remainder. */
    WCHAR rem[32];
    UNICODE_STRING r = { 0, sizeof(rem), rem };
    n = U(u"\\??\\PD\\Port0\\Some\\File");
    assert_int_equal(ObLookupObjectForOpen(&n, &q, &r), STATUS_SUCCESS);
    assert_ptr_equal(q, child);
    want = U(u"\\Some\\File");
    assert_true(RtlEqualUnicodeString(&r, &want, FALSE));
    ObDereferenceObject(q);
    n = U(u"\\Device\\ParseDev");
    assert_int_equal(ObLookupObjectForOpen(&n, &q, &r), STATUS_SUCCESS);
    assert_ptr_equal(q, dev);
    assert_int_equal(r.Length, 0);
    ObDereferenceObject(q);
    UNICODE_STRING small = { 0, 4, rem };
    n = U(u"\\Device\\ParseDev\\Partition1");
    assert_int_equal(ObLookupObjectForOpen(&n, &q, &small), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(ObLookupObjectForOpen(&n, &q, NULL), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(ObGetReferenceCount(dev), 2);     /* ours + the child's */

    Unlink(u"\\??\\PD");
    ObDereferenceObject(child);
    ObDereferenceObject(dev);
}

typedef struct { int Count; char Names[8][32]; int StopAfter; } ENUM_CTX;
static BOOLEAN EnumCb(PCUNICODE_STRING Name, PVOID Object, PVOID Context)
{
    ENUM_CTX *c = Context;
    assert_true(ObGetReferenceCount(Object) >= 1);
    if (c->Count < 8)
        RtlUnicodeToAscii(c->Names[c->Count], 32, Name);
    c->Count++;
    return c->Count != c->StopAfter;
}

static void test_enumeration_and_names(void **state)
{
    UNICODE_STRING d = U(u"\\Device\\EnumDir");
    PVOID dir, a, b, c;
    assert_int_equal(ObCreateDirectoryObject(&d, &dir), STATUS_SUCCESS);
    c = MakeObj(u"\\Device\\EnumDir\\charlie", 0);
    a = MakeObj(u"\\Device\\EnumDir\\Alpha", 0);
    b = MakeObj(u"\\Device\\EnumDir\\bravo", 0);
    ENUM_CTX ctx = { 0 };
    assert_int_equal(ObEnumerateDirectory(dir, EnumCb, &ctx), STATUS_SUCCESS);
    assert_int_equal(ctx.Count, 3);
    assert_string_equal(ctx.Names[0], "Alpha");
    assert_string_equal(ctx.Names[1], "bravo");
    assert_string_equal(ctx.Names[2], "charlie");
    ENUM_CTX stop = { .StopAfter = 2 };
    ObEnumerateDirectory(dir, EnumCb, &stop);
    assert_int_equal(stop.Count, 2);

    WCHAR buf[64];
    UNICODE_STRING path = { 0, sizeof(buf), buf };
    assert_int_equal(ObQueryNameString(b, &path), STATUS_SUCCESS);
    UNICODE_STRING want = U(u"\\Device\\EnumDir\\bravo");
    assert_true(RtlEqualUnicodeString(&path, &want, FALSE));
    UNICODE_STRING tiny = { 0, 8, buf };
    assert_int_equal(ObQueryNameString(b, &tiny), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(tiny.Length, want.Length);
    PVOID root;
    assert_int_equal(Lookup(u"\\", NULL, &root), STATUS_SUCCESS);
    assert_int_equal(ObQueryNameString(root, &path), STATUS_SUCCESS);
    want = U(u"\\");
    assert_true(RtlEqualUnicodeString(&path, &want, FALSE));
    ObDereferenceObject(root);

    ObDereferenceObject(a);
    ObDereferenceObject(b);
    ObDereferenceObject(c);
    ObMakeTemporaryObject(dir);
    ObDereferenceObject(dir);
}

static void test_handles(void **state)
{
    PVOID o = MakeObj(u"\\Device\\Handled", 0), p;
    HANDLE h, h2, many[100];
    DeleteCalls = 0;
    assert_int_equal(ObInsertHandle(o, &h), STATUS_SUCCESS);
    assert_non_null(h);
    assert_int_equal(ObGetHandleCount(o), 1);
    assert_int_equal(ObGetReferenceCount(o), 2);
    assert_int_equal(ObpReferenceObjectByHandle(h, TestType, &p), STATUS_SUCCESS);
    assert_ptr_equal(p, o);
    ObDereferenceObject(p);
    assert_int_equal(ObpReferenceObjectByHandle(h, ObDirectoryObjectType, &p), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ObpReferenceObjectByHandle(NULL, NULL, &p), STATUS_INVALID_HANDLE);
    assert_int_equal(ObpReferenceObjectByHandle((HANDLE)(ULONG_PTR)3, NULL, &p), STATUS_INVALID_HANDLE);
    assert_int_equal(ObpReferenceObjectByHandle((HANDLE)(ULONG_PTR)0x400000, NULL, &p), STATUS_INVALID_HANDLE);

    /* Grows past its initial size. */
    for (int i = 0; i < 100; i++)
        assert_int_equal(ObInsertHandle(o, &many[i]), STATUS_SUCCESS);
    for (int i = 0; i < 100; i++)
        for (int j = i + 1; j < 100; j++)
            assert_ptr_not_equal(many[i], many[j]);
    assert_int_equal(ObGetHandleCount(o), 101);
    assert_int_equal(ObQueryHandleCount(), 101);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ObpCloseHandle(many[i]), STATUS_SUCCESS);
    assert_int_equal(ObpCloseHandle(many[5]), STATUS_INVALID_HANDLE);

    /* The handle keeps the object alive after the creator's reference. */
    ObDereferenceObject(o);
    assert_int_equal(DeleteCalls, 0);
    assert_true(Exists(u"\\Device\\Handled"));
    assert_int_equal(ObpCloseHandle(h), STATUS_SUCCESS);
    assert_int_equal(DeleteCalls, 1);
    assert_int_equal(ObpCloseHandle(h), STATUS_INVALID_HANDLE);
    assert_int_equal(ObpReferenceObjectByHandle(h, NULL, &p), STATUS_INVALID_HANDLE);

    UNICODE_STRING n = U(u"\\Device");
    assert_int_equal(ObOpenObjectByName(&n, 0, ObDirectoryObjectType, &h2), STATUS_SUCCESS);
    assert_int_equal(ObpCloseHandle(h2), STATUS_SUCCESS);
    assert_int_equal(ObOpenObjectByName(&n, 0, TestType, &h2), STATUS_OBJECT_TYPE_MISMATCH);
}

static void test_out_of_memory(void **state)
{
    UNICODE_STRING n = U(u"\\Device\\Oom");
    PVOID p;
    for (ULONG k = 1; k <= 3; k++) {
        host_pool_fail_after(k);
        NTSTATUS s = ObCreateObject(TestType, &n, 0, 8, &p);
        host_pool_fail_after(0);
        if (NT_SUCCESS(s)) {
            ((TEST_BODY *)p)->Cookie = 0x5eed;
            ObDereferenceObject(p);
        } else {
            assert_int_equal(s, STATUS_INSUFFICIENT_RESOURCES);
        }
        assert_false(Exists(u"\\Device\\Oom"));
    }
}

static void test_bugcheck_on_over_release(void **state)
{
    jmp_buf jb;
    PVOID o = MakeObj(u"\\Device\\Over", OBJ_PERMANENT);
    ObDereferenceObject(o);         /* count 0, kept by permanence */
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        ObDereferenceObject(o);     /* below zero */
        fail_msg("no bug check");
    }
    host_bugcheck_jmp = NULL;
    assert_int_equal(host_last_bugcheck, REFERENCE_BY_POINTER);
    assert_int_equal(host_last_bugcheck_params[1], (ULONG_PTR)o);
    /* A real bug check stops the machine; here, undo what the failed call
     * left behind (a lock, if held, and the count it took below zero). */
    ObpLock = 0;
    KeLowerIrql(PASSIVE_LEVEL);
    assert_int_equal(ObGetReferenceCount(o), -1);
    ObpHeader(o)->PointerCount = 0;
    ObMakeTemporaryObject(o);
    assert_false(Exists(u"\\Device\\Over"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_init_namespace, CheckClean),
        cmocka_unit_test_teardown(test_temporary_lifetime, CheckClean),
        cmocka_unit_test_teardown(test_unnamed_lifetime, CheckClean),
        cmocka_unit_test_teardown(test_permanent, CheckClean),
        cmocka_unit_test_teardown(test_parent_held_by_child, CheckClean),
        cmocka_unit_test_teardown(test_case_insensitive, CheckClean),
        cmocka_unit_test_teardown(test_duplicates_and_missing_parent, CheckClean),
        cmocka_unit_test_teardown(test_type_mismatch, CheckClean),
        cmocka_unit_test_teardown(test_symbolic_links, CheckClean),
        cmocka_unit_test_teardown(test_link_loops, CheckClean),
        cmocka_unit_test_teardown(test_name_limits, CheckClean),
        cmocka_unit_test_teardown(test_parse_procedure_and_open_lookup, CheckClean),
        cmocka_unit_test_teardown(test_enumeration_and_names, CheckClean),
        cmocka_unit_test_teardown(test_handles, CheckClean),
        cmocka_unit_test_teardown(test_out_of_memory, CheckClean),
        cmocka_unit_test_teardown(test_bugcheck_on_over_release, CheckClean),
    };
    return cmocka_run_group_tests(tests, GroupSetup, NULL);
}
