UNIT_TESTS += shell_parse
shell_parse_SRCS := tests/unit/test_shell_parse.c kernel/shell/parse.c kernel/rtl/ascii.c
$(B)/unit/shell_parse: HOST_CFLAGS += -Ikernel/shell
