/*
 * harness.c - drvharness: drive any drivers/<name>.so through the driver
 * ABI from a shell script, one operation per run.
 *
 *   drvharness DRIVER.so CLOUD.json COMMAND [ARGS...]
 *
 * CLOUD.json is one cloud as cloudtwin's GET /_twin/clouds lists it (or as
 * a user would configure it): the spec keys (region, zone, endpoint,
 * auth_endpoint, ca_file, ...) plus "credential" (an object) and "name".
 *
 * Commands:
 *   check                          the table: ABI version, size, name, operations
 *   health
 *   specs                          name vcpus mem_gib gpus arch price_usd_per_hour source
 *   images                         name id os arch
 *   create NAME TOKEN SPEC IMAGE [ZONE|-] [KEY=VALUE...]   prints: csp_id status
 *   get ID                         key=value lines
 *   list [KEY=VALUE]               csp_id status baristafs_id, one line per VM
 *   suspend|resume|reboot ID
 *   delete ID
 *   tag ID KEY=VALUE...
 *   wait ID STATUS [SECONDS]       poll get until the common status is STATUS
 *                                  (Terminated also when the cloud says ENOENT)
 *   cleanup
 *   bench N                        N health calls on one connection: wall ms p50 p99,
 *                                  and CPU ms per call (signing, HTTP, parsing)
 *
 * Exit 0 on success.  On a driver error it prints
 *   ERR <ERRNO> code=<code> http=<status> retryable=<0|1> retry_after_ms=<n> message=<text>
 * on stdout and exits 1; usage errors exit 2.  Each call's deadline is
 * DRV_DEADLINE_MS (default 30000) from its start.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "drivers/driver.h"
#include "lib/clock.h"

#define HARNESS_MAX_TAGS 32

struct harness {
	const struct drv_ops *ops;
	void *conn;
	int64_t deadline_ms;
};

static const char *const status_names[DRV_VM_NSTATUS] = {
	"Undefined", "Creating", "Running", "Suspending", "Suspended",
	"Resuming", "Rebooting", "Terminating", "Terminated", "Failed",
};

static int usage(void)
{
	fprintf(stderr, "usage: drvharness DRIVER.so CLOUD.json COMMAND [ARGS...]\n");
	return 2;
}

static struct drv_ctx harness_ctx(const struct harness *h)
{
	return (struct drv_ctx){ .deadline_ms = clock_mono_ms() + h->deadline_ms,
				 .op_id = "drvharness" };
}

static int report(int rc, const struct drv_error *err)
{
	if (rc == 0)
		return 0;
	printf("ERR %s code=%s http=%d retryable=%d retry_after_ms=%d message=%s\n",
	       strerrorname_np(-rc) ? strerrorname_np(-rc) : "?", err->code, err->http_status,
	       err->retryable ? 1 : 0, err->retry_after_ms, err->message);
	return 1;
}

/* KEY=VALUE arguments into kv (pointing into the arguments). */
static int parse_kv(int argc, char **argv, struct drv_kv *kv)
{
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq || i >= HARNESS_MAX_TAGS)
			return -1;
		*eq = '\0';
		kv[i] = (struct drv_kv){ argv[i], eq + 1 };
	}
	return argc;
}

/* ---- connect ------------------------------------------------------------------ */

static int harness_connect(struct harness *h, const char *file, struct drv_error *err)
{
	json_error_t jerr;
	json_t *cloud = json_load_file(file, 0, &jerr), *spec;
	struct drv_config cfg = { .state_dir = "/tmp" };
	int rc;

	if (!json_is_object(cloud)) {
		fprintf(stderr, "drvharness: %s: %s\n", file, jerr.text);
		json_decref(cloud);
		return -EINVAL;
	}
	spec = json_deep_copy(cloud);
	json_object_del(spec, "credential");
	cfg.cloud = json_string_value(json_object_get(cloud, "name"));
	cfg.spec = spec;
	cfg.credential = json_object_get(cloud, "credential");
	rc = h->ops->connect(&cfg, &h->conn, err);
	json_decref(spec);
	json_decref(cloud);
	return rc;
}

/* ---- commands ------------------------------------------------------------------ */

static int cmd_check(struct harness *h)
{
	const struct drv_ops *o = h->ops;
	int bad = 0;

	printf("abi_version %u\nsize %u\nname %s\ncaps 0x%x\n", o->abi_version, o->size, o->name,
	       o->caps);
	bad |= o->abi_version != DRV_ABI_VERSION;
	bad |= o->size < sizeof(struct drv_ops);
	bad |= !o->connect || !o->disconnect || !o->health || !o->list_specs ||
	       !o->list_images || !o->create_vm || !o->get_vm || !o->list_vms ||
	       !o->control_vm || !o->delete_vm;
	if (bad)
		printf("ERR EINVAL code=BadTable http=0 retryable=0 retry_after_ms=0 "
		       "message=the driver table is incomplete\n");
	return bad ? 1 : 0;
}

static int print_spec(void *arg, const struct drv_spec_info *s)
{
	(void)arg;
	printf("%s %d %.3f %d %s %.4f %s\n", s->name, s->vcpus, s->mem_gib, s->gpus, s->arch,
	       s->price_usd_per_hour, s->price_source);
	return 0;
}

static int print_image(void *arg, const struct drv_image_info *im)
{
	(void)arg;
	printf("%s %s %s %s\n", im->name, im->id, im->os[0] ? im->os : "-",
	       im->arch[0] ? im->arch : "-");
	return 0;
}

static int print_vm_line(void *arg, const struct drv_vm *vm)
{
	(void)arg;
	printf("%s %s %s\n", vm->csp_id, status_names[vm->status],
	       vm->baristafs_id[0] ? vm->baristafs_id : "-");
	return 0;
}

static void print_vm(const struct drv_vm *vm)
{
	printf("csp_id=%s\nname=%s\nstatus=%s\nstatus_raw=%s\nspec=%s\nimage=%s\nzone=%s\n"
	       "public_ip=%s\nprivate_ip=%s\ncreated=%lld\nbaristafs_id=%s\nclient_token=%s\n"
	       "reason=%s\n", vm->csp_id, vm->name, status_names[vm->status], vm->status_raw,
	       vm->spec, vm->image, vm->zone, vm->public_ip, vm->private_ip,
	       (long long)vm->created, vm->baristafs_id, vm->client_token, vm->reason);
}

static int cmd_create(struct harness *h, int argc, char **argv, struct drv_error *err)
{
	struct drv_kv tags[HARNESS_MAX_TAGS];
	struct drv_vm_req req = { 0 };
	struct drv_ctx ctx = harness_ctx(h);
	struct drv_vm vm;
	int n, rc;

	if (argc < 4)
		return usage();
	n = parse_kv(argc > 5 ? argc - 5 : 0, argv + 5, tags);
	if (n < 0)
		return usage();
	req = (struct drv_vm_req){ .name = argv[0], .client_token = argv[1], .spec = argv[2],
				   .image = argv[3], .tags = tags, .ntags = (size_t)n,
				   .user_data = getenv("DRV_USER_DATA"),
				   .ssh_public_key = getenv("DRV_SSH_KEY") };
	if (argc > 4 && strcmp(argv[4], "-") != 0)
		req.zone = argv[4];
	rc = h->ops->create_vm(h->conn, &ctx, &req, &vm, err);
	if (rc == 0)
		printf("%s %s\n", vm.csp_id, status_names[vm.status]);
	return report(rc, err);
}

static int cmd_wait(struct harness *h, int argc, char **argv, struct drv_error *err)
{
	int64_t until = clock_mono_ms() + (argc > 2 ? atoi(argv[2]) : 60) * 1000;
	struct drv_vm vm = { .status = DRV_VM_UNDEFINED };
	int rc;

	if (argc < 2)
		return usage();
	for (;;) {
		struct drv_ctx ctx = harness_ctx(h);

		memset(err, 0, sizeof(*err));
		rc = h->ops->get_vm(h->conn, &ctx, argv[0], &vm, err);
		if (rc == -ENOENT && strcmp(argv[1], "Terminated") == 0)
			return 0;
		if (rc == 0 && strcmp(status_names[vm.status], argv[1]) == 0)
			return 0;
		if (rc && rc != -EAGAIN && rc != -EIO && rc != -ETIMEDOUT)
			return report(rc, err);
		if (clock_mono_ms() > until)
			break;
		clock_sleep_ms(200);
	}
	printf("ERR ETIMEDOUT code=WaitTimeout http=0 retryable=0 retry_after_ms=0 "
	       "message=%s is %s, not %s\n", argv[0], status_names[vm.status], argv[1]);
	return 1;
}

static int cmd_control(struct harness *h, const char *verb, const char *id,
		       struct drv_error *err)
{
	struct drv_ctx ctx = harness_ctx(h);
	enum drv_action act = strcmp(verb, "suspend") == 0 ? DRV_ACT_SUSPEND
			      : strcmp(verb, "resume") == 0 ? DRV_ACT_RESUME
							     : DRV_ACT_REBOOT;

	return report(h->ops->control_vm(h->conn, &ctx, id, act, err), err);
}

static int cmd_list(struct harness *h, int argc, char **argv, struct drv_error *err)
{
	struct drv_ctx ctx = harness_ctx(h);
	struct drv_kv kv;

	if (argc > 0 && parse_kv(1, argv, &kv) != 1)
		return usage();
	return report(h->ops->list_vms(h->conn, &ctx, argc > 0 ? &kv : NULL, print_vm_line, NULL,
				       err), err);
}

static int cmd_get(struct harness *h, const char *id, struct drv_error *err)
{
	struct drv_ctx ctx = harness_ctx(h);
	struct drv_vm vm;
	int rc = h->ops->get_vm(h->conn, &ctx, id, &vm, err);

	if (rc == 0)
		print_vm(&vm);
	return report(rc, err);
}

static int cmd_tag(struct harness *h, int argc, char **argv, struct drv_error *err)
{
	struct drv_kv tags[HARNESS_MAX_TAGS];
	struct drv_ctx ctx = harness_ctx(h);
	int n;

	if (argc < 1 || !h->ops->tag_vm)
		return usage();
	n = parse_kv(argc - 1, argv + 1, tags);
	if (n < 0)
		return usage();
	return report(h->ops->tag_vm(h->conn, &ctx, argv[0], tags, (size_t)n, err), err);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmd_bench(struct harness *h, int n, struct drv_error *err)
{
	int64_t *ns = calloc((size_t)(n > 0 ? n : 1), sizeof(*ns)), cpu0 = cpu_ns();
	int rc = 0;

	for (int i = 0; ns && rc == 0 && i < n; i++) {
		struct drv_ctx ctx = harness_ctx(h);
		int64_t t0 = clock_mono_ns();

		rc = h->ops->health(h->conn, &ctx, err);
		ns[i] = clock_mono_ns() - t0;
	}
	if (rc == 0 && ns && n > 0) {
		qsort(ns, (size_t)n, sizeof(*ns), cmp_i64);
		printf("calls %d p50_ms %.3f p99_ms %.3f cpu_ms_per_call %.3f\n", n,
		       ns[n / 2] / 1e6, ns[(n * 99) / 100] / 1e6, (cpu_ns() - cpu0) / 1e6 / n);
	}
	free(ns);
	return report(rc, err);
}

static int run(struct harness *h, const char *cmd, int argc, char **argv, struct drv_error *err)
{
	struct drv_ctx ctx = harness_ctx(h);

	if (strcmp(cmd, "health") == 0)
		return report(h->ops->health(h->conn, &ctx, err), err);
	if (strcmp(cmd, "specs") == 0)
		return report(h->ops->list_specs(h->conn, &ctx, print_spec, NULL, err), err);
	if (strcmp(cmd, "images") == 0)
		return report(h->ops->list_images(h->conn, &ctx, print_image, NULL, err), err);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(h, argc, argv, err);
	if (strcmp(cmd, "get") == 0 && argc == 1)
		return cmd_get(h, argv[0], err);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(h, argc, argv, err);
	if ((!strcmp(cmd, "suspend") || !strcmp(cmd, "resume") || !strcmp(cmd, "reboot")) &&
	    argc == 1)
		return cmd_control(h, cmd, argv[0], err);
	if (strcmp(cmd, "delete") == 0 && argc == 1)
		return report(h->ops->delete_vm(h->conn, &ctx, argv[0], err), err);
	if (strcmp(cmd, "tag") == 0)
		return cmd_tag(h, argc, argv, err);
	if (strcmp(cmd, "wait") == 0)
		return cmd_wait(h, argc, argv, err);
	if (strcmp(cmd, "bench") == 0 && argc == 1)
		return cmd_bench(h, atoi(argv[0]), err);
	if (strcmp(cmd, "cleanup") == 0 && h->ops->cleanup)
		return report(h->ops->cleanup(h->conn, &ctx, err), err);
	return usage();
}

int main(int argc, char **argv)
{
	struct harness h = { .deadline_ms = 30000 };
	struct drv_error err = { 0 };
	void *so;
	int rc;

	if (argc < 4)
		return usage();
	if (getenv("DRV_DEADLINE_MS"))
		h.deadline_ms = atoll(getenv("DRV_DEADLINE_MS"));
	so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	h.ops = so ? dlsym(so, DRV_SYMBOL) : NULL;
	if (!h.ops) {
		fprintf(stderr, "drvharness: %s: %s\n", argv[1], dlerror());
		return 2;
	}
	if (strcmp(argv[3], "check") == 0) {
		rc = cmd_check(&h);
	} else {
		rc = harness_connect(&h, argv[2], &err);
		if (rc)
			return report(rc, &err);
		rc = run(&h, argv[3], argc - 4, argv + 4, &err);
		h.ops->disconnect(h.conn);
	}
	dlclose(so);
	return rc;
}
