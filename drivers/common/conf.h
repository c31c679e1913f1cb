/*
 * conf.h - reading a connection's spec and credential (jansson objects,
 * DESIGN.md section 2) into a driver's own fixed buffers, with errors a
 * user can act on ("credential key 'secret_access_key' is missing"), and
 * the endpoint defaults with their {region} placeholder.
 */
#ifndef BFS_DRV_CONF_H
#define BFS_DRV_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "drivers/driver.h"

/*
 * Copy the string obj[key] into buf.  `what` names the object in errors
 * ("spec", "credential").  0; -EINVAL when required and absent, not a
 * string, empty, or too long (err says which key, never its value).  An
 * optional absent key leaves buf "" and returns 0.
 */
int conf_str(const json_t *obj, const char *what, const char *key, bool required, char *buf,
	     size_t len, struct drv_error *err);

/*
 * The endpoint URL: `given` when set, else tmpl with "{region}" replaced;
 * a trailing '/' is ensured.  0 or -EINVAL (too long, not http(s)://).
 */
int conf_endpoint(const char *given, const char *tmpl, const char *region, char *buf,
		  size_t len, struct drv_error *err);

/*
 * The idle HTTP handles a connection keeps (http_client_opts.pool): as
 * many as the calls the engine runs at once on the cloud, spec
 * "concurrency" (the engine's default, 16, when absent), at most 256.
 */
unsigned conf_pool(const json_t *spec);

#endif
