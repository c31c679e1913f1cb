/*
 * twin_req.h - one HTTP request as the dialects see it.
 *
 * The server fills it from libmicrohttpd: the request target exactly as
 * received (signatures are computed over the raw query, so nothing is
 * taken from MHD's already-decoded argument table), the headers in the
 * order received, and the body up to a ceiling.  A request is owned by
 * one connection thread from start to answer; no locking.
 */
#ifndef TWIN_REQ_H
#define TWIN_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/sbuf.h"
#include "drivers/common/params.h"

#define TWIN_REQ_MAX_HEADERS 128

struct twin_hdr {
	char *name;	/* as received, owned */
	char *value;	/* owned */
};

struct twin_req {
	char method[16];
	char *raw_path;		/* the path as received, %-encoded; "/" at least */
	char *raw_query;	/* after '?', "" when none */
	char *path;		/* raw_path %-decoded ('+' kept) */
	struct twin_hdr *hdrs;
	size_t nhdrs;
	struct sbuf body;	/* body.max is the ceiling */
	bool body_too_big;	/* more arrived than the ceiling; body truncated */
	bool tls;		/* arrived on the TLS listener */
	struct params query;	/* raw_query decoded, '+' as space */
};

/* Set the target ("/path?query", or an absolute URI whose scheme and
 * authority are dropped).  0, -EINVAL (no path, or a path escaping a NUL)
 * or -ENOMEM. */
int twin_req_set_target(struct twin_req *req, const char *target);
/* Append a header (copies).  0, -E2BIG (too many) or -ENOMEM. */
int twin_req_add_header(struct twin_req *req, const char *name, const char *value);
/* The first value of a header (case-insensitive name), or NULL. */
const char *twin_req_header(const struct twin_req *req, const char *name);
/* Append body bytes; past the ceiling sets body_too_big and drops them. */
void twin_req_add_body(struct twin_req *req, const char *data, size_t len);
/* The token of an "Authorization: Bearer <token>" header, or NULL. */
const char *twin_req_bearer(const struct twin_req *req);
/* True when the body is application/x-www-form-urlencoded. */
bool twin_req_is_form(const struct twin_req *req);
/* Decode query pairs and (for a form body) body pairs into out, query
 * first.  0 or -E2BIG / -ENOMEM.  out is released by the caller. */
int twin_req_params(const struct twin_req *req, struct params *out);
/* Parse the body as a JSON value.  Returns a new reference, or NULL with
 * err filled (an empty body is an error too). */
json_t *twin_req_json(const struct twin_req *req, json_error_t *err);
void twin_req_release(struct twin_req *req);

#endif
