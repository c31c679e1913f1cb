/*
 * gspec.c - group spec parser and validator; see gspec.h.
 *
 * Strict on purpose: an unknown key is an error naming it, because a typo
 * such as "cout" silently ignored would create a group of zero VMs.  The
 * placement keys of DESIGN.md section 3 are recognised and refused with a
 * clear message until the placement issue lands.
 */
#include "engine/gspec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonutil.h"
#include "lib/names.h"

static const char *const placement_keys[] = {
	"vcpus", "mem_gib", "gpus", "max_price", "clouds", "policy", "location", "weights", NULL,
};
static const char *const sub_keys[] = {
	"name", "count", "cloud", "spec", "image", "zone", "labels", "user_data", "ssh_key", NULL,
};
static const char *const top_keys[] = {
	"subgroups", "on_partial_failure", "labels", "ssh_key",
	"name", "count", "cloud", "spec", "image", "zone", "user_data", NULL,
};
static const char *const policy_names[] = { "continue", "rollback", "refine" };

static bool in_list(const char *key, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(key, *list) == 0)
			return true;
	}
	return false;
}

const char *gspec_policy_name(enum gspec_policy p)
{
	return policy_names[p];
}

static int fail(struct sbuf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct sbuf *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(why, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool label_key_ok(const char *k)
{
	if (!name_valid(k))
		return false;
	return strncmp(k, "baristafs-", 10) != 0 && strcmp(k, "managed-by") != 0;
}

static bool label_value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Check a labels object; merge it into *merged (a new object when NULL). */
static int check_labels(json_t *labels, const char *where, json_t *merged, struct sbuf *why)
{
	const char *k;
	json_t *v;

	if (!json_is_object(labels))
		return fail(why, "labels of %s must be an object of strings", where);
	if (json_object_size(labels) > GSPEC_MAX_LABELS)
		return fail(why, "labels of %s: more than 64 labels", where);
	json_object_foreach(labels, k, v) {
		if (!label_key_ok(k))
			return fail(why, "label key '%s' of %s: not [a-z0-9][a-z0-9._-]*, or reserved",
				    k, where);
		if (!json_is_string(v) || !label_value_ok(json_string_value(v)))
			return fail(why, "label '%s' of %s: value must be a string of up to 63 "
				    "letters, digits, '-', '_' or '.'", k, where);
		json_object_set(merged, k, v);
	}
	return 0;
}

static int get_string(json_t *obj, const char *key, const char *where, bool required,
		      size_t max, const char **out, struct sbuf *why)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(why, "%s: missing \"%s\"", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(why, "%s: \"%s\" must be a string", where, key);
	if (json_string_length(v) == 0 || json_string_length(v) > max)
		return fail(why, "%s: \"%s\" is empty or too long", where, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(why, "%s: \"%s\" contains a NUL byte", where, key);
	*out = json_string_value(v);
	return 0;
}

static int get_count(json_t *obj, const char *where, long *out, struct sbuf *why)
{
	json_t *v = json_object_get(obj, "count");
	char num[32];

	if (!v)
		return fail(why, "%s: missing \"count\"", where);
	if (!json_is_integer(v))
		return fail(why, "%s: \"count\" must be an integer", where);
	if (json_integer_value(v) < 0 || json_integer_value(v) > GSPEC_MAX_COUNT) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return fail(why, "%s: \"count\" %s is outside 0..10000", where, num);
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int check_keys(json_t *obj, const char *const *allowed, const char *where,
		      struct sbuf *why)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		(void)v;
		if (in_list(k, placement_keys))
			return fail(why, "%s: placement by requirements (\"%s\") is not available "
				    "yet; name \"cloud\", \"spec\" and \"image\"", where, k);
		if (!in_list(k, allowed))
			return fail(why, "%s: unknown key \"%s\"", where, k);
	}
	return 0;
}

/* Validate one subgroup object and append its canonical form to subs_out. */
static int parse_sub(json_t *o, const char *name, json_t *group_labels, const char *group_ssh,
		     json_t *subs_out, struct sbuf *why)
{
	char where[96];
	const char *cloud, *spec, *image, *zone, *ud, *ssh;
	json_t *labels = json_object(), *canon;
	long count = 0;
	int rc;

	snprintf(where, sizeof(where), "subgroup \"%s\"", name);
	json_object_update(labels, group_labels);
	rc = get_count(o, where, &count, why);
	if (!rc)
		rc = get_string(o, "cloud", where, true, 63, &cloud, why);
	if (!rc)
		rc = get_string(o, "spec", where, true, 127, &spec, why);
	if (!rc)
		rc = get_string(o, "image", where, true, 255, &image, why);
	if (!rc)
		rc = get_string(o, "zone", where, false, 63, &zone, why);
	if (!rc)
		rc = get_string(o, "user_data", where, false, GSPEC_MAX_USER_DATA, &ud, why);
	if (!rc)
		rc = get_string(o, "ssh_key", where, false, 16384, &ssh, why);
	if (!rc && json_object_get(o, "labels"))
		rc = check_labels(json_object_get(o, "labels"), where, labels, why);
	if (!rc && !name_valid(cloud))
		rc = fail(why, "%s: \"%s\" is not a cloud name", where, cloud);
	if (rc) {
		json_decref(labels);
		return rc;
	}
	canon = json_pack("{s:s, s:I, s:s, s:s, s:s}", "name", name, "count", (json_int_t)count,
			  "cloud", cloud, "spec", spec, "image", image);
	if (zone)
		json_object_set_new(canon, "zone", json_string(zone));
	if (ud)
		json_object_set_new(canon, "user_data", json_string(ud));
	if (ssh || group_ssh)
		json_object_set_new(canon, "ssh_key", json_string(ssh ? ssh : group_ssh));
	json_object_set_new(canon, "labels", labels);
	json_array_append_new(subs_out, canon);
	return 0;
}

static int parse_policy(json_t *root, enum gspec_policy *p, struct sbuf *why)
{
	json_t *v = json_object_get(root, "on_partial_failure");

	*p = GSPEC_CONTINUE;
	if (!v)
		return 0;
	for (unsigned i = 0; json_is_string(v) && i < 3; i++) {
		if (strcmp(json_string_value(v), policy_names[i]) == 0) {
			*p = (enum gspec_policy)i;
			return 0;
		}
	}
	return fail(why, "\"on_partial_failure\" must be \"continue\", \"rollback\" or "
		    "\"refine\"");
}

static int parse_subgroups(json_t *root, const char *group, json_t *labels, const char *ssh,
			   json_t *subs, struct sbuf *why)
{
	json_t *arr = json_object_get(root, "subgroups"), *o;
	size_t i, j;
	int rc;

	if (!arr) { /* shorthand: one subgroup named after the group */
		const char *nm = group;

		if (json_object_get(root, "name") &&
		    get_string(root, "name", "spec", true, GSPEC_MAX_SUBNAME, &nm, why))
			return -EINVAL;
		if (strlen(nm) > GSPEC_MAX_SUBNAME)
			return fail(why, "group name \"%s\" is too long for the shorthand form "
				    "(at most 56 characters); use \"subgroups\"", nm);
		return parse_sub(root, nm, labels, ssh, subs, why);
	}
	if (!json_is_array(arr))
		return fail(why, "\"subgroups\" must be an array");
	if (json_array_size(arr) > GSPEC_MAX_SUBGROUPS)
		return fail(why, "more than 1000 subgroups");
	json_array_foreach(arr, i, o) {
		const char *nm;

		if (!json_is_object(o))
			return fail(why, "each subgroup must be an object");
		rc = check_keys(o, sub_keys, "subgroup", why);
		if (!rc)
			rc = get_string(o, "name", "subgroup", true, 255, &nm, why);
		if (rc)
			return rc;
		if (!name_valid(nm) || strlen(nm) > GSPEC_MAX_SUBNAME)
			return fail(why, "subgroup name \"%s\": use [a-z0-9][a-z0-9._-]*, at most "
				    "56 characters", nm);
		for (j = 0; j < i; j++) {
			if (strcmp(nm, json_string_value(json_object_get(
					       json_array_get(arr, j), "name"))) == 0)
				return fail(why, "subgroup \"%s\" appears twice", nm);
		}
		rc = parse_sub(o, nm, labels, ssh, subs, why);
		if (rc)
			return rc;
	}
	return 0;
}

/* Point the borrowed fields of g->subs at the canonical document. */
static int index_subs(struct gspec *g, struct sbuf *why)
{
	json_t *subs = json_object_get(g->doc, "subgroups"), *o;
	size_t i;

	g->nsubs = json_array_size(subs);
	g->subs = calloc(g->nsubs ? g->nsubs : 1, sizeof(*g->subs));
	if (!g->subs)
		return -ENOMEM;
	json_array_foreach(subs, i, o) {
		struct gspec_sub *s = &g->subs[i];

		s->name = json_string_value(json_object_get(o, "name"));
		s->count = (long)json_integer_value(json_object_get(o, "count"));
		s->cloud = json_string_value(json_object_get(o, "cloud"));
		s->spec = json_string_value(json_object_get(o, "spec"));
		s->image = json_string_value(json_object_get(o, "image"));
		s->zone = json_string_value(json_object_get(o, "zone"));
		s->user_data = json_string_value(json_object_get(o, "user_data"));
		s->ssh_key = json_string_value(json_object_get(o, "ssh_key"));
		s->labels = json_object_get(o, "labels");
		g->total += s->count;
	}
	if (g->total > GSPEC_MAX_TOTAL)
		return fail(why, "the group asks for more than 100000 VMs");
	return 0;
}

static int parse_doc(json_t *root, const char *group, struct gspec *g, struct sbuf *why)
{
	json_t *labels = json_object(), *subs = json_array();
	const char *ssh = NULL;
	int rc;

	rc = check_keys(root, top_keys, "spec", why);
	if (!rc && json_object_get(root, "subgroups")) {
		const char *k;
		json_t *v;

		json_object_foreach(root, k, v) {
			(void)v;
			if (in_list(k, sub_keys) && strcmp(k, "ssh_key") && strcmp(k, "labels")) {
				rc = fail(why, "spec: \"%s\" belongs inside a subgroup when "
					  "\"subgroups\" is given", k);
				break;
			}
		}
	}
	if (!rc)
		rc = parse_policy(root, &g->policy, why);
	if (!rc && json_object_get(root, "labels"))
		rc = check_labels(json_object_get(root, "labels"), "the group", labels, why);
	if (!rc)
		rc = get_string(root, "ssh_key", "spec", false, 16384, &ssh, why);
	if (!rc)
		rc = parse_subgroups(root, group, labels, ssh, subs, why);
	if (!rc) {
		g->doc = json_pack("{s:o, s:s}", "subgroups", subs, "on_partial_failure",
				   policy_names[g->policy]);
		subs = NULL;
		if (json_object_size(labels))
			json_object_set(g->doc, "labels", labels);
		rc = index_subs(g, why);
	}
	json_decref(subs);
	json_decref(labels);
	return rc;
}

int gspec_parse(const char *text, size_t len, const char *group, struct gspec **out,
		struct sbuf *why)
{
	json_error_t jerr;
	json_t *root;
	struct gspec *g;
	int rc;

	if (len > GSPEC_MAX_TEXT)
		return fail(why, "spec is larger than 1 MiB");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* An error at the very end means the document is not finished yet. */
		if (jsonutil_incomplete(&jerr, len))
			return -EAGAIN;
		sbuf_addf(why, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
			  jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return fail(why, "a spec is a JSON object");
	}
	g = calloc(1, sizeof(*g));
	rc = g ? parse_doc(root, group, g, why) : -ENOMEM;
	json_decref(root);
	if (rc) {
		gspec_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void gspec_free(struct gspec *g)
{
	if (!g)
		return;
	free(g->subs);
	json_decref(g->doc);
	free(g);
}

const struct gspec_sub *gspec_find(const struct gspec *g, const char *name)
{
	for (size_t i = 0; g && i < g->nsubs; i++) {
		if (strcmp(g->subs[i].name, name) == 0)
			return &g->subs[i];
	}
	return NULL;
}

bool gspec_equal(const struct gspec *a, const struct gspec *b)
{
	if (!a || !b)
		return a == b;
	return json_equal(a->doc, b->doc);
}
