/*
 * alibaba_call.c - one Alibaba Cloud RPC request: the common parameters
 * (Format=XML, Version, AccessKeyId, SignatureMethod=HMAC-SHA1,
 * SignatureVersion=1.0, a fresh SignatureNonce and Timestamp), RegionId,
 * then the V2 signature over all of them, sent as a form POST with the
 * caller's deadline.  XML answers; errors through the driver's table.
 *
 * Every attempt gets a new nonce and timestamp (a retried request with an
 * old nonce is refused as SignatureNonceUsed), so the engine's wrapper may
 * simply call again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/alibaba/alibaba_int.h"
#include "drivers/common/acs.h"
#include "drivers/common/hash.h"
#include "drivers/common/xmlh.h"
#include "lib/clock.h"

#define ALIBABA_CONTENT_TYPE "application/x-www-form-urlencoded"

static int alibaba_common(struct alibaba_conn *c, enum alibaba_api api, const char *action,
			  struct params *p)
{
	char nonce[37], ts[32];
	int rc;

	if (hash_uuid4(nonce))
		return -EIO;
	clock_rfc3339(clock_wall_ms(), 0, ts, sizeof(ts));
	rc = params_add(p, "Action", action);
	rc = rc ? rc : params_add(p, "Version",
				  api == ALIBABA_VPC ? ALIBABA_VPC_VERSION : ALIBABA_ECS_VERSION);
	rc = rc ? rc : params_add(p, "Format", "XML");
	rc = rc ? rc : params_add(p, "AccessKeyId", c->akid);
	rc = rc ? rc : params_add(p, "SignatureMethod", "HMAC-SHA1");
	rc = rc ? rc : params_add(p, "SignatureVersion", "1.0");
	rc = rc ? rc : params_add(p, "SignatureNonce", nonce);
	rc = rc ? rc : params_add(p, "Timestamp", ts);
	if (rc == 0 && !params_get(p, "RegionId"))
		rc = params_add(p, "RegionId", c->region);
	return rc ? rc : acs_v2_sign("POST", p, c->secret);
}

static int alibaba_fail_answer(struct alibaba_conn *c, const struct http_response *r,
			       struct drv_error *err)
{
	const char *secrets[] = { c->secret, NULL };
	char code[64], msg[384], reqid[96];
	struct drvmap_answer a = { .http_status = (int)r->status, .code = code, .message = msg,
				   .request_id = reqid, .secrets = secrets };

	alibaba_parse_error(r->body.buf, r->body.len, code, sizeof(code), msg, sizeof(msg), reqid,
			    sizeof(reqid));
	a.retry_after_ms = http_retry_after_ms(r);
	return drvmap_error(alibaba_errors, &a, err);
}

int alibaba_call(struct alibaba_conn *c, const struct drv_ctx *ctx, enum alibaba_api api,
		 const char *action, struct params *p, xmlDoc **doc, struct drv_error *err)
{
	struct http_header h[] = { { "Content-Type", ALIBABA_CONTENT_TYPE } };
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "POST", .headers = h, .nheaders = 1,
				    .deadline_ms = ctx ? ctx->deadline_ms : 0 };
	struct sbuf body = SBUF_INIT;
	int rc;

	*doc = NULL;
	if (!c->akid[0])
		return drv_fail(err, EACCES, "MissingCredential", "no credential is configured");
	req.url = api == ALIBABA_VPC ? c->vpc_endpoint : c->endpoint;
	rc = alibaba_common(c, api, action, p);
	if (rc == 0)
		rc = params_encode(p, &body);
	if (rc) {
		rc = drv_fail(err, -rc, "RequestTooLarge", "the request could not be built");
		goto out;
	}
	req.body = body.buf;
	req.body_len = body.len;
	rc = http_do(c->http, &req, &resp, err);
	if (rc == 0 && (resp.status < 200 || resp.status > 299))
		rc = alibaba_fail_answer(c, &resp, err);
	if (rc == 0) {
		*doc = xmlh_parse(resp.body.buf, resp.body.len);
		if (!*doc)
			rc = drv_fail(err, EIO, "MalformedAnswer", "the answer is not XML");
	}
out:
	sbuf_release(&body);
	http_response_release(&resp);
	return rc;
}

int alibaba_query(struct alibaba_conn *c, const struct drv_ctx *ctx, enum alibaba_api api,
		  const char *action, struct params *p, alibaba_doc_fn fn, void *arg,
		  struct drv_error *err)
{
	xmlDoc *doc = NULL;
	int rc = alibaba_call(c, ctx, api, action, p, &doc, err);

	if (rc == 0 && fn)
		rc = fn(xmlh_root(doc), arg);
	xmlFreeDoc(doc);
	params_release(p);
	return rc;
}

int alibaba_tag_params(struct params *p, int first, const struct drv_kv *tags, size_t ntags)
{
	char name[32];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < ntags; i++) {
		snprintf(name, sizeof(name), "Tag.%d.Key", first + (int)i);
		rc = params_add(p, name, tags[i].key);
		snprintf(name, sizeof(name), "Tag.%d.Value", first + (int)i);
		if (rc == 0)
			rc = params_add(p, name, tags[i].value);
	}
	return rc;
}
