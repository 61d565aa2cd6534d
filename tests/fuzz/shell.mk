FUZZERS += shell
shell_FUZZ_SRCS := tests/fuzz/fuzz_shell.c kernel/shell/parse.c kernel/rtl/ascii.c
$(B)/fuzz/shell: FUZZ_CFLAGS += -Ikernel/shell
