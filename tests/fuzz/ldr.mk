FUZZERS += ldr
ldr_FUZZ_SRCS := tests/fuzz/fuzz_ldr.c kernel/ldr/elf_validate.c kernel/ldr/elf_reloc.c kernel/rtl/format.c
