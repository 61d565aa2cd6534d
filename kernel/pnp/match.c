/* match.c - which service drives a device: the node's hardware and
 * compatible IDs against each service's Match value (rules in pnp.h,
 * "Matching"; NT's own ranking, "How Windows Ranks Drivers", puts hardware
 * IDs before compatible IDs and earlier IDs of a list before later ones).
 * PnpRankMatch is pure; PnpFindBestService reads the configuration tree. */
#include <ntos.h>
#include <cfg.h>
#include <pnp.h>

#define PNP_MATCH_TAG NTSTOR_TAG('P', 'n', 'p', 'M')

static BOOLEAN PnpIsSeparator(WCHAR c)
{
    return c == ',' || c == ';';
}

static BOOLEAN PnpIsBlank(WCHAR c)
{
    return c == ' ' || c == '\t';
}

/* Entry [Start, Start+Length) of a Match value equals the NUL-terminated Id. */
static BOOLEAN PnpEntryEquals(PCWSTR Start, SIZE_T Length, PCWSTR Id)
{
    SIZE_T i;

    for (i = 0; i < Length; i++)
        if (Id[i] == 0 || RtlUpcaseUnicodeChar(Id[i]) != RtlUpcaseUnicodeChar(Start[i]))
            return FALSE;
    return Id[i] == 0;
}

/* Does any entry of Match equal Id? */
static BOOLEAN PnpMatchContains(PCWSTR Match, PCWSTR Id)
{
    PCWSTR p = Match;

    if (Id[0] == 0)
        return FALSE;
    while (*p) {
        PCWSTR start, end;
        while (PnpIsBlank(*p) || PnpIsSeparator(*p))
            p++;
        start = p;
        while (*p && !PnpIsSeparator(*p))
            p++;
        end = p;
        while (end > start && PnpIsBlank(end[-1]))
            end--;
        if (end > start && PnpEntryEquals(start, (SIZE_T)(end - start), Id))
            return TRUE;
    }
    return FALSE;
}

/* Index of the first ID of a REG_MULTI_SZ list that Match names, or -1. */
static LONG PnpFirstMatchingId(PCWSTR Match, PCWSTR Ids)
{
    LONG index = 0;

    if (Ids == NULL)
        return -1;
    for (PCWSTR id = Ids; *id; index++) {
        if (PnpMatchContains(Match, id))
            return index;
        while (*id)
            id++;
        id++;
    }
    return -1;
}

ULONG PnpRankMatch(PCWSTR Match, PCWSTR HardwareIds, PCWSTR CompatibleIds)
{
    LONG i;

    if (Match == NULL || Match[0] == 0)
        return PNP_RANK_NONE;
    i = PnpFirstMatchingId(Match, HardwareIds);
    if (i >= 0)
        return (ULONG)i;
    i = PnpFirstMatchingId(Match, CompatibleIds);
    if (i >= 0)
        return PNP_RANK_COMPATIBLE + (ULONG)i;
    return PNP_RANK_NONE;
}

typedef struct _PNP_MATCH_CONTEXT {
    PCWSTR HardwareIds;
    PCWSTR CompatibleIds;
    PCUNICODE_STRING ExplicitService;
    CM_SERVICE_INFO Info;           /* scratch: one service at a time */
    ULONG BestRank;
    CHAR Best[PNP_SERVICE_CHARS];
} PNP_MATCH_CONTEXT;

static BOOLEAN PnpMatchService(PCUNICODE_STRING ServiceName, PCUNICODE_STRING KeyPath,
                               PVOID Context)
{
    PNP_MATCH_CONTEXT *ctx = Context;
    BOOLEAN isExplicit;
    ULONG rank;

    if (!NT_SUCCESS(CmReadServiceInfo(KeyPath, &ctx->Info)) || !ctx->Info.HasMatch)
        return TRUE;
    isExplicit = ctx->ExplicitService != NULL &&
                 RtlEqualUnicodeString(ServiceName, ctx->ExplicitService, TRUE);
    if (ctx->Info.Start == SERVICE_DISABLED)
        return TRUE;
    if (ctx->Info.Start == SERVICE_DEMAND_START && !isExplicit)
        return TRUE;
    ctx->Info.Match[CM_SERVICE_STRING_CHARS - 1] = 0;
    rank = PnpRankMatch(ctx->Info.Match, ctx->HardwareIds, ctx->CompatibleIds);
    /* Strictly better only: services come in name order, so a tie keeps
     * the first name. */
    if (rank < ctx->BestRank) {
        ctx->BestRank = rank;
        RtlUnicodeToAscii(ctx->Best, sizeof(ctx->Best), ServiceName);
    }
    return TRUE;
}

NTSTATUS PnpFindBestService(PCWSTR HardwareIds, PCWSTR CompatibleIds,
                            PCUNICODE_STRING ExplicitService, PCHAR Service,
                            SIZE_T ServiceSize, PULONG Rank)
{
    PNP_MATCH_CONTEXT *ctx;
    NTSTATUS status;

    ctx = ExAllocatePoolZero(NonPagedPool, sizeof(*ctx), PNP_MATCH_TAG);
    if (ctx == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ctx->HardwareIds = HardwareIds;
    ctx->CompatibleIds = CompatibleIds;
    ctx->ExplicitService = ExplicitService;
    ctx->BestRank = PNP_RANK_NONE;
    status = CmFindServices(PnpMatchService, ctx);
    if (NT_SUCCESS(status))
        status = ctx->BestRank == PNP_RANK_NONE ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_SUCCESS;
    if (NT_SUCCESS(status)) {
        RtlAsciiCopy(Service, ServiceSize, ctx->Best);
        if (Rank)
            *Rank = ctx->BestRank;
    }
    ExFreePoolWithTag(ctx, PNP_MATCH_TAG);
    return status;
}
