/* libFuzzer target for lib/svsm: a sequence of SVSM calls from the guest's
 * vCPUs, with guest-memory writes (calling areas, PVALIDATE lists, VMSAs,
 * vTPM buffers) and platform events between them, against the model
 * platform (tests/common/svsm_model.h).  After every step:
 *   - no op was asked to touch husk's region, to zero or validate a VMSA
 *     page the platform holds, or ran with the registry lock held; every
 *     page that became validated was zeroed, and nothing else was;
 *   - the registry is consistent and agrees with the platform (CA/VMSA
 *     pages aligned guest RAM, pairwise distinct, no transient state left,
 *     the platform holds exactly the RUNNING vCPUs' VMSAs);
 *   - the RMP model is consistent;
 *   - a call answered with a known result code, touched only the registers
 *     it returns, and stopped its vCPU only for DELETE_VCPU;
 * and at the end of the input husk's region is byte for byte intact.
 *
 * Input: byte 0 bit 0 set = no vTPM.  Then steps, each an op byte (op % 6)
 * and its fields; an "address" is 5 bytes (mode, u32 v) decoded by
 * fuzz_addr() so that most name interesting pages:
 *   0 CALL   caller:u8 pending:u8 sel:u8 rcx rdx r8 r9 (addresses)
 *   1 POKE   at:address len:u8 bytes[len]
 *   2 VMSA   page:u16 field:u8 value:u64   (a valid VMSA, one field set)
 *   3 LIST   at:address n:u8 next:u8 {page:u16 flags:u8}[n]
 *   4 EVENT  ev:u8 arg:u8
 *   5 VTPM   at:address cmd:u8 locality:u8 size:u16
 * FUZZ_SVSM_TRACE=1 in the environment prints each call and its result. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "svsm/svsm.h"
#include "../common/svsm_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t left;
};

static uint8_t u8(struct in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

static uint32_t u32(struct in *in)
{
	return (uint32_t)u16(in) | (uint32_t)u16(in) << 16;
}

static uint64_t u64(struct in *in)
{
	return (uint64_t)u32(in) | (uint64_t)u32(in) << 32;
}

static struct svsm_model *m;
static int trace = -1;

#define FUZZ_PAGES (MODEL_PAGES + 256) /* RAM, husk, the hole, and a bit beyond */

static uint64_t fuzz_addr(struct in *in)
{
	uint8_t mode = u8(in);
	uint32_t v = u32(in);
	const struct svsm_vcpu *vc;

	switch (mode % 5) {
	case 0:
		return v;
	case 1:
		return (uint64_t)(v % FUZZ_PAGES) << 12;
	case 2:
		return (uint64_t)((v >> 12) % FUZZ_PAGES) << 12 | (v & 0xfff);
	case 3: /* a page some vCPU uses (or used) */
		vc = &m->svsm.vcpus[v % MODEL_VCPUS];
		return ((v >> 8) & 1 ? vc->vmsa_gpa : vc->ca_gpa) + ((v >> 9) & 0x1ff) * 8;
	default:
		return (uint64_t)v << 32 | (uint64_t)mode << 24 | (v & 0xfff);
	}
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_svsm: %s\n", what);
	__builtin_trap();
}

static bool known_code(uint32_t rc)
{
	return rc == SVSM_SUCCESS || (rc >= SVSM_ERR_INCOMPLETE && rc <= SVSM_ERR_BUSY) ||
	       (rc >= SVSM_ERR_ATTEST_FAILED && rc <= SVSM_PVALIDATE_FAIL_UNKNOWN);
}

static void step_call(struct in *in)
{
	uint8_t caller = u8(in), p = u8(in), sel = u8(in);
	/* 5 is not one of the guest's APIC IDs. */
	uint32_t apic_id = caller >= 0xf0 ? 5 : m->cfg.apic_ids[caller % MODEL_VCPUS];
	uint8_t pending = p < 0xe0 ? 1 : (uint8_t)(p - 0xe0);
	uint32_t proto = sel >> 4 < 10 ? SVSM_PROTOCOL_CORE : sel >> 4 < 14 ? SVSM_PROTOCOL_VTPM
				 : sel >> 4 == 14 ? SVSM_PROTOCOL_ATTEST : 0xffffffffu;
	uint32_t call = sel & 15;
	struct svsm_regs in_regs = { SVSM_CALL(proto, call), fuzz_addr(in), fuzz_addr(in),
				     fuzz_addr(in), fuzz_addr(in) };
	struct svsm_regs r = in_regs;
	enum svsm_outcome o = svsm_model_call_pending(m, apic_id, pending, &r);

	if (trace)
		fprintf(stderr,
			"call apic %u pending %u rax %#llx rcx %#llx rdx %#llx r8 %#llx"
			" -> %d rax %#llx rcx %#llx\n",
			apic_id, pending, (unsigned long long)in_regs.rax,
			(unsigned long long)in_regs.rcx, (unsigned long long)in_regs.rdx,
			(unsigned long long)in_regs.r8, (int)o, (unsigned long long)r.rax,
			(unsigned long long)r.rcx);

	if (o == SVSM_RESUME_SPURIOUS) {
		if (memcmp(&r, &in_regs, sizeof(r)) != 0)
			fail("a spurious call changed registers");
		return;
	}
	if (o == SVSM_STOP_SELF) {
		if (proto != SVSM_PROTOCOL_CORE || call != SVSM_CORE_DELETE_VCPU || pending != 1)
			fail("a vCPU stopped for another call than DELETE_VCPU");
		return;
	}
	if (o != SVSM_RESUME)
		fail("unknown outcome");
	if (r.rax >> 32 || !known_code((uint32_t)r.rax))
		fail("unknown result code");
	if (pending != 1 && r.rax != SVSM_ERR_INVALID_FORMAT)
		fail("reserved call_pending not answered INVALID_FORMAT");
	bool returns_rcx = r.rax == SVSM_SUCCESS && pending == 1 &&
			   ((proto == SVSM_PROTOCOL_CORE && (call == SVSM_CORE_QUERY_PROTOCOL ||
							     call == SVSM_CORE_CONFIGURE_VTOM)) ||
			    (proto == SVSM_PROTOCOL_VTPM && call == SVSM_VTPM_QUERY));
	bool returns_rdx = r.rax == SVSM_SUCCESS && pending == 1 && proto == SVSM_PROTOCOL_VTPM &&
			   call == SVSM_VTPM_QUERY;

	/* The attestation calls return sizes in RCX, RDX and R8 on success
	 * and on INVALID_PARAMETER (buffers too small). */
	bool returns_sizes = pending == 1 && proto == SVSM_PROTOCOL_ATTEST &&
			     (r.rax == SVSM_SUCCESS || r.rax == SVSM_ERR_INVALID_PARAMETER);

	if (returns_sizes) {
		returns_rcx = returns_rdx = true;
		if (r.rax == SVSM_SUCCESS && r.r8 != SVSM_ATTEST_REPORT_BYTES)
			fail("an attestation call succeeded with a report size other than 0x4a0");
	}
	if ((!returns_rcx && r.rcx != in_regs.rcx) || (!returns_rdx && r.rdx != in_regs.rdx) ||
	    (!returns_sizes && r.r8 != in_regs.r8) || r.r9 != in_regs.r9)
		fail("a call changed a register it does not return");
}

static void step_poke(struct in *in)
{
	uint64_t at = fuzz_addr(in);
	uint8_t len = u8(in), buf[255];

	for (unsigned i = 0; i < len; i++)
		buf[i] = u8(in);
	svsm_model_poke(m, at, buf, len);
}

static void step_vmsa(struct in *in)
{
	static const uint16_t fields[] = { VMSA_VMPL, VMSA_EFER, VMSA_CR0, VMSA_CR3, VMSA_CR4,
					   VMSA_DR6, VMSA_DR7, VMSA_SEV_FEATURES, VMSA_CS,
					   VMSA_RIP, 0x800 };
	uint64_t gpa = (uint64_t)(u16(in) % FUZZ_PAGES) << 12;
	uint8_t f = u8(in), vmsa[4096];
	uint64_t v = u64(in);

	svsm_model_vmsa(vmsa);
	if (f < 0xf0) {
		uint16_t off = fields[f % (sizeof(fields) / sizeof(fields[0]))];

		/* VMPL is one byte and CS's attributes sit at +2. */
		if (off == VMSA_VMPL)
			vmsa[off] = (uint8_t)v;
		else if (off == VMSA_CS)
			memcpy(vmsa + off + 2, &v, 2);
		else if ((f >> 4) & 1)
			memcpy(vmsa + off, &v, 8);
		else
			vmsa[off + (v & 7)] ^= (uint8_t)(1u << ((v >> 3) & 7)); /* one bit */
	}
	svsm_model_poke(m, gpa, vmsa, sizeof(vmsa));
}

static void step_list(struct in *in)
{
	uint64_t at = fuzz_addr(in);
	uint8_t n = u8(in), next = u8(in);
	uint8_t hdr[8] = { n, 0, next, 0 };

	svsm_model_poke(m, at, hdr, sizeof(hdr));
	for (unsigned i = 0; i < n && in->left; i++) {
		uint64_t page = u16(in) % FUZZ_PAGES;
		uint64_t e = page << 12 | u8(in);

		svsm_model_poke64(m, at + 8 + 8 * i, e);
	}
}

static void step_event(struct in *in)
{
	static const size_t rsp_len[] = { 0, 10, SVSM_VTPM_RSP_MAX, SVSM_VTPM_RSP_MAX + 1 };
	uint8_t ev = u8(in), arg = u8(in);

	switch (ev % 8) {
	case 0: /* a vCPU stops on its own (triple fault) */
		svsm_model_crash(m, m->cfg.apic_ids[arg % MODEL_VCPUS]);
		break;
	case 1:
		m->stop_result = arg & 1 ? SVSM_ERR_BUSY : 0;
		break;
	case 2:
		m->start_result = arg & 1 ? SVSM_ERR_BUSY : 0;
		break;
	case 3:
		m->alloc_fail = arg & 1;
		break;
	case 4:
		m->vtpm_rsp_len = rsp_len[arg & 3];
		m->vtpm_err = (arg & 4) ? HUSK_ERR_NOMEM : 0;
		break;
	case 5:
		m->pvalidate_force = arg == 255 ? SVSM_PVALIDATE_OP_RETRY
				   : arg < 200 ? 0 : (uint32_t)(arg - 200) * 0x9u;
		break;
	case 6:
		m->zero_fail = arg & 1;
		break;
	default:
		m->write_fail_gpa_set = arg & 1;
		m->write_fail_gpa = (uint64_t)(arg >> 1) << 12;
		break;
	}
}

static void step_vtpm(struct in *in)
{
	uint64_t at = fuzz_addr(in);
	uint8_t c = u8(in), loc = u8(in);
	uint16_t sz = u16(in);
	uint32_t cmd = c < 0x80 ? SVSM_VTPM_PLATFORM_SEND_COMMAND : (uint32_t)(c - 0x80);
	uint32_t size = sz < 0xf000 ? sz % 64 : 4080u + (sz & 15);
	uint8_t hdr[9] = { (uint8_t)cmd, (uint8_t)(cmd >> 8), 0, 0, loc < 0xf0 ? 0 : loc,
			   (uint8_t)size, (uint8_t)(size >> 8), 0, 0 };

	svsm_model_poke(m, at, hdr, sizeof(hdr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	bool vtpm = !(u8(&in) & 1);
	const char *e;

	if (trace < 0)
		trace = getenv("FUZZ_SVSM_TRACE") != NULL;
	if (!m) {
		m = svsm_model_new(vtpm);
		if (!m)
			return 0;
	}
	if (svsm_model_reset(m, vtpm) != HUSK_OK)
		fail("model reset");
	for (unsigned steps = 0; in.left && steps < 256; steps++) {
		switch (u8(&in) % 6) {
		case 0:
			step_call(&in);
			break;
		case 1:
			step_poke(&in);
			break;
		case 2:
			step_vmsa(&in);
			break;
		case 3:
			step_list(&in);
			break;
		case 4:
			step_event(&in);
			break;
		default:
			step_vtpm(&in);
			break;
		}
		e = svsm_model_check(m, false);
		if (e)
			fail(e);
	}
	e = svsm_model_check(m, true);
	if (e)
		fail(e);
	return 0;
}
