/*
 * vmstat.h - the lifecycle rules of DESIGN.md section 5, as pure functions:
 * status and action names, which action may start from which status,
 * Tumblebug's corrections of a cloud reading by the action in flight, and
 * the group status string.  No state, no locks: table-tested in
 * tests/unit/vmstat_test.c.
 */
#ifndef BFS_VMSTAT_H
#define BFS_VMSTAT_H

#include <stdbool.h>
#include <stddef.h>

#include "drivers/driver.h"

enum vm_action {
	ACT_NONE = 0,
	ACT_CREATE,
	ACT_SUSPEND,
	ACT_RESUME,
	ACT_REBOOT,
	ACT_TERMINATE,
};
#define ACT_COUNT (ACT_TERMINATE + 1)

/* "Running", ...; "Undefined" for out-of-range values. */
const char *vmstat_name(enum drv_vm_status s);
/* 0 or -EINVAL. */
int vmstat_parse(const char *name, enum drv_vm_status *out);
/* Creating, Suspending, Resuming, Rebooting, Terminating. */
bool vmstat_transitional(enum drv_vm_status s);

/* "create", "suspend", ...; "none" for ACT_NONE. */
const char *vmstat_action_name(enum vm_action a);
int vmstat_action_parse(const char *name, enum vm_action *out);
/* The status an action ends in (create → Running, terminate → Terminated). */
enum drv_vm_status vmstat_action_target(enum vm_action a);
/* The status shown while an action runs (suspend → Suspending). */
enum drv_vm_status vmstat_action_busy(enum vm_action a);

/*
 * May `act` start on a VM whose status is `cur` with `inflight` under way?
 * 0: start it.  1: the same action is already under way (nothing to do).
 * -EBUSY: not allowed now.  Rules: nothing from Terminated; nothing while
 * transitional except repeating the same action; from Suspended only resume
 * and terminate; from Running no resume; from Failed or Undefined only
 * terminate.
 */
int vmstat_allowed(enum drv_vm_status cur, enum vm_action inflight, enum vm_action act);

/*
 * Correct a cloud reading by the action in flight, the way Tumblebug does:
 * a resuming VM that still reads Suspended shows Resuming, a terminating
 * VM that still reads Running shows Terminating, a VM created straight
 * into Terminated failed.  *done tells whether the action has finished.
 * Undefined readings come back Undefined: the caller keeps the last known
 * status.
 */
enum drv_vm_status vmstat_correct(enum drv_vm_status reading, enum vm_action inflight,
				  bool *done);

/*
 * The group status string of DESIGN.md section 5 from per-status counts,
 * e.g. "Running:3 (R:3/3)", "Partial-Failed:1 (R:2/3)", "Empty:0 (R:0/0)".
 * Writes at most len bytes (64 is always enough); returns buf.
 */
char *vmstat_group_string(const unsigned counts[DRV_VM_NSTATUS], char *buf, size_t len);

#endif
