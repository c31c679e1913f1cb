/*
 * twin_cloud.h - the believable cloud behind a dialect: catalog, VMs and
 * their state machines, quotas, rate limit, faults, idempotency records,
 * asynchronous operations and a small store for other resources.
 *
 * Dialects translate wire requests into these calls and the results back
 * into their own names; the model knows nothing of any protocol.
 *
 * State machines are lazy: an action sets a VM's next state and the
 * monotonic time it is due, and twin_cloud_settle() advances it when it
 * is observed.  No timer thread touches VMs, so 10,000 VMs cost nothing
 * while nobody looks at them.
 *
 * Locking: the fields marked "immutable" are set by twin_cloud_new and
 * never change; everything else is guarded by the cloud's `lock`, which
 * callers take with twin_cloud_lock() around every function below except
 * twin_cloud_new/free and the catalog look-ups.  No lock is held across
 * a sleep or any network I/O.  Clouds never lock each other.
 */
#ifndef TWIN_CLOUD_H
#define TWIN_CLOUD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/sbuf.h"
#include "tools/cloudtwin/twin_map.h"

struct twin_dialect;

enum twin_vm_state {
	TWIN_VM_PENDING,	/* being created */
	TWIN_VM_RUNNING,
	TWIN_VM_STOPPING,
	TWIN_VM_STOPPED,
	TWIN_VM_STARTING,
	TWIN_VM_REBOOTING,
	TWIN_VM_TERMINATING,
	TWIN_VM_TERMINATED,
};

enum twin_vm_act {
	TWIN_ACT_START,
	TWIN_ACT_STOP,
	TWIN_ACT_DEALLOCATE,	/* Azure: stop and release the host */
	TWIN_ACT_REBOOT,
	TWIN_ACT_TERMINATE,
};

struct twin_spec {
	char *name, *id, *arch, *family;
	int vcpus, mem_mib, gpus, disk_gib;
	double price;		/* USD per hour */
};

struct twin_image {
	char *id, *name, *os, *arch, *project, *family, *description;
};

struct twin_region {
	char *name, *display;
	char **zones;
	size_t nzones;
};

struct twin_vm {
	uint64_t seq;		/* creation order within the cloud, from 1 */
	char id[64];		/* the cloud's instance id */
	char key[192];		/* unique secondary key ("zone/name"), or "" */
	char name[128];
	char zone[64];
	char image[256];
	char token[72];		/* client token / request id, or "" */
	char private_ip[16];
	char public_ip[16];
	size_t region;		/* index into cloud->regions */
	const struct twin_spec *spec;	/* borrowed from the cloud's catalog */
	json_t *tags;		/* object of strings, owned */
	char *user_data;	/* raw bytes, owned; NUL-terminated */
	size_t user_data_len;
	json_t *extra;		/* dialect's own fields, owned */
	int64_t created_ms;	/* wall clock */
	int64_t changed_ms;	/* wall clock of the last state change */
	enum twin_vm_state state, next;
	int64_t due;		/* monotonic ms when `next` begins; 0 when settled */
	bool boot_stopped;	/* created stopped, at once (ECS CreateInstance) */
	bool deallocated;	/* stopped by TWIN_ACT_DEALLOCATE */
	bool preloaded;		/* made at start-up: skips the create delay */
	enum twin_vm_act last_act;
};

/* An asynchronous operation (GCE operations, ARM async operations). */
struct twin_op {
	char id[64];
	char kind[32];		/* the dialect's operation type */
	char target[192];	/* what it acts on (the dialect's key) */
	char where[64];		/* zone or location */
	int64_t created_ms;	/* wall */
	int64_t due;		/* monotonic: done from then on */
	int64_t done_ms;	/* wall time it is done (created + duration) */
	int http_status;	/* 0 or the error's HTTP status */
	char error_code[64];	/* "" when it succeeds */
	char error_message[256];
	uint64_t target_seq;	/* VM it created or acted on, or 0 */
};

struct twin_faults {
	double error_rate;	/* share of requests answered with a 5xx */
	int64_t latency_ms;	/* added to every request */
	double stall_rate;	/* share left hanging for stall_ms, then dropped */
	int64_t stall_ms;
	double drop_rate;	/* share whose connection is closed unanswered */
	double rate_limit;	/* requests per second, 0 = unlimited */
	double burst;		/* bucket size, 0 = max(1, rate_limit) */
};

struct twin_cloud_stats {
	uint64_t requests, throttled, errors, drops, stalls;
};

struct twin_cloud {
	/* immutable */
	char *name;
	const struct twin_dialect *dialect;
	unsigned index;			/* position in the server's list */
	json_t *conf;			/* normalised config, owned */
	const json_t *creds;		/* conf's "credentials", borrowed */
	struct twin_region *regions;
	size_t nregions;
	struct twin_spec *specs;
	size_t nspecs;
	struct twin_image *images;
	size_t nimages;
	int64_t delay_create, delay_start, delay_stop, delay_reboot, delay_terminate;
	int64_t token_ttl_s, retention_s, skew_s;
	void *priv;			/* the dialect's, set by its setup() */

	pthread_mutex_t lock;
	/* guarded by lock */
	struct twin_faults faults;
	int64_t vcpu_quota;		/* per region; 0 = none */
	int64_t max_vms;
	int64_t *vcpus_used;		/* per region, live VMs */
	double bucket;			/* rate-limit tokens */
	int64_t bucket_at;		/* monotonic ms of the last refill */
	struct twin_vm **vms;		/* by seq; terminated ones until swept */
	size_t nvms, capvms;
	struct twin_map by_id, by_key;
	struct twin_map ops, idem, nonces;
	json_t *res;			/* {kind: {id: object}} */
	uint64_t seq;
	struct twin_cloud_stats stats;
};

/* Build a cloud from its normalised config (borrowed; a copy is kept).
 * Returns NULL with the reason in err. */
struct twin_cloud *twin_cloud_new(const json_t *conf, unsigned index,
				  const struct twin_dialect *dialect, struct sbuf *err);
void twin_cloud_free(struct twin_cloud *c);
void twin_cloud_lock(struct twin_cloud *c);
void twin_cloud_unlock(struct twin_cloud *c);

/* ---- catalog (immutable; no lock needed) ---- */
/* A spec by name or id, an image by id or name, a region by name, the
 * region of a zone (and its index in *idx when idx is not NULL). */
const struct twin_spec *twin_cloud_spec(const struct twin_cloud *c, const char *name);
const struct twin_image *twin_cloud_image(const struct twin_cloud *c, const char *id);
const struct twin_region *twin_cloud_region(const struct twin_cloud *c, const char *name,
					    size_t *idx);
const struct twin_region *twin_cloud_zone_region(const struct twin_cloud *c, const char *zone,
						 size_t *idx);
/* The first (exposed) credential, borrowed. */
const json_t *twin_cloud_cred(const struct twin_cloud *c);

/* ---- requests ---- */
/* Take one token from the rate-limit bucket.  0, or -EAGAIN (throttled). */
int twin_cloud_admit(struct twin_cloud *c, int64_t now);

/* ---- VMs ---- */
/* A zeroed VM with empty tags and extra (caller fills id, name, zone,
 * region, spec, image...).  NULL on -ENOMEM.  Freed with twin_cloud_vm_free
 * unless twin_cloud_add_vm took it. */
struct twin_vm *twin_cloud_vm_new(void);
void twin_cloud_vm_free(struct twin_vm *vm);
/* Set user data (copied).  0 or -ENOMEM. */
int twin_cloud_vm_set_user_data(struct twin_vm *vm, const void *data, size_t len);
/* Admit a new VM: quota and capacity checks, sequence number, addresses,
 * state PENDING, running after the create delay (stopped at once when
 * boot_stopped).  Takes
 * ownership on success.  0, -EDQUOT (vCPU quota of its region), -ENOSPC
 * (max_vms), -EEXIST (id or key taken) or -ENOMEM. */
int twin_cloud_add_vm(struct twin_cloud *c, struct twin_vm *vm, int64_t now);
/* Look-ups (settled).  NULL when absent (terminated VMs are found until
 * they are swept). */
struct twin_vm *twin_cloud_vm(struct twin_cloud *c, const char *id, int64_t now);
struct twin_vm *twin_cloud_vm_by_key(struct twin_cloud *c, const char *key, int64_t now);
/* Advance a VM's state machine to `now`. */
void twin_cloud_settle(struct twin_cloud *c, struct twin_vm *vm, int64_t now);
/* Apply an action.  0 when accepted (also when the VM is already where
 * the action leads), -EBUSY when its state does not allow it. */
int twin_cloud_act(struct twin_cloud *c, struct twin_vm *vm, enum twin_vm_act act, int64_t now);
/* Number of VMs kept (including terminated, unswept ones), and the i-th
 * by creation order, settled. */
size_t twin_cloud_nvms(const struct twin_cloud *c);
struct twin_vm *twin_cloud_vm_at(struct twin_cloud *c, size_t i, int64_t now);
/* Index of the first VM whose seq is greater than `seq` (pagination). */
size_t twin_cloud_vm_after(const struct twin_cloud *c, uint64_t seq);
/* Monotonic time at which the VM's current transition ends (now when settled). */
int64_t twin_cloud_vm_due(const struct twin_vm *vm, int64_t now);
/* Stable generic name of a state ("pending", "running", ...). */
const char *twin_cloud_state_name(enum twin_vm_state s);

/* ---- idempotency ---- */
/* 0: token unseen; 1: seen with the same digest (*result borrowed);
 * -EEXIST: seen with a different digest. */
int twin_cloud_idem_check(struct twin_cloud *c, const char *token,
			  const unsigned char digest[32], const json_t **result);
/* Record a token (result stolen).  0 or -ENOMEM. */
int twin_cloud_idem_put(struct twin_cloud *c, const char *token,
			const unsigned char digest[32], json_t *result);

/* ---- operations ---- */
/* A new operation with a random id, done after `duration` ms.  Borrowed
 * (the cloud owns it until swept, an hour after it is done).  NULL on -ENOMEM. */
struct twin_op *twin_cloud_op_new(struct twin_cloud *c, const char *kind, const char *target,
				  const char *where, int64_t duration, int64_t now);
struct twin_op *twin_cloud_op(struct twin_cloud *c, const char *id);
bool twin_cloud_op_done(const struct twin_op *op, int64_t now);

/* ---- request nonces (ECS SignatureNonce) ---- */
/* 0 when fresh (now remembered for `ttl_ms`), -EEXIST when seen. */
int twin_cloud_nonce_use(struct twin_cloud *c, const char *nonce, int64_t ttl_ms, int64_t now);

/* ---- other resources (security groups, key pairs, NICs ...) ---- */
/* Borrowed object or NULL. */
json_t *twin_cloud_res_get(struct twin_cloud *c, const char *kind, const char *id);
/* Store (steals obj).  0 or -ENOMEM. */
int twin_cloud_res_put(struct twin_cloud *c, const char *kind, const char *id, json_t *obj);
/* 0 or -ENOENT. */
int twin_cloud_res_del(struct twin_cloud *c, const char *kind, const char *id);
/* The {id: object} map of a kind (borrowed), or NULL when empty. */
json_t *twin_cloud_res_all(struct twin_cloud *c, const char *kind);

/* ---- control ---- */
/* Settings as the control API shows them: the fault fields plus
 * vcpus_per_region and max_vms (new reference). */
json_t *twin_cloud_settings(const struct twin_cloud *c);
/* Merge a settings patch (validated).  0 or -EINVAL with err filled. */
int twin_cloud_set_settings(struct twin_cloud *c, const json_t *patch, struct sbuf *err);
/* Forget all VMs, operations, tokens, nonces and resources; restore the
 * configured settings. */
void twin_cloud_reset(struct twin_cloud *c);
/* Drop what has expired: VMs terminated longer than the retention, done
 * operations older than an hour, nonces and day-old idempotency records. */
void twin_cloud_sweep(struct twin_cloud *c, int64_t now);

#endif
