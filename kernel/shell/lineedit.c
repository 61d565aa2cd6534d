/* lineedit.c - reading a command line from the console with editing:
 * backspace, left/right, Home/End (and Ctrl-A/Ctrl-E), Ctrl-U to clear,
 * Ctrl-C to abandon the line, up/down through the history.  VT100 keys
 * arrive as ESC [ x sequences on the serial line.
 *
 * A line is taken whole or not at all: one that ran past SHELL_LINE_MAX - 1
 * characters or held a byte from 0x80 up is refused when Enter comes (the
 * caller prints the error), never cut or filtered into another command
 * ("trim 1 100 <240 blanks>80000" must not become "trim 1 100 8000"). */
#include <ntos.h>
#include "shellp.h"

#define HISTORY_DEPTH 32

static CHAR History[HISTORY_DEPTH][SHELL_LINE_MAX];
static ULONG HistoryCount;      /* total lines ever added */

/* Blocks the shell thread until a key comes (input.c): other threads
 * run, and with none ready the CPU idles. */
static INT ReadKey(VOID)
{
    return ShellGetKey();
}

static VOID Echo(PCSTR s, SIZE_T n)
{
    ConWrite(s, n);
}

static VOID Backspaces(SIZE_T n)
{
    while (n--)
        Echo("\b", 1);
}

/* Redraws from position Pos to the end, erasing Extra stale cells, and puts
 * the cursor back at Pos. */
static VOID Redraw(PCHAR Line, SIZE_T Len, SIZE_T Pos, SIZE_T Extra)
{
    Echo(Line + Pos, Len - Pos);
    for (SIZE_T i = 0; i < Extra; i++)
        Echo(" ", 1);
    Backspaces(Len - Pos + Extra);
}

static VOID ReplaceLine(PCHAR Line, SIZE_T *Len, SIZE_T *Pos, PCSTR With)
{
    SIZE_T old = *Len;
    Backspaces(*Pos);
    RtlAsciiCopy(Line, SHELL_LINE_MAX, With);
    *Len = *Pos = RtlAsciiLength(Line);
    Redraw(Line, *Len, 0, old > *Len ? old - *Len : 0);
    Echo(Line, *Len);
}

VOID ShellHistoryAdd(PCSTR Line)
{
    if (!*Line)
        return;
    if (HistoryCount && RtlAsciiCompare(History[(HistoryCount - 1) % HISTORY_DEPTH], Line, FALSE) == 0)
        return;
    RtlAsciiCopy(History[HistoryCount % HISTORY_DEPTH], SHELL_LINE_MAX, Line);
    HistoryCount++;
}

NTSTATUS ShellReadLine(PCHAR Line)
{
    SIZE_T len = 0, pos = 0;
    ULONG browse = HistoryCount;    /* history index being shown */
    static BOOLEAN lastWasCr;
    /* Why the line will be refused: STATUS_SUCCESS while it is whole.  A
     * new line (Ctrl-U, a history entry) starts clean. */
    NTSTATUS refused = STATUS_SUCCESS;

    Line[0] = 0;
    for (;;) {
        INT c = ReadKey();
        if (c == '\n' && lastWasCr) {   /* CR LF counts once */
            lastWasCr = FALSE;
            continue;
        }
        lastWasCr = (c == '\r');
        if (c == '\r' || c == '\n') {
            Echo("\n", 1);
            Line[NT_SUCCESS(refused) ? len : 0] = 0;
            return refused;
        }
        if (c == 0x03) {                /* Ctrl-C */
            Echo("^C\n", 3);
            Line[0] = 0;
            return STATUS_SUCCESS;
        }
        if (c == 0x7F || c == 0x08) {   /* backspace */
            if (pos == 0)
                continue;
            RtlMoveMemory(Line + pos - 1, Line + pos, len - pos);
            pos--;
            len--;
            Echo("\b", 1);
            Redraw(Line, len, pos, 1);
            continue;
        }
        if (c == 0x01) {                /* Ctrl-A: home */
            Backspaces(pos);
            pos = 0;
            continue;
        }
        if (c == 0x05) {                /* Ctrl-E: end */
            Echo(Line + pos, len - pos);
            pos = len;
            continue;
        }
        if (c == 0x15) {                /* Ctrl-U: clear */
            ReplaceLine(Line, &len, &pos, "");
            refused = STATUS_SUCCESS;
            continue;
        }
        if (c == 0x1B) {
            INT c1 = ReadKey();
            if (c1 != '[' && c1 != 'O')
                continue;
            INT c2 = ReadKey();
            if (c2 >= '0' && c2 <= '9') {   /* ESC [ n ~ */
                if (ReadKey() != '~')
                    continue;
                c2 = (c2 == '1' || c2 == '7') ? 'H' : (c2 == '4' || c2 == '8') ? 'F' : 0;
            }
            switch (c2) {
            case 'D':
                if (pos) { pos--; Echo("\b", 1); }
                break;
            case 'C':
                if (pos < len) { Echo(Line + pos, 1); pos++; }
                break;
            case 'H':
                Backspaces(pos);
                pos = 0;
                break;
            case 'F':
                Echo(Line + pos, len - pos);
                pos = len;
                break;
            case 'A': {
                ULONG oldest = HistoryCount > HISTORY_DEPTH ? HistoryCount - HISTORY_DEPTH : 0;
                if (browse > oldest) {
                    browse--;
                    ReplaceLine(Line, &len, &pos, History[browse % HISTORY_DEPTH]);
                    refused = STATUS_SUCCESS;
                }
                break;
            }
            case 'B':
                if (browse < HistoryCount) {
                    browse++;
                    ReplaceLine(Line, &len, &pos,
                                browse == HistoryCount ? "" : History[browse % HISTORY_DEPTH]);
                    refused = STATUS_SUCCESS;
                }
                break;
            }
            continue;
        }
        if (c >= 0x80) {
            refused = STATUS_INVALID_PARAMETER;
            continue;
        }
        if (c < 0x20 || c == 0x7F)      /* a control key the editor does not know */
            continue;
        if (len + 1 >= SHELL_LINE_MAX) {
            if (NT_SUCCESS(refused))
                refused = STATUS_NAME_TOO_LONG;
            continue;
        }
        RtlMoveMemory(Line + pos + 1, Line + pos, len - pos);
        Line[pos] = (CHAR)c;
        len++;
        Echo(Line + pos, 1);
        pos++;
        Redraw(Line, len, pos, 0);
    }
}
