/*
 * twin_config.h - cloudtwin's configuration: which clouds exist and how
 * each behaves.
 *
 * The file is JSON, either an array of clouds or
 *   {"defaults": {<cloud settings>}, "clouds": [<cloud>, ...]}
 * and is validated strictly (unknown keys are errors, so typos are not
 * silently ignored).  Parsing produces the *normalised* form: an array
 * with one fully populated object per cloud (replicas expanded, defaults
 * merged, catalogs and credentials filled in), which is all the rest of
 * cloudtwin reads.  docs/cloudtwin.md documents every key.
 *
 * Normalised cloud object:
 *   name, dialect, regions[{name, display, zones[]}],
 *   specs[{name, id, vcpus, mem_mib, gpus, arch, price_usd_per_hour, disk_gib, family}],
 *   images[{id, name, os, arch, project, family, description}],
 *   credentials[{...}] (the first is the one /_twin/clouds shows),
 *   quota{vcpus_per_region, max_vms}, delays_ms{create, start, stop, reboot, terminate},
 *   faults{error_rate, latency_ms, stall_rate, stall_ms, drop_rate, rate_limit, burst},
 *   token_ttl_s, terminated_retention_s, clock_skew_s, preload_vms
 */
#ifndef TWIN_CONFIG_H
#define TWIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/sbuf.h"

#define TWIN_CONFIG_MAX_CLOUDS 10000

/* Parse and validate a configuration text.  Returns the normalised array
 * (new reference) or NULL with a one-line reason in err. */
json_t *twin_config_parse(const char *text, size_t len, struct sbuf *err);
/* The same for a file. */
json_t *twin_config_load(const char *path, struct sbuf *err);
/* The default configuration: one cloud per dialect, named after it, two
 * regions each, the example credentials of clouds.md (new reference). */
json_t *twin_config_default(void);
/* Validate a patch of one settings block ("faults" or "quota"; all keys
 * optional) and merge it into `base`, a normalised block.  0 or -EINVAL
 * with the reason in err (base unchanged).  The control API uses it. */
int twin_config_merge_block(const char *block, json_t *base, const json_t *patch,
			    struct sbuf *err);
/* True when `key` belongs to the settings block ("faults" or "quota"). */
bool twin_config_block_has(const char *block, const char *key);

#endif
