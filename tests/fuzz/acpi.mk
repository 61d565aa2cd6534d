FUZZERS += acpi
acpi_FUZZ_SRCS := tests/fuzz/fuzz_acpi.c hw/acpi_parse.c hw/acpi_aml.c
