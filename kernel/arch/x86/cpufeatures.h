/* CPU features husk checks for or turns on. */
#ifndef HUSK_ARCH_X86_CPUFEATURES_H
#define HUSK_ARCH_X86_CPUFEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct cpu_features {
	bool nx, smep, smap, rdrand, rdseed, svm, npt, x2apic, pge;
	char vendor[13];
};

const struct cpu_features *cpu_features(void);
void cpu_features_detect(void);
/* CR4.PGE/SMEP/SMAP where present; run on every CPU. */
void cpu_enable_protections(void);
void cpu_features_string(char *buf, size_t len);

#endif
