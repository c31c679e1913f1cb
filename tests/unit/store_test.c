/*
 * store_test.c - the store (LevelDB backend) and what sits next to it:
 * round trips, batches, prefix scans, reopening, a damaged store, the
 * credential sealing (crypt), the event log and the id map.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/crypt.h"
#include "engine/evlog.h"
#include "engine/store.h"
#include "lib/idmap.h"
#include "lib/intern.h"
#include "tests/unit/cu.h"

static char dir[64];

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
	(void)st;
	(void)f;
	(void)w;
	return remove(p);
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bfs-store-XXXXXX");
	return mkdtemp(dir) ? 0 : 1;
}

static int teardown(void)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct store *open_at(const char *sub)
{
	struct sbuf uri = SBUF_INIT, err = SBUF_INIT;
	struct store *s = NULL;

	sbuf_addf(&uri, "leveldb:%s/%s", dir, sub);
	CU_ASSERT_EQUAL(store_open(uri.buf, false, &s, &err), 0);
	sbuf_release(&uri);
	sbuf_release(&err);
	return s;
}

struct seen {
	char keys[16][64];
	int n;
};

static int collect(void *arg, const char *key, const char *val, size_t len)
{
	struct seen *s = arg;

	(void)val;
	(void)len;
	if (s->n < 16)
		snprintf(s->keys[s->n++], 64, "%s", key);
	return 0;
}

static void test_round_trip(void)
{
	struct store *s = open_at("rt");
	char *val = NULL;
	size_t len = 0;
	const char big[] = "{\"name\":\"web-1\",\"status\":\"Running\"}";

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(store_put(s, "vm/g/web-1", big, sizeof(big) - 1), 0);
	CU_ASSERT_EQUAL(store_get(s, "vm/g/web-1", &val, &len), 0);
	CU_ASSERT_EQUAL(len, sizeof(big) - 1);
	CU_ASSERT_STRING_EQUAL(val, big);
	free(val);
	CU_ASSERT_EQUAL(store_get(s, "vm/g/none", &val, &len), -ENOENT);
	CU_ASSERT_EQUAL(store_del(s, "vm/g/web-1"), 0);
	CU_ASSERT_EQUAL(store_get(s, "vm/g/web-1", &val, &len), -ENOENT);
	store_close(s);
}

static void test_batch_scan_reopen(void)
{
	struct store_op ops[] = {
		{ "group/a", "1", 1 }, { "group/b", "2", 1 }, { "groupx", "3", 1 },
		{ "vm/a/w-1", "4", 1 }, { "vm/a/w-2", "5", 1 }, { "vm/ab/w-1", "6", 1 },
	};
	struct store_op del = { "vm/a/w-2", NULL, 0 };
	struct seen seen = { 0 };
	struct sbuf err = SBUF_INIT;
	struct store *s = open_at("bs");

	CU_ASSERT_EQUAL(store_write(s, ops, ARRAY_SIZE(ops), &err), 0);
	CU_ASSERT_EQUAL(store_write(s, &del, 1, &err), 0);
	store_close(s);
	s = open_at("bs"); /* everything is still there after a reopen */
	CU_ASSERT_EQUAL(store_scan(s, "vm/a/", collect, &seen), 0);
	CU_ASSERT_EQUAL(seen.n, 1); /* vm/a/w-1 only: w-2 deleted, vm/ab/ another prefix */
	CU_ASSERT_STRING_EQUAL(seen.keys[0], "vm/a/w-1");
	seen.n = 0;
	CU_ASSERT_EQUAL(store_scan(s, "group/", collect, &seen), 0);
	CU_ASSERT_EQUAL(seen.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.keys[1], "group/b"); /* key order */
	store_close(s);
	sbuf_release(&err);
}

static void test_damaged(void)
{
	struct sbuf uri = SBUF_INIT, err = SBUF_INIT, path = SBUF_INIT;
	struct store *s = open_at("dmg");
	int fd;

	store_put(s, "k", "v", 1);
	store_close(s);
	/* Wreck the CURRENT file: opening must fail with a message, not crash. */
	sbuf_addf(&path, "%s/dmg/CURRENT", dir);
	fd = open(path.buf, O_WRONLY | O_TRUNC);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "garbage\n", 8), 8);
	close(fd);
	sbuf_addf(&uri, "leveldb:%s/dmg", dir);
	s = NULL;
	CU_ASSERT_NOT_EQUAL(store_open(uri.buf, false, &s, &err), 0);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_TRUE(err.len > 0);
	sbuf_reset(&err);
	CU_ASSERT_NOT_EQUAL(store_open("etcd-nope:x", false, &s, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), "unknown store backend"));
	sbuf_release(&uri);
	sbuf_release(&err);
	sbuf_release(&path);
}

static void test_crypt(void)
{
	unsigned char key[CRYPT_KEY_LEN], key2[CRYPT_KEY_LEN];
	struct sbuf kf = SBUF_INIT, err = SBUF_INIT;
	const char secret[] = "secret_access_key=wJalrXUtnFEMI/K7MDENG";
	char *sealed = NULL, *plain = NULL;
	struct stat st;
	size_t len;

	sbuf_addf(&kf, "%s/key", dir);
	CU_ASSERT_EQUAL_FATAL(crypt_key_load(kf.buf, key, &err), 0);
	CU_ASSERT_EQUAL(stat(kf.buf, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(crypt_key_load(kf.buf, key2, &err), 0); /* loads the same key */
	CU_ASSERT_EQUAL(memcmp(key, key2, sizeof(key)), 0);
	CU_ASSERT_EQUAL_FATAL(crypt_seal(key, "cred/a", secret, strlen(secret), &sealed), 0);
	CU_ASSERT_PTR_NULL(strstr(sealed, "wJalr")); /* not in the clear */
	CU_ASSERT_EQUAL(crypt_open(key, "cred/a", sealed, &plain, &len), 0);
	CU_ASSERT_STRING_EQUAL(plain, secret);
	free(plain);
	/* bound to its record: another cloud's key does not open it */
	CU_ASSERT_EQUAL(crypt_open(key, "cred/b", sealed, &plain, &len), -EBADMSG);
	sealed[10] = sealed[10] == 'A' ? 'B' : 'A'; /* tampered */
	CU_ASSERT_EQUAL(crypt_open(key, "cred/a", sealed, &plain, &len), -EBADMSG);
	CU_ASSERT_EQUAL(crypt_open(key, "cred/a", "short", &plain, &len), -EBADMSG);
	free(sealed);
	chmod(kf.buf, 0644); /* a key others can read is refused */
	CU_ASSERT_EQUAL(crypt_key_load(kf.buf, key2, &err), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), "chmod 600"));
	sbuf_release(&kf);
	sbuf_release(&err);
}

static void test_evlog(void)
{
	struct evlog *l = evlog_new(4096);
	struct sbuf out = SBUF_INIT;
	uint64_t seq0 = evlog_seq(l);

	evlog_add(l, "groups/g/vms/web-1 Creating -> Running");
	evlog_add(l, "groups/g/vms/web-10 Creating -> Running");
	evlog_addf(l, "two\nlines %d", 2);
	evlog_read(l, 0, 1 << 20, &out);
	CU_ASSERT_EQUAL(out.len, evlog_size(l));
	CU_ASSERT_TRUE(evlog_seq(l) > seq0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "Z groups/g/vms/web-1 Creating -> Running\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "two lines 2\n")); /* one event, one line */
	sbuf_reset(&out);
	evlog_grep(l, "groups/g/vms/web-1 ", &out); /* not web-10 */
	CU_ASSERT_PTR_NULL(strstr(out.buf, "web-10"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "web-1 "));
	/* over the budget: the oldest half goes, at a line boundary */
	for (int i = 0; i < 200; i++)
		evlog_addf(l, "event number %03d with some padding to fill the log", i);
	CU_ASSERT_TRUE(evlog_size(l) <= 4096);
	sbuf_reset(&out);
	evlog_read(l, 0, 1 << 20, &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "event number 199"));
	CU_ASSERT_PTR_NULL(strstr(out.buf, "web-1"));
	CU_ASSERT_EQUAL(out.buf[out.len - 1], '\n');
	CU_ASSERT_TRUE(out.buf[24] == ' ' && out.buf[23] == 'Z'); /* starts with a whole line */
	sbuf_reset(&out);
	evlog_read(l, (off_t)evlog_size(l) + 10, 100, &out); /* past the end: nothing */
	CU_ASSERT_EQUAL(out.len, 0);
	sbuf_release(&out);
	evlog_free(l);
}

static void test_idmap(void)
{
	struct idmap m = { 0 };
	int vals[5000];

	for (int i = 0; i < 5000; i++) {
		vals[i] = i;
		CU_ASSERT_EQUAL(idmap_put(&m, (uint64_t)i * 64 + 1, &vals[i]), 0);
	}
	CU_ASSERT_EQUAL(m.n, 5000);
	for (int i = 0; i < 5000; i += 2) /* delete half: backward shift keeps the rest found */
		CU_ASSERT_PTR_EQUAL(idmap_del(&m, (uint64_t)i * 64 + 1), &vals[i]);
	for (int i = 0; i < 5000; i++)
		CU_ASSERT_PTR_EQUAL(idmap_get(&m, (uint64_t)i * 64 + 1), i % 2 ? &vals[i] : NULL);
	CU_ASSERT_PTR_NULL(idmap_get(&m, 0));
	CU_ASSERT_PTR_NULL(idmap_del(&m, 3));
	idmap_release(&m);
}

static void test_intern(void)
{
	struct intern t = { 0 };
	char buf[32];
	const char *a = intern_get(&t, "m1.small"), *b, *c;
	const char *many[2000];

	snprintf(buf, sizeof(buf), "m1.%s", "small");
	b = intern_get(&t, buf);
	CU_ASSERT_PTR_EQUAL(a, b); /* one copy for equal strings */
	CU_ASSERT_PTR_NOT_EQUAL(a, buf);
	c = intern_get(&t, "debian-12");
	CU_ASSERT_STRING_EQUAL(c, "debian-12");
	CU_ASSERT_PTR_NULL(intern_get(&t, NULL));
	intern_put(&t, a);
	CU_ASSERT_STRING_EQUAL(b, "m1.small"); /* still referenced once */
	intern_put(&t, b);
	CU_ASSERT_EQUAL(t.by_hash.n, 1);
	intern_put(&t, c);
	CU_ASSERT_EQUAL(t.by_hash.n, 0);
	for (int i = 0; i < 2000; i++) { /* many entries, some chains */
		snprintf(buf, sizeof(buf), "s%d", i);
		many[i] = intern_get(&t, buf);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		CU_ASSERT_PTR_EQUAL(intern_get(&t, buf), many[i]);
		intern_put(&t, many[i]);
		intern_put(&t, many[i]);
	}
	CU_ASSERT_EQUAL(t.by_hash.n, 0);
	intern_release(&t);
}

static const struct cu_test tests[] = {
	{ "intern", test_intern },
	{ "round_trip", test_round_trip },
	{ "batch_scan_reopen", test_batch_scan_reopen },
	{ "damaged", test_damaged },
	{ "crypt", test_crypt },
	{ "evlog", test_evlog },
	{ "idmap", test_idmap },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "store", setup, teardown, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
