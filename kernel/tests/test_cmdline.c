/* In-kernel tests of husk's command-line lookup: present, absent, and a
 * value too long for the caller's buffer, which must not read as absent. */
#include <string.h>

#include "core/cmdline.h"
#include "core/ktest.h"
#include "husk/bootinfo.h"
#include "husk/err.h"

KTEST(cmdline, lookup)
{
	static char saved[HUSK_VMM_CMDLINE_MAX];
	char v[8];

	memcpy(saved, cmdline_raw(), strlen(cmdline_raw()) + 1);
	cmdline_set("a=1 vtpm.identity=abcdefgh kbs.x= kbs.xy=2 b");
	KEXPECT_EQ(t, cmdline_lookup("a", v, sizeof(v)), HUSK_OK);
	KEXPECT(t, strcmp(v, "1") == 0);
	KEXPECT_EQ(t, cmdline_lookup("vtpm.identity", v, sizeof(v)), HUSK_ERR_RANGE);
	KEXPECT(t, !cmdline_get("vtpm.identity", v, sizeof(v)));
	KEXPECT_EQ(t, cmdline_lookup("kbs.x", v, sizeof(v)), HUSK_OK);
	KEXPECT(t, v[0] == 0);
	KEXPECT_EQ(t, cmdline_lookup("kbs.xy", v, sizeof(v)), HUSK_OK);
	KEXPECT(t, strcmp(v, "2") == 0);
	KEXPECT_EQ(t, cmdline_lookup("b", v, sizeof(v)), HUSK_ERR_NOTFOUND);
	KEXPECT_EQ(t, cmdline_lookup("kbs", v, sizeof(v)), HUSK_ERR_NOTFOUND);
	cmdline_set(saved);
}
