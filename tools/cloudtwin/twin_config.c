/*
 * twin_config.c - parse, validate and normalise the configuration; see
 * twin_config.h.
 *
 * Every check reports the JSON path of the offending value
 * ("clouds[3].faults.error_rate: ...") so that a user can fix a large
 * file.  Validation happens once, here; the model trusts the normalised
 * form.
 */
#include "tools/cloudtwin/twin_config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/names.h"
#include "tools/cloudtwin/twin_catalog.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct num_field {
	const char *key;
	double min, max, def;
	bool integer;
};

static const struct num_field quota_fields[] = {
	{ "vcpus_per_region", 0, 1e9, 1024, true },
	{ "max_vms", 1, 1e6, 100000, true },
};

static const struct num_field delay_fields[] = {
	{ "create", 0, 3600000, 2000, true },
	{ "start", 0, 3600000, 1500, true },
	{ "stop", 0, 3600000, 1500, true },
	{ "reboot", 0, 3600000, 1000, true },
	{ "terminate", 0, 3600000, 1500, true },
};

static const struct num_field fault_fields[] = {
	{ "error_rate", 0, 1, 0, false },
	{ "latency_ms", 0, 600000, 0, true },
	{ "stall_rate", 0, 1, 0, false },
	{ "stall_ms", 0, 600000, 30000, true },
	{ "drop_rate", 0, 1, 0, false },
	{ "rate_limit", 0, 1e6, 0, false },
	{ "burst", 0, 1e6, 0, false },
};

static const struct num_field scalar_fields[] = {
	{ "token_ttl_s", 1, 86400, 3600, true },
	{ "terminated_retention_s", 0, 86400, 3600, true },
	{ "clock_skew_s", 1, 86400, 900, true },
	{ "preload_vms", 0, 1e6, 0, true },
};

/* Path words the fixed-path dialects use at the root; a cloud named so
 * would shadow them. */
static const char *const reserved_names[] = {
	"compute", "token", "o", "oauth2", "subscriptions", "tenants", "common",
	"organizations", "consumers", "providers", "metadata",
};

static int fail(struct sbuf *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct sbuf *err, const char *path, const char *fmt, ...)
{
	va_list ap;

	sbuf_reset(err);
	sbuf_addf(err, "%s: ", path);
	va_start(ap, fmt);
	sbuf_vaddf(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Only keys from `allowed` (NULL-ended) may appear in obj. */
static int check_keys(const json_t *obj, const char *const *allowed, const char *path,
		      struct sbuf *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
			;
		if (!allowed[i])
			return fail(err, path, "unknown key \"%s\"", key);
	}
	return 0;
}

/* Every key of `in` must have been produced in `out`. */
static int only_known(const json_t *in, const json_t *out, const char *path, struct sbuf *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)in, key, v) {
		if (!json_object_get(out, key))
			return fail(err, path, "unknown key \"%s\"", key);
	}
	return 0;
}

/* Normalise a block of numeric fields: defaults from `base` (already
 * normalised, may be NULL) then from the table, overridden by `in`. */
static int num_block(json_t *out, const json_t *in, const json_t *base,
		     const struct num_field *f, size_t n, const char *path, struct sbuf *err)
{
	char p[256];

	if (in && !json_is_object(in))
		return fail(err, path, "must be an %s", "object");
	for (size_t i = 0; i < n; i++) {
		json_t *v = in ? json_object_get(in, f[i].key) : NULL;
		json_t *b = base ? json_object_get(base, f[i].key) : NULL;
		double d = b ? json_number_value(b) : f[i].def;

		snprintf(p, sizeof(p), "%s.%s", path, f[i].key);
		if (v && !json_is_number(v))
			return fail(err, p, "must be a %s", "number");
		if (v)
			d = json_number_value(v);
		if (!(d >= f[i].min && d <= f[i].max))
			return fail(err, p, "must be between %g and %g", f[i].min, f[i].max);
		if (f[i].integer && d != floor(d))
			return fail(err, p, "must be an %s", "integer");
		json_object_set_new(out, f[i].key,
				    f[i].integer ? json_integer((json_int_t)d) : json_real(d));
	}
	return in ? only_known(in, out, path, err) : 0;
}

/* The field table of a settings block, or NULL. */
static const struct num_field *block_fields(const char *block, size_t *n)
{
	if (strcmp(block, "faults") == 0) {
		*n = ARRAY_LEN(fault_fields);
		return fault_fields;
	}
	if (strcmp(block, "quota") == 0) {
		*n = ARRAY_LEN(quota_fields);
		return quota_fields;
	}
	*n = 0;
	return NULL;
}

bool twin_config_block_has(const char *block, const char *key)
{
	size_t n;
	const struct num_field *f = block_fields(block, &n);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].key, key) == 0)
			return true;
	}
	return false;
}

int twin_config_merge_block(const char *block, json_t *base, const json_t *patch,
			    struct sbuf *err)
{
	size_t n;
	const struct num_field *f = block_fields(block, &n);
	json_t *out;
	int rc;

	if (!f)
		return fail(err, block, "no such settings block");
	out = json_object();
	if (!out)
		return -ENOMEM;
	rc = num_block(out, patch, base, f, n, block, err);
	if (!rc)
		json_object_update(base, out);
	json_decref(out);
	return rc;
}

static bool token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '<' || *s == '>' || *s == '&' ||
		    *s == '?' || *s == '#' || *s == '%' || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

static int str_field(json_t *out, const json_t *in, const char *key, const char *def,
		     size_t max, const char *path, struct sbuf *err)
{
	json_t *v = json_object_get(in, key);
	char p[256];

	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!v && !def)
		return fail(err, p, "missing");
	if (v && (!json_is_string(v) || json_string_length(v) > max || !json_string_length(v)))
		return fail(err, p, "must be a non-empty string of at most %s characters",
			    max > 200 ? "256" : "63");
	json_object_set_new(out, key, json_string(v ? json_string_value(v) : def));
	return 0;
}

static int region_one(json_t *out, const json_t *in, const char *path, struct sbuf *err)
{
	static const char *const keys[] = { "name", "display", "zones", NULL };
	json_t *zones = json_object_get(in, "zones"), *z;
	char p[256];
	size_t i;
	int rc;

	if (!json_is_object(in))
		return fail(err, path, "must be an %s", "object");
	rc = check_keys(in, keys, path, err);
	if (!rc)
		rc = str_field(out, in, "name", NULL, 63, path, err);
	if (!rc)
		rc = str_field(out, in, "display", json_string_value(json_object_get(out, "name")),
			       256, path, err);
	if (rc)
		return rc;
	if (!token_ok(json_string_value(json_object_get(out, "name")), 63))
		return fail(err, path, "region name has a forbidden character");
	snprintf(p, sizeof(p), "%s.zones", path);
	if (!json_is_array(zones) || !json_array_size(zones) || json_array_size(zones) > 64)
		return fail(err, p, "must be a non-empty array of zone names");
	json_array_foreach(zones, i, z) {
		if (!json_is_string(z) || !token_ok(json_string_value(z), 63))
			return fail(err, p, "zone names are strings without spaces");
	}
	json_object_set(out, "zones", zones);
	return 0;
}

static int spec_one(json_t *out, const json_t *in, const char *path, struct sbuf *err)
{
	static const char *const keys[] = { "name", "id", "vcpus", "mem_mib", "gpus", "arch",
		"price_usd_per_hour", "disk_gib", "family", NULL };
	static const struct num_field nums[] = {
		{ "vcpus", 1, 4096, -1, true },
		{ "mem_mib", 1, 1 << 30, -1, true },
		{ "gpus", 0, 64, 0, true },
		{ "price_usd_per_hour", 0, 1e6, 0, false },
		{ "disk_gib", 0, 1 << 20, 10, true },
	};
	json_t *nin;
	int rc;

	if (!json_is_object(in))
		return fail(err, path, "must be an %s", "object");
	rc = check_keys(in, keys, path, err);
	if (!rc && (!json_object_get(in, "vcpus") || !json_object_get(in, "mem_mib")))
		rc = fail(err, path, "vcpus and mem_mib are required");
	if (!rc)
		rc = str_field(out, in, "name", NULL, 63, path, err);
	if (!rc && !token_ok(json_string_value(json_object_get(out, "name")), 63))
		rc = fail(err, path, "spec name has a forbidden character");
	if (!rc)
		rc = str_field(out, in, "id", json_string_value(json_object_get(out, "name")), 63,
			       path, err);
	if (!rc)
		rc = str_field(out, in, "arch", "x86_64", 63, path, err);
	if (!rc && json_object_get(in, "family") && !json_is_string(json_object_get(in, "family")))
		rc = fail(err, path, "family must be a string");
	if (rc)
		return rc;
	json_object_set_new(out, "family", json_string(json_object_get(in, "family") ?
		json_string_value(json_object_get(in, "family")) : ""));
	nin = json_deep_copy(in);
	if (!nin)
		return -ENOMEM;
	for (const char *const *k = keys; *k; k++) {
		bool num = false;

		for (size_t i = 0; i < ARRAY_LEN(nums); i++)
			num |= strcmp(nums[i].key, *k) == 0;
		if (!num)
			json_object_del(nin, *k);
	}
	rc = num_block(out, nin, NULL, nums, ARRAY_LEN(nums), path, err);
	json_decref(nin);
	return rc;
}

static int image_one(json_t *out, const json_t *in, const char *path, struct sbuf *err)
{
	static const char *const keys[] = { "id", "name", "os", "arch", "project", "family",
		"description", NULL };
	int rc;

	if (!json_is_object(in))
		return fail(err, path, "must be an %s", "object");
	rc = check_keys(in, keys, path, err);
	if (!rc)
		rc = str_field(out, in, "id", NULL, 256, path, err);
	if (!rc && !token_ok(json_string_value(json_object_get(out, "id")), 256))
		rc = fail(err, path, "image id has a forbidden character");
	if (!rc)
		rc = str_field(out, in, "name", json_string_value(json_object_get(out, "id")), 256,
			       path, err);
	if (!rc)
		rc = str_field(out, in, "os", "linux", 63, path, err);
	if (!rc)
		rc = str_field(out, in, "arch", "x86_64", 63, path, err);
	for (const char *const *k = keys + 4; !rc && *k; k++) {
		json_t *v = json_object_get(in, *k);

		if (v && !json_is_string(v))
			rc = fail(err, path, "%s must be a string", *k);
		else
			json_object_set_new(out, *k, json_string(v ? json_string_value(v) : ""));
	}
	return rc;
}

/* Normalise an array of objects with `one`; `def` when absent. */
static int list_field(json_t *cloud, const json_t *in, const char *key, json_t *def,
		      int (*one)(json_t *, const json_t *, const char *, struct sbuf *),
		      const char *path, struct sbuf *err)
{
	json_t *v = json_object_get(in, key), *item, *out;
	char p[256];
	size_t i;

	if (!v) {
		json_object_set_new(cloud, key, def);
		return 0;
	}
	json_decref(def);
	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > 10000)
		return fail(err, p, "must be a non-empty array");
	out = json_array();
	json_object_set_new(cloud, key, out);
	json_array_foreach(v, i, item) {
		json_t *o = json_object();
		char ip[300];
		int rc;

		snprintf(ip, sizeof(ip), "%s[%zu]", p, i);
		json_array_append_new(out, o);
		rc = one(o, item, ip, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int cred_one(const json_t *cred, const struct twin_catalog *cat, const char *path,
		    struct sbuf *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(cred))
		return fail(err, path, "must be an %s", "object");
	for (const char *const *k = twin_catalog_cred_keys(cat); *k; k++) {
		v = json_object_get(cred, *k);
		if (!json_is_string(v) || !json_string_length(v))
			return fail(err, path, "needs the key \"%s\" as a non-empty string", *k);
	}
	json_object_foreach((json_t *)cred, key, v) {
		if (!json_is_string(v) || json_string_length(v) > 8192)
			return fail(err, path, "\"%s\" must be a string", key);
	}
	return 0;
}

static int creds_field(json_t *cloud, const json_t *in, const struct twin_catalog *cat,
		       const char *name, bool derived, const char *path, struct sbuf *err)
{
	json_t *one = json_object_get(in, "credential"), *many = json_object_get(in, "credentials");
	json_t *list, *c;
	char p[256];
	size_t i;

	if (one && many)
		return fail(err, path, "give credential or credentials, not both");
	if ((one || many) && derived)
		return fail(err, path, "replicas derive their credentials; remove credential");
	list = many ? json_deep_copy(many) : json_array();
	if (!list)
		return -ENOMEM;
	json_object_set_new(cloud, "credentials", list);
	if (one)
		json_array_append(list, one);
	if (!json_array_size(list) && !many)
		json_array_append_new(list, twin_catalog_derive_cred(cat, name));
	if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > 64)
		return fail(err, path, "credentials must be a non-empty array");
	json_array_foreach(list, i, c) {
		snprintf(p, sizeof(p), "%s.credentials[%zu]", path, i);
		if (cred_one(c, cat, p, err))
			return -EINVAL;
	}
	return 0;
}

static const char *const cloud_keys[] = { "name", "dialect", "regions", "specs", "images",
	"credential", "credentials", "quota", "delays_ms", "faults", "token_ttl_s",
	"terminated_retention_s", "clock_skew_s", "preload_vms", "replicas", NULL };

static int name_check(const char *name, const char *path, struct sbuf *err)
{
	if (!name_valid(name))
		return fail(err, path, "name \"%s\" must match [a-z0-9][a-z0-9._-]* (63 max)", name);
	for (size_t i = 0; i < ARRAY_LEN(reserved_names); i++) {
		if (strcmp(name, reserved_names[i]) == 0)
			return fail(err, path, "name \"%s\" is reserved (a root path word)", name);
	}
	return 0;
}

/* The settings blocks shared by a cloud and "defaults". */
static int settings(json_t *out, const json_t *in, const json_t *defaults, const char *path,
		    struct sbuf *err)
{
	static const struct {
		const char *key;
		const struct num_field *f;
		size_t n;
	} blocks[] = {
		{ "quota", quota_fields, ARRAY_LEN(quota_fields) },
		{ "delays_ms", delay_fields, ARRAY_LEN(delay_fields) },
		{ "faults", fault_fields, ARRAY_LEN(fault_fields) },
	};
	json_t *scal = json_object(), *tmp;
	char p[256];
	int rc = 0;

	for (size_t i = 0; !rc && i < ARRAY_LEN(blocks); i++) {
		json_t *b = json_object();

		snprintf(p, sizeof(p), "%s.%s", path, blocks[i].key);
		json_object_set_new(out, blocks[i].key, b);
		rc = num_block(b, json_object_get(in, blocks[i].key),
			       defaults ? json_object_get(defaults, blocks[i].key) : NULL,
			       blocks[i].f, blocks[i].n, p, err);
	}
	tmp = json_object();
	for (size_t i = 0; !rc && i < ARRAY_LEN(scalar_fields); i++) {
		json_t *v = json_object_get(in, scalar_fields[i].key);

		if (v)
			json_object_set(tmp, scalar_fields[i].key, v);
	}
	if (!rc)
		rc = num_block(scal, tmp, defaults, scalar_fields, ARRAY_LEN(scalar_fields), path,
			       err);
	if (!rc)
		json_object_update(out, scal);
	json_decref(scal);
	json_decref(tmp);
	return rc;
}

static int cloud_one(json_t *out, const json_t *in, const char *name, bool derived,
		     const json_t *defaults, const char *path, struct sbuf *err)
{
	const struct twin_catalog *cat;
	const char *dialect = json_string_value(json_object_get(in, "dialect"));
	int rc;

	rc = name_check(name, path, err);
	if (rc)
		return rc;
	cat = dialect ? twin_catalog_find(dialect) : NULL;
	if (!cat)
		return fail(err, path, "dialect must be aws, openstack, gcp, azure or alibaba");
	json_object_set_new(out, "name", json_string(name));
	json_object_set_new(out, "dialect", json_string(dialect));
	rc = list_field(out, in, "regions", twin_catalog_regions(cat), region_one, path, err);
	if (!rc)
		rc = list_field(out, in, "specs", twin_catalog_specs(cat), spec_one, path, err);
	if (!rc)
		rc = list_field(out, in, "images", twin_catalog_images(cat), image_one, path, err);
	if (!rc)
		rc = creds_field(out, in, cat, name, derived, path, err);
	if (!rc)
		rc = settings(out, in, defaults, path, err);
	return rc;
}

/* Validate one cloud entry and append its normalised clouds (replicas
 * expanded) to `all`. */
static int cloud_entry(json_t *all, const json_t *in, const json_t *defaults, const char *path,
		       struct sbuf *err)
{
	json_t *rep = json_object_get(in, "replicas");
	const char *name = json_string_value(json_object_get(in, "name"));
	json_int_t n = 1;
	int rc;

	if (!json_is_object(in))
		return fail(err, path, "must be an %s", "object");
	rc = check_keys(in, cloud_keys, path, err);
	if (rc)
		return rc;
	if (!name)
		return fail(err, path, "name is required");
	if (rep && (!json_is_integer(rep) || json_integer_value(rep) < 1 ||
		    json_integer_value(rep) > TWIN_CONFIG_MAX_CLOUDS))
		return fail(err, path, "replicas must be an integer from 1");
	if (rep)
		n = json_integer_value(rep);
	for (json_int_t i = 1; i <= n; i++) {
		json_t *c = json_object();
		char nm[128];

		if (json_array_size(all) >= TWIN_CONFIG_MAX_CLOUDS)
			return fail(err, path, "too many clouds");
		if (rep)
			snprintf(nm, sizeof(nm), "%s-%03lld", name, (long long)i);
		else
			snprintf(nm, sizeof(nm), "%s", name);
		json_array_append_new(all, c);
		rc = cloud_one(c, in, nm, rep != NULL, defaults, path, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int unique_names(const json_t *all, struct sbuf *err)
{
	json_t *seen = json_object(), *c;
	size_t i;
	int rc = 0;

	json_array_foreach(all, i, c) {
		const char *n = json_string_value(json_object_get(c, "name"));

		if (json_object_get(seen, n)) {
			rc = fail(err, "clouds", "duplicate cloud name \"%s\"", n);
			break;
		}
		json_object_set_new(seen, n, json_true());
	}
	json_decref(seen);
	return rc;
}

static int config_doc(json_t *all, const json_t *doc, struct sbuf *err)
{
	static const char *const top_keys[] = { "defaults", "clouds", NULL };
	static const char *const def_keys[] = { "quota", "delays_ms", "faults", "token_ttl_s",
		"terminated_retention_s", "clock_skew_s", "preload_vms", NULL };
	const json_t *clouds = doc, *defs = NULL;
	json_t *defaults = NULL, *c;
	size_t i;
	int rc = 0;

	if (json_is_object(doc)) {
		rc = check_keys(doc, top_keys, "config", err);
		clouds = json_object_get(doc, "clouds");
		defs = json_object_get(doc, "defaults");
	}
	if (!rc && !json_is_array(clouds))
		rc = fail(err, "config", "must be an array of clouds or {\"clouds\": [...]}");
	if (!rc && defs && !json_is_object(defs))
		rc = fail(err, "defaults", "must be an %s", "object");
	if (!rc && defs)
		rc = check_keys(defs, def_keys, "defaults", err);
	if (!rc && defs) {
		defaults = json_object();
		rc = settings(defaults, defs, NULL, "defaults", err);
	}
	json_array_foreach(clouds, i, c) {
		char p[64];

		if (rc)
			break;
		snprintf(p, sizeof(p), "clouds[%zu]", i);
		rc = cloud_entry(all, c, defaults, p, err);
	}
	if (!rc && !json_array_size(all))
		rc = fail(err, "clouds", "no clouds configured");
	if (!rc)
		rc = unique_names(all, err);
	json_decref(defaults);
	return rc;
}

json_t *twin_config_parse(const char *text, size_t len, struct sbuf *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *all;

	if (!doc) {
		sbuf_reset(err);
		sbuf_addf(err, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	all = json_array();
	if (!all || config_doc(all, doc, err)) {
		json_decref(all);
		all = NULL;
	}
	json_decref(doc);
	return all;
}

json_t *twin_config_load(const char *path, struct sbuf *err)
{
	struct sbuf text = SBUF_INIT;
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;
	json_t *all = NULL;

	text.max = 64u << 20;
	if (!f) {
		sbuf_reset(err);
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (sbuf_add(&text, buf, n)) {
			sbuf_reset(err);
			sbuf_addf(err, "%s: too large (64 MiB at most)", path);
			goto out_close;
		}
	}
	if (ferror(f)) {
		sbuf_reset(err);
		sbuf_addf(err, "%s: read error", path);
		goto out_close;
	}
	all = twin_config_parse(sbuf_str(&text), text.len, err);
out_close:
	fclose(f);
	sbuf_release(&text);
	return all;
}

json_t *twin_config_default(void)
{
	static const char *const dialects[] = { "aws", "openstack", "gcp", "azure", "alibaba" };
	json_t *doc = json_array(), *all;
	struct sbuf err = SBUF_INIT;

	for (size_t i = 0; i < ARRAY_LEN(dialects); i++) {
		const struct twin_catalog *cat = twin_catalog_find(dialects[i]);

		json_array_append_new(doc, json_pack("{s:s,s:s,s:o}", "name", dialects[i],
			"dialect", dialects[i], "credential", twin_catalog_example_cred(cat)));
	}
	all = json_array();
	if (config_doc(all, doc, &err)) {
		json_decref(all);
		all = NULL;
	}
	json_decref(doc);
	sbuf_release(&err);
	return all;
}
