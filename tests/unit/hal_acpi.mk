UNIT_TESTS += hal_acpi
hal_acpi_SRCS := tests/unit/test_hal_acpi.c hw/acpi_parse.c hw/acpi_aml.c
