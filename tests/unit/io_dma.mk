UNIT_TESTS += io_dma
io_dma_SRCS := tests/unit/test_io_dma.c kernel/io/dma.c
$(B)/unit/io_dma: kernel/io/iop.h include/wdm/dma.h
