/*
 * twin_agents.h - simulated barista-agents for cloudtwin's VMs.
 *
 * A VM whose user-data carries the documented agent line
 *   # baristafs-agent collector=URL token=TOKEN interval=SECONDS vm=ID
 * gets an agent while it is running: every interval it pushes Dragonfly's
 * five measurements (cpu, mem, disk, diskio, net) to URL/write with its
 * token, as barista-agent does, with a load that varies plausibly (a slow
 * wave per VM plus noise; mem, disk and network follow the CPU; totals
 * come from the VM's spec).  A VM that stops, suspends or terminates stops
 * pushing; one that runs again starts again.  So thousands of twin VMs
 * report without thousands of processes.
 *
 * How it runs: a ticker on the server's housekeeping thread walks the VMs
 * (twin_server_foreach_vm) and queues the pushes that are due; one sender
 * thread of this module sends them over a few keep-alive connections
 * (libcurl multi).  The queue is bounded: when the collector cannot keep
 * up, the oldest pushes are dropped and counted.  The simulated agents do
 * not answer pulls.
 */
#ifndef TWIN_AGENTS_H
#define TWIN_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "monitor/userdata.h"
#include "tools/cloudtwin/twin_cloud.h"
#include "tools/cloudtwin/twin_server.h"

/* The five lines one simulated agent pushes at wall time now_ms: VM
 * number seq of cloud index `cloud`, its spec (may be NULL).  Appends to out. */
int twin_agents_sample(unsigned cloud, uint64_t seq, const struct twin_spec *spec,
		       int64_t now_ms, struct sbuf *out);

struct twin_agents_opts {
	unsigned connections;	/* per collector; default 16 */
	size_t max_queue;	/* pushes waiting; default 20000 */
	int64_t tick_ms;	/* how often VMs are walked; default 500 */
};

struct twin_agents;

/*
 * Attach simulated agents to a server that has not started (registers its
 * ticker) and start the sender.  0 or -errno with err.  Free it after
 * twin_server_stop() and before twin_server_free().
 */
int twin_agents_new(struct twin_server *s, const struct twin_agents_opts *o,
		    struct twin_agents **out, struct sbuf *err);
void twin_agents_free(struct twin_agents *a);

struct twin_agents_stats {
	size_t agents;		/* VMs with an agent line that are running */
	uint64_t pushes_ok;	/* answered 204 */
	uint64_t pushes_failed;	/* other answers or no answer */
	uint64_t dropped;	/* queued pushes dropped for room */
	size_t queued;
};
void twin_agents_get_stats(struct twin_agents *a, struct twin_agents_stats *st);

#endif
