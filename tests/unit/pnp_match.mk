UNIT_TESTS += pnp_match
pnp_match_SRCS := tests/unit/test_pnp_match.c kernel/pnp/match.c \
            kernel/cfg/cfg_parse.c kernel/cfg/cmapi.c kernel/cfg/cminit.c \
            kernel/cfg/cmkey.c kernel/cfg/cmservice.c \
            kernel/ob/obcreate.c kernel/ob/obdir.c kernel/ob/obhandle.c kernel/ob/obinit.c \
            kernel/ob/oblink.c kernel/ob/oblookup.c kernel/ob/obref.c kernel/rtl/unicode.c \
            kernel/rtl/ascii.c kernel/rtl/format.c
