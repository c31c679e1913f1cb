/*
 * vmstat_test.c - the lifecycle rules of DESIGN.md section 5, table by table:
 * the group status string, allowed actions, Tumblebug's corrections.
 */
#include <errno.h>

#include "engine/vmstat.h"
#include "tests/unit/cu.h"

enum { U = DRV_VM_UNDEFINED, C = DRV_VM_CREATING, R = DRV_VM_RUNNING, SG = DRV_VM_SUSPENDING,
       S = DRV_VM_SUSPENDED, RS = DRV_VM_RESUMING, RB = DRV_VM_REBOOTING,
       TG = DRV_VM_TERMINATING, T = DRV_VM_TERMINATED, F = DRV_VM_FAILED };

/* counts by status, in the enum's order: U C R SG S RS RB TG T F */
static const struct {
	unsigned c[DRV_VM_NSTATUS];
	const char *want;
} group_cases[] = {
	{ { 0 }, "Empty:0 (R:0/0)" },
	{ { [R] = 3 }, "Running:3 (R:3/3)" },
	{ { [C] = 4 }, "Creating:4 (R:0/4)" },
	{ { [R] = 2, [C] = 1 }, "Partial-Running:2 (R:2/3)" },
	{ { [R] = 2, [F] = 1 }, "Partial-Failed:1 (R:2/3)" },
	{ { [F] = 3 }, "Failed:3 (R:0/3)" },
	{ { [F] = 1, [C] = 5 }, "Partial-Failed:1 (R:0/6)" },
	/* ties: Failed, Suspended, Running, Terminated, Creating, Suspending, Resuming,
	 * Rebooting, Terminating, Undefined */
	{ { [S] = 2, [R] = 2 }, "Partial-Suspended:2 (R:2/4)" },
	{ { [R] = 2, [T] = 2 }, "Partial-Running:2 (R:2/4)" },
	{ { [T] = 2, [C] = 2 }, "Partial-Terminated:2 (R:0/4)" },
	{ { [C] = 1, [SG] = 1 }, "Partial-Creating:1 (R:0/2)" },
	{ { [SG] = 1, [RS] = 1 }, "Partial-Suspending:1 (R:0/2)" },
	{ { [RS] = 1, [RB] = 1 }, "Partial-Resuming:1 (R:0/2)" },
	{ { [RB] = 1, [TG] = 1 }, "Partial-Rebooting:1 (R:0/2)" },
	{ { [TG] = 1, [U] = 1 }, "Partial-Terminating:1 (R:0/2)" },
	{ { [U] = 2 }, "Undefined:2 (R:0/2)" },
	{ { [T] = 5 }, "Terminated:5 (R:0/5)" },
	{ { [R] = 1, [S] = 3 }, "Partial-Suspended:3 (R:1/4)" },
	{ { [TG] = 7 }, "Terminating:7 (R:0/7)" },
};

static void test_group_string(void)
{
	char buf[96];

	for (size_t i = 0; i < ARRAY_SIZE(group_cases); i++) {
		vmstat_group_string(group_cases[i].c, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, group_cases[i].want);
		if (strcmp(buf, group_cases[i].want) != 0)
			fprintf(stderr, "case %zu: got %s, want %s\n", i, buf, group_cases[i].want);
	}
}

/* vmstat_allowed(current, in flight, action) → 0 start, 1 under way, -EBUSY */
static const struct {
	int cur, inflight, act, want;
} allow_cases[] = {
	{ R, ACT_NONE, ACT_SUSPEND, 0 },     { R, ACT_NONE, ACT_REBOOT, 0 },
	{ R, ACT_NONE, ACT_TERMINATE, 0 },   { R, ACT_NONE, ACT_RESUME, -EBUSY },
	{ S, ACT_NONE, ACT_RESUME, 0 },	     { S, ACT_NONE, ACT_TERMINATE, 0 },
	{ S, ACT_NONE, ACT_SUSPEND, -EBUSY }, { S, ACT_NONE, ACT_REBOOT, -EBUSY },
	{ T, ACT_NONE, ACT_TERMINATE, -EBUSY }, { T, ACT_NONE, ACT_RESUME, -EBUSY },
	{ T, ACT_NONE, ACT_SUSPEND, -EBUSY },
	{ C, ACT_CREATE, ACT_TERMINATE, -EBUSY }, { C, ACT_CREATE, ACT_SUSPEND, -EBUSY },
	{ SG, ACT_SUSPEND, ACT_SUSPEND, 1 }, { SG, ACT_SUSPEND, ACT_RESUME, -EBUSY },
	{ RS, ACT_RESUME, ACT_RESUME, 1 },   { RS, ACT_RESUME, ACT_TERMINATE, -EBUSY },
	{ RB, ACT_REBOOT, ACT_REBOOT, 1 },   { RB, ACT_REBOOT, ACT_SUSPEND, -EBUSY },
	{ TG, ACT_TERMINATE, ACT_TERMINATE, 1 }, { TG, ACT_TERMINATE, ACT_RESUME, -EBUSY },
	{ F, ACT_NONE, ACT_TERMINATE, 0 },   { F, ACT_NONE, ACT_SUSPEND, -EBUSY },
	{ F, ACT_NONE, ACT_REBOOT, -EBUSY }, { U, ACT_NONE, ACT_TERMINATE, 0 },
	{ U, ACT_NONE, ACT_RESUME, -EBUSY },
	{ R, ACT_NONE, ACT_CREATE, -EINVAL }, { R, ACT_NONE, ACT_NONE, -EINVAL },
};

static void test_allowed(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(allow_cases); i++) {
		int got = vmstat_allowed(allow_cases[i].cur, allow_cases[i].inflight,
					 allow_cases[i].act);

		CU_ASSERT_EQUAL(got, allow_cases[i].want);
		if (got != allow_cases[i].want)
			fprintf(stderr, "allow case %zu: got %d want %d\n", i, got,
				allow_cases[i].want);
	}
}

/* vmstat_correct(reading, in flight) → shown status, done */
static const struct {
	int reading, inflight, want, done;
} correct_cases[] = {
	{ R, ACT_NONE, R, 1 },	     { U, ACT_NONE, U, 0 },	{ U, ACT_RESUME, U, 0 },
	{ C, ACT_CREATE, C, 0 },     { R, ACT_CREATE, R, 1 },	{ F, ACT_CREATE, F, 1 },
	{ T, ACT_CREATE, F, 1 },     /* EC2: pending straight to terminated = failed */
	{ RS, ACT_CREATE, C, 0 },    /* GCE STAGING before first boot */
	{ S, ACT_RESUME, RS, 0 },    /* the Tumblebug correction */
	{ R, ACT_RESUME, R, 1 },     { RS, ACT_RESUME, RS, 0 },
	{ R, ACT_SUSPEND, SG, 0 },   { SG, ACT_SUSPEND, SG, 0 },	{ S, ACT_SUSPEND, S, 1 },
	{ R, ACT_REBOOT, R, 1 },     /* clouds that never show a reboot state */
	{ S, ACT_REBOOT, RB, 0 },    { SG, ACT_REBOOT, RB, 0 },	{ RB, ACT_REBOOT, RB, 0 },
	{ R, ACT_TERMINATE, TG, 0 }, { S, ACT_TERMINATE, TG, 0 },	{ T, ACT_TERMINATE, T, 1 },
	{ F, ACT_TERMINATE, TG, 0 }, { F, ACT_SUSPEND, F, 1 },	{ T, ACT_SUSPEND, T, 1 },
};

static void test_correct(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(correct_cases); i++) {
		bool done;
		int got = vmstat_correct(correct_cases[i].reading, correct_cases[i].inflight, &done);

		CU_ASSERT_EQUAL(got, correct_cases[i].want);
		CU_ASSERT_EQUAL(done, correct_cases[i].done);
		if (got != correct_cases[i].want || done != correct_cases[i].done)
			fprintf(stderr, "correct case %zu: got %s/%d\n", i, vmstat_name(got), done);
	}
}

static void test_names(void)
{
	enum drv_vm_status s;
	enum vm_action a;

	for (int i = 0; i < DRV_VM_NSTATUS; i++) {
		CU_ASSERT_EQUAL(vmstat_parse(vmstat_name(i), &s), 0);
		CU_ASSERT_EQUAL((int)s, i);
	}
	CU_ASSERT_EQUAL(vmstat_parse("running", &s), -EINVAL);
	CU_ASSERT_STRING_EQUAL(vmstat_name(99), "Undefined");
	for (int i = 1; i < ACT_COUNT; i++) {
		CU_ASSERT_EQUAL(vmstat_action_parse(vmstat_action_name(i), &a), 0);
		CU_ASSERT_EQUAL((int)a, i);
	}
	CU_ASSERT_EQUAL(vmstat_action_parse("none", &a), -EINVAL);
	CU_ASSERT_EQUAL(vmstat_action_parse("Suspend", &a), -EINVAL);
	CU_ASSERT_EQUAL(vmstat_action_target(ACT_SUSPEND), S);
	CU_ASSERT_EQUAL(vmstat_action_busy(ACT_TERMINATE), TG);
	CU_ASSERT_TRUE(vmstat_transitional(DRV_VM_REBOOTING));
	CU_ASSERT_FALSE(vmstat_transitional(DRV_VM_FAILED));
}

static const struct cu_test tests[] = {
	{ "group_string", test_group_string },
	{ "allowed", test_allowed },
	{ "correct", test_correct },
	{ "names", test_names },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "vmstat", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
