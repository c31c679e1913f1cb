/*
 * monitor_int.h - layouts shared by the files of the monitor module
 * (monitor.c: lifecycle, registry, pushes; monitor_jit.c: pulls;
 * monitor_files.c: the tree's texts; monitor_prom.c: /metrics).
 * Not for use outside monitor/.
 *
 * Lock order: vms_lock (the registry), then one VM's lock, then whatever
 * the series store takes.  No lock is held across a network call.
 */
#ifndef BFS_MONITOR_INT_H
#define BFS_MONITOR_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "monitor/collector.h"
#include "monitor/hmap.h"
#include "monitor/monitor.h"
#include "monitor/tsdb.h"

#define MONITOR_DIGEST_LEN 32
#define MONITOR_ADDR_LEN 96

struct monitor_vm {
	atomic_int refs;		/* the registry's one, plus one per user */
	char *id;			/* immutable */
	char *token;			/* immutable; presented on pulls */
	unsigned char digest[MONITOR_DIGEST_LEN];	/* SHA-256 of the token */
	struct tsdb_source *src;	/* its series (own lock) */
	atomic_int interval_s;		/* as the agent says, or the default */
	atomic_int_least64_t last_seen_ms;	/* wall clock of the last push or pull; 0: never */
	pthread_mutex_t lock;		/* guards the fields below */
	pthread_cond_t pulled;		/* signalled when a pull ends (CLOCK_MONOTONIC) */
	char agent_addr[MONITOR_ADDR_LEN];	/* configured, or "" */
	char learned_addr[MONITOR_ADDR_LEN];	/* from pushes, or "" */
	bool pulling;
	int64_t next_pull_ms;		/* monotonic: no pull before (after a failure) */
};

struct monitor {
	struct monitor_opts opts;	/* strings below are ours */
	char *state_dir, *agent_binary;
	char url[160];
	struct tsdb *db;
	struct collector *collector;
	pthread_rwlock_t vms_lock;	/* guards by_id and by_digest */
	struct hmap *by_id;		/* id -> struct monitor_vm */
	struct hmap *by_digest;		/* token digest -> struct monitor_vm */
	pthread_mutex_t parsers_lock;	/* guards parsers, nparsers */
	struct lineproto_parser **parsers;	/* idle parsers for pushes and pulls */
	size_t nparsers, parsers_cap;
	atomic_uint_least64_t pulls, pull_failures;
};

/* The VM named id with a reference taken, or NULL.  Thread-safe. */
struct monitor_vm *monitor_vm_ref(struct monitor *mon, const char *id);
/* Drop a reference; the last one frees the VM (and its series). */
void monitor_vm_unref(struct monitor_vm *vm);

/* A parser from the pool (NULL when out of memory) and back. */
struct lineproto_parser *monitor_parser_get(struct monitor *mon);
void monitor_parser_put(struct monitor *mon, struct lineproto_parser *p);

/* Store a body of line protocol for vm (pushes and pulls both land here). */
int monitor_ingest(struct monitor *mon, struct monitor_vm *vm, const char *body, size_t len,
		   int64_t default_ns, int64_t ns_per_unit, struct lineproto_result *res);

/* The health window: samples and agents older than this are stale. */
int64_t monitor_stale_ms(const struct monitor_vm *vm);

/* Pull a fresh sample from vm's agent when `measurement` is older than
 * jit_age; waits at most jit_timeout_ms.  0 when fresh or refreshed,
 * -EAGAIN when no pull could be made, -ETIMEDOUT / -EIO when it failed. */
int monitor_jit_refresh(struct monitor *mon, struct monitor_vm *vm, const char *measurement);

/* The collector's /metrics (struct collector_ops.scrape). */
int monitor_scrape(void *ctx, struct sbuf *out);

#endif
