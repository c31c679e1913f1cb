/*
 * dragonfly.h - the measurements and fields of CB-Dragonfly that the tree
 * shows (DESIGN.md section 6), in the order files list them.  The agent
 * produces exactly these; the collector accepts anything else too.
 *
 * Units: *_utilization and cpu_* are percent of the period; mem_* and
 * disk_* are bytes; kb_read / kb_written are KiB per second, ops_* are
 * operations per second; net fields are bytes, packets, errors and drops
 * per second.
 */
#ifndef BFS_DRAGONFLY_H
#define BFS_DRAGONFLY_H

#include <stddef.h>

struct dragonfly_measurement {
	const char *name;
	const char *const *fields;	/* NULL-terminated */
	size_t nfields;
};

/* The five measurements: cpu, mem, disk, diskio, net. */
extern const struct dragonfly_measurement dragonfly_measurements[];
extern const size_t dragonfly_count;

/* The entry for `name`, or NULL when it is not a Dragonfly measurement. */
const struct dragonfly_measurement *dragonfly_find(const char *name);

#endif
