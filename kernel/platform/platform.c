/* Platform selection and the fallbacks used before a platform is chosen. */
#include "arch/x86/cpu.h"
#include "arch/x86/uart.h"
#include "husk/bootinfo.h"
#include "husk/err.h"
#include "platform/platform.h"

static const struct platform_ops *current;

static const struct platform_ops *const platforms[] = {
	&platform_native,
	&platform_svm,
};

int platform_select(uint32_t type)
{
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(platforms); i++)
		if (platforms[i]->type == type) {
			current = platforms[i];
			return HUSK_OK;
		}
	return HUSK_ERR_UNSUPPORTED;
}

const struct platform_ops *platform(void)
{
	return current;
}

HUSK_NORETURN void platform_exit(bool success)
{
	if (current)
		current->exit(success);
	/* No platform yet (boot parameters unusable): halt.  A VMM sees a
	 * stopped vCPU; husk's launcher reports a timeout. */
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}
