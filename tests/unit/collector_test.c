/*
 * collector_test.c - the collector over real HTTP: a monitor listening on
 * 127.0.0.1 (a free port) and libcurl as the client.  Authentication
 * (Basic password, Token, Bearer, ?p=), 401 storing nothing, 400 naming
 * bad lines while storing good ones, precision, size ceilings (declared,
 * chunked, after gzip), the global in-flight budget (503), /metrics in
 * Prometheus format, the influxd side endpoints, and a flood of
 * concurrent writers losing nothing that was accepted.
 */
#include "tests/unit/cu.h"

#include <dirent.h>
#include <pthread.h>
#include <zlib.h>

#include "monitor/monitor.h"
#include "tests/unit/monitor_http.h"

#define TOKEN1 "t0k3n-0000000000000000000000001"
#define TOKEN2 "t0k3n-0000000000000000000000002"

static struct monitor *mon;
static char base[128];

static int suite_init(void)
{
	struct monitor_opts o = { .listen = "127.0.0.1:0", .max_body = 4096,
				  .max_inflight = 1 << 20, .interval_s = 5, .threads = 2 };

	if (monitor_new(&o, &mon, NULL) != 0)
		return -1;
	snprintf(base, sizeof(base), "%s", monitor_url(mon));
	if (monitor_vm_add(mon, "g/v1", TOKEN1, NULL) || monitor_vm_add(mon, "g/v2", TOKEN2, NULL))
		return -1;
	return 0;
}

static int suite_clean(void)
{
	monitor_free(mon);
	return 0;
}

static long post(const char *path, const char *body, const char *const *headers,
		 struct http_reply *r)
{
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	CU_ASSERT_EQUAL(http_do("POST", url, body, strlen(body), headers, 0, r), CURLE_OK);
	return r->status;
}

static long get(const char *path, struct http_reply *r)
{
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	CU_ASSERT_EQUAL(http_do("GET", url, NULL, 0, NULL, 0, r), CURLE_OK);
	return r->status;
}

static char *read_vm(const char *vm, const char *m)
{
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(monitor_read_vm(mon, vm, m, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

#define ASSERT_CONTAINS(hay, needle) do { \
	if (!strstr(hay, needle)) \
		fprintf(stderr, "  missing [%s] in [%s]\n", needle, hay); \
	CU_ASSERT_PTR_NOT_NULL(strstr(hay, needle)); \
} while (0)

static void test_telegraf_basic_auth(void)
{
	static const char body[] =
		"cpu,cpu=cpu-total,host=web01 usage_user=1.5,usage_idle=98.5 1700000000000000000\n"
		"system,host=web01 load1=0.25,n_cpus=2i,uptime_format=\"1 day,  3:12\" 1700000000000000000\n";
	struct http_reply r;
	char url[256], *text;

	snprintf(url, sizeof(url), "http://telegraf:%s@%s/write?db=telegraf", TOKEN1,
		 monitor_address(mon));
	CU_ASSERT_EQUAL(http_do("POST", url, body, strlen(body), NULL, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 204);
	CU_ASSERT_EQUAL(r.body.len, 0);
	http_release(&r);
	text = read_vm("g/v1", "system");
	ASSERT_CONTAINS(text, "load1 0.25\nn_cpus 2\nuptime_format 1 day,  3:12\n");
	ASSERT_CONTAINS(text, "observed_at 2023-11-14T22:13:20Z\n");
	free(text);
}

static void test_token_forms(void)
{
	const char *token_hdr[] = { "Authorization: Token " TOKEN2, NULL };
	const char *bearer_hdr[] = { "Authorization: Bearer " TOKEN2, NULL };
	struct http_reply r;
	char *text;

	CU_ASSERT_EQUAL(post("/write", "cpu cpu_utilization=11 1", token_hdr, &r), 204);
	http_release(&r);
	CU_ASSERT_EQUAL(post("/write", "cpu cpu_utilization=22 2", bearer_hdr, &r), 204);
	http_release(&r);
	CU_ASSERT_EQUAL(post("/write?u=x&p=" TOKEN2, "cpu cpu_utilization=33 3", NULL, &r), 204);
	http_release(&r);
	text = read_vm("g/v2", "cpu");
	ASSERT_CONTAINS(text, "cpu_utilization 33\n");
	free(text);
}

static void test_wrong_token_stores_nothing(void)
{
	const char *bad[] = { "Authorization: Token not-a-token-of-anyone-here", NULL };
	const char *basic_bad[] = { "Authorization: Basic dXNlcjp3cm9uZy10b2tlbi0xMjM0NTY3OA==", NULL };
	struct http_reply r;
	char stats_before[512], *text;
	struct sbuf st = SBUF_INIT;

	monitor_read_stats(mon, &st);
	snprintf(stats_before, sizeof(stats_before), "%s", strstr(sbuf_str(&st), "samples_total"));
	sbuf_reset(&st);
	CU_ASSERT_EQUAL(post("/write", "mem mem_used=1 1", bad, &r), 401);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "{\"error\":\"authorization failed\"}");
	http_release(&r);
	CU_ASSERT_EQUAL(post("/write", "mem mem_used=1 1", basic_bad, &r), 401);
	http_release(&r);
	CU_ASSERT_EQUAL(post("/write", "mem mem_used=1 1", NULL, &r), 401);
	http_release(&r);
	monitor_read_stats(mon, &st);
	CU_ASSERT_EQUAL(strncmp(strstr(sbuf_str(&st), "samples_total"), stats_before,
				strchr(stats_before, '\n') - stats_before), 0);
	ASSERT_CONTAINS(sbuf_str(&st), "rejected_auth_total 3\n");
	sbuf_release(&st);
	text = read_vm("g/v1", "mem");
	CU_ASSERT_STRING_EQUAL(text, "observed_at none\nperiod_s 5\nage_s none\n");
	free(text);
}

static void test_bad_lines_mixed(void)
{
	const char *h[] = { "Authorization: Token " TOKEN1, NULL };
	struct http_reply r;
	char *text;

	CU_ASSERT_EQUAL(post("/write", "disk disk_used=10 100\ndisk disk_free= 200\n"
			     "disk disk_total=30 300\ndisk,x=1,x=2 disk_free=1 400\n", h, &r), 400);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body),
		"{\"error\":\"partial write: unable to parse 'disk disk_free= 200': missing field value\\n"
		"unable to parse 'disk,x=1,x=2 disk_free=1 400': duplicate tags dropped=2\"}");
	http_release(&r);
	text = read_vm("g/v1", "disk");
	ASSERT_CONTAINS(text, "disk_total 30\ndisk_used 10\n");
	free(text);
	/* Every line bad: influxd's answer without "partial write". */
	CU_ASSERT_EQUAL(post("/write", "nope", h, &r), 400);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "{\"error\":\"unable to parse 'nope': missing fields\"}");
	http_release(&r);
	/* A type conflict is refused by the store, the rest is kept. */
	CU_ASSERT_EQUAL(post("/write", "disk disk_used=\"x\" 500\ndisk disk_used=11 600", h, &r), 400);
	ASSERT_CONTAINS(sbuf_str(&r.body), "field type conflict");
	http_release(&r);
	text = read_vm("g/v1", "disk");
	ASSERT_CONTAINS(text, "disk_used 11\n");
	free(text);
}

static void test_precision(void)
{
	const char *h[] = { "Authorization: Token " TOKEN2, NULL };
	struct http_reply r;
	char *text;

	CU_ASSERT_EQUAL(post("/write?precision=s", "diskio kb_read=5 1700000000", h, &r), 204);
	http_release(&r);
	text = read_vm("g/v2", "diskio");
	ASSERT_CONTAINS(text, "kb_read 5\nobserved_at 2023-11-14T22:13:20Z\n");
	free(text);
	CU_ASSERT_EQUAL(post("/write?precision=d", "diskio kb_read=5 1", h, &r), 400);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body),
			       "{\"error\":\"invalid precision \\\"d\\\" (use n, u, ms, s, m or h)\"}");
	http_release(&r);
}

static void big_body(struct sbuf *sb, size_t at_least)
{
	while (sb->len < at_least)
		sbuf_addf(sb, "net bytes_in=%zu %zu\n", sb->len, sb->len + 1);
}

static void test_too_large(void)
{
	const char *h[] = { "Authorization: Token " TOKEN2, NULL };
	struct sbuf body = SBUF_INIT;
	struct http_reply r;
	char url[256], *text;

	big_body(&body, 5000);
	snprintf(url, sizeof(url), "%s/write", base);
	CU_ASSERT_EQUAL(http_do("POST", url, body.buf, body.len, h, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 413);
	http_release(&r);
	CU_ASSERT_EQUAL(http_do("POST", url, body.buf, body.len, h, 1, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 413);
	http_release(&r);
	text = read_vm("g/v2", "net");
	CU_ASSERT_STRING_EQUAL(text, "observed_at none\nperiod_s 5\nage_s none\n");
	free(text);
	sbuf_release(&body);
}

static int gzip_body(const char *in, size_t n, struct sbuf *out)
{
	z_stream zs = { 0 };
	int rc;

	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	sbuf_grow(out, deflateBound(&zs, n));
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = (Bytef *)out->buf;
	zs.avail_out = (uInt)out->cap;
	rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

static void test_gzip(void)
{
	const char *h[] = { "Authorization: Token " TOKEN2, "Content-Encoding: gzip", NULL };
	static const char line[] = "net bytes_in=1234.5,bytes_out=99 1700000001000000000\n";
	struct sbuf gz = SBUF_INIT, bomb = SBUF_INIT, plain = SBUF_INIT;
	struct http_reply r;
	char url[256], *text;

	snprintf(url, sizeof(url), "%s/write", base);
	CU_ASSERT_EQUAL_FATAL(gzip_body(line, strlen(line), &gz), 0);
	CU_ASSERT_EQUAL(http_do("POST", url, gz.buf, gz.len, h, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 204);
	http_release(&r);
	text = read_vm("g/v2", "net");
	ASSERT_CONTAINS(text, "bytes_in 1234.5\nbytes_out 99\n");
	free(text);
	/* Small on the wire, too large unpacked. */
	while (plain.len < 100000)
		sbuf_adds(&plain, line);
	CU_ASSERT_EQUAL_FATAL(gzip_body(plain.buf, plain.len, &bomb), 0);
	CU_ASSERT(bomb.len < 4096);
	CU_ASSERT_EQUAL(http_do("POST", url, bomb.buf, bomb.len, h, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 413);
	http_release(&r);
	CU_ASSERT_EQUAL(http_do("POST", url, "not gzip at all", 15, h, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "{\"error\":\"invalid gzip body\"}");
	http_release(&r);
	sbuf_release(&gz);
	sbuf_release(&bomb);
	sbuf_release(&plain);
}

static void test_endpoints(void)
{
	struct http_reply r;
	char url[256];

	CU_ASSERT_EQUAL(get("/ping", &r), 204);
	ASSERT_CONTAINS(sbuf_str(&r.headers), "X-Influxdb-Version:");
	http_release(&r);
	CU_ASSERT_EQUAL(get("/nowhere", &r), 404);
	http_release(&r);
	CU_ASSERT_EQUAL(get("/write", &r), 405);
	http_release(&r);
	CU_ASSERT_EQUAL(post("/query", "q=CREATE+DATABASE+%22telegraf%22", NULL, &r), 200);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "{\"results\":[{\"statement_id\":0}]}");
	http_release(&r);
	CU_ASSERT_EQUAL(get("/agent/barista-agent", &r), 404);	/* none configured */
	http_release(&r);
	snprintf(url, sizeof(url), "%s/metrics", base);
	CU_ASSERT_EQUAL(http_do("DELETE", url, NULL, 0, NULL, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 405);
	http_release(&r);
}

/* Every sample line is name{labels} value; one # TYPE before each name. */
static void check_exposition(const char *text)
{
	const char *line = text, *nl;
	char last_type[128] = "";

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		if (strncmp(line, "# TYPE ", 7) == 0) {
			snprintf(last_type, sizeof(last_type), "%.*s", (int)strcspn(line + 7, " "), line + 7);
			continue;
		}
		CU_ASSERT_EQUAL(strncmp(line, last_type, strlen(last_type)), 0);
		CU_ASSERT(strchr(" {", line[strlen(last_type)]) != NULL);
		CU_ASSERT(memchr(line, ' ', (size_t)(nl - line)) != NULL);
	}
}

static void test_metrics_exposition(void)
{
	const char *h[] = { "Authorization: Token " TOKEN1, NULL };
	struct http_reply r;
	char line[256];

	snprintf(line, sizeof(line), "cpu cpu_utilization=12.5,cpu_idle=87.5\n"
		 "net,iface=eth0,vm=spoof bytes_in=7\nweird\\ name,a\\=b=x\\\"y field-1=3");
	CU_ASSERT_EQUAL(post("/write", line, h, &r), 204);
	http_release(&r);
	CU_ASSERT_EQUAL(get("/metrics", &r), 200);
	ASSERT_CONTAINS(sbuf_str(&r.headers), "text/plain; version=0.0.4");
	ASSERT_CONTAINS(sbuf_str(&r.body), "# TYPE cpu_utilization gauge\ncpu_utilization{vm=\"g/v1\"} 12.5\n");
	ASSERT_CONTAINS(sbuf_str(&r.body), "net_bytes_in{vm=\"g/v1\",iface=\"eth0\",exported_vm=\"spoof\"} 7\n");
	ASSERT_CONTAINS(sbuf_str(&r.body), "weird_name_field_1{vm=\"g/v1\",a_b=\"x\\\\\\\"y\"} 3\n");
	ASSERT_CONTAINS(sbuf_str(&r.body), "baristafs_agent_up{vm=\"g/v1\"} 1\n");
	ASSERT_CONTAINS(sbuf_str(&r.body), "baristafs_collector_rejected_total{reason=\"auth\"}");
	check_exposition(sbuf_str(&r.body));
	http_release(&r);
}

static void test_agent_headers(void)
{
	const char *h[] = { "Authorization: Token " TOKEN2, "X-Barista-Agent-Port: 9999",
			    "X-Barista-Agent-Interval: 7", NULL };
	struct sbuf sb = SBUF_INIT;
	struct http_reply r;

	CU_ASSERT_EQUAL(post("/write", "", h, &r), 204);	/* a heartbeat */
	http_release(&r);
	CU_ASSERT_EQUAL(monitor_read_agent(mon, "g/v2", &sb), 0);
	ASSERT_CONTAINS(sbuf_str(&sb), "status healthy\nlast_seen 20");
	ASSERT_CONTAINS(sbuf_str(&sb), "interval_s 7\npull 127.0.0.1:9999\n");
	sbuf_release(&sb);
}

static void test_removed_vm_token_dies(void)
{
	const char *h[] = { "Authorization: Token t0k3n-0000000000000000000000003", NULL };
	struct http_reply r;

	CU_ASSERT_EQUAL(monitor_vm_add(mon, "g/v3", "t0k3n-0000000000000000000000003", NULL), 0);
	CU_ASSERT_EQUAL(post("/write", "cpu cpu_user=1", h, &r), 204);
	http_release(&r);
	CU_ASSERT_EQUAL(monitor_vm_remove(mon, "g/v3"), 0);
	CU_ASSERT_EQUAL(post("/write", "cpu cpu_user=1", h, &r), 401);
	http_release(&r);
	CU_ASSERT_EQUAL(monitor_vm_remove(mon, "g/v3"), -ENOENT);
}

/* ---- budgets and floods, each on its own monitor ---- */

static void test_inflight_budget(void)
{
	struct monitor_opts o = { .listen = "127.0.0.1:0", .max_body = 4096, .max_inflight = 64 };
	const char *h[] = { "Authorization: Token " TOKEN1, NULL };
	struct monitor *m = NULL;
	struct sbuf body = SBUF_INIT;
	struct http_reply r;
	char url[256];

	CU_ASSERT_EQUAL_FATAL(monitor_new(&o, &m, NULL), 0);
	monitor_vm_add(m, "g/v1", TOKEN1, NULL);
	big_body(&body, 200);
	snprintf(url, sizeof(url), "%s/write", monitor_url(m));
	CU_ASSERT_EQUAL(http_do("POST", url, body.buf, body.len, h, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 503);
	ASSERT_CONTAINS(sbuf_str(&r.headers), "Retry-After: 1");
	http_release(&r);
	CU_ASSERT_EQUAL(http_do("POST", url, "cpu cpu_user=1", 14, h, 0, &r), CURLE_OK);
	CU_ASSERT_EQUAL(r.status, 204);	/* small bodies still fit */
	http_release(&r);
	sbuf_release(&body);
	monitor_free(m);
}

struct flood_arg {
	const char *url;
	const char *token;
	int requests;
	int ok;
};

static void *flooder(void *p)
{
	struct flood_arg *a = p;
	char auth[128], body[256];
	const char *h[] = { auth, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Token %s", a->token);
	for (int i = 0; i < a->requests; i++) {
		struct http_reply r;
		int n = snprintf(body, sizeof(body), "cpu cpu_utilization=%d,cpu_user=1 %d\n"
				 "mem mem_used=%di %d\n", i, i + 1, i, i + 1);

		if (http_do("POST", a->url, body, (size_t)n, h, 0, &r) == CURLE_OK && r.status == 204)
			a->ok++;
		http_release(&r);
	}
	return NULL;
}

static void test_flood_loses_nothing(void)
{
	struct monitor_opts o = { .listen = "127.0.0.1:0", .threads = 2 };
	struct monitor *m = NULL;
	struct flood_arg args[8];
	pthread_t th[8];
	char url[256], token[8][40], id[16];
	struct sbuf st = SBUF_INIT;
	int ok = 0;

	CU_ASSERT_EQUAL_FATAL(monitor_new(&o, &m, NULL), 0);
	snprintf(url, sizeof(url), "%s/write", monitor_url(m));
	for (int i = 0; i < 8; i++) {
		snprintf(token[i], sizeof(token[i]), "flood-token-%020d", i);
		snprintf(id, sizeof(id), "f/v%d", i);
		CU_ASSERT_EQUAL(monitor_vm_add(m, id, token[i], NULL), 0);
		args[i] = (struct flood_arg){ url, token[i], 150, 0 };
		pthread_create(&th[i], NULL, flooder, &args[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ok += args[i].ok;
	}
	CU_ASSERT_EQUAL(ok, 8 * 150);
	monitor_read_stats(m, &st);
	ASSERT_CONTAINS(sbuf_str(&st), "samples_total 3600\npoints_total 2400\n");
	sbuf_release(&st);
	monitor_free(m);
}

static const struct cu_test http_tests[] = {
	{ "telegraf_basic_auth", test_telegraf_basic_auth },
	{ "token_forms", test_token_forms },
	{ "wrong_token_stores_nothing", test_wrong_token_stores_nothing },
	{ "bad_lines_mixed", test_bad_lines_mixed },
	{ "precision", test_precision },
	{ "too_large", test_too_large },
	{ "gzip", test_gzip },
	{ "endpoints", test_endpoints },
	{ "metrics_exposition", test_metrics_exposition },
	{ "agent_headers", test_agent_headers },
	{ "removed_vm_token_dies", test_removed_vm_token_dies },
	{ NULL, NULL },
};

/* How many of this process's threads run at nice n (field 19 of stat). */
static int threads_at_nice(int n)
{
	char path[300], buf[1024];
	int count = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		FILE *f;
		const char *p;
		int field = 2, nice = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f || !fgets(buf, sizeof(buf), f)) {
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		p = strrchr(buf, ')');	/* the command may hold spaces */
		for (; p && *p && field < 19; p++)
			field += *p == ' ';
		if (p && sscanf(p, "%d", &nice) == 1 && nice == n)
			count++;
	}
	if (d)
		closedir(d);
	return count;
}

/* Collector threads yield to interactive work: they run nicer than the rest. */
static void test_ingest_nice(void)
{
	struct monitor_opts o = { .listen = "127.0.0.1:0", .threads = 2, .ingest_nice = 7 };
	const char *h[] = { "Authorization: Token " TOKEN1, NULL };
	struct monitor *m = NULL;
	struct http_reply r;
	char url[256];

	CU_ASSERT_EQUAL_FATAL(monitor_new(&o, &m, NULL), 0);
	monitor_vm_add(m, "g/v1", TOKEN1, NULL);
	CU_ASSERT_EQUAL(threads_at_nice(7), 0);
	snprintf(url, sizeof(url), "%s/write", monitor_url(m));
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(http_do("POST", url, "cpu cpu_user=1", 14, h, 0, &r), CURLE_OK);
		http_release(&r);
	}
	CU_ASSERT(threads_at_nice(7) >= 1);
	CU_ASSERT(threads_at_nice(0) >= 1);	/* the rest of the process is untouched */
	monitor_free(m);
}

static const struct cu_test load_tests[] = {
	{ "inflight_budget", test_inflight_budget },
	{ "ingest_nice", test_ingest_nice },
	{ "flood_loses_nothing", test_flood_loses_nothing },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct cu_suite suites[] = {
		{ "collector_http", suite_init, suite_clean, http_tests },
		{ "collector_load", NULL, NULL, load_tests },
		{ NULL, NULL, NULL, NULL },
	};

	return cu_main(argc, argv, suites);
}
