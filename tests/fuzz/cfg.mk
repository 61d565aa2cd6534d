FUZZERS += cfg
cfg_FUZZ_SRCS := tests/fuzz/fuzz_cfg.c kernel/cfg/cfg_parse.c kernel/rtl/format.c
