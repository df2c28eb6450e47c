# tools/tpm-diff: husk-tpm-diff, the differential tester of husk's TPM engine
# against libtpms (both in one process).  `make tpm-diff` runs it in full,
# `make tpm-diff-smoke` on what husk implements today.  See docs/tpm-testing.md.
HUSK_TPM_DIFF := $(BUILD)/host/tools/husk-tpm-diff

# Shared with tools/tpm-bench: the two engines, commands, fixtures.
TPM_DIFF_COMMON_SRCS := tools/tpm-diff/engine.c tools/tpm-diff/ref_libtpms.c \
	tools/tpm-diff/tpmcmd.c tools/tpm-diff/fixtures.c tests/common/tpm_host.c
TPM_DIFF_COMMON_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_DIFF_COMMON_SRCS))
TPM_DIFF_HUSK_LIBS := $(BUILD)/host/libtpm.a $(BUILD)/host/libcrypto.a \
	$(BUILD)/host/libmbedcrypto.a $(BUILD)/host/libfmt.a

TPM_DIFF_SRCS := tools/tpm-diff/main.c tools/tpm-diff/mutations.c tools/tpm-diff/outputs.c
TPM_DIFF_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_DIFF_SRCS)) $(TPM_DIFF_COMMON_OBJS)

$(HUSK_TPM_DIFF): $(TPM_DIFF_OBJS) $(TPM_DIFF_HUSK_LIBS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $(TPM_DIFF_OBJS) $(TPM_DIFF_HUSK_LIBS) -ltpms

ALL_TARGETS += $(HUSK_TPM_DIFF)

.PHONY: tpm-diff tpm-diff-smoke
# Every case; exit status 1 on any difference known.txt does not explain.
tpm-diff: $(HUSK_TPM_DIFF)
	$(Q)$(HUSK_TPM_DIFF) --summary
tpm-diff-smoke: $(HUSK_TPM_DIFF)
	$(Q)$(HUSK_TPM_DIFF) --smoke
