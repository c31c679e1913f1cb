/*
 * settings.c - the mock cloud's behaviour settings, read from the cloud's
 * spec object (docs/mock.md lists them with their defaults).
 *
 * Every setting is optional and unknown keys are ignored, as for any
 * driver's spec.  A present key of the wrong type or out of range fails
 * the connection with -EINVAL and a message that names the key, so that
 * `clouds/<c>/spec` shows the user what to fix.  Numbers are read once here
 * and the struct is immutable afterwards: the operations read it without a
 * lock.
 */
#include "drivers/mock/mock_int.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#define DEFAULT_REGION "mock-1"

enum setting_kind {
	KIND_MS,	/* int64 milliseconds in [0, max] */
	KIND_PROB,	/* double in [0, 1] */
	KIND_RATE,	/* double in (0, 1e6] */
	KIND_COUNT,	/* int64 in [min, max] */
};

struct setting_def {
	const char *key;
	enum setting_kind kind;
	size_t off;
	int64_t min, max;	/* KIND_MS and KIND_COUNT */
};

#define MS(k, mx) { #k, KIND_MS, offsetof(struct mock_settings, k), 0, mx }
static const struct setting_def setting_defs[] = {
	MS(boot_ms, MOCK_MAX_DELAY_MS),
	MS(suspend_ms, MOCK_MAX_DELAY_MS),
	MS(resume_ms, MOCK_MAX_DELAY_MS),
	MS(reboot_ms, MOCK_MAX_DELAY_MS),
	MS(terminate_ms, MOCK_MAX_DELAY_MS),
	MS(latency_ms, MOCK_MAX_DELAY_MS),
	MS(terminated_ttl_ms, MOCK_MAX_TTL_MS),
	{ "fail_rate", KIND_PROB, offsetof(struct mock_settings, fail_rate), 0, 0 },
	{ "error_rate", KIND_PROB, offsetof(struct mock_settings, error_rate), 0, 0 },
	{ "rate", KIND_RATE, offsetof(struct mock_settings, rate), 0, 0 },
	{ "burst", KIND_COUNT, offsetof(struct mock_settings, burst), 1, 1000000 },
	{ "quota_vcpus", KIND_COUNT, offsetof(struct mock_settings, quota_vcpus), 0, 1000000000 },
};
#undef MS

static void settings_defaults(struct mock_settings *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->region, DEFAULT_REGION);
	s->boot_ms = 1000;
	s->suspend_ms = 500;
	s->resume_ms = 500;
	s->reboot_ms = 500;
	s->terminate_ms = 500;
	s->terminated_ttl_ms = 3600000;	/* EC2 lists terminated instances about an hour */
	s->quota_vcpus = -1;
}

static int bad_setting(struct drv_error *err, const char *key, const char *what)
{
	return mock_fail(err, EINVAL, "InvalidParameterValue", "mock: setting '%s' must be %s",
			 key, what);
}

static int read_int(const json_t *v, const struct setting_def *d, struct mock_settings *s,
		    struct drv_error *err)
{
	char what[96];
	json_int_t n;

	snprintf(what, sizeof(what), "an integer%s from %lld to %lld",
		 d->kind == KIND_MS ? " number of milliseconds" : "", (long long)d->min,
		 (long long)d->max);
	if (!json_is_integer(v))
		return bad_setting(err, d->key, what);
	n = json_integer_value(v);
	if (n < d->min || n > d->max)
		return bad_setting(err, d->key, what);
	*(int64_t *)((char *)s + d->off) = n;
	return 0;
}

static int read_real(const json_t *v, const struct setting_def *d, struct mock_settings *s,
		     struct drv_error *err)
{
	bool prob = d->kind == KIND_PROB;
	const char *what = prob ? "a number from 0 to 1" : "a number of requests per second above 0";
	double x;

	if (!json_is_number(v))
		return bad_setting(err, d->key, what);
	x = json_number_value(v);
	if (prob && !(x >= 0 && x <= 1))
		return bad_setting(err, d->key, what);
	if (!prob && !(x > 0 && x <= 1e6))
		return bad_setting(err, d->key, what);
	*(double *)((char *)s + d->off) = x;
	return 0;
}

static int read_numbers(const json_t *spec, struct mock_settings *s, struct drv_error *err)
{
	for (size_t i = 0; i < sizeof(setting_defs) / sizeof(setting_defs[0]); i++) {
		const struct setting_def *d = &setting_defs[i];
		const json_t *v = json_object_get(spec, d->key);
		int rc;

		if (!v)
			continue;
		if (d->kind == KIND_MS || d->kind == KIND_COUNT)
			rc = read_int(v, d, s, err);
		else
			rc = read_real(v, d, s, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int read_seed(const json_t *spec, struct mock_settings *s, struct drv_error *err)
{
	const json_t *v = json_object_get(spec, "seed");

	if (!v) {
		if (getrandom(&s->seed, sizeof(s->seed), 0) != (ssize_t)sizeof(s->seed))
			s->seed = (uint64_t)(uintptr_t)s ^ (uint64_t)time(NULL);
		return 0;
	}
	if (!json_is_integer(v))
		return bad_setting(err, "seed", "an integer");
	s->seed = (uint64_t)json_integer_value(v);
	s->seeded = true;
	return 0;
}

static int read_region(const json_t *spec, struct mock_settings *s, struct drv_error *err)
{
	const json_t *v = json_object_get(spec, "region");
	const char *what = "a name of [a-z0-9-] (at most 30 characters)";

	if (!v)
		return 0;
	if (!json_is_string(v) || !mock_name_ok(json_string_value(v), 30))
		return bad_setting(err, "region", what);
	strcpy(s->region, json_string_value(v));
	return 0;
}

static int read_zones(const json_t *spec, struct mock_settings *s, struct drv_error *err)
{
	const json_t *v = json_object_get(spec, "zones");
	const char *what = "a non-empty array of at most 16 zone names of [a-z0-9-]";
	size_t i;
	json_t *z;

	if (!v) {
		for (i = 0; i < 3; i++)
			snprintf(s->zones[i], sizeof(s->zones[i]), "%s%c", s->region, (char)('a' + i));
		s->nzones = 3;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MOCK_MAX_ZONES)
		return bad_setting(err, "zones", what);
	json_array_foreach(v, i, z) {
		if (!json_is_string(z) || !mock_name_ok(json_string_value(z), 63))
			return bad_setting(err, "zones", what);
		strcpy(s->zones[i], json_string_value(z));
	}
	s->nzones = json_array_size(v);
	return 0;
}

static int read_zone(const json_t *spec, struct mock_settings *s, struct drv_error *err)
{
	const json_t *v = json_object_get(spec, "zone");

	if (!v) {
		strcpy(s->zone, s->zones[0]);
		return 0;
	}
	if (!json_is_string(v) || !mock_settings_has_zone(s, json_string_value(v)))
		return mock_fail(err, EINVAL, "InvalidParameterValue",
				 "mock: setting 'zone' must be one of the cloud's zones (%s%s)",
				 s->zones[0], s->nzones > 1 ? ", ..." : "");
	strcpy(s->zone, json_string_value(v));
	return 0;
}

int mock_settings_parse(const json_t *spec, struct mock_settings *s, struct drv_error *err)
{
	int rc;

	settings_defaults(s);
	if (spec && !json_is_object(spec))
		return mock_fail(err, EINVAL, "InvalidParameterValue",
				 "mock: the cloud spec must be a JSON object");
	rc = read_numbers(spec, s, err);
	if (!rc)
		rc = read_seed(spec, s, err);
	if (!rc)
		rc = read_region(spec, s, err);
	if (!rc)
		rc = read_zones(spec, s, err);
	if (!rc)
		rc = read_zone(spec, s, err);
	if (rc)
		return rc;
	if (s->rate > 0 && !json_object_get(spec, "burst"))
		s->burst = s->rate < 1 ? 1 : (int64_t)s->rate;
	return mock_catalog_load(spec, &s->catalog, err);
}

void mock_settings_release(struct mock_settings *s)
{
	mock_catalog_release(&s->catalog);
}

bool mock_settings_has_zone(const struct mock_settings *s, const char *zone)
{
	for (size_t i = 0; i < s->nzones; i++) {
		if (strcmp(s->zones[i], zone) == 0)
			return true;
	}
	return false;
}
