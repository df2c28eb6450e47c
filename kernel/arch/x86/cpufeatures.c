/* CPUID-based feature detection and the protections husk enables. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpufeatures.h"
#include "fmt/fmt.h"

static struct cpu_features feats;

const struct cpu_features *cpu_features(void)
{
	return &feats;
}

void cpu_features_detect(void)
{
	struct cpuid_regs r = cpuid(0, 0), r1, r7, rx;
	uint32_t max = r.eax;

	memcpy(feats.vendor + 0, &r.ebx, 4);
	memcpy(feats.vendor + 4, &r.edx, 4);
	memcpy(feats.vendor + 8, &r.ecx, 4);
	feats.vendor[12] = 0;
	r1 = cpuid(1, 0);
	feats.rdrand = r1.ecx & (1u << 30);
	feats.x2apic = r1.ecx & (1u << 21);
	feats.pge = r1.edx & (1u << 13);
	if (max >= 7) {
		r7 = cpuid(7, 0);
		feats.smep = r7.ebx & (1u << 7);
		feats.rdseed = r7.ebx & (1u << 18);
		feats.smap = r7.ebx & (1u << 20);
	}
	rx = cpuid(0x80000000u, 0);
	if (rx.eax >= 0x80000001u) {
		struct cpuid_regs e = cpuid(0x80000001u, 0);

		feats.nx = e.edx & (1u << 20);
		feats.svm = e.ecx & (1u << 2);
	}
	if (feats.svm && rx.eax >= 0x8000000au)
		feats.npt = cpuid(0x8000000au, 0).edx & 1u;
}

void cpu_enable_protections(void)
{
	uint64_t cr4 = read_cr4();

	if (feats.pge)
		cr4 |= CR4_PGE;
	if (feats.smep)
		cr4 |= CR4_SMEP;
	if (feats.smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
}

void cpu_features_string(char *buf, size_t len)
{
	fmt_snprintf(buf, len, "%s%s%s%s%s%s%s%s%s", feats.vendor, feats.nx ? " nx" : "",
		     feats.smep ? " smep" : "", feats.smap ? " smap" : "",
		     feats.rdrand ? " rdrand" : "", feats.rdseed ? " rdseed" : "",
		     feats.svm ? " svm" : "", feats.npt ? " npt" : "", feats.x2apic ? " x2apic" : "");
}
