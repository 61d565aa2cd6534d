UNIT_TESTS += ke_sched
ke_sched_SRCS := tests/unit/test_ke_sched.c $(KE_DISPATCHER_SRCS)
