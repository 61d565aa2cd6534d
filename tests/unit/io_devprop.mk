UNIT_TESTS += io_devprop
io_devprop_SRCS := tests/unit/test_io_devprop.c kernel/io/devprop.c \
            kernel/cfg/cfg_parse.c kernel/cfg/cmapi.c kernel/cfg/cminit.c kernel/cfg/cmkey.c \
            kernel/cfg/cmservice.c kernel/cfg/zwkey.c kernel/cfg/rtlreg.c \
            kernel/ob/obcreate.c kernel/ob/obdir.c kernel/ob/obhandle.c kernel/ob/obinit.c \
            kernel/ob/oblink.c kernel/ob/oblookup.c kernel/ob/obref.c kernel/rtl/unicode.c \
            kernel/rtl/format.c
