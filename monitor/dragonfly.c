/*
 * dragonfly.c - the Dragonfly measurement table; see dragonfly.h.
 */
#include "monitor/dragonfly.h"

#include <string.h>

static const char *const cpu_fields[] = {
	"cpu_utilization", "cpu_user", "cpu_system", "cpu_idle", "cpu_iowait", "cpu_steal", NULL,
};
static const char *const mem_fields[] = {
	"mem_utilization", "mem_total", "mem_used", "mem_free", "mem_cached", "mem_buffers", NULL,
};
static const char *const disk_fields[] = {
	"disk_utilization", "disk_total", "disk_used", "disk_free", NULL,
};
static const char *const diskio_fields[] = {
	"kb_read", "kb_written", "ops_read", "ops_write", NULL,
};
static const char *const net_fields[] = {
	"bytes_in", "bytes_out", "pkts_in", "pkts_out", "err_in", "err_out", "drop_in", "drop_out",
	NULL,
};

const struct dragonfly_measurement dragonfly_measurements[] = {
	{ "cpu", cpu_fields, 6 },
	{ "mem", mem_fields, 6 },
	{ "disk", disk_fields, 4 },
	{ "diskio", diskio_fields, 4 },
	{ "net", net_fields, 8 },
};

const size_t dragonfly_count = sizeof(dragonfly_measurements) / sizeof(dragonfly_measurements[0]);

const struct dragonfly_measurement *dragonfly_find(const char *name)
{
	for (size_t i = 0; i < dragonfly_count; i++) {
		if (strcmp(dragonfly_measurements[i].name, name) == 0)
			return &dragonfly_measurements[i];
	}
	return NULL;
}
