# tools/svsm-bench: husk-svsm-bench runs each kind of SVSM call through
# lib/svsm's svsm_call against the model platform of the unit tests (host
# build, -O2).  `make bench-svsm-host` runs it under callgrind
# (scripts/bench-svsm.py) and prints instructions per call of husk's part,
# with and without the platform's ops, and host nanoseconds per call.
HUSK_SVSM_BENCH := $(BUILD)/host/tools/husk-svsm-bench
SVSM_BENCH_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,tools/svsm-bench/bench.c $(SVSM_MODEL_SRCS))

ALL_TARGETS += $(HUSK_SVSM_BENCH)
$(HUSK_SVSM_BENCH): $(SVSM_BENCH_OBJS) $(BUILD)/host/libsvsm.a $(BUILD)/host/libmbedcrypto.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $^

.PHONY: bench-svsm-host
# BENCH_SVSM_ARGS=--quick for fewer iterations.
BENCH_SVSM_ARGS ?=
bench-svsm-host: $(HUSK_SVSM_BENCH)
	$(Q)$(PYTHON) scripts/bench-svsm.py --bench $(HUSK_SVSM_BENCH) $(BENCH_SVSM_ARGS)
