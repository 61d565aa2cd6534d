/* cminit.c - builds the configuration tree at boot from the system.cfg text
 * the loader read: base keys first, then every section and value the parser
 * accepts.  Problems are logged as "cfg: system.cfg line N: <problem>" and
 * counted for the boot summary; the system boots with what was readable. */
#include "cmp.h"

static ULONG CmpConfigErrors;

static const PCWSTR CmpBaseKeys[] = {
    CM_SERVICES_PATH,
    CM_HARDWARE_DATABASE_PATH,
};

typedef struct _CMP_BUILD {
    PVOID CurrentKey;           /* referenced key of the current section */
    ULONG Keys, Values;
    WCHAR Path[OB_MAX_PATH_CHARS + 1];
    WCHAR Name[CFG_MAX_LINE_BYTES + 1];
    WCHAR String[CFG_MAX_LINE_BYTES + 1];
} CMP_BUILD;

/* The parser hands out 7-bit ASCII only, so widening is a copy. */
static VOID CmpWiden(PWCHAR Dest, const CHAR *Src, SIZE_T Len)
{
    for (SIZE_T i = 0; i < Len; i++)
        Dest[i] = (WCHAR)(UCHAR)Src[i];
    Dest[Len] = 0;
}

static NTSTATUS CmpOnSection(PVOID Context, ULONG Line, const CHAR *Path, SIZE_T PathLength)
{
    CMP_BUILD *B = Context;
    static const WCHAR Base[] = CM_CONTROL_SET_PATH u"\\";
    SIZE_T BaseChars = RTL_NUMBER_OF(Base) - 1;
    UNICODE_STRING Full;
    NTSTATUS Status;

    if (B->CurrentKey)
        ObDereferenceObject(B->CurrentKey);
    B->CurrentKey = NULL;
    if (BaseChars + PathLength > OB_MAX_PATH_CHARS)
        return STATUS_NAME_TOO_LONG;
    RtlCopyMemory(B->Path, Base, BaseChars * sizeof(WCHAR));
    CmpWiden(B->Path + BaseChars, Path, PathLength);
    Full.Buffer = B->Path;
    Full.Length = Full.MaximumLength = (USHORT)((BaseChars + PathLength) * sizeof(WCHAR));
    Status = CmCreateKey(&Full, &B->CurrentKey);
    if (NT_SUCCESS(Status))
        B->Keys++;
    return Status;
}

static NTSTATUS CmpOnValue(PVOID Context, ULONG Line, const CHAR *Name, SIZE_T NameLength,
                           const CFG_VALUE *Value)
{
    CMP_BUILD *B = Context;
    UNICODE_STRING N;
    ULONG Dword;
    NTSTATUS Status;

    if (!B->CurrentKey)
        return STATUS_INVALID_PARAMETER;
    CmpWiden(B->Name, Name, NameLength);
    N.Buffer = B->Name;
    N.Length = N.MaximumLength = (USHORT)(NameLength * sizeof(WCHAR));
    switch (Value->Type) {
    case REG_DWORD:
        Dword = (ULONG)Value->Number;
        Status = CmSetValue(B->CurrentKey, &N, REG_DWORD, &Dword);
        break;
    case REG_QWORD:
        Status = CmSetValue(B->CurrentKey, &N, REG_QWORD, &Value->Number);
        break;
    default:
        CmpWiden(B->String, Value->Text, Value->TextLength);
        Status = CmSetValue(B->CurrentKey, &N, REG_SZ, B->String);
        break;
    }
    if (NT_SUCCESS(Status))
        B->Values++;
    return Status;
}

static VOID CmpOnError(PVOID Context, ULONG Line, PCSTR Message)
{
    CmpConfigErrors++;
    DbgPrint("cfg: system.cfg line %u: %s\n", Line, Message);
}

static const CFG_PARSE_CALLBACKS CmpBuildCallbacks = {
    .Section = CmpOnSection,
    .Value = CmpOnValue,
    .Error = CmpOnError,
};

NTSTATUS CmInitSystem(const CHAR *Text, SIZE_T Length)
{
    NTSTATUS Status = CmpInitKeyType();
    CMP_BUILD *B;

    if (!NT_SUCCESS(Status)) {
        DbgPrint("cfg: cannot create the Key object type: status 0x%08X\n", (ULONG)Status);
        return Status;
    }
    for (ULONG i = 0; i < RTL_NUMBER_OF(CmpBaseKeys); i++) {
        UNICODE_STRING Path;
        PVOID Key;
        RtlInitUnicodeString(&Path, CmpBaseKeys[i]);
        Status = CmCreateKey(&Path, &Key);
        if (!NT_SUCCESS(Status)) {
            CHAR Name[80];
            RtlUnicodeToAscii(Name, sizeof(Name), &Path);
            DbgPrint("cfg: cannot create base key %s: status 0x%08X\n", Name, (ULONG)Status);
            return Status;
        }
        ObDereferenceObject(Key);
    }
    if (!Text || !Length) {
        DbgPrint("cfg: no system.cfg: no services configured\n");
        return STATUS_SUCCESS;
    }
    /* ~3 KiB of scratch: from the pool rather than the boot stack. */
    B = ExAllocatePoolZero(NonPagedPool, sizeof(*B), CM_TAG_PATH);
    if (!B)
        return STATUS_INSUFFICIENT_RESOURCES;
    ULONG Errors = CfgParse(Text, Length, &CmpBuildCallbacks, B);
    if (B->CurrentKey)
        ObDereferenceObject(B->CurrentKey);
    DbgPrint("cfg: system.cfg: %llu bytes, %u sections, %u values, %u errors\n",
             (unsigned long long)Length, B->Keys, B->Values, Errors);
    ExFreePoolWithTag(B, CM_TAG_PATH);
    return STATUS_SUCCESS;
}

ULONG CmGetConfigErrorCount(VOID)
{
    return CmpConfigErrors;
}
