# Top-level jobs: run, test, fuzz, bench-boot.  See README.md.

RUN_SMP ?= 4
RUN_ARGS ?=
FUZZ_SECONDS ?= 10

.PHONY: run test fuzz bench-boot

# Boots husk from its IGVM file (native platform, QEMU TCG, q35).
run: $(BUILD)/husk-native.igvm $(HUSK_LAUNCH)
	$(HUSK_LAUNCH) --smp $(RUN_SMP) $(RUN_ARGS) $(BUILD)/husk-native.igvm

FUZZ_BINS = $(foreach f,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(f))

test: all $(FUZZ_BINS)
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --unit "$(UNIT_TESTS)" --fuzz "$(FUZZ_TARGETS)" \
		--fuzz-seconds $(FUZZ_SECONDS)

fuzz: $(FUZZ_BINS)
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --only fuzz --fuzz "$(FUZZ_TARGETS)" \
		--fuzz-seconds $(FUZZ_SECONDS)

bench-boot: $(BUILD)/husk-native.igvm $(HUSK_LAUNCH)
	$(Q)$(PYTHON) scripts/bench-boot.py --build $(BUILD)
