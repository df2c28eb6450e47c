# Top-level jobs: run, test, fuzz, bench-boot.  See README.md.

RUN_SMP ?= 4
RUN_ARGS ?=
FUZZ_SECONDS ?= 10

.PHONY: run test fuzz bench-boot

# Boots husk from its IGVM file on the svm platform (QEMU TCG, q35) with the
# test guest in demo mode, attesting to the KBS test server through
# husk-kbs-proxy, with a disk for the vTPM's state (scripts/run.py); husk's
# console (COM1) and the guest's (COM2) share the terminal.  The CA, the
# storage key and the disk stay in $(BUILD)/run between runs (RUN_RESET=1
# starts afresh; RUN_KBS=0 runs without KBS and disk).  RUN_MODE=conformance
# runs the guest's test suite instead; `make run-native` boots husk alone.
RUN_MODE ?= demo
RUN_CMDLINE ?=
RUN_RESET ?= 0
RUN_KBS ?= 1
run: $(BUILD)/husk-svm.igvm $(HUSK_LAUNCH) $(HUSK_KBS_PROXY)
	/usr/bin/python3 scripts/run.py --build $(BUILD) --smp $(RUN_SMP) --mode $(RUN_MODE) \
		--cmdline "$(RUN_CMDLINE)" $(if $(filter 1,$(RUN_RESET)),--reset) \
		$(if $(filter 0,$(RUN_KBS)),--no-kbs) -- $(RUN_ARGS)

.PHONY: run-native
run-native: $(BUILD)/husk-native.igvm $(HUSK_LAUNCH)
	$(HUSK_LAUNCH) --smp $(RUN_SMP) $(RUN_ARGS) $(BUILD)/husk-native.igvm

FUZZ_BINS = $(foreach f,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(f))

test: all $(FUZZ_BINS)
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --unit "$(UNIT_TESTS)" --fuzz "$(FUZZ_TARGETS)" \
		--fuzz-seconds $(FUZZ_SECONDS)

fuzz: $(FUZZ_BINS)
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --only fuzz --fuzz "$(FUZZ_TARGETS)" \
		--fuzz-seconds $(FUZZ_SECONDS)

# husk's own instructions per SVSM call (lib/svsm under callgrind, host) and
# round trips per second as the test guest sees them on svm (QEMU TCG).
.PHONY: bench-svsm
bench-svsm: bench-svsm-host $(BUILD)/husk-svm.igvm $(HUSK_LAUNCH)
	$(Q)$(PYTHON) scripts/bench-svsm-guest.py --build $(BUILD)

bench-boot: $(BUILD)/husk-native.igvm $(HUSK_LAUNCH)
	$(Q)$(PYTHON) scripts/bench-boot.py --build $(BUILD)
