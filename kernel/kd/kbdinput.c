/* kbdinput.c - the console's keyboard input: every keyboard class device
 * calls ConKeyboardInput from its service callback (DISPATCH_LEVEL); the
 * keys are translated (kbdxlat.c) into a byte ring that ConPollChar reads
 * before the UART, so the line editor sees keyboard and serial input
 * merged, in one byte language.
 *
 * Locking: KbdInputLock guards KbdInputXlat and the ring.  The producer
 * runs at DISPATCH_LEVEL; the consumer (the shell, PASSIVE_LEVEL) takes the
 * lock with KeAcquireSpinLock, which raises to DISPATCH_LEVEL, so on one CPU
 * the two never interleave and on several the lock orders them.  A key's
 * bytes (an escape sequence) go in whole or not at all, so a reader never
 * sees half a sequence from one keyboard spliced with another's. */
#include <ntos.h>
#include <cfg.h>
#include <kbdxlat.h>
#include <ntstor_console.h>

#define KBD_RING_BYTES   256        /* a power of two: indices wrap by masking */
#define KBD_LAYOUT_CHARS 16

static KSPIN_LOCK KbdInputLock;
static KBD_XLAT KbdInputXlat;
static UCHAR KbdRing[KBD_RING_BYTES];
static ULONG KbdRingHead, KbdRingTail;     /* free-running; Head - Tail bytes queued */
static ULONG KbdDropped;
static BOOLEAN KbdInputReady;

/* [Control\Console] KeyboardLayout (us when absent or unknown).  Called
 * once the configuration tree exists (kernel/ke/init.c). */
VOID ConInitKeyboard(VOID)
{
    static const UNICODE_STRING path = RTL_CONSTANT_STRING(CM_CONTROL_SET_PATH u"\\Control\\Console");
    WCHAR wide[KBD_LAYOUT_CHARS];
    CHAR name[KBD_LAYOUT_CHARS];
    PCKBD_LAYOUT layout = NULL;
    HANDLE key;
    ULONG i;

    KeInitializeSpinLock(&KbdInputLock);
    name[0] = 0;
    if (NT_SUCCESS(CmOpenKey(&path, &key))) {
        if (NT_SUCCESS(CmQueryValueString(key, u"KeyboardLayout", wide, sizeof(wide), u""))) {
            for (i = 0; i + 1 < sizeof(name) && wide[i]; i++)
                name[i] = wide[i] < 0x80 ? (CHAR)wide[i] : '?';
            name[i] = 0;
        }
        CmCloseKey(key);
    }
    if (name[0]) {
        layout = KbdFindLayout(name);
        if (layout == NULL)
            DbgPrint("console: KeyboardLayout \"%s\" is not one of %s; using us\n", name,
                     KbdLayoutNames);
    }
    KbdXlatInit(&KbdInputXlat, layout);
    KbdInputReady = TRUE;
    DbgPrint("console: keyboard layout %s\n", KbdInputXlat.Layout->Name);
}

USHORT ConKeyboardInput(const KEYBOARD_INPUT_DATA *Data, ULONG Count)
{
    UCHAR bytes[KBD_XLAT_MAX_OUT];
    USHORT leds;
    KIRQL irql;

    if (!KbdInputReady)
        return 0;
    KeAcquireSpinLock(&KbdInputLock, &irql);
    for (ULONG i = 0; i < Count; i++) {
        ULONG n = KbdXlatKey(&KbdInputXlat, &Data[i], bytes);
        if (n == 0)
            continue;
        if (KBD_RING_BYTES - (KbdRingHead - KbdRingTail) < n) {
            KbdDropped++;
            continue;
        }
        for (ULONG j = 0; j < n; j++)
            KbdRing[KbdRingHead++ & (KBD_RING_BYTES - 1)] = bytes[j];
    }
    leds = KbdInputXlat.Leds;
    KeReleaseSpinLock(&KbdInputLock, irql);
    return leds;
}

/* The next keyboard byte, or -1.  Above DISPATCH_LEVEL (a bug check
 * screen) the ring is left alone. */
INT ConPollKeyboard(VOID)
{
    INT c = -1;
    KIRQL irql;

    if (!KbdInputReady || KeGetCurrentIrql() > DISPATCH_LEVEL)
        return -1;
    KeAcquireSpinLock(&KbdInputLock, &irql);
    if (KbdRingHead != KbdRingTail)
        c = KbdRing[KbdRingTail++ & (KBD_RING_BYTES - 1)];
    KeReleaseSpinLock(&KbdInputLock, irql);
    return c;
}
