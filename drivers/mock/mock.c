/*
 * mock.c - the mock driver's table: a cloud that behaves like one, so that
 * the engine is tested against realistic behaviour without a network.
 *
 * A connection is its settings (immutable), its request gate (latency,
 * deadline, throttling, injected errors) and a reference to the cloud kept
 * in its state_dir.  Every operation passes the gate on the way in, acts on
 * the cloud, and passes the gate on the way out (gate.c explains why the
 * latency is split).  Listings wait out their latency first and then call
 * the callback without any lock held, so a callback may call back into the
 * driver.  docs/mock.md is the user's and the test writer's reference.
 */
#include "drivers/mock/mock_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_PAGE 128

struct mock_conn {
	struct mock_settings settings;	/* immutable after connect */
	struct mock_gate gate;		/* its own lock */
	struct mock_cloud *cloud;	/* shared by the process's connections to state_dir */
};

/* ---- helpers shared by the driver's files --------------------------- */

int mock_vfail(struct drv_error *err, int errnum, const char *code, const char *fmt, va_list ap)
{
	char msg[sizeof(err->message)];

	if (!err)
		return -errnum;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return drv_fail(err, errnum, code, msg);
}

int mock_fail(struct drv_error *err, int errnum, const char *code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = mock_vfail(err, errnum, code, fmt, ap);
	va_end(ap);
	return rc;
}

int mock_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

bool mock_name_ok(const char *s, size_t max)
{
	size_t n;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (n = 1; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n <= max;
}

/* ---- connections ---------------------------------------------------- */

static int mock_connect(const struct drv_config *cfg, void **out, struct drv_error *err)
{
	struct mock_conn *conn;
	int rc;

	if (!cfg || !out)
		return mock_fail(err, EINVAL, "MissingParameter", "mock: no configuration");
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	rc = mock_settings_parse(cfg->spec, &conn->settings, err);
	if (rc)
		goto out_free;
	rc = mock_gate_init(&conn->gate, &conn->settings);
	if (rc)
		goto out_settings;
	rc = mock_cloud_acquire(cfg->state_dir, &conn->settings, &conn->cloud, err);
	if (rc)
		goto out_gate;
	*out = conn;
	return 0;
out_gate:
	mock_gate_release(&conn->gate);
out_settings:
	mock_settings_release(&conn->settings);
out_free:
	free(conn);
	return rc;
}

static void mock_disconnect(void *c)
{
	struct mock_conn *conn = c;

	if (!conn)
		return;
	mock_cloud_release(conn->cloud);
	mock_gate_release(&conn->gate);
	mock_settings_release(&conn->settings);
	free(conn);
}

/* Pass the whole round trip (for calls that answer with a listing). */
static int round_trip(struct mock_conn *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	return mock_gate_leave(&conn->settings, &call, rc, err);
}

static int mock_health(void *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	return round_trip(c, ctx, err);
}

/* ---- catalog -------------------------------------------------------- */

static int mock_list_specs(void *c, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			   struct drv_error *err)
{
	struct mock_conn *conn = c;
	const struct mock_catalog *cat = &conn->settings.catalog;
	int rc = round_trip(conn, ctx, err);

	for (size_t i = 0; !rc && i < cat->nspecs; i++) {
		if (cb(arg, &cat->specs[i]))
			break;
	}
	return rc;
}

static int mock_list_images(void *c, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			    struct drv_error *err)
{
	struct mock_conn *conn = c;
	const struct mock_catalog *cat = &conn->settings.catalog;
	int rc = round_trip(conn, ctx, err);

	for (size_t i = 0; !rc && i < cat->nimages; i++) {
		if (cb(arg, &cat->images[i]))
			break;
	}
	return rc;
}

/* ---- VMs ------------------------------------------------------------ */

static int mock_create_vm(void *c, const struct drv_ctx *ctx, const struct drv_vm_req *req,
			  struct drv_vm *out, struct drv_error *err)
{
	struct mock_conn *conn = c;
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	if (!rc)
		rc = mock_op_create(conn->cloud, &conn->settings, req, out, err);
	return mock_gate_leave(&conn->settings, &call, rc, err);
}

static int mock_get_vm(void *c, const struct drv_ctx *ctx, const char *csp_id,
		       struct drv_vm *out, struct drv_error *err)
{
	struct mock_conn *conn = c;
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	if (!rc)
		rc = mock_op_get(conn->cloud, csp_id, out, err);
	return mock_gate_leave(&conn->settings, &call, rc, err);
}

/* Deliver every matching VM, a page at a time, with no lock held. */
static int list_all(struct mock_conn *conn, const struct drv_kv *filter, drv_vm_cb cb,
		    void *arg, struct drv_error *err)
{
	struct drv_vm *page = malloc(LIST_PAGE * sizeof(*page));
	uint64_t after = 0;
	bool more = true;
	size_t n;

	if (!page)
		return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	while (more) {
		more = mock_op_list_page(conn->cloud, filter, &after, page, LIST_PAGE, &n);
		for (size_t i = 0; i < n; i++) {
			if (cb(arg, &page[i])) {
				more = false;
				break;
			}
		}
	}
	free(page);
	return 0;
}

static int mock_list_vms(void *c, const struct drv_ctx *ctx, const struct drv_kv *filter,
			 drv_vm_cb cb, void *arg, struct drv_error *err)
{
	static const struct drv_kv managed = { DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	struct mock_conn *conn = c;
	int rc;

	if (!cb || (filter && (!filter->key || !filter->value)))
		return mock_fail(err, EINVAL, "InvalidParameterValue",
				 "mock: a tag filter needs a key and a value");
	rc = round_trip(conn, ctx, err);
	if (!rc)
		rc = list_all(conn, filter ? filter : &managed, cb, arg, err);
	return rc;
}

static int mock_control_vm(void *c, const struct drv_ctx *ctx, const char *csp_id,
			   enum drv_action action, struct drv_error *err)
{
	struct mock_conn *conn = c;
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	if (!rc)
		rc = mock_op_control(conn->cloud, &conn->settings, csp_id, action, err);
	return mock_gate_leave(&conn->settings, &call, rc, err);
}

static int mock_delete_vm(void *c, const struct drv_ctx *ctx, const char *csp_id,
			  struct drv_error *err)
{
	struct mock_conn *conn = c;
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	if (!rc)
		rc = mock_op_delete(conn->cloud, &conn->settings, csp_id, err);
	return mock_gate_leave(&conn->settings, &call, rc, err);
}

static int mock_tag_vm(void *c, const struct drv_ctx *ctx, const char *csp_id,
		       const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	struct mock_conn *conn = c;
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	if (!rc)
		rc = mock_op_tag(conn->cloud, csp_id, tags, ntags, err);
	return mock_gate_leave(&conn->settings, &call, rc, err);
}

static int mock_cleanup(void *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct mock_conn *conn = c;
	struct mock_call call;
	int rc = mock_gate_enter(&conn->gate, &conn->settings, ctx, &call, err);

	if (!rc)
		rc = mock_op_cleanup(conn->cloud, err);
	return mock_gate_leave(&conn->settings, &call, rc, err);
}

#pragma GCC visibility push(default)
const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "mock",
	.caps = DRV_CAP_SUSPEND | DRV_CAP_REBOOT | DRV_CAP_TAGS | DRV_CAP_USER_DATA |
		DRV_CAP_IDEMPOTENT | DRV_CAP_PRICES | DRV_CAP_SSH_KEY,
	.connect = mock_connect,
	.disconnect = mock_disconnect,
	.health = mock_health,
	.list_specs = mock_list_specs,
	.list_images = mock_list_images,
	.create_vm = mock_create_vm,
	.get_vm = mock_get_vm,
	.list_vms = mock_list_vms,
	.control_vm = mock_control_vm,
	.delete_vm = mock_delete_vm,
	.tag_vm = mock_tag_vm,
	.cleanup = mock_cleanup,
};
#pragma GCC visibility pop
