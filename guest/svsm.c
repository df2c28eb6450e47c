/* The SVSM calls of the boot vCPU, through its current calling area. */
#include <string.h>

#include "guest.h"

uint32_t svsm_call(uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8, struct svsm_regs *out)
{
	struct svsm_regs r = { .rax = rax, .rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = 0 };
	uint8_t old = svsm_call_raw(guest_ca, 1, &r);

	if (out)
		*out = r;
	return old ? GUEST_NOT_TAKEN : (uint32_t)r.rax;
}

uint64_t svsm_query_protocol(uint32_t protocol, uint32_t version)
{
	struct svsm_regs r;

	if (svsm_call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_QUERY_PROTOCOL),
		      (uint64_t)protocol << 32 | version, 0, 0, &r) != SVSM_SUCCESS)
		return ~0ull;
	return r.rcx;
}

bool svsm_alive(void)
{
	return svsm_query_protocol(SVSM_PROTOCOL_CORE, 1) == (1ull << 32 | 1);
}

const char *svsm_result_name(uint32_t rc)
{
	switch (rc) {
	case SVSM_SUCCESS: return "SUCCESS";
	case SVSM_ERR_INCOMPLETE: return "INCOMPLETE";
	case SVSM_ERR_UNSUPPORTED_PROTOCOL: return "UNSUPPORTED_PROTOCOL";
	case SVSM_ERR_UNSUPPORTED_CALL: return "UNSUPPORTED_CALL";
	case SVSM_ERR_INVALID_ADDRESS: return "INVALID_ADDRESS";
	case SVSM_ERR_INVALID_FORMAT: return "INVALID_FORMAT";
	case SVSM_ERR_INVALID_PARAMETER: return "INVALID_PARAMETER";
	case SVSM_ERR_INVALID_REQUEST: return "INVALID_REQUEST";
	case SVSM_ERR_BUSY: return "BUSY";
	case SVSM_PVALIDATE_FAIL_INPUT: return "PVALIDATE_FAIL_INPUT";
	case SVSM_PVALIDATE_FAIL_PERMISSION: return "PVALIDATE_FAIL_PERMISSION";
	case SVSM_PVALIDATE_FAIL_SIZEMISMATCH: return "PVALIDATE_FAIL_SIZEMISMATCH";
	case SVSM_PVALIDATE_FAIL_UNCHANGED: return "PVALIDATE_FAIL_UNCHANGED";
	case GUEST_NOT_TAKEN: return "(call not taken: call_pending still set)";
	default: return "?";
	}
}

/* The list lives in the CA buffer, as Linux keeps it. */
static uint32_t pvalidate_list(const uint64_t *entries, uint32_t count)
{
	volatile uint8_t *list = guest_ca + SVSM_CA_BUFFER;
	struct svsm_pvalidate_hdr hdr = { .entries = (uint16_t)count, .next = 0, .reserved = 0 };
	uint32_t rc;

	memcpy((void *)list, &hdr, sizeof(hdr));
	memcpy((void *)(list + sizeof(hdr)), entries, count * sizeof(uint64_t));
	do {
		rc = svsm_call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_PVALIDATE),
			       (uint64_t)(uintptr_t)list, 0, 0, NULL);
	} while (rc == SVSM_ERR_INCOMPLETE);
	return rc;
}

uint32_t svsm_pvalidate_one(uint64_t gpa, bool huge, bool validate, bool ignore_cf)
{
	uint64_t e = pval_entry(gpa, huge, validate, ignore_cf);

	return pvalidate_list(&e, 1);
}
