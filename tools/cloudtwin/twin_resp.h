/*
 * twin_resp.h - the answer a dialect builds for one request.
 *
 * Status, headers and a body; or `drop`, which makes the server close the
 * connection without answering (fault injection).  Owned by one
 * connection thread; no locking.
 */
#ifndef TWIN_RESP_H
#define TWIN_RESP_H

#include <stdbool.h>

#include <jansson.h>

#include "lib/sbuf.h"
#include "tools/cloudtwin/twin_req.h"

struct twin_resp {
	int status;			/* 0 until set */
	const char *content_type;	/* static string */
	struct sbuf body;
	struct twin_hdr *hdrs;
	size_t nhdrs;
	bool drop;
};

/* Add a header (printf-style value).  0 or -ENOMEM. */
int twin_resp_header(struct twin_resp *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Answer with a JSON document (steals `doc`, which may be NULL for an
 * empty body).  Replaces any earlier body. */
void twin_resp_json(struct twin_resp *r, int status, json_t *doc);
/* Answer with an XML document rendered from `doc` (stolen; see twin_xml.h). */
void twin_resp_xml(struct twin_resp *r, int status, const char *root, const char *ns, json_t *doc);
/* Answer with text of the given content type. */
void twin_resp_text(struct twin_resp *r, int status, const char *ctype, const char *text);
void twin_resp_release(struct twin_resp *r);

#endif
