# Remove locks on the real dispatcher (threads wait for each other).  "=",
# not ":=": KE_DISPATCHER_SRCS comes from ke_core.mk, included later.
UNIT_TESTS += io_removelock
# With the verifier's remove-lock rule (vfremlock.c over verifier.c).
io_removelock_SRCS = tests/unit/test_io_removelock.c kernel/io/removelock.c kernel/io/vfremlock.c \
        kernel/io/verifier.c kernel/rtl/unicode.c kernel/rtl/ascii.c kernel/rtl/format.c $(KE_DISPATCHER_SRCS)
