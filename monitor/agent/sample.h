/*
 * sample.h - Dragonfly's fields from two snapshots, as line protocol.
 *
 * cpu: percent of the jiffies between the snapshots: cpu_user (user +
 * nice), cpu_system (system + irq + softirq), cpu_idle, cpu_iowait,
 * cpu_steal, and cpu_utilization = 100 - idle - iowait.
 * mem (bytes, from the newer snapshot): mem_total, mem_free, mem_buffers,
 * mem_cached (Cached + SReclaimable, as free(1) counts it), mem_used =
 * total - free - buffers - cached, mem_utilization = used / total * 100.
 * disk (bytes): disk_total, disk_used, disk_free (available to users),
 * disk_utilization = used / (used + free) * 100, as df(1) computes Use%.
 * diskio (per second): kb_read, kb_written (KiB), ops_read, ops_write.
 * net (per second): bytes_in, bytes_out, pkts_in, pkts_out, err_in,
 * err_out, drop_in, drop_out.
 * A counter that went backwards (a device gone, a reset) counts as 0.
 */
#ifndef BFS_AGENT_SAMPLE_H
#define BFS_AGENT_SAMPLE_H

#include "lib/sbuf.h"
#include "monitor/agent/sys.h"

/*
 * Append one line per measurement that both snapshots have (mem and disk
 * need only cur), timestamped with cur's wall clock in nanoseconds.
 * Rates need prev to be older than cur; with prev NULL only mem and disk
 * are written.  0 or sbuf's error.
 */
int agent_sample_format(const struct agent_snapshot *prev, const struct agent_snapshot *cur,
			struct sbuf *out);

#endif
