/*
 * twin_resp.c - the answer record; see twin_resp.h.
 */
#include "tools/cloudtwin/twin_resp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cloudtwin/twin_xml.h"

int twin_resp_header(struct twin_resp *r, const char *name, const char *fmt, ...)
{
	struct sbuf v = SBUF_INIT;
	struct twin_hdr *h;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(&v, fmt, ap);
	va_end(ap);
	h = rc ? NULL : realloc(r->hdrs, (r->nhdrs + 1) * sizeof(*h));
	if (!h) {
		sbuf_release(&v);
		return -ENOMEM;
	}
	r->hdrs = h;
	h[r->nhdrs].name = strdup(name);
	h[r->nhdrs].value = sbuf_detach(&v, NULL);
	if (!h[r->nhdrs].name || !h[r->nhdrs].value) {
		free(h[r->nhdrs].name);
		free(h[r->nhdrs].value);
		return -ENOMEM;
	}
	r->nhdrs++;
	return 0;
}

/* Out of memory while rendering: a bare 500 is all that is left to say. */
static void resp_oom(struct twin_resp *r)
{
	sbuf_reset(&r->body);
	r->status = 500;
	r->content_type = "text/plain";
}

void twin_resp_json(struct twin_resp *r, int status, json_t *doc)
{
	char *s;

	sbuf_reset(&r->body);
	r->status = status;
	r->content_type = "application/json";
	if (!doc)
		return;
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!s || sbuf_adds(&r->body, s))
		resp_oom(r);
	free(s);
}

void twin_resp_xml(struct twin_resp *r, int status, const char *root, const char *ns, json_t *doc)
{
	int rc;

	sbuf_reset(&r->body);
	r->status = status;
	r->content_type = "text/xml;charset=UTF-8";
	rc = doc ? twin_xml_write(&r->body, root, ns, doc) : -ENOMEM;
	json_decref(doc);
	if (rc)
		resp_oom(r);
}

void twin_resp_text(struct twin_resp *r, int status, const char *ctype, const char *text)
{
	sbuf_reset(&r->body);
	r->status = status;
	r->content_type = ctype;
	if (sbuf_adds(&r->body, text))
		resp_oom(r);
}

void twin_resp_release(struct twin_resp *r)
{
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	sbuf_release(&r->body);
	memset(r, 0, sizeof(*r));
}
