/* pcip.h - private interface of the PCI files.  hw/pci_decode.c is pure
 * logic over values read from configuration space, so host unit tests can
 * drive it with fabricated config spaces. */
#ifndef NTSTOR_PCIP_H
#define NTSTOR_PCIP_H

#include <ntdef.h>
#include <hal.h>

/* Reads one byte of a function's configuration space. */
typedef UCHAR (*HALP_PCI_READ8)(PVOID Context, USHORT Offset);

/* Walks the capability list (PCI 3.0, 6.7) from the pointer at CapPtrOffset
 * (0x34, or 0x14 for CardBus), calling Visit for each (Id, Offset) until
 * Visit returns TRUE.  Stops at a pointer below 0x40, after 48 entries
 * (a loop), or at the end.  Returns the offset Visit accepted, or 0. */
typedef BOOLEAN (*HALP_PCI_CAP_VISIT)(PVOID Context, UCHAR Id, UCHAR Offset);
UCHAR HalpPciWalkCapabilities(HALP_PCI_READ8 Read8, PVOID ReadContext, UCHAR CapPtrOffset,
                              HALP_PCI_CAP_VISIT Visit, PVOID VisitContext);

/* Decodes one BAR from its original value and what reads back after
 * writing all ones (PCI 3.0, 6.2.5.1); for a 64-bit memory BAR the upper
 * dword's pair too.  Returns the number of BAR slots used (1 or 2). */
ULONG HalpPciDecodeBar(ULONG Original, ULONG Mask, ULONG OriginalHigh, ULONG MaskHigh,
                       BOOLEAN HaveHigh, HAL_PCI_BAR *Bar);

/* hw/pci_config.c: TRUE if any device answers at function 0 of Bus.  A
 * probe of a bus the scan had not mapped yet leaves no ECAM mapping
 * behind when the bus is empty, so looking at all 256 buses of a segment
 * costs no address space for the ones that hold nothing. */
BOOLEAN HalpPciBusHasDevices(USHORT Seg, UCHAR Bus);

#endif
