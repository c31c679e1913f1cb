/*
 * collector.h - the HTTP front agents push to (libmicrohttpd).
 *
 *   POST /write[?precision=&db=&u=&p=]   InfluxDB 1.x line protocol
 *   GET  /metrics                        Prometheus text format 0.0.4
 *   GET|HEAD /ping                       204, as influxd answers
 *   POST /query                          what Telegraf sends at start-up
 *                                        (CREATE DATABASE): an empty result
 *   GET  /agent/barista-agent            the agent binary, for VMs to install
 *                                        (when configured; no token needed)
 *
 * Authentication is per VM: the token is the HTTP Basic password (any user
 * name), `Authorization: Token <t>` (InfluxDB 2 compatible), `Bearer <t>`,
 * or the `p` query parameter as influxd 1.x accepts.  It is checked when
 * the headers arrive, before any of the body is read: a wrong token gets
 * 401 and nothing is stored.
 *
 * Answers follow influxd: 204 when every line was stored; 400 with
 * {"error":"partial write: unable to parse '...': <reason>... dropped=<n>"}
 * when some lines were bad (the good ones are stored), or without
 * "partial write" when none was good; 413 when a body exceeds max_body
 * (before or after gzip); 503 with Retry-After when the bodies buffered
 * across all requests would exceed max_inflight; 400 for a bad precision;
 * 404 / 405 for other paths and methods.
 *
 * The collector knows nothing about VMs or storage: it calls the owner
 * through struct collector_ops from its own threads, concurrently.
 */
#ifndef BFS_COLLECTOR_H
#define BFS_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/sbuf.h"
#include "monitor/lineproto.h"

/* One authenticated push, as the owner's write() receives it. */
struct collector_push {
	const char *body;		/* decompressed; not NUL-terminated */
	size_t len;
	int64_t ns_per_unit;		/* from ?precision= */
	int64_t default_ns;		/* receive time, truncated to the precision */
	const struct sockaddr *peer;	/* the client's address */
	const char *agent_port;		/* X-Barista-Agent-Port header, or NULL */
	const char *agent_interval;	/* X-Barista-Agent-Interval header, or NULL */
};

struct collector_ops {
	/* The VM a token belongs to, referenced (released with release()), or NULL. */
	void *(*auth)(void *ctx, const char *token);
	void (*release)(void *ctx, void *vm);
	/* Store a push for vm.  Returns 0 (res filled; res->errors is the
	 * collector's buffer) or a negative errno for an internal failure (500). */
	int (*write)(void *ctx, void *vm, const struct collector_push *push,
		     struct lineproto_result *res);
	/* Append the Prometheus exposition to out.  0 or -errno. */
	int (*scrape)(void *ctx, struct sbuf *out);
};

struct collector_opts {
	const char *listen;		/* "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one */
	unsigned threads;		/* default: online CPUs */
	size_t max_body;		/* per request, after gzip; default 16 MiB */
	size_t max_inflight;		/* buffered across requests; default 256 MiB */
	unsigned max_connections;	/* default 4096 */
	unsigned timeout_s;		/* idle connection timeout; default 60 */
	const char *agent_binary;	/* file served at GET /agent/barista-agent, or NULL;
					 * borrowed for the collector's life */
	int nice;			/* added to its threads' nice value (0: none) */
};

#define COLLECTOR_DEFAULT_MAX_BODY (16u << 20)
#define COLLECTOR_DEFAULT_MAX_INFLIGHT (256u << 20)

struct collector;

/*
 * Start listening.  ops and ctx are borrowed for the collector's life.
 * 0 and *out set; -EINVAL for a bad listen address; -EADDRINUSE or -EIO
 * when the daemon cannot start (detail in *err when non-NULL, caller frees).
 */
int collector_start(const struct collector_opts *opts, const struct collector_ops *ops,
		    void *ctx, struct collector **out, char **err);
/* Stop accepting, finish requests in flight, free.  NULL is a no-op. */
void collector_stop(struct collector *c);

/* "HOST:PORT" actually bound (the port filled in).  Borrowed. */
const char *collector_address(const struct collector *c);

struct collector_stats {
	uint64_t requests;	/* all requests answered */
	uint64_t writes_ok;	/* 204 */
	uint64_t writes_partial;	/* 400 with some points stored */
	uint64_t rejected_auth;	/* 401 */
	uint64_t rejected_size;	/* 413 */
	uint64_t rejected_busy;	/* 503 */
	uint64_t rejected_bad;	/* other 4xx */
	uint64_t points;	/* stored */
	uint64_t samples;	/* field values stored */
	uint64_t bad_lines;
	uint64_t bytes;		/* request bodies received */
	size_t inflight;	/* body bytes buffered now */
};
void collector_get_stats(struct collector *c, struct collector_stats *st);

#endif
