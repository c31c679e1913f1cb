/*
 * engine_test.c - the engine through its front API, without a mount:
 * start-up with a missing state directory, damaged records skipped and
 * kept, a store from a newer format refused, specs validated without
 * being applied (dry run), and state that survives a close and reopen.
 */
#include <errno.h>
#include <ftw.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/store.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"

static char top[64], state[128], drivers[512];

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
	(void)st;
	(void)f;
	(void)w;
	return remove(p);
}

static int setup(void)
{
	const char *out = getenv("BFS_OUT") ? getenv("BFS_OUT") : ".";

	snprintf(top, sizeof(top), "/tmp/bfs-engine-XXXXXX");
	if (!mkdtemp(top))
		return 1;
	/* a state directory two levels below something that exists */
	snprintf(state, sizeof(state), "%s/a/b/state", top);
	snprintf(drivers, sizeof(drivers), "%s/drivers", out);
	return 0;
}

static int teardown(void)
{
	nftw(top, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct engine *open_engine(int *rc, struct sbuf *err)
{
	struct engine_opts o = { .state_dir = state, .driver_dir = drivers, .workers = 4 };
	struct engine *e = NULL;

	*rc = engine_open(&o, &e, err);
	return e;
}

static int count(void *arg, const char *name, const struct eng_attr *a)
{
	(void)name;
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static int names(struct engine *e, enum eng_kind kind)
{
	int n = 0;

	engine_list(e, ENG_ROOT_ID, kind, count, &n);
	return n;
}

static bool events_have(struct engine *e, const char *what)
{
	struct sbuf ev = SBUF_INIT;
	bool found;

	engine_events_read(e, 0, engine_events_size(e), &ev);
	found = strstr(sbuf_str(&ev), what) != NULL;
	if (!found)
		fprintf(stderr, "events lack \"%s\":\n%s", what, sbuf_str(&ev));
	sbuf_release(&ev);
	return found;
}

static void test_fresh_and_reopen(void)
{
	struct sbuf err = SBUF_INIT, why = SBUF_INIT, out = SBUF_INIT;
	struct eng_attr g;
	int rc;
	struct engine *e = open_engine(&rc, &err);
	const char *spec = "{\"count\":0,\"cloud\":\"m\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}";

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(access(state, R_OK | W_OK | X_OK), 0); /* made, with its parents */
	CU_ASSERT_EQUAL(engine_cloud_create(e, "m", 0, 0, &why), 0);
	CU_ASSERT_EQUAL(engine_group_create(e, "g", 0, 0, &why), 0);
	CU_ASSERT_EQUAL(engine_group_create(e, "g", 0, 0, &why), -EEXIST);
	CU_ASSERT_EQUAL(engine_group_create(e, "G", 0, 0, &why), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(engine_lookup(e, ENG_ROOT_ID, EK_GROUP, "g", &g), 0);
	/* the cloud has no driver yet: refused, recorded, nothing applied */
	CU_ASSERT_EQUAL(engine_group_set_spec(e, g.id, spec, strlen(spec), true, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&why), "no driver"));
	engine_group_text(e, g.id, GT_ERROR, &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&out), "no driver"));
	CU_ASSERT_EQUAL(engine_cloud_set_key(e, g.id + 0, "driver", "mock", false, &why), -ENOENT);
	{
		struct eng_attr c;

		CU_ASSERT_EQUAL_FATAL(engine_lookup(e, ENG_ROOT_ID, EK_CLOUD, "m", &c), 0);
		CU_ASSERT_EQUAL(engine_cloud_set_key(e, c.id, "driver", "mock", false, &why), 0);
	}
	/* a dry run validates without applying */
	CU_ASSERT_EQUAL(engine_group_set_spec(e, g.id, spec, strlen(spec), true, &why), 0);
	sbuf_reset(&out);
	engine_group_text(e, g.id, GT_SPEC, &out);
	CU_ASSERT_EQUAL(out.len, 0);
	CU_ASSERT_EQUAL(engine_group_set_spec(e, g.id, spec, strlen(spec), false, &why), 0);
	engine_close(e);

	e = open_engine(&rc, &err); /* everything is back */
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(names(e, EK_GROUP), 1);
	CU_ASSERT_EQUAL(names(e, EK_CLOUD), 1);
	CU_ASSERT_EQUAL_FATAL(engine_lookup(e, ENG_ROOT_ID, EK_GROUP, "g", &g), 0);
	sbuf_reset(&out);
	engine_group_text(e, g.id, GT_SPEC, &out);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&out), "{\"count\":0,\"cloud\":\"m\",\"spec\":\"m1.small\","
					       "\"image\":\"debian-12\"}\n");
	engine_close(e);
	sbuf_release(&err);
	sbuf_release(&why);
	sbuf_release(&out);
}

static void put_raw(const char *key, const char *val)
{
	struct sbuf uri = SBUF_INIT, err = SBUF_INIT;
	struct store *s = NULL;

	sbuf_addf(&uri, "leveldb:%s/store", state);
	CU_ASSERT_EQUAL_FATAL(store_open(uri.buf, false, &s, &err), 0);
	CU_ASSERT_EQUAL(store_put(s, key, val, strlen(val)), 0);
	store_close(s);
	sbuf_release(&uri);
	sbuf_release(&err);
}

static bool raw_exists(const char *key)
{
	struct sbuf uri = SBUF_INIT, err = SBUF_INIT;
	struct store *s = NULL;
	char *val = NULL;
	int rc;

	sbuf_addf(&uri, "leveldb:%s/store", state);
	store_open(uri.buf, false, &s, &err);
	rc = s ? store_get(s, key, &val, NULL) : -EIO;
	free(val);
	store_close(s);
	sbuf_release(&uri);
	sbuf_release(&err);
	return rc == 0;
}

static void test_damaged_records(void)
{
	struct sbuf err = SBUF_INIT;
	struct engine *e;
	int rc;

	put_raw("group/broken", "{not json");
	put_raw("group/list", "[1,2]");
	put_raw("vm/nogroup/x-1", "{\"status\":\"Running\"}");
	put_raw("vm/g/bad-1", "{\"status\":\"Flying\",\"id\":\"x\"}");
	put_raw("cloud/Bad_Name", "{\"spec\":{}}");
	e = open_engine(&rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0); /* the others load */
	CU_ASSERT_EQUAL(names(e, EK_GROUP), 1);
	CU_ASSERT_EQUAL(names(e, EK_CLOUD), 1);
	CU_ASSERT_TRUE(events_have(e, "store record group/broken skipped"));
	CU_ASSERT_TRUE(events_have(e, "store record group/list skipped: not an object"));
	CU_ASSERT_TRUE(events_have(e, "store record vm/nogroup/x-1 skipped: its group is missing"));
	CU_ASSERT_TRUE(events_have(e, "store record vm/g/bad-1 skipped: invalid VM record"));
	CU_ASSERT_TRUE(events_have(e, "store record cloud/Bad_Name skipped"));
	engine_close(e);
	/* nothing was deleted: a later version or a human can look at them */
	CU_ASSERT_TRUE(raw_exists("group/broken"));
	CU_ASSERT_TRUE(raw_exists("vm/g/bad-1"));
	sbuf_release(&err);
}

static void test_newer_format(void)
{
	struct sbuf err = SBUF_INIT;
	struct engine *e;
	int rc;

	put_raw("meta/format", "99");
	e = open_engine(&rc, &err);
	CU_ASSERT_EQUAL(rc, -EPROTO);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), "written by a newer baristafs (format 99"));
	put_raw("meta/format", "1");
	sbuf_release(&err);
}

static void test_state_not_a_dir(void)
{
	struct engine_opts o = { .state_dir = "/dev/null/x", .driver_dir = drivers };
	struct sbuf err = SBUF_INIT;
	struct engine *e = NULL;

	CU_ASSERT_NOT_EQUAL(engine_open(&o, &e, &err), 0);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), "cannot use state directory /dev/null/x"));
	sbuf_release(&err);
}

static const struct cu_test tests[] = {
	{ "fresh_and_reopen", test_fresh_and_reopen },
	{ "damaged_records", test_damaged_records },
	{ "newer_format", test_newer_format },
	{ "state_not_a_dir", test_state_not_a_dir },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "engine", setup, teardown, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
