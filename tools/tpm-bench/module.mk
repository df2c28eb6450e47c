# tools/tpm-bench: husk-tpm-bench.  `make bench-tpm` runs the same command
# mix through husk's TPM engine and libtpms (host build, -O2) and prints
# operations per second side by side, husk's engine code size (host and
# kernel builds of libtpm.a) and its memory per context.
HUSK_TPM_BENCH := $(BUILD)/host/tools/husk-tpm-bench

# The engines, code names and fixtures are husk-tpm-diff's (tools/tpm-diff;
# its module.mk is read after this one), the rest tests/common's.
TPM_BENCH_SRCS := tools/tpm-bench/bench.c tools/tpm-diff/engine.c tools/tpm-diff/names.c \
	tools/tpm-diff/fixtures.c $(TPM_HOST_SRCS) $(TPM_LIBTPMS_SRCS)
TPM_BENCH_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_BENCH_SRCS))

$(eval $(call tpm_host_tool,$(HUSK_TPM_BENCH),$(TPM_BENCH_OBJS)))

.PHONY: bench-tpm
# BENCH_TPM_ARGS=--quick for a fast run.
BENCH_TPM_ARGS ?=
bench-tpm: $(HUSK_TPM_BENCH) $(BUILD)/host/libtpm.a $(BUILD)/kernel/libtpm.a
	$(Q)$(HUSK_TPM_BENCH) $(BENCH_TPM_ARGS) --size $(BUILD)/host/libtpm.a --size $(BUILD)/kernel/libtpm.a
