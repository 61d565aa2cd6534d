/* cmservice.c - what the PnP manager asks of the tree: the list of service
 * keys and, per service, ImagePath, Start and Match. */
#include "cmp.h"

static const struct {
    PCSTR Name;
    ULONG Start;
} CmpStartNames[] = {
    { "Boot", SERVICE_BOOT_START },
    { "System", SERVICE_SYSTEM_START },
    { "Auto", SERVICE_AUTO_START },
    { "Automatic", SERVICE_AUTO_START },
    { "Demand", SERVICE_DEMAND_START },
    { "Manual", SERVICE_DEMAND_START },
    { "Disabled", SERVICE_DISABLED },
};

PCSTR CmServiceStartName(ULONG Start)
{
    switch (Start) {
    case SERVICE_BOOT_START: return "Boot";
    case SERVICE_SYSTEM_START: return "System";
    case SERVICE_AUTO_START: return "Auto";
    case SERVICE_DEMAND_START: return "Demand";
    case SERVICE_DISABLED: return "Disabled";
    default: return "?";
    }
}

static BOOLEAN CmpEqualAsciiWide(PCSTR a, PCWSTR w)
{
    for (; *a && *w; a++, w++) {
        WCHAR x = (WCHAR)(UCHAR)*a, y = *w;
        if (RtlUpcaseUnicodeChar(x) != RtlUpcaseUnicodeChar(y))
            return FALSE;
    }
    return *a == 0 && *w == 0;
}

typedef struct _CMP_SERVICES_CTX {
    PCM_SERVICE_CALLBACK Callback;
    PVOID Context;
    WCHAR Path[RTL_NUMBER_OF(CM_SERVICES_PATH) + 1 + OB_MAX_NAME_CHARS];
} CMP_SERVICES_CTX;

static BOOLEAN CmpServiceSubKey(PCUNICODE_STRING Name, PVOID SubKey, PVOID Context)
{
    CMP_SERVICES_CTX *C = Context;
    SIZE_T Base = RTL_NUMBER_OF(CM_SERVICES_PATH) - 1;
    UNICODE_STRING Path;

    C->Path[Base] = L'\\';
    RtlCopyMemory(C->Path + Base + 1, Name->Buffer, Name->Length);
    Path.Buffer = C->Path;
    Path.Length = Path.MaximumLength = (USHORT)((Base + 1) * sizeof(WCHAR) + Name->Length);
    return C->Callback(Name, &Path, C->Context);
}

NTSTATUS CmFindServices(PCM_SERVICE_CALLBACK Callback, PVOID Context)
{
    UNICODE_STRING Path = RTL_CONSTANT_STRING(CM_SERVICES_PATH);
    CMP_SERVICES_CTX C;
    PVOID Services;
    NTSTATUS Status;

    if (!Callback)
        return STATUS_INVALID_PARAMETER;
    if (!CmKeyObjectType)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    Status = ObpReferenceObjectByName(&Path, OBJ_CASE_INSENSITIVE, CmKeyObjectType, &Services);
    if (!NT_SUCCESS(Status))
        return Status;
    C.Callback = Callback;
    C.Context = Context;
    RtlCopyMemory(C.Path, Path.Buffer, Path.Length);
    Status = CmEnumerateSubKeys(Services, CmpServiceSubKey, &C);
    ObDereferenceObject(Services);
    return Status;
}

static NTSTATUS CmpOpenService(PCUNICODE_STRING ServiceKeyPath, PHANDLE Key)
{
    HANDLE Services;
    UNICODE_STRING Base = RTL_CONSTANT_STRING(CM_SERVICES_PATH);
    WCHAR Name[OB_MAX_NAME_CHARS + 1];
    NTSTATUS Status;

    if (!ServiceKeyPath || !ServiceKeyPath->Buffer || !ServiceKeyPath->Length)
        return STATUS_INVALID_PARAMETER;
    if (ServiceKeyPath->Buffer[0] == L'\\')
        return CmOpenKey(ServiceKeyPath, Key);
    /* A bare service name. */
    if (ServiceKeyPath->Length / sizeof(WCHAR) > OB_MAX_NAME_CHARS)
        return STATUS_NAME_TOO_LONG;
    RtlCopyMemory(Name, ServiceKeyPath->Buffer, ServiceKeyPath->Length);
    Name[ServiceKeyPath->Length / sizeof(WCHAR)] = 0;
    Status = CmOpenKey(&Base, &Services);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = CmOpenSubKey(Services, Name, Key);
    CmCloseKey(Services);
    return Status;
}

static BOOLEAN CmpHasValue(HANDLE Key, PCWSTR Name)
{
    ULONG Type, Bytes;
    /* No data buffer: a present value answers STATUS_BUFFER_TOO_SMALL. */
    return CmQueryValue(Key, Name, &Type, NULL, 0, &Bytes) != STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS CmReadServiceInfo(PCUNICODE_STRING ServiceKeyPath, PCM_SERVICE_INFO Info)
{
    HANDLE Key;
    ULONG Type = REG_NONE, Bytes, Number;
    WCHAR Text[32];
    NTSTATUS Status;

    if (!Info)
        return STATUS_INVALID_PARAMETER;
    RtlZeroMemory(Info, sizeof(*Info));
    Info->Start = SERVICE_DEMAND_START;
    Info->StartValid = TRUE;
    Status = CmpOpenService(ServiceKeyPath, &Key);
    if (!NT_SUCCESS(Status))
        return Status;

    Info->HasImagePath = CmpHasValue(Key, u"ImagePath");
    CmQueryValueString(Key, u"ImagePath", Info->ImagePath, sizeof(Info->ImagePath), NULL);
    Info->HasMatch = CmpHasValue(Key, u"Match");
    CmQueryValueString(Key, u"Match", Info->Match, sizeof(Info->Match), NULL);

    Status = CmQueryValue(Key, u"Start", &Type, &Number, sizeof(Number), &Bytes);
    if (NT_SUCCESS(Status) && Type == REG_DWORD) {
        if (Number <= SERVICE_DISABLED)
            Info->Start = Number;
        else
            Info->StartValid = FALSE;
    } else if (Status != STATUS_OBJECT_NAME_NOT_FOUND) {
        ULONG i;
        Info->StartValid = FALSE;
        if (Type == REG_SZ && NT_SUCCESS(CmQueryValueString(Key, u"Start", Text, sizeof(Text), NULL)))
            for (i = 0; i < RTL_NUMBER_OF(CmpStartNames); i++)
                if (CmpEqualAsciiWide(CmpStartNames[i].Name, Text)) {
                    Info->Start = CmpStartNames[i].Start;
                    Info->StartValid = TRUE;
                    break;
                }
    }
    if (!Info->StartValid) {
        CHAR Name[64];
        RtlUnicodeToAscii(Name, sizeof(Name), ServiceKeyPath);
        Info->Start = SERVICE_DISABLED;
        DbgPrint("cfg: service %s: Start is not Boot|System|Auto|Demand|Disabled or 0..4; "
                 "treated as Disabled\n", Name);
    }
    CmCloseKey(Key);
    return STATUS_SUCCESS;
}
