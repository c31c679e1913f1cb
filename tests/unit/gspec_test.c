/*
 * gspec_test.c - the group spec parser: valid documents, each invalid form
 * with the words its error must contain, incomplete documents, and the
 * canonical form that makes "the same spec twice" detectable.
 */
#include <errno.h>

#include "engine/gspec.h"
#include "tests/unit/cu.h"

#define WEB "\"name\":\"web\",\"count\":3,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\""

static const struct {
	const char *text;
	int want;		/* 0, -EINVAL, -EAGAIN */
	const char *why;	/* a phrase the reason must contain */
} cases[] = {
	/* valid */
	{ "{\"count\":2,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", 0, NULL },
	{ "{\"subgroups\":[{" WEB "}]}", 0, NULL },
	{ "{\"subgroups\":[{" WEB "},{\"name\":\"db\",\"count\":1,\"cloud\":\"c2\",\"spec\":\"s\","
	  "\"image\":\"i\",\"zone\":\"z1\",\"user_data\":\"#!/bin/sh\\necho hi\","
	  "\"labels\":{\"tier\":\"db\"}}],\"on_partial_failure\":\"rollback\","
	  "\"labels\":{\"team\":\"shop\"}}", 0, NULL },
	{ "{\"subgroups\":[]}", 0, NULL },
	{ "{\"count\":0,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", 0, NULL },
	{ "{\"count\":10000,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", 0, NULL },
	{ "  {\"subgroups\":[{" WEB "}],\"on_partial_failure\":\"refine\"}\n\n", 0, NULL },
	/* malformed JSON */
	{ "{bad", -EINVAL, "malformed JSON" },	/* no continuation repairs it */
	{ "{\"count\":tr", -EAGAIN, NULL },	/* "true" may still come */
	{ "{bad\n", -EINVAL, "malformed JSON" },
	{ "{\"count\":", -EAGAIN, NULL },
	{ "", -EAGAIN, NULL },
	{ "[1,2]", -EINVAL, "JSON object" },
	{ "\"text\"", -EINVAL, "expected" },
	{ "{\"count\":1} trailing", -EINVAL, "malformed JSON" },
	{ "{\"count\":1,\"count\":2}", -EINVAL, "malformed JSON" },
	/* wrong types and values */
	{ "{\"count\":\"3\",\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "must be an integer" },
	{ "{\"count\":2.5,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "must be an integer" },
	{ "{\"count\":-1,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "outside 0..10000" },
	{ "{\"count\":10001,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "outside 0..10000" },
	{ "{\"count\":99999999999999,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "outside 0..10000" },
	{ "{\"count\":1,\"cloud\":7,\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "must be a string" },
	{ "{\"count\":1,\"cloud\":\"\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "empty or too long" },
	{ "{\"count\":1,\"cloud\":\"Bad_Cloud\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "not a cloud name" },
	{ "{\"count\":1,\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL, "missing \"cloud\"" },
	{ "{\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL, "missing \"count\"" },
	{ "{\"count\":1,\"cloud\":\"c1\",\"image\":\"i1\"}", -EINVAL, "missing \"spec\"" },
	{ "{\"count\":1,\"cloud\":\"c1\",\"spec\":\"s1\"}", -EINVAL, "missing \"image\"" },
	{ "{\"cout\":1,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}", -EINVAL,
	  "unknown key \"cout\"" },
	{ "{\"subgroups\":[{" WEB ",\"colour\":\"red\"}]}", -EINVAL, "unknown key \"colour\"" },
	{ "{\"subgroups\":{}}", -EINVAL, "must be an array" },
	{ "{\"subgroups\":[7]}", -EINVAL, "must be an object" },
	{ "{\"subgroups\":[{" WEB "},{" WEB "}]}", -EINVAL, "appears twice" },
	{ "{\"subgroups\":[{\"name\":\"Web\",\"count\":1,\"cloud\":\"c1\",\"spec\":\"s\","
	  "\"image\":\"i\"}]}", -EINVAL, "subgroup name" },
	{ "{\"subgroups\":[{\"count\":1,\"cloud\":\"c1\",\"spec\":\"s\",\"image\":\"i\"}]}",
	  -EINVAL, "missing \"name\"" },
	{ "{\"subgroups\":[{" WEB "}],\"count\":3}", -EINVAL, "belongs inside a subgroup" },
	{ "{\"subgroups\":[{" WEB "}],\"on_partial_failure\":\"panic\"}", -EINVAL,
	  "on_partial_failure" },
	{ "{\"subgroups\":[{" WEB ",\"labels\":[1]}]}", -EINVAL, "labels of" },
	{ "{\"subgroups\":[{" WEB ",\"labels\":{\"a\":1}}]}", -EINVAL, "value must be a string" },
	{ "{\"subgroups\":[{" WEB ",\"labels\":{\"managed-by\":\"me\"}}]}", -EINVAL, "reserved" },
	{ "{\"subgroups\":[{" WEB ",\"labels\":{\"x\":\"a b\"}}]}", -EINVAL,
	  "value must be a string" },
	{ "{\"subgroups\":[{\"name\":\"web\",\"vcpus\":2,\"count\":1}]}", -EINVAL,
	  "placement by requirements" },
	{ "{\"count\":1,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\",\"user_data\":5}",
	  -EINVAL, "must be a string" },
};

static void test_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sbuf why = SBUF_INIT;
		struct gspec *g = NULL;
		int rc = gspec_parse(cases[i].text, strlen(cases[i].text), "grp", &g, &why);

		CU_ASSERT_EQUAL(rc, cases[i].want);
		if (rc != cases[i].want)
			fprintf(stderr, "case %zu (%s): got %d (%s)\n", i, cases[i].text, rc,
				sbuf_str(&why));
		if (cases[i].why) {
			CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&why), cases[i].why));
			if (!strstr(sbuf_str(&why), cases[i].why))
				fprintf(stderr, "case %zu: reason \"%s\" lacks \"%s\"\n", i,
					sbuf_str(&why), cases[i].why);
		}
		CU_ASSERT_EQUAL(rc == 0, g != NULL);
		gspec_free(g);
		sbuf_release(&why);
	}
}

static struct gspec *parse(const char *text)
{
	struct sbuf why = SBUF_INIT;
	struct gspec *g = NULL;

	CU_ASSERT_EQUAL_FATAL(gspec_parse(text, strlen(text), "shop", &g, &why), 0);
	sbuf_release(&why);
	return g;
}

static void test_fields(void)
{
	struct gspec *g = parse("{\"subgroups\":[{" WEB ",\"labels\":{\"tier\":\"front\"}},"
				"{\"name\":\"db\",\"count\":1,\"cloud\":\"c2\",\"spec\":\"s2\","
				"\"image\":\"i2\",\"zone\":\"z\",\"ssh_key\":\"ssh-ed25519 AAA\"}],"
				"\"labels\":{\"team\":\"shop\"},\"on_partial_failure\":\"refine\"}");
	const struct gspec_sub *web = gspec_find(g, "web"), *db = gspec_find(g, "db");

	CU_ASSERT_EQUAL(g->nsubs, 2);
	CU_ASSERT_EQUAL(g->total, 4);
	CU_ASSERT_EQUAL(g->policy, GSPEC_REFINE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(web->count, 3);
	CU_ASSERT_STRING_EQUAL(web->cloud, "c1");
	CU_ASSERT_PTR_NULL(web->zone);
	/* group labels merge into each subgroup's, the subgroup's own win */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(web->labels, "team")), "shop");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(web->labels, "tier")), "front");
	CU_ASSERT_STRING_EQUAL(db->zone, "z");
	CU_ASSERT_STRING_EQUAL(db->ssh_key, "ssh-ed25519 AAA");
	CU_ASSERT_PTR_NULL(gspec_find(g, "nope"));
	gspec_free(g);
}

static void test_shorthand(void)
{
	struct gspec *g = parse("{\"count\":2,\"cloud\":\"c1\",\"spec\":\"s1\",\"image\":\"i1\"}");

	CU_ASSERT_EQUAL(g->nsubs, 1);
	CU_ASSERT_STRING_EQUAL(g->subs[0].name, "shop");
	CU_ASSERT_EQUAL(g->policy, GSPEC_CONTINUE);
	gspec_free(g);
}

static void test_equal(void)
{
	struct gspec *a = parse("{\"subgroups\":[{" WEB "}]}");
	struct gspec *b = parse("{ \"subgroups\" : [ { \"image\":\"i1\", \"spec\":\"s1\", "
				"\"cloud\":\"c1\", \"count\":3, \"name\":\"web\" } ],\n"
				"\"on_partial_failure\":\"continue\" }\n");
	struct gspec *c = parse("{\"subgroups\":[{\"name\":\"web\",\"count\":4,\"cloud\":\"c1\","
				"\"spec\":\"s1\",\"image\":\"i1\"}]}");

	CU_ASSERT_TRUE(gspec_equal(a, b));
	CU_ASSERT_FALSE(gspec_equal(a, c));
	CU_ASSERT_FALSE(gspec_equal(a, NULL));
	gspec_free(a);
	gspec_free(b);
	gspec_free(c);
}

static void test_limits(void)
{
	struct sbuf text = SBUF_INIT, why = SBUF_INIT;
	struct gspec *g = NULL;

	/* 11 subgroups of 10000: over the group's 100000 */
	sbuf_adds(&text, "{\"subgroups\":[");
	for (int i = 0; i < 11; i++)
		sbuf_addf(&text, "%s{\"name\":\"s%d\",\"count\":10000,\"cloud\":\"c\",\"spec\":\"s\","
			  "\"image\":\"i\"}", i ? "," : "", i);
	sbuf_adds(&text, "]}");
	CU_ASSERT_EQUAL(gspec_parse(text.buf, text.len, "g", &g, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&why), "more than 100000"));
	sbuf_release(&text);
	sbuf_release(&why);
	/* a group name too long for the shorthand */
	CU_ASSERT_EQUAL(gspec_parse("{\"count\":1,\"cloud\":\"c\",\"spec\":\"s\",\"image\":\"i\"}",
				    52, "a-very-long-group-name-that-is-longer-than-fifty-six-chars",
				    &g, &why),
			-EINVAL);
	sbuf_release(&why);
}

static const struct cu_test tests[] = {
	{ "table", test_table },
	{ "fields", test_fields },
	{ "shorthand", test_shorthand },
	{ "equal", test_equal },
	{ "limits", test_limits },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "gspec", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
