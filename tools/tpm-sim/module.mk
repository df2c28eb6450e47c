# tools/tpm-sim: husk-tpm-sim, a TPM 2.0 simulator server on loopback that
# tpm2-tss clients reach with -T swtpm:port=N or -T mssim:port=N.  Engines:
# husk's lib/tpm, and libtpms as a reference; or the relay to husk's vTPM
# through the test guest.  See docs/tpm-sim.md and docs/guest.md.
HUSK_TPM_SIM := $(BUILD)/host/tools/husk-tpm-sim

TPM_SIM_SRCS := tools/tpm-sim/main.c tools/tpm-sim/server.c tools/tpm-sim/net.c \
	tools/tpm-sim/proto_swtpm.c tools/tpm-sim/proto_mssim.c tools/tpm-sim/sim.c \
	tools/tpm-sim/statefile.c tools/tpm-sim/backends.c tools/tpm-sim/backend_libtpms.c \
	tools/tpm-sim/backend_husk.c tools/tpm-sim/backend_relay.c $(TPM_LIBTPMS_SRCS)
# libekcert (EK certificates, --ek-ca-key/--ek-ca-cert) goes in with the
# objects, ahead of the engine's libraries it needs.
TPM_SIM_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TPM_SIM_SRCS)) $(BUILD)/host/libekcert.a

$(eval $(call tpm_host_tool,$(HUSK_TPM_SIM),$(TPM_SIM_OBJS)))

.PHONY: tpm-sim-smoke
# Runs the server against tpm2-tools over both protocols (BACKEND=libtpms|husk).
tpm-sim-smoke: $(HUSK_TPM_SIM)
	$(Q)HUSK_TPM_SIM=$(HUSK_TPM_SIM) tools/tpm-sim/smoke.sh

.PHONY: ekcert-e2e
# EK certificates end to end: an openssl CA, husk-tpm-sim provisioning, then
# tpm2-tools and openssl checking them (tests/tpm/ekcert.sh).
ekcert-e2e: $(HUSK_TPM_SIM)
	$(Q)tests/tpm/ekcert.sh --sim $(HUSK_TPM_SIM)
