# The bus drivers' ID and TargetDeviceRelation helpers (include/ntstor_busid.h,
# ntstor_scsiid.h, ntstor_targetrel.h): the IDs ahci and usbstor answer with.
UNIT_TESTS += busid
busid_SRCS := tests/unit/test_busid.c kernel/rtl/format.c
$(B)/unit/busid: include/ntstor_busid.h include/ntstor_scsiid.h include/ntstor_targetrel.h
