/*
 * call.h - the one wrapper through which the engine calls drivers
 * (DESIGN.md section 7, STYLE.md rule 8).
 *
 * A struct caller belongs to one cloud connection.  Every call through it:
 *  - waits for one of `concurrency` slots (bounded by the call's deadline);
 *  - takes a token from a bucket refilled at `rps` (GCRA, depth `burst`);
 *  - gives each attempt a deadline (struct drv_ctx) of min(attempt_ms,
 *    what is left of deadline_ms);
 *  - retries throttling (-EAGAIN), timeouts and failures the driver marks
 *    retryable, up to `retries` times, sleeping with exponential backoff
 *    and full jitter (or the cloud's Retry-After when longer);
 *  - records per-operation statistics (stats) and one line per attempt in
 *    the calls log;
 *  - can inject faults (error, throttle, latency) for tests.
 * A NULL operation answers -EOPNOTSUPP without touching the cloud.
 *
 * List operations collect into arrays, so that an attempt that fails
 * halfway leaves nothing behind for a retry to duplicate.
 *
 * Thread-safe.  The caller's lock is a leaf: it is never held while a
 * driver runs or while sleeping.
 */
#ifndef BFS_CALL_H
#define BFS_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "engine/evlog.h"
#include "lib/sbuf.h"

struct caller;

struct call_limits {
	int concurrency;	/* >= 1 */
	double rps;		/* <= 0: unlimited */
	int burst;		/* >= 1 */
	int retries;		/* extra attempts */
	int64_t attempt_ms;	/* one attempt's deadline */
	int64_t deadline_ms;	/* the whole call, waits and retries included */
	int64_t backoff_ms;	/* first backoff step */
	int64_t backoff_max_ms;
};

struct call_faults {
	double error_rate;	/* a retryable 5xx-like failure */
	double throttle_rate;	/* -EAGAIN */
	int64_t latency_ms;	/* added before each attempt */
};

enum call_op {
	CALL_HEALTH,
	CALL_LIST_SPECS,
	CALL_LIST_IMAGES,
	CALL_CREATE_VM,
	CALL_GET_VM,
	CALL_LIST_VMS,
	CALL_CONTROL_VM,
	CALL_DELETE_VM,
	CALL_TAG_VM,
	CALL_CLEANUP,
	CALL_NOPS,
};

/* Defaults: 16 in flight, 20 rps, burst 20, 4 retries, 60 s attempt, 300 s call. */
void call_limits_default(struct call_limits *l);
struct caller *caller_new(void);
void caller_free(struct caller *c);
void caller_set_limits(struct caller *c, const struct call_limits *l);
void caller_get_limits(struct caller *c, struct call_limits *l);
void caller_set_faults(struct caller *c, const struct call_faults *f);
/* Flat keyed statistics: "<op>.calls n", ".errors", ".retries", ".p50_ms",
 * ".p95_ms", ".p99_ms", ".last_error"; only operations that were called. */
void caller_stats(struct caller *c, struct sbuf *out);
/* Totals over all operations (for benchmarks and system/stats). */
void caller_totals(struct caller *c, uint64_t *calls, uint64_t *errors, uint64_t *retries);
/* The calls log (borrowed for the caller's life). */
struct evlog *caller_log(struct caller *c);
const char *call_op_name(enum call_op op);

/*
 * The operations.  conn must stay valid for the call (the engine holds a
 * reference).  target names the object for the calls log ("group/vm").
 * err is caller-owned and filled on failure.  Arrays returned through
 * out pointers are malloc'd; the caller frees them.
 */
int call_health(struct caller *c, const struct drv_ops *ops, void *conn, struct drv_error *err);
int call_list_specs(struct caller *c, const struct drv_ops *ops, void *conn,
		    struct drv_spec_info **out, size_t *n, struct drv_error *err);
int call_list_images(struct caller *c, const struct drv_ops *ops, void *conn,
		     struct drv_image_info **out, size_t *n, struct drv_error *err);
int call_create_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		   const struct drv_vm_req *req, struct drv_vm *out, struct drv_error *err);
int call_get_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		const char *csp_id, struct drv_vm *out, struct drv_error *err);
int call_list_vms(struct caller *c, const struct drv_ops *ops, void *conn,
		  const struct drv_kv *filter, struct drv_vm **out, size_t *n,
		  struct drv_error *err);
int call_control_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		    const char *csp_id, enum drv_action action, struct drv_error *err);
int call_delete_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		   const char *csp_id, struct drv_error *err);
int call_tag_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		const char *csp_id, const struct drv_kv *tags, size_t ntags,
		struct drv_error *err);
int call_cleanup(struct caller *c, const struct drv_ops *ops, void *conn, struct drv_error *err);

/* "EAGAIN Throttling: Rate exceeded" from an errno and a filled error. */
void call_describe_error(int rc, const struct drv_error *err, struct sbuf *out);

#endif
