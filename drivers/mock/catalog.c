/*
 * catalog.c - the specs (machine types) and images the mock cloud offers.
 *
 * The built-in catalog is modelled on a real cloud's: general purpose,
 * compute and memory shapes, one arm64 shape and one GPU shape, with
 * on-demand prices in the range EC2 charges for the same sizes.  A cloud
 * spec may replace either list with its own ("specs", "images": arrays of
 * objects); a bad entry fails the connection naming the entry and field.
 */
#include "drivers/mock/mock_int.h"
#include "lib/names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRICE_SOURCE "mock catalog (EC2-like on-demand prices, 2024)"

static const struct drv_spec_info default_specs[] = {
	{ "m1.small", 2, 4, 0, "", "x86_64", 0.0416, PRICE_SOURCE },
	{ "m1.medium", 2, 8, 0, "", "x86_64", 0.096, PRICE_SOURCE },
	{ "m1.large", 4, 16, 0, "", "x86_64", 0.192, PRICE_SOURCE },
	{ "c1.xlarge", 8, 16, 0, "", "x86_64", 0.34, PRICE_SOURCE },
	{ "r1.xlarge", 4, 32, 0, "", "x86_64", 0.252, PRICE_SOURCE },
	{ "a1.large", 4, 16, 0, "", "arm64", 0.154, PRICE_SOURCE },
	{ "g1.xlarge", 4, 16, 1, "NVIDIA T4", "x86_64", 0.526, PRICE_SOURCE },
};

static const struct drv_image_info default_images[] = {
	{ "ubuntu-22.04", "img-0ubuntu2204amd64", "ubuntu", "x86_64",
	  "Ubuntu 22.04 LTS (Jammy Jellyfish)" },
	{ "ubuntu-22.04-arm64", "img-0ubuntu2204arm64", "ubuntu", "arm64",
	  "Ubuntu 22.04 LTS (Jammy Jellyfish), arm64" },
	{ "debian-12", "img-0debian12amd64", "debian", "x86_64", "Debian 12 (bookworm)" },
	{ "debian-12-arm64", "img-0debian12arm64", "debian", "arm64",
	  "Debian 12 (bookworm), arm64" },
	{ "rocky-9", "img-0rocky9amd64", "rocky", "x86_64", "Rocky Linux 9" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A catalog entry being parsed: for messages naming "specs[2].vcpus". */
struct entry {
	const char *list;
	size_t index;
	const json_t *obj;
	struct drv_error *err;
};

static int bad_field(const struct entry *e, const char *field, const char *what)
{
	return mock_fail(e->err, EINVAL, "InvalidParameterValue",
			 "mock: setting '%s[%zu]%s%s' must be %s", e->list, e->index,
			 field ? "." : "", field ? field : "", what);
}

static int field_str(const struct entry *e, const char *field, bool required, char *dst,
		     size_t size)
{
	const json_t *v = json_object_get(e->obj, field);
	char what[64];

	snprintf(what, sizeof(what), "a string of at most %zu characters", size - 1);
	if (!v && !required)
		return 0;
	if (!json_is_string(v) || mock_copy(dst, size, json_string_value(v)))
		return bad_field(e, field, what);
	return 0;
}

static int field_int(const struct entry *e, const char *field, int min, int max, int *dst)
{
	const json_t *v = json_object_get(e->obj, field);
	char what[64];

	snprintf(what, sizeof(what), "an integer from %d to %d", min, max);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad_field(e, field, what);
	*dst = (int)json_integer_value(v);
	return 0;
}

static int field_real(const struct entry *e, const char *field, double max, double *dst)
{
	const json_t *v = json_object_get(e->obj, field);
	char what[64];

	snprintf(what, sizeof(what), "a number from 0 to %g", max);
	if (!v)
		return 0;
	if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= max))
		return bad_field(e, field, what);
	*dst = json_number_value(v);
	return 0;
}

static int field_name(const struct entry *e, char *dst, size_t size)
{
	int rc = field_str(e, "name", true, dst, size);

	if (rc)
		return rc;
	if (!name_valid(dst))
		return bad_field(e, "name", "a name of [a-z0-9._-] starting with [a-z0-9]");
	return 0;
}

static int field_arch(const struct entry *e, char *dst, size_t size)
{
	int rc = field_str(e, "arch", false, dst, size);

	if (rc)
		return rc;
	if (strcmp(dst, "x86_64") != 0 && strcmp(dst, "arm64") != 0)
		return bad_field(e, "arch", "\"x86_64\" or \"arm64\"");
	return 0;
}

static int parse_spec(const struct entry *e, void *item)
{
	struct drv_spec_info *sp = item;
	int rc;

	memset(sp, 0, sizeof(*sp));
	strcpy(sp->arch, "x86_64");
	strcpy(sp->price_source, "mock spec");
	sp->price_usd_per_hour = -1;
	rc = field_name(e, sp->name, sizeof(sp->name));
	if (!rc && !json_object_get(e->obj, "vcpus"))
		rc = bad_field(e, "vcpus", "given (an integer from 1 to 1024)");
	if (!rc)
		rc = field_int(e, "vcpus", 1, 1024, &sp->vcpus);
	if (!rc)
		rc = field_real(e, "mem_gib", 65536, &sp->mem_gib);
	if (!rc)
		rc = field_int(e, "gpus", 0, 64, &sp->gpus);
	if (!rc)
		rc = field_str(e, "gpu_model", false, sp->gpu_model, sizeof(sp->gpu_model));
	if (!rc)
		rc = field_arch(e, sp->arch, sizeof(sp->arch));
	if (!rc)
		rc = field_real(e, "price_usd_per_hour", 1e6, &sp->price_usd_per_hour);
	return rc;
}

static int parse_image(const struct entry *e, void *item)
{
	struct drv_image_info *im = item;
	int rc;

	memset(im, 0, sizeof(*im));
	strcpy(im->arch, "x86_64");
	rc = field_name(e, im->name, sizeof(im->name));
	if (rc)
		return rc;
	snprintf(im->id, sizeof(im->id), "img-%.63s", im->name);	/* names are <= 63 */
	rc = field_str(e, "id", false, im->id, sizeof(im->id));
	if (!rc)
		rc = field_str(e, "os", false, im->os, sizeof(im->os));
	if (!rc)
		rc = field_arch(e, im->arch, sizeof(im->arch));
	if (!rc)
		rc = field_str(e, "description", false, im->description, sizeof(im->description));
	return rc;
}

/*
 * Parse the array at spec[list] into *out (n entries of `size` bytes),
 * calling parse() for each and refusing duplicate names (every entry type
 * starts with its name).  A missing key copies the defaults.
 */
static int parse_list(const json_t *spec, const char *list, const void *defaults, size_t ndef,
		      size_t size, int (*parse)(const struct entry *, void *), void **out,
		      size_t *n, struct drv_error *err)
{
	const json_t *arr = json_object_get(spec, list);
	struct entry e = { .list = list, .err = err };
	char *items;
	int rc = 0;

	if (arr && (!json_is_array(arr) || json_array_size(arr) == 0 ||
		    json_array_size(arr) > MOCK_MAX_CATALOG))
		return mock_fail(err, EINVAL, "InvalidParameterValue",
				 "mock: setting '%s' must be an array of 1 to %d objects", list,
				 MOCK_MAX_CATALOG);
	*n = arr ? json_array_size(arr) : ndef;
	items = calloc(*n, size);
	if (!items)
		return -ENOMEM;
	if (!arr) {
		memcpy(items, defaults, ndef * size);
		*out = items;
		return 0;
	}
	for (e.index = 0; e.index < *n && !rc; e.index++) {
		e.obj = json_array_get(arr, e.index);
		rc = json_is_object(e.obj) ? parse(&e, items + e.index * size)
					   : bad_field(&e, NULL, "an object");
		for (size_t j = 0; !rc && j < e.index; j++) {
			if (strcmp(items + j * size, items + e.index * size) == 0)
				rc = bad_field(&e, "name", "unique in the list");
		}
	}
	if (rc) {
		free(items);
		return rc;
	}
	*out = items;
	return 0;
}

int mock_catalog_load(const json_t *spec, struct mock_catalog *cat, struct drv_error *err)
{
	void *specs = NULL, *images = NULL;
	int rc;

	rc = parse_list(spec, "specs", default_specs, NELEM(default_specs),
			sizeof(struct drv_spec_info), parse_spec, &specs, &cat->nspecs, err);
	if (rc)
		return rc;
	rc = parse_list(spec, "images", default_images, NELEM(default_images),
			sizeof(struct drv_image_info), parse_image, &images, &cat->nimages,
			err);
	if (rc) {
		free(specs);
		return rc;
	}
	cat->specs = specs;
	cat->images = images;
	return 0;
}

void mock_catalog_release(struct mock_catalog *cat)
{
	free(cat->specs);
	free(cat->images);
	cat->specs = NULL;
	cat->images = NULL;
	cat->nspecs = cat->nimages = 0;
}

const struct drv_spec_info *mock_catalog_spec(const struct mock_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->nspecs; i++) {
		if (strcmp(cat->specs[i].name, name) == 0)
			return &cat->specs[i];
	}
	return NULL;
}

const struct drv_image_info *mock_catalog_image(const struct mock_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->nimages; i++) {
		if (strcmp(cat->images[i].name, name) == 0)
			return &cat->images[i];
	}
	return NULL;
}
