/* libFuzzer target: VMM parameter pages (vCPU count, command line, memory map)
 * and the boot-parameter page, as a hostile loader could write them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bootparams/bootparams.h"
#include "../common/bp_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char vmm[4096], map[4096];
	static struct bp_info info;
	struct husk_boot_params bp;
	struct bp_error err;

	memset(vmm, 0, sizeof(vmm));
	memset(map, 0, sizeof(map));
	bp_fixture(&bp);
	/* First byte picks what to fuzz: VMM pages against a valid boot page,
	 * or the boot page itself. */
	if (size > 0 && (data[0] & 1)) {
		size_t n = HUSK_MIN(size - 1, sizeof(bp));

		memcpy(&bp, data + 1, n);
		if (bp_check_boot_params(&bp, &err) != 0)
			return 0;
	} else if (size > 0) {
		size_t n = size - 1;

		memcpy(vmm, data + 1, HUSK_MIN(n, sizeof(vmm)));
		if (n > sizeof(vmm))
			memcpy(map, data + 1 + sizeof(vmm), HUSK_MIN(n - sizeof(vmm), sizeof(map)));
	}
	if (bp_parse_vmm(&bp, vmm, map, &info, &err) == 0) {
		/* A validated map must answer queries consistently. */
		if (!bp_range_is_ram(&info, bp.region_base, bp.region_size))
			__builtin_trap();
	}
	return 0;
}
