/*
 * drvload.c - driver loading and ABI checks; see drvload.h.
 */
#include "engine/drvload.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/names.h"

struct loaded {
	char *name;
	void *handle;
	const struct drv_ops *ops;
};

struct drvload {
	char *dir;
	pthread_mutex_t lock;	/* guards loaded[] */
	struct loaded *loaded;
	size_t n;
};

struct drvload *drvload_new(const char *dir)
{
	struct drvload *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->dir = strdup(dir);
	pthread_mutex_init(&d->lock, NULL);
	return d;
}

void drvload_free(struct drvload *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		dlclose(d->loaded[i].handle);
		free(d->loaded[i].name);
	}
	free(d->loaded);
	pthread_mutex_destroy(&d->lock);
	free(d->dir);
	free(d);
}

const char *drvload_dir(const struct drvload *d)
{
	return d->dir;
}

int drvload_check(const struct drv_ops *ops, const char *path, struct sbuf *why)
{
	if (ops->abi_version != DRV_ABI_VERSION) {
		sbuf_addf(why, "driver %s has ABI version %u, this baristafs needs ABI version %u",
			  path, ops->abi_version, DRV_ABI_VERSION);
		return -EPROTO;
	}
	if (ops->size < offsetof(struct drv_ops, cleanup) + sizeof(ops->cleanup)) {
		sbuf_addf(why, "driver %s has a table of %u bytes, smaller than ABI %u's %zu",
			  path, ops->size, DRV_ABI_VERSION, sizeof(struct drv_ops));
		return -EPROTO;
	}
	if (!ops->name || !ops->connect || !ops->disconnect) {
		sbuf_addf(why, "driver %s lacks a name, connect or disconnect", path);
		return -EPROTO;
	}
	return 0;
}

static int load(struct drvload *d, const char *name, const struct drv_ops **ops,
		struct sbuf *why)
{
	struct sbuf path = SBUF_INIT;
	struct loaded *grown;
	void *h;
	int rc;

	sbuf_addf(&path, "%s/%s.so", d->dir, name);
	h = dlopen(path.buf, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		sbuf_addf(why, "no driver \"%s\" in %s (%s)", name, d->dir, dlerror());
		sbuf_release(&path);
		return -ENOENT;
	}
	*ops = dlsym(h, DRV_SYMBOL);
	rc = *ops ? drvload_check(*ops, path.buf, why) : -EPROTO;
	if (!*ops)
		sbuf_addf(why, "%s does not export %s", path.buf, DRV_SYMBOL);
	grown = rc ? NULL : realloc(d->loaded, (d->n + 1) * sizeof(*d->loaded));
	if (!rc && !grown)
		rc = -ENOMEM;
	if (rc) {
		dlclose(h);
	} else {
		d->loaded = grown;
		d->loaded[d->n++] = (struct loaded){ strdup(name), h, *ops };
	}
	sbuf_release(&path);
	return rc;
}

int drvload_get(struct drvload *d, const char *name, const struct drv_ops **ops,
		struct sbuf *why)
{
	int rc;

	if (!name_valid(name) || strchr(name, '.')) {
		sbuf_addf(why, "\"%s\" is not a driver name", name);
		return -EINVAL;
	}
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->loaded[i].name, name) == 0) {
			*ops = d->loaded[i].ops;
			pthread_mutex_unlock(&d->lock);
			return 0;
		}
	}
	rc = load(d, name, ops, why);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void drvload_list(struct drvload *d, struct sbuf *out)
{
	DIR *dir = opendir(d->dir);
	struct dirent *de;
	char *names[256];
	size_t n = 0;

	while (dir && (de = readdir(dir)) && n < 256) {
		size_t len = strlen(de->d_name);

		if (len > 3 && strcmp(de->d_name + len - 3, ".so") == 0)
			names[n++] = strndup(de->d_name, len - 3);
	}
	if (dir)
		closedir(dir);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		sbuf_addf(out, "%s\n", names[i]);
		free(names[i]);
	}
}
