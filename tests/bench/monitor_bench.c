/*
 * monitor_bench.c - the monitor's benchmark programs (make bench runs them
 * through tests/bench/monitor-bench.sh).
 *
 *   monitor_bench serve --vms N [--listen HOST:PORT] [--state DIR] [--read-us U]
 *       A monitor with N VMs registered (token bench-token-<n>), as the
 *       engine would run it.  With --read-us, a thread reads
 *       vms/<random>/metrics/cpu's text every U microseconds and records
 *       how long each read took.  Prints "ready HOST:PORT"; on SIGTERM
 *       prints read latency percentiles and memory per series, then exits.
 *
 *   monitor_bench load --url URL --vms N --seconds S [--interval I]
 *                      [--lines L] [--connections C] [--tokens FILE]
 *       Simulated VMs pushing Dragonfly's five measurements (28 samples per
 *       interval, tagged host=vm-<n> so that InfluxDB, which has no
 *       per-VM tokens, keeps as many series as baristafs) over HTTP/1.1 keep-alive connections (libcurl multi).
 *       With --interval, each VM pushes once per I seconds (paced; --rate R
 *       paces at R requests/s instead); without, as fast as the server
 *       answers.  --lines L puts L lines (L/5
 *       intervals of one VM) in each request, as an agent's backlog or
 *       Telegraf's batches do.  --tokens gives the VMs' tokens, one per line
 *       (default bench-token-<n>).  Prints requests/s and samples/s counted
 *       from 204 answers only.  The same bodies go to baristafs and InfluxDB.
 *
 *   monitor_bench read --dir DIR --names FILE --seconds S [--file PATH]
 *       What cat does, without the fork and exec: open, read to the end,
 *       close DIR/<name>/PATH (default metrics/cpu) for a random name of
 *       FILE, back to back; prints the latency percentiles.
 *
 * A "sample" is one field value of one point, for both servers.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/sbuf.h"
#include "monitor/monitor.h"

int main(int argc, char **argv);

#define SAMPLES_PER_INTERVAL 28
#define TS_DIGITS 19

/* ---- the payload: Dragonfly's five lines per interval ---------------------------------- */

/* Five lines for VM v at time t (ns), values varying with v and t. */
static void interval_lines(struct sbuf *sb, unsigned v, int64_t t)
{
	double load = 20 + 60 * fabs(sin((double)(v * 7919 + (unsigned)(t / 1000000000)) / 50));

	sbuf_addf(sb, "cpu,host=vm-%u cpu_utilization=%.2f,cpu_user=%.2f,cpu_system=%.2f,cpu_idle=%.2f,"
		  "cpu_iowait=0.4,cpu_steal=0 %019" PRId64 "\n", v, load, load * 0.8, load * 0.2 - 0.4,
		  100 - load, t);
	sbuf_addf(sb, "mem,host=vm-%u mem_utilization=%.2f,mem_total=8273215488i,mem_used=%" PRIu64 "i,"
		  "mem_free=%" PRIu64 "i,mem_cached=2147483648i,mem_buffers=134217728i %019" PRId64 "\n",
		  v, load / 2, (uint64_t)(8273215488.0 * load / 200), (uint64_t)(8273215488.0 * (1 - load / 200)) / 2, t);
	sbuf_addf(sb, "disk,host=vm-%u disk_utilization=41.5,disk_total=107374182400i,disk_used=44560285696i,"
		  "disk_free=62813896704i %019" PRId64 "\n", v, t);
	sbuf_addf(sb, "diskio,host=vm-%u kb_read=%.1f,kb_written=%.1f,ops_read=%.1f,ops_write=%.1f %019" PRId64 "\n",
		  v, load * 3, load * 5, load / 4, load / 2, t);
	sbuf_addf(sb, "net,host=vm-%u bytes_in=%.1f,bytes_out=%.1f,pkts_in=%.1f,pkts_out=%.1f,err_in=0,err_out=0,"
		  "drop_in=0,drop_out=0 %019" PRId64 "\n", v, load * 1000, load * 700, load * 9, load * 7, t);
}

/* A VM's request body: `intervals` intervals, and where each timestamp is. */
struct body {
	struct sbuf text;
	size_t *ts_at;		/* offsets of the 19-digit timestamps */
	size_t nts;
	int intervals;
};

static void body_build(struct body *b, unsigned v, int intervals)
{
	int64_t t0 = 1700000000000000000;

	b->intervals = intervals;
	b->nts = (size_t)intervals * 5;
	b->ts_at = calloc(b->nts, sizeof(*b->ts_at));
	for (int k = 0; k < intervals; k++) {
		size_t start = b->text.len, n = (size_t)k * 5;

		interval_lines(&b->text, v, t0 + (int64_t)k * 5000000000);
		for (const char *p = b->text.buf + start; *p; p++) {
			if (*p == '\n')
				b->ts_at[n++] = (size_t)(p - b->text.buf) - TS_DIGITS;
		}
	}
}

/* Give the body fresh timestamps: interval k of push `round` at base + ... */
static void body_stamp(struct body *b, int64_t base)
{
	char digits[32];

	for (size_t i = 0; i < b->nts; i++) {
		snprintf(digits, sizeof(digits), "%019" PRId64, base + (int64_t)(i / 5) * 5000000000);
		memcpy(b->text.buf + b->ts_at[i], digits, TS_DIGITS);
	}
}

/* ---- load -------------------------------------------------------------------------------- */

struct conn {
	CURL *h;
	struct curl_slist *hdr;
	unsigned vm;
	int busy;
};

struct load {
	const char *url;
	unsigned vms;
	double seconds;
	int interval_s;		/* 0: as fast as it goes */
	double rate;		/* requests per second; overrides interval_s */
	int lines;
	int connections;
	const char *tokens;	/* file, one per line, or NULL */
	struct body *bodies;
	struct curl_slist **auth;	/* per VM */
	uint64_t ok, failed, sent_samples;
	int64_t *round;		/* per VM: how many pushes so far */
};

static size_t sink(void *d, size_t s, size_t n, void *c)
{
	(void)d;
	(void)c;
	return s * n;
}

static void start_one(struct load *L, CURLM *multi, struct conn *c, unsigned vm)
{
	struct body *b = &L->bodies[vm];
	int64_t base = 1700000000000000000 + L->round[vm]++ * (int64_t)b->intervals * 5000000000;

	body_stamp(b, base);
	c->vm = vm;
	c->busy = 1;
	curl_easy_setopt(c->h, CURLOPT_URL, L->url);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, b->text.buf);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->text.len);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, L->auth[vm]);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
	curl_multi_add_handle(multi, c->h);
}

static void reap(struct load *L, CURLM *multi)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(multi, &left))) {
		struct conn *c;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(multi, msg->easy_handle);
		c->busy = 0;
		if (msg->data.result == CURLE_OK && status == 204) {
			L->ok++;
			L->sent_samples += (uint64_t)L->bodies[c->vm].intervals * SAMPLES_PER_INTERVAL;
		} else {
			L->failed++;
		}
	}
}

static void run_load(struct load *L)
{
	CURLM *multi = curl_multi_init();
	struct conn *cs = calloc((size_t)L->connections, sizeof(*cs));
	int64_t start = clock_mono_ns(), started = 0, now;
	double rate = L->rate > 0 ? L->rate : L->interval_s ? (double)L->vms / L->interval_s : 0;
	unsigned next_vm = 0;
	int running;

	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)L->connections);
	for (int i = 0; i < L->connections; i++) {
		cs[i].h = curl_easy_init();
		curl_easy_setopt(cs[i].h, CURLOPT_TCP_NODELAY, 1L);
	}
	while ((now = clock_mono_ns()) - start < (int64_t)(L->seconds * 1e9)) {
		double due = rate ? rate * (double)(now - start) / 1e9 : 1e18;

		for (int i = 0; i < L->connections && started < due; i++) {
			if (cs[i].busy)
				continue;
			start_one(L, multi, &cs[i], next_vm);
			next_vm = (next_vm + 1) % L->vms;
			started++;
		}
		curl_multi_perform(multi, &running);
		reap(L, multi);		/* before waiting: what just finished can restart */
		if (running)
			curl_multi_poll(multi, NULL, 0, rate ? 1 : 100, NULL);
	}
	do {	/* let what is in flight finish, uncounted time aside */
		curl_multi_perform(multi, &running);
		curl_multi_poll(multi, NULL, 0, 100, NULL);
		reap(L, multi);
	} while (running);
	for (int i = 0; i < L->connections; i++)
		curl_easy_cleanup(cs[i].h);
	free(cs);
	curl_multi_cleanup(multi);
}

/* Line n of a file (without its newline) into buf; false when there is none. */
static bool nth_line(FILE *f, char *buf, size_t len)
{
	if (!f || !fgets(buf, (int)len, f))
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

static int cmd_load(struct load *L)
{
	FILE *tokens = L->tokens ? fopen(L->tokens, "r") : NULL;
	char hdr[256], token[160];
	int64_t t0, t1;

	L->bodies = calloc(L->vms, sizeof(*L->bodies));
	L->auth = calloc(L->vms, sizeof(*L->auth));
	L->round = calloc(L->vms, sizeof(*L->round));
	for (unsigned v = 0; v < L->vms; v++) {
		body_build(&L->bodies[v], v, L->lines / 5 > 0 ? L->lines / 5 : 1);
		if (!nth_line(tokens, token, sizeof(token)))
			snprintf(token, sizeof(token), "bench-token-%08u", v);
		snprintf(hdr, sizeof(hdr), "Authorization: Token %s", token);
		L->auth[v] = curl_slist_append(NULL, hdr);
		L->auth[v] = curl_slist_append(L->auth[v], "Content-Type: text/plain");
		L->auth[v] = curl_slist_append(L->auth[v], "Expect:");
	}
	if (tokens)
		fclose(tokens);
	t0 = clock_mono_ns();
	run_load(L);
	t1 = clock_mono_ns();
	printf("requests_ok %" PRIu64 "\nrequests_failed %" PRIu64 "\nsamples %" PRIu64 "\n"
	       "seconds %.2f\nrequests_per_s %.0f\nsamples_per_s %.0f\n", L->ok, L->failed,
	       L->sent_samples, (t1 - t0) / 1e9, L->ok / ((t1 - t0) / 1e9),
	       L->sent_samples / ((t1 - t0) / 1e9));
	return L->failed ? 1 : 0;
}

/* ---- serve ----------------------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct reader {
	struct monitor *mon;
	unsigned vms;
	long period_us;
	int64_t *lat;		/* ns per read */
	size_t n, cap;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct sbuf sb = SBUF_INIT;
	char id[32];
	unsigned seed = 12345;

	while (!stop) {
		int64_t t;

		snprintf(id, sizeof(id), "bench/vm-%u", rand_r(&seed) % r->vms);
		sbuf_reset(&sb);
		t = clock_mono_ns();
		monitor_read_vm(r->mon, id, "cpu", &sb);
		t = clock_mono_ns() - t;
		if (r->n < r->cap)
			r->lat[r->n++] = t;
		usleep((useconds_t)r->period_us);
	}
	sbuf_release(&sb);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void print_latency(struct reader *r)
{
	if (!r->n)
		return;
	qsort(r->lat, r->n, sizeof(*r->lat), cmp_i64);
	printf("reads %zu\nread_p50_us %.1f\nread_p99_us %.1f\nread_p999_us %.1f\nread_max_us %.1f\n",
	       r->n, r->lat[r->n / 2] / 1e3, r->lat[r->n * 99 / 100] / 1e3,
	       r->lat[r->n * 999 / 1000] / 1e3, r->lat[r->n - 1] / 1e3);
}

static void print_memory(struct monitor *mon)
{
	struct sbuf st = SBUF_INIT;
	const char *s;
	long series, bytes, samples;

	monitor_read_stats(mon, &st);
	s = sbuf_str(&st);
	series = atol(strstr(s, "\nseries ") + 8);
	bytes = atol(strstr(s, "series_memory_bytes ") + 20);
	samples = atol(strstr(s, "samples_total ") + 14);
	printf("series %ld\nseries_memory_bytes %ld\nbytes_per_series %.0f\nsamples_total %ld\n",
	       series, bytes, series ? (double)bytes / series : 0, samples);
	printf("--- stats\n%s", s);
	sbuf_release(&st);
}

static int cmd_serve(unsigned vms, const char *listen, const char *state, long read_us)
{
	struct monitor_opts o = { .listen = listen, .state_dir = state, .interval_s = 5,
				  .jit_age_ms = 3600 * 1000, .ingest_nice = 5 /* as the engine */ };
	struct reader r = { .vms = vms, .period_us = read_us };
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor *mon = NULL;
	pthread_t th;
	char id[32], token[40], *err = NULL;

	if (monitor_new(&o, &mon, &err) != 0) {
		fprintf(stderr, "monitor_bench: %s\n", err ? err : "cannot start");
		return 1;
	}
	for (unsigned v = 0; v < vms; v++) {
		snprintf(id, sizeof(id), "bench/vm-%u", v);
		snprintf(token, sizeof(token), "bench-token-%08u", v);
		monitor_vm_add(mon, id, token, NULL);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r.mon = mon;
	r.cap = 20000000;
	r.lat = read_us ? malloc(r.cap * sizeof(*r.lat)) : NULL;
	if (read_us)
		pthread_create(&th, NULL, read_loop, &r);
	printf("ready %s\n", monitor_address(mon));
	fflush(stdout);
	while (!stop)
		pause();
	if (read_us)
		pthread_join(th, NULL);
	print_latency(&r);
	print_memory(mon);
	fflush(stdout);
	free(r.lat);
	monitor_free(mon);
	return 0;
}

/* ---- read ---------------------------------------------------------------------------- */

static int read_names(const char *path, char ***names, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t cap = 0;

	*n = 0;
	while (nth_line(f, line, sizeof(line))) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*names = realloc(*names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = strdup(line);
	}
	if (f)
		fclose(f);
	return *n ? 0 : -ENOENT;
}

static int cmd_read(const char *dir, const char *names_file, const char *file, double seconds)
{
	struct reader r = { .cap = 20000000 };
	char **names = NULL, path[1024], buf[8192];
	size_t n = 0, errors = 0;
	unsigned seed = 4242;
	int64_t end;

	if (read_names(names_file, &names, &n)) {
		fprintf(stderr, "monitor_bench: no names in %s\n", names_file);
		return 2;
	}
	r.lat = malloc(r.cap * sizeof(*r.lat));
	end = clock_mono_ns() + (int64_t)(seconds * 1e9);
	while (clock_mono_ns() < end && r.n < r.cap) {
		int64_t t = clock_mono_ns();
		int fd;

		snprintf(path, sizeof(path), "%s/%s/%s", dir, names[rand_r(&seed) % n], file);
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			errors++;
		if (fd >= 0)
			close(fd);
		r.lat[r.n++] = clock_mono_ns() - t;
	}
	print_latency(&r);
	printf("read_errors %zu\n", errors);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(r.lat);
	return errors ? 1 : 0;
}

/* ---- options --------------------------------------------------------------------------- */

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	}
	return def;
}

int main(int argc, char **argv)
{
	struct load L = { 0 };

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return cmd_serve((unsigned)atoi(arg(argc, argv, "--vms", "10000")),
				 arg(argc, argv, "--listen", "127.0.0.1:0"),
				 arg(argc, argv, "--state", NULL),
				 atol(arg(argc, argv, "--read-us", "0")));
	if (argc >= 2 && strcmp(argv[1], "load") == 0) {
		L.url = arg(argc, argv, "--url", NULL);
		L.vms = (unsigned)atoi(arg(argc, argv, "--vms", "10000"));
		L.seconds = atof(arg(argc, argv, "--seconds", "10"));
		L.interval_s = atoi(arg(argc, argv, "--interval", "0"));
		L.lines = atoi(arg(argc, argv, "--lines", "5"));
		L.connections = atoi(arg(argc, argv, "--connections", "32"));
		L.tokens = arg(argc, argv, "--tokens", NULL);
		L.rate = atof(arg(argc, argv, "--rate", "0"));
		if (L.url && L.vms && L.connections > 0)
			return cmd_load(&L);
	}
	if (argc >= 2 && strcmp(argv[1], "read") == 0 && arg(argc, argv, "--dir", NULL) &&
	    arg(argc, argv, "--names", NULL))
		return cmd_read(arg(argc, argv, "--dir", NULL), arg(argc, argv, "--names", NULL),
				arg(argc, argv, "--file", "metrics/cpu"),
				atof(arg(argc, argv, "--seconds", "10")));
	fprintf(stderr, "usage: monitor_bench serve --vms N [--listen A] [--state DIR] [--read-us U]\n"
			"       monitor_bench load --url URL --vms N --seconds S [--interval I] "
			"[--lines L] [--connections C] [--tokens FILE] [--rate R]\n"
			"       monitor_bench read --dir DIR --names FILE --seconds S [--file PATH]\n");
	return 2;
}
