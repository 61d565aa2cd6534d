/* config.c - find the services of system.cfg whose images the loader brings
 * (every Start but Disabled; format: DESIGN.md, "Configuration: system.cfg").
 * Lenient on purpose: anything it does not understand is skipped, the kernel
 * reports it with a line number. */
#include "config.h"

static int BlpIsBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char BlpLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive compare of [s, s+n) with the NUL-terminated Word. */
static int BlpEqualsIgnoreCase(const char *s, size_t n, const char *Word)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (Word[i] == '\0' || BlpLower(s[i]) != BlpLower(Word[i]))
            return 0;
    }
    return Word[n] == '\0';
}

static void BlpTrim(const char **s, const char **e)
{
    while (*s < *e && BlpIsBlank(**s))
        (*s)++;
    while (*e > *s && BlpIsBlank((*e)[-1]))
        (*e)--;
}

/* Copy [s, e) to Dest as a NUL-terminated string; 0 if it does not fit. */
static int BlpCopy(char *Dest, size_t DestSize, const char *s, const char *e)
{
    size_t n = (size_t)(e - s), i;

    if (n >= DestSize)
        return 0;
    for (i = 0; i < n; i++)
        Dest[i] = s[i];
    Dest[n] = '\0';
    return 1;
}

/* [Services\<name>] -> the service record, created on first sight; NULL for
 * any other section (including Services\<name>\Parameters). */
static BL_SERVICE *BlpSection(BL_CONFIG *Config, const char *s, const char *e)
{
    static const char Prefix[] = "services\\";
    const size_t PrefixLength = sizeof(Prefix) - 1;
    const char *p;
    BL_SERVICE *Service;
    uint32_t i;

    BlpTrim(&s, &e);
    if ((size_t)(e - s) <= PrefixLength)
        return NULL;
    for (i = 0; i < PrefixLength; i++) {
        if (BlpLower(s[i]) != Prefix[i])
            return NULL;
    }
    s += PrefixLength;
    for (p = s; p < e; p++) {
        if (*p == '\\' || *p == '/' || *p == '[' || *p == ']')
            return NULL;
    }
    for (i = 0; i < Config->ServiceCount; i++) {
        Service = &Config->Services[i];
        if (BlpEqualsIgnoreCase(s, (size_t)(e - s), Service->Name))
            return Service;
    }
    if (Config->ServiceCount == BL_MAX_SERVICES ||
        (size_t)(e - s) >= BL_SERVICE_NAME_MAX) {
        Config->ServicesDropped++;
        return NULL;
    }
    Service = &Config->Services[Config->ServiceCount++];
    BlpCopy(Service->Name, sizeof(Service->Name), s, e);
    Service->ImagePath[0] = '\0';
    Service->Preload = 1;            /* no Start = Demand */
    Service->ImagePathTooLong = 0;
    return Service;
}

static void BlpKeyValue(BL_SERVICE *Service, const char *s, const char *e)
{
    const char *Equals = s, *Value;

    while (Equals < e && *Equals != '=')
        Equals++;
    if (Equals == e)
        return;                         /* not key = value: ignored */
    Value = Equals + 1;
    BlpTrim(&s, &Equals);
    BlpTrim(&Value, &e);
    if (e - Value >= 2 && Value[0] == '"' && e[-1] == '"') {
        Value++;
        e--;
    }
    if (BlpEqualsIgnoreCase(s, (size_t)(Equals - s), "ImagePath")) {
        Service->ImagePathTooLong = !BlpCopy(Service->ImagePath,
                                             sizeof(Service->ImagePath), Value, e);
        if (Service->ImagePathTooLong)
            Service->ImagePath[0] = '\0';
    } else if (BlpEqualsIgnoreCase(s, (size_t)(Equals - s), "Start")) {
        /* Disabled is the only start type whose image stays on disk: the
         * kernel cannot read the boot volume itself, so Demand and System
         * images must come along for `load` to find them. */
        Service->Preload = !(BlpEqualsIgnoreCase(Value, (size_t)(e - Value), "Disabled") ||
                             BlpEqualsIgnoreCase(Value, (size_t)(e - Value), "4"));
    }
}

void BlParseConfig(const char *Text, size_t Length, BL_CONFIG *Config)
{
    const char *Line = Text, *End = Text + Length;
    BL_SERVICE *Current = NULL;

    Config->ServiceCount = 0;
    Config->ServicesDropped = 0;

    while (Line < End) {
        const char *e = Line, *Next, *p;

        /* A NUL ends a line too: a binary file yields nothing, not a crash. */
        while (e < End && *e != '\n' && *e != '\0')
            e++;
        Next = (e < End) ? e + 1 : End;

        for (p = Line; p < e; p++) {
            if (*p == ';' || *p == '#') {
                e = p;
                break;
            }
        }
        BlpTrim(&Line, &e);
        if (Line < e) {
            if (*Line == '[') {
                /* A header without its ']' is malformed: drop the section
                 * rather than guess which one the following keys belong to. */
                Current = (e[-1] == ']' && e - Line >= 2) ?
                          BlpSection(Config, Line + 1, e - 1) : NULL;
            } else if (Current != NULL) {
                BlpKeyValue(Current, Line, e);
            }
        }
        Line = Next;
    }
}
