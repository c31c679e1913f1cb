/*
 * twin_req.c - the request record; see twin_req.h.
 */
#include "tools/cloudtwin/twin_req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/common/codec.h"

/* Drop "scheme://authority" from an absolute-form target. */
static const char *target_path(const char *t)
{
	const char *p = strstr(t, "://");

	if (t[0] == '/' || !p || p != strpbrk(t, ":/?"))
		return t;
	p = strchr(p + 3, '/');
	return p ? p : "/";
}

int twin_req_set_target(struct twin_req *req, const char *target)
{
	const char *t = target_path(target), *q = strchr(t, '?');
	size_t plen = q ? (size_t)(q - t) : strlen(t);
	struct sbuf path = SBUF_INIT;
	int rc;

	if (plen == 0 || t[0] != '/')
		return -EINVAL;
	req->raw_path = strndup(t, plen);
	req->raw_query = strdup(q ? q + 1 : "");
	if (!req->raw_path || !req->raw_query)
		return -ENOMEM;
	rc = codec_pct_decode(&path, t, plen, false);
	if (!rc && strlen(sbuf_str(&path)) != path.len)
		rc = -EINVAL;	/* an escaped NUL */
	if (rc) {
		sbuf_release(&path);
		return rc;
	}
	req->path = sbuf_detach(&path, NULL);
	if (!req->path)
		return -ENOMEM;
	return params_parse(&req->query, req->raw_query, strlen(req->raw_query), true);
}

int twin_req_add_header(struct twin_req *req, const char *name, const char *value)
{
	struct twin_hdr *h;

	if (req->nhdrs >= TWIN_REQ_MAX_HEADERS)
		return -E2BIG;
	h = realloc(req->hdrs, (req->nhdrs + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	req->hdrs = h;
	h[req->nhdrs].name = strdup(name);
	h[req->nhdrs].value = strdup(value ? value : "");
	if (!h[req->nhdrs].name || !h[req->nhdrs].value) {
		free(h[req->nhdrs].name);
		free(h[req->nhdrs].value);
		return -ENOMEM;
	}
	req->nhdrs++;
	return 0;
}

const char *twin_req_header(const struct twin_req *req, const char *name)
{
	for (size_t i = 0; i < req->nhdrs; i++) {
		if (strcasecmp(req->hdrs[i].name, name) == 0)
			return req->hdrs[i].value;
	}
	return NULL;
}

void twin_req_add_body(struct twin_req *req, const char *data, size_t len)
{
	if (req->body_too_big)
		return;
	if (sbuf_add(&req->body, data, len))
		req->body_too_big = true;
}

const char *twin_req_bearer(const struct twin_req *req)
{
	const char *a = twin_req_header(req, "Authorization");

	if (!a || strncasecmp(a, "Bearer ", 7) != 0)
		return NULL;
	a += 7;
	while (*a == ' ')
		a++;
	return *a ? a : NULL;
}

bool twin_req_is_form(const struct twin_req *req)
{
	const char *ct = twin_req_header(req, "Content-Type");

	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

int twin_req_params(const struct twin_req *req, struct params *out)
{
	int rc = params_parse(out, req->raw_query, strlen(req->raw_query), true);

	if (!rc && req->body.len && twin_req_is_form(req))
		rc = params_parse(out, req->body.buf, req->body.len, true);
	return rc;
}

json_t *twin_req_json(const struct twin_req *req, json_error_t *err)
{
	return json_loadb(req->body.buf ? req->body.buf : "", req->body.len,
			  JSON_REJECT_DUPLICATES, err);
}

void twin_req_release(struct twin_req *req)
{
	for (size_t i = 0; i < req->nhdrs; i++) {
		free(req->hdrs[i].name);
		free(req->hdrs[i].value);
	}
	free(req->hdrs);
	free(req->raw_path);
	free(req->raw_query);
	free(req->path);
	sbuf_release(&req->body);
	params_release(&req->query);
	memset(req, 0, sizeof(*req));
}
