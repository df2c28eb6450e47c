# guest/: husk's test guest, a freestanding flat binary that husk runs below
# itself on the svm platform (docs/guest.md): conformance suite, vTPM relay,
# demo and benchmark modes.  Output: $(BUILD)/guest/husk-guest.bin, linked to
# run at GPA 0x100000 and entered at its first byte (HUSK_GUEST_ENTRY_OFFSET
# in guest/guest.ld; $(BUILD)/guest/husk-guest.entry says it again).
GUEST_SRCS := guest/entry.S guest/main.c guest/serial.c guest/console.c guest/idt.c \
	guest/svsm.c guest/vcpu.c guest/tpm.c guest/hash.c guest/gtest.c \
	guest/tests_entry.c guest/tests_core.c guest/tests_pvalidate.c guest/tests_vcpu.c \
	guest/tests_vtpm.c guest/tests_attest.c guest/relay.c guest/demo.c guest/bench.c
# Portable code husk's kernel also uses, compiled again with the guest's flags,
# and mbedTLS's hashes (with husk's configuration, as the kernel builds it).
GUEST_LIB_SRCS := lib/fmt/fmt.c lib/libc/string.c \
	$(addprefix $(MBEDTLS_DIR)/library/,sha256.c sha512.c platform_util.c)

# Like the kernel's flags (no SSE/x87/MMX, no red zone: exceptions use the
# same stack), but the small code model: the guest runs identity-mapped
# below 4 GiB.
GUEST_CFLAGS := $(COMMON_CFLAGS) -O2 -ffreestanding -fno-builtin -nostdinc \
	-isystem lib/libc/include -isystem $(shell $(KCC) -print-file-name=include) \
	-mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 \
	-mcmodel=small -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections -fno-common -fno-tree-loop-distribute-patterns \
	-Iguest -DHUSK_GUEST=1
GUEST_ASFLAGS := $(GUEST_CFLAGS) -D__ASSEMBLY__
GUEST_CFLAGS += $(MBEDTLS_CPPFLAGS) -DHUSK_KERNEL=1
$(BUILD)/guest/third_party/%.o: GUEST_CFLAGS += $(MBEDTLS_RELAX) -fbuiltin
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --gc-sections \
	--no-warn-rwx-segments -T guest/guest.ld

GUEST_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(GUEST_SRCS) $(GUEST_LIB_SRCS)))
GUEST_ELF := $(BUILD)/guest/husk-guest.elf
GUEST_BIN := $(BUILD)/guest/husk-guest.bin

$(BUILD)/guest/%.o: %.c
	@mkdir -p $(@D)
	@echo "  GCC     $<"
	$(Q)$(KCC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/%.o: %.S
	@mkdir -p $(@D)
	@echo "  GAS     $<"
	$(Q)$(KCC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) guest/guest.ld
	@echo "  LD      $@"
	$(Q)$(KLD) $(GUEST_LDFLAGS) -Map=$@.map -o $@ $(GUEST_OBJS)
	$(Q)if objdump -d $@ | grep -qE '%[xy]mm|%st\(|%mm[0-7]'; then \
	    echo "guest: SSE/x87/MMX instructions in $@" >&2; rm -f $@; exit 1; fi

# .bss becomes file contents: the payload is the only guest memory that
# starts validated, and the page tables, stacks and buffers live in .bss.
$(GUEST_BIN): $(GUEST_ELF)
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O binary --set-section-flags .bss=alloc,load,contents $< $@
	$(Q)nm $< | awk '$$3 == "HUSK_GUEST_ENTRY_OFFSET" { print "0x" $$1 }' >$(BUILD)/guest/husk-guest.entry
	$(Q)test "$$(stat -c %s $@)" -eq "$$(( 0x$$(nm $< | awk '$$3 == "__guest_end" { print $$1 }') - 0x100000 ))" || \
	    { echo "guest: $@ does not cover the image up to __guest_end" >&2; rm -f $@; exit 1; }

.PHONY: guest
guest: $(GUEST_BIN)

ALL_TARGETS += $(GUEST_BIN)
