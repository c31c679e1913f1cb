/*
 * drvmap.h - the two tables every driver keeps: the cloud's statuses to
 * enum drv_vm_status, and the cloud's error codes to errno.  The tables
 * are const arrays in each driver, terminated by a NULL entry; these
 * functions only look them up, so every driver resolves the same way:
 *
 *  - an error code matches an entry exactly, or by prefix when the entry
 *    ends in '*' ("QuotaExceed.*"); the first match wins;
 *  - an unknown code falls back on the HTTP status: 429 and 503 throttled
 *    (-EAGAIN, retryable), other 5xx -EIO retryable, 401/403 -EACCES,
 *    404 -ENOENT, anything else -EIO;
 *  - the cloud's code, message and request id are kept in struct
 *    drv_error (truncated to fit), with the secrets the driver names
 *    replaced by "***".
 */
#ifndef BFS_DRV_DRVMAP_H
#define BFS_DRV_DRVMAP_H

#include <stdbool.h>

#include "drivers/driver.h"

struct drvmap_err {
	const char *code;	/* exact, or a prefix ending in '*'; NULL ends the table */
	int errnum;		/* positive errno: EAGAIN EDQUOT EACCES ENOENT EINVAL EIO ... */
	bool retryable;
};

struct drvmap_status {
	const char *raw;	/* the cloud's word, exact; NULL ends the table */
	enum drv_vm_status status;
};

/* What came back from the cloud, for drvmap_error(). */
struct drvmap_answer {
	int http_status;
	const char *code;	/* NULL or "" when the answer had none */
	const char *message;
	const char *request_id;
	int retry_after_ms;
	const char *const *secrets;	/* NULL-terminated strings to mask, or NULL */
};

/* Fill err (which may be NULL) and return the negative errno. */
int drvmap_error(const struct drvmap_err *table, const struct drvmap_answer *a,
		 struct drv_error *err);
/* The entry for code (exact or prefix), or NULL. */
const struct drvmap_err *drvmap_find(const struct drvmap_err *table, const char *code);
/* The status for raw, DRV_VM_UNDEFINED when the table has no such word. */
enum drv_vm_status drvmap_status(const struct drvmap_status *table, const char *raw);
/* The common name of a status ("Running", ...). */
const char *drvmap_status_name(enum drv_vm_status st);
/* Is err's code one of the NULL-terminated codes? (false for a NULL err) */
bool drvmap_code_in(const struct drv_error *err, const char *const *codes);
/* Replace every occurrence of each secret (>= 4 chars) in s with "***", in place. */
void drvmap_scrub(char *s, const char *const *secrets);

#endif
