/*
 * agent_test.c - barista-agent: the /proc parsers on kernel-format text,
 * Dragonfly's fields from two snapshots (exact), the push backlog against
 * a fake collector (kept while down, oldest dropped when full, refused
 * batches dropped, a 413 split), the pull port, the settings, and a real
 * barista-agent process pushing this machine's metrics into a monitor:
 * mem agrees with /proc/meminfo read at the same time.
 */
#include "tests/unit/cu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/clock.h"
#include "monitor/agent/conf.h"
#include "monitor/agent/pull.h"
#include "monitor/agent/push.h"
#include "monitor/agent/sample.h"
#include "monitor/agent/sys.h"
#include "monitor/monitor.h"
#include "tests/unit/monitor_http.h"

#define TOKEN "agent-test-token-000000000000001"

#define ASSERT_CONTAINS(hay, needle) do { \
	if (!strstr(hay, needle)) \
		fprintf(stderr, "  missing [%s] in [%s]\n", needle, hay); \
	CU_ASSERT_PTR_NOT_NULL(strstr(hay, needle)); \
} while (0)

static char tmpdir[64];

static int suite_init(void)
{
	char path[128];

	strcpy(tmpdir, "/tmp/agent_test.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* A /sys with two whole disks. */
	snprintf(path, sizeof(path), "%s/block", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/sda", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/nvme0n1", tmpdir);
	return mkdir(path, 0755);
}

static int suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- parsers ---- */

static const char stat_text[] =
	"cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0\n"
	"cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0\n"
	"intr 1462898 0 0\nctxt 1990473\nbtime 1062191376\n";

static const char meminfo_text[] =
	"MemTotal:       16307020 kB\nMemFree:         8217400 kB\nMemAvailable:   12116240 kB\n"
	"Buffers:          365852 kB\nCached:          3450252 kB\nSwapCached:            0 kB\n"
	"SReclaimable:     271876 kB\nSUnreclaim:        95404 kB\n";

static const char diskstats_text[] =
	"   7       0 loop0 100 0 200 10 0 0 0 0 0 10 10 0 0 0 0\n"
	"   8       0 sda 1000 5 8000 100 2000 7 16000 300 0 400 400 0 0 0 0\n"
	"   8       1 sda1 900 5 7000 90 1900 7 15000 280 0 380 380 0 0 0 0\n"
	" 259       0 nvme0n1 10 0 80 1 20 0 160 2 0 3 3 0 0 0 0 0 0\n"
	" 253       0 dm-0 500 0 4000 50 900 0 7200 100 0 150 150 0 0 0 0\n";

static const char netdev_text[] =
	"Inter-|   Receive                                                |  Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
	"    lo: 9999999   99999    0    0    0     0          0         0  9999999   99999    0    0    0     0       0          0\n"
	"  eth0: 1000000    2000    1    2    0     0          0         0   500000    1000    3    4    0     0       0          0\n"
	"  eth1:     100      10    0    0    0     0          0         0      200      20    0    0    0     0       0          0\n";

static void test_parsers(void)
{
	struct agent_snapshot s = { 0 };

	CU_ASSERT_EQUAL(agent_sys_parse_stat(stat_text, &s), 0);
	CU_ASSERT_EQUAL(s.cpu[AGENT_CPU_USER], 10132153);
	CU_ASSERT_EQUAL(s.cpu[AGENT_CPU_IDLE], 46828483);
	CU_ASSERT_EQUAL(s.cpu[AGENT_CPU_SOFTIRQ], 25195);
	CU_ASSERT_EQUAL(agent_sys_parse_meminfo(meminfo_text, &s), 0);
	CU_ASSERT_EQUAL(s.mem_total, 16307020ull * 1024);
	CU_ASSERT_EQUAL(s.mem_cached, (3450252ull + 271876) * 1024);
	CU_ASSERT_EQUAL(s.mem_available, 12116240ull * 1024);
	CU_ASSERT_EQUAL(agent_sys_parse_diskstats(diskstats_text, tmpdir, &s), 0);
	CU_ASSERT_EQUAL(s.rd_ios, 1010);		/* sda + nvme0n1 only */
	CU_ASSERT_EQUAL(s.rd_sectors, 8080);
	CU_ASSERT_EQUAL(s.wr_ios, 2020);
	CU_ASSERT_EQUAL(s.wr_sectors, 16160);
	CU_ASSERT_EQUAL(agent_sys_parse_netdev(netdev_text, &s), 0);
	CU_ASSERT_EQUAL(s.rx_bytes, 1000100);	/* lo left out */
	CU_ASSERT_EQUAL(s.tx_packets, 1020);
	CU_ASSERT_EQUAL(s.rx_drop, 2);
	CU_ASSERT_EQUAL(s.tx_errs, 3);
	CU_ASSERT_EQUAL(s.have, AGENT_HAVE_CPU | AGENT_HAVE_MEM | AGENT_HAVE_DISKIO | AGENT_HAVE_NET);
}

static void test_parsers_refuse_garbage(void)
{
	struct agent_snapshot s = { 0 };

	CU_ASSERT_EQUAL(agent_sys_parse_stat("intr 1 2 3\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(agent_sys_parse_stat("cpu  x y z\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(agent_sys_parse_meminfo("MemFree: 1 kB\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(agent_sys_parse_diskstats("garbage\n", tmpdir, &s), -EINVAL);
	CU_ASSERT_EQUAL(agent_sys_parse_netdev("header only\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(agent_sys_parse_netdev("  eth0: 1 2 3\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(s.have, 0);
}

/* ---- fields ---- */

static void two_snapshots(struct agent_snapshot *a, struct agent_snapshot *b)
{
	memset(a, 0, sizeof(*a));
	a->have = AGENT_HAVE_ALL;
	a->mono_ns = 1000000000;
	a->cpu[AGENT_CPU_USER] = 1000, a->cpu[AGENT_CPU_NICE] = 100, a->cpu[AGENT_CPU_SYSTEM] = 200;
	a->cpu[AGENT_CPU_IDLE] = 5000, a->cpu[AGENT_CPU_IOWAIT] = 50;
	a->rd_ios = 100, a->rd_sectors = 1000, a->wr_ios = 50, a->wr_sectors = 4000;
	a->rx_bytes = 10000, a->tx_bytes = 5000, a->rx_packets = 10, a->tx_packets = 5;
	*b = *a;
	b->mono_ns = 5000000000;		/* 4 s later */
	b->wall_ns = 1700000000000000000;
	/* 400 jiffies: user 100+nice 20, system 40+irq 4+softirq 16, idle 200, iowait 12, steal 8 */
	b->cpu[AGENT_CPU_USER] += 100, b->cpu[AGENT_CPU_NICE] += 20, b->cpu[AGENT_CPU_SYSTEM] += 40;
	b->cpu[AGENT_CPU_IRQ] += 4, b->cpu[AGENT_CPU_SOFTIRQ] += 16, b->cpu[AGENT_CPU_IDLE] += 200;
	b->cpu[AGENT_CPU_IOWAIT] += 12, b->cpu[AGENT_CPU_STEAL] += 8;
	b->mem_total = 1000000, b->mem_free = 400000, b->mem_buffers = 50000, b->mem_cached = 150000;
	b->mem_available = 600000;
	b->disk_total = 1000, b->disk_used = 300, b->disk_avail = 600;
	b->rd_ios += 40, b->rd_sectors += 8192, b->wr_ios += 20, b->wr_sectors += 2048;
	b->rx_bytes += 4000, b->tx_bytes += 2000, b->rx_packets += 8, b->tx_packets += 4;
	b->rx_errs = 4, b->rx_drop = 2;
}

static void test_fields_exact(void)
{
	struct agent_snapshot a, b;
	struct sbuf out = SBUF_INIT;

	two_snapshots(&a, &b);
	CU_ASSERT_EQUAL(agent_sample_format(&a, &b, &out), 0);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&out),
		"cpu cpu_utilization=47,cpu_user=30,cpu_system=15,cpu_idle=50,cpu_iowait=3,cpu_steal=2 1700000000000000000\n"
		"mem mem_utilization=40,mem_total=1000000i,mem_used=400000i,mem_free=400000i,mem_cached=150000i,mem_buffers=50000i 1700000000000000000\n"
		"disk disk_utilization=33.333,disk_total=1000i,disk_used=300i,disk_free=600i 1700000000000000000\n"
		"diskio kb_read=1024,kb_written=256,ops_read=10,ops_write=5 1700000000000000000\n"
		"net bytes_in=1000,bytes_out=500,pkts_in=2,pkts_out=1,err_in=1,err_out=0,drop_in=0.5,drop_out=0 1700000000000000000\n");
	sbuf_reset(&out);
	/* Without a previous snapshot: no rates, only mem and disk. */
	CU_ASSERT_EQUAL(agent_sample_format(NULL, &b, &out), 0);
	CU_ASSERT_EQUAL(strncmp(sbuf_str(&out), "mem ", 4), 0);
	CU_ASSERT_PTR_NULL(strstr(sbuf_str(&out), "cpu"));
	CU_ASSERT_PTR_NULL(strstr(sbuf_str(&out), "net "));
	sbuf_release(&out);
}

static void test_counter_reset_is_zero(void)
{
	struct agent_snapshot a, b;
	struct sbuf out = SBUF_INIT;

	two_snapshots(&a, &b);
	b.rx_bytes = 10;			/* an interface went away */
	b.rd_sectors = 0;
	CU_ASSERT_EQUAL(agent_sample_format(&a, &b, &out), 0);
	ASSERT_CONTAINS(sbuf_str(&out), "net bytes_in=0,");
	ASSERT_CONTAINS(sbuf_str(&out), "diskio kb_read=0,");
	sbuf_release(&out);
}

/* ---- a fake collector ---- */

struct fake_collector {
	struct MHD_Daemon *d;
	char url[64];
	atomic_int status;		/* what /write answers */
	atomic_int requests;
	pthread_mutex_t lock;
	struct sbuf received;		/* bodies answered 204 */
	struct sbuf headers;		/* of the last request */
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	(void)kind;
	sbuf_addf(cls, "%s: %s\n", k, v);
	return MHD_YES;
}

static enum MHD_Result fake_write(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *up,
				  size_t *up_size, void **ctx)
{
	struct fake_collector *fc = cls;
	struct sbuf *body = *ctx;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int status = atomic_load(&fc->status);

	(void)url, (void)method, (void)version;
	if (!body) {
		*ctx = calloc(1, sizeof(struct sbuf));
		return MHD_YES;
	}
	if (*up_size) {
		sbuf_add(body, up, *up_size);
		*up_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&fc->requests, 1);
	pthread_mutex_lock(&fc->lock);
	sbuf_reset(&fc->headers);
	MHD_get_connection_values(con, MHD_HEADER_KIND, add_header, &fc->headers);
	if (status == 204)
		sbuf_add(&fc->received, sbuf_str(body), body->len);
	pthread_mutex_unlock(&fc->lock);
	sbuf_release(body);
	free(body);
	*ctx = NULL;
	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(con, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fake_collector_start(struct fake_collector *fc)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *di;

	memset(fc, 0, sizeof(*fc));
	pthread_mutex_init(&fc->lock, NULL);
	atomic_store(&fc->status, 204);
	fc->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fake_write, fc,
				 MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fc->d);
	di = MHD_get_daemon_info(fc->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(fc->url, sizeof(fc->url), "http://127.0.0.1:%u", di->port);
}

static void fake_collector_stop(struct fake_collector *fc)
{
	MHD_stop_daemon(fc->d);
	sbuf_release(&fc->received);
	sbuf_release(&fc->headers);
	pthread_mutex_destroy(&fc->lock);
}

static struct agent_push *new_push(const char *url, size_t backlog)
{
	struct agent_push_opts o = { url, TOKEN, 5, 8095, backlog, 2000 };
	struct agent_push *p = agent_push_new(&o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static void test_push_headers_and_heartbeat(void)
{
	struct fake_collector fc;
	struct agent_push *p;
	struct agent_push_result r;

	fake_collector_start(&fc);
	p = new_push(fc.url, 0);
	CU_ASSERT_EQUAL(agent_push_send(p, "cpu cpu_user=1 1\n", 17, &r), 0);
	CU_ASSERT_EQUAL(r.sent, 1);
	ASSERT_CONTAINS(sbuf_str(&fc.headers), "Authorization: Token " TOKEN "\n");
	ASSERT_CONTAINS(sbuf_str(&fc.headers), "X-Barista-Agent-Port: 8095\n");
	ASSERT_CONTAINS(sbuf_str(&fc.headers), "X-Barista-Agent-Interval: 5\n");
	CU_ASSERT_EQUAL(agent_push_send(p, NULL, 0, &r), 0);	/* heartbeat */
	CU_ASSERT_EQUAL(r.status, 204);
	CU_ASSERT_EQUAL(atomic_load(&fc.requests), 2);
	agent_push_free(p);
	fake_collector_stop(&fc);
}

static void test_push_backlog(void)
{
	struct fake_collector fc;
	struct agent_push *p;
	struct agent_push_result r;
	char line[64];
	int dropped = 0;

	fake_collector_start(&fc);
	p = new_push(fc.url, 200);
	atomic_store(&fc.status, 503);		/* the collector is overloaded */
	for (int i = 0; i < 10; i++) {
		int n = snprintf(line, sizeof(line), "m v=%d %d\n", i, 1000 + i);	/* 15..16 bytes */

		CU_ASSERT_EQUAL(agent_push_send(p, line, (size_t)n, &r), -EAGAIN);
		dropped += (int)r.dropped;
	}
	CU_ASSERT_EQUAL(dropped, 0);
	CU_ASSERT_EQUAL(r.queued, 10);
	for (int i = 10; i < 20; i++) {
		int n = snprintf(line, sizeof(line), "m v=%d %d\n", i, 1000 + i);

		agent_push_send(p, line, (size_t)n, &r);
		dropped += (int)r.dropped;
	}
	CU_ASSERT(r.queued_bytes <= 200);
	CU_ASSERT_EQUAL(dropped, 20 - (int)r.queued);	/* oldest gone, said so */
	atomic_store(&fc.status, 204);		/* back */
	CU_ASSERT_EQUAL(agent_push_send(p, "m v=99 2000\n", 12, &r), 0);
	CU_ASSERT_EQUAL(r.queued, 0);
	ASSERT_CONTAINS(sbuf_str(&fc.received), "m v=19 1019\nm v=99 2000\n");	/* in order */
	CU_ASSERT_PTR_NULL(strstr(sbuf_str(&fc.received), "m v=0 "));		/* dropped */
	agent_push_free(p);
	fake_collector_stop(&fc);
}

static void test_push_refused_and_down(void)
{
	struct fake_collector fc;
	struct agent_push *p;
	struct agent_push_result r;

	fake_collector_start(&fc);
	p = new_push(fc.url, 0);
	atomic_store(&fc.status, 401);
	CU_ASSERT_EQUAL(agent_push_send(p, "m v=1 1\n", 8, &r), 0);
	CU_ASSERT_EQUAL(r.refused, 1);
	CU_ASSERT_EQUAL(r.queued, 0);
	atomic_store(&fc.status, 204);
	agent_push_free(p);
	fake_collector_stop(&fc);
	/* Nobody listens any more: connection refused, kept. */
	p = new_push(fc.url, 0);
	CU_ASSERT_EQUAL(agent_push_send(p, "m v=2 2\n", 8, &r), -EAGAIN);
	CU_ASSERT_EQUAL(r.queued, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(strlen(r.error) > 0);
	agent_push_free(p);
}

/* ---- the pull port ---- */

static int canned(void *ctx, struct sbuf *out)
{
	(void)ctx;
	return sbuf_adds(out, "cpu cpu_user=7 1\n");
}

static void test_pull_port(void)
{
	struct agent_pull *pull = NULL;
	struct http_reply r;
	char url[128];
	const char *good[] = { "Authorization: Token " TOKEN, NULL };
	const char *bad[] = { "Authorization: Token " TOKEN "x", NULL };

	CU_ASSERT_EQUAL_FATAL(agent_pull_start("127.0.0.1:0", TOKEN, canned, NULL, &pull), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/pull", agent_pull_port(pull));
	CU_ASSERT_EQUAL(http_do("GET", url, NULL, 0, good, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "cpu cpu_user=7 1\n");
	http_release(&r);
	CU_ASSERT_EQUAL(http_do("GET", url, NULL, 0, bad, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 401);
	http_release(&r);
	CU_ASSERT_EQUAL(http_do("GET", url, NULL, 0, NULL, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 401);
	http_release(&r);
	CU_ASSERT_EQUAL(http_do("POST", url, "x", 1, good, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 405);
	http_release(&r);
	agent_pull_stop(pull);
	CU_ASSERT_EQUAL(agent_pull_start("nonsense", TOKEN, canned, NULL, &pull), -EINVAL);
}

/* ---- settings ---- */

static void test_conf(void)
{
	struct agent_conf c;
	char path[128], err[256];
	FILE *f;
	char *argv[] = { "barista-agent", "--config", path, "--interval", "2", NULL };
	char *bad_argv[] = { "barista-agent", "--interval", "0", NULL };

	snprintf(path, sizeof(path), "%s/agent.conf", tmpdir);
	f = fopen(path, "w");
	fputs("# written by the user-data block\ncollector=http://10.0.0.5:8428\n"
	      "token=" TOKEN "\ninterval=5\nvm=g/web-1\r\nbacklog=1M\n", f);
	fclose(f);
	agent_conf_defaults(&c);
	CU_ASSERT_EQUAL(agent_conf_parse_args(&c, 5, argv, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.collector, "http://10.0.0.5:8428");
	CU_ASSERT_STRING_EQUAL(c.token, TOKEN);
	CU_ASSERT_STRING_EQUAL(c.vm, "g/web-1");
	CU_ASSERT_EQUAL(c.interval_s, 2);	/* the command line wins */
	CU_ASSERT_EQUAL(c.backlog_bytes, 1u << 20);
	CU_ASSERT_STRING_EQUAL(c.listen, "0.0.0.0:8095");
	CU_ASSERT_EQUAL(agent_conf_check(&c, err, sizeof(err)), 0);

	agent_conf_defaults(&c);
	CU_ASSERT_EQUAL(agent_conf_parse_args(&c, 3, bad_argv, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "interval: want seconds from 1 to 86400, got '0'");
	f = fopen(path, "w");
	fputs("collector=http://x\ncolour=blue\n", f);
	fclose(f);
	agent_conf_defaults(&c);
	CU_ASSERT_EQUAL(agent_conf_load_file(&c, path, err, sizeof(err)), -EINVAL);
	ASSERT_CONTAINS(err, "agent.conf:2: unknown setting 'colour'");
	agent_conf_defaults(&c);
	CU_ASSERT_EQUAL(agent_conf_check(&c, err, sizeof(err)), -EINVAL);
	ASSERT_CONTAINS(err, "collector: want an http:// or https:// URL");
	CU_ASSERT_EQUAL(agent_conf_set(&c, "backlog", "12", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(agent_conf_load_file(&c, "/nonexistent/agent.conf", err, sizeof(err)), -ENOENT);
}

/* ---- a real agent process ---- */

static const char *agent_path(void)
{
	static char path[256];
	const char *out = getenv("BFS_OUT");

	snprintf(path, sizeof(path), "%s/monitor/barista-agent", out ? out : ".");
	return path;
}

static int64_t meminfo_bytes(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			kb = atoll(line + strlen(key) + 1);
	}
	if (f)
		fclose(f);
	return kb * 1024;
}

static int64_t field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? atoll(p + strlen(key)) : -1;
}

static void test_real_agent_into_monitor(void)
{
	struct monitor_opts o = { .interval_s = 1, .jit_age_ms = 60000, .threads = 1 };
	struct monitor *m = NULL;
	struct sbuf text = SBUF_INIT;
	pid_t pid;
	int64_t total, tolerance;

	if (access(agent_path(), X_OK) != 0) {
		fprintf(stderr, "  %s not built\n", agent_path());
		CU_FAIL("barista-agent not built");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(monitor_new(&o, &m, NULL), 0);
	CU_ASSERT_EQUAL(monitor_vm_add(m, "local/this-machine", TOKEN, NULL), 0);
	pid = fork();
	if (pid == 0) {
		execl(agent_path(), "barista-agent", "--collector", monitor_url(m), "--token", TOKEN,
		      "--interval", "1", "--listen", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && field(sbuf_str(&text), "\ncpu_idle ") < 0; i++) {
		clock_sleep_ms(100);
		sbuf_reset(&text);
		monitor_read_vm(m, "local/this-machine", "cpu", &text);
	}
	sbuf_reset(&text);
	CU_ASSERT_EQUAL(monitor_read_vm(m, "local/this-machine", "mem", &text), 0);
	total = meminfo_bytes("MemTotal");
	tolerance = total / 50;			/* 2 % of RAM: what one interval can move */
	CU_ASSERT_EQUAL(field(sbuf_str(&text), "mem_total "), total);
	CU_ASSERT(llabs(field(sbuf_str(&text), "mem_free ") - meminfo_bytes("MemFree")) <= tolerance);
	CU_ASSERT(llabs(field(sbuf_str(&text), "mem_buffers ") - meminfo_bytes("Buffers")) <= tolerance);
	CU_ASSERT(llabs(field(sbuf_str(&text), "mem_cached ") -
			(meminfo_bytes("Cached") + meminfo_bytes("SReclaimable"))) <= tolerance);
	ASSERT_CONTAINS(sbuf_str(&text), "\nperiod_s ");
	sbuf_reset(&text);
	CU_ASSERT_EQUAL(monitor_read_agent(m, "local/this-machine", &text), 0);
	ASSERT_CONTAINS(sbuf_str(&text), "status healthy\n");
	ASSERT_CONTAINS(sbuf_str(&text), "interval_s 1\npull 127.0.0.1:");
	sbuf_release(&text);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	monitor_free(m);
}

static const struct cu_test sys_tests[] = {
	{ "parsers", test_parsers },
	{ "parsers_refuse_garbage", test_parsers_refuse_garbage },
	{ "fields_exact", test_fields_exact },
	{ "counter_reset_is_zero", test_counter_reset_is_zero },
	{ "conf", test_conf },
	{ NULL, NULL },
};

static const struct cu_test net_tests[] = {
	{ "push_headers_and_heartbeat", test_push_headers_and_heartbeat },
	{ "push_backlog", test_push_backlog },
	{ "push_refused_and_down", test_push_refused_and_down },
	{ "pull_port", test_pull_port },
	{ "real_agent_into_monitor", test_real_agent_into_monitor },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct cu_suite suites[] = {
		{ "agent_sys", suite_init, suite_clean, sys_tests },
		{ "agent_net", suite_init, suite_clean, net_tests },
		{ NULL, NULL, NULL, NULL },
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cu_main(argc, argv, suites);
}
