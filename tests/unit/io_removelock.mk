# Remove locks on the real dispatcher (threads wait for each other).  "=",
# not ":=": KE_DISPATCHER_SRCS comes from ke_core.mk, included later.
UNIT_TESTS += io_removelock
io_removelock_SRCS = tests/unit/test_io_removelock.c kernel/io/removelock.c $(KE_DISPATCHER_SRCS)
