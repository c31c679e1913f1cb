/*
 * twin_dialect.h - what a cloud dialect provides, and what it is given.
 *
 * A dialect is one cloud's wire protocol (twin_aws.c, twin_openstack.c,
 * twin_gcp.c, twin_azure.c, twin_alibaba.c) as a const table.  The server
 * routes a request to a cloud, applies that cloud's rate limit and
 * faults, and calls the dialect's handle() with a context.  Everything
 * the dialect answers, including failures the server decides on
 * (throttling, injected 5xx, oversized bodies, unknown paths), is in the
 * cloud's own error format via fail().
 */
#ifndef TWIN_DIALECT_H
#define TWIN_DIALECT_H

#include <stdint.h>

#include <jansson.h>

#include "lib/sbuf.h"
#include "tools/cloudtwin/twin_cloud.h"
#include "tools/cloudtwin/twin_req.h"
#include "tools/cloudtwin/twin_resp.h"

struct twin_server;

/* One request on its way through a dialect (one thread, no locking). */
struct twin_ctx {
	struct twin_server *srv;
	struct twin_cloud *cloud;
	const struct twin_req *req;
	struct twin_resp *resp;
	const char *path;	/* path below the cloud's prefix, from '/' */
	const char *base;	/* scheme://host[:port][/<cloud>]: links point here */
	const char *root;	/* scheme://host[:port] */
	char request_id[40];	/* a fresh UUID */
	int64_t now;		/* CLOCK_MONOTONIC ms when the request was routed */
};

enum twin_fail {
	TWIN_FAIL_INTERNAL,	/* an injected server error (5xx) */
	TWIN_FAIL_THROTTLED,	/* the cloud's request-rate limit */
	TWIN_FAIL_TOO_LARGE,	/* body over the ceiling */
	TWIN_FAIL_NOT_FOUND,	/* no such path or operation */
	TWIN_FAIL_BAD_REQUEST,	/* malformed request */
};

struct twin_dialect {
	const char *name;	/* "aws", ... as in the config */
	/* Serve one request for ctx->cloud (not locked on entry). */
	void (*handle)(struct twin_ctx *ctx);
	/* Answer a failure in the cloud's format; message may be NULL. */
	void (*fail)(struct twin_ctx *ctx, enum twin_fail kind, const char *message);
	/* For requests without a cloud prefix: the cloud this request is
	 * for (by credential, project, subscription...), or NULL.  May be NULL. */
	struct twin_cloud *(*claim)(struct twin_server *srv, const struct twin_req *req);
	/* At start: validate the cloud's credentials and register its routing
	 * keys with twin_server_index_put.  0 or -errno with err. */
	int (*setup)(struct twin_server *srv, struct twin_cloud *c, struct sbuf *err);
	/* Release what setup attached to c->priv. May be NULL. */
	void (*cleanup)(struct twin_cloud *c);
	/* Fill the /_twin/clouds entry: endpoint, auth_endpoint, ca_file,
	 * credential.  `out` already has name, dialect, driver, region, zone. */
	int (*describe)(struct twin_server *srv, const struct twin_cloud *c, json_t *out);
	/* The cloud's own status word for a settled VM. */
	const char *(*status)(const struct twin_vm *vm);
	/* Give a new VM made outside the API (preloaded) its id, key and
	 * dialect fields; name, zone, region, spec and image are set. */
	int (*adopt)(struct twin_cloud *c, struct twin_vm *vm);
	/* Put back what a fresh cloud has besides VMs (default security
	 * groups, the credential's resource group): after setup and after
	 * every reset, which empties the resource store.  Called with the
	 * cloud locked (or not yet shared).  0 or -ENOMEM.  May be NULL. */
	int (*restore)(struct twin_cloud *c);
};

extern const struct twin_dialect twin_aws_dialect;
extern const struct twin_dialect twin_openstack_dialect;
extern const struct twin_dialect twin_gcp_dialect;
extern const struct twin_dialect twin_azure_dialect;
extern const struct twin_dialect twin_alibaba_dialect;

/* The dialect named so, or NULL. */
const struct twin_dialect *twin_dialect_find(const char *name);
/* All dialects, NULL-ended (the order root requests are offered to claim()). */
const struct twin_dialect *const *twin_dialect_all(void);

#endif
