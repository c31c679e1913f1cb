/*
 * sys.c - reading the kernel's counters; see sys.h.
 *
 * Disk I/O is summed over whole disks only: a partition's I/O is already
 * in its disk's line, and device-mapper, loop, RAM and optical devices
 * either double-count or are not storage.  /sys/block lists exactly the
 * whole disks, so a name counts when /sys/block/<name> exists.
 */
#include "monitor/agent/sys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/sbuf.h"

#define PROC_FILE_MAX (1u << 20)

/* ---- parsers ----------------------------------------------------------------- */

int agent_sys_parse_stat(const char *text, struct agent_snapshot *out)
{
	uint64_t *c = out->cpu;

	/* The aggregate line: "cpu  user nice system idle iowait irq softirq steal ..." */
	if (strncmp(text, "cpu ", 4) != 0)
		return -EINVAL;
	if (sscanf(text + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6],
		   &c[7]) < 4)
		return -EINVAL;
	out->have |= AGENT_HAVE_CPU;
	return 0;
}

/* The kB value of "Key:   1234 kB" in meminfo, or -1. */
static int64_t meminfo_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10);
	}
	return -1;
}

int agent_sys_parse_meminfo(const char *text, struct agent_snapshot *out)
{
	int64_t total = meminfo_kb(text, "MemTotal"), free_kb = meminfo_kb(text, "MemFree");
	int64_t avail = meminfo_kb(text, "MemAvailable"), buffers = meminfo_kb(text, "Buffers");
	int64_t cached = meminfo_kb(text, "Cached"), srecl = meminfo_kb(text, "SReclaimable");

	if (total <= 0 || free_kb < 0 || buffers < 0 || cached < 0)
		return -EINVAL;
	out->mem_total = (uint64_t)total * 1024;
	out->mem_free = (uint64_t)free_kb * 1024;
	out->mem_available = (uint64_t)(avail >= 0 ? avail : free_kb) * 1024;
	out->mem_buffers = (uint64_t)buffers * 1024;
	out->mem_cached = (uint64_t)(cached + (srecl > 0 ? srecl : 0)) * 1024;
	out->have |= AGENT_HAVE_MEM;
	return 0;
}

static bool is_whole_disk(const char *name, const char *sysroot)
{
	static const char *const skip[] = { "loop", "ram", "zram", "dm-", "sr", "fd", "md" };
	char path[512];
	struct stat st;

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		if (strncmp(name, skip[i], strlen(skip[i])) == 0)
			return false;
	}
	snprintf(path, sizeof(path), "%s/block/%s", sysroot, name);
	return stat(path, &st) == 0;
}

int agent_sys_parse_diskstats(const char *text, const char *sysroot, struct agent_snapshot *out)
{
	uint64_t rd_ios, rd_merged, rd_sec, rd_ms, wr_ios, wr_merged, wr_sec;
	unsigned major, minor;
	char name[64];
	int lines = 0;

	out->rd_ios = out->rd_sectors = out->wr_ios = out->wr_sectors = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (sscanf(p, "%u %u %63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64, &major, &minor, name, &rd_ios, &rd_merged,
			   &rd_sec, &rd_ms, &wr_ios, &wr_merged, &wr_sec) != 10)
			continue;
		lines++;
		if (!is_whole_disk(name, sysroot))
			continue;
		out->rd_ios += rd_ios;
		out->rd_sectors += rd_sec;
		out->wr_ios += wr_ios;
		out->wr_sectors += wr_sec;
	}
	if (!lines && *text)
		return -EINVAL;
	out->have |= AGENT_HAVE_DISKIO;
	return 0;
}

int agent_sys_parse_netdev(const char *text, struct agent_snapshot *out)
{
	uint64_t v[16];
	char name[64];
	int seen = 0;

	memset(&out->rx_bytes, 0, 8 * sizeof(uint64_t));
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');
		size_t n;

		if (!colon || (nl && colon > nl))
			continue;	/* the two header lines */
		while (*p == ' ')
			p++;
		n = (size_t)(colon - p);
		if (n == 0 || n >= sizeof(name))
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		if (sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			   &v[8], &v[9], &v[10], &v[11]) != 12)
			return -EINVAL;
		seen++;
		if (strcmp(name, "lo") == 0)
			continue;
		out->rx_bytes += v[0], out->rx_packets += v[1], out->rx_errs += v[2];
		out->rx_drop += v[3];
		out->tx_bytes += v[8], out->tx_packets += v[9], out->tx_errs += v[10];
		out->tx_drop += v[11];
	}
	if (!seen)
		return -EINVAL;
	out->have |= AGENT_HAVE_NET;
	return 0;
}

/* ---- readers ------------------------------------------------------------------- */

static int slurp(const char *root, const char *name, struct sbuf *sb)
{
	char path[512], buf[8192];
	FILE *f;
	size_t n;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	sbuf_reset(sb);
	sb->max = PROC_FILE_MAX;
	while (!rc && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		rc = sbuf_add(sb, buf, n);
	fclose(f);
	if (!rc && !sb->buf)
		rc = sbuf_adds(sb, "");
	return rc;
}

static void read_disk(const char *path, struct agent_snapshot *out)
{
	struct statvfs vs;

	if (statvfs(path, &vs) != 0)
		return;
	out->disk_total = (uint64_t)vs.f_blocks * vs.f_frsize;
	out->disk_used = (uint64_t)(vs.f_blocks - vs.f_bfree) * vs.f_frsize;
	out->disk_avail = (uint64_t)vs.f_bavail * vs.f_frsize;
	out->have |= AGENT_HAVE_DISK;
}

int agent_sys_read(const struct agent_sys *s, struct agent_snapshot *out)
{
	const char *proc = s->proc ? s->proc : "/proc", *sys = s->sys ? s->sys : "/sys";
	struct sbuf sb = SBUF_INIT;

	memset(out, 0, sizeof(*out));
	out->mono_ns = clock_mono_ns();
	out->wall_ns = clock_wall_ms() * 1000000;
	if (slurp(proc, "stat", &sb) == 0)
		agent_sys_parse_stat(sb.buf, out);
	if (slurp(proc, "meminfo", &sb) == 0)
		agent_sys_parse_meminfo(sb.buf, out);
	if (slurp(proc, "diskstats", &sb) == 0)
		agent_sys_parse_diskstats(sb.buf, sys, out);
	if (slurp(proc, "net/dev", &sb) == 0)
		agent_sys_parse_netdev(sb.buf, out);
	read_disk(s->disk_path ? s->disk_path : "/", out);
	sbuf_release(&sb);
	return out->have ? 0 : -EIO;
}
