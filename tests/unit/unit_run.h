/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CUnit runner shared by every unit test, DPDK or not: unit.h adds the DPDK helpers on
 * top, the control and agent tests include this alone.
 */
#ifndef SPG_UNIT_RUN_H
#define SPG_UNIT_RUN_H

#include <CUnit/Basic.h>

/* One test; a case list ends with {NULL, NULL}. */
struct unit_case {
	const char *name;
	void (*fn)(void);
};

/* Runs the cases as one suite; exit status 0 only when every assertion held. */
static inline int unit_run(const char *suite, const struct unit_case *cases, int (*init)(void),
			   int (*clean)(void))
{
	unsigned int failures;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, init, clean);
	if (s == NULL)
		return 2;
	for (; cases->name != NULL; cases++)
		if (CU_add_test(s, cases->name, cases->fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

#endif
