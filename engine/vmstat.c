/*
 * vmstat.c - lifecycle rules; see vmstat.h.
 */
#include "engine/vmstat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[DRV_VM_NSTATUS] = {
	[DRV_VM_UNDEFINED] = "Undefined",	[DRV_VM_CREATING] = "Creating",
	[DRV_VM_RUNNING] = "Running",		[DRV_VM_SUSPENDING] = "Suspending",
	[DRV_VM_SUSPENDED] = "Suspended",	[DRV_VM_RESUMING] = "Resuming",
	[DRV_VM_REBOOTING] = "Rebooting",	[DRV_VM_TERMINATING] = "Terminating",
	[DRV_VM_TERMINATED] = "Terminated",	[DRV_VM_FAILED] = "Failed",
};

static const char *const action_names[ACT_COUNT] = {
	[ACT_NONE] = "none",	   [ACT_CREATE] = "create", [ACT_SUSPEND] = "suspend",
	[ACT_RESUME] = "resume",   [ACT_REBOOT] = "reboot", [ACT_TERMINATE] = "terminate",
};

/* Ties in the group string are broken in this order (DESIGN.md section 5). */
static const enum drv_vm_status tie_order[DRV_VM_NSTATUS] = {
	DRV_VM_FAILED,	   DRV_VM_SUSPENDED, DRV_VM_RUNNING,   DRV_VM_TERMINATED,
	DRV_VM_CREATING,   DRV_VM_SUSPENDING, DRV_VM_RESUMING, DRV_VM_REBOOTING,
	DRV_VM_TERMINATING, DRV_VM_UNDEFINED,
};

const char *vmstat_name(enum drv_vm_status s)
{
	if ((unsigned)s >= DRV_VM_NSTATUS)
		return status_names[DRV_VM_UNDEFINED];
	return status_names[s];
}

int vmstat_parse(const char *name, enum drv_vm_status *out)
{
	for (unsigned i = 0; i < DRV_VM_NSTATUS; i++) {
		if (strcmp(status_names[i], name) == 0) {
			*out = (enum drv_vm_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool vmstat_transitional(enum drv_vm_status s)
{
	switch (s) {
	case DRV_VM_CREATING:
	case DRV_VM_SUSPENDING:
	case DRV_VM_RESUMING:
	case DRV_VM_REBOOTING:
	case DRV_VM_TERMINATING:
		return true;
	default:
		return false;
	}
}

const char *vmstat_action_name(enum vm_action a)
{
	if ((unsigned)a >= ACT_COUNT)
		return action_names[ACT_NONE];
	return action_names[a];
}

int vmstat_action_parse(const char *name, enum vm_action *out)
{
	for (unsigned i = 1; i < ACT_COUNT; i++) {
		if (strcmp(action_names[i], name) == 0) {
			*out = (enum vm_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum drv_vm_status vmstat_action_target(enum vm_action a)
{
	switch (a) {
	case ACT_CREATE:
	case ACT_RESUME:
	case ACT_REBOOT:
		return DRV_VM_RUNNING;
	case ACT_SUSPEND:
		return DRV_VM_SUSPENDED;
	case ACT_TERMINATE:
		return DRV_VM_TERMINATED;
	default:
		return DRV_VM_UNDEFINED;
	}
}

enum drv_vm_status vmstat_action_busy(enum vm_action a)
{
	switch (a) {
	case ACT_CREATE:
		return DRV_VM_CREATING;
	case ACT_SUSPEND:
		return DRV_VM_SUSPENDING;
	case ACT_RESUME:
		return DRV_VM_RESUMING;
	case ACT_REBOOT:
		return DRV_VM_REBOOTING;
	case ACT_TERMINATE:
		return DRV_VM_TERMINATING;
	default:
		return DRV_VM_UNDEFINED;
	}
}

int vmstat_allowed(enum drv_vm_status cur, enum vm_action inflight, enum vm_action act)
{
	if (act == ACT_NONE || act == ACT_CREATE)
		return -EINVAL;
	if (cur == DRV_VM_TERMINATED)
		return -EBUSY;
	if (vmstat_transitional(cur) || inflight != ACT_NONE)
		return inflight == act ? 1 : -EBUSY;
	switch (cur) {
	case DRV_VM_RUNNING:
		return act == ACT_RESUME ? -EBUSY : 0;
	case DRV_VM_SUSPENDED:
		return act == ACT_RESUME || act == ACT_TERMINATE ? 0 : -EBUSY;
	default: /* Failed, Undefined */
		return act == ACT_TERMINATE ? 0 : -EBUSY;
	}
}

static enum drv_vm_status finish(enum drv_vm_status s, bool *done)
{
	*done = true;
	return s;
}

enum drv_vm_status vmstat_correct(enum drv_vm_status reading, enum vm_action inflight,
				  bool *done)
{
	enum drv_vm_status target = vmstat_action_target(inflight);

	*done = false;
	if (reading == DRV_VM_UNDEFINED)
		return DRV_VM_UNDEFINED;
	if (inflight == ACT_NONE)
		return finish(reading, done);
	if (reading == target)
		return finish(reading, done);
	if (inflight == ACT_TERMINATE)
		return DRV_VM_TERMINATING;
	if (reading == DRV_VM_FAILED)
		return finish(reading, done);
	if (reading == DRV_VM_TERMINATED) /* e.g. EC2 pending → terminated */
		return finish(inflight == ACT_CREATE ? DRV_VM_FAILED : reading, done);
	switch (inflight) {
	case ACT_CREATE:
		if (reading == DRV_VM_CREATING || reading == DRV_VM_RESUMING)
			return DRV_VM_CREATING;
		return finish(reading, done);
	case ACT_SUSPEND:
		return DRV_VM_SUSPENDING;
	case ACT_RESUME:
		return DRV_VM_RESUMING;
	default: /* ACT_REBOOT: any transitional or stopped reading is Rebooting */
		return DRV_VM_REBOOTING;
	}
}

char *vmstat_group_string(const unsigned counts[DRV_VM_NSTATUS], char *buf, size_t len)
{
	unsigned total = 0, best = 0;
	enum drv_vm_status top = DRV_VM_UNDEFINED;

	for (unsigned i = 0; i < DRV_VM_NSTATUS; i++)
		total += counts[i];
	if (total == 0) {
		snprintf(buf, len, "Empty:0 (R:0/0)");
		return buf;
	}
	for (unsigned i = 0; i < DRV_VM_NSTATUS; i++) {
		if (counts[tie_order[i]] > best) {
			best = counts[tie_order[i]];
			top = tie_order[i];
		}
	}
	if (counts[DRV_VM_FAILED]) {
		top = DRV_VM_FAILED;
		best = counts[DRV_VM_FAILED];
	}
	snprintf(buf, len, "%s%s:%u (R:%u/%u)", best == total ? "" : "Partial-",
		 vmstat_name(top), best, counts[DRV_VM_RUNNING], total);
	return buf;
}
