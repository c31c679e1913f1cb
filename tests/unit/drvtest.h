/*
 * drvtest.h - what the driver unit tests share: the recorded answers of one
 * cloud under ../shared/fixtures/libcloud-compute/<cloud>/, collectors for
 * the listing callbacks, loading drivers/<name>.so, and per-call contexts.
 * Header-only: each test binary includes it once.
 */
#ifndef BFS_DRVTEST_H
#define BFS_DRVTEST_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "drivers/driver.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"

#define DRVTEST_MAX 32

static char fixdir[512];	/* "" when ../shared is absent: fixture tests return early */

/* Suite init: find the cloud's fixtures or mark the binary skipped. */
static inline int drvtest_fixtures(const char *cloud)
{
	const char *shared = cu_shared_dir();
	char why[96];

	if (!shared) {
		snprintf(why, sizeof(why), "../shared is absent: no recorded %s answers", cloud);
		cu_skip(why);
	} else {
		snprintf(fixdir, sizeof(fixdir), "%s/fixtures/libcloud-compute/%s", shared, cloud);
	}
	return 0;
}

static inline xmlDoc *fixture(const char *name)
{
	char path[768];
	xmlDoc *doc;

	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	CU_ASSERT_PTR_NOT_NULL(doc);
	return doc;
}

struct vms {
	struct drv_vm v[DRVTEST_MAX];
	int n;
};

static inline int collect_vm(void *arg, const struct drv_vm *vm)
{
	struct vms *vs = arg;

	if (vs->n < DRVTEST_MAX)
		vs->v[vs->n++] = *vm;
	return 0;
}

struct images {
	struct drv_image_info v[DRVTEST_MAX];
	int n;
};

static inline int collect_image(void *arg, const struct drv_image_info *im)
{
	struct images *is = arg;

	if (is->n < DRVTEST_MAX)
		is->v[is->n++] = *im;
	return 0;
}

struct specs {
	struct drv_spec_info v[DRVTEST_MAX];
	int n;
};

static inline int collect_spec(void *arg, const struct drv_spec_info *s)
{
	struct specs *ss = arg;

	if (ss->n < DRVTEST_MAX)
		ss->v[ss->n++] = *s;
	return 0;
}

struct ids {
	char id[DRVTEST_MAX][128];
	int n;
};

static inline int collect_id(void *arg, const struct drv_vm *vm)
{
	struct ids *ids = arg;

	if (ids->n < DRVTEST_MAX)
		snprintf(ids->id[ids->n++], sizeof(ids->id[0]), "%s", vm->csp_id);
	return 0;
}

/* Load $BFS_OUT/drivers/<name>.so (BFS_OUT defaults to "."); NULL with a message on failure. */
static inline const struct drv_ops *drvtest_open(const char *name, void **so)
{
	const char *out = getenv("BFS_OUT");
	char path[512];

	snprintf(path, sizeof(path), "%s/drivers/%s.so", out ? out : ".", name);
	*so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*so) {
		fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
		return NULL;
	}
	return dlsym(*so, DRV_SYMBOL);
}

/* A context whose deadline is ms from now. */
static inline struct drv_ctx ctx_ms(int ms)
{
	return (struct drv_ctx){ .deadline_ms = clock_mono_ms() + ms, .op_id = "test" };
}

#endif
