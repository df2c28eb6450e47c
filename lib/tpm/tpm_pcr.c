/* Platform Configuration Registers: the banks husk allocates (one per hash,
 * all 24 PCRs of a bank or none), their startup values, extend and reset
 * with the PC Client platform profile's locality rules, and the commands
 * PCR_Read, PCR_Extend, PCR_Event, PCR_Reset and PCR_Allocate.
 *
 * Selections are filtered the way the reference implementation does it
 * (bits of unallocated banks are cleared, the entries stay), so PCR_Read,
 * PolicyPCR and Quote produce the same bytes as other TPMs. */
#include <string.h>

#include "tpm/tpm_internal.h"

#define ALL_PCRS ((1u << TPM_PCR_COUNT) - 1)
#define LOC(n) (1u << (n))
#define LOC_ALL 0x1fu

/* PC Client Platform TPM Profile: per PCR, the localities that may extend
 * and reset it, and whether Shutdown(STATE) preserves it.  PCRs 17-22
 * belong to the dynamic root of trust: they start at all ones and only a
 * higher locality may touch them. */
static const struct {
	uint8_t extend;
	uint8_t reset;
	bool saved;
} pcr_attr[TPM_PCR_COUNT] = {
	[0 ... 15] = { LOC_ALL, 0, true },
	[16] = { LOC_ALL, LOC(0) | LOC(1) | LOC(2) | LOC(3), false },
	[17] = { LOC(2) | LOC(3) | LOC(4), LOC(4), false },
	[18] = { LOC(2) | LOC(3) | LOC(4), LOC(4), false },
	[19] = { LOC(2) | LOC(3), LOC(4), false },
	[20] = { LOC(1) | LOC(2) | LOC(3), LOC(2) | LOC(4), false },
	[21] = { LOC(2), LOC(2) | LOC(4), false },
	[22] = { LOC(2), LOC(2) | LOC(4), false },
	[23] = { LOC_ALL, LOC(0) | LOC(1) | LOC(2) | LOC(3), false },
};

static bool pcr_is_drtm(unsigned pcr)
{
	return pcr >= 17 && pcr <= 22;
}

static bool bank_active(const struct tpm *t, unsigned bank)
{
	return bank < TPM_NUM_BANKS && (t->nv.pcr_banks & (1u << bank));
}

static uint32_t sel_bits(const uint8_t bits[TPM_PCR_SELECT_MAX])
{
	return (uint32_t)bits[0] | (uint32_t)bits[1] << 8 | (uint32_t)bits[2] << 16;
}

static void sel_set_bits(uint8_t bits[TPM_PCR_SELECT_MAX], uint32_t v)
{
	bits[0] = (uint8_t)v;
	bits[1] = (uint8_t)(v >> 8);
	bits[2] = (uint8_t)(v >> 16);
}

/* ---- startup, extend, digests ---- */

static void pcr_set_initial(struct tpm *t, unsigned pcr)
{
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++) {
		uint8_t *v = t->pcr[b][pcr];
		uint16_t size = tpm_hash_size(tpm_bank_alg(b));

		memset(v, pcr_is_drtm(pcr) ? 0xff : 0, TPM_MAX_DIGEST);
		/* A Startup at locality 3 is recorded in PCR 0 (PC Client). */
		if (pcr == 0 && t->locality == 3)
			v[size - 1] = 3;
	}
}

void tpm_pcr_startup(struct tpm *t, bool clear)
{
	for (unsigned pcr = 0; pcr < TPM_PCR_COUNT; pcr++) {
		if (!clear && pcr_attr[pcr].saved) {
			for (unsigned b = 0; b < TPM_NUM_BANKS; b++)
				memcpy(t->pcr[b][pcr], t->nv.saved_pcr[b][pcr], TPM_MAX_DIGEST);
		} else {
			pcr_set_initial(t, pcr);
		}
	}
	t->pcr_counter = clear ? 0 : t->nv.saved_pcr_counter;
}

bool tpm_pcr_extend_allowed(const struct tpm *t, uint32_t pcr)
{
	return pcr < TPM_PCR_COUNT && t->locality <= 4 && (pcr_attr[pcr].extend & LOC(t->locality));
}

tpm_rc tpm_pcr_extend(struct tpm *t, unsigned pcr, uint16_t alg, const uint8_t *digest)
{
	int bank = tpm_bank_index(alg);
	uint16_t size = tpm_hash_size(alg);
	uint8_t *v;
	tpm_rc rc;

	if (bank < 0 || size == 0)
		return TPM_RC_HASH;
	if (pcr >= TPM_PCR_COUNT)
		return TPM_RC_VALUE;
	if (!tpm_pcr_extend_allowed(t, pcr))
		return TPM_RC_LOCALITY;
	if (!bank_active(t, (unsigned)bank))
		return TPM_RC_SUCCESS; /* unallocated banks are ignored */
	v = t->pcr[bank][pcr];
	{
		struct tpm_part parts[2] = { { v, size }, { digest, size } };

		rc = tpm_hash_parts(alg, parts, 2, v);
	}
	if (rc)
		return rc;
	/* Every change of a PCR invalidates PolicyPCR checks (husk has no
	 * "no increment" PCRs, so a policy bound to any PCR stays strict). */
	t->pcr_counter++;
	return TPM_RC_SUCCESS;
}

void tpm_pcr_filter_selection(struct tpm *t, struct tpm_pcr_sel *sel)
{
	for (uint32_t i = 0; i < sel->count && i < TPM_MAX_BANKS; i++) {
		int bank = tpm_bank_index(sel->sel[i].hash);
		uint32_t bits = sel_bits(sel->sel[i].bits) & ALL_PCRS;

		if (bank < 0 || !bank_active(t, (unsigned)bank))
			bits = 0;
		sel_set_bits(sel->sel[i].bits, bits);
	}
}

tpm_rc tpm_pcr_digest(struct tpm *t, const struct tpm_pcr_sel *sel_in, uint16_t alg, struct tpm2b_digest *out)
{
	struct tpm_pcr_sel sel = *sel_in;
	struct tpm_hash h;
	tpm_rc rc;

	tpm_pcr_filter_selection(t, &sel);
	rc = tpm_hash_start(&h, alg);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < sel.count && i < TPM_MAX_BANKS; i++) {
		int bank = tpm_bank_index(sel.sel[i].hash);
		uint32_t bits = sel_bits(sel.sel[i].bits);

		for (unsigned pcr = 0; bank >= 0 && pcr < TPM_PCR_COUNT; pcr++)
			if (bits & (1u << pcr))
				tpm_hash_update(&h, t->pcr[bank][pcr], tpm_hash_size(sel.sel[i].hash));
	}
	out->size = tpm_hash_size(alg);
	tpm_hash_finish(&h, out->b);
	return TPM_RC_SUCCESS;
}

bool tpm_pcr_property(uint32_t tag, uint32_t *bitmap)
{
	uint32_t v = 0;

	if (tag == TPM_PT_PCR_SAVE) {
		for (unsigned p = 0; p < TPM_PCR_COUNT; p++)
			v |= pcr_attr[p].saved ? 1u << p : 0;
	} else if (tag >= TPM_PT_PCR_EXTEND_L0 && tag <= TPM_PT_PCR_RESET_L4) {
		unsigned loc = (tag - TPM_PT_PCR_EXTEND_L0) / 2;
		bool reset = ((tag - TPM_PT_PCR_EXTEND_L0) & 1) != 0;

		for (unsigned p = 0; p < TPM_PCR_COUNT; p++)
			if ((reset ? pcr_attr[p].reset : pcr_attr[p].extend) & LOC(loc))
				v |= 1u << p;
	} else if (tag != TPM_PT_PCR_NO_INCREMENT) {
		/* No DRTM event, PCR policies or PCR auth values in husk. */
		return false;
	}
	*bitmap = v;
	return true;
}

/* ---- commands ---- */

TPM_HANDLER(PCR_Read)
{
	struct tpm *t = c->t;
	struct tpm_pcr_sel sel;
	uint8_t bank_of[TPM_MAX_PCR_DIGESTS], pcr_of[TPM_MAX_PCR_DIGESTS];
	uint32_t n = 0;

	TPM_IN(1, tpm_r_pcr_sel(&c->in, &sel));
	TPM_IN_DONE(c);

	tpm_pcr_filter_selection(t, &sel);
	/* The first eight selected values, in selection order then PCR
	 * order; the selection returned says which ones they are. */
	for (uint32_t i = 0; i < sel.count; i++) {
		int bank = tpm_bank_index(sel.sel[i].hash);
		uint32_t bits = sel_bits(sel.sel[i].bits);

		for (unsigned pcr = 0; pcr < TPM_PCR_COUNT; pcr++) {
			if (!(bits & (1u << pcr)))
				continue;
			if (n < TPM_MAX_PCR_DIGESTS && bank >= 0) {
				bank_of[n] = (uint8_t)bank;
				pcr_of[n] = (uint8_t)pcr;
				n++;
			} else {
				bits &= ~(1u << pcr);
			}
		}
		sel_set_bits(sel.sel[i].bits, bits);
	}
	tpm_w_u32(&c->out, t->pcr_counter);
	tpm_w_pcr_sel(&c->out, &sel);
	tpm_w_u32(&c->out, n);
	for (uint32_t i = 0; i < n; i++)
		tpm_w_2b(&c->out, t->pcr[bank_of[i]][pcr_of[i]], tpm_hash_size(tpm_bank_alg(bank_of[i])));
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PCR_Extend)
{
	struct tpm *t = c->t;
	uint32_t pcr = c->handles[0], count;
	uint16_t alg[TPM_NUM_BANKS];
	const uint8_t *digest[TPM_NUM_BANKS];

	/* TPML_DIGEST_VALUES: at most one digest per implemented hash. */
	TPM_IN(1, tpm_r_u32(&c->in, &count));
	if (count > TPM_NUM_BANKS)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	for (uint32_t i = 0; i < count; i++) {
		TPM_IN(1, tpm_r_hash_alg(&c->in, &alg[i], false));
		TPM_IN(1, tpm_r_view(&c->in, &digest[i], tpm_hash_size(alg[i])));
	}
	TPM_IN_DONE(c);

	if (pcr == TPM_RH_NULL)
		return TPM_RC_SUCCESS;
	if (!tpm_pcr_extend_allowed(t, pcr))
		return TPM_RC_LOCALITY;
	for (uint32_t i = 0; i < count; i++)
		TPM_TRY(tpm_pcr_extend(t, pcr, alg[i], digest[i]));
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PCR_Event)
{
	struct tpm *t = c->t;
	uint32_t pcr = c->handles[0];
	uint16_t size;
	const uint8_t *data;

	TPM_IN(1, tpm_r_u16(&c->in, &size));
	if (size > TPM_MAX_EVENT)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	TPM_IN(1, tpm_r_view(&c->in, &data, size));
	TPM_IN_DONE(c);

	if (pcr != TPM_RH_NULL && !tpm_pcr_extend_allowed(t, pcr))
		return TPM_RC_LOCALITY;
	/* The event's digest with every implemented hash; extended into the
	 * allocated banks. */
	tpm_w_u32(&c->out, TPM_NUM_BANKS);
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++) {
		uint16_t alg = tpm_bank_alg(b);
		struct tpm2b_digest d;

		TPM_TRY(tpm_hash_buf(alg, data, size, &d));
		tpm_w_u16(&c->out, alg);
		tpm_w_bytes(&c->out, d.b, d.size);
		if (pcr != TPM_RH_NULL)
			TPM_TRY(tpm_pcr_extend(t, pcr, alg, d.b));
	}
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PCR_Reset)
{
	struct tpm *t = c->t;
	uint32_t pcr = c->handles[0];

	TPM_IN_DONE(c);
	if (pcr >= TPM_PCR_COUNT || t->locality > 4 || !(pcr_attr[pcr].reset & LOC(t->locality)))
		return TPM_RC_LOCALITY;
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++)
		memset(t->pcr[b][pcr], 0, TPM_MAX_DIGEST);
	t->pcr_counter++;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PCR_Allocate)
{
	struct tpm *t = c->t;
	struct tpm_pcr_sel sel;
	uint32_t want[TPM_NUM_BANKS], needed = 0, available = 0, banks = 0;
	bool whole = true, has_first = false, has_drtm = false;

	TPM_IN(1, tpm_r_pcr_sel(&c->in, &sel));
	TPM_IN_DONE(c);

	/* Banks the request does not name keep their current allocation; a
	 * bank named twice gets the last one. */
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++)
		want[b] = bank_active(t, b) ? ALL_PCRS : 0;
	for (uint32_t i = 0; i < sel.count; i++) {
		int bank = tpm_bank_index(sel.sel[i].hash);

		if (bank >= 0)
			want[bank] = sel_bits(sel.sel[i].bits) & ALL_PCRS;
	}
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++) {
		uint16_t size = tpm_hash_size(tpm_bank_alg(b));

		available += TPM_PCR_COUNT * size;
		for (unsigned p = 0; p < TPM_PCR_COUNT; p++)
			needed += (want[b] >> p & 1) ? size : 0;
		has_first |= (want[b] & 1u) != 0;
		has_drtm |= (want[b] & (1u << 17)) != 0;
		if (want[b] == ALL_PCRS)
			banks |= 1u << b;
		else if (want[b] != 0)
			whole = false;
	}
	/* The platform needs PCR 0 (S-CRTM) and PCR 17 (D-RTM) somewhere. */
	if (!has_first || !has_drtm)
		return TPM_RC_PCR;
	/* husk allocates whole banks only: a partial bank is not an error,
	 * the allocation just does not happen. */
	if (whole) {
		t->nv.pcr_banks_pending = banks;
		tpm_mark_nv(t);
	}
	tpm_w_u8(&c->out, whole ? 1 : 0);
	tpm_w_u32(&c->out, TPM_PCR_COUNT);
	tpm_w_u32(&c->out, needed);
	tpm_w_u32(&c->out, available);
	return TPM_RC_SUCCESS;
}
