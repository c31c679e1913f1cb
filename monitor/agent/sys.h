/*
 * sys.h - what barista-agent reads from the kernel: /proc/stat,
 * /proc/meminfo, statvfs, /proc/diskstats, /proc/net/dev.
 *
 * A snapshot holds raw counters; rates come from two snapshots (sample.h).
 * The parsers take the files' text so that tests can feed them; the
 * readers take the roots (/proc and /sys, or a test's copies).
 */
#ifndef BFS_AGENT_SYS_H
#define BFS_AGENT_SYS_H

#include <stdint.h>

/* Which parts of a snapshot were read. */
#define AGENT_HAVE_CPU		(1u << 0)
#define AGENT_HAVE_MEM		(1u << 1)
#define AGENT_HAVE_DISK		(1u << 2)
#define AGENT_HAVE_DISKIO	(1u << 3)
#define AGENT_HAVE_NET		(1u << 4)
#define AGENT_HAVE_ALL		0x1fu

enum agent_cpu_field {
	AGENT_CPU_USER, AGENT_CPU_NICE, AGENT_CPU_SYSTEM, AGENT_CPU_IDLE, AGENT_CPU_IOWAIT,
	AGENT_CPU_IRQ, AGENT_CPU_SOFTIRQ, AGENT_CPU_STEAL, AGENT_CPU_NFIELDS
};

struct agent_snapshot {
	unsigned have;
	int64_t mono_ns;	/* when it was taken, for rates */
	int64_t wall_ns;	/* the samples' timestamp */
	uint64_t cpu[AGENT_CPU_NFIELDS];	/* jiffies since boot (aggregate "cpu" line) */
	uint64_t mem_total, mem_free, mem_available, mem_buffers, mem_cached;	/* bytes */
	uint64_t disk_total, disk_used, disk_avail;	/* bytes, of the watched filesystem */
	uint64_t rd_ios, rd_sectors, wr_ios, wr_sectors;	/* whole disks, summed */
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;	/* all interfaces but lo */
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};

struct agent_sys {
	const char *proc;	/* default "/proc" */
	const char *sys;	/* default "/sys" */
	const char *disk_path;	/* filesystem for disk_*; default "/" */
};

/* Fill a snapshot from the running system; parts that cannot be read are
 * left out of `have`.  0, or -EIO when nothing could be read. */
int agent_sys_read(const struct agent_sys *s, struct agent_snapshot *out);

/* The parsers: 0 or -EINVAL (the text is not what the kernel writes). */
int agent_sys_parse_stat(const char *text, struct agent_snapshot *out);
int agent_sys_parse_meminfo(const char *text, struct agent_snapshot *out);
/* sysroot decides which names are whole disks (/sys/block/<name> exists). */
int agent_sys_parse_diskstats(const char *text, const char *sysroot, struct agent_snapshot *out);
int agent_sys_parse_netdev(const char *text, struct agent_snapshot *out);

#endif
