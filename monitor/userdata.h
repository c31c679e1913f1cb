/*
 * userdata.h - the agent block in a VM's user-data, written and read.
 *
 * The block carries one documented line that both a booting VM and
 * cloudtwin's simulated agents look for:
 *   # baristafs-agent collector=URL token=TOKEN interval=SECONDS vm=ID
 * followed by the shell commands that install barista-agent (already in
 * the image, or fetched from the collector's /agent/barista-agent), write
 * /etc/baristafs/agent.conf and start the systemd unit (or, without
 * systemd, the agent in the background).  The block sits between
 *   # >>> baristafs-agent   and   # <<< baristafs-agent
 * so that writing it again replaces it.
 */
#ifndef BFS_USERDATA_H
#define BFS_USERDATA_H

#include <stddef.h>

#include "lib/sbuf.h"

struct userdata_agent {
	char collector[256];	/* URL, e.g. http://10.0.0.5:8428 */
	char token[160];
	int interval_s;
	char vm[256];
};

/* in (may be NULL) with the block for a added, into out.  0, -EINVAL (a
 * value a shell could misread), or sbuf's error. */
int userdata_inject(const struct userdata_agent *a, const char *in, struct sbuf *out);

/* Find the line in a user-data text and parse it.  0, -ENOENT (no line),
 * -EINVAL (a line that lacks collector, token or vm, or has a bad value). */
int userdata_parse(const char *text, size_t len, struct userdata_agent *out);

/* The systemd unit the block installs; identical to the shipped
 * monitor/agent/barista-agent.service. */
const char *userdata_systemd_unit(void);

#endif
