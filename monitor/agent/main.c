/*
 * main.c - barista-agent: reads this machine's counters every interval,
 * pushes Dragonfly's fields to the baristafs collector, and answers the
 * monitor's on-demand pulls on its own port.
 *
 * One thread samples and pushes; the pull server (libmicrohttpd's thread)
 * samples on demand.  Both compute rates against the same previous
 * snapshot, under one mutex, and each sample moves it forward, so every
 * pushed or pulled rate covers the time since the sample before it.
 *
 * The collector being down is normal: batches wait in a bounded backlog
 * (push.h) and the agent says what it keeps and what it drops.  SIGTERM
 * and SIGINT stop it after one last attempt to send what waits.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "lib/clock.h"
#include "monitor/agent/conf.h"
#include "monitor/agent/pull.h"
#include "monitor/agent/push.h"
#include "monitor/agent/sample.h"
#include "monitor/agent/sys.h"

int main(int argc, char **argv);

struct agent {
	struct agent_conf conf;
	struct agent_sys sys;
	pthread_mutex_t lock;		/* guards prev */
	struct agent_snapshot prev;
	bool have_prev;
	bool down;			/* the last push failed (for logging transitions) */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char when[40];
	va_list ap;

	fprintf(stderr, "%s barista-agent: ", clock_rfc3339(clock_wall_ms(), 0, when, sizeof(when)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A new snapshot and the sample since the previous one, into out. */
static int sample(struct agent *a, struct sbuf *out)
{
	struct agent_snapshot cur;
	int rc = agent_sys_read(&a->sys, &cur);

	if (rc)
		return rc;
	pthread_mutex_lock(&a->lock);
	rc = agent_sample_format(a->have_prev ? &a->prev : NULL, &cur, out);
	a->prev = cur;
	a->have_prev = true;
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static int on_pull(void *ctx, struct sbuf *out)
{
	return sample(ctx, out);
}

static void report(struct agent *a, int rc, const struct agent_push_result *r)
{
	if (r->dropped)
		say("backlog full (%zu bytes): dropped the %zu oldest batches", a->conf.backlog_bytes,
		    r->dropped);
	if (r->refused)
		say("collector refused %zu batches (%s); they are dropped", r->refused, r->error);
	if (rc == -EAGAIN && !a->down)
		say("collector %s unreachable (%s); keeping samples (%zu batches queued)",
		    a->conf.collector, r->error, r->queued);
	if (rc == 0 && a->down)
		say("collector reachable again; backlog sent");
	a->down = rc == -EAGAIN;
}

/* Sleep until deadline (monotonic ms) unless a signal stops us first. */
static void sleep_until(int64_t deadline)
{
	while (!stopping) {
		int64_t left = deadline - clock_mono_ms();

		if (left <= 0)
			return;
		clock_sleep_ms(left > 200 ? 200 : left);
	}
}

/* The first batch (mem and disk: rates need two samples) goes at once, so
 * that the VM is seen, and its pull port known, from the start. */
static void run(struct agent *a, struct agent_push *push, const struct sbuf *first)
{
	int64_t next = clock_mono_ms();
	struct sbuf batch = SBUF_INIT;
	struct agent_push_result r;

	report(a, agent_push_send(push, first->buf, first->len, &r), &r);
	while (!stopping) {
		next += a->conf.interval_s * 1000LL;
		sleep_until(next);
		if (stopping)
			break;
		sbuf_reset(&batch);
		if (sample(a, &batch) != 0)
			say("cannot read this machine's counters");
		report(a, agent_push_send(push, batch.buf, batch.len, &r), &r);
	}
	if (agent_push_send(push, NULL, 0, &r) == -EAGAIN && r.queued)
		say("stopping with %zu batches unsent", r.queued);
	sbuf_release(&batch);
}

static int print_once(struct agent *a)
{
	struct sbuf out = SBUF_INIT;
	int rc = sample(a, &out);

	clock_sleep_ms(1000);
	sbuf_reset(&out);
	if (!rc)
		rc = sample(a, &out);
	fputs(sbuf_str(&out), stdout);
	sbuf_release(&out);
	return rc ? 1 : 0;
}

static int start(struct agent *a, struct agent_pull **pull, struct agent_push **push)
{
	struct agent_push_opts po = { a->conf.collector, a->conf.token, a->conf.interval_s, 0,
				      a->conf.backlog_bytes, 0 };
	int rc;

	if (strcmp(a->conf.listen, "none") != 0) {
		rc = agent_pull_start(a->conf.listen, a->conf.token, on_pull, a, pull);
		if (rc) {
			say("cannot listen on %s: %s", a->conf.listen, strerror(-rc));
			return rc;
		}
		po.pull_port = agent_pull_port(*pull);
	}
	*push = agent_push_new(&po);
	if (!*push)
		return -ENOMEM;
	say("pushing to %s every %d s%s%s, pulls on port %d", a->conf.collector, a->conf.interval_s,
	    a->conf.vm[0] ? " as " : "", a->conf.vm, po.pull_port);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sigaction sa = { .sa_handler = on_signal };
	struct agent_pull *pull = NULL;
	struct agent_push *push = NULL;
	struct sbuf first = SBUF_INIT;
	char err[300];
	int rc;

	agent_conf_defaults(&a.conf);
	rc = agent_conf_parse_args(&a.conf, argc, argv, err, sizeof(err));
	if (rc == 0)
		rc = agent_conf_check(&a.conf, err, sizeof(err));
	if (rc) {
		if (rc < 0)
			fprintf(stderr, "barista-agent: %s\n", err);
		return rc < 0 ? 2 : 0;
	}
	a.sys = (struct agent_sys){ a.conf.proc, a.conf.sys, a.conf.disk };
	if (a.conf.once)
		return print_once(&a);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sample(&a, &first);	/* the baseline the first rates start from */
	rc = start(&a, &pull, &push);
	if (!rc)
		run(&a, push, &first);
	sbuf_release(&first);
	agent_pull_stop(pull);
	agent_push_free(push);
	curl_global_cleanup();
	say("stopped");
	return rc ? 1 : 0;
}
