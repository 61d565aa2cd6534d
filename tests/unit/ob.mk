UNIT_TESTS += ob
ob_SRCS := tests/unit/test_ob.c kernel/ob/obcreate.c kernel/ob/obdir.c kernel/ob/obhandle.c \
           kernel/ob/obinit.c kernel/ob/oblink.c kernel/ob/oblookup.c kernel/ob/obref.c \
           kernel/rtl/unicode.c
