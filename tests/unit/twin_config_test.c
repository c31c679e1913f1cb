/*
 * twin_config_test.c - cloudtwin's configuration: the default five
 * clouds, normalisation (catalogs, credentials, defaults, replicas), and
 * every kind of bad input with the reason the user sees.
 */
#include <string.h>

#include "tests/unit/cu.h"
#include "tools/cloudtwin/twin_catalog.h"
#include "tools/cloudtwin/twin_config.h"

static json_t *parse(const char *text, struct sbuf *err)
{
	return twin_config_parse(text, strlen(text), err);
}

static const char *str(const json_t *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = *k >= '0' && *k <= '9' ? json_array_get(o, (size_t)atoi(k)) : json_object_get(o, k);
	return json_string_value(o);
}

static json_int_t num(const json_t *o, const char *block, const char *key)
{
	return (json_int_t)json_number_value(json_object_get(json_object_get(o, block), key));
}

static void test_default(void)
{
	static const char *const dialects[] = { "aws", "openstack", "gcp", "azure", "alibaba" };
	json_t *all = twin_config_default();

	CU_ASSERT_EQUAL_FATAL(json_array_size(all), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *c = json_array_get(all, i);

		CU_ASSERT_STRING_EQUAL(str(c, "dialect"), dialects[i]);
		CU_ASSERT_STRING_EQUAL(str(c, "name"), dialects[i]);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "regions")), 2);
		CU_ASSERT(json_array_size(json_object_get(c, "specs")) >= 6);
		CU_ASSERT(json_array_size(json_object_get(c, "images")) >= 3);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "credentials")), 1);
		CU_ASSERT_EQUAL(num(c, "quota", "vcpus_per_region"), 1024);
		CU_ASSERT_EQUAL(num(c, "delays_ms", "create"), 2000);
	}
	/* the example credentials of clouds.md */
	CU_ASSERT_STRING_EQUAL(str(json_array_get(all, 0), "credentials.0.access_key_id"),
			       "AKIDEXAMPLE");
	CU_ASSERT_STRING_EQUAL(str(json_array_get(all, 1), "credentials.0.password"), "secret");
	CU_ASSERT_STRING_EQUAL(str(json_array_get(all, 2), "credentials.0.project_id"),
			       "test-project");
	CU_ASSERT_STRING_EQUAL(str(json_array_get(all, 4), "credentials.0.access_key_id"), "testid");
	json_decref(all);
}

static void test_normalise(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *all = parse("{\"defaults\": {\"delays_ms\": {\"create\": 5}, \"faults\": "
			    "{\"error_rate\": 0.25}},"
			    " \"clouds\": [{\"name\": \"one\", \"dialect\": \"gcp\","
			    "  \"delays_ms\": {\"stop\": 7}, \"regions\": [{\"name\": \"r1\","
			    "  \"zones\": [\"r1-a\"]}], \"specs\": [{\"name\": \"s1\", \"vcpus\": 2,"
			    "  \"mem_mib\": 4096, \"price_usd_per_hour\": 0.1}]}]}", &err);
	json_t *c = json_array_get(all, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	CU_ASSERT_EQUAL(num(c, "delays_ms", "create"), 5);	/* from defaults */
	CU_ASSERT_EQUAL(num(c, "delays_ms", "stop"), 7);	/* its own */
	CU_ASSERT_EQUAL(num(c, "delays_ms", "start"), 1500);	/* built in */
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(json_object_get(c, "faults"),
						 "error_rate")), 0.25, 1e-9);
	CU_ASSERT_STRING_EQUAL(str(c, "regions.0.display"), "r1");
	CU_ASSERT_STRING_EQUAL(str(c, "specs.0.id"), "s1");
	CU_ASSERT_STRING_EQUAL(str(c, "specs.0.arch"), "x86_64");
	CU_ASSERT_STRING_EQUAL(str(c, "images.0.project"), "debian-cloud");	/* catalog images */
	CU_ASSERT_STRING_EQUAL(str(c, "credentials.0.project_id"), "one");	/* derived */
	json_decref(all);
	sbuf_release(&err);
}

static void test_replicas(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *all = parse("[{\"name\": \"aws\", \"dialect\": \"aws\", \"replicas\": 100,"
			    " \"preload_vms\": 3}]", &err);

	CU_ASSERT_EQUAL_FATAL(json_array_size(all), 100);
	CU_ASSERT_STRING_EQUAL(str(json_array_get(all, 0), "name"), "aws-001");
	CU_ASSERT_STRING_EQUAL(str(json_array_get(all, 99), "name"), "aws-100");
	CU_ASSERT_STRING_NOT_EQUAL(str(json_array_get(all, 0), "credentials.0.access_key_id"),
				   str(json_array_get(all, 1), "credentials.0.access_key_id"));
	CU_ASSERT_EQUAL(strlen(str(json_array_get(all, 5), "credentials.0.access_key_id")), 20);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(all, 7), "preload_vms")), 3);
	json_decref(all);
	sbuf_release(&err);
}

static void test_derived_credentials_stable(void)
{
	static const char *const dialects[] = { "aws", "openstack", "gcp", "azure", "alibaba" };

	for (size_t i = 0; i < ARRAY_SIZE(dialects); i++) {
		const struct twin_catalog *cat = twin_catalog_find(dialects[i]);
		json_t *a = twin_catalog_derive_cred(cat, "x1"), *b = twin_catalog_derive_cred(cat, "x1");
		json_t *c = twin_catalog_derive_cred(cat, "x2");

		CU_ASSERT(json_equal(a, b));
		CU_ASSERT(!json_equal(a, c));
		for (const char *const *k = twin_catalog_cred_keys(cat); *k; k++)
			CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(a, *k)));
		json_decref(a);
		json_decref(b);
		json_decref(c);
	}
}

static void test_bad_input(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "line 1" },
		{ "{\"clouds\": [", "line 1" },
		{ "{\"clouds\": 42}", "must be an array of clouds" },
		{ "[]", "no clouds configured" },
		{ "{\"clouds\": [], \"colour\": 1}", "unknown key \"colour\"" },
		{ "[{\"dialect\": \"aws\"}]", "name is required" },
		{ "[{\"name\": \"Big\", \"dialect\": \"aws\"}]", "must match" },
		{ "[{\"name\": \"compute\", \"dialect\": \"gcp\"}]", "reserved" },
		{ "[{\"name\": \"x\", \"dialect\": \"ibm\"}]", "dialect must be" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"flavour\": 1}]", "unknown key \"flavour\"" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\"}, {\"name\": \"x\", \"dialect\": \"aws\"}]",
		  "duplicate cloud name" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"regions\": []}]", "non-empty array" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"regions\": [{\"name\": \"r\"}]}]",
		  "clouds[0].regions[0].zones" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"specs\": [{\"name\": \"s\"}]}]",
		  "vcpus and mem_mib are required" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"specs\": [{\"name\": \"s\", \"vcpus\": 0,"
		  " \"mem_mib\": 1}]}]", "clouds[0].specs[0].vcpus: must be between 1" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"images\": [{\"id\": \"a b\"}]}]",
		  "forbidden character" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"credential\": {\"access_key_id\": \"a\"}}]",
		  "needs the key \"secret_access_key\"" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"credential\": {}, \"credentials\": []}]",
		  "not both" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"replicas\": 2, \"credential\": "
		  "{\"access_key_id\": \"a\", \"secret_access_key\": \"b\"}}]", "replicas derive" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"replicas\": 0}]", "replicas must be" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"faults\": {\"drop_rate\": 2}}]",
		  "clouds[0].faults.drop_rate: must be between 0 and 1" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"delays_ms\": {\"boot\": 1}}]",
		  "unknown key \"boot\"" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"token_ttl_s\": 0}]", "token_ttl_s" },
		{ "{\"defaults\": {\"name\": \"x\"}, \"clouds\": []}", "defaults: unknown key \"name\"" },
		{ "[{\"name\": \"x\", \"dialect\": \"aws\", \"name\": \"y\"}]", "duplicate" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sbuf err = SBUF_INIT;
		json_t *all = parse(cases[i].text, &err);

		CU_ASSERT_PTR_NULL(all);
		if (!strstr(sbuf_str(&err), cases[i].why))
			fprintf(stderr, "case %zu: want \"%s\" in \"%s\"\n", i, cases[i].why,
				sbuf_str(&err));
		CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), cases[i].why));
		json_decref(all);
		sbuf_release(&err);
	}
}

static void test_load_missing_file(void)
{
	struct sbuf err = SBUF_INIT;

	CU_ASSERT_PTR_NULL(twin_config_load("/nonexistent/cloudtwin.json", &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), "No such file"));
	sbuf_release(&err);
}

static const struct cu_test tests[] = {
	{ "default", test_default },
	{ "normalise", test_normalise },
	{ "replicas", test_replicas },
	{ "derived_credentials_stable", test_derived_credentials_stable },
	{ "bad_input", test_bad_input },
	{ "load_missing_file", test_load_missing_file },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "twin_config", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
