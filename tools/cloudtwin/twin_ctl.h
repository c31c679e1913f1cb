/*
 * twin_ctl.h - the /_twin/ control API (JSON), documented in
 * docs/cloudtwin.md:
 *
 *   GET  /_twin/health                      {"status": "ok", ...}
 *   GET  /_twin/clouds                      every cloud: how to connect to it
 *   GET  /_twin/clouds/{c}                  one cloud
 *   GET  /_twin/clouds/{c}/inventory        its VMs (leak checks)
 *   GET  /_twin/inventory                   every cloud's VMs
 *   GET  /_twin/clouds/{c}/faults           fault, rate-limit and quota settings
 *   PUT|PATCH|POST /_twin/clouds/{c}/faults change some of them
 *   GET  /_twin/clouds/{c}/stats            request counters
 *   POST /_twin/clouds/{c}/reset            back to its start: configured
 *                                           settings, default resources and
 *                                           preloaded VMs only
 *   POST /_twin/reset                       the same for every cloud
 */
#ifndef TWIN_CTL_H
#define TWIN_CTL_H

#include <stdbool.h>

#include "tools/cloudtwin/twin_dialect.h"

/* True when the path belongs to the control API. */
bool twin_ctl_match(const char *path);
/* Serve a control request (ctx->cloud is NULL; ctx->path is the full path). */
void twin_ctl_handle(struct twin_ctx *ctx);

#endif
