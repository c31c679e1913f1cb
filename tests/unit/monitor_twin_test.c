/*
 * monitor_twin_test.c - cloudtwin's simulated agents pushing into a real
 * collector: VMs created with the user-data monitor_userdata() writes
 * report every interval with plausible, varying values whose totals match
 * their spec; a group aggregate over them; a VM that stops stops reporting
 * (its agent turns unhealthy) while the others go on; a VM without the
 * line stays silent.  Also the agent line parser and the load model.
 */
#include "tests/unit/cu.h"

#include <errno.h>
#include <unistd.h>

#include "lib/clock.h"
#include "monitor/monitor.h"
#include "tools/cloudtwin/twin_agents.h"
#include "tools/cloudtwin/twin_config.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_server.h"

#define ASSERT_CONTAINS(hay, needle) do { \
	if (!strstr(hay, needle)) \
		fprintf(stderr, "  missing [%s] in [%s]\n", needle, hay); \
	CU_ASSERT_PTR_NOT_NULL(strstr(hay, needle)); \
} while (0)

static char tmpdir[64];

static int suite_init(void)
{
	strcpy(tmpdir, "/tmp/monitor_twin_test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_parse_line(void)
{
	static const char ud[] = "#!/bin/sh\n# >>> baristafs-agent\n"
		"# baristafs-agent collector=http://10.0.0.5:8428 token=abc-123 interval=7 vm=g/web-1\n"
		"echo hi\n";
	struct userdata_agent c;

	CU_ASSERT_EQUAL(userdata_parse(ud, strlen(ud), &c), 0);
	CU_ASSERT_STRING_EQUAL(c.collector, "http://10.0.0.5:8428");
	CU_ASSERT_STRING_EQUAL(c.token, "abc-123");
	CU_ASSERT_STRING_EQUAL(c.vm, "g/web-1");
	CU_ASSERT_EQUAL(c.interval_s, 7);
	CU_ASSERT_EQUAL(userdata_parse("#!/bin/sh\necho\n", 15, &c), -ENOENT);
	CU_ASSERT_EQUAL(userdata_parse(NULL, 0, &c), -ENOENT);
	CU_ASSERT_EQUAL(userdata_parse("# baristafs-agent token=x\n", 26, &c), -EINVAL);
	CU_ASSERT_EQUAL(userdata_parse("# baristafs-agent collector=http://x token=y interval=0\n",
					  56, &c), -EINVAL);
	/* Not at the start of a line: not the agent line. */
	CU_ASSERT_EQUAL(userdata_parse("echo # baristafs-agent collector=http://x token=y\n", 50,
					  &c), -ENOENT);
}

static double value_of(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? atof(p + strlen(key)) : -1;
}

static void test_load_model(void)
{
	struct twin_spec spec = { .mem_mib = 2048, .disk_gib = 40 };
	struct sbuf a = SBUF_INIT, b = SBUF_INIT;
	double ua, ub;

	CU_ASSERT_EQUAL(twin_agents_sample(1, 42, &spec, 1700000000000, &a), 0);
	CU_ASSERT_EQUAL(twin_agents_sample(1, 42, &spec, 1700000300000, &b), 0);
	ua = value_of(sbuf_str(&a), "cpu_utilization=");
	ub = value_of(sbuf_str(&b), "cpu_utilization=");
	CU_ASSERT(ua > 0 && ua < 100);
	CU_ASSERT(ub > 0 && ub < 100);
	CU_ASSERT(ua != ub);			/* five minutes later the load moved */
	ASSERT_CONTAINS(sbuf_str(&a), "mem_total=2147483648i,");
	ASSERT_CONTAINS(sbuf_str(&a), "disk_total=42949672960i,");
	ASSERT_CONTAINS(sbuf_str(&a), " 1700000000000000000\nmem ");
	CU_ASSERT_EQUAL(value_of(sbuf_str(&a), "cpu_idle=") + value_of(sbuf_str(&a), "cpu_iowait="),
			100 - ua);
	sbuf_release(&a);
	sbuf_release(&b);
}

/* ---- end to end ---- */

struct world {
	struct twin_server *srv;
	struct twin_agents *agents;
	struct monitor *mon;
	struct twin_cloud *cloud;
	json_t *conf;
};

static void world_start(struct world *w)
{
	struct twin_server_opts so = { .listen = "127.0.0.1:0", .tls_dir = tmpdir };
	struct twin_agents_opts ao = { .tick_ms = 100 };
	struct monitor_opts mo = { .interval_s = 1, .jit_age_ms = 60000, .threads = 1 };
	struct sbuf err = SBUF_INIT;

	memset(w, 0, sizeof(*w));
	w->conf = twin_config_default();
	so.config = w->conf;
	w->srv = twin_server_new(&so, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->srv);
	CU_ASSERT_EQUAL_FATAL(twin_agents_new(w->srv, &ao, &w->agents, &err), 0);
	CU_ASSERT_EQUAL_FATAL(twin_server_start(w->srv, &err), 0);
	CU_ASSERT_EQUAL_FATAL(monitor_new(&mo, &w->mon, NULL), 0);
	w->cloud = twin_server_cloud(w->srv, "aws");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->cloud);
	sbuf_release(&err);
}

static void world_stop(struct world *w)
{
	twin_server_stop(w->srv);
	twin_agents_free(w->agents);
	twin_server_free(w->srv);
	monitor_free(w->mon);
	json_decref(w->conf);
}

/* A running twin VM (spec 0 of the cloud) with user_data; returns its seq. */
static uint64_t make_vm(struct world *w, const char *name, const char *user_data)
{
	struct twin_vm *vm = twin_cloud_vm_new();
	struct twin_cloud *c = w->cloud;
	uint64_t seq = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	snprintf(vm->zone, sizeof(vm->zone), "%s", c->regions[0].zones[0]);
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	snprintf(vm->image, sizeof(vm->image), "%s", c->images[0].id);
	vm->spec = &c->specs[0];
	vm->preloaded = true;		/* running at once */
	CU_ASSERT_EQUAL(twin_cloud_vm_set_user_data(vm, user_data, strlen(user_data)), 0);
	twin_cloud_lock(c);
	CU_ASSERT_EQUAL(c->dialect->adopt(c, vm), 0);
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, vm, clock_mono_ms()), 0);
	seq = vm->seq;
	twin_cloud_unlock(c);
	return seq;
}

static void register_vm(struct world *w, const char *id, struct sbuf *user_data)
{
	char token[MONITOR_TOKEN_LEN + 1];

	CU_ASSERT_EQUAL(monitor_token_new(token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(monitor_vm_add(w->mon, id, token, NULL), 0);
	CU_ASSERT_EQUAL(monitor_userdata(w->mon, id, token, "#!/bin/sh\necho booted\n", user_data), 0);
}

static char *read_text(struct world *w, const char *id, const char *m)
{
	struct sbuf sb = SBUF_INIT;

	monitor_read_vm(w->mon, id, m, &sb);
	return sbuf_detach(&sb, NULL);
}

/* Wait until every VM's cpu file has a sample (bounded). */
static bool wait_reporting(struct world *w, const char *const *ids, size_t n)
{
	for (int tries = 0; tries < 100; tries++) {
		size_t ok = 0;

		for (size_t i = 0; i < n; i++) {
			char *t = read_text(w, ids[i], "cpu");

			ok += strstr(t, "cpu_utilization ") != NULL;
			free(t);
		}
		if (ok == n)
			return true;
		clock_sleep_ms(100);
	}
	return false;
}

static void test_twin_vms_report(void)
{
	static const char *const ids[] = { "tg/web-1", "tg/web-2", "tg/web-3" };
	struct world w;
	struct sbuf ud = SBUF_INIT, txt = SBUF_INIT;
	struct twin_agents_stats st;
	uint64_t first_seq = 0;
	char *t, *t2, want[64];

	world_start(&w);
	for (size_t i = 0; i < 3; i++) {
		sbuf_reset(&ud);
		register_vm(&w, ids[i], &ud);
		uint64_t seq = make_vm(&w, ids[i] + 3, sbuf_str(&ud));

		if (!first_seq)
			first_seq = seq;
	}
	make_vm(&w, "silent", "#!/bin/sh\necho no agent here\n");
	CU_ASSERT_FATAL(wait_reporting(&w, ids, 3));
	t = read_text(&w, "tg/web-1", "mem");
	snprintf(want, sizeof(want), "mem_total %lld\n", (long long)w.cloud->specs[0].mem_mib << 20);
	ASSERT_CONTAINS(t, want);
	free(t);
	t = read_text(&w, "tg/web-2", "cpu");
	CU_ASSERT(value_of(t, "cpu_utilization ") > 0 && value_of(t, "cpu_utilization ") < 100);
	ASSERT_CONTAINS(t, "\nperiod_s ");
	CU_ASSERT_EQUAL(monitor_read_group(w.mon, (const char *const *)ids, 3, "cpu", &txt), 0);
	ASSERT_CONTAINS(sbuf_str(&txt), "vms_reporting 3\nvms_total 3\n");
	CU_ASSERT(value_of(sbuf_str(&txt), "cpu_utilization_min ") <=
		  value_of(sbuf_str(&txt), "cpu_utilization_avg "));
	CU_ASSERT(value_of(sbuf_str(&txt), "cpu_utilization_avg ") <=
		  value_of(sbuf_str(&txt), "cpu_utilization_max "));
	/* It keeps reporting: the sample moves on. */
	clock_sleep_ms(2100);
	t2 = read_text(&w, "tg/web-2", "cpu");
	CU_ASSERT_STRING_NOT_EQUAL(strstr(t, "observed_at"), strstr(t2, "observed_at"));
	free(t);
	free(t2);

	/* Stop web-1: its agent stops, the others go on. */
	twin_cloud_lock(w.cloud);
	for (size_t i = 0; i < twin_cloud_nvms(w.cloud); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(w.cloud, i, clock_mono_ms());

		if (vm->seq == first_seq)
			CU_ASSERT_EQUAL(twin_cloud_act(w.cloud, vm, TWIN_ACT_STOP, clock_mono_ms()), 0);
	}
	twin_cloud_unlock(w.cloud);
	clock_sleep_ms(4000);		/* 3.5 intervals of 1 s */
	sbuf_reset(&txt);
	monitor_read_agent(w.mon, "tg/web-1", &txt);
	ASSERT_CONTAINS(sbuf_str(&txt), "status unhealthy\n");
	sbuf_reset(&txt);
	monitor_read_agent(w.mon, "tg/web-3", &txt);
	ASSERT_CONTAINS(sbuf_str(&txt), "status healthy\n");
	sbuf_reset(&txt);
	CU_ASSERT_EQUAL(monitor_read_group(w.mon, (const char *const *)ids, 3, "cpu", &txt), 0);
	ASSERT_CONTAINS(sbuf_str(&txt), "vms_reporting 2\nvms_total 3\n");
	twin_agents_get_stats(w.agents, &st);
	CU_ASSERT_EQUAL(st.agents, 2);
	CU_ASSERT(st.pushes_ok >= 3 * 3);
	CU_ASSERT_EQUAL(st.pushes_failed, 0);
	sbuf_release(&ud);
	sbuf_release(&txt);
	world_stop(&w);
}

static const struct cu_test twin_tests[] = {
	{ "parse_line", test_parse_line },
	{ "load_model", test_load_model },
	{ "twin_vms_report", test_twin_vms_report },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct cu_suite suites[] = {
		{ "twin_agents", suite_init, suite_clean, twin_tests },
		{ NULL, NULL, NULL, NULL },
	};

	return cu_main(argc, argv, suites);
}
