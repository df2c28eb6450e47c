# tools/tpm-bench: husk-tpm-bench.  `make bench-tpm` runs the same command
# mix through husk's TPM engine and libtpms (host build, -O2) and prints
# operations per second side by side, husk's engine code size (host and
# kernel builds of libtpm.a) and its memory per context.
HUSK_TPM_BENCH := $(BUILD)/host/tools/husk-tpm-bench

# The engines, commands and fixtures are husk-tpm-diff's (tools/tpm-diff).
TPM_BENCH_SRCS := tools/tpm-bench/bench.c tools/tpm-diff/engine.c tools/tpm-diff/ref_libtpms.c \
	tools/tpm-diff/tpmcmd.c tools/tpm-diff/fixtures.c tests/common/tpm_host.c
TPM_BENCH_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_BENCH_SRCS))
TPM_BENCH_LIBS := $(BUILD)/host/libtpm.a $(BUILD)/host/libcrypto.a \
	$(BUILD)/host/libmbedcrypto.a $(BUILD)/host/libfmt.a

$(HUSK_TPM_BENCH): $(TPM_BENCH_OBJS) $(TPM_BENCH_LIBS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $(TPM_BENCH_OBJS) $(TPM_BENCH_LIBS) -ltpms

ALL_TARGETS += $(HUSK_TPM_BENCH)

.PHONY: bench-tpm
# BENCH_TPM_ARGS=--quick for a fast run.
BENCH_TPM_ARGS ?=
bench-tpm: $(HUSK_TPM_BENCH) $(BUILD)/host/libtpm.a $(BUILD)/kernel/libtpm.a
	$(Q)$(HUSK_TPM_BENCH) $(BENCH_TPM_ARGS) --size $(BUILD)/host/libtpm.a --size $(BUILD)/kernel/libtpm.a
