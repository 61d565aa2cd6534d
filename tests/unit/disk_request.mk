UNIT_TESTS += disk_request
disk_request_SRCS := tests/unit/test_disk_request.c drivers/disk/request.c
