UNIT_TESTS += hal_pci
hal_pci_SRCS := tests/unit/test_hal_pci.c hw/pci_decode.c
