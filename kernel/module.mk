# The kernel: two builds from the same sources, husk.elf (production) and
# husk-test.elf (in-kernel tests and guardrail cases compiled in), each
# linked twice so that it carries its own symbol table (scripts/gensyms.py).

KERNEL_SRCS := \
	kernel/arch/x86/entry.S \
	kernel/arch/x86/ap_tramp.S \
	kernel/arch/x86/boot/reset.S \
	kernel/arch/x86/probe.S \
	kernel/arch/x86/cpufeatures.c \
	kernel/arch/x86/desc.c \
	kernel/arch/x86/exceptions.c \
	kernel/arch/x86/lapic.c \
	kernel/arch/x86/smp_sipi.c \
	kernel/arch/x86/tsc.c \
	kernel/arch/x86/uart.c \
	kernel/core/cmdline.c \
	kernel/core/console.c \
	kernel/core/ktest.c \
	kernel/core/main.c \
	kernel/core/panic.c \
	kernel/core/percpu.c \
	kernel/core/selftest.c \
	kernel/core/symbols.c \
	kernel/mm/kheap.c \
	kernel/mm/pages.c \
	kernel/mm/tmpmap.c \
	kernel/mm/vm.c \
	kernel/arch/x86/svm_vmrun.S \
	kernel/platform/native.c \
	kernel/platform/pc.c \
	kernel/platform/pci.c \
	kernel/platform/virtio_blk.c \
	kernel/platform/platform.c \
	kernel/platform/svm.c \
	kernel/platform/svm_mem.c \
	kernel/platform/svm_npt.c \
	kernel/platform/svm_vcpu.c kernel/platform/svm_attest.c \
	kernel/protocols/request.c \
	kernel/services/vtpm.c kernel/services/vtpm_store.c kernel/services/kbs.c kernel/services/kbs_link.c

KERNEL_TEST_SRCS := $(sort $(wildcard kernel/tests/*.c))

# Portable libraries the kernel links, in link order.
KERNEL_LIBS := svsm kbs proxy crc ekcert vstore tpm bootparams crypto mbedcrypto mm pt fmt libc

HUSK_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
# Rewritten only when the version changes, so that what embeds it rebuilds then.
VERSION_FILE := $(BUILD)/version.txt
.PHONY: FORCE
$(VERSION_FILE): FORCE
	@mkdir -p $(@D)
	@echo 'husk $(HUSK_VERSION)' | cmp -s - $@ || echo 'husk $(HUSK_VERSION)' >$@
KERNEL_CFLAGS := -Ikernel -DHUSK_VERSION='"$(HUSK_VERSION)"'
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --gc-sections \
	--no-warn-rwx-segments -T kernel/arch/x86/kernel.ld

# $(1) = flavour (kernel | kernel-test), $(2) = extra sources, $(3) = extra cflags
define kernel_image
$(1)_OBJS := $$(patsubst %.S,$(BUILD)/$(1)/%.o,$$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(KERNEL_SRCS) $(2)))
$(1)_LIBA := $$(foreach l,$$(KERNEL_LIBS),$(BUILD)/kernel/lib$$(l).a)

$(BUILD)/$(1)/kernel/%.o: kernel/%.c
	@mkdir -p $$(@D)
	@echo "  KCC     $$<  [$(1)]"
	$(Q)$$(KCC) $$(KCFLAGS) $$(KERNEL_CFLAGS) $(3) -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/kernel/%.o: kernel/%.S
	@mkdir -p $$(@D)
	@echo "  KAS     $$<  [$(1)]"
	$(Q)$$(KCC) $$(KASFLAGS) $$(KERNEL_CFLAGS) $(3) -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/kernel/core/main.o: $(VERSION_FILE)

# Pass 1: empty symbol table.  Pass 2: the real one; .ksyms is last in the
# image, so no code moves (checked below).
$(BUILD)/$(1)/husk.elf: $$($(1)_OBJS) $$($(1)_LIBA) kernel/arch/x86/kernel.ld scripts/gensyms.py
	@echo "  LD      $$@"
	$(Q)$(PYTHON) scripts/gensyms.py </dev/null >$(BUILD)/$(1)/ksyms0.S
	$(Q)$$(KCC) $$(KASFLAGS) -c $(BUILD)/$(1)/ksyms0.S -o $(BUILD)/$(1)/ksyms0.o
	$(Q)$$(KLD) $$(KERNEL_LDFLAGS) -o $$@.pass1 $$($(1)_OBJS) $(BUILD)/$(1)/ksyms0.o \
		--start-group $$($(1)_LIBA) --end-group
	$(Q)nm -n -S --defined-only $$@.pass1 | $(PYTHON) scripts/gensyms.py >$(BUILD)/$(1)/ksyms.S
	$(Q)$$(KCC) $$(KASFLAGS) -c $(BUILD)/$(1)/ksyms.S -o $(BUILD)/$(1)/ksyms.o
	$(Q)$$(KLD) $$(KERNEL_LDFLAGS) -Map=$$@.map -o $$@ $$($(1)_OBJS) $(BUILD)/$(1)/ksyms.o \
		--start-group $$($(1)_LIBA) --end-group
	$(Q)nm -n --defined-only $$@.pass1 | grep -i ' t ' >$$@.syms1; \
	    nm -n --defined-only $$@ | grep -i ' t ' >$$@.syms2; \
	    cmp -s $$@.syms1 $$@.syms2 || { echo "kernel: code moved between link passes" >&2; exit 1; }
	$(Q)rm -f $$@.pass1 $$@.syms1 $$@.syms2
	$(Q)if objdump -d $$@ | grep -qE '%[xy]mm|%st\(|%mm[0-7]'; then \
	    echo "kernel: SSE/x87/MMX instructions in $$@" >&2; exit 1; fi

ALL_TARGETS += $(BUILD)/$(1)/husk.elf
endef

$(eval $(call kernel_image,kernel,,))
$(eval $(call kernel_image,kernel-test,$(KERNEL_TEST_SRCS),-DHUSK_KTEST=1 -fno-toplevel-reorder))
