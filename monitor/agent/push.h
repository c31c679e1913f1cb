/*
 * push.h - barista-agent's pushes to the collector, with a bounded backlog.
 *
 * Every batch is queued, then everything queued is sent oldest first, as
 * few requests as fit in 1 MiB each.  While the collector cannot be reached
 * (connection refused, timeout, 5xx, 503, 429) batches stay queued; when
 * the queue would pass backlog_bytes the oldest batches are dropped and
 * counted, so the agent's memory stays bounded however long the outage.
 * A batch the collector refuses on purpose (401, 400, 413) is dropped:
 * sending it again would fail again (or duplicate the good lines of a
 * partial write).  Not thread-safe: one pusher thread.
 */
#ifndef BFS_AGENT_PUSH_H
#define BFS_AGENT_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct agent_push_opts {
	const char *collector;	/* base URL, e.g. http://10.0.0.5:8428 */
	const char *token;
	int interval_s;		/* sent as X-Barista-Agent-Interval */
	int pull_port;		/* sent as X-Barista-Agent-Port; 0: none */
	size_t backlog_bytes;	/* default 4 MiB */
	long timeout_ms;	/* per request; default min(interval, 10 s) */
};

/* What one agent_push_send() did. */
struct agent_push_result {
	int status;		/* last HTTP status (0: no answer) */
	size_t sent;		/* batches the collector took */
	size_t refused;		/* batches it refused (dropped) */
	size_t dropped;		/* oldest batches dropped for room */
	size_t queued;		/* batches still waiting */
	size_t queued_bytes;
	char error[160];	/* why the last request failed, or "" */
};

struct agent_push;

/* NULL when out of memory; the strings are copied. */
struct agent_push *agent_push_new(const struct agent_push_opts *opts);
void agent_push_free(struct agent_push *p);

/*
 * Queue batch (may be empty: then only the backlog is sent, or an empty
 * heartbeat when nothing is queued) and send.  0 when nothing is left
 * queued, -EAGAIN when the collector is unreachable (kept for later),
 * -ENOMEM.  r says what happened.
 */
int agent_push_send(struct agent_push *p, const char *batch, size_t len,
		    struct agent_push_result *r);

#endif
