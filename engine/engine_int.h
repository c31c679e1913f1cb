/*
 * engine_int.h - the engine's private object model, shared by the engine's
 * own .c files only (fronts use engine.h).
 *
 * Locking.  One mutex, engine->lock, guards the whole model: every field
 * of every struct below unless marked otherwise.  It is held briefly (a
 * lookup, a copy, an update) and never across a driver call, a store
 * write or a sleep.  Lock order: engine->lock, then the leaf locks (evlog,
 * caller, persist, notify, wpool), which never call back into the engine.
 *
 * Lifetimes.  Objects are found by id through engine->ids; a task that
 * runs later holds an id, not a pointer, and looks the object up again
 * under the lock.  A driver connection (struct conn) is reference counted
 * so that an in-flight call keeps it alive across a credential change.
 */
#ifndef BFS_ENGINE_INT_H
#define BFS_ENGINE_INT_H

#include <jansson.h>
#include <pthread.h>

#include "engine/call.h"
#include "engine/drvload.h"
#include "engine/engine.h"
#include "engine/evlog.h"
#include "engine/gspec.h"
#include "engine/store.h"
#include "engine/vmstat.h"
#include "engine/wpool.h"
#include "lib/idmap.h"
#include "lib/intern.h"

#define ENGINE_EVENTS_BYTES (4u << 20)
#define GROUP_EVENTS_BYTES (1u << 20)

struct obj {
	uint64_t id;
	uint64_t parent;	/* parent object's id */
	enum eng_kind kind;
	char *name;
	uid_t uid;
	gid_t gid;
	int64_t ctime_ms;
	int64_t mtime_ms;	/* anything the object shows changed */
	int64_t cmtime_ms;	/* its children last came or went */
};

/* Objects sorted by name (listing order and binary search). */
struct objvec {
	struct obj **v;
	size_t n, cap;
};

/* A driver connection; refs guarded by engine->lock. */
struct conn {
	const struct drv_ops *ops;
	void *drv;
	int refs;
};

struct catitem {
	struct obj o;
	union {
		struct drv_spec_info spec;
		struct drv_image_info image;
	} u;
};

struct vm;

struct cloud {
	struct obj o;
	int refs;		/* the registry's, plus one per task using it */
	bool removed;		/* rmdir'd; freed when the last task lets go */
	json_t *spec;		/* owned object, {} when empty */
	json_t *cred;		/* owned object, NULL when none */
	const struct drv_ops *ops; /* the loaded driver, NULL when none */
	struct conn *conn;	/* NULL when not connected */
	char *health;		/* owned */
	char *error;		/* owned, NULL when none */
	struct caller *caller;	/* own lock */
	struct wlane *lane;	/* own lock (the pool's) */
	struct objvec specs, images; /* struct catitem */
	struct vm **vms;	/* VMs that are not Terminated, unordered */
	size_t nvms, vms_cap;
	int64_t poll_ms;	/* interval while anything is transitional */
	int64_t refresh_ms;	/* interval otherwise */
	int64_t health_ms;
	int64_t catalog_ms;
	int64_t action_timeout_ms;
	/* Monotonic due times; next_catalog 0: none (no connection). */
	int64_t next_poll, next_health, next_catalog;
	uint32_t poll_gen;	/* only the latest queued poll task runs */
	int64_t poll_due;	/* when that poll task is due, 0 when none */
	bool health_queued, catalog_queued;
	bool catalog_loaded;
};

struct batch {
	uint32_t id;
	enum gspec_policy policy;
	unsigned pending;	/* VMs still being created */
	unsigned failed;
	unsigned total;
};

struct group {
	struct obj o;
	char *spec_text;	/* as written, NULL before the first spec */
	struct gspec *spec;	/* parsed, NULL before the first spec */
	char *error;
	struct evlog *events;	/* own lock */
	struct objvec vms;
	unsigned counts[DRV_VM_NSTATUS];
	struct batch *batches;	/* open batches */
	size_t nbatches;
	uint32_t next_batch;
};

struct vm {
	struct obj o;		/* name "<sub>-<index>" */
	struct group *group;
	uint32_t index;
	uint32_t batch;		/* the spec application that made it */
	uint16_t attempt;	/* creation attempt, part of the client token */
	uint8_t status;		/* enum drv_vm_status */
	uint8_t action;		/* enum vm_action in flight */
	bool issued;		/* the action's cloud call has returned */
	uint8_t missing;	/* consecutive polls that did not list it */
	int32_t cl_idx;		/* index in its cloud's vms[], -1 when not there */
	char vmid[33];		/* the baristafs-id tag: 32 hex digits */
	const char *sub, *cloud, *spec, *image, *zone; /* interned (engine->strings) */
	char *csp_id, *public_ip, *private_ip, *cloud_status, *error; /* owned, may be NULL */
	int64_t created_ms;	/* when the cloud made it (wall clock) */
	int64_t action_ms;	/* when the action started (wall clock) */
	char *agent_token;	/* its monitoring agent's token (engine/vmmon.h), owned */
};

struct persist;
struct notify;

struct engine {
	pthread_mutex_t lock;	/* the model lock: everything marked below and all objects */
	char *state_dir;
	char *driver_dir;
	int64_t wait_timeout_ms;
	char instance[33];	/* this state directory's identity */
	unsigned char key[32];	/* credential key */
	struct store *store;	/* thread-safe */
	struct drvload *drivers; /* thread-safe */
	struct wpool *pool;	/* thread-safe */
	struct persist *persist; /* thread-safe */
	struct notify *notify;	/* thread-safe */
	struct evlog *events;	/* thread-safe */
	struct monitor *monitor; /* thread-safe (engine/vmmon.h) */
	struct idmap ids;	/* (lock) id → struct obj */
	struct intern strings;	/* (lock) names many VMs share */
	uint64_t next_id;	/* (lock) */
	struct obj root;
	struct objvec clouds;	/* (lock) struct cloud */
	struct objvec groups;	/* (lock) struct group */
	pthread_t ticker;
	pthread_mutex_t tick_lock; /* guards stopping; a leaf */
	pthread_cond_t tick_cv;
	bool stopping;
};

/* ---- engine.c: objects, ids, events, notifications ------------------------ */

/* Give o an id, register it, set times; parent and kind given.  Lock held. */
int eng_obj_init(struct engine *e, struct obj *o, enum eng_kind kind, uint64_t parent,
		 const char *name, uid_t uid, gid_t gid);
/* Unregister o (its memory stays the caller's).  Lock held. */
void eng_obj_release(struct engine *e, struct obj *o);
/* o's files changed: bump mtime and tell the front.  Lock held. */
void eng_touch(struct engine *e, struct obj *o, unsigned flags);
/* Announce a removal.  Lock held. */
void eng_removed(struct engine *e, struct obj *o);
/* Append an event for an object path to the global log (and the group's). */
void eng_event(struct engine *e, struct group *g, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replace *slot with a copy of s (NULL clears). */
void eng_set_str(char **slot, const char *s);
/* The store key's record is dirty; returns the write generation.  Lock held. */
uint64_t eng_dirty(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wait until generation gen is in the store.  Never with the lock held. */
int eng_persist_wait(struct engine *e, uint64_t gen);
/* Queue a task on a cloud's lane (NULL: the general lane) at when_ms.
 * 0 or -ENOMEM (then arg is still the caller's). */
int eng_submit(struct engine *e, struct cloud *c, int64_t when_ms, wpool_fn fn, void *arg);
struct cloud *eng_cloud(struct engine *e, const char *name);
struct group *eng_group(struct engine *e, const char *name);

int objvec_insert(struct objvec *v, struct obj *o);
void objvec_remove(struct objvec *v, struct obj *o);
struct obj *objvec_find(const struct objvec *v, const char *name);
void objvec_release(struct objvec *v);

/* ---- cloud.c ---------------------------------------------------------------- */

struct cloud *cloud_new(struct engine *e, const char *name, uid_t uid, gid_t gid);
void cloud_free(struct engine *e, struct cloud *c);
/* Load a stored record (lock held).  -EINVAL for a damaged record. */
int cloud_load(struct engine *e, const char *name, json_t *rec, const char *sealed_cred);
void cloud_serialize(struct engine *e, struct cloud *c, struct sbuf *out);
int cloud_serialize_cred(struct engine *e, struct cloud *c, struct sbuf *out);
/* Keep a cloud's memory alive across unlocked work (lock held). */
void cloud_get(struct cloud *c);
void cloud_put(struct engine *e, struct cloud *c);
/* Connection references (lock held). */
struct conn *cloud_conn_get(struct cloud *c);
void conn_put(struct conn *cn);
/* Background duties due now (lock held): health, catalog, refresh polls. */
void cloud_tick(struct engine *e, struct cloud *c, int64_t now);
/* Register / unregister a VM that uses the cloud (lock held). */
void cloud_vm_add(struct cloud *c, struct vm *v);
void cloud_vm_del(struct cloud *c, struct vm *v);
/* Poll this cloud soon (lock held). */
void cloud_poll_soon(struct engine *e, struct cloud *c, int64_t delay_ms);
/* The catalog's architecture of a spec (image NULL) or an image (spec
 * NULL); "" when unknown (lock held). */
const char *cloud_arch(struct cloud *c, const char *spec, const char *image);
/* Price of a spec from the catalog, < 0 when unknown (lock held). */
double cloud_price(struct cloud *c, const char *spec);
/* Does the catalog know spec / image?  1 yes, 0 no, -1 catalog not loaded. */
int cloud_has_spec(struct cloud *c, const char *spec);
int cloud_has_image(struct cloud *c, const char *image);

/* ---- group.c ----------------------------------------------------------------- */

struct group *group_new(struct engine *e, const char *name, uid_t uid, gid_t gid);
void group_free(struct engine *e, struct group *g);
int group_load(struct engine *e, const char *name, json_t *rec);
void group_serialize(struct engine *e, struct group *g, struct sbuf *out);
/* Remove a VM from the record, the tree and the store (refine; lock held). */
void group_drop_vm(struct engine *e, struct group *g, struct vm *v);
/* A VM of batch b finished creating, failed or not (lock held). */
void group_batch_done(struct engine *e, struct group *g, uint32_t batch, bool failed);
/* Rebuild batch counters from VM records after loading (lock held). */
void group_batches_rebuild(struct engine *e, struct group *g);

/* ---- vm.c ---------------------------------------------------------------------- */

struct vm *vm_new(struct engine *e, struct group *g, const char *sub, uint32_t index,
		  const struct gspec_sub *spec, uint32_t batch);
void vm_free(struct engine *e, struct vm *v);
int vm_load(struct engine *e, struct group *g, const char *name, json_t *rec);
void vm_serialize(struct engine *e, struct vm *v, struct sbuf *out);
/* Mark the VM's record dirty and its files changed (lock held). */
void vm_changed(struct engine *e, struct vm *v);
/* Set the status, keeping group counts and the cloud's list right (lock held). */
void vm_set_status(struct engine *e, struct vm *v, enum drv_vm_status s);
/* Start an action (lock held): 0, 1 (already under way) or -EBUSY. */
int vm_start(struct engine *e, struct vm *v, enum vm_action act, struct sbuf *why);
/* Queue the cloud work for the VM's action in flight (lock held). */
void vm_submit(struct engine *e, struct vm *v, uint64_t gen);
/* Apply a cloud reading (lock held). */
void vm_apply(struct engine *e, struct vm *v, const struct drv_vm *r);
/* The VM was not listed by a poll (lock held). */
void vm_missing(struct engine *e, struct vm *v);
/* A queued refresh of one VM (get_vm). */
void vm_refresh(struct engine *e, struct vm *v);
/* Check an action running too long (lock held). */
void vm_check_timeout(struct engine *e, struct vm *v, int64_t now_wall, int64_t limit_ms);
/* Start-up recovery for a VM that was in flight (lock held). */
void vm_recover(struct engine *e, struct vm *v);
/* "groups/<g>/vms/<v>" */
void vm_path(const struct vm *v, struct sbuf *out);
/* The cloud-side name and the client token. */
void vm_cloud_name(const struct vm *v, char *buf, size_t len);
void vm_token(const struct vm *v, char *buf, size_t len);

/* ---- poll.c ---------------------------------------------------------------------- */

/* Queue a poll task for the cloud now (lock held). */
void poll_submit(struct engine *e, struct cloud *c, int64_t when_ms);

#endif
