/*
 * drvmap.c - status and error table lookups; see drvmap.h.
 */
#include "drivers/common/drvmap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool drvmap_match(const char *pattern, const char *code)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, code, n - 1) == 0;
	return strcmp(pattern, code) == 0;
}

const struct drvmap_err *drvmap_find(const struct drvmap_err *table, const char *code)
{
	if (!table || !code || !*code)
		return NULL;
	for (const struct drvmap_err *e = table; e->code; e++) {
		if (drvmap_match(e->code, code))
			return e;
	}
	return NULL;
}

static struct drvmap_err drvmap_by_status(int status)
{
	if (status == 429 || status == 503)
		return (struct drvmap_err){ "", EAGAIN, true };
	if (status >= 500)
		return (struct drvmap_err){ "", EIO, true };
	if (status == 401 || status == 403)
		return (struct drvmap_err){ "", EACCES, false };
	if (status == 404)
		return (struct drvmap_err){ "", ENOENT, false };
	return (struct drvmap_err){ "", EIO, false };
}

static void drvmap_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void drvmap_scrub(char *s, const char *const *secrets)
{
	for (size_t i = 0; s && secrets && secrets[i]; i++) {
		size_t n = strlen(secrets[i]);
		char *hit;

		if (n < 4)
			continue;
		while ((hit = strstr(s, secrets[i])) != NULL) {
			memcpy(hit, "***", 3);
			memmove(hit + 3, hit + n, strlen(hit + n) + 1);
		}
	}
}

int drvmap_error(const struct drvmap_err *table, const struct drvmap_answer *a,
		 struct drv_error *err)
{
	const struct drvmap_err *e = drvmap_find(table, a->code);
	struct drvmap_err fallback = drvmap_by_status(a->http_status);

	if (!e)
		e = &fallback;
	if (!err)
		return -e->errnum;
	err->http_status = a->http_status;
	err->retry_after_ms = a->retry_after_ms;
	err->retryable = e->retryable;
	drvmap_copy(err->code, sizeof(err->code),
		    a->code && *a->code ? a->code : a->http_status ? "HTTPError" : "");
	if (a->message && *a->message)
		drvmap_copy(err->message, sizeof(err->message), a->message);
	else
		snprintf(err->message, sizeof(err->message), "HTTP %d", a->http_status);
	drvmap_copy(err->request_id, sizeof(err->request_id), a->request_id);
	drvmap_scrub(err->message, a->secrets);
	drvmap_scrub(err->code, a->secrets);
	return -e->errnum;
}

bool drvmap_code_in(const struct drv_error *err, const char *const *codes)
{
	for (size_t i = 0; err && codes && codes[i]; i++) {
		if (strcmp(err->code, codes[i]) == 0)
			return true;
	}
	return false;
}

enum drv_vm_status drvmap_status(const struct drvmap_status *table, const char *raw)
{
	for (const struct drvmap_status *s = table; raw && s && s->raw; s++) {
		if (strcmp(s->raw, raw) == 0)
			return s->status;
	}
	return DRV_VM_UNDEFINED;
}

const char *drvmap_status_name(enum drv_vm_status st)
{
	static const char *const names[DRV_VM_NSTATUS] = {
		[DRV_VM_UNDEFINED] = "Undefined", [DRV_VM_CREATING] = "Creating",
		[DRV_VM_RUNNING] = "Running", [DRV_VM_SUSPENDING] = "Suspending",
		[DRV_VM_SUSPENDED] = "Suspended", [DRV_VM_RESUMING] = "Resuming",
		[DRV_VM_REBOOTING] = "Rebooting", [DRV_VM_TERMINATING] = "Terminating",
		[DRV_VM_TERMINATED] = "Terminated", [DRV_VM_FAILED] = "Failed",
	};

	return (unsigned)st < DRV_VM_NSTATUS ? names[st] : "Undefined";
}
