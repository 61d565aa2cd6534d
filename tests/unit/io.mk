UNIT_TESTS += io
io_SRCS := tests/unit/test_io.c \
           kernel/io/irp.c kernel/io/complete.c kernel/io/build.c kernel/io/mdl.c \
           kernel/io/devqueue.c kernel/io/startio.c kernel/io/cancel.c kernel/io/interrupt.c \
           kernel/io/driver.c kernel/io/device.c kernel/io/file.c kernel/io/ntapi.c kernel/io/iomgr.c \
           kernel/io/poll.c kernel/io/intrex.c kernel/io/profile.c kernel/ex/lookaside.c \
           kernel/io/verifier.c \
           kernel/io/shutdown.c kernel/io/harderr.c kernel/ke/shutdown.c \
           kernel/ob/obcreate.c kernel/ob/obdir.c kernel/ob/obhandle.c kernel/ob/obinit.c \
           kernel/ob/oblink.c kernel/ob/oblookup.c kernel/ob/obref.c kernel/rtl/unicode.c \
           kernel/rtl/ascii.c kernel/rtl/format.c
$(B)/unit/io: kernel/io/iop.h kernel/include/io.h include/wdm/io.h
