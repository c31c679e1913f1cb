/*
 * twin_server.h - the cloudtwin server: its clouds, its listeners, the
 * routing of requests to clouds, fault injection, housekeeping, and the
 * hooks later modules (simulated monitoring agents) attach to.
 *
 * Routing.  One HTTP port serves every cloud (and a second, TLS, port the
 * same).  A path whose first segment is a cloud's name goes to that cloud
 * with the segment stripped ("/aws-1/..." -> cloud aws-1, path "/...").
 * Any other path is offered to each dialect's claim(), which recognises
 * its fixed paths and finds the cloud by credential, project,
 * subscription or bearer token (clients such as libcloud's EC2, ECS, GCE
 * and Azure drivers cannot put a prefix in front of their paths).
 * "/_twin/..." is the control API (twin_ctl.h).
 *
 * Threads and locks.  Requests run on their connections' threads; each
 * takes its cloud's lock as needed (twin_cloud.h).  The server's own
 * tables (clouds, index) are immutable once started; the tickers list is
 * fixed before twin_server_start.  A housekeeping thread sweeps expired
 * state every second and runs the tickers.  twin_server_sleep() is how
 * anything waits, so that stopping the server wakes every sleeper.
 */
#ifndef TWIN_SERVER_H
#define TWIN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/sbuf.h"
#include "tools/cloudtwin/twin_cloud.h"
#include "tools/cloudtwin/twin_req.h"
#include "tools/cloudtwin/twin_resp.h"

struct twin_server;

struct twin_server_opts {
	const char *listen;		/* "127.0.0.1:PORT" (0 = a free port) */
	const char *tls_listen;		/* NULL: "127.0.0.1:0" */
	const char *tls_dir;		/* CA, server certificate, generated keys */
	const json_t *config;		/* normalised (twin_config.h), borrowed */
	size_t max_body;		/* request body ceiling, bytes */
	bool log;			/* one line per request on stderr */
};

/* Build the clouds (no sockets yet).  NULL with err on a bad config or
 * when TLS material cannot be made. */
struct twin_server *twin_server_new(const struct twin_server_opts *o, struct sbuf *err);
/* Open the listeners and start housekeeping.  0 or -errno with err. */
int twin_server_start(struct twin_server *s, struct sbuf *err);
/* Stop listening, wake sleepers, join threads.  Idempotent. */
void twin_server_stop(struct twin_server *s);
void twin_server_free(struct twin_server *s);

/* Serve one request (what the listeners call; tests call it directly). */
void twin_server_handle(struct twin_server *s, struct twin_req *req, struct twin_resp *resp);

/* "http://127.0.0.1:PORT" and "https://127.0.0.1:PORT" once started (the
 * former "http://127.0.0.1" before, the latter NULL without a TLS listener). */
const char *twin_server_http_url(const struct twin_server *s);
const char *twin_server_https_url(const struct twin_server *s);
/* The CA file clients trust for the TLS listener. */
const char *twin_server_ca_file(const struct twin_server *s);

size_t twin_server_nclouds(const struct twin_server *s);
/* Put a cloud back as it started: its VMs, resources, idempotency and
 * nonce records forgotten, settings and stats as configured, the
 * dialect's defaults and the preloaded VMs (with new ids) made again.
 * Takes the cloud's lock.  0 or -errno with err. */
int twin_server_reset_cloud(struct twin_server *s, struct twin_cloud *c, struct sbuf *err);
struct twin_cloud *twin_server_cloud_at(const struct twin_server *s, size_t i);
struct twin_cloud *twin_server_cloud(const struct twin_server *s, const char *name);

/* Routing index for claim(): "kind" + value -> cloud.  put is for
 * setup() only (before start): 0, -EEXIST (taken by another cloud) or
 * -ENOMEM. */
int twin_server_index_put(struct twin_server *s, const char *kind, const char *value,
			  struct twin_cloud *c);
struct twin_cloud *twin_server_index_get(const struct twin_server *s, const char *kind,
					 const char *value);
/* Index every credential's `field` of cloud c under kind, and make c the
 * kind's fallback (value "") unless a cloud already is.  For setup().
 * 0, or -EEXIST with err naming the clash. */
int twin_server_index_creds(struct twin_server *s, struct twin_cloud *c, const char *kind,
			    const char *field, struct sbuf *err);
/* The per-process key of twin_token.h. */
const unsigned char *twin_server_token_key(const struct twin_server *s);

/* Sleep up to ms; 0, or -ECANCELED as soon as the server stops. */
int twin_server_sleep(struct twin_server *s, int64_t ms);

/* Visit every VM of every cloud, settled, each cloud locked while its
 * VMs are visited: fn must not call back into the server.  Stops early
 * when fn returns nonzero and returns that value. */
typedef int twin_server_vm_fn(void *arg, struct twin_cloud *c, const struct twin_vm *vm);
int twin_server_foreach_vm(struct twin_server *s, twin_server_vm_fn *fn, void *arg);

/* A periodic hook run on the housekeeping thread (no lock held) about
 * every period_ms, until the server stops.  This is where simulated
 * monitoring agents plug in: a ticker walks twin_server_foreach_vm,
 * reads each running VM's user-data for its agent line and pushes
 * metrics.  Register before twin_server_start.  0 or -ENOMEM / -EBUSY. */
typedef void twin_server_tick_fn(void *arg, struct twin_server *s, int64_t now);
int twin_server_add_ticker(struct twin_server *s, int64_t period_ms, twin_server_tick_fn *fn,
			   void *arg);

#endif
