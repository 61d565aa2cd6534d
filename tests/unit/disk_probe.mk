UNIT_TESTS += disk_probe
disk_probe_SRCS := tests/unit/test_disk_probe.c drivers/disk/probe.c drivers/disk/request.c
