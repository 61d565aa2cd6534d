UNIT_TESTS += cfg_parse
cfg_parse_SRCS := tests/unit/test_cfg_parse.c kernel/cfg/cfg_parse.c kernel/rtl/format.c
