# ntstor - the one entry point.
#
#   make                 loader, kernel, drivers, test drivers
#   make image           build/ntstor.img (GPT, FAT32 ESP), AUTORUN=file SYSTEM_CFG=file
#   make run             boot the image in QEMU (tools/qemu-run.sh)
#   make test            unit tests, short fuzz runs, QEMU serial-console tests
#   make unit            host unit tests only (cmocka, ASan+UBSan)
#   make fuzz            longer fuzz runs (FUZZ_SECONDS=, default 60 each, one per core),
#                        merged into the corpus in tests/fuzz/corpus/
#   make bench           storage benchmarks in QEMU
#
# CROSS_COMPILE=x86_64-elf- selects a cross toolchain for the kernel, drivers
# and loader; host tools and tests always use the host's cc/clang.

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
NM      := $(CROSS_COMPILE)nm
NASM    ?= nasm
HOSTCC  ?= cc
FUZZCC  ?= clang
# Debian's python3, where python3-pytest and python3-pexpect are installed.
PYTHON  ?= /usr/bin/python3

B := build

# The first rule would otherwise be a generated file's; `make` alone builds
# what the header says.
.DEFAULT_GOAL := all

# A recipe that fails (a generator script, a link) leaves no half-made target
# for the next make to trust.
.DELETE_ON_ERROR:
V ?= 0
ifeq ($(V),0)
Q := @
endif

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)

# --- kernel -----------------------------------------------------------------
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-missing-field-initializers
KINC := -Iinclude -Ikernel/include -Ihw/include -Ihw/include/regs
KERNEL_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(GCC_INCLUDE) \
        -fno-stack-protector -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
        -mgeneral-regs-only -fno-omit-frame-pointer -fno-strict-aliasing \
        -fno-builtin-printf -fcf-protection=none -MMD -MP $(WARN) $(KINC)
KERNEL_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
        --no-warn-rwx-segments -T linker.ld

# libgcc supplies the helpers GCC may call in freestanding code (__popcountdi2 ...).
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

KERNEL_C   := $(sort $(wildcard kernel/*.c kernel/*/*.c hw/*.c))
KERNEL_ASM := $(sort $(wildcard kernel/*/*.asm hw/*.asm))
KERNEL_OBJ := $(KERNEL_C:%.c=$(B)/%.o) $(KERNEL_ASM:%.asm=$(B)/%.asm.o) $(B)/gen/status_names.o $(B)/gen/fbfont.o

# RtlNtStatusName's table comes from include/ntstatus.h: one list of codes.
$(B)/gen/status_names.c: include/ntstatus.h tools/gen-status-names.sh
	@mkdir -p $(dir $@)
	$(Q)tools/gen-status-names.sh $< > $@
$(B)/gen/status_names.o: $(B)/gen/status_names.c
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

# The framebuffer console's glyphs come from a Linux console font (Debian's kbd).
FONT ?= /usr/share/consolefonts/Lat15-VGA16.psf.gz
$(B)/gen/fbfont.c: tools/psf2c.py
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) tools/psf2c.py $(FONT) > $@
$(B)/gen/fbfont.o: $(B)/gen/fbfont.c
	$(Q)$(CC) $(KERNEL_CFLAGS) -Wno-missing-variable-declarations -c $< -o $@

$(B)/kernel/%.o $(B)/hw/%.o: CFLAGS_FOR = $(KERNEL_CFLAGS)
$(B)/kernel/%.o: kernel/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@
$(B)/hw/%.o: hw/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@
$(B)/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) -f elf64 -g -Ikernel/include/ -o $@ $<

$(B)/kernel.elf: $(KERNEL_OBJ) linker.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) $(LIBGCC)

# --- driver images (ELF64 shared objects, see kernel/ldr/) -------------------
# A driver sees only include/ and the register layouts in hw/include/regs/
# (pure #defines of hardware, no kernel internals).  Each directory under drivers/ (and the test
# drivers under tests/drivers/) is one image named after it.
DRIVER_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(GCC_INCLUDE) \
        -fPIC -fvisibility=hidden -fno-stack-protector -mno-red-zone -mgeneral-regs-only \
        -fno-omit-frame-pointer -fno-strict-aliasing -fcf-protection=none -fno-plt \
        -MMD -MP $(WARN) -Iinclude -Ihw/include/regs
DRIVER_LDFLAGS := -shared -nostdlib -z max-page-size=4096 -z noexecstack -z now \
        -z separate-code --hash-style=sysv --no-undefined-version -e DriverEntry

DRIVERS      := $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard drivers/*/*.c)))))
TEST_DRIVERS := $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard tests/drivers/*/*.c)))))
DRIVER_SYS   := $(DRIVERS:%=$(B)/drivers/%.sys)
TEST_SYS     := $(TEST_DRIVERS:%=$(B)/tests/drivers/%.sys)

$(B)/drv/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(DRIVER_CFLAGS) -c $< -o $@

# The objects of one image directory.  (Not patsubst with %: in a pattern
# rule's second expansion every % is replaced by the stem.)
driver_objs = $(addprefix $(B)/drv/,$(addsuffix .o,$(basename $(wildcard $(1)/*.c))))

# Driver objects come from pattern rules, so make would treat them as
# intermediate and delete them after each link; keep them for incremental builds.
.SECONDARY:
.SECONDEXPANSION:
$(B)/drivers/%.sys: $$(call driver_objs,drivers/$$*)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(LD) $(DRIVER_LDFLAGS) -o $@ $^
$(B)/tests/drivers/%.sys: $$(call driver_objs,tests/drivers/$$*)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(LD) $(DRIVER_LDFLAGS) -o $@ $^

# badhdr: a valid image whose e_phoff (ELF header byte 32, 8 bytes) is
# overwritten with 0x7fff0000 after linking: the loader must refuse it.
$(B)/tests/drivers/badhdr.sys: $(call driver_objs,tests/drivers/badhdr)
	@mkdir -p $(dir $@)
	@echo "  LD      $@ (e_phoff corrupted)"
	$(Q)$(LD) $(DRIVER_LDFLAGS) -o $@.tmp $^
	$(Q)printf '\000\000\377\177\000\000\000\000' | dd of=$@.tmp bs=1 seek=32 conv=notrunc status=none
	$(Q)mv $@.tmp $@

# --- UEFI loader (GNU-EFI) ---------------------------------------------------
EFI_INC  ?= /usr/include/efi
EFI_LIB  ?= /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 -fpic -fshort-wchar -ffreestanding -fno-stack-protector \
        -fno-strict-aliasing -mno-red-zone -maccumulate-outgoing-args -DEFI_FUNCTION_WRAPPER \
        -DGNU_EFI_USE_MS_ABI -MMD -MP -Wall -Wextra -Werror -Wno-unused-parameter \
        -I$(EFI_INC) -I$(EFI_INC)/x86_64 -Ikernel/include
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T $(EFI_LIB)/elf_x86_64_efi.lds \
        -L$(EFI_LIB) $(EFI_LIB)/crt0-efi-x86_64.o
BOOT_C   := $(sort $(wildcard boot/*.c))
BOOT_OBJ := $(BOOT_C:%.c=$(B)/%.o)

$(B)/boot/%.o: boot/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@
$(B)/boot/loader.so: $(BOOT_OBJ)
	$(Q)$(LD) $(EFI_LDFLAGS) $(BOOT_OBJ) -o $@ -lefi -lgnuefi
$(B)/BOOTX64.EFI: $(B)/boot/loader.so
	@echo "  EFI     $@"
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
	    -j .rela -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 $< $@

# --- top-level targets ------------------------------------------------------
ALL := $(B)/kernel.elf $(DRIVER_SYS) $(TEST_SYS)
ifneq ($(BOOT_C),)
ALL += $(B)/BOOTX64.EFI
endif

.PHONY: all image run test unit fuzz fuzz-short qemu-test hw-test hw-test-qemu bench clean
all: $(ALL)

AUTORUN    ?=
SYSTEM_CFG ?= tools/system.cfg
image: all
	$(Q)AUTORUN="$(AUTORUN)" SYSTEM_CFG="$(SYSTEM_CFG)" tools/mkimage.sh $(B)/ntstor.img

# The demo disk: a second SATA disk with a GPT made by sgdisk.
$(B)/demo-disk.img: tools/mkdemo.sh
	$(Q)tools/mkdemo.sh $@

run: image $(B)/demo-disk.img
	$(Q)tools/qemu-run.sh --disk $(B)/demo-disk.img:port=1 $(RUN_ARGS)

# --- host unit tests (cmocka, sanitizers) ------------------------------------
# Each tests/unit/<name>.mk adds its test:  UNIT_TESTS += name
#                                           name_SRCS := tests/unit/test_name.c kernel/...
HOST_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer -DNTSTOR_HOST_TEST -Wall -Wextra -Werror -Wno-unused-parameter \
        -Wno-missing-field-initializers -Iinclude -Ikernel/include -Ihw/include -Itests/unit
UNIT_TESTS :=
FUZZERS :=
-include $(sort $(wildcard tests/unit/*.mk))
-include $(sort $(wildcard tests/fuzz/*.mk))

define unit_rule
$(B)/unit/$(1): $$($(1)_SRCS) tests/unit/host_support.c $$(wildcard tests/unit/*.h)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) -o $$@ $$($(1)_SRCS) tests/unit/host_support.c -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# Some tests read built images (build/kernel.elf, build/tests/drivers/*.sys).
unit: all $(UNIT_TESTS:%=$(B)/unit/%)
	$(Q)tools/run-unit.sh $(UNIT_TESTS:%=$(B)/unit/%)

# --- fuzz targets (clang libFuzzer) ------------------------------------------
# Each tests/fuzz/<name>.mk adds:  FUZZERS += name;  name_FUZZ_SRCS := ...
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -DNTSTOR_HOST_TEST \
        -Iinclude -Ikernel/include -Ihw/include -Itests/unit -Wno-unused-parameter
define fuzz_rule
$(B)/fuzz/$(1): $$($(1)_FUZZ_SRCS) tests/unit/host_support.c
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	$$(Q)$$(FUZZCC) $$(FUZZ_CFLAGS) -o $$@ $$($(1)_FUZZ_SRCS) tests/unit/host_support.c
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

# fuzz-short (part of make test): a few seconds per target from the repo's
# corpus, which long runs keep up to date, so short runs start where they
# ended.  fuzz: FUZZ_SECONDS per target, FUZZ_JOBS targets at a time (one per
# core), then what they learned is merged, minimized, into tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 5
FUZZ_JOBS ?= $(shell nproc)
fuzz-short: $(FUZZERS:%=$(B)/fuzz/%)
	$(Q)FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) tools/run-fuzz.sh $(FUZZERS)
fuzz: $(FUZZERS:%=$(B)/fuzz/%)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) tools/run-fuzz.sh --merge $(FUZZERS)

# --- QEMU serial-console tests -----------------------------------------------
# Two QEMU machines at a time (pytest-xdist), each test file on one worker
# so its module fixtures boot once; QEMU_JOBS=1 runs them one by one.
QEMU_JOBS ?= 2
qemu-test: image
	$(Q)$(PYTHON) -m pytest -v -n $(QEMU_JOBS) --dist loadfile tests/qemu $(PYTEST_ARGS)

# The hardware suite against the machine a target file describes (a PC on a
# serial port: tests/targets/qemu-pty.cfg shows the keys).  Builds nothing:
# the machine boots what is on its stick.  JUnit XML, the serial log of every
# boot and a summary land in build/hw-results/.
HW_NAME = $(basename $(notdir $(TARGET)))
hw-test:
	$(if $(TARGET),,$(error make hw-test needs TARGET=<target file>, e.g. tests/targets/qemu-pty.cfg))
	@mkdir -p $(B)/hw-results
	$(Q)$(PYTHON) -m pytest -v -p no:cacheprovider tests/hw tests/qemu --target=$(TARGET) \
	    --junitxml=$(B)/hw-results/$(HW_NAME)-junit.xml $(PYTEST_ARGS)

# The proof that hw-test drives a machine over a serial line: QEMU attached as
# a pty, reset through its monitor, once with a scratch disk and once without.
hw-test-qemu: image
	$(Q)$(PYTHON) tools/qemu-pty-target.py --target tests/targets/qemu-pty.cfg \
	    --junit $(B)/hw-results/qemu-pty-junit.xml -- \
	    $(MAKE) --no-print-directory hw-test TARGET=tests/targets/qemu-pty.cfg
	$(Q)$(PYTHON) tools/qemu-pty-target.py --target tests/targets/qemu-pty-noscratch.cfg \
	    --junit $(B)/hw-results/qemu-pty-noscratch-junit.xml --expect-skip "no scratch disk" -- \
	    $(MAKE) --no-print-directory hw-test TARGET=tests/targets/qemu-pty-noscratch.cfg
	$(Q)$(PYTHON) tools/qemu-pty-target.py --target tests/targets/qemu-pty.cfg --console pci-serial \
	    --junit $(B)/hw-results/qemu-pci-serial-junit.xml -- \
	    $(MAKE) --no-print-directory hw-test TARGET=tests/targets/qemu-pty.cfg HW_NAME=qemu-pci-serial

test: all unit fuzz-short qemu-test hw-test-qemu

bench: image
	$(Q)$(PYTHON) tools/bench.py

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
