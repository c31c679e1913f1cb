/*
 * mock_test.c - the mock driver, loaded as the engine loads it: dlopen() of
 * $BFS_OUT/drivers/mock.so (default ./drivers/mock.so), then only the
 * exported table.
 *
 * Timing is never asserted.  Transitional states are observed with a
 * connection whose delays are ten minutes and stable ones with a connection
 * whose delays are zero, both on the same state_dir (the same cloud); the
 * few tests with real delays poll for the expected state and only check
 * that every status seen on the way is allowed.
 */
#include "tests/unit/cu.h"
#include "drivers/driver.h"
#include "lib/clock.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAST "{\"boot_ms\":0,\"suspend_ms\":0,\"resume_ms\":0,\"reboot_ms\":0,\"terminate_ms\":0}"
#define SLOW "{\"boot_ms\":600000,\"suspend_ms\":600000,\"resume_ms\":600000," \
	     "\"reboot_ms\":600000,\"terminate_ms\":600000}"
#define FAILING "{\"boot_ms\":0,\"fail_rate\":1}"
#define BIT(st) (1u << (st))

static void *dl;
static const struct drv_ops *ops;

/* ---- fixtures ------------------------------------------------------- */

static char dirs[128][64];
static size_t ndirs;

/* A fresh state directory, removed by the suite's cleanup. */
static const char *new_dir(void)
{
	char *d;

	CU_ASSERT_FATAL(ndirs < ARRAY_SIZE(dirs));
	d = dirs[ndirs];
	strcpy(d, "/tmp/mock-test-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(d) != NULL);
	ndirs++;
	return d;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void journal_path(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mock-journal.jsonl", dir);
}

static struct drv_ctx ctx_in(int64_t ms)
{
	struct drv_ctx c = { clock_mono_ms() + ms, "test-op" };

	return c;
}

static void show_err(const char *what, int rc, const struct drv_error *err)
{
	fprintf(stderr, "%s: rc %d code '%s' message '%s'\n", what, rc, err->code, err->message);
}

/* Connect with a spec given as JSON text (NULL: no spec). */
static int try_conn(const char *dir, const char *spec, void **h, struct drv_error *err)
{
	json_t *js = NULL;
	struct drv_config cfg = { "test-cloud", NULL, NULL, dir };
	int rc;

	if (spec) {
		js = json_loads(spec, JSON_DECODE_ANY, NULL);
		CU_ASSERT_FATAL(js != NULL);
	}
	cfg.spec = js;
	memset(err, 0, sizeof(*err));
	*h = NULL;
	rc = ops->connect(&cfg, h, err);
	json_decref(js);
	return rc;
}

static void *conn(const char *dir, const char *spec)
{
	struct drv_error err;
	void *h;
	int rc = try_conn(dir, spec, &h, &err);

	if (rc)
		show_err(spec ? spec : "(no spec)", rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return h;
}

/* A request with the standard tags, image ubuntu-22.04. */
struct treq {
	struct drv_vm_req r;
	struct drv_kv tags[4];
	char id[96];
};

static void req_init(struct treq *q, const char *name, const char *token, const char *spec)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->id, sizeof(q->id), "grp/%s", name ? name : "none");
	q->tags[0] = (struct drv_kv){ DRV_TAG_ID, q->id };
	q->tags[1] = (struct drv_kv){ DRV_TAG_GROUP, "grp" };
	q->tags[2] = (struct drv_kv){ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	q->r.name = name;
	q->r.client_token = token;
	q->r.spec = spec ? spec : "m1.small";
	q->r.image = "ubuntu-22.04";
	q->r.tags = q->tags;
	q->r.ntags = 3;
}

static int create_req(void *h, const struct drv_vm_req *r, struct drv_vm *out,
		      struct drv_error *err)
{
	struct drv_ctx c = ctx_in(30000);

	memset(err, 0, sizeof(*err));
	return ops->create_vm(h, &c, r, out, err);
}

static int create(void *h, const char *name, const char *token, struct drv_vm *out,
		  struct drv_error *err)
{
	struct treq q;

	req_init(&q, name, token, NULL);
	return create_req(h, &q.r, out, err);
}

/* Create and require success; returns the VM (static storage per call site copy). */
static struct drv_vm create_ok(void *h, const char *name, const char *token)
{
	struct drv_error err;
	struct drv_vm vm;
	int rc = create(h, name, token, &vm, &err);

	if (rc)
		show_err(name, rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return vm;
}

static int get(void *h, const char *id, struct drv_vm *out, struct drv_error *err)
{
	struct drv_ctx c = ctx_in(30000);

	memset(err, 0, sizeof(*err));
	return ops->get_vm(h, &c, id, out, err);
}

static enum drv_vm_status status_of(void *h, const char *id)
{
	struct drv_error err;
	struct drv_vm vm;

	if (get(h, id, &vm, &err))
		return DRV_VM_UNDEFINED;
	return vm.status;
}

static int control(void *h, const char *id, enum drv_action a, struct drv_error *err)
{
	struct drv_ctx c = ctx_in(30000);

	memset(err, 0, sizeof(*err));
	return ops->control_vm(h, &c, id, a, err);
}

static int delete(void *h, const char *id, struct drv_error *err)
{
	struct drv_ctx c = ctx_in(30000);

	memset(err, 0, sizeof(*err));
	return ops->delete_vm(h, &c, id, err);
}

static int health(void *h, struct drv_error *err)
{
	struct drv_ctx c = ctx_in(30000);

	memset(err, 0, sizeof(*err));
	return ops->health(h, &c, err);
}

struct collect {
	size_t n, stop_after;
	char ids[1024][32];
};

static int collect_cb(void *arg, const struct drv_vm *vm)
{
	struct collect *c = arg;

	if (c->n < ARRAY_SIZE(c->ids))
		snprintf(c->ids[c->n], sizeof(c->ids[0]), "%.31s", vm->csp_id);
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

/* List key=value (key NULL: the default filter) into *n.  Thread-safe, no asserts. */
static int list_count(void *h, const char *key, const char *value, size_t *n)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct drv_kv f = { key, value };
	struct drv_ctx cx = ctx_in(30000);
	struct drv_error err = { 0 };
	int rc;

	if (!c)
		return -ENOMEM;
	rc = ops->list_vms(h, &cx, key ? &f : NULL, collect_cb, c, &err);
	if (rc)
		show_err("list_vms", rc, &err);
	*n = c->n;
	free(c);
	return rc;
}

static size_t count(void *h, const char *key, const char *value)
{
	size_t n = 0;

	CU_ASSERT_EQUAL(list_count(h, key, value, &n), 0);
	return n;
}

/* Poll until `want`, checking that every status seen is in `allowed`. */
static enum drv_vm_status poll_for(void *h, const char *id, enum drv_vm_status want,
				   unsigned allowed)
{
	int64_t end = clock_mono_ms() + 15000;
	struct drv_error err;
	struct drv_vm vm;

	for (;;) {
		int rc = get(h, id, &vm, &err);

		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			return DRV_VM_UNDEFINED;
		if (!(allowed & BIT(vm.status)))
			fprintf(stderr, "%s: unexpected status %d\n", id, vm.status);
		CU_ASSERT(allowed & BIT(vm.status));
		if (vm.status == want || clock_mono_ms() > end)
			return vm.status;
		clock_sleep_ms(5);
	}
}

static bool has(const char *haystack, const char *needle)
{
	bool ok = strstr(haystack, needle) != NULL;

	if (!ok)
		fprintf(stderr, "'%s' lacks '%s'\n", haystack, needle);
	return ok;
}

/* ---- suite ---------------------------------------------------------- */

static int suite_init(void)
{
	const char *out = getenv("BFS_OUT");
	char path[512];

	snprintf(path, sizeof(path), "%s/drivers/mock.so", out ? out : ".");
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
		return 1;
	}
	ops = dlsym(dl, DRV_SYMBOL);
	return ops ? 0 : 1;
}

static int suite_clean(void)
{
	for (size_t i = 0; i < ndirs; i++)
		nftw(dirs[i], rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	if (dl)
		dlclose(dl);
	return 0;
}

/* ---- the table and settings ----------------------------------------- */

static void test_table(void)
{
	CU_ASSERT_EQUAL(ops->abi_version, DRV_ABI_VERSION);
	CU_ASSERT_EQUAL(ops->size, sizeof(struct drv_ops));
	CU_ASSERT_STRING_EQUAL(ops->name, "mock");
	CU_ASSERT(ops->caps & DRV_CAP_IDEMPOTENT);
	CU_ASSERT(ops->caps & DRV_CAP_TAGS);
	CU_ASSERT(ops->caps & DRV_CAP_PRICES);
	CU_ASSERT(ops->caps & DRV_CAP_SUSPEND);
	CU_ASSERT(ops->connect && ops->disconnect && ops->health && ops->list_specs &&
		  ops->list_images && ops->create_vm && ops->get_vm && ops->list_vms &&
		  ops->control_vm && ops->delete_vm && ops->tag_vm && ops->cleanup);
	/* Only the table is exported, not the driver's internals. */
	CU_ASSERT_PTR_NULL(dlsym(dl, "mock_op_create"));
	CU_ASSERT_PTR_NULL(dlsym(dl, "sbuf_add"));
}

static const struct {
	const char *spec;
	const char *needle;	/* the message must name it */
} bad_settings[] = {
	{ "[]", "object" },
	{ "{\"boot_ms\":-1}", "'boot_ms'" },
	{ "{\"boot_ms\":\"2000\"}", "'boot_ms'" },
	{ "{\"boot_ms\":1.5}", "'boot_ms'" },
	{ "{\"boot_ms\":100000000}", "'boot_ms'" },
	{ "{\"suspend_ms\":-5}", "'suspend_ms'" },
	{ "{\"resume_ms\":null}", "'resume_ms'" },
	{ "{\"reboot_ms\":true}", "'reboot_ms'" },
	{ "{\"terminate_ms\":-1}", "'terminate_ms'" },
	{ "{\"terminated_ttl_ms\":-1}", "'terminated_ttl_ms'" },
	{ "{\"latency_ms\":-1}", "'latency_ms'" },
	{ "{\"fail_rate\":1.5}", "'fail_rate'" },
	{ "{\"fail_rate\":-0.1}", "'fail_rate'" },
	{ "{\"fail_rate\":\"high\"}", "'fail_rate'" },
	{ "{\"error_rate\":2}", "'error_rate'" },
	{ "{\"rate\":0}", "'rate'" },
	{ "{\"rate\":-1}", "'rate'" },
	{ "{\"rate\":\"fast\"}", "'rate'" },
	{ "{\"burst\":0}", "'burst'" },
	{ "{\"quota_vcpus\":-1}", "'quota_vcpus'" },
	{ "{\"quota_vcpus\":2.5}", "'quota_vcpus'" },
	{ "{\"seed\":\"abc\"}", "'seed'" },
	{ "{\"region\":\"Bad Region\"}", "'region'" },
	{ "{\"region\":5}", "'region'" },
	{ "{\"zones\":[]}", "'zones'" },
	{ "{\"zones\":\"a\"}", "'zones'" },
	{ "{\"zones\":[1]}", "'zones'" },
	{ "{\"zone\":\"nowhere\"}", "'zone'" },
	{ "{\"zones\":[\"z1\"],\"zone\":\"mock-1a\"}", "'zone'" },
	{ "{\"specs\":{}}", "'specs'" },
	{ "{\"specs\":[]}", "'specs'" },
	{ "{\"specs\":[{\"name\":\"x\"}]}", "'specs[0].vcpus'" },
	{ "{\"specs\":[{\"name\":\"x\",\"vcpus\":0}]}", "'specs[0].vcpus'" },
	{ "{\"specs\":[{\"name\":\"a\",\"vcpus\":1},{\"name\":\"a\",\"vcpus\":2}]}",
	  "'specs[1].name'" },
	{ "{\"specs\":[{\"name\":\"x\",\"vcpus\":1,\"arch\":\"sparc\"}]}", "'specs[0].arch'" },
	{ "{\"specs\":[{\"name\":\"x\",\"vcpus\":1,\"mem_gib\":-1}]}", "'specs[0].mem_gib'" },
	{ "{\"specs\":[{\"name\":\"Big Box\",\"vcpus\":1}]}", "'specs[0].name'" },
	{ "{\"specs\":[7]}", "'specs[0]'" },
	{ "{\"images\":[{\"os\":\"linux\"}]}", "'images[0].name'" },
	{ "{\"images\":[{\"name\":\"i\",\"os\":5}]}", "'images[0].os'" },
};

static void test_settings_bad(void)
{
	const char *dir = new_dir();

	for (size_t i = 0; i < ARRAY_SIZE(bad_settings); i++) {
		struct drv_error err;
		void *h;
		int rc = try_conn(dir, bad_settings[i].spec, &h, &err);

		if (rc != -EINVAL)
			fprintf(stderr, "spec %s: rc %d\n", bad_settings[i].spec, rc);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(h);
		CU_ASSERT(has(err.message, bad_settings[i].needle));
	}
}

static void test_settings_state_dir(void)
{
	const char *dir = new_dir();
	char file[128];
	struct drv_error err;
	void *h;
	int fd;

	CU_ASSERT_EQUAL(try_conn(NULL, NULL, &h, &err), -EINVAL);
	CU_ASSERT(has(err.message, "state_dir"));
	CU_ASSERT_EQUAL(try_conn("/nonexistent/mock-state", NULL, &h, &err), -ENOENT);
	CU_ASSERT(has(err.message, "/nonexistent/mock-state"));
	snprintf(file, sizeof(file), "%s/plain-file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(try_conn(file, NULL, &h, &err), -ENOTDIR);
}

static void test_settings_defaults(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, "{\"driver\":\"mock\",\"unknown_key\":{\"x\":1},\"boot_ms\":0}");
	struct drv_vm vm = create_ok(h, "web-1", NULL);

	CU_ASSERT_STRING_EQUAL(vm.zone, "mock-1a");
	ops->disconnect(h);
	h = conn(new_dir(), "{\"region\":\"r1\",\"boot_ms\":0}");
	vm = create_ok(h, "web-1", NULL);
	CU_ASSERT_STRING_EQUAL(vm.zone, "r1a");
	ops->disconnect(h);
	h = conn(new_dir(), "{\"region\":\"r1\",\"zones\":[\"r1-x\",\"r1-y\"],\"zone\":\"r1-y\"}");
	vm = create_ok(h, "web-1", NULL);
	CU_ASSERT_STRING_EQUAL(vm.zone, "r1-y");
	ops->disconnect(h);
	/* NULL spec: every default. */
	h = conn(new_dir(), NULL);
	vm = create_ok(h, "web-1", NULL);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);	/* boot_ms defaults to 1000 */
	ops->disconnect(h);
}

/* ---- catalog -------------------------------------------------------- */

struct specs_seen {
	size_t n, stop_after;
	bool gpu, arm, priced;
	char names[16][64];
};

static int spec_cb(void *arg, const struct drv_spec_info *sp)
{
	struct specs_seen *s = arg;

	if (s->n < ARRAY_SIZE(s->names))
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", sp->name);
	s->n++;
	s->gpu |= sp->gpus > 0 && sp->gpu_model[0];
	s->arm |= strcmp(sp->arch, "arm64") == 0;
	s->priced |= sp->price_usd_per_hour > 0;
	CU_ASSERT(sp->vcpus > 0);
	return s->stop_after && s->n >= s->stop_after;
}

static int image_cb(void *arg, const struct drv_image_info *im)
{
	struct specs_seen *s = arg;

	if (s->n < ARRAY_SIZE(s->names))
		snprintf(s->names[s->n], sizeof(s->names[0]), "%.63s", im->name);
	s->n++;
	CU_ASSERT(im->id[0] && im->os[0] && im->arch[0]);
	return 0;
}

static bool seen(const struct specs_seen *s, const char *name)
{
	for (size_t i = 0; i < s->n && i < ARRAY_SIZE(s->names); i++) {
		if (strcmp(s->names[i], name) == 0)
			return true;
	}
	return false;
}

static void test_catalog_default(void)
{
	void *h = conn(new_dir(), NULL);
	struct drv_ctx c = ctx_in(30000);
	struct drv_error err = { 0 };
	struct specs_seen s = { 0 }, im = { 0 };

	CU_ASSERT_EQUAL(ops->list_specs(h, &c, spec_cb, &s, &err), 0);
	CU_ASSERT(s.n >= 5);
	CU_ASSERT(s.gpu && s.arm && s.priced);
	CU_ASSERT_EQUAL(ops->list_images(h, &c, image_cb, &im, &err), 0);
	CU_ASSERT(seen(&im, "ubuntu-22.04") && seen(&im, "debian-12") && seen(&im, "rocky-9"));
	/* A callback's nonzero answer stops the listing. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	CU_ASSERT_EQUAL(ops->list_specs(h, &c, spec_cb, &s, &err), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	ops->disconnect(h);
}

static void test_catalog_override(void)
{
	void *h = conn(new_dir(),
		       "{\"boot_ms\":0,\"specs\":[{\"name\":\"tiny\",\"vcpus\":1,\"mem_gib\":0.5,"
		       "\"price_usd_per_hour\":0.01},{\"name\":\"gpu8\",\"vcpus\":96,\"gpus\":8,"
		       "\"gpu_model\":\"H100\",\"mem_gib\":2048}],"
		       "\"images\":[{\"name\":\"alpine-3.19\",\"os\":\"alpine\"}]}");
	struct drv_ctx c = ctx_in(30000);
	struct drv_error err = { 0 };
	struct specs_seen s = { 0 }, im = { 0 };
	struct treq q;
	struct drv_vm vm;

	CU_ASSERT_EQUAL(ops->list_specs(h, &c, spec_cb, &s, &err), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT(seen(&s, "tiny") && seen(&s, "gpu8") && !seen(&s, "m1.small"));
	CU_ASSERT_EQUAL(ops->list_images(h, &c, image_cb, &im, &err), 0);
	CU_ASSERT_EQUAL(im.n, 1);
	req_init(&q, "t-1", NULL, "tiny");
	q.r.image = "alpine-3.19";
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.spec, "tiny");
	req_init(&q, "t-2", NULL, "m1.small");	/* the default catalog is replaced */
	q.r.image = "alpine-3.19";
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), -EINVAL);
	ops->disconnect(h);
}

/* ---- create: bad input ---------------------------------------------- */

static char long_token[80], big_user_data[16400];
static struct drv_kv many_tags[51], dup_tags[2], empty_key_tag[1], bad_utf8_tag[1];

enum bad_field { BF_NONE, BF_NAME, BF_TOKEN, BF_SPEC, BF_IMAGE, BF_ZONE, BF_USER_DATA,
		 BF_SSH, BF_TAGS };

static const struct {
	const char *what;
	enum bad_field field;
	const char *value;
	const struct drv_kv *tags;
	size_t ntags;
	const char *code, *needle;
} bad_creates[] = {
	{ "unknown spec", BF_SPEC, "x9.huge", NULL, 0, "InvalidParameterValue", "x9.huge" },
	{ "no spec", BF_SPEC, NULL, NULL, 0, "InvalidParameterValue", "(null)" },
	{ "unknown image", BF_IMAGE, "windows-3.1", NULL, 0, "InvalidAMIID.NotFound",
	  "windows-3.1" },
	{ "arch mismatch", BF_SPEC, "a1.large", NULL, 0, "InvalidParameterValue", "architecture" },
	{ "unknown zone", BF_ZONE, "mars-1a", NULL, 0, "InvalidParameterValue", "mars-1a" },
	{ "bad name", BF_NAME, "Web_1", NULL, 0, "InvalidParameterValue", "Web_1" },
	{ "no name", BF_NAME, NULL, NULL, 0, "InvalidParameterValue", "name" },
	{ "long token", BF_TOKEN, long_token, NULL, 0, "InvalidParameterValue", "clientToken" },
	{ "token with space", BF_TOKEN, "a b", NULL, 0, "InvalidParameterValue", "clientToken" },
	{ "big user data", BF_USER_DATA, big_user_data, NULL, 0, "InvalidParameterValue",
	  "16384" },
	{ "bad ssh key", BF_SSH, "not a key", NULL, 0, "InvalidKey.Format", "OpenSSH" },
	{ "too many tags", BF_TAGS, NULL, many_tags, 51, "TagLimitExceeded", "50" },
	{ "duplicate tag", BF_TAGS, NULL, dup_tags, 2, "InvalidParameterValue", "Duplicate" },
	{ "empty tag key", BF_TAGS, NULL, empty_key_tag, 1, "InvalidParameterValue", "Tag keys" },
	{ "bad utf-8 tag", BF_TAGS, NULL, bad_utf8_tag, 1, "InvalidParameterValue", "UTF-8" },
	{ "tags missing", BF_TAGS, NULL, NULL, 2, "InvalidParameterValue", "Tags" },
};

static void init_bad_inputs(void)
{
	static char keys[51][8];

	memset(long_token, 'a', sizeof(long_token) - 1);
	memset(big_user_data, 'x', sizeof(big_user_data) - 1);
	for (size_t i = 0; i < ARRAY_SIZE(many_tags); i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		many_tags[i] = (struct drv_kv){ keys[i], "v" };
	}
	dup_tags[0] = dup_tags[1] = (struct drv_kv){ "team", "shop" };
	empty_key_tag[0] = (struct drv_kv){ "", "v" };
	bad_utf8_tag[0] = (struct drv_kv){ "note", "\xff\xfe" };
}

static void apply_bad(struct treq *q, size_t i)
{
	const char *v = bad_creates[i].value;

	switch (bad_creates[i].field) {
	case BF_NAME: q->r.name = v; break;
	case BF_TOKEN: q->r.client_token = v; break;
	case BF_SPEC: q->r.spec = v; break;
	case BF_IMAGE: q->r.image = v; break;
	case BF_ZONE: q->r.zone = v; break;
	case BF_USER_DATA: q->r.user_data = v; break;
	case BF_SSH: q->r.ssh_public_key = v; break;
	case BF_TAGS:
		q->r.tags = bad_creates[i].tags;
		q->r.ntags = bad_creates[i].ntags;
		break;
	case BF_NONE: break;
	}
}

static void test_create_bad_input(void)
{
	void *h = conn(new_dir(), FAST);
	struct drv_error err;
	struct drv_vm vm;
	struct treq q;

	init_bad_inputs();
	for (size_t i = 0; i < ARRAY_SIZE(bad_creates); i++) {
		int rc;

		req_init(&q, "vm-1", NULL, NULL);
		apply_bad(&q, i);
		rc = create_req(h, &q.r, &vm, &err);
		if (rc != -EINVAL || strcmp(err.code, bad_creates[i].code) != 0)
			show_err(bad_creates[i].what, rc, &err);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err.code, bad_creates[i].code);
		CU_ASSERT(has(err.message, bad_creates[i].needle));
		CU_ASSERT_FALSE(err.retryable);
	}
	/* None of them made a VM; the good variants do. */
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 0);
	req_init(&q, "vm-1", NULL, "a1.large");
	q.r.image = "ubuntu-22.04-arm64";
	q.r.user_data = "#!/bin/sh\necho hi\n";
	q.r.ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq test@host";
	q.r.zone = "mock-1b";
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.zone, "mock-1b");
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 1);
	ops->disconnect(h);
}

/* ---- VM fields and the state machine -------------------------------- */

static bool doc_address(const char *ip)
{
	return strncmp(ip, "192.0.2.", 8) == 0 || strncmp(ip, "198.51.100.", 11) == 0 ||
	       strncmp(ip, "203.0.113.", 10) == 0;
}

static void test_vm_fields(void)
{
	void *h = conn(new_dir(), "{\"region\":\"r1\",\"boot_ms\":0}");
	int64_t before = clock_wall_ms() / 1000;
	struct drv_vm made = create_ok(h, "web-1", "tok-web-1"), vm;
	struct drv_error err;

	CU_ASSERT_EQUAL_FATAL(get(h, made.csp_id, &vm, &err), 0);
	CU_ASSERT(memcmp(&made, &vm, sizeof(vm)) == 0);
	CU_ASSERT(strncmp(vm.csp_id, "i-", 2) == 0 && strlen(vm.csp_id) == 19);
	CU_ASSERT_STRING_EQUAL(vm.name, "web-1");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_RUNNING);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "running");
	CU_ASSERT_STRING_EQUAL(vm.spec, "m1.small");
	CU_ASSERT_STRING_EQUAL(vm.image, "ubuntu-22.04");
	CU_ASSERT_STRING_EQUAL(vm.zone, "r1a");
	CU_ASSERT(strncmp(vm.private_ip, "10.", 3) == 0);
	CU_ASSERT(doc_address(vm.public_ip));
	CU_ASSERT(vm.created >= before && vm.created <= clock_wall_ms() / 1000);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "grp/web-1");
	CU_ASSERT_STRING_EQUAL(vm.client_token, "tok-web-1");
	CU_ASSERT_STRING_EQUAL(vm.reason, "");
	/* A second VM gets other addresses and another id. */
	vm = create_ok(h, "web-2", "tok-web-2");
	CU_ASSERT_STRING_NOT_EQUAL(vm.csp_id, made.csp_id);
	CU_ASSERT_STRING_NOT_EQUAL(vm.private_ip, made.private_ip);
	CU_ASSERT_STRING_NOT_EQUAL(vm.public_ip, made.public_ip);
	/* Unknown ids. */
	CU_ASSERT_EQUAL(get(h, "i-00000000000000000", &vm, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.code, "InvalidInstanceID.NotFound");
	CU_ASSERT(has(err.message, "i-00000000000000000"));
	CU_ASSERT_EQUAL(get(h, NULL, &vm, &err), -EINVAL);
	ops->disconnect(h);
}

static void test_state_machine(void)
{
	void *h = conn(new_dir(), "{\"boot_ms\":150,\"suspend_ms\":100,\"resume_ms\":100,"
				  "\"reboot_ms\":100,\"terminate_ms\":100,"
				  "\"terminated_ttl_ms\":200}");
	struct drv_vm vm = create_ok(h, "sm-1", NULL), got;
	struct drv_error err;
	const char *id = vm.csp_id;

	/* The answer to create is computed at creation: before any boot. */
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "pending");
	CU_ASSERT_EQUAL(poll_for(h, id, DRV_VM_RUNNING, BIT(DRV_VM_CREATING) | BIT(DRV_VM_RUNNING)),
			DRV_VM_RUNNING);
	CU_ASSERT_EQUAL(control(h, id, DRV_ACT_SUSPEND, &err), 0);
	CU_ASSERT_EQUAL(poll_for(h, id, DRV_VM_SUSPENDED,
				 BIT(DRV_VM_SUSPENDING) | BIT(DRV_VM_SUSPENDED)),
			DRV_VM_SUSPENDED);
	CU_ASSERT_EQUAL(get(h, id, &got, &err), 0);
	CU_ASSERT(has(got.reason, "UserInitiatedShutdown"));
	CU_ASSERT_EQUAL(control(h, id, DRV_ACT_RESUME, &err), 0);
	CU_ASSERT_EQUAL(poll_for(h, id, DRV_VM_RUNNING, BIT(DRV_VM_RESUMING) | BIT(DRV_VM_RUNNING)),
			DRV_VM_RUNNING);
	CU_ASSERT_EQUAL(control(h, id, DRV_ACT_REBOOT, &err), 0);
	CU_ASSERT_EQUAL(poll_for(h, id, DRV_VM_RUNNING,
				 BIT(DRV_VM_REBOOTING) | BIT(DRV_VM_RUNNING)),
			DRV_VM_RUNNING);
	CU_ASSERT_EQUAL(delete(h, id, &err), 0);
	CU_ASSERT_EQUAL(poll_for(h, id, DRV_VM_TERMINATED,
				 BIT(DRV_VM_TERMINATING) | BIT(DRV_VM_TERMINATED)),
			DRV_VM_TERMINATED);
	CU_ASSERT_EQUAL(get(h, id, &got, &err), 0);
	CU_ASSERT_STRING_EQUAL(got.public_ip, "");	/* released with the VM */
	/* Terminated VMs stay visible for terminated_ttl_ms, then are gone. */
	for (int64_t end = clock_mono_ms() + 15000; clock_mono_ms() < end;) {
		if (get(h, id, &got, &err) == -ENOENT)
			break;
		clock_sleep_ms(10);
	}
	CU_ASSERT_EQUAL(get(h, id, &got, &err), -ENOENT);
	CU_ASSERT_EQUAL(delete(h, id, &err), 0);	/* idempotent once gone */
	ops->disconnect(h);
}

/* Three connections to one cloud: delays of zero, of ten minutes, failing boots. */
struct clouds {
	const char *dir;
	void *fast, *slow, *failing;
};

static void clouds_open(struct clouds *c)
{
	c->dir = new_dir();
	c->fast = conn(c->dir, FAST);
	c->slow = conn(c->dir, SLOW);
	c->failing = conn(c->dir, FAILING);
}

static void clouds_close(struct clouds *c)
{
	ops->disconnect(c->fast);
	ops->disconnect(c->slow);
	ops->disconnect(c->failing);
}

/* A new VM in status st; its id goes to id[32]. */
static void reach(struct clouds *c, enum drv_vm_status st, char *id)
{
	static int n;
	struct drv_error err;
	struct drv_vm vm;
	char name[32];
	void *creator = st == DRV_VM_CREATING ? c->slow : st == DRV_VM_FAILED ? c->failing
									       : c->fast;

	snprintf(name, sizeof(name), "r-%d", ++n);
	vm = create_ok(creator, name, NULL);
	strcpy(id, vm.csp_id);
	if (st == DRV_VM_SUSPENDED || st == DRV_VM_RESUMING)
		CU_ASSERT_EQUAL(control(c->fast, id, DRV_ACT_SUSPEND, &err), 0);
	if (st == DRV_VM_SUSPENDING)
		CU_ASSERT_EQUAL(control(c->slow, id, DRV_ACT_SUSPEND, &err), 0);
	if (st == DRV_VM_RESUMING)
		CU_ASSERT_EQUAL(control(c->slow, id, DRV_ACT_RESUME, &err), 0);
	if (st == DRV_VM_REBOOTING)
		CU_ASSERT_EQUAL(control(c->slow, id, DRV_ACT_REBOOT, &err), 0);
	if (st == DRV_VM_TERMINATING)
		CU_ASSERT_EQUAL(delete(c->slow, id, &err), 0);
	if (st == DRV_VM_TERMINATED)
		CU_ASSERT_EQUAL(delete(c->fast, id, &err), 0);
	CU_ASSERT_EQUAL(status_of(c->fast, id), st);
}

/* What each action does from each status: 0 and the status after, or EBUSY. */
static const struct {
	enum drv_vm_status from;
	enum drv_action action;
	int rc;
	enum drv_vm_status after;	/* via the slow connection */
} action_matrix[] = {
	{ DRV_VM_CREATING, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_CREATING },
	{ DRV_VM_CREATING, DRV_ACT_RESUME, -EBUSY, DRV_VM_CREATING },
	{ DRV_VM_CREATING, DRV_ACT_REBOOT, -EBUSY, DRV_VM_CREATING },
	{ DRV_VM_RUNNING, DRV_ACT_SUSPEND, 0, DRV_VM_SUSPENDING },
	{ DRV_VM_RUNNING, DRV_ACT_RESUME, -EBUSY, DRV_VM_RUNNING },
	{ DRV_VM_RUNNING, DRV_ACT_REBOOT, 0, DRV_VM_REBOOTING },
	{ DRV_VM_SUSPENDING, DRV_ACT_SUSPEND, 0, DRV_VM_SUSPENDING },
	{ DRV_VM_SUSPENDING, DRV_ACT_RESUME, -EBUSY, DRV_VM_SUSPENDING },
	{ DRV_VM_SUSPENDING, DRV_ACT_REBOOT, -EBUSY, DRV_VM_SUSPENDING },
	{ DRV_VM_SUSPENDED, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_SUSPENDED },
	{ DRV_VM_SUSPENDED, DRV_ACT_RESUME, 0, DRV_VM_RESUMING },
	{ DRV_VM_SUSPENDED, DRV_ACT_REBOOT, -EBUSY, DRV_VM_SUSPENDED },
	{ DRV_VM_RESUMING, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_RESUMING },
	{ DRV_VM_RESUMING, DRV_ACT_RESUME, 0, DRV_VM_RESUMING },
	{ DRV_VM_RESUMING, DRV_ACT_REBOOT, -EBUSY, DRV_VM_RESUMING },
	{ DRV_VM_REBOOTING, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_REBOOTING },
	{ DRV_VM_REBOOTING, DRV_ACT_RESUME, -EBUSY, DRV_VM_REBOOTING },
	{ DRV_VM_REBOOTING, DRV_ACT_REBOOT, 0, DRV_VM_REBOOTING },
	{ DRV_VM_TERMINATING, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_TERMINATING },
	{ DRV_VM_TERMINATING, DRV_ACT_RESUME, -EBUSY, DRV_VM_TERMINATING },
	{ DRV_VM_TERMINATING, DRV_ACT_REBOOT, -EBUSY, DRV_VM_TERMINATING },
	{ DRV_VM_TERMINATED, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_TERMINATED },
	{ DRV_VM_TERMINATED, DRV_ACT_RESUME, -EBUSY, DRV_VM_TERMINATED },
	{ DRV_VM_TERMINATED, DRV_ACT_REBOOT, -EBUSY, DRV_VM_TERMINATED },
	{ DRV_VM_FAILED, DRV_ACT_SUSPEND, -EBUSY, DRV_VM_FAILED },
	{ DRV_VM_FAILED, DRV_ACT_RESUME, -EBUSY, DRV_VM_FAILED },
	{ DRV_VM_FAILED, DRV_ACT_REBOOT, -EBUSY, DRV_VM_FAILED },
};

static void test_action_matrix(void)
{
	struct clouds c;

	clouds_open(&c);
	for (size_t i = 0; i < ARRAY_SIZE(action_matrix); i++) {
		struct drv_error err;
		char id[32];
		int rc;

		reach(&c, action_matrix[i].from, id);
		rc = control(c.slow, id, action_matrix[i].action, &err);
		if (rc != action_matrix[i].rc)
			fprintf(stderr, "matrix row %zu: rc %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, action_matrix[i].rc);
		CU_ASSERT_EQUAL(status_of(c.fast, id), action_matrix[i].after);
		if (action_matrix[i].rc == -EBUSY) {
			CU_ASSERT_STRING_EQUAL(err.code, "IncorrectInstanceState");
			CU_ASSERT(has(err.message, id));
			CU_ASSERT_FALSE(err.retryable);
		}
	}
	clouds_close(&c);
}

/* delete from every status: always 0, and where it leads. */
static const struct {
	enum drv_vm_status from, after;
} delete_matrix[] = {
	{ DRV_VM_CREATING, DRV_VM_TERMINATING },   { DRV_VM_RUNNING, DRV_VM_TERMINATING },
	{ DRV_VM_SUSPENDING, DRV_VM_TERMINATING }, { DRV_VM_SUSPENDED, DRV_VM_TERMINATING },
	{ DRV_VM_RESUMING, DRV_VM_TERMINATING },   { DRV_VM_REBOOTING, DRV_VM_TERMINATING },
	{ DRV_VM_TERMINATING, DRV_VM_TERMINATING }, { DRV_VM_TERMINATED, DRV_VM_TERMINATED },
	{ DRV_VM_FAILED, DRV_VM_TERMINATED },
};

static void test_delete_matrix(void)
{
	struct clouds c;
	struct drv_error err;

	clouds_open(&c);
	for (size_t i = 0; i < ARRAY_SIZE(delete_matrix); i++) {
		char id[32];

		reach(&c, delete_matrix[i].from, id);
		CU_ASSERT_EQUAL(delete(c.slow, id, &err), 0);
		CU_ASSERT_EQUAL(status_of(c.fast, id), delete_matrix[i].after);
		CU_ASSERT_EQUAL(delete(c.slow, id, &err), 0);
	}
	CU_ASSERT_EQUAL(delete(c.slow, "i-never-existed", &err), 0);
	CU_ASSERT_EQUAL(delete(c.slow, NULL, &err), -EINVAL);
	clouds_close(&c);
}

/* ---- failures, quota, throttling, errors, latency ------------------- */

/* The outcome of n boots as a string of R (running) and F (failed). */
static void boots(const char *spec, size_t n, char *out)
{
	void *h = conn(new_dir(), spec);

	for (size_t i = 0; i < n; i++) {
		char name[16];
		struct drv_vm vm;

		snprintf(name, sizeof(name), "b-%zu", i);
		vm = create_ok(h, name, NULL);
		out[i] = vm.status == DRV_VM_FAILED ? 'F' : vm.status == DRV_VM_RUNNING ? 'R' : '?';
		if (vm.status == DRV_VM_FAILED) {
			CU_ASSERT(has(vm.reason, "Server.InternalError"));
			CU_ASSERT_STRING_EQUAL(vm.public_ip, "");
		}
	}
	out[n] = '\0';
	ops->disconnect(h);
}

static void test_fail_rate(void)
{
	char a[81], b[81], c[81], none[81], all[81];
	size_t failed = 0;

	boots("{\"boot_ms\":0,\"fail_rate\":0.3,\"seed\":42}", 80, a);
	boots("{\"boot_ms\":0,\"fail_rate\":0.3,\"seed\":42}", 80, b);
	boots("{\"boot_ms\":0,\"fail_rate\":0.3,\"seed\":43}", 80, c);
	boots("{\"boot_ms\":0,\"fail_rate\":0}", 80, none);
	boots("{\"boot_ms\":0,\"fail_rate\":1}", 80, all);
	for (size_t i = 0; a[i]; i++)
		failed += a[i] == 'F';
	CU_ASSERT_STRING_EQUAL(a, b);		/* the seed fixes the outcome */
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT(failed > 8 && failed < 40);	/* 0.3 of 80, loosely */
	CU_ASSERT_PTR_NULL(strchr(none, 'F'));
	CU_ASSERT_PTR_NULL(strchr(all, 'R'));
	CU_ASSERT_PTR_NULL(strchr(a, '?'));
}

static void test_seeded_ids(void)
{
	const char *spec = "{\"boot_ms\":0,\"seed\":99}";
	void *a = conn(new_dir(), spec), *b = conn(new_dir(), spec), *c = conn(new_dir(), FAST);
	struct drv_vm va = create_ok(a, "s-1", NULL), vb = create_ok(b, "s-1", NULL);
	struct drv_vm vc = create_ok(c, "s-1", NULL);

	CU_ASSERT_STRING_EQUAL(va.csp_id, vb.csp_id);
	CU_ASSERT_STRING_NOT_EQUAL(va.csp_id, vc.csp_id);
	ops->disconnect(a);
	ops->disconnect(b);
	ops->disconnect(c);
}

static void test_fail_at_boot_time(void)
{
	/* A failing VM is Creating until its boot ends, then Failed. */
	const char *dir = new_dir();
	void *slow = conn(dir, "{\"boot_ms\":600000,\"fail_rate\":1}");
	struct drv_vm vm = create_ok(slow, "f-1", NULL);

	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	CU_ASSERT_STRING_EQUAL(vm.reason, "");
	CU_ASSERT_EQUAL(status_of(slow, vm.csp_id), DRV_VM_CREATING);
	ops->disconnect(slow);
	slow = conn(dir, "{\"boot_ms\":100,\"fail_rate\":1}");
	vm = create_ok(slow, "f-2", NULL);
	CU_ASSERT_EQUAL(poll_for(slow, vm.csp_id, DRV_VM_FAILED,
				 BIT(DRV_VM_CREATING) | BIT(DRV_VM_FAILED)),
			DRV_VM_FAILED);
	ops->disconnect(slow);
}

static void test_quota(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, "{\"quota_vcpus\":8,\"boot_ms\":0,\"terminate_ms\":0,\"region\":\"r1\"}");
	struct drv_vm vms[4], vm;
	struct drv_error err;
	struct treq q;

	for (int i = 0; i < 4; i++) {	/* 4 x m1.small (2 vCPUs) = 8 */
		char name[16], token[16];

		snprintf(name, sizeof(name), "q-%d", i);
		snprintf(token, sizeof(token), "tok-q-%d", i);
		vms[i] = create_ok(h, name, token);
	}
	CU_ASSERT_EQUAL(create(h, "q-4", "tok-q-4", &vm, &err), -EDQUOT);
	CU_ASSERT_STRING_EQUAL(err.code, "VcpuLimitExceeded");
	CU_ASSERT(has(err.message, "quota_vcpus") && has(err.message, "of 8 ") &&
		  has(err.message, "r1"));
	CU_ASSERT_FALSE(err.retryable);
	/* A retry of an accepted create is no new demand. */
	CU_ASSERT_EQUAL(create(h, "q-0", "tok-q-0", &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, vms[0].csp_id);
	/* Terminated VMs free their vCPUs; bigger specs need more. */
	CU_ASSERT_EQUAL(delete(h, vms[0].csp_id, &err), 0);
	CU_ASSERT_EQUAL(create(h, "q-4", "tok-q-4", &vm, &err), 0);
	req_init(&q, "q-big", NULL, "c1.xlarge");
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), -EDQUOT);
	ops->disconnect(h);
	/* Failed VMs hold no quota. */
	h = conn(new_dir(), "{\"quota_vcpus\":2,\"boot_ms\":0,\"fail_rate\":1}");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(create(h, "qf", NULL, &vm, &err), 0);
	ops->disconnect(h);
	/* Zero is a quota too. */
	h = conn(new_dir(), "{\"quota_vcpus\":0}");
	CU_ASSERT_EQUAL(create(h, "q0", NULL, &vm, &err), -EDQUOT);
	ops->disconnect(h);
}

static void test_throttling(void)
{
	const char *dir = new_dir();
	void *slow = conn(dir, "{\"rate\":0.01,\"burst\":3}");	/* one token per 100 s */
	void *other = conn(dir, "{\"rate\":0.01,\"burst\":1}");
	void *quick;
	struct drv_error err;
	struct drv_vm vm;
	int rc = 0, tries;

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(health(slow, &err), 0);
	CU_ASSERT_EQUAL(health(slow, &err), -EAGAIN);
	CU_ASSERT_STRING_EQUAL(err.code, "Throttling");
	CU_ASSERT(err.retryable);
	CU_ASSERT(err.retry_after_ms > 0);
	CU_ASSERT(err.request_id[0] != '\0');
	CU_ASSERT(has(err.message, "0.01"));
	/* Every call counts, and a throttled create makes nothing. */
	CU_ASSERT_EQUAL(create(slow, "t-1", NULL, &vm, &err), -EAGAIN);
	/* The bucket is per connection. */
	CU_ASSERT_EQUAL(health(other, &err), 0);
	CU_ASSERT_EQUAL(health(other, &err), -EAGAIN);
	ops->disconnect(slow);
	ops->disconnect(other);
	/* Waiting retry_after_ms is enough to be served again. */
	quick = conn(new_dir(), "{\"rate\":20,\"burst\":1}");
	for (tries = 0; tries < 100; tries++) {
		rc = health(quick, &err);
		if (rc == 0 && tries > 0)
			break;
		if (rc == -EAGAIN)
			clock_sleep_ms(err.retry_after_ms);
	}
	CU_ASSERT_EQUAL(rc, 0);
	ops->disconnect(quick);
}

static void test_error_rate(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, "{\"error_rate\":0.5,\"seed\":7}");
	void *all = conn(dir, "{\"error_rate\":1}");
	void *clean = conn(dir, FAST);
	struct drv_error err;
	struct drv_vm vm;
	int failed = 0;

	for (int i = 0; i < 200; i++) {
		int rc = health(h, &err);

		CU_ASSERT(rc == 0 || rc == -EIO);
		if (rc != -EIO)
			continue;
		failed++;
		CU_ASSERT_STRING_EQUAL(err.code, "InternalError");
		CU_ASSERT_EQUAL(err.http_status, 500);
		CU_ASSERT(err.retryable);
	}
	CU_ASSERT(failed > 50 && failed < 150);
	CU_ASSERT_EQUAL(create(all, "e-1", "tok-e-1", &vm, &err), -EIO);
	CU_ASSERT(err.request_id[0] != '\0');
	CU_ASSERT_EQUAL(count(clean, NULL, NULL), 0);	/* a failed call made nothing */
	ops->disconnect(h);
	ops->disconnect(all);
	ops->disconnect(clean);
}

static void test_latency_deadline(void)
{
	const char *dir = new_dir();
	void *lat = conn(dir, "{\"latency_ms\":5000,\"boot_ms\":0}");
	void *some = conn(dir, "{\"latency_ms\":400,\"boot_ms\":0}");
	void *small = conn(dir, "{\"latency_ms\":20,\"boot_ms\":0}");
	void *fast = conn(dir, FAST);
	struct drv_ctx c = ctx_in(100);
	struct drv_error err = { 0 };
	struct drv_vm vm;
	struct treq q;

	/* The deadline comes first: wait until it, not the whole latency. */
	CU_ASSERT_EQUAL(ops->health(lat, &c, &err), -ETIMEDOUT);
	CU_ASSERT(clock_mono_ms() >= c.deadline_ms);
	CU_ASSERT_STRING_EQUAL(err.code, "RequestTimeout");
	CU_ASSERT(err.retryable);
	/* A deadline before the request arrives (half the latency), or
	 * already past: the cloud never sees the request. */
	c = ctx_in(100);
	req_init(&q, "l-0", "tok-l-0", NULL);
	CU_ASSERT_EQUAL(ops->create_vm(lat, &c, &q.r, &vm, &err), -ETIMEDOUT);
	c = ctx_in(-1);
	req_init(&q, "l-1", "tok-l-1", NULL);
	CU_ASSERT_EQUAL(ops->create_vm(fast, &c, &q.r, &vm, &err), -ETIMEDOUT);
	CU_ASSERT_EQUAL(count(fast, NULL, NULL), 0);
	/* A timeout may lose the answer of a create that happened: the token
	 * makes the retry safe either way. */
	c = ctx_in(300);
	req_init(&q, "l-2", "tok-l-2", NULL);
	CU_ASSERT_EQUAL(ops->create_vm(some, &c, &q.r, &vm, &err), -ETIMEDOUT);
	CU_ASSERT_EQUAL(create_req(fast, &q.r, &vm, &err), 0);
	CU_ASSERT_EQUAL(count(fast, NULL, NULL), 1);
	/* Latency within the deadline is only a delay. */
	req_init(&q, "l-3", "tok-l-3", NULL);
	CU_ASSERT_EQUAL(create_req(small, &q.r, &vm, &err), 0);
	CU_ASSERT_EQUAL(count(small, NULL, NULL), 2);
	ops->disconnect(lat);
	ops->disconnect(some);
	ops->disconnect(small);
	ops->disconnect(fast);
}

/* ---- client tokens and tags ----------------------------------------- */

static void test_client_token(void)
{
	void *h = conn(new_dir(), FAST);
	struct drv_vm first = create_ok(h, "ct-1", "tok-ct-1"), vm;
	struct drv_kv reordered[3];
	struct drv_error err;
	struct treq q;

	CU_ASSERT_EQUAL(create(h, "ct-1", "tok-ct-1", &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, first.csp_id);
	/* The same tags in another order are the same request. */
	req_init(&q, "ct-1", "tok-ct-1", NULL);
	reordered[0] = q.tags[2];
	reordered[1] = q.tags[0];
	reordered[2] = q.tags[1];
	q.r.tags = reordered;
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, first.csp_id);
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 1);
	/* Any changed parameter is a mismatch. */
	for (int field = 0; field < 5; field++) {
		req_init(&q, "ct-1", "tok-ct-1", NULL);
		if (field == 0)
			q.r.spec = "m1.large";
		if (field == 1)
			q.r.image = "debian-12";
		if (field == 2)
			q.r.zone = "mock-1c";
		if (field == 3)
			q.r.user_data = "#!/bin/sh\n";
		if (field == 4)
			q.r.name = "ct-2";
		CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err.code, "IdempotentParameterMismatch");
		CU_ASSERT(has(err.message, "tok-ct-1"));
	}
	/* Without a token every create is a new VM. */
	create_ok(h, "ct-3", NULL);
	create_ok(h, "ct-3", NULL);
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 3);
	ops->disconnect(h);
}

static void test_tags_and_filters(void)
{
	void *h = conn(new_dir(), FAST);
	struct drv_kv other[1] = { { "owner", "someone" } };
	struct drv_kv retag[3] = { { "tier", "front" },
				   { DRV_TAG_MANAGED, "somebody-else" },
				   { "team", "shop" } };
	struct drv_ctx c = ctx_in(30000);
	struct drv_error err = { 0 };
	struct collect *col = calloc(1, sizeof(*col));
	struct drv_vm a1 = create_ok(h, "a-1", NULL), vm;
	struct treq q;

	create_ok(h, "a-2", NULL);
	req_init(&q, "b-1", NULL, NULL);
	q.tags[1].value = "other-grp";
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), 0);
	req_init(&q, "x-1", NULL, NULL);
	q.r.tags = other;
	q.r.ntags = 1;
	CU_ASSERT_EQUAL(create_req(h, &q.r, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "");

	CU_ASSERT_EQUAL(count(h, NULL, NULL), 3);	/* managed-by=baristafs */
	CU_ASSERT_EQUAL(count(h, DRV_TAG_GROUP, "grp"), 2);
	CU_ASSERT_EQUAL(count(h, DRV_TAG_GROUP, "other-grp"), 1);
	CU_ASSERT_EQUAL(count(h, "owner", "someone"), 1);
	CU_ASSERT_EQUAL(count(h, "owner", "nobody"), 0);
	CU_ASSERT_EQUAL(count(h, DRV_TAG_ID, "grp/a-1"), 1);

	/* tag_vm replaces the user tags and keeps the standard ones. */
	CU_ASSERT_EQUAL(ops->tag_vm(h, &c, a1.csp_id, retag, 3, &err), 0);
	CU_ASSERT_EQUAL(count(h, "tier", "front"), 1);
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 3);
	CU_ASSERT_EQUAL(count(h, DRV_TAG_GROUP, "grp"), 2);
	CU_ASSERT_EQUAL(ops->tag_vm(h, &c, a1.csp_id, retag, 1, &err), 0);
	CU_ASSERT_EQUAL(count(h, "team", "shop"), 0);
	CU_ASSERT_EQUAL(get(h, a1.csp_id, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "grp/a-1");
	CU_ASSERT_EQUAL(ops->tag_vm(h, &c, "i-nope", retag, 1, &err), -ENOENT);
	CU_ASSERT_EQUAL(ops->tag_vm(h, &c, a1.csp_id, dup_tags, 2, &err), -EINVAL);

	/* Stopping early, and a filter needs both halves. */
	col->stop_after = 1;
	CU_ASSERT_EQUAL(ops->list_vms(h, &c, NULL, collect_cb, col, &err), 0);
	CU_ASSERT_EQUAL(col->n, 1);
	CU_ASSERT_EQUAL(ops->list_vms(h, &c, &(struct drv_kv){ "k", NULL }, collect_cb, col, &err),
			-EINVAL);
	free(col);
	ops->disconnect(h);
}

/* ---- persistence ---------------------------------------------------- */

static void test_persistence(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, FAST);
	struct drv_vm a = create_ok(h, "p-1", "tok-p-1"), b = create_ok(h, "p-2", "tok-p-2");
	struct drv_vm c, again, vm;
	struct drv_kv tag = { "tier", "db" };
	struct drv_ctx cx = ctx_in(30000);
	struct drv_error err;

	CU_ASSERT_EQUAL(control(h, b.csp_id, DRV_ACT_SUSPEND, &err), 0);
	CU_ASSERT_EQUAL(ops->tag_vm(h, &cx, a.csp_id, &tag, 1, &err), 0);
	CU_ASSERT_EQUAL(get(h, b.csp_id, &b, &err), 0);
	ops->disconnect(h);

	/* Another connection, other settings, same cloud. */
	h = conn(dir, SLOW);
	CU_ASSERT_EQUAL(get(h, a.csp_id, &vm, &err), 0);
	CU_ASSERT(memcmp(&vm, &a, sizeof(vm)) == 0);
	CU_ASSERT_EQUAL(get(h, b.csp_id, &vm, &err), 0);
	CU_ASSERT(memcmp(&vm, &b, sizeof(vm)) == 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_SUSPENDED);
	CU_ASSERT_EQUAL(count(h, "tier", "db"), 1);
	CU_ASSERT_EQUAL(create(h, "p-1", "tok-p-1", &again, &err), 0);	/* tokens survive */
	CU_ASSERT_STRING_EQUAL(again.csp_id, a.csp_id);
	c = create_ok(h, "p-3", "tok-p-3");	/* ids and addresses are never reused */
	CU_ASSERT_STRING_NOT_EQUAL(c.csp_id, a.csp_id);
	CU_ASSERT_STRING_NOT_EQUAL(c.csp_id, b.csp_id);
	CU_ASSERT_STRING_NOT_EQUAL(c.private_ip, a.private_ip);
	CU_ASSERT_STRING_NOT_EQUAL(c.private_ip, b.private_ip);
	ops->disconnect(h);
}

static void test_boot_continues_while_disconnected(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, "{\"boot_ms\":300}");
	struct drv_vm vm = create_ok(h, "bd-1", NULL);

	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	ops->disconnect(h);
	clock_sleep_ms(400);	/* longer than the boot: only a lower bound matters */
	h = conn(dir, SLOW);
	CU_ASSERT_EQUAL(status_of(h, vm.csp_id), DRV_VM_RUNNING);
	ops->disconnect(h);
}

static void append_text(const char *dir, const char *text)
{
	char path[128];
	int fd;

	journal_path(dir, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Every line of the journal ends with a newline and parses. */
static size_t journal_lines(const char *dir)
{
	char path[128], line[65536];
	size_t n = 0;
	FILE *f;

	journal_path(dir, path, sizeof(path));
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);

		CU_ASSERT(line[strlen(line) - 1] == '\n');
		CU_ASSERT(j != NULL);
		json_decref(j);
		n++;
	}
	fclose(f);
	return n;
}

static void test_torn_journal(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, FAST);
	struct drv_vm a = create_ok(h, "tj-1", NULL), vm;
	struct drv_error err;

	create_ok(h, "tj-2", NULL);
	ops->disconnect(h);
	/* What kill -9 in the middle of a write can leave. */
	append_text(dir, "{\"kind\":\"vm\",\"seq\":3,\"id\":\"i-0");
	h = conn(dir, FAST);
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 2);
	CU_ASSERT_EQUAL(get(h, a.csp_id, &vm, &err), 0);
	create_ok(h, "tj-3", NULL);	/* appends after the torn tail was dropped */
	ops->disconnect(h);
	CU_ASSERT_EQUAL(journal_lines(dir), 5);	/* header, 3 VMs, the network */
	h = conn(dir, FAST);
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 3);
	ops->disconnect(h);
}

static const struct {
	const char *text;	/* appended after the good lines */
	const char *needle;
} corrupt_lines[] = {
	{ "garbage\n", "line 4" },
	{ "{\"kind\":\"vm\",\"seq\":9}\n", "field" },
	{ "{\"kind\":\"header\",\"format\":\"baristafs-mock-journal\",\"version\":1,"
	  "\"salt\":\"1\",\"next_seq\":1}\n", "first line" },
	{ "{\"kind\":\"volume\"}\n", "unknown record kind" },
	{ "[1,2]\n", "kind" },
	{ "\n", "line 4" },
};

static void test_corrupt_journal(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(corrupt_lines); i++) {
		const char *dir = new_dir();
		void *h = conn(dir, FAST);
		struct drv_error err;
		int rc;

		create_ok(h, "cj-1", NULL);
		ops->disconnect(h);	/* header, VM, network: three lines */
		append_text(dir, corrupt_lines[i].text);
		rc = try_conn(dir, FAST, &h, &err);
		CU_ASSERT_EQUAL(rc, -EIO);
		CU_ASSERT(has(err.message, "corrupt"));
		CU_ASSERT(has(err.message, corrupt_lines[i].needle));
	}
}

static void test_record_rewrites_rejected(void)
{
	/* A later record may not change a VM's id, nor reuse another's. */
	const char *dir = new_dir();
	void *h = conn(dir, FAST);
	struct drv_vm a = create_ok(h, "rr-1", NULL);
	struct drv_error err;
	char line[2048];

	ops->disconnect(h);
	snprintf(line, sizeof(line),
		 "{\"kind\":\"vm\",\"seq\":7,\"id\":\"%s\",\"name\":\"x\",\"token\":\"\",\"params\":\"\","
		 "\"spec\":\"m1.small\",\"vcpus\":2,\"image\":\"ubuntu-22.04\",\"zone\":\"mock-1a\","
		 "\"private_ip\":\"10.0.0.9\",\"public_ip\":\"\",\"created_ms\":1,\"state\":\"Running\","
		 "\"until_ms\":0,\"then\":\"Running\",\"gone_ms\":0,\"reason\":\"\",\"tags\":{}}\n",
		 a.csp_id);
	append_text(dir, line);
	CU_ASSERT_EQUAL(try_conn(dir, FAST, &h, &err), -EIO);
	CU_ASSERT(has(err.message, "reuses"));
}

static off_t journal_size(const char *dir)
{
	char path[128];
	struct stat st;

	journal_path(dir, path, sizeof(path));
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	return st.st_size;
}

static void test_journal_write_failure(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, FAST);
	struct rlimit old, lim;
	struct drv_error err;
	struct drv_vm vm;
	off_t size;
	int rc;

	create_ok(h, "wf-1", NULL);
	size = journal_size(dir);
	/* Room for part of a record only: write(2) comes back short. */
	CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 100;
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	rc = create(h, "wf-2", "tok-wf-2", &vm, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(has(err.message, "journal write failed"));
	CU_ASSERT_EQUAL(journal_size(dir), size);	/* the partial line was cut */
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 1);	/* and nothing was half made */
	CU_ASSERT_EQUAL(create(h, "wf-2", "tok-wf-2", &vm, &err), 0);
	ops->disconnect(h);
	h = conn(dir, FAST);
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 2);
	ops->disconnect(h);
}

static void test_compaction(void)
{
	const char *dir = new_dir();
	void *h = conn(dir, "{\"boot_ms\":0,\"terminate_ms\":0,\"terminated_ttl_ms\":0}");
	struct drv_vm keep = create_ok(h, "cp-1", NULL), gone = create_ok(h, "cp-2", NULL);
	struct drv_ctx c = ctx_in(60000);
	struct drv_error err = { 0 };
	char value[16];
	struct drv_kv tag = { "round", value };

	/* Many changes to one VM: the journal is rewritten as it grows. */
	for (int i = 0; i < 1200; i++) {
		snprintf(value, sizeof(value), "%d", i);
		CU_ASSERT_EQUAL(ops->tag_vm(h, &c, keep.csp_id, &tag, 1, &err), 0);
	}
	CU_ASSERT(journal_lines(dir) < 300);
	CU_ASSERT_EQUAL(count(h, "round", "1199"), 1);
	/* A VM past its time to disappear is dropped from the file. */
	CU_ASSERT_EQUAL(delete(h, gone.csp_id, &err), 0);
	CU_ASSERT_EQUAL(get(h, gone.csp_id, &keep, &err), -ENOENT);
	ops->disconnect(h);
	h = conn(dir, FAST);
	CU_ASSERT_EQUAL(journal_lines(dir), 3);	/* header, cp-1, the network */
	CU_ASSERT_EQUAL(count(h, "round", "1199"), 1);
	ops->disconnect(h);
}

/*
 * The journal is read by tests in other languages: check the documented
 * procedure (last record per id wins; status = then if now >= until_ms else
 * state) gives what get_vm gives.
 */
static void check_record(void *h, const json_t *rec, int64_t now)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_int_t until = json_integer_value(json_object_get(rec, "until_ms"));
	const char *key = now >= until ? "then" : "state";
	const char *st = json_string_value(json_object_get(rec, key));
	static const char *const names[] = { "Undefined", "Creating", "Running", "Suspending",
					     "Suspended", "Resuming", "Rebooting", "Terminating",
					     "Terminated", "Failed" };
	struct drv_error err;
	struct drv_vm vm;

	CU_ASSERT_FATAL(id && st);
	CU_ASSERT_EQUAL_FATAL(get(h, id, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(st, names[vm.status]);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "name")), vm.name);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_object_get(rec, "tags"), DRV_TAG_ID)), vm.baristafs_id);
}

static void test_journal_format(void)
{
	struct clouds c;
	char path[128], line[65536], id[32];
	json_t *live = json_object();
	const char *key;
	json_t *rec;
	size_t n = 0;
	FILE *f;

	clouds_open(&c);
	for (enum drv_vm_status st = DRV_VM_CREATING; st <= DRV_VM_FAILED; st++)
		reach(&c, st, id);
	journal_path(c.dir, path, sizeof(path));
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *kind = json_string_value(json_object_get(j, "kind"));

		CU_ASSERT_FATAL(j && kind);
		if (n++ == 0) {
			CU_ASSERT_STRING_EQUAL(kind, "header");
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "format")),
					       "baristafs-mock-journal");
		}
		if (strcmp(kind, "vm") == 0)
			json_object_set(live, json_string_value(json_object_get(j, "id")), j);
		json_decref(j);
	}
	fclose(f);
	CU_ASSERT_EQUAL(json_object_size(live), DRV_VM_FAILED);
	json_object_foreach(live, key, rec)
		check_record(c.fast, rec, clock_wall_ms());
	json_decref(live);
	clouds_close(&c);
	/* After reconnecting, the file is compacted: one line per VM. */
	c.fast = conn(c.dir, FAST);
	CU_ASSERT_EQUAL(journal_lines(c.dir), 1 + DRV_VM_FAILED + 1);
	ops->disconnect(c.fast);
}

/* ---- crash: kill -9 in the middle of creating ----------------------- */

static void child_creates(const char *dir, int wfd)
{
	struct drv_error err;
	void *h;

	if (try_conn(dir, "{\"boot_ms\":2000}", &h, &err))
		_exit(2);
	for (int i = 0; i < 20000; i++) {
		char name[32], token[32], line[96];
		struct drv_vm vm;
		int len;

		snprintf(name, sizeof(name), "k-%d", i);
		snprintf(token, sizeof(token), "tok-k-%d", i);
		if (create(h, name, token, &vm, &err))
			_exit(3);
		/* Acknowledged: create_vm returned. */
		len = snprintf(line, sizeof(line), "%s %s\n", token, vm.csp_id);
		if (write(wfd, line, (size_t)len) != len)
			_exit(4);
	}
	_exit(0);
}

/* Read acknowledged creates until at least `want`; returns how many. */
static size_t read_acks(FILE *in, char acks[][2][40], size_t max, size_t want)
{
	size_t n = 0;

	while (n < want && n < max && fscanf(in, "%39s %39s", acks[n][0], acks[n][1]) == 2)
		n++;
	return n;
}

static void test_crash_kill9(void)
{
	static char acks[2048][2][40];
	const char *dir = new_dir();
	struct drv_error err;
	struct drv_vm vm;
	size_t n;
	int fds[2], status;
	pid_t pid;
	FILE *in;
	void *h;

	CU_ASSERT_FATAL(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_creates(dir, fds[1]);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	n = read_acks(in, acks, ARRAY_SIZE(acks), 50);
	/* While it lives, the directory is its own. */
	CU_ASSERT_EQUAL(try_conn(dir, FAST, &h, &err), -EBUSY);
	CU_ASSERT_STRING_EQUAL(err.code, "StateDirInUse");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	n += read_acks(in, acks + n, ARRAY_SIZE(acks) - n, ARRAY_SIZE(acks));
	fclose(in);
	CU_ASSERT_FATAL(n >= 50);

	h = conn(dir, "{\"boot_ms\":2000}");
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(get(h, acks[i][1], &vm, &err), 0);
		CU_ASSERT_STRING_EQUAL(vm.client_token, acks[i][0]);
	}
	/* At most the one create in flight is more than was acknowledged. */
	CU_ASSERT(count(h, NULL, NULL) >= n && count(h, NULL, NULL) <= n + 1);
	/* Retrying an acknowledged create (same token) makes no second VM. */
	CU_ASSERT_EQUAL(create(h, "k-0", acks[0][0], &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, acks[0][1]);
	ops->disconnect(h);
}

/* ---- concurrency ---------------------------------------------------- */

struct worker {
	void *h;
	int index, made, errors;
	const char *token;	/* all create with this one when set */
	pthread_barrier_t *barrier;
	char ids[40][32];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct drv_error err;
	struct drv_vm vm, got;
	size_t listed;

	pthread_barrier_wait(w->barrier);
	for (int i = 0; i < (w->token ? 1 : 40); i++) {
		char name[32], token[40];

		snprintf(name, sizeof(name), "w%d-%d", w->index, i);
		snprintf(token, sizeof(token), "tok-%s", name);
		if (create(w->h, w->token ? "same" : name, w->token ? w->token : token, &vm, &err)) {
			w->errors++;
			continue;
		}
		snprintf(w->ids[w->made++], sizeof(w->ids[0]), "%.31s", vm.csp_id);
		w->errors += get(w->h, vm.csp_id, &got, &err) != 0;
		if (i % 10 == 0)
			w->errors += list_count(w->h, NULL, NULL, &listed) != 0;
		if (i % 7 == 0)
			w->errors += control(w->h, vm.csp_id, DRV_ACT_REBOOT, &err) != 0;
	}
	return NULL;
}

static void run_workers(void *h, const char *token, struct worker *w, size_t n)
{
	pthread_barrier_t barrier;
	pthread_t t[8];

	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		w[i] = (struct worker){ .h = h, .index = (int)i, .token = token,
					.barrier = &barrier };
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, worker_run, &w[i]) == 0);
	}
	for (size_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
}

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_concurrency(void)
{
	static char all[8 * 40][32];
	static struct worker w[8];
	void *h = conn(new_dir(), FAST);
	size_t n = 0;

	run_workers(h, NULL, w, 8);
	for (size_t i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(w[i].errors, 0);
		CU_ASSERT_EQUAL(w[i].made, 40);
		for (int j = 0; j < w[i].made; j++)
			memcpy(all[n++], w[i].ids[j], sizeof(all[0]));
	}
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 8 * 40);
	qsort(all, n, sizeof(all[0]), cmp_ids);
	for (size_t i = 1; i < n; i++)
		CU_ASSERT(strcmp(all[i - 1], all[i]) != 0);
	ops->disconnect(h);
}

static void test_token_race(void)
{
	static struct worker w[8];
	void *h = conn(new_dir(), FAST);

	/* Eight threads send the same create at once: one VM, one answer. */
	run_workers(h, "tok-race", w, 8);
	for (size_t i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(w[i].errors, 0);
		CU_ASSERT_EQUAL(w[i].made, 1);
		CU_ASSERT_STRING_EQUAL(w[i].ids[0], w[0].ids[0]);
	}
	CU_ASSERT_EQUAL(count(h, NULL, NULL), 1);
	ops->disconnect(h);
}

/* ---- the rest of the cloud ------------------------------------------ */

static void test_cleanup(void)
{
	void *h = conn(new_dir(), FAST);
	struct drv_ctx c = ctx_in(30000);
	struct drv_error err = { 0 };
	struct drv_vm vm;

	CU_ASSERT_EQUAL(ops->cleanup(h, &c, &err), 0);	/* nothing made yet */
	vm = create_ok(h, "cl-1", NULL);
	CU_ASSERT_EQUAL(ops->cleanup(h, &c, &err), -EBUSY);
	CU_ASSERT_STRING_EQUAL(err.code, "DependencyViolation");
	CU_ASSERT(has(err.message, vm.csp_id));
	CU_ASSERT_EQUAL(delete(h, vm.csp_id, &err), 0);
	CU_ASSERT_EQUAL(ops->cleanup(h, &c, &err), 0);
	CU_ASSERT_EQUAL(ops->cleanup(h, &c, &err), 0);
	create_ok(h, "cl-2", NULL);	/* the network is made again */
	CU_ASSERT_EQUAL(ops->cleanup(h, &c, &err), -EBUSY);
	ops->disconnect(h);
}

static void test_shared_cloud(void)
{
	const char *dir = new_dir();
	void *a = conn(dir, FAST), *b = conn(dir, SLOW);
	struct drv_vm vm = create_ok(a, "sh-1", NULL), got;
	struct drv_error err;

	CU_ASSERT_EQUAL(get(b, vm.csp_id, &got, &err), 0);
	ops->disconnect(a);
	create_ok(b, "sh-2", NULL);
	CU_ASSERT_EQUAL(count(b, NULL, NULL), 2);
	ops->disconnect(b);
}

static void test_public_ip_pool(void)
{
	void *h = conn(new_dir(), FAST);
	struct drv_error err;
	struct drv_vm first = { 0 }, vm;
	char seen_ips[762][16];
	size_t n = 0;

	for (int i = 0; i < 762; i++) {
		vm = create_ok(h, "ip", NULL);
		if (i == 0)
			first = vm;
		CU_ASSERT(doc_address(vm.public_ip));
		snprintf(seen_ips[n++], sizeof(seen_ips[0]), "%.15s", vm.public_ip);
	}
	qsort(seen_ips, n, sizeof(seen_ips[0]), cmp_ids);
	for (size_t i = 1; i < n; i++)
		CU_ASSERT(strcmp(seen_ips[i - 1], seen_ips[i]) != 0);
	vm = create_ok(h, "ip", NULL);	/* the pool is exhausted */
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "");
	CU_ASSERT_EQUAL(delete(h, first.csp_id, &err), 0);
	vm = create_ok(h, "ip", NULL);	/* a released address is found again */
	CU_ASSERT_STRING_EQUAL(vm.public_ip, first.public_ip);
	ops->disconnect(h);
}

static const struct cu_test tests[] = {
	{ "table", test_table },
	{ "settings_bad", test_settings_bad },
	{ "settings_state_dir", test_settings_state_dir },
	{ "settings_defaults", test_settings_defaults },
	{ "catalog_default", test_catalog_default },
	{ "catalog_override", test_catalog_override },
	{ "create_bad_input", test_create_bad_input },
	{ "vm_fields", test_vm_fields },
	{ "state_machine", test_state_machine },
	{ "action_matrix", test_action_matrix },
	{ "delete_matrix", test_delete_matrix },
	{ "fail_rate", test_fail_rate },
	{ "fail_at_boot_time", test_fail_at_boot_time },
	{ "seeded_ids", test_seeded_ids },
	{ "quota", test_quota },
	{ "throttling", test_throttling },
	{ "error_rate", test_error_rate },
	{ "latency_deadline", test_latency_deadline },
	{ "client_token", test_client_token },
	{ "tags_and_filters", test_tags_and_filters },
	{ "persistence", test_persistence },
	{ "boot_continues_while_disconnected", test_boot_continues_while_disconnected },
	{ "torn_journal", test_torn_journal },
	{ "corrupt_journal", test_corrupt_journal },
	{ "record_rewrites_rejected", test_record_rewrites_rejected },
	{ "journal_format", test_journal_format },
	{ "journal_write_failure", test_journal_write_failure },
	{ "compaction", test_compaction },
	{ "crash_kill9", test_crash_kill9 },
	{ "concurrency", test_concurrency },
	{ "token_race", test_token_race },
	{ "cleanup", test_cleanup },
	{ "shared_cloud", test_shared_cloud },
	{ "public_ip_pool", test_public_ip_pool },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "mock", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
