/*
 * main.c - the cloudtwin program: options, start-up, signals.
 *
 *   cloudtwin [--listen ADDR] [--tls-listen ADDR] [--config FILE]
 *             [--tls-dir DIR] [--max-body BYTES] [--ready-file FILE]
 *             [--log] [--check-config] [--print-config]
 *
 * Everything else lives in libcloudtwin (twin_server.h is the entry).
 * Signals are blocked in every thread and taken synchronously here with
 * sigwait(), so the server's threads never run a handler.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "tools/cloudtwin/twin_agents.h"
#include "tools/cloudtwin/twin_config.h"
#include "tools/cloudtwin/twin_server.h"

struct options {
	const char *listen, *tls_listen, *config, *tls_dir, *ready_file;
	size_t max_body;
	bool log, check, print;
};

static void usage(FILE *f)
{
	fputs("usage: cloudtwin [options]\n"
	      "  --listen ADDR       HTTP address (default 127.0.0.1:18080; port 0 = any free)\n"
	      "  --tls-listen ADDR   HTTPS address for Azure (default 127.0.0.1:0)\n"
	      "  --config FILE       clouds to emulate (JSON; default: one per dialect)\n"
	      "  --tls-dir DIR       CA, certificate and generated keys\n"
	      "                      (default $XDG_STATE_HOME/cloudtwin or ~/.local/state/cloudtwin)\n"
	      "  --max-body BYTES    request body ceiling (default 1048576)\n"
	      "  --ready-file FILE   write {\"pid\",\"http\",\"https\",\"ca_file\"} once serving\n"
	      "  --log               one line per request on stderr\n"
	      "  --check-config      validate the configuration and exit\n"
	      "  --print-config      print the normalised configuration and exit\n"
	      "  --version, --help\n", f);
}

static const char *default_tls_dir(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (state && *state)
		snprintf(buf, len, "%s/cloudtwin", state);
	else if (home && *home)
		snprintf(buf, len, "%s/.local/state/cloudtwin", home);
	else
		snprintf(buf, len, "/tmp/cloudtwin-%u", (unsigned)getuid());
	return buf;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-listen", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "tls-dir", required_argument, NULL, 'd' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "log", no_argument, NULL, 'v' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;

	while ((ch = getopt_long(argc, argv, "l:c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 't': o->tls_listen = optarg; break;
		case 'c': o->config = optarg; break;
		case 'd': o->tls_dir = optarg; break;
		case 'r': o->ready_file = optarg; break;
		case 'v': o->log = true; break;
		case 'C': o->check = true; break;
		case 'P': o->print = true; break;
		case 'm':
			errno = 0;
			o->max_body = strtoul(optarg, &end, 10);
			if (errno || *end || o->max_body < 1024 || o->max_body > (256u << 20)) {
				fprintf(stderr, "cloudtwin: --max-body must be 1024..268435456\n");
				return 2;
			}
			break;
		case 'V': printf("cloudtwin %s\n", BFS_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

static int write_ready(const char *path, struct twin_server *s)
{
	char tmp[PATH_MAX];
	json_t *doc = json_pack("{s:I,s:s,s:s?,s:s?}", "pid", (json_int_t)getpid(),
				"http", twin_server_http_url(s), "https", twin_server_https_url(s),
				"ca_file", twin_server_ca_file(s));
	int rc = -ENOMEM;

	if (doc && snprintf(tmp, sizeof(tmp), "%s.tmp", path) < (int)sizeof(tmp))
		rc = json_dump_file(doc, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : -errno;
	json_decref(doc);
	return rc;
}

static json_t *load_config(const struct options *o)
{
	struct sbuf err = SBUF_INIT;
	json_t *conf = o->config ? twin_config_load(o->config, &err) : twin_config_default();

	if (!conf)
		fprintf(stderr, "cloudtwin: bad configuration: %s\n", sbuf_str(&err));
	sbuf_release(&err);
	return conf;
}

/*
 * glibc malloc, tuned for how cloudtwin uses memory: a big list answer
 * builds a jansson tree of millions of small nodes and frees it at once.
 * Without fast bins each free near the heap top no longer walks them
 * (malloc_consolidate was a third of a 10,000-VM DescribeInstances), a
 * thread per connection does not mean an arena per connection, and the
 * ticker hands the freed pages of such an answer back to the kernel.
 */
static void malloc_setup(void)
{
	mallopt(M_MXFAST, 0);
	mallopt(M_ARENA_MAX, 2);
}

static void malloc_tick(void *arg, struct twin_server *s, int64_t now)
{
	(void)arg;
	(void)s;
	(void)now;
	malloc_trim(0);
}

static int run(const struct options *o, json_t *conf)
{
	struct twin_server_opts so = { .listen = o->listen, .tls_listen = o->tls_listen,
				       .tls_dir = o->tls_dir, .config = conf,
				       .max_body = o->max_body, .log = o->log };
	struct sbuf err = SBUF_INIT;
	struct twin_server *s;
	struct twin_agents *agents = NULL;
	int64_t t0 = clock_mono_ms();
	sigset_t set;
	int sig = 0, rc = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	malloc_setup();
	s = twin_server_new(&so, &err);
	if (s && twin_server_add_ticker(s, 5000, malloc_tick, NULL))
		sbuf_adds(&err, "out of memory");
	if (!s || err.len || twin_agents_new(s, NULL, &agents, &err) ||
	    twin_server_start(s, &err)) {
		fprintf(stderr, "cloudtwin: %s\n", sbuf_str(&err));
		goto out_free;
	}
	printf("cloudtwin: %zu clouds on %s%s%s (ready in %lld ms)\n", twin_server_nclouds(s),
	       twin_server_http_url(s), twin_server_https_url(s) ? " and " : "",
	       twin_server_https_url(s) ? twin_server_https_url(s) : "",
	       (long long)(clock_mono_ms() - t0));
	fflush(stdout);
	if (o->ready_file && write_ready(o->ready_file, s)) {
		fprintf(stderr, "cloudtwin: cannot write %s\n", o->ready_file);
		goto out_free;
	}
	sigwait(&set, &sig);
	fprintf(stderr, "cloudtwin: signal %d, stopping\n", sig);
	rc = 0;
out_free:
	if (s)
		twin_server_stop(s);
	twin_agents_free(agents);	/* after the ticker's last run, before the server goes */
	twin_server_free(s);
	sbuf_release(&err);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .listen = "127.0.0.1:18080", .max_body = 1u << 20 };
	char dir[PATH_MAX];
	json_t *conf;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (!o.tls_dir)
		o.tls_dir = default_tls_dir(dir, sizeof(dir));
	conf = load_config(&o);
	if (!conf)
		return 1;
	if (o.check || o.print) {
		if (o.print)
			json_dumpf(conf, stdout, JSON_INDENT(2));
		else
			printf("cloudtwin: configuration ok, %zu clouds\n", json_array_size(conf));
		json_decref(conf);
		return 0;
	}
	rc = run(&o, conf);
	json_decref(conf);
	return rc;
}
