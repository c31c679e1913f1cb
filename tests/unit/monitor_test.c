/*
 * monitor_test.c - the monitor API the engine uses: the exact text of the
 * tree's files (vms/<v>/metrics/<m>, agent, groups/<g>/metrics/<m>,
 * .history), JIT pulls against a fake agent (fresh reads do not pull, one
 * pull serves concurrent readers, a hanging or refusing agent costs a
 * bounded wait and the cached sample is shown), health transitions,
 * user-data injection (checked with sh -n), tokens and bad arguments.
 */
#include "tests/unit/cu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "lib/clock.h"
#include "monitor/monitor.h"
#include "monitor/userdata.h"
#include "tests/unit/monitor_http.h"

#define TOKEN "monitor-test-token-0000000000001"

#define ASSERT_CONTAINS(hay, needle) do { \
	if (!strstr(hay, needle)) \
		fprintf(stderr, "  missing [%s] in [%s]\n", needle, hay); \
	CU_ASSERT_PTR_NOT_NULL(strstr(hay, needle)); \
} while (0)

static char tmpdir[64];

static int suite_init(void)
{
	strcpy(tmpdir, "/tmp/monitor_test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct monitor *new_monitor(int interval_s, int jit_age_ms, const char *state)
{
	struct monitor_opts o = { .interval_s = interval_s, .jit_age_ms = jit_age_ms,
				  .jit_timeout_ms = 300, .threads = 1,
				  .retention_s = 50ll * 365 * 86400 /* the 2023 samples stay */ };
	struct monitor *m = NULL;
	char dir[128];

	if (state) {
		snprintf(dir, sizeof(dir), "%s/%s", tmpdir, state);
		o.state_dir = dir;
	}
	CU_ASSERT_EQUAL_FATAL(monitor_new(&o, &m, NULL), 0);
	return m;
}

/* Push a body as the VM's agent would (token header, optional interval). */
static long push(struct monitor *m, const char *token, const char *body, const char *interval)
{
	char url[256], auth[128], iv[64];
	const char *h[] = { auth, interval ? iv : NULL, NULL };
	struct http_reply r;
	long status;

	snprintf(url, sizeof(url), "%s/write", monitor_url(m));
	snprintf(auth, sizeof(auth), "Authorization: Token %s", token);
	snprintf(iv, sizeof(iv), "X-Barista-Agent-Interval: %s", interval ? interval : "");
	http_do("POST", url, body, strlen(body), h, 0, &r);
	status = r.status;
	http_release(&r);
	return status;
}

static char *read_vm(struct monitor *m, const char *vm, const char *meas)
{
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(monitor_read_vm(m, vm, meas, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

/* The file without its age_s line (which depends on when it is read). */
static char *without_age(char *text)
{
	char *a = strstr(text, "age_s ");

	if (a)
		*a = '\0';
	return text;
}

/* ---- file texts ---- */

static void test_vm_metrics_text(void)
{
	struct monitor *m = new_monitor(5, 3600 * 1000, NULL);
	char *t;

	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, NULL), 0);
	t = read_vm(m, "g/v1", "cpu");
	CU_ASSERT_STRING_EQUAL(t, "observed_at none\nperiod_s 5\nage_s none\n");
	free(t);
	CU_ASSERT_EQUAL(push(m, TOKEN,
		"cpu cpu_steal=0,cpu_iowait=0.5,cpu_idle=80,cpu_system=4.5,cpu_user=15,cpu_utilization=20,extra=7 1700000000000000000\n"
		"cpu cpu_steal=0,cpu_iowait=0.25,cpu_idle=70,cpu_system=5,cpu_user=24.75,cpu_utilization=30,extra=8 1700000005000000000\n",
		NULL), 204);
	t = without_age(read_vm(m, "g/v1", "cpu"));
	CU_ASSERT_STRING_EQUAL(t, "cpu_utilization 30\ncpu_user 24.75\ncpu_system 5\ncpu_idle 70\n"
			       "cpu_iowait 0.25\ncpu_steal 0\nextra 8\n"
			       "observed_at 2023-11-14T22:13:25Z\nperiod_s 5\n");
	free(t);
	CU_ASSERT_EQUAL(push(m, TOKEN, "app requests=3i,status=\"ok\nfine\" 1700000001500000000", NULL), 204);
	t = without_age(read_vm(m, "g/v1", "app"));
	CU_ASSERT_STRING_EQUAL(t, "requests 3\nstatus ok?fine\nobserved_at 2023-11-14T22:13:21Z\n"
			       "period_s 5\n");
	free(t);
	monitor_free(m);
}

static void test_unknown_and_listing(void)
{
	struct monitor *m = new_monitor(5, 3600 * 1000, NULL);
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, NULL), 0);
	CU_ASSERT_EQUAL(monitor_read_vm(m, "g/none", "cpu", &sb), -ENOENT);
	CU_ASSERT_EQUAL(monitor_read_vm(m, "g/v1", "foo", &sb), -ENOENT);
	CU_ASSERT_EQUAL(monitor_read_agent(m, "g/none", &sb), -ENOENT);
	CU_ASSERT_EQUAL(monitor_list_measurements(m, "g/none", &sb), -ENOENT);
	CU_ASSERT_EQUAL(push(m, TOKEN, "zeta v=1\nalpha v=1\ncpu cpu_user=1", NULL), 204);
	CU_ASSERT_EQUAL(monitor_list_measurements(m, "g/v1", &sb), 0);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "cpu\nmem\ndisk\ndiskio\nnet\nalpha\nzeta\n");
	sbuf_release(&sb);
	CU_ASSERT_EQUAL(monitor_read_history(m, "g/v1", "cpu", &sb), -ENOENT);	/* no state dir */
	monitor_free(m);
}

static void test_bad_arguments(void)
{
	struct monitor *m = new_monitor(5, 0, NULL);
	struct monitor_opts bad = { .listen = "nonsense" };
	struct monitor *m2 = NULL;
	char tok[MONITOR_TOKEN_LEN + 1], tok2[MONITOR_TOKEN_LEN + 1], *err = NULL;

	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", "short", NULL), -EINVAL);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g v1", TOKEN, NULL), -EINVAL);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "", TOKEN, NULL), -EINVAL);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN " x", NULL), -EINVAL);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, "no-port"), -EINVAL);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, NULL), 0);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN "2", NULL), -EEXIST);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v2", TOKEN, NULL), -EEXIST);	/* one token, one VM */
	CU_ASSERT_EQUAL(monitor_vm_set_agent(m, "g/none", "1.2.3.4:5"), -ENOENT);
	CU_ASSERT_EQUAL(monitor_token_new(tok, sizeof(tok)), 0);
	CU_ASSERT_EQUAL(monitor_token_new(tok2, sizeof(tok2)), 0);
	CU_ASSERT_EQUAL(strlen(tok), MONITOR_TOKEN_LEN);
	CU_ASSERT_EQUAL(strspn(tok, "0123456789abcdef"), MONITOR_TOKEN_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(tok, tok2);
	CU_ASSERT_EQUAL(monitor_token_new(tok, MONITOR_TOKEN_LEN), -EINVAL);
	CU_ASSERT_EQUAL(monitor_new(&bad, &m2, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	monitor_free(m);
}

static void test_group_aggregates(void)
{
	struct monitor *m = new_monitor(5, 3600 * 1000, NULL);
	const char *ids[] = { "g/a-1", "g/a-2", "g/a-3", "g/gone" };
	char token[40], line[160];
	struct sbuf sb = SBUF_INIT;
	int64_t now = clock_wall_ms();

	for (int i = 0; i < 3; i++) {
		snprintf(token, sizeof(token), "group-token-%020d", i);
		CU_ASSERT_EQUAL(monitor_vm_add(m, ids[i], token, NULL), 0);
		snprintf(line, sizeof(line), "mem mem_utilization=%d,mem_total=%di %lld",
			 (int[]){ 10, 20, 60 }[i], 1000 * (i + 1), (long long)(now - i * 1000) * 1000000);
		CU_ASSERT_EQUAL(push(m, token, line, NULL), 204);
	}
	CU_ASSERT_EQUAL(monitor_read_group(m, ids, 4, "mem", &sb), 0);
	ASSERT_CONTAINS(sbuf_str(&sb), "mem_utilization_avg 30\nmem_utilization_min 10\n"
			"mem_utilization_max 60\nmem_total_avg 2000\nmem_total_min 1000\n"
			"mem_total_max 3000\nvms_reporting 3\nvms_total 4\nobserved_at 20");
	sbuf_reset(&sb);
	/* A stale sample does not count. */
	CU_ASSERT_EQUAL(push(m, "group-token-00000000000000000001",
			     "net bytes_in=5 1000000000000000000", NULL), 204);
	CU_ASSERT_EQUAL(monitor_read_group(m, ids, 4, "net", &sb), 0);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "vms_reporting 0\nvms_total 4\nobserved_at none\n");
	sbuf_release(&sb);
	monitor_free(m);
}

static void test_history(void)
{
	struct monitor *m = new_monitor(5, 3600 * 1000, "hist");
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, NULL), 0);
	CU_ASSERT_EQUAL(push(m, TOKEN, "cpu cpu_utilization=10 1699999985000000000\n"
			     "cpu cpu_utilization=30 1699999995000000000\n"
			     "cpu cpu_utilization=50 1700000045000000000", "5"), 204);
	CU_ASSERT_EQUAL(monitor_read_history(m, "g/v1", "cpu", &sb), 0);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "2023-11-14T22:13:00Z samples=2 cpu_utilization_avg=20 "
			       "cpu_utilization_min=10 cpu_utilization_max=30 cpu_utilization_last=30\n");
	sbuf_reset(&sb);
	CU_ASSERT_EQUAL(monitor_vm_remove(m, "g/v1"), 0);	/* closes its open minute */
	CU_ASSERT_EQUAL(monitor_read_history(m, "g/v1", "cpu", &sb), 0);
	ASSERT_CONTAINS(sbuf_str(&sb), "\n2023-11-14T22:14:00Z samples=1 cpu_utilization_avg=50 "
			"cpu_utilization_min=50 cpu_utilization_max=50 cpu_utilization_last=50\n");
	sbuf_release(&sb);
	monitor_free(m);
}

/* ---- a fake agent for pulls ---- */

struct fake_agent {
	struct MHD_Daemon *d;
	char addr[64];
	atomic_int pulls;
	atomic_int hang_ms;
	atomic_int value;
};

static enum MHD_Result fake_pull(void *cls, struct MHD_Connection *con, const char *url,
				 const char *method, const char *version, const char *up,
				 size_t *up_size, void **ctx)
{
	struct fake_agent *fa = cls;
	const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
	char body[128];
	struct MHD_Response *r;
	unsigned status = 200;
	enum MHD_Result ret;

	(void)method, (void)version, (void)up, (void)up_size, (void)ctx;
	atomic_fetch_add(&fa->pulls, 1);
	if (atomic_load(&fa->hang_ms))
		clock_sleep_ms(atomic_load(&fa->hang_ms));
	if (strcmp(url, "/pull") != 0 || !auth || strcmp(auth, "Token " TOKEN) != 0)
		status = 401;
	snprintf(body, sizeof(body), "cpu cpu_utilization=%d,cpu_user=1\n",
		 atomic_fetch_add(&fa->value, 1) + 1);
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fake_start(struct fake_agent *fa)
{
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	memset(fa, 0, sizeof(*fa));
	fa->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				 0, NULL, NULL, fake_pull, fa, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fa->d);
	di = MHD_get_daemon_info(fa->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(fa->addr, sizeof(fa->addr), "127.0.0.1:%u", di->port);
}

struct reader_arg {
	struct monitor *m;
	char *text;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;

	a->text = read_vm(a->m, "g/v1", "cpu");
	return NULL;
}

static void test_jit_pull(void)
{
	struct monitor *m = new_monitor(1, 1000, NULL);
	struct fake_agent fa;
	struct reader_arg args[8];
	pthread_t th[8];
	char *t;

	fake_start(&fa);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, fa.addr), 0);
	t = read_vm(m, "g/v1", "cpu");			/* nothing yet: pulled */
	ASSERT_CONTAINS(t, "cpu_utilization 1\ncpu_user 1\nobserved_at ");
	free(t);
	CU_ASSERT_EQUAL(atomic_load(&fa.pulls), 1);
	t = read_vm(m, "g/v1", "cpu");			/* fresh: no pull */
	ASSERT_CONTAINS(t, "cpu_utilization 1\n");
	free(t);
	CU_ASSERT_EQUAL(atomic_load(&fa.pulls), 1);
	clock_sleep_ms(1100);
	for (int i = 0; i < 8; i++) {
		args[i] = (struct reader_arg){ m, NULL };
		pthread_create(&th[i], NULL, reader, &args[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ASSERT_CONTAINS(args[i].text, "cpu_utilization 2\n");
		free(args[i].text);
	}
	CU_ASSERT_EQUAL(atomic_load(&fa.pulls), 2);	/* one pull served all eight */
	monitor_free(m);
	MHD_stop_daemon(fa.d);
}

static void test_jit_agent_hangs(void)
{
	struct monitor *m = new_monitor(1, 1000, NULL);
	struct fake_agent fa;
	struct sbuf st = SBUF_INIT;
	char *t;

	fake_start(&fa);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, fa.addr), 0);
	t = read_vm(m, "g/v1", "cpu");
	ASSERT_CONTAINS(t, "cpu_utilization 1\n");
	free(t);
	clock_sleep_ms(1100);
	atomic_store(&fa.hang_ms, 2000);
	t = read_vm(m, "g/v1", "cpu");		/* the pull times out: cached, with its age */
	ASSERT_CONTAINS(t, "cpu_utilization 1\n");
	ASSERT_CONTAINS(t, "age_s 1\n");
	free(t);
	t = read_vm(m, "g/v1", "cpu");		/* backing off: no second pull */
	free(t);
	CU_ASSERT_EQUAL(atomic_load(&fa.pulls), 2);
	monitor_read_stats(m, &st);
	ASSERT_CONTAINS(sbuf_str(&st), "pulls_total 2\npull_failures_total 1\n");
	sbuf_release(&st);
	monitor_free(m);
	MHD_stop_daemon(fa.d);
}

static void test_jit_wrong_token(void)
{
	struct monitor *m = new_monitor(1, 1000, NULL);
	struct fake_agent fa;
	char *t;

	fake_start(&fa);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", "another-token-000000000000001", fa.addr), 0);
	t = read_vm(m, "g/v1", "cpu");		/* the agent refuses: nothing stored */
	CU_ASSERT_STRING_EQUAL(t, "observed_at none\nperiod_s 1\nage_s none\n");
	free(t);
	monitor_free(m);
	MHD_stop_daemon(fa.d);
}

/* ---- health ---- */

static char *agent_text(struct monitor *m)
{
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(monitor_read_agent(m, "g/v1", &sb), 0);
	return sbuf_detach(&sb, NULL);
}

static void test_health_transitions(void)
{
	struct monitor *m = new_monitor(5, 0, NULL);
	char *t;

	CU_ASSERT_EQUAL(monitor_vm_add(m, "g/v1", TOKEN, NULL), 0);
	t = agent_text(m);
	CU_ASSERT_STRING_EQUAL(t, "status absent\nlast_seen none\ninterval_s 5\npull none\n");
	free(t);
	CU_ASSERT_EQUAL(push(m, TOKEN, "cpu cpu_user=1", "1"), 204);
	t = agent_text(m);
	ASSERT_CONTAINS(t, "status healthy\nlast_seen 20");
	ASSERT_CONTAINS(t, "interval_s 1\npull none\n");
	free(t);
	clock_sleep_ms(3700);			/* 3 intervals and a half */
	t = agent_text(m);
	ASSERT_CONTAINS(t, "status unhealthy\n");
	free(t);
	CU_ASSERT_EQUAL(push(m, TOKEN, "cpu cpu_user=2", "1"), 204);
	t = agent_text(m);
	ASSERT_CONTAINS(t, "status healthy\n");
	free(t);
	CU_ASSERT_EQUAL(monitor_vm_set_agent(m, "g/v1", "10.0.0.9:8095"), 0);
	t = agent_text(m);
	ASSERT_CONTAINS(t, "pull 10.0.0.9:8095\n");
	free(t);
	monitor_free(m);
}

/* ---- user-data ---- */

static char *userdata(struct monitor *m, const char *in)
{
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(monitor_userdata(m, "g/web-1", TOKEN, in, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

static void check_sh_syntax(const char *script)
{
	char path[128], cmd[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ud.sh", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh -n %s", path);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_userdata(void)
{
	struct monitor *m = new_monitor(5, 0, NULL);
	struct userdata_agent a;
	char line[256], *t, *again;
	struct sbuf sb = SBUF_INIT;

	snprintf(line, sizeof(line), "\n# baristafs-agent collector=%s token=%s interval=5 vm=g/web-1\n",
		 monitor_url(m), TOKEN);
	t = userdata(m, NULL);
	CU_ASSERT_EQUAL(strncmp(t, "#!/bin/sh\n# >>> baristafs-agent", 31), 0);
	ASSERT_CONTAINS(t, line);
	ASSERT_CONTAINS(t, "systemctl enable --now barista-agent.service\n");
	check_sh_syntax(t);
	CU_ASSERT_EQUAL(userdata_parse(t, strlen(t), &a), 0);
	CU_ASSERT_STRING_EQUAL(a.collector, monitor_url(m));
	CU_ASSERT_STRING_EQUAL(a.token, TOKEN);
	CU_ASSERT_STRING_EQUAL(a.vm, "g/web-1");
	CU_ASSERT_EQUAL(a.interval_s, 5);
	again = userdata(m, t);			/* applying twice changes nothing */
	CU_ASSERT_STRING_EQUAL(again, t);
	free(again);
	free(t);
	t = userdata(m, "#!/bin/bash\necho hello\n");
	CU_ASSERT_EQUAL(strncmp(t, "#!/bin/bash\n# >>> baristafs-agent", 33), 0);
	ASSERT_CONTAINS(t, "# <<< baristafs-agent\necho hello\n");
	check_sh_syntax(t);
	free(t);
	t = userdata(m, "#cloud-config\npackages: [htop]\n");
	CU_ASSERT_EQUAL(strncmp(t, "Content-Type: multipart/mixed;", 30), 0);
	ASSERT_CONTAINS(t, line);
	ASSERT_CONTAINS(t, "Content-Type: text/cloud-config; charset=\"us-ascii\"\n\n#cloud-config\n"
			"packages: [htop]\n--==BARISTAFS-AGENT==--\n");
	again = userdata(m, t);
	CU_ASSERT_STRING_EQUAL(again, t);
	free(again);
	free(t);
	CU_ASSERT_EQUAL(monitor_userdata(m, "g/web 1", TOKEN, NULL, &sb), -EINVAL);
	CU_ASSERT_EQUAL(monitor_userdata(m, "g/web-1", "tok$(reboot)en-00000000", NULL, &sb), -EINVAL);
	CU_ASSERT_EQUAL(userdata_parse("#!/bin/sh\n", 10, &a), -ENOENT);
	CU_ASSERT_EQUAL(userdata_parse("# baristafs-agent token=x\n", 26, &a), -EINVAL);
	sbuf_release(&sb);
	monitor_free(m);
}

/* The unit the block installs is the one shipped next to the agent. */
static void test_unit_file_matches(void)
{
	FILE *f = fopen("monitor/agent/barista-agent.service", "r");
	char buf[4096];
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, userdata_systemd_unit());
}

static const struct cu_test file_tests[] = {
	{ "vm_metrics_text", test_vm_metrics_text },
	{ "unknown_and_listing", test_unknown_and_listing },
	{ "bad_arguments", test_bad_arguments },
	{ "group_aggregates", test_group_aggregates },
	{ "history", test_history },
	{ "userdata", test_userdata },
	{ "unit_file_matches", test_unit_file_matches },
	{ NULL, NULL },
};

static const struct cu_test live_tests[] = {
	{ "jit_pull", test_jit_pull },
	{ "jit_agent_hangs", test_jit_agent_hangs },
	{ "jit_wrong_token", test_jit_wrong_token },
	{ "health_transitions", test_health_transitions },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct cu_suite suites[] = {
		{ "monitor_files", suite_init, suite_clean, file_tests },
		{ "monitor_live", suite_init, suite_clean, live_tests },
		{ NULL, NULL, NULL, NULL },
	};

	return cu_main(argc, argv, suites);
}
