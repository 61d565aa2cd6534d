UNIT_TESTS += ke_timer
ke_timer_SRCS := tests/unit/test_ke_timer.c $(KE_DISPATCHER_SRCS)
