UNIT_TESTS += ldr
ldr_SRCS := tests/unit/test_ldr.c kernel/ldr/elf_validate.c kernel/ldr/elf_reloc.c kernel/rtl/format.c
# The test reads the real test driver images (build/tests/drivers/*.sys).
$(B)/unit/ldr: $(TEST_SYS) kernel/include/elf64.h kernel/include/ldr.h
