/*
 * engine.h - the engine as a front (the FUSE tree, later a REST API) sees it.
 *
 * The engine holds objects: clouds (connections), their catalog entries
 * (specs, images), groups and their VMs.  Each object has a numeric id that
 * is never reused while the engine runs, so a front can name objects by id
 * (the tree builds inode numbers from them) and learn that an object is
 * gone (-ENOENT) instead of touching a freed one.
 *
 * Contract with fronts:
 *  - Reads (lookup, list, views, texts) never wait on a cloud: they copy
 *    from the model under the engine lock and return.
 *  - Mutations validate, record (intent first) and return; cloud work runs
 *    on the engine's workers.  A rejected request returns -errno with the
 *    reason recorded in the object's `error` and in `events`, and also
 *    appended to `why` when given.
 *  - Changes are announced through the watch callback (engine_watch) from
 *    an engine thread with no engine lock held.
 *
 * Errors: 0 or a negative errno (DESIGN.md section 4).  All functions are
 * thread-safe.
 */
#ifndef BFS_ENGINE_H
#define BFS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers/driver.h"
#include "lib/sbuf.h"

struct engine;

struct engine_opts {
	const char *state_dir;	/* required; created 0700 when missing */
	const char *driver_dir;	/* where <driver>.so live */
	const char *store_uri;	/* NULL: leveldb under state_dir */
	int workers;		/* operation threads; 0 = 64 */
	int64_t wait_timeout_ms; /* bound of `wait`; 0 = 600 s */
	bool fsync;		/* make store batches durable against power loss */
	bool repair;		/* try to repair a damaged store at start */
	uid_t uid;		/* owner of the root objects */
	gid_t gid;
	/* Monitoring (monitor/monitor.h); zero values take the defaults. */
	const char *collector;	/* -o collector=HOST:PORT; NULL: 127.0.0.1, a free port */
	const char *collector_url; /* the URL agents are given; NULL: http://<collector> */
	int64_t metrics_retention_s; /* -o metrics_retention=; 0: 7 days */
	int64_t jit_age_ms;	/* -o jit_age=; 0: two agent intervals */
	int agent_interval_s;	/* agents' push interval; 0: 5 s */
	const char *agent_binary; /* served to VMs at <url>/agent/barista-agent */
};

/* Object kinds a front can address. */
enum eng_kind {
	EK_NONE = 0,
	EK_ROOT,
	EK_CLOUD,
	EK_SPEC,	/* a catalog spec of a cloud */
	EK_IMAGE,	/* a catalog image of a cloud */
	EK_GROUP,
	EK_VM,
};

#define ENG_ROOT_ID 1

struct eng_attr {
	uint64_t id;
	uint64_t parent;	/* the parent object's id (0 for the root) */
	enum eng_kind kind;
	uid_t uid;
	gid_t gid;
	int64_t ctime_ms;	/* wall clock */
	int64_t mtime_ms;	/* last change of anything the object shows */
	int64_t cmtime_ms;	/* last time children came or went */
};

/*
 * Open the engine: state directory, store, drivers, workers; load every
 * object and start crash recovery in the background.  0 and *out, or
 * -errno with a message for the user in err.
 */
int engine_open(const struct engine_opts *opts, struct engine **out, struct sbuf *err);
/* Stop workers, flush the store, free everything. */
void engine_close(struct engine *e);

/* ---- navigation ------------------------------------------------------------ */

/* The child of parent named name, of kind `kind` (EK_CLOUD and EK_GROUP
 * under the root, EK_SPEC/EK_IMAGE under a cloud, EK_VM under a group). */
int engine_lookup(struct engine *e, uint64_t parent, enum eng_kind kind, const char *name,
		  struct eng_attr *out);
int engine_attr(struct engine *e, uint64_t id, struct eng_attr *out);
/* Children of parent of that kind, in name order.  The callback runs under
 * the engine lock: copy and return, never call back into the engine.
 * Nonzero from cb stops the listing. */
typedef int (*eng_list_cb)(void *arg, const char *name, const struct eng_attr *attr);
int engine_list(struct engine *e, uint64_t parent, enum eng_kind kind, eng_list_cb cb,
		void *arg);
/* The name of an object (appended to out). */
int engine_name(struct engine *e, uint64_t id, struct sbuf *out);

/* ---- change notification ----------------------------------------------- */

#define ENG_CHG_ATTR	 (1u << 0)	/* files of the object changed */
#define ENG_CHG_CHILDREN (1u << 1)	/* children added or removed */
#define ENG_CHG_REMOVED	 (1u << 2)	/* the object itself is gone */
#define ENG_CHG_EVENTS	 (1u << 3)	/* its event log grew */

struct eng_change {
	uint64_t id;
	uint64_t parent;
	enum eng_kind kind;
	unsigned flags;
	char name[64];		/* for ENG_CHG_REMOVED */
};

/* Called from an engine thread with no lock held, in batches. */
typedef void (*eng_watch_cb)(void *arg, const struct eng_change *changes, size_t n);
void engine_watch(struct engine *e, eng_watch_cb cb, void *arg);

/* ---- the root --------------------------------------------------------------- */

/* Global events: size, and bytes [off, off+size) appended to out. */
size_t engine_events_size(struct engine *e);
void engine_events_read(struct engine *e, off_t off, size_t size, struct sbuf *out);
uint64_t engine_events_seq(struct engine *e);
/* system/ files. */
void engine_system_store(struct engine *e, struct sbuf *out);
void engine_system_stats(struct engine *e, struct sbuf *out);
void engine_system_drivers(struct engine *e, struct sbuf *out);
/* system/ctl verbs: "refresh" (poll every cloud now), "checkpoint" (flush
 * the store). */
int engine_system_ctl(struct engine *e, const char *verb, struct sbuf *why);

/* ---- clouds ---------------------------------------------------------------- */

enum cloud_text {
	CT_SPEC,	/* the spec document, JSON */
	CT_CREDENTIAL,	/* keys with values masked */
	CT_HEALTH,	/* ok | unconfigured | checking | error: <reason> */
	CT_STATS,
	CT_ERROR,
};

int engine_cloud_create(struct engine *e, const char *name, uid_t uid, gid_t gid,
			struct sbuf *why);
int engine_cloud_remove(struct engine *e, const char *name, struct sbuf *why);
/* Validate (dry_run) or apply a whole spec document. */
int engine_cloud_set_spec(struct engine *e, uint64_t id, const char *text, size_t len,
			  bool dry_run, struct sbuf *why);
/* One key of the spec ("driver", "region", ...); an empty value removes it. */
int engine_cloud_set_key(struct engine *e, uint64_t id, const char *key, const char *value,
			 bool dry_run, struct sbuf *why);
/* key=value lines or a JSON object.  A dry run (each write) checks the
 * syntax only, since lines may arrive one write() at a time; applying
 * (close) lets the driver judge the whole credential.  -EAGAIN when a JSON
 * document is incomplete. */
int engine_cloud_set_credential(struct engine *e, uint64_t id, const char *text, size_t len,
				bool dry_run, struct sbuf *why);
/* Verbs for clouds/<c>/ctl: "refresh" (health and catalog now). */
int engine_cloud_ctl(struct engine *e, uint64_t id, const char *verb, struct sbuf *why);
int engine_cloud_text(struct engine *e, uint64_t id, enum cloud_text what, struct sbuf *out);
/* The value of one spec key ("" when unset). */
int engine_cloud_key(struct engine *e, uint64_t id, const char *key, struct sbuf *out);
/* The calls log. */
size_t engine_cloud_calls_size(struct engine *e, uint64_t id);
int engine_cloud_calls_read(struct engine *e, uint64_t id, off_t off, size_t size,
			    struct sbuf *out);

/* Catalog entries (ids from engine_lookup/list with EK_SPEC, EK_IMAGE). */
int engine_spec_info(struct engine *e, uint64_t id, struct drv_spec_info *out);
int engine_image_info(struct engine *e, uint64_t id, struct drv_image_info *out);

/* ---- groups ---------------------------------------------------------------- */

enum group_text {
	GT_SPEC,	/* as last applied */
	GT_STATUS,	/* the Tumblebug string */
	GT_COUNTS,	/* flat keyed per status */
	GT_ERROR,
	GT_PLACEMENT,
	GT_COST,
};

int engine_group_create(struct engine *e, const char *name, uid_t uid, gid_t gid,
			struct sbuf *why);
int engine_group_remove(struct engine *e, const char *name, struct sbuf *why);
/*
 * Validate (dry_run) or apply a spec document.  -EAGAIN (dry_run) when the
 * text is an unfinished document.  Applying the same document again does
 * nothing.
 */
int engine_group_set_spec(struct engine *e, uint64_t id, const char *text, size_t len,
			  bool dry_run, struct sbuf *why);
/* suspend | resume | reboot | terminate | refine | refresh */
int engine_group_ctl(struct engine *e, uint64_t id, const char *verb, struct sbuf *why);
int engine_group_text(struct engine *e, uint64_t id, enum group_text what, struct sbuf *out);
/* 1 and the status string when no VM of the group is in a transitional
 * status, 0 when some are, -ENOENT when the group is gone. */
int engine_group_settled(struct engine *e, uint64_t id, struct sbuf *status);
size_t engine_group_events_size(struct engine *e, uint64_t id);
int engine_group_events_read(struct engine *e, uint64_t id, off_t off, size_t size,
			     struct sbuf *out);
int64_t engine_wait_timeout_ms(struct engine *e);

/* ---- monitoring --------------------------------------------------------------- */

struct monitor;
/* The engine's monitor (monitor/monitor.h): metrics, agent and collector
 * files are read from it with "<group>/<vm>" ids.  Borrowed for the
 * engine's life; thread-safe. */
struct monitor *engine_monitor(struct engine *e);

/* ---- VMs ------------------------------------------------------------------- */

enum vm_field {
	VF_STATUS,
	VF_TARGET,	/* "none" or flat keyed status + action */
	VF_CLOUD,
	VF_SPEC,
	VF_IMAGE,
	VF_ZONE,
	VF_CSP_ID,
	VF_PUBLIC_IP,
	VF_PRIVATE_IP,
	VF_CREATED,	/* RFC 3339, "" until the cloud made it */
	VF_ERROR,
	VF_EVENTS,
};

/* suspend | resume | reboot | terminate | refresh */
int engine_vm_ctl(struct engine *e, uint64_t id, const char *verb, struct sbuf *why);
/* The file text of one field (newline-terminated; error and events may be
 * empty). */
int engine_vm_text(struct engine *e, uint64_t id, enum vm_field f, struct sbuf *out);

#endif
