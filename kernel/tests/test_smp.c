/* In-kernel tests of CPU bring-up: every vCPU the VMM reported is online
 * with its own per-CPU area, descriptor tables and stacks. */
#include "arch/x86/cpu.h"
#include "core/ktest.h"
#include "core/percpu.h"

KTEST(smp, all_cpus_online_and_distinct)
{
	unsigned online = 0;

	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++) {
		struct percpu *p = percpu_get(i);

		if (!p || !p->online)
			continue;
		online++;
		KEXPECT_EQ(t, p->index, i);
		KEXPECT(t, p->self == p);
		for (unsigned j = 0; j < i; j++) {
			struct percpu *q = percpu_get(j);

			if (!q || !q->online)
				continue;
			KEXPECT(t, q->apic_id != p->apic_id);
			KEXPECT(t, q->stack_top != p->stack_top || p->stack_top == 0);
			KEXPECT(t, q->ist_top[0] != p->ist_top[0]);
		}
		for (int s = 0; s < IST_COUNT; s++) {
			KEXPECT(t, p->ist_top[s] != 0);
			KEXPECT_EQ(t, p->desc.tss.ist[s], p->ist_top[s]);
		}
	}
	KEXPECT_EQ(t, online, percpu_count_online());
	KEXPECT(t, online >= 1);
}

KTEST(smp, bsp_state)
{
	KEXPECT_EQ(t, percpu_index(), 0);
	KEXPECT(t, this_cpu() == percpu_get(0));
	KEXPECT_EQ(t, read_rflags() & RFLAGS_IF, 0);
	KEXPECT(t, (rdmsr(MSR_EFER) & EFER_NXE) != 0);
}
