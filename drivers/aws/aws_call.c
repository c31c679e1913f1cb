/*
 * aws_call.c - one EC2 Query API request: the parameters as a form POST
 * (what the SDKs and awscli send), signed SigV4 over exactly the headers
 * libcurl will not rewrite (content-type, host, x-amz-date and the
 * session token), sent with the caller's deadline, the answer parsed as
 * XML or mapped through the error table.
 *
 * One attempt only: throttling, 5xx and transport failures come back
 * retryable for the engine's wrapper to retry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "drivers/aws/aws_int.h"
#include "drivers/common/sigv4.h"
#include "drivers/common/xmlh.h"

#define AWS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

static int aws_fail_answer(struct aws_conn *c, const struct http_response *r,
			   struct drv_error *err)
{
	const char *secrets[] = { c->secret, c->token[0] ? c->token : NULL, NULL };
	char code[64], msg[384], reqid[96];
	struct drvmap_answer a = { .http_status = (int)r->status, .code = code, .message = msg,
				   .request_id = reqid, .secrets = secrets };

	aws_parse_error(r->body.buf, r->body.len, code, sizeof(code), msg, sizeof(msg), reqid,
			sizeof(reqid));
	a.retry_after_ms = http_retry_after_ms(r);
	return drvmap_error(aws_errors, &a, err);
}

/* Sign and send body; the answer in resp. */
static int aws_send(struct aws_conn *c, const struct drv_ctx *ctx, const struct sbuf *body,
		    struct http_response *resp, struct drv_error *err)
{
	char date[SIGV4_DATE_LEN];
	struct http_header h[5] = {
		{ "Host", c->host }, { "Content-Type", AWS_CONTENT_TYPE }, { "X-Amz-Date", date },
	};
	size_t nh = 3;
	struct sigv4_key key = { c->akid, c->secret, c->region, AWS_SERVICE };
	struct sigv4_request sr = { .method = "POST", .path = "/", .headers = h,
				    .body = body->buf, .body_len = body->len };
	struct http_request req = { .method = "POST", .url = c->endpoint, .headers = h,
				    .body = body->buf, .body_len = body->len,
				    .deadline_ms = ctx ? ctx->deadline_ms : 0 };
	struct sbuf auth = SBUF_INIT;
	int rc;

	sigv4_amz_date((int64_t)time(NULL), date);
	if (c->token[0])
		h[nh++] = (struct http_header){ "X-Amz-Security-Token", c->token };
	sr.nheaders = nh;
	rc = sigv4_sign(&sr, &key, date, &auth);
	if (rc) {
		sbuf_release(&auth);
		return drv_fail(err, -rc, "SigningFailed", "the request could not be signed");
	}
	h[nh++] = (struct http_header){ "Authorization", auth.buf };
	req.nheaders = nh;
	rc = http_do(c->http, &req, resp, err);
	sbuf_release(&auth);
	return rc;
}

int aws_call(struct aws_conn *c, const struct drv_ctx *ctx, const char *action,
	     struct params *p, xmlDoc **doc, struct drv_error *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct sbuf body = SBUF_INIT;
	int rc;

	*doc = NULL;
	if (!c->akid[0])
		return drv_fail(err, EACCES, "MissingCredential", "no credential is configured");
	rc = params_add(p, "Action", action);
	if (rc == 0)
		rc = params_add(p, "Version", AWS_API_VERSION);
	if (rc == 0)
		rc = params_encode(p, &body);
	if (rc) {
		rc = drv_fail(err, -rc, "RequestTooLarge", "the request could not be built");
		goto out;
	}
	rc = aws_send(c, ctx, &body, &resp, err);
	if (rc)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		rc = aws_fail_answer(c, &resp, err);
		goto out;
	}
	*doc = xmlh_parse(resp.body.buf, resp.body.len);
	if (!*doc)
		rc = drv_fail(err, EIO, "MalformedAnswer", "the EC2 answer is not XML");
out:
	sbuf_release(&body);
	http_response_release(&resp);
	return rc;
}
