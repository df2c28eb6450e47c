/* The cmocka fixture of lib/svsm's unit tests: one model platform per test
 * (tests/common/svsm_model.h) in the file-scope `m`, checked for violations
 * when the test ends.  Include after <cmocka.h>. */
#ifndef HUSK_TESTS_UNIT_SVSM_FIXTURE_H
#define HUSK_TESTS_UNIT_SVSM_FIXTURE_H

#include "../common/svsm_model.h"

static struct svsm_model *m;

static int setup(void **state)
{
	(void)state;
	m = svsm_model_new(true);
	return m ? 0 : -1;
}

/* Every violation the model saw (husk's region touched, an op under the
 * registry lock, a stray zero) fails the test. */
static int teardown(void **state)
{
	const char *e = svsm_model_check(m, true);

	(void)state;
	svsm_model_free(m);
	m = NULL;
	if (e)
		fail_msg("model: %s", e);
	return 0;
}

#endif
