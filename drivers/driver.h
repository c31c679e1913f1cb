/*
 * driver.h - the baristafs driver ABI.
 *
 * A driver is a shared object, drivers/<name>.so, that exports one const
 * table named `baristafs_driver` (struct drv_ops).  The engine loads it with
 * dlopen() and refuses it unless abi_version equals DRV_ABI_VERSION and size
 * covers every member the engine knows.  Members are only ever appended; a
 * NULL operation means "this cloud cannot do that" and the engine answers
 * EOPNOTSUPP without calling it.
 *
 * The engine never calls an operation directly: every call goes through one
 * wrapper (engine/call.c) that sets the deadline in struct drv_ctx, retries
 * what struct drv_error marks retryable, limits concurrency and request rate
 * per cloud, records statistics and injects faults in tests.  A driver
 * therefore makes exactly one attempt per call and does not sleep to retry.
 *
 * Conventions every operation follows:
 *  - Return 0 or a negative errno: -EAGAIN throttled, -EDQUOT quota,
 *    -EACCES credential refused, -ENOENT not found, -EINVAL bad parameter
 *    (unknown spec or image), -ETIMEDOUT deadline reached, -EOPNOTSUPP,
 *    -EIO anything else.  Each driver maps its cloud's errors in one table.
 *  - On failure fill the caller-owned struct drv_error with the cloud's own
 *    code and message (never a secret) and set retryable for throttling,
 *    5xx answers and transport failures.
 *  - Finish by ctx->deadline_ms (CLOCK_MONOTONIC milliseconds).
 *  - Be thread-safe: the engine calls one connection from several workers
 *    at once (up to the cloud's concurrency limit).  Token caches and the
 *    like are guarded inside the driver.
 *  - Never block on anything but the cloud, and never call back into the
 *    engine except through the callbacks passed in.
 */
#ifndef BARISTAFS_DRIVER_H
#define BARISTAFS_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>

#define DRV_ABI_VERSION 1
#define DRV_SYMBOL "baristafs_driver"

/* Common VM statuses (DESIGN.md section 5); the order is part of the ABI. */
enum drv_vm_status {
	DRV_VM_UNDEFINED = 0,
	DRV_VM_CREATING,
	DRV_VM_RUNNING,
	DRV_VM_SUSPENDING,
	DRV_VM_SUSPENDED,
	DRV_VM_RESUMING,
	DRV_VM_REBOOTING,
	DRV_VM_TERMINATING,
	DRV_VM_TERMINATED,
	DRV_VM_FAILED,
};
#define DRV_VM_NSTATUS (DRV_VM_FAILED + 1)

enum drv_action {
	DRV_ACT_SUSPEND = 1,	/* stop or deallocate: power off, disks kept */
	DRV_ACT_RESUME,		/* start again */
	DRV_ACT_REBOOT,
};

/* Capability bits, informational (NULL operations are what is enforced). */
#define DRV_CAP_SUSPEND		(1u << 0)
#define DRV_CAP_REBOOT		(1u << 1)
#define DRV_CAP_TAGS		(1u << 2)	/* tags kept and listable */
#define DRV_CAP_USER_DATA	(1u << 3)
#define DRV_CAP_IDEMPOTENT	(1u << 4)	/* create honours client_token */
#define DRV_CAP_PRICES		(1u << 5)	/* list_specs gives prices */
#define DRV_CAP_SSH_KEY		(1u << 6)
#define DRV_CAP_CREDENTIAL	(1u << 7)	/* needs a credential: without one the
						 * engine shows health "unconfigured" */

/* Standard tag keys every created resource carries. */
#define DRV_TAG_ID	"baristafs-id"
#define DRV_TAG_GROUP	"baristafs-group"
#define DRV_TAG_MANAGED	"managed-by"
#define DRV_TAG_MANAGED_VALUE "baristafs"

/* Caller-owned error detail.  Zero it before a call. */
struct drv_error {
	int http_status;	/* 0 when no HTTP answer came back */
	int retry_after_ms;	/* the cloud's own hint, 0 when none */
	bool retryable;		/* throttling, 5xx, transport failure */
	char code[64];		/* the cloud's error code, e.g. "RequestLimitExceeded" */
	char message[384];	/* the cloud's message, secrets removed */
	char request_id[96];
};

/* Per-call context, built by the engine's wrapper. */
struct drv_ctx {
	int64_t deadline_ms;	/* CLOCK_MONOTONIC; the call must end by then */
	const char *op_id;	/* persisted operation id, for the driver's logs */
};

/*
 * What a connection is made from.  All pointers are borrowed for the
 * duration of connect(); a driver copies what it keeps.
 */
struct drv_config {
	const char *cloud;	/* the cloud folder's name */
	const json_t *spec;	/* object: driver region zone endpoint auth_endpoint
				 * ca_file, plus driver-specific settings */
	const json_t *credential; /* object of the driver's credential keys; NULL while
				 * unset: connect() still succeeds (the user writes the
				 * spec first, the credential next) and calls answer
				 * -EACCES until one is given */
	const char *state_dir;	/* existing directory private to this connection */
};

struct drv_kv {
	const char *key;
	const char *value;
};

/* A VM as the cloud reports it. */
struct drv_vm {
	char csp_id[128];	/* the cloud's id for the VM */
	char name[96];
	char status_raw[48];	/* the cloud's own status word(s), for display */
	enum drv_vm_status status; /* mapped through the driver's status table */
	char spec[64];
	char image[128];
	char zone[64];
	char public_ip[48];
	char private_ip[48];
	int64_t created;	/* unix seconds, 0 when unknown */
	char baristafs_id[128];	/* value of the baristafs-id tag, "" when none */
	char client_token[72];	/* the token it was created with, "" when unknown */
	char reason[256];	/* why it failed or stopped, "" when none */
};

/* A create request.  Strings are borrowed for the call. */
struct drv_vm_req {
	const char *name;	/* unique within the connection, [a-z0-9-], <= 63 */
	const char *client_token; /* <= 64 ASCII; the same token never makes two VMs */
	const char *spec;
	const char *image;
	const char *zone;	/* NULL: the connection's default */
	const char *user_data;	/* NULL or raw text; the driver encodes it */
	const char *ssh_public_key; /* NULL or an OpenSSH public key line */
	const struct drv_kv *tags;
	size_t ntags;
};

struct drv_spec_info {
	char name[64];
	int vcpus;
	double mem_gib;
	int gpus;
	char gpu_model[32];
	char arch[16];		/* x86_64, arm64 */
	double price_usd_per_hour; /* < 0 when unknown */
	char price_source[96];	/* "api" or the shipped table's source and date */
};

struct drv_image_info {
	char name[128];		/* what a group spec names */
	char id[128];		/* the cloud's id */
	char os[64];
	char arch[16];
	char description[128];
};

/* List callbacks: return 0 to go on, nonzero to stop the listing early. */
typedef int (*drv_vm_cb)(void *arg, const struct drv_vm *vm);
typedef int (*drv_spec_cb)(void *arg, const struct drv_spec_info *spec);
typedef int (*drv_image_cb)(void *arg, const struct drv_image_info *image);

struct drv_ops {
	uint32_t abi_version;	/* DRV_ABI_VERSION */
	uint32_t size;		/* sizeof(struct drv_ops) the driver was built with */
	const char *name;	/* "aws", "mock", ... */
	uint32_t caps;		/* DRV_CAP_* */

	/*
	 * Make a connection handle from cfg.  No network: the engine connects at
	 * mkdir time, where no cloud call may happen.  *conn is the driver's own.
	 */
	int (*connect)(const struct drv_config *cfg, void **conn, struct drv_error *err);
	/* Free a connection.  No network. */
	void (*disconnect)(void *conn);
	/* One cheap authenticated call that proves the credential works. */
	int (*health)(void *conn, const struct drv_ctx *ctx, struct drv_error *err);

	int (*list_specs)(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			  struct drv_error *err);
	int (*list_images)(void *conn, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			   struct drv_error *err);

	/*
	 * Ask the cloud for a VM.  Returns once the cloud accepted the request;
	 * *out holds at least csp_id and the first status.  Idempotent by
	 * req->client_token.  Creates the connection's default network, security
	 * group and key on first use, tagged, and reuses them afterwards.
	 */
	int (*create_vm)(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
			 struct drv_vm *out, struct drv_error *err);
	/* -ENOENT when the cloud no longer has it. */
	int (*get_vm)(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		      struct drv_vm *out, struct drv_error *err);
	/*
	 * Every VM of this connection carrying tag filter->key=filter->value
	 * (managed-by=baristafs when filter is NULL), following pagination.
	 */
	int (*list_vms)(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
			drv_vm_cb cb, void *arg, struct drv_error *err);
	int (*control_vm)(void *conn, const struct drv_ctx *ctx, const char *csp_id,
			  enum drv_action action, struct drv_error *err);
	/* Terminate; 0 when already gone. */
	int (*delete_vm)(void *conn, const struct drv_ctx *ctx, const char *csp_id,
			 struct drv_error *err);
	/* Replace the VM's user tags (the standard tags are kept). */
	int (*tag_vm)(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		      const struct drv_kv *tags, size_t ntags, struct drv_error *err);
	/*
	 * Delete what this connection created for itself (network, security
	 * group, key), called when the cloud folder is removed and no VM uses it.
	 */
	int (*cleanup)(void *conn, const struct drv_ctx *ctx, struct drv_error *err);
};

/* Set an error's code and message; returns -errnum so a driver can `return drv_fail(...)`. */
static inline int drv_fail(struct drv_error *err, int errnum, const char *code, const char *msg)
{
	if (err) {
		size_t i;

		for (i = 0; code && code[i] && i + 1 < sizeof(err->code); i++)
			err->code[i] = code[i];
		err->code[i] = '\0';
		for (i = 0; msg && msg[i] && i + 1 < sizeof(err->message); i++)
			err->message[i] = msg[i];
		err->message[i] = '\0';
	}
	return -errnum;
}

#endif
