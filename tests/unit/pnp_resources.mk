# Resource requirements and their assignment (kernel/pnp/resources.c,
# reqlist.c, pcires.c) against fake HAL, vector allocator and PnP IRPs.
UNIT_TESTS += pnp_resources
pnp_resources_SRCS := tests/unit/test_pnp_resources.c kernel/pnp/resources.c kernel/pnp/reqlist.c \
            kernel/pnp/pcires.c kernel/rtl/ascii.c kernel/rtl/format.c
$(B)/unit/pnp_resources: kernel/pnp/pnpp.h kernel/include/pnp.h include/wdm/io.h include/ntstor_resreq.h
