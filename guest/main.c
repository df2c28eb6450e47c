/* The guest's C entry: COM2, the IDT, the information page husk handed over
 * in EBX, the guest arguments, then the mode they ask for
 * (guest.mode=conformance|relay|demo|bench; conformance by default). */
#include <string.h>

#include "guest.h"

HUSK_STATIC_ASSERT(sizeof(struct guest_entry_state) == 68, "entry.S stores at these offsets");

struct guest_info ginfo;
volatile uint8_t *guest_ca;
uint64_t guest_scratch;

void guest_main(void);

static uint64_t info_u64(unsigned off)
{
	uint64_t v;

	memcpy(&v, (const void *)(ginfo.page + off), sizeof(v));
	return v;
}

bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

uint32_t guest_apic_id(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 24;
}

/* 1 GHz when husk did not say: only timeouts use this then. */
uint64_t ms_to_tsc(uint64_t ms)
{
	return ms * (ginfo.tsc_khz ? ginfo.tsc_khz : 1000000u);
}

const char *guest_arg(const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *p = ginfo.args;

	while (*p) {
		const char *end = p;
		size_t wlen;

		while (*end && *end != ' ')
			end++;
		wlen = (size_t)(end - p);
		if (wlen >= 7 + klen && memcmp(p, "guest.", 6) == 0 && memcmp(p + 6, key, klen) == 0 &&
		    p[6 + klen] == '=') {
			size_t vlen = wlen - 7 - klen;

			if (vlen >= len)
				vlen = len - 1;
			memcpy(buf, p + 7 + klen, vlen);
			buf[vlen] = 0;
			return buf;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

uint64_t guest_arg_u64(const char *key, uint64_t dflt)
{
	char buf[32];
	uint64_t v = 0;

	if (!guest_arg(key, buf, sizeof(buf)) || !buf[0])
		return dflt;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9' || v > UINT64_MAX / 10)
			return dflt;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

/* The information page as husk wrote it, copied once: the tests compare
 * against this copy (and re-read the page where the page is the subject). */
static void info_load(void)
{
	const struct husk_svm_info_ext *ext;
	uint32_t n;

	ginfo.info_gpa = guest_entry_state.ebx;
	if (!ginfo.info_gpa || (ginfo.info_gpa & 0xfff))
		guest_panic("EBX (0x%llx) is not the GPA of an information page",
			    (unsigned long long)ginfo.info_gpa);
	ginfo.page = (const volatile uint8_t *)(uintptr_t)ginfo.info_gpa;
	ext = (const struct husk_svm_info_ext *)(uintptr_t)(ginfo.info_gpa + HUSK_SVM_INFO_EXT_OFFSET);
	ginfo.ext = ext;
	ginfo.svsm_base = info_u64(HUSK_SVM_INFO_SVSM_BASE);
	ginfo.svsm_size = info_u64(HUSK_SVM_INFO_SVSM_SIZE);
	ginfo.boot_caa = info_u64(HUSK_SVM_INFO_SVSM_CAA);
	memcpy(&ginfo.max_version, (const void *)(ginfo.page + HUSK_SVM_INFO_SVSM_MAX_VERSION), 4);
	ginfo.guest_vmpl = ginfo.page[HUSK_SVM_INFO_SVSM_GUEST_VMPL];
	if (ext->magic != HUSK_SVM_INFO_EXT_MAGIC)
		guest_panic("the information page at 0x%llx has no husk extension (magic 0x%llx)",
			    (unsigned long long)ginfo.info_gpa, (unsigned long long)ext->magic);
	n = ext->vcpu_count;
	ginfo.vcpu_count = n > 64 ? 64 : n;
	ginfo.boot_apic_id = ext->boot_apic_id;
	ginfo.tsc_khz = ext->tsc_khz;
	for (uint32_t i = 0; i < ginfo.vcpu_count; i++)
		ginfo.apic_ids[i] = ext->apic_ids[i];
	memcpy(ginfo.args, (const void *)ext->args, sizeof(ginfo.args));
	ginfo.args[sizeof(ginfo.args) - 1] = 0;
	if (!ginfo.svsm_size || !ginfo.boot_caa || (ginfo.boot_caa & 0xfff))
		guest_panic("no usable SVSM in the information page (size 0x%llx, CAA 0x%llx)",
			    (unsigned long long)ginfo.svsm_size, (unsigned long long)ginfo.boot_caa);
}

/* 4 MiB of RAM nobody else uses, for the PVALIDATE tests. */
static void scratch_pick(void)
{
	uint64_t image_end = (uint64_t)(uintptr_t)__guest_end;
	uint64_t c = HUSK_ALIGN_UP(image_end, SIZE_2M);

	for (; c < 0x80000000ull; c += SIZE_2M) {
		if (ranges_overlap(c, 2 * SIZE_2M, ginfo.svsm_base, ginfo.svsm_size) ||
		    ranges_overlap(c, 2 * SIZE_2M, ginfo.info_gpa, PAGE_SIZE) ||
		    ranges_overlap(c, 2 * SIZE_2M, ginfo.boot_caa, PAGE_SIZE) ||
		    ranges_overlap(c, 2 * SIZE_2M, GUEST_BASE, image_end - GUEST_BASE))
			continue;
		guest_scratch = c;
		return;
	}
	guest_panic("no 4 MiB of scratch memory below 2 GiB");
}

void guest_main(void)
{
	char mode[32];
	int rc;

	serial_init();
	idt_init();
	info_load();
	guest_ca = (volatile uint8_t *)(uintptr_t)ginfo.boot_caa;
	scratch_pick();

	if (!guest_arg("mode", mode, sizeof(mode)))
		memcpy(mode, "conformance", sizeof("conformance"));
	if (strcmp(mode, "conformance") == 0)
		rc = mode_conformance();
	else if (strcmp(mode, "relay") == 0)
		rc = mode_relay();
	else if (strcmp(mode, "demo") == 0)
		rc = mode_demo();
	else if (strcmp(mode, "bench") == 0)
		rc = mode_bench();
	else {
		gprintf("guest: unknown guest.mode=%s (conformance, relay, demo, bench)\n", mode);
		rc = GUEST_EXIT_FAIL;
	}
	guest_exit((uint32_t)rc);
}
