/* ntstor_scsiid.h - the PnP IDs NT's storage port drivers (storport,
 * usbstor) give a SCSI logical unit, so a class driver matched on
 * SCSI\Disk or GenDisk binds whichever bus the unit sits on.  ahci's disk
 * PDOs (vendor "ATA") and usbstor's LUN PDOs (INQUIRY vendor and product)
 * answer IRP_MN_QUERY_ID with these.  Not an NT interface; ntstor keeps one
 * copy.  PASSIVE_LEVEL, no lock (ntstor_busid.h). */
#ifndef NTSTOR_SCSIID_H
#define NTSTOR_SCSIID_H

#include <ntstor_busid.h>

/* INQUIRY's field widths: the hardware ID spells vendor and product at these
 * widths, padded with '_'. */
#define NTSTOR_SCSI_VENDOR_CHARS  8
#define NTSTOR_SCSI_PRODUCT_CHARS 16

/* Adds the IDs of type Type for a unit whose SCSI type name is TypeName
 * ("Disk", "CdRom", ...) and generic name Generic ("GenDisk"):
 *   DeviceID     SCSI\<type>&Ven_<vendor>&Prod_<product>
 *   HardwareIDs  SCSI\<type><vendor, 8><product, 16>, SCSI\<type>, <generic>
 *   CompatibleIDs SCSI\<type>, <generic>
 * Vendor and Product are the device's strings, blanks already trimmed; each
 * byte an ID may not hold becomes '_' (NtstorIdPiece), and only the hardware
 * ID's form pads them.  TRUE if Type is one of these three; FALSE (nothing
 * added) for the instance ID and the rest, which are the bus driver's own. */
static inline BOOLEAN NtstorScsiAddIds(PNTSTOR_ID_LIST List, BUS_QUERY_ID_TYPE Type, PCSTR TypeName,
                                       PCSTR Generic, PCSTR Vendor, PCSTR Product)
{
    CHAR ven[NTSTOR_SCSI_VENDOR_CHARS + 1], prod[NTSTOR_SCSI_PRODUCT_CHARS + 1];

    switch (Type) {
    case BusQueryDeviceID:
        NtstorIdPiece(ven, Vendor, NTSTOR_SCSI_VENDOR_CHARS, FALSE);
        NtstorIdPiece(prod, Product, NTSTOR_SCSI_PRODUCT_CHARS, FALSE);
        NtstorIdListAdd(List, "SCSI\\%s&Ven_%s&Prod_%s", TypeName, ven, prod);
        return TRUE;
    case BusQueryHardwareIDs:
        NtstorIdPiece(ven, Vendor, NTSTOR_SCSI_VENDOR_CHARS, TRUE);
        NtstorIdPiece(prod, Product, NTSTOR_SCSI_PRODUCT_CHARS, TRUE);
        NtstorIdListAdd(List, "SCSI\\%s%s%s", TypeName, ven, prod);
        NtstorIdListAdd(List, "SCSI\\%s", TypeName);
        NtstorIdListAdd(List, "%s", Generic);
        return TRUE;
    case BusQueryCompatibleIDs:
        NtstorIdListAdd(List, "SCSI\\%s", TypeName);
        NtstorIdListAdd(List, "%s", Generic);
        return TRUE;
    default:
        return FALSE;
    }
}

#endif /* NTSTOR_SCSIID_H */
