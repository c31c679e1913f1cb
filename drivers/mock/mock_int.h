/*
 * mock_int.h - what the files of the mock driver share.  Private: only
 * drivers/mock/ and its fuzz target include it.
 *
 * The mock is a cloud emulated inside the engine's process.  The pieces:
 *
 *   settings.c  mock_settings_   the cloud spec's behaviour settings
 *   catalog.c   mock_catalog_    specs and images (defaults or overrides)
 *   vm.c        mock_vm_         one VM record: status in cloud time, JSON form
 *   inventory.c mock_inv_        the VMs of one cloud, by seq, id and token
 *   journal.c   mock_journal_    the inventory's file format (parse, dump)
 *   cloud.c     mock_cloud_      one inventory per state_dir: lock, journal I/O
 *   ops.c       mock_op_         what the API does to the inventory
 *   gate.c      mock_gate_       per-call latency, deadline, throttling, errors
 *   mock.c                       the exported struct drv_ops
 *
 * Every name declared here has hidden visibility: the shared object exports
 * only `baristafs_driver`.
 */
#ifndef BFS_MOCK_INT_H
#define BFS_MOCK_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "drivers/driver.h"

#pragma GCC visibility push(hidden)

#define MOCK_MAX_ZONES 16
#define MOCK_MAX_CATALOG 256		/* entries in a specs or images override */
#define MOCK_MAX_TAGS 50		/* EC2's limit per resource */
#define MOCK_MAX_TAG_KEY 128
#define MOCK_MAX_TAG_VALUE 256
#define MOCK_MAX_USER_DATA 16384	/* EC2's limit, in bytes */
#define MOCK_MAX_TOKEN 64
#define MOCK_MAX_DELAY_MS 86400000LL	/* one day: bounds every *_ms setting */
#define MOCK_MAX_TTL_MS (7 * MOCK_MAX_DELAY_MS)

/* ---- settings.c ------------------------------------------------------ */

struct mock_catalog {
	struct drv_spec_info *specs;	/* owned */
	size_t nspecs;
	struct drv_image_info *images;	/* owned */
	size_t nimages;
};

/* Immutable after mock_settings_parse(); read without a lock. */
struct mock_settings {
	char region[32];
	char zone[64];				/* the default zone, one of zones[] */
	char zones[MOCK_MAX_ZONES][64];
	size_t nzones;
	int64_t boot_ms, suspend_ms, resume_ms, reboot_ms, terminate_ms;
	int64_t terminated_ttl_ms;
	int64_t latency_ms;
	double fail_rate;			/* [0,1]: a boot ends Failed */
	double error_rate;			/* [0,1]: a call answers InternalError */
	double rate;				/* requests per second; 0: unlimited */
	int64_t burst;				/* token bucket size */
	int64_t quota_vcpus;			/* < 0: no quota */
	uint64_t seed;				/* always set (random when not given) */
	bool seeded;				/* seed came from the spec */
	struct mock_catalog catalog;
};

/*
 * Parse the cloud spec (may be NULL: all defaults) into *s.  Unknown keys
 * are ignored.  0, or -EINVAL with err->message naming the key, or -ENOMEM.
 * On success release *s with mock_settings_release().
 */
int mock_settings_parse(const json_t *spec, struct mock_settings *s, struct drv_error *err);
void mock_settings_release(struct mock_settings *s);
bool mock_settings_has_zone(const struct mock_settings *s, const char *zone);

/* ---- catalog.c ------------------------------------------------------- */

/* The built-in catalog, or the "specs"/"images" arrays of spec.  0 or -EINVAL/-ENOMEM. */
int mock_catalog_load(const json_t *spec, struct mock_catalog *cat, struct drv_error *err);
void mock_catalog_release(struct mock_catalog *cat);
/* Borrowed from cat; NULL when unknown. */
const struct drv_spec_info *mock_catalog_spec(const struct mock_catalog *cat, const char *name);
const struct drv_image_info *mock_catalog_image(const struct mock_catalog *cat, const char *name);

/* ---- vm.c ------------------------------------------------------------ */

/*
 * One VM as the cloud records it.  Its status is a function of cloud time
 * (wall-clock ms): `state` until `until_ms`, then `then`.  Stable states
 * have until_ms 0 and then == state.  A terminated VM disappears at gone_ms
 * (0: never).  This is also its journal line (docs/mock.md).
 */
struct mock_vm {
	uint64_t seq;			/* creation order within the cloud, from 1 */
	char id[24];			/* "i-" + 17 hex digits */
	char name[64];
	char token[MOCK_MAX_TOKEN + 1];	/* "" when created without one */
	char params[65];		/* SHA-256 hex of the create parameters */
	char spec[64];
	int vcpus;
	char image[128];
	char zone[64];
	char private_ip[16];
	char public_ip[16];		/* "" when the pool was exhausted */
	int64_t created_ms;
	enum drv_vm_status state;
	enum drv_vm_status then;
	int64_t until_ms;
	int64_t gone_ms;
	char reason[160];		/* why the last transition happens */
	json_t *tags;			/* object of strings; one owned reference */
};

/* Status at cloud time now_ms. */
enum drv_vm_status mock_vm_status(const struct mock_vm *vm, int64_t now_ms);
bool mock_vm_gone(const struct mock_vm *vm, int64_t now_ms);
/* Holds quota and a public address: created and neither Failed nor Terminated. */
bool mock_vm_alive(const struct mock_vm *vm, int64_t now_ms);
/* Start a transition now: state until now+delay_ms, then `then`. */
void mock_vm_begin(struct mock_vm *vm, enum drv_vm_status state, enum drv_vm_status then,
		   int64_t now_ms, int64_t delay_ms);
void mock_vm_fill(const struct mock_vm *vm, int64_t now_ms, struct drv_vm *out);
/* "Creating" etc., or NULL for a value outside the enum. */
const char *mock_vm_status_name(enum drv_vm_status st);

/* New zeroed record with an empty tag object, or NULL. */
struct mock_vm *mock_vm_new(void);
/* Deep copy (tags copied), or NULL. */
struct mock_vm *mock_vm_dup(const struct mock_vm *vm);
void mock_vm_free(struct mock_vm *vm);
/* The record as JSON: a new reference, or NULL on ENOMEM. */
json_t *mock_vm_to_json(const struct mock_vm *vm);
/* Decode and validate a record: a new VM, or NULL with a reason in msg. */
struct mock_vm *mock_vm_from_json(const json_t *obj, char *msg, size_t msglen);

/* ---- inventory.c ----------------------------------------------------- */

/* The default network resources a connection makes on first create. */
struct mock_net {
	bool exists;
	char vpc[24];			/* "vpc-" + 17 hex */
	char sg[24];			/* "sg-" + 17 hex */
	int64_t created_ms;
};

/* The VMs of one cloud.  Not locked itself: struct mock_cloud's lock guards it. */
struct mock_inv {
	struct mock_vm **vms;		/* owned, sorted by seq */
	size_t nvms, cap;
	json_t *by_id;			/* id -> seq (integer) */
	json_t *by_token;		/* client token -> seq (integer) */
	uint64_t next_seq;
	uint64_t salt;			/* makes ids differ between clouds */
	struct mock_net net;
};

int mock_inv_init(struct mock_inv *inv);
void mock_inv_release(struct mock_inv *inv);
/* Borrowed VM or NULL. */
struct mock_vm *mock_inv_by_seq(const struct mock_inv *inv, uint64_t seq);
struct mock_vm *mock_inv_by_id(const struct mock_inv *inv, const char *id);
struct mock_vm *mock_inv_by_token(const struct mock_inv *inv, const char *token);
/* Index of the first VM with seq > after (== nvms when none). */
size_t mock_inv_after(const struct mock_inv *inv, uint64_t after);
/*
 * Insert vm, or replace the record with the same seq (freed).  Takes
 * ownership of vm in every case.  0, -ENOMEM, or -EINVAL when vm would
 * change a record's id or token or reuse another VM's (vm freed).
 */
int mock_inv_put(struct mock_inv *inv, struct mock_vm *vm);
/* Drop VMs gone at now_ms. */
void mock_inv_purge(struct mock_inv *inv, int64_t now_ms);
/* The id of sequence number seq ("i-..."); buf has 24 bytes. */
void mock_inv_make_id(const struct mock_inv *inv, const char *prefix, uint64_t seq,
		      char *buf, size_t len);
uint64_t mock_mix64(uint64_t x);

/* ---- journal.c ------------------------------------------------------- */

#define MOCK_JOURNAL_FILE "mock-journal.jsonl"
#define MOCK_JOURNAL_FORMAT "baristafs-mock-journal"
#define MOCK_JOURNAL_VERSION 1
#define MOCK_JOURNAL_MAX (512u << 20)	/* refuse larger journals */

struct sbuf;

/*
 * Replay journal text into inv (freshly initialised).  Complete lines are
 * applied in order; a last line without its newline (torn by a crash) is
 * ignored.  *used is the length of the complete lines.  0, or -EIO with the
 * line number and reason in msg (the journal is corrupt), or -ENOMEM.
 */
int mock_journal_parse(struct mock_inv *inv, const char *buf, size_t len, size_t *used,
		       char *msg, size_t msglen);
/* Append the whole live inventory (header first) to sb.  0 or -ENOMEM/-E2BIG. */
int mock_journal_dump(const struct mock_inv *inv, struct sbuf *sb);
/* Append one record line (compact JSON + newline) to sb. */
int mock_journal_line(const json_t *rec, struct sbuf *sb);
json_t *mock_journal_net_json(const struct mock_net *net);

/* ---- cloud.c --------------------------------------------------------- */

#define MOCK_IP_POOL 762	/* three documentation /24s, hosts .1-.254 */

struct mock_cloud {
	/* registry fields: guarded by the registry lock in cloud.c */
	struct mock_cloud *next;
	dev_t dev;
	ino_t ino;
	int refs;

	char *dir;			/* immutable */
	int lock_fd;			/* flock()ed mock.lock, immutable */

	pthread_mutex_t lock;		/* guards every field below */
	int fd;				/* the journal, O_APPEND */
	off_t size;			/* bytes in the journal */
	size_t lines;			/* records in the journal */
	struct mock_inv inv;
	unsigned char ip_used[MOCK_IP_POOL];
	size_t ip_cursor;
	int64_t ip_rescan_ms;		/* no rescan of an exhausted pool before */
};

/*
 * The cloud kept in state_dir, shared by every connection of this process
 * to the same directory.  Opens (replays and compacts) the journal the first
 * time; another process holding it gives -EBUSY.  0 or -errno with err set.
 */
int mock_cloud_acquire(const char *state_dir, const struct mock_settings *s,
		       struct mock_cloud **out, struct drv_error *err);
void mock_cloud_release(struct mock_cloud *cloud);
/*
 * Record vm (a new record, or a modified copy of a live one) in the journal
 * and then in the inventory, which takes ownership.  Caller holds the lock.
 * 0 or -EIO/-ENOMEM with err set; on failure vm is freed and nothing changed.
 */
int mock_cloud_commit(struct mock_cloud *cloud, struct mock_vm *vm, struct drv_error *err);
/* Record the default network state.  Caller holds the lock. */
int mock_cloud_commit_net(struct mock_cloud *cloud, const struct mock_net *net,
			  struct drv_error *err);
/* Take a public address from the pool into buf ("" when exhausted).  Caller holds the lock. */
void mock_cloud_take_ip(struct mock_cloud *cloud, int64_t now_ms, char *buf, size_t len);
/* A VM was deleted: its address may come free.  Caller holds the lock. */
void mock_cloud_ip_released(struct mock_cloud *cloud);

/* ---- ops.c ----------------------------------------------------------- */

int mock_op_create(struct mock_cloud *cloud, const struct mock_settings *s,
		   const struct drv_vm_req *req, struct drv_vm *out, struct drv_error *err);
int mock_op_get(struct mock_cloud *cloud, const char *id, struct drv_vm *out,
		struct drv_error *err);
/*
 * Up to max VMs with seq > *after carrying the filter tag into page; *n is
 * how many, *after moves to the last one.  Returns true while more may follow.
 */
bool mock_op_list_page(struct mock_cloud *cloud, const struct drv_kv *filter, uint64_t *after,
		       struct drv_vm *page, size_t max, size_t *n);
int mock_op_control(struct mock_cloud *cloud, const struct mock_settings *s, const char *id,
		    enum drv_action action, struct drv_error *err);
int mock_op_delete(struct mock_cloud *cloud, const struct mock_settings *s, const char *id,
		   struct drv_error *err);
int mock_op_tag(struct mock_cloud *cloud, const char *id, const struct drv_kv *tags,
		size_t ntags, struct drv_error *err);
int mock_op_cleanup(struct mock_cloud *cloud, struct drv_error *err);

/* ---- gate.c ---------------------------------------------------------- */

/* Per-connection request accounting: guarded by its own lock. */
struct mock_gate {
	pthread_mutex_t lock;
	double tokens;			/* token bucket level */
	int64_t refill_ms;		/* CLOCK_MONOTONIC of the last refill */
	uint64_t rng;			/* xorshift state for error_rate */
	uint64_t requests;		/* request ids */
};

/* One call in flight: filled by mock_gate_enter, read by mock_gate_leave. */
struct mock_call {
	int64_t start_ms;		/* CLOCK_MONOTONIC */
	int64_t deadline_ms;		/* 0: none */
	char request_id[40];
};

int mock_gate_init(struct mock_gate *g, const struct mock_settings *s);
void mock_gate_release(struct mock_gate *g);
/*
 * Start a call: sleeps the first half of latency_ms (never past the
 * deadline), then answers throttling and injected errors.  0 when the call
 * may proceed, else -ETIMEDOUT/-EAGAIN/-EIO with err set.
 */
int mock_gate_enter(struct mock_gate *g, const struct mock_settings *s,
		    const struct drv_ctx *ctx, struct mock_call *call, struct drv_error *err);
/*
 * Finish a call whose operation answered rc: sleeps the rest of the latency;
 * a deadline passed by then turns the answer into -ETIMEDOUT (the operation
 * still happened, as when a real answer is lost).  Returns the final result.
 */
int mock_gate_leave(const struct mock_settings *s, const struct mock_call *call, int rc,
		    struct drv_error *err);

/* ---- helpers shared by the files above ------------------------------ */

/* drv_fail() with a printf message (err may be NULL).  Returns -errnum. */
int mock_fail(struct drv_error *err, int errnum, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int mock_vfail(struct drv_error *err, int errnum, const char *code, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* Copy src into a fixed buffer; -ENAMETOOLONG when it does not fit. */
int mock_copy(char *dst, size_t size, const char *src);
/* [a-z0-9][a-z0-9-]* of at most max characters. */
bool mock_name_ok(const char *s, size_t max);

#pragma GCC visibility pop

#endif
