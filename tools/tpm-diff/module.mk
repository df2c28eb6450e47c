# tools/tpm-diff: husk-tpm-diff, the differential tester of husk's TPM engine
# against libtpms (both in one process).  `make tpm-diff` runs it in full,
# `make tpm-diff-smoke` on what husk implements today.  See docs/tpm-testing.md.
HUSK_TPM_DIFF := $(BUILD)/host/tools/husk-tpm-diff

# Shared with tools/tpm-bench: the two engines, code names, fixtures, and
# tests/common's hosted engine, command builder and libtpms reference.
TPM_DIFF_COMMON_SRCS := tools/tpm-diff/engine.c tools/tpm-diff/names.c tools/tpm-diff/fixtures.c \
	$(TPM_HOST_SRCS) $(TPM_LIBTPMS_SRCS)
TPM_DIFF_COMMON_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_DIFF_COMMON_SRCS))

TPM_DIFF_SRCS := tools/tpm-diff/main.c tools/tpm-diff/mutations.c tools/tpm-diff/outputs.c
TPM_DIFF_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_DIFF_SRCS)) $(TPM_DIFF_COMMON_OBJS)

$(eval $(call tpm_host_tool,$(HUSK_TPM_DIFF),$(TPM_DIFF_OBJS)))

.PHONY: tpm-diff tpm-diff-smoke
# Every case; exit status 1 on any difference known.txt does not explain.
tpm-diff: $(HUSK_TPM_DIFF)
	$(Q)$(HUSK_TPM_DIFF) --summary
tpm-diff-smoke: $(HUSK_TPM_DIFF)
	$(Q)$(HUSK_TPM_DIFF) --smoke
