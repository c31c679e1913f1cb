/*
 * sample.c - Dragonfly's fields from snapshots, as line protocol; see
 * sample.h for each field's definition.
 *
 * Byte counts go out as integers (`123i`), percentages and rates as floats
 * rounded to three decimals: the same field always has the same type, as
 * InfluxDB requires.
 */
#include "monitor/agent/sample.h"

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>

#include "monitor/numfmt.h"

/* A field as it goes on the wire. */
struct field {
	const char *name;
	bool integer;
	double v;
};

static double delta(uint64_t now, uint64_t before)
{
	return now >= before ? (double)(now - before) : 0;
}

static double round3(double v)
{
	return round(v * 1000) / 1000;
}

static int add_line(struct sbuf *out, const char *measurement, const struct field *f, size_t n,
		    int64_t ts)
{
	int rc = sbuf_adds(out, measurement);

	for (size_t i = 0; !rc && i < n; i++) {
		rc = sbuf_addf(out, "%c%s=", i ? ',' : ' ', f[i].name);
		if (!rc && f[i].integer)
			rc = sbuf_addf(out, "%" PRIu64 "i", (uint64_t)f[i].v);
		else if (!rc)
			rc = numfmt_double(out, round3(f[i].v));
	}
	return rc ? rc : sbuf_addf(out, " %" PRId64 "\n", ts);
}

static int add_cpu(struct sbuf *out, const struct agent_snapshot *a, const struct agent_snapshot *b)
{
	double d[AGENT_CPU_NFIELDS], total = 0;

	for (int i = 0; i < AGENT_CPU_NFIELDS; i++) {
		d[i] = delta(b->cpu[i], a->cpu[i]);
		total += d[i];
	}
	if (total <= 0)
		return 0;	/* no tick passed: nothing to say yet */
	for (int i = 0; i < AGENT_CPU_NFIELDS; i++)
		d[i] = d[i] * 100 / total;
	const struct field f[] = {
		{ "cpu_utilization", false, 100 - d[AGENT_CPU_IDLE] - d[AGENT_CPU_IOWAIT] },
		{ "cpu_user", false, d[AGENT_CPU_USER] + d[AGENT_CPU_NICE] },
		{ "cpu_system", false, d[AGENT_CPU_SYSTEM] + d[AGENT_CPU_IRQ] + d[AGENT_CPU_SOFTIRQ] },
		{ "cpu_idle", false, d[AGENT_CPU_IDLE] },
		{ "cpu_iowait", false, d[AGENT_CPU_IOWAIT] },
		{ "cpu_steal", false, d[AGENT_CPU_STEAL] },
	};
	return add_line(out, "cpu", f, 6, b->wall_ns);
}

static int add_mem(struct sbuf *out, const struct agent_snapshot *b)
{
	uint64_t used = b->mem_total - b->mem_free - b->mem_buffers - b->mem_cached;

	if (b->mem_free + b->mem_buffers + b->mem_cached > b->mem_total)
		used = b->mem_total - b->mem_available;
	const struct field f[] = {
		{ "mem_utilization", false, (double)used * 100 / (double)b->mem_total },
		{ "mem_total", true, (double)b->mem_total },
		{ "mem_used", true, (double)used },
		{ "mem_free", true, (double)b->mem_free },
		{ "mem_cached", true, (double)b->mem_cached },
		{ "mem_buffers", true, (double)b->mem_buffers },
	};
	return add_line(out, "mem", f, 6, b->wall_ns);
}

static int add_disk(struct sbuf *out, const struct agent_snapshot *b)
{
	double denom = (double)(b->disk_used + b->disk_avail);
	const struct field f[] = {
		{ "disk_utilization", false, denom > 0 ? (double)b->disk_used * 100 / denom : 0 },
		{ "disk_total", true, (double)b->disk_total },
		{ "disk_used", true, (double)b->disk_used },
		{ "disk_free", true, (double)b->disk_avail },
	};
	return add_line(out, "disk", f, 4, b->wall_ns);
}

static int add_diskio(struct sbuf *out, const struct agent_snapshot *a,
		      const struct agent_snapshot *b, double secs)
{
	const struct field f[] = {
		{ "kb_read", false, delta(b->rd_sectors, a->rd_sectors) * 512 / 1024 / secs },
		{ "kb_written", false, delta(b->wr_sectors, a->wr_sectors) * 512 / 1024 / secs },
		{ "ops_read", false, delta(b->rd_ios, a->rd_ios) / secs },
		{ "ops_write", false, delta(b->wr_ios, a->wr_ios) / secs },
	};
	return add_line(out, "diskio", f, 4, b->wall_ns);
}

static int add_net(struct sbuf *out, const struct agent_snapshot *a, const struct agent_snapshot *b,
		   double secs)
{
	const struct field f[] = {
		{ "bytes_in", false, delta(b->rx_bytes, a->rx_bytes) / secs },
		{ "bytes_out", false, delta(b->tx_bytes, a->tx_bytes) / secs },
		{ "pkts_in", false, delta(b->rx_packets, a->rx_packets) / secs },
		{ "pkts_out", false, delta(b->tx_packets, a->tx_packets) / secs },
		{ "err_in", false, delta(b->rx_errs, a->rx_errs) / secs },
		{ "err_out", false, delta(b->tx_errs, a->tx_errs) / secs },
		{ "drop_in", false, delta(b->rx_drop, a->rx_drop) / secs },
		{ "drop_out", false, delta(b->tx_drop, a->tx_drop) / secs },
	};
	return add_line(out, "net", f, 8, b->wall_ns);
}

static bool both(const struct agent_snapshot *a, const struct agent_snapshot *b, unsigned bit)
{
	return a && (a->have & bit) && (b->have & bit);
}

int agent_sample_format(const struct agent_snapshot *prev, const struct agent_snapshot *cur,
			struct sbuf *out)
{
	double secs = prev ? (double)(cur->mono_ns - prev->mono_ns) / 1e9 : 0;
	bool rates = prev && secs > 0;
	int rc = 0;

	if (rates && both(prev, cur, AGENT_HAVE_CPU))
		rc = add_cpu(out, prev, cur);
	if (!rc && (cur->have & AGENT_HAVE_MEM))
		rc = add_mem(out, cur);
	if (!rc && (cur->have & AGENT_HAVE_DISK))
		rc = add_disk(out, cur);
	if (!rc && rates && both(prev, cur, AGENT_HAVE_DISKIO))
		rc = add_diskio(out, prev, cur, secs);
	if (!rc && rates && both(prev, cur, AGENT_HAVE_NET))
		rc = add_net(out, prev, cur, secs);
	return rc;
}
