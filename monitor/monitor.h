/*
 * monitor.h - the monitor as the engine sees it: one handle that owns the
 * collector (HTTP, where agents push), the series store, the VM registry
 * with each VM's token, and the text of every metrics file in the tree.
 *
 * The engine makes one monitor at start-up, registers each VM it knows
 * (monitor_vm_add, with the token it issued and stored at creation), and
 * serves the tree's files from monitor_read_*().  Nothing here includes
 * engine or fs headers; VM ids are opaque strings such as "group/vm".
 *
 * Reads are thread-safe and fast: they lock only the VM they read.  A read
 * of vms/<v>/metrics/<m> whose newest sample is older than jit_age asks the
 * VM's agent for a fresh one (one pull per VM at a time, other readers
 * wait for it), but never past jit_timeout_ms; when the pull fails the
 * cached sample is shown with its age.  No lock is held across a pull.
 *
 * Every function returns 0 or a negative errno; text goes to the caller's
 * sbuf (appended), whose ceiling is respected (-E2BIG).
 */
#ifndef BFS_MONITOR_H
#define BFS_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

struct monitor_opts {
	const char *listen;		/* collector "HOST:PORT"; default "127.0.0.1:0" (a free port) */
	const char *advertise_url;	/* the URL agents are given; default http://<bound address> */
	const char *state_dir;		/* rollups (LevelDB) live here; NULL keeps no history */
	int64_t retention_s;		/* -o metrics_retention=; default 7 days */
	int jit_age_ms;			/* -o jit_age=; default 2 intervals */
	int jit_timeout_ms;		/* deadline of one JIT pull; default 300 */
	int interval_s;			/* agents' push interval; default 5 */
	int window_s;			/* recent samples kept in memory; default 300 */
	unsigned threads;		/* collector threads; default online CPUs */
	size_t max_body;		/* per push; default 16 MiB */
	size_t max_inflight;		/* buffered across pushes; default 256 MiB */
	const char *agent_binary;	/* served at <url>/agent/barista-agent; NULL: not served */
	int ingest_nice;		/* the collector's threads run this much nicer (0: as the process) */
};

#define MONITOR_TOKEN_LEN 64	/* hex characters of monitor_token_new() */
#define MONITOR_AGENT_PORT 8095	/* where barista-agent answers pulls by default */

struct monitor;

/*
 * Start the collector and open the store under opts->state_dir (created
 * when needed).  0 and *out; -EINVAL / -EADDRINUSE / -EIO with a message
 * in *err (caller frees) when err is non-NULL.
 */
int monitor_new(const struct monitor_opts *opts, struct monitor **out, char **err);
/* Stop the collector, close open minutes into the store, free.  NULL is a no-op. */
void monitor_free(struct monitor *mon);

/* "HOST:PORT" the collector listens on: what system/collector shows.  Borrowed. */
const char *monitor_address(const struct monitor *mon);
/* The URL agents push to (advertise_url or http://HOST:PORT).  Borrowed. */
const char *monitor_url(const struct monitor *mon);

/* A fresh token: MONITOR_TOKEN_LEN hex characters and a NUL into buf
 * (len > MONITOR_TOKEN_LEN).  0, -EINVAL, -EIO (no randomness). */
int monitor_token_new(char *buf, size_t len);

/*
 * Register a VM.  vm_id: 1..255 characters, no whitespace or control
 * characters.  token: 16..128 printable characters without spaces (the
 * monitor keeps it to authenticate pushes and to present on pulls).
 * agent_addr: "HOST:PORT" the agent answers pulls on, or NULL (then it is
 * learned from the agent's pushes).  -EEXIST, -EINVAL, -ENOMEM.
 */
int monitor_vm_add(struct monitor *mon, const char *vm_id, const char *token,
		   const char *agent_addr);
/* Set (or with NULL forget) where the VM's agent answers pulls.  -ENOENT, -EINVAL. */
int monitor_vm_set_agent(struct monitor *mon, const char *vm_id, const char *agent_addr);
/* Forget a VM: its token stops working at once; its history stays in the
 * store until retention removes it.  -ENOENT. */
int monitor_vm_remove(struct monitor *mon, const char *vm_id);

/*
 * The text of vms/<v>/metrics/<m>: flat keyed, the Dragonfly fields of m in
 * their order (then any other fields the agent sent), then
 *   observed_at <RFC 3339>   when the sample was taken
 *   period_s <s>             what the sample's rates cover
 *   age_s <s>                how old it is now
 * A VM with no sample of m yet reads "observed_at none", "period_s
 * <interval>", "age_s none".  -ENOENT for an unknown VM, or for a
 * measurement that is neither Dragonfly's nor ever reported.
 */
int monitor_read_vm(struct monitor *mon, const char *vm_id, const char *measurement,
		    struct sbuf *out);

/* The measurements vms/<v>/metrics lists: the five, then others reported,
 * one per line.  -ENOENT for an unknown VM. */
int monitor_list_measurements(struct monitor *mon, const char *vm_id, struct sbuf *out);

/*
 * The text of vms/<v>/agent:
 *   status healthy|unhealthy|absent
 *   last_seen <RFC 3339>|none
 *   interval_s <n>
 *   pull <HOST:PORT>|none
 * absent: nothing heard since the VM was registered; unhealthy: nothing for
 * more than 3 intervals (plus half an interval of grace).  -ENOENT.
 */
int monitor_read_agent(struct monitor *mon, const char *vm_id, struct sbuf *out);

/*
 * The text of vms/<v>/agent.conf: the settings barista-agent needs on that
 * VM (collector=, token=, interval=, vm=), exactly what the user-data block
 * writes to /etc/baristafs/agent.conf; for installing an agent by hand.
 * It holds the token: the tree serves it 0400.  -ENOENT.
 */
int monitor_read_agent_conf(struct monitor *mon, const char *vm_id, struct sbuf *out);

/*
 * The text of groups/<g>/metrics/<m> over the given VMs:
 *   <field>_avg, <field>_min, <field>_max   for every field, in file order
 *   vms_reporting <n>   VMs whose sample counts (not older than 3.5 intervals)
 *   vms_total <n>
 *   observed_at <newest sample>|none
 * Cached samples only (no pulls).  Unknown ids count in vms_total only.
 */
int monitor_read_group(struct monitor *mon, const char *const *vm_ids, size_t n,
		       const char *measurement, struct sbuf *out);

/*
 * The text of vms/<v>/metrics/<m>.history: one line per closed minute,
 * oldest first, for as long as retention keeps them:
 *   <minute RFC 3339> samples=<n> <field>_avg=<v> <field>_min=<v> <field>_max=<v> <field>_last=<v> ...
 * Works for VMs no longer registered.  -ENOENT when the monitor keeps no
 * history (no state_dir).
 */
int monitor_read_history(struct monitor *mon, const char *vm_id, const char *measurement,
			 struct sbuf *out);

/*
 * User-data for a new VM: user_data_in (may be NULL or empty) with the
 * agent block added, which holds the documented line
 *   # baristafs-agent collector=URL token=TOKEN interval=SECONDS vm=ID
 * and the commands that install and start barista-agent (see
 * docs/monitoring.md).  A shell script gets the block after its #! line;
 * anything else (cloud-config, ...) becomes a MIME multi-part with the
 * block as its first part.  An old block is replaced, so this is
 * idempotent.  -EINVAL for ids or tokens a shell could misread.
 */
int monitor_userdata(struct monitor *mon, const char *vm_id, const char *token,
		     const char *user_data_in, struct sbuf *out);

/* A duration as options give it: "90" or "90s", "500ms", "5m", "24h", "7d".
 * 0 and *ms, or -EINVAL. */
int monitor_parse_duration(const char *s, int64_t *ms);

/* Flat keyed counters for system/ files: vms, series, samples_total, ... */
int monitor_read_stats(struct monitor *mon, struct sbuf *out);

#endif
