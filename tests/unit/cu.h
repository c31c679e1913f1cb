/*
 * cu.h - CUnit boilerplate shared by the unit tests.
 *
 * Each tests/unit/<module>_test.c builds into its own binary whose main()
 * is `return cu_main(argc, argv, suites)`.  A suite whose data is missing
 * (../shared absent) calls cu_skip() from its init: the binary then exits
 * 77, which tests/run-all.sh reports as SKIP, never as a pass.
 */
#ifndef BFS_CU_H
#define BFS_CU_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct cu_test {
	const char *name;
	void (*fn)(void);
};

struct cu_suite {
	const char *name;
	int (*init)(void);
	int (*clean)(void);
	const struct cu_test *tests;	/* NULL-name terminated */
};

static int cu_skipped;

/* Mark the binary skipped with a reason (call from a suite's init). */
static inline void cu_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	cu_skipped = 1;
}

/* The shared data folder (../shared from the project root), or NULL. */
static inline const char *cu_shared_dir(void)
{
	static const char *candidates[] = { "../shared", "../../shared", NULL };
	const char *env = getenv("BFS_SHARED");
	struct stat st;

	if (env && stat(env, &st) == 0)
		return env;
	for (int i = 0; candidates[i]; i++) {
		if (stat(candidates[i], &st) == 0 && S_ISDIR(st.st_mode))
			return candidates[i];
	}
	return NULL;
}

static inline int cu_main(int argc, char **argv, const struct cu_suite *suites)
{
	unsigned failed;
	const char *only = argc > 1 ? argv[1] : NULL;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct cu_suite *s = suites; s->name; s++) {
		CU_pSuite cs = CU_add_suite(s->name, s->init, s->clean);

		if (!cs)
			return 2;
		for (const struct cu_test *t = s->tests; t->name; t++) {
			if (only && strcmp(only, t->name) != 0)
				continue;
			if (!CU_add_test(cs, t->name, t->fn))
				return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	if (failed)
		return 1;
	return cu_skipped ? 77 : 0;
}

#endif
