/*
 * drvload.h - loads driver shared objects and checks their ABI.
 *
 * Drivers are found as <dir>/<name>.so and loaded once (dlopen, never
 * unloaded while the engine runs, since connections hold pointers into
 * them).  Thread-safe (own mutex).
 */
#ifndef BFS_DRVLOAD_H
#define BFS_DRVLOAD_H

#include "drivers/driver.h"
#include "lib/sbuf.h"

struct drvload;

struct drvload *drvload_new(const char *dir);
void drvload_free(struct drvload *d);
const char *drvload_dir(const struct drvload *d);
/*
 * The driver called name.  0 and *ops (borrowed for the engine's life);
 * -EINVAL for a bad name, -ENOENT when no such driver exists in the
 * directory, -EPROTO when its ABI does not match, each with a message.
 */
int drvload_get(struct drvload *d, const char *name, const struct drv_ops **ops,
		struct sbuf *why);
/* Names of the drivers present in the directory, newline-separated. */
void drvload_list(struct drvload *d, struct sbuf *out);
/* Check one table (exported for tests). */
int drvload_check(const struct drv_ops *ops, const char *path, struct sbuf *why);

#endif
