/*
 * call_test.c - the driver wrapper (engine/call.c): deadlines, retries with
 * backoff, the rate limit, the concurrency limit, unsupported operations,
 * fault injection and statistics.  A scripted fake driver gives exact
 * control; the mock driver (drivers/mock.so) shows the same behaviour
 * against a cloud that throttles by itself.
 *
 * Timing: only lower bounds are checked (a rate limit cannot be beaten,
 * however fast the machine); nothing asserts that work was quick.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "engine/call.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"

/* ---- the fake driver ------------------------------------------------------- */

struct fake {
	atomic_int calls;
	atomic_int inflight;
	atomic_int max_inflight;
	int fail_first;		/* this many calls fail with fail_rc */
	int fail_rc;
	bool retryable;
	int retry_after_ms;
	int sleep_ms;		/* each call takes this long */
	bool block_to_deadline;	/* sleep until ctx->deadline_ms, then -ETIMEDOUT */
	int64_t last_budget_ms;	/* deadline the last call was given, minus now */
};

static struct fake fk;

static int fake_health(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	int n = atomic_fetch_add(&fk.calls, 1), cur = atomic_fetch_add(&fk.inflight, 1) + 1;
	int rc = 0;

	(void)conn;
	fk.last_budget_ms = ctx->deadline_ms - clock_mono_ms();
	for (int m = atomic_load(&fk.max_inflight); cur > m;)
		if (atomic_compare_exchange_weak(&fk.max_inflight, &m, cur))
			break;
	if (fk.block_to_deadline) {
		clock_sleep_ms(ctx->deadline_ms - clock_mono_ms());
		rc = drv_fail(err, ETIMEDOUT, "Timeout", "deadline");
	} else if (fk.sleep_ms) {
		clock_sleep_ms(fk.sleep_ms);
	}
	if (!rc && n < fk.fail_first) {
		err->retryable = fk.retryable;
		err->retry_after_ms = fk.retry_after_ms;
		rc = drv_fail(err, -fk.fail_rc, "FakeError", "scripted failure");
	}
	atomic_fetch_sub(&fk.inflight, 1);
	return rc;
}

static int fake_connect(const struct drv_config *cfg, void **conn, struct drv_error *err)
{
	(void)cfg;
	(void)err;
	*conn = &fk;
	return 0;
}

static void fake_disconnect(void *conn)
{
	(void)conn;
}

static const struct drv_ops fake_ops = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "fake",
	.connect = fake_connect,
	.disconnect = fake_disconnect,
	.health = fake_health,
	/* list_specs, create_vm, ... NULL: unsupported */
};

static struct caller *new_caller(int concurrency, double rps, int retries, int64_t attempt_ms)
{
	struct caller *c = caller_new();
	struct call_limits l;

	call_limits_default(&l);
	l.concurrency = concurrency;
	l.rps = rps;
	l.burst = 1;
	l.retries = retries;
	l.attempt_ms = attempt_ms;
	l.backoff_ms = 5;
	l.backoff_max_ms = 20;
	caller_set_limits(c, &l);
	memset(&fk, 0, sizeof(fk));
	return c;
}

static bool stats_has(struct caller *c, const char *line)
{
	struct sbuf sb = SBUF_INIT;
	bool ok;

	caller_stats(c, &sb);
	ok = strstr(sbuf_str(&sb), line) != NULL;
	if (!ok)
		fprintf(stderr, "stats lack \"%s\":\n%s", line, sbuf_str(&sb));
	sbuf_release(&sb);
	return ok;
}

static void test_success(void)
{
	struct caller *c = new_caller(4, 0, 3, 5000);
	struct drv_error err;

	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), 0);
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 1);
	/* the attempt got the configured budget as its deadline */
	CU_ASSERT_TRUE(fk.last_budget_ms > 4000 && fk.last_budget_ms <= 5000);
	CU_ASSERT_TRUE(stats_has(c, "health.calls 1\n"));
	CU_ASSERT_TRUE(stats_has(c, "health.errors 0\n"));
	CU_ASSERT_TRUE(stats_has(c, "health.p99_ms "));
	caller_free(c);
}

static void test_retry_then_success(void)
{
	struct caller *c = new_caller(4, 0, 4, 5000);
	struct drv_error err;

	fk.fail_first = 3;
	fk.fail_rc = -EAGAIN;
	fk.retryable = true;
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), 0);
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 4);
	CU_ASSERT_TRUE(stats_has(c, "health.retries 3\n"));
	CU_ASSERT_TRUE(stats_has(c, "health.errors 3\n"));
	CU_ASSERT_TRUE(stats_has(c, "health.last_error EAGAIN FakeError: scripted failure"));
	caller_free(c);
}

static void test_retries_exhausted(void)
{
	struct caller *c = new_caller(4, 0, 2, 5000);
	struct drv_error err;

	fk.fail_first = 100;
	fk.fail_rc = -EAGAIN;
	fk.retryable = true;
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), -EAGAIN);
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 3);
	CU_ASSERT_STRING_EQUAL(err.code, "FakeError");
	caller_free(c);
}

static void test_retryable_5xx(void)
{
	struct caller *c = new_caller(4, 0, 3, 5000);
	struct drv_error err;

	fk.fail_first = 2;
	fk.fail_rc = -EIO;
	fk.retryable = true;
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), 0);
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 3);
	caller_free(c);
}

static void test_not_retried(void)
{
	static const int final[] = { -EDQUOT, -EACCES, -EINVAL, -ENOENT, -EIO };
	struct drv_error err;

	for (size_t i = 0; i < ARRAY_SIZE(final); i++) {
		struct caller *c = new_caller(4, 0, 5, 5000);

		fk.fail_first = 100;
		fk.fail_rc = final[i];
		fk.retryable = false;
		CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), final[i]);
		CU_ASSERT_EQUAL(atomic_load(&fk.calls), 1);
		caller_free(c);
	}
}

static void test_retry_after_honoured(void)
{
	struct caller *c = new_caller(4, 0, 1, 5000);
	struct drv_error err;
	int64_t t0 = clock_mono_ms();

	fk.fail_first = 1;
	fk.fail_rc = -EAGAIN;
	fk.retryable = true;
	fk.retry_after_ms = 300;
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), 0);
	CU_ASSERT_TRUE(clock_mono_ms() - t0 >= 300); /* a lower bound: never early */
	caller_free(c);
}

static void test_deadline(void)
{
	struct caller *c = new_caller(4, 0, 1, 150);
	struct drv_error err;
	int64_t t0 = clock_mono_ms();

	fk.block_to_deadline = true;
	/* each attempt runs into its deadline: ETIMEDOUT, retried once, still ETIMEDOUT */
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), -ETIMEDOUT);
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 2);
	CU_ASSERT_TRUE(clock_mono_ms() - t0 >= 300);
	CU_ASSERT_TRUE(stats_has(c, "health.last_error ETIMEDOUT"));
	caller_free(c);
}

static void test_whole_call_deadline(void)
{
	struct caller *c = new_caller(4, 0, 10, 100);
	struct call_limits l;
	struct drv_error err;

	caller_get_limits(c, &l);
	l.deadline_ms = 250; /* room for about two 100 ms attempts, not ten */
	caller_set_limits(c, &l);
	fk.block_to_deadline = true;
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), -ETIMEDOUT);
	CU_ASSERT_TRUE(atomic_load(&fk.calls) <= 3);
	caller_free(c);
}

static void test_rate_limit(void)
{
	struct caller *c = new_caller(8, 50, 0, 5000); /* 50/s, burst 1: 20 ms apart */
	struct drv_error err;
	int64_t t0 = clock_mono_ms();

	for (int i = 0; i < 21; i++)
		CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), 0);
	/* 21 calls at 50 per second cannot take less than 20 intervals */
	CU_ASSERT_TRUE(clock_mono_ms() - t0 >= 20 * 20 - 5);
	caller_free(c);
}

struct par {
	struct caller *c;
	int rc;
};

static void *par_call(void *arg)
{
	struct par *p = arg;
	struct drv_error err;

	p->rc = call_health(p->c, &fake_ops, &fk, &err);
	return NULL;
}

static void test_concurrency_limit(void)
{
	struct caller *c = new_caller(3, 0, 0, 5000);
	pthread_t th[12];
	struct par p[12];

	fk.sleep_ms = 60;
	for (int i = 0; i < 12; i++) {
		p[i].c = c;
		pthread_create(&th[i], NULL, par_call, &p[i]);
	}
	for (int i = 0; i < 12; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(p[i].rc, 0);
	}
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 12);
	CU_ASSERT_EQUAL(atomic_load(&fk.max_inflight), 3);
	caller_free(c);
}

static void test_unsupported(void)
{
	struct caller *c = new_caller(4, 0, 3, 5000);
	struct drv_spec_info *specs = NULL;
	struct drv_vm vm;
	struct drv_error err;
	size_t n = 7;

	CU_ASSERT_EQUAL(call_list_specs(c, &fake_ops, &fk, &specs, &n, &err), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(call_get_vm(c, &fake_ops, &fk, "g/v", "i-1", &vm, &err), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(call_delete_vm(c, &fake_ops, &fk, "g/v", "i-1", &err), -EOPNOTSUPP);
	CU_ASSERT_STRING_EQUAL(err.code, "NotSupported");
	/* an unsupported operation never reaches the cloud, so it is not counted */
	CU_ASSERT_FALSE(stats_has(c, "get_vm.calls"));
	caller_free(c);
}

static void test_fault_injection(void)
{
	struct caller *c = new_caller(4, 0, 2, 5000);
	struct call_faults f = { .error_rate = 1.0 };
	struct drv_error err;
	struct sbuf log = SBUF_INIT;

	caller_set_faults(c, &f);
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), -EIO);
	CU_ASSERT_EQUAL(atomic_load(&fk.calls), 0); /* injected before the driver */
	CU_ASSERT_STRING_EQUAL(err.code, "InjectedFault");
	CU_ASSERT_TRUE(stats_has(c, "health.retries 2\n"));
	/* every attempt is one line in the calls log */
	evlog_read(caller_log(c), 0, 1 << 20, &log);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&log), " health - "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&log), "EIO InjectedFault"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&log), "(retry 2)"));
	sbuf_release(&log);
	f.error_rate = 0;
	f.throttle_rate = 1.0;
	caller_set_faults(c, &f);
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), -EAGAIN);
	f.throttle_rate = 0;
	caller_set_faults(c, &f);
	CU_ASSERT_EQUAL(call_health(c, &fake_ops, &fk, &err), 0);
	caller_free(c);
}

/* ---- the same through the mock driver -------------------------------------------- */

static void *mock_so;
static const struct drv_ops *mock;

static int mock_init(void)
{
	const char *out = getenv("BFS_OUT") ? getenv("BFS_OUT") : ".";
	char path[512];

	snprintf(path, sizeof(path), "%s/drivers/mock.so", out);
	mock_so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!mock_so) {
		fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
		return 1;
	}
	mock = dlsym(mock_so, DRV_SYMBOL);
	return mock ? 0 : 1;
}

static int mock_clean(void)
{
	if (mock_so)
		dlclose(mock_so);
	return 0;
}

static void *mock_connect(const char *spec_text, char *dir)
{
	json_t *spec = json_loads(spec_text, 0, NULL);
	struct drv_config cfg = { .cloud = "t", .spec = spec, .state_dir = dir };
	struct drv_error err = { 0 };
	void *conn = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL(mock->connect(&cfg, &conn, &err), 0);
	json_decref(spec);
	return conn;
}

static void test_mock_throttling_retried(void)
{
	char dir[] = "/tmp/bfs-call-XXXXXX";
	void *conn = mock_connect("{\"rate\":5,\"burst\":1,\"boot_ms\":0}", dir);
	struct caller *c = new_caller(4, 0, 8, 5000);
	struct drv_vm *vms = NULL;
	struct drv_error err;
	size_t n;

	/* the mock allows 5 requests a second; 12 calls are throttled, then pass on retry */
	for (int i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL(call_list_vms(c, mock, conn, NULL, &vms, &n, &err), 0);
		free(vms);
	}
	CU_ASSERT_FALSE(stats_has(c, "list_vms.retries 0\n"));
	CU_ASSERT_TRUE(stats_has(c, "list_vms.last_error EAGAIN Throttling"));
	mock->disconnect(conn);
	caller_free(c);
}

static void test_mock_quota_not_retried(void)
{
	char dir[] = "/tmp/bfs-call-XXXXXX";
	void *conn = mock_connect("{\"quota_vcpus\":1,\"boot_ms\":0}", dir);
	struct caller *c = new_caller(4, 0, 5, 5000);
	struct drv_kv tag = { DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	struct drv_vm_req req = { .name = "a", .client_token = "tok-a", .spec = "m1.large",
				  .image = "ubuntu-22.04", .tags = &tag, .ntags = 1 };
	struct drv_vm out;
	struct drv_error err;

	CU_ASSERT_EQUAL(call_create_vm(c, mock, conn, "g/a", &req, &out, &err), -EDQUOT);
	CU_ASSERT_TRUE(stats_has(c, "create_vm.calls 1\n"));
	CU_ASSERT_TRUE(stats_has(c, "create_vm.retries 0\n"));
	mock->disconnect(conn);
	caller_free(c);
}

static void test_mock_deadline(void)
{
	char dir[] = "/tmp/bfs-call-XXXXXX";
	void *conn = mock_connect("{\"latency_ms\":400}", dir);
	struct caller *c = new_caller(4, 0, 1, 100);
	struct drv_error err;

	/* 400 ms of latency against a 100 ms attempt deadline: ETIMEDOUT, twice */
	CU_ASSERT_EQUAL(call_health(c, mock, conn, &err), -ETIMEDOUT);
	CU_ASSERT_TRUE(stats_has(c, "health.calls 2\n"));
	mock->disconnect(conn);
	caller_free(c);
}

static const struct cu_test fake_tests[] = {
	{ "success", test_success },
	{ "retry_then_success", test_retry_then_success },
	{ "retries_exhausted", test_retries_exhausted },
	{ "retryable_5xx", test_retryable_5xx },
	{ "not_retried", test_not_retried },
	{ "retry_after_honoured", test_retry_after_honoured },
	{ "deadline", test_deadline },
	{ "whole_call_deadline", test_whole_call_deadline },
	{ "rate_limit", test_rate_limit },
	{ "concurrency_limit", test_concurrency_limit },
	{ "unsupported", test_unsupported },
	{ "fault_injection", test_fault_injection },
	{ NULL, NULL },
};

static const struct cu_test mock_tests[] = {
	{ "mock_throttling_retried", test_mock_throttling_retried },
	{ "mock_quota_not_retried", test_mock_quota_not_retried },
	{ "mock_deadline", test_mock_deadline },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "call_fake", NULL, NULL, fake_tests },
	{ "call_mock", mock_init, mock_clean, mock_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
