/*
 * tsdb_test.c - the series store: rings, latest values, out-of-order and
 * duplicate points, type conflicts and limits, minute rollups in LevelDB
 * (exact avg/min/max/last), late points, restart, retention; and the
 * number format the tree uses.
 */
#include "tests/unit/cu.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "lib/clock.h"
#include "monitor/lineproto.h"
#include "monitor/numfmt.h"
#include "monitor/tsdb.h"

#define MIN_NS (60ll * 1000000000)
/* 2023-11-14T22:13:00Z, a minute boundary. */
#define T0 (1699999980ll * 1000000000)

static char tmpdir[64];
static struct lineproto_parser *parser;

static int suite_init(void)
{
	strcpy(tmpdir, "/tmp/tsdb_test.XXXXXX");
	parser = lineproto_parser_new(NULL);
	return mkdtemp(tmpdir) && parser ? 0 : -1;
}

static int suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	lineproto_parser_free(parser);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write one line (ns timestamps) into src; returns tsdb_source_write's result. */
static int put(struct tsdb_source *src, const char *line, const char **reason)
{
	struct lineproto_point pt;
	const char *r = NULL;

	CU_ASSERT_EQUAL_FATAL(lineproto_parse_line(parser, line, strlen(line), 0, 1, &pt, &r), 1);
	return tsdb_source_write(src, &pt, reason ? reason : &r);
}

static void show(void *ctx, const char *name, size_t len, bool is_string, double v,
		 const char *str, size_t slen)
{
	struct sbuf *sb = ctx;

	sbuf_addf(sb, "%.*s=", (int)len, name);
	if (is_string)
		sbuf_addf(sb, "\"%.*s\"", (int)slen, str);
	else
		numfmt_double(sb, v);
	sbuf_addc(sb, ' ');
}

/* "field=value ... @time/period" of the newest sample of m, or "none". */
static char *latest(struct tsdb_source *src, const char *m)
{
	struct sbuf sb = SBUF_INIT;
	struct tsdb_latest l;

	if (tsdb_source_latest(src, m, show, &sb, &l) != 0)
		return strdup("none");
	sbuf_addf(&sb, "@%lld/%lld", (long long)l.time_ns, (long long)l.period_ns);
	return sbuf_detach(&sb, NULL);
}

#define ASSERT_LATEST(src, m, want) do { \
	char *got_ = latest(src, m); \
	if (strcmp(got_, want) != 0) \
		fprintf(stderr, "  latest %s: got %s want %s\n", m, got_, want); \
	CU_ASSERT_STRING_EQUAL(got_, want); \
	free(got_); \
} while (0)

/* Tests write 2023 timestamps: unless a test is about retention, keep them
 * (the default 7 days would let the background thread expire them mid-test). */
#define KEEP_ALL (50ll * 365 * 86400)

static struct tsdb *open_db(const char *sub, int window_s, int64_t retention_s)
{
	struct tsdb_opts o = { .window_s = window_s,
			       .retention_s = retention_s ? retention_s : KEEP_ALL };
	char dir[128];
	struct tsdb *db = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub);
	o.dir = sub ? dir : NULL;
	CU_ASSERT_EQUAL_FATAL(tsdb_open(&o, &db, NULL), 0);
	return db;
}

static void test_latest_and_period(void)
{
	struct tsdb *db = open_db(NULL, 60, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);

	ASSERT_LATEST(src, "cpu", "none");
	CU_ASSERT_EQUAL(put(src, "cpu cpu_utilization=10,cpu_user=8i 1000000000", NULL), 0);
	ASSERT_LATEST(src, "cpu", "cpu_utilization=10 cpu_user=8 @1000000000/0");
	CU_ASSERT_EQUAL(put(src, "cpu cpu_user=9i,cpu_utilization=12.5 6000000000", NULL), 0);
	ASSERT_LATEST(src, "cpu", "cpu_utilization=12.5 cpu_user=9 @6000000000/5000000000");
	/* A field missing from the newest sample shows its last value. */
	CU_ASSERT_EQUAL(put(src, "cpu cpu_user=7i 11000000000", NULL), 0);
	ASSERT_LATEST(src, "cpu", "cpu_utilization=12.5 cpu_user=7 @11000000000/5000000000");
	CU_ASSERT_EQUAL(tsdb_source_newest(src, "cpu"), 11000000000);
	CU_ASSERT_EQUAL(tsdb_source_newest(src, "mem"), 0);
	tsdb_source_free(src);
	tsdb_close(db);
}

static void test_out_of_order_and_duplicates(void)
{
	struct tsdb *db = open_db(NULL, 60, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);

	put(src, "m a=1 10", NULL);
	put(src, "m a=3 30", NULL);
	put(src, "m a=2 20", NULL);		/* inserted between */
	ASSERT_LATEST(src, "m", "a=3 @30/10");
	put(src, "m b=5 30", NULL);		/* same time: fields union */
	ASSERT_LATEST(src, "m", "a=3 b=5 @30/10");
	put(src, "m a=4 30", NULL);		/* same time: newer value wins */
	ASSERT_LATEST(src, "m", "a=4 b=5 @30/10");
	put(src, "m a=9 25", NULL);
	ASSERT_LATEST(src, "m", "a=4 b=5 @30/5");
	tsdb_source_free(src);
	tsdb_close(db);
}

/* A 20 s window at 5 s holds 5 samples; older points skip the ring. */
static void test_ring_window(void)
{
	struct tsdb *db = open_db(NULL, 20, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);
	char line[64];

	for (int i = 1; i <= 12; i++) {
		snprintf(line, sizeof(line), "m v=%d %d", i, i * 5);
		CU_ASSERT_EQUAL(put(src, line, NULL), 0);
	}
	ASSERT_LATEST(src, "m", "v=12 @60/5");
	CU_ASSERT_EQUAL(put(src, "m v=100 1", NULL), 0);	/* older than the ring: kept out */
	ASSERT_LATEST(src, "m", "v=12 @60/5");
	CU_ASSERT_EQUAL(put(src, "m w=1 42", NULL), 0);	/* inside the window: inserted */
	ASSERT_LATEST(src, "m", "v=12 w=1 @60/5");
	tsdb_source_free(src);
	tsdb_close(db);
}

static void test_strings_and_types(void)
{
	struct tsdb *db = open_db(NULL, 60, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);
	const char *reason = NULL;

	CU_ASSERT_EQUAL(put(src, "sys up=\"1 day\",n=2i,ok=true 10", NULL), 0);
	ASSERT_LATEST(src, "sys", "up=\"1 day\" n=2 ok=1 @10/0");
	CU_ASSERT_EQUAL(put(src, "sys up=5,n=3i 20", &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "field type conflict: input field \"up\" on measurement "
			       "\"sys\" is type float, already exists as type string");
	ASSERT_LATEST(src, "sys", "up=\"1 day\" n=2 ok=1 @10/0");	/* nothing of it stored */
	CU_ASSERT_EQUAL(put(src, "sys n=2.5,ok=f 20", NULL), 0);	/* numbers mix freely */
	ASSERT_LATEST(src, "sys", "up=\"1 day\" n=2.5 ok=0 @20/10");
	CU_ASSERT_EQUAL(put(src, "sys q=1,q=\"x\" 30", &reason), -EINVAL);
	tsdb_source_free(src);
	tsdb_close(db);
}

static void test_series_choice_and_limits(void)
{
	struct tsdb_opts o = { .window_s = 60, .max_series_per_source = 3, .max_fields_per_series = 2 };
	struct tsdb *db = NULL;
	struct tsdb_source *src;
	struct sbuf names = SBUF_INIT;
	const char *reason = NULL;

	CU_ASSERT_EQUAL_FATAL(tsdb_open(&o, &db, NULL), 0);
	src = tsdb_source_new(db, "g/v1", 5);
	put(src, "cpu,cpu=cpu0 u=1 50", NULL);
	put(src, "cpu u=2 10", NULL);
	put(src, "mem used=3 10", NULL);
	ASSERT_LATEST(src, "cpu", "u=2 @10/0");		/* fewest tags wins over newest */
	CU_ASSERT_EQUAL(put(src, "disk,path=/ free=1 10", &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "max series exceeded");
	CU_ASSERT_EQUAL(put(src, "cpu a=1,b=2 20", &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "max fields per series exceeded");
	CU_ASSERT_EQUAL(tsdb_source_measurements(src, &names), 0);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&names), "cpu\nmem\n");
	sbuf_release(&names);
	tsdb_source_free(src);
	tsdb_close(db);
}

static void collect_each(void *ctx, const struct tsdb_series_view *s, const char *field,
			 size_t flen, double v)
{
	struct sbuf *sb = ctx;

	sbuf_addf(sb, "%.*s", (int)s->measurement_len, s->measurement);
	for (size_t i = 0; i < s->ntags; i++)
		sbuf_addf(sb, ",%.*s=%.*s", (int)s->tags[i].key.len, s->tags[i].key.p,
			  (int)s->tags[i].value.len, s->tags[i].value.p);
	sbuf_addf(sb, " %.*s=", (int)flen, field);
	numfmt_double(sb, v);
	sbuf_addc(sb, '\n');
}

static void test_each(void)
{
	struct tsdb *db = open_db(NULL, 60, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);
	struct sbuf sb = SBUF_INIT;

	put(src, "net,iface=eth0 bytes_in=10,note=\"x\" 100", NULL);
	put(src, "old v=1 5", NULL);
	tsdb_source_each(src, 50, collect_each, &sb);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "net,iface=eth0 bytes_in=10\n");
	sbuf_release(&sb);
	tsdb_source_free(src);
	tsdb_close(db);
}

/* ---- rollups ---- */

static char *history(struct tsdb *db, const char *name, const char *m)
{
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(tsdb_history(db, name, m, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

static void put_at(struct tsdb_source *src, const char *fields, int64_t t)
{
	char line[256];

	snprintf(line, sizeof(line), "%s %lld", fields, (long long)t);
	CU_ASSERT_EQUAL(put(src, line, NULL), 0);
}

static void test_rollups_exact(void)
{
	struct tsdb *db = open_db("r1", 60, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);
	char *h;

	put_at(src, "cpu u=10,s=1", T0 + 5000000000);
	put_at(src, "cpu u=20,s=2", T0 + 30000000000);
	put_at(src, "cpu u=60,s=3", T0 + 55000000000);
	put_at(src, "cpu u=7", T0 + MIN_NS + 1);	/* closes the first minute */
	put_at(src, "cpu,cpu=cpu0 u=99", T0 + 10);	/* another series: not shown */
	tsdb_flush(db);
	h = history(db, "g/v1", "cpu");
	CU_ASSERT_STRING_EQUAL(h, "2023-11-14T22:13:00Z samples=3 u_avg=30 u_min=10 u_max=60 u_last=60 "
			       "s_avg=2 s_min=1 s_max=3 s_last=3\n");
	free(h);
	/* A late point lands in its own (closed) minute. */
	put_at(src, "cpu u=0", T0 + 1000000000);
	h = history(db, "g/v1", "cpu");
	CU_ASSERT_STRING_EQUAL(h, "2023-11-14T22:13:00Z samples=4 u_avg=22.5 u_min=0 u_max=60 u_last=60 "
			       "s_avg=2 s_min=1 s_max=3 s_last=3\n");
	free(h);
	h = history(db, "g/v9", "cpu");
	CU_ASSERT_STRING_EQUAL(h, "");
	free(h);
	tsdb_source_free(src);	/* closes the open minute */
	h = history(db, "g/v1", "cpu");
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "2023-11-14T22:14:00Z samples=1 u_avg=7 u_min=7 u_max=7 u_last=7\n"));
	free(h);
	tsdb_close(db);
}

/* A minute written before a restart and completed after it adds up. */
static void test_restart_merges(void)
{
	struct tsdb *db = open_db("r2", 60, 0);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);
	char *h;

	put_at(src, "mem used=100", T0 + 1000000000);
	put_at(src, "mem used=300", T0 + 2000000000);
	tsdb_source_free(src);
	tsdb_close(db);

	db = open_db("r2", 60, 0);
	src = tsdb_source_new(db, "g/v1", 5);
	ASSERT_LATEST(src, "mem", "none");
	put_at(src, "mem used=200", T0 + 3000000000);
	put_at(src, "mem used=1", T0 + MIN_NS + 5);
	h = history(db, "g/v1", "mem");
	CU_ASSERT_STRING_EQUAL(h, "2023-11-14T22:13:00Z samples=3 used_avg=200 used_min=100 used_max=300 "
			       "used_last=200\n");
	free(h);
	tsdb_source_free(src);
	tsdb_close(db);
}

static void test_retention(void)
{
	struct tsdb *db = open_db("r3", 60, 3600);
	struct tsdb_source *src = tsdb_source_new(db, "g/v1", 5);
	int64_t now = clock_wall_ms() * 1000000;
	struct tsdb_stats st;
	char *h;

	put_at(src, "m v=1", now - 3 * 3600 * 1000000000ll);
	put_at(src, "m v=2", now - 2 * 3600 * 1000000000ll);
	put_at(src, "m v=3", now - 10 * MIN_NS);
	put_at(src, "m v=4", now);
	tsdb_flush(db);
	tsdb_get_stats(db, &st);
	CU_ASSERT_EQUAL(st.rollups_written, 3);	/* the three closed minutes */
	/* The background thread may expire first; either way two go. */
	CU_ASSERT(tsdb_expire(db) >= 0);
	tsdb_get_stats(db, &st);
	CU_ASSERT_EQUAL(st.rollups_deleted, 2);
	h = history(db, "g/v1", "m");
	CU_ASSERT_PTR_NULL(strstr(h, "v_avg=1 "));
	CU_ASSERT_PTR_NULL(strstr(h, "v_avg=2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "v_avg=3 "));
	free(h);
	CU_ASSERT_EQUAL(tsdb_expire(db), 0);
	tsdb_source_free(src);
	tsdb_close(db);
}

static void test_no_history_without_dir(void)
{
	struct tsdb *db = open_db(NULL, 60, 0);
	struct sbuf sb = SBUF_INIT;

	CU_ASSERT_EQUAL(tsdb_history(db, "g/v1", "cpu", &sb), -ENOENT);
	tsdb_close(db);
}

static void test_open_refused(void)
{
	struct tsdb_opts o = { .dir = "/proc/no/such/dir" };
	struct tsdb *db = NULL;
	char *err = NULL;

	CU_ASSERT_EQUAL(tsdb_open(&o, &db, &err), -EIO);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
}

/* ---- threads ---- */

struct writer_arg {
	struct tsdb_source *src;
	int n;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	struct lineproto_parser *lp = lineproto_parser_new(NULL);
	char line[128];

	for (int i = 1; i <= a->n; i++) {
		struct lineproto_point pt;
		const char *r;
		int len = snprintf(line, sizeof(line), "cpu u=%d,s=%di %lld", i, i,
				   (long long)(T0 + i * 1000000000ll));

		if (lineproto_parse_line(lp, line, (size_t)len, 0, 1, &pt, &r) == 1)
			tsdb_source_write(a->src, &pt, &r);
	}
	lineproto_parser_free(lp);
	return NULL;
}

static void test_concurrent_sources(void)
{
	struct tsdb *db = open_db("r4", 60, 0);
	struct writer_arg args[4];
	pthread_t th[4];
	struct tsdb_stats st;
	char name[16];

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "g/v%d", i);
		args[i] = (struct writer_arg){ tsdb_source_new(db, name, 1), 5000 };
		pthread_create(&th[i], NULL, writer, &args[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	tsdb_get_stats(db, &st);
	CU_ASSERT_EQUAL(st.sources, 4);
	CU_ASSERT_EQUAL(st.series, 4);
	CU_ASSERT_EQUAL(st.fields, 8);
	CU_ASSERT_EQUAL(st.samples, 4 * 5000 * 2);
	CU_ASSERT(st.bytes > 0);
	for (int i = 0; i < 4; i++)
		ASSERT_LATEST(args[i].src, "cpu", "u=5000 s=5000 @1700004980000000000/1000000000");
	for (int i = 0; i < 4; i++)
		tsdb_source_free(args[i].src);
	CU_ASSERT_EQUAL(tsdb_flush(db), 0);
	tsdb_get_stats(db, &st);
	CU_ASSERT_EQUAL(st.series, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	CU_ASSERT_EQUAL(st.rollups_written, 4 * 84);	/* 5000 s span 84 minutes */
	tsdb_close(db);
}

/* ---- numbers ---- */

static void test_numfmt(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0, "0" }, { 42, "42" }, { -3, "-3" }, { 12.5, "12.5" }, { 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" }, { 8273215488.0, "8273215488" },
		{ 1e300, "1e+300" }, { 0.000012, "1.2e-05" }, { 2.675, "2.675" },
		{ 9007199254740993.0, "9007199254740992" }, { 0.30000000000000004, "0.30000000000000004" },
	};
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		sbuf_reset(&sb);
		numfmt_double(&sb, cases[i].v);
		if (strcmp(sbuf_str(&sb), cases[i].want) != 0)
			fprintf(stderr, "  numfmt %.17g: got %s want %s\n", cases[i].v, sbuf_str(&sb),
				cases[i].want);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), cases[i].want);
	}
	sbuf_reset(&sb);
	numfmt_double(&sb, NAN);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "nan");
	sbuf_release(&sb);
}

static const struct cu_test memory_tests[] = {
	{ "latest_and_period", test_latest_and_period },
	{ "out_of_order_and_duplicates", test_out_of_order_and_duplicates },
	{ "ring_window", test_ring_window },
	{ "strings_and_types", test_strings_and_types },
	{ "series_choice_and_limits", test_series_choice_and_limits },
	{ "each", test_each },
	{ "numfmt", test_numfmt },
	{ NULL, NULL },
};

static const struct cu_test rollup_tests[] = {
	{ "rollups_exact", test_rollups_exact },
	{ "restart_merges", test_restart_merges },
	{ "retention", test_retention },
	{ "no_history_without_dir", test_no_history_without_dir },
	{ "open_refused", test_open_refused },
	{ "concurrent_sources", test_concurrent_sources },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct cu_suite suites[] = {
		{ "tsdb_memory", suite_init, suite_clean, memory_tests },
		{ "tsdb_rollups", suite_init, suite_clean, rollup_tests },
		{ NULL, NULL, NULL, NULL },
	};

	return cu_main(argc, argv, suites);
}
