/*
 * auth.c - the AAD client-credentials token (v2 endpoint) behind the
 * connection's token cache (drivers/common/bearer.h).
 *
 * POST {auth_endpoint}{tenant}/oauth2/v2.0/token with the application's id
 * and secret and the ARM scope.  The answer's expires_in is a number in v2
 * and a string in v1 (and some proxies answer v1's expires_on, an epoch):
 * all three are read.  The form carries the client secret: it is wiped
 * after sending and never reaches an error message.
 */
#include "drivers/azure/azure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/jsonh.h"
#include "drivers/common/params.h"
#include "lib/clock.h"
#include "lib/sbuf.h"

static long long number(const json_t *v)
{
	if (json_is_string(v))
		return atoll(json_string_value(v));
	return (long long)json_integer_value(v);
}

/* The expiry of a token answer in unix ms; 0 when it says nothing usable. */
static int64_t token_expiry(const json_t *doc)
{
	long long in = number(json_object_get(doc, "expires_in"));
	long long on = number(json_object_get(doc, "expires_on"));
	int64_t now = clock_wall_ms();

	if (in > 0 && in < 10 * 24 * 3600)
		return now + in * 1000;
	if (on > now / 1000 && on < now / 1000 + 10 * 24 * 3600)
		return on * 1000;
	return 0;
}

static int token_read(const struct http_response *resp, struct bearer_token *out,
		      struct drv_error *err)
{
	json_t *doc = json_loadb(resp->body.buf ? resp->body.buf : "", resp->body.len, 0, NULL);
	const char *token = jsonh_str(doc, "access_token");
	int rc = 0;

	if (!token || !*token) {
		rc = drv_fail(err, EIO, "BadToken", "AAD answered no access_token");
		goto out;
	}
	out->value = strdup(token);
	if (!out->value)
		rc = -ENOMEM;
	out->expires_ms = token_expiry(doc);
out:
	json_decref(doc);
	return rc;
}

static int token_form(const struct azure_conn *c, struct sbuf *form)
{
	struct params p = PARAMS_INIT;
	int rc = params_add(&p, "client_id", c->client_id);

	if (rc == 0)
		rc = params_add(&p, "client_secret", c->client_secret);
	if (rc == 0)
		rc = params_add(&p, "scope", AZURE_SCOPE);
	if (rc == 0)
		rc = params_add(&p, "grant_type", "client_credentials");
	if (rc == 0)
		rc = params_encode(&p, form);
	for (size_t i = 0; i < p.n; i++)
		OPENSSL_cleanse(p.v[i].value, strlen(p.v[i].value));
	params_release(&p);
	return rc;
}

int azure_token_fetch(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
		      struct drv_error *err)
{
	struct azure_conn *c = arg;
	static const struct http_header hdrs[] = {
		{ "Content-Type", "application/x-www-form-urlencoded" },
		{ "Accept", "application/json" },
	};
	struct http_request req = { .method = "POST", .headers = hdrs, .nheaders = 2,
				    .deadline_ms = ctx ? ctx->deadline_ms : 0 };
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct sbuf form = SBUF_INIT;
	char url[640];
	int rc;

	if (!c->tenant[0])
		return drv_fail(err, EACCES, "MissingCredential",
				"the cloud has no credential yet (tenant_id, client_id, ...)");
	snprintf(url, sizeof(url), "%s%s/oauth2/v2.0/token", c->aad, c->tenant);
	rc = token_form(c, &form);
	if (rc)
		goto out;
	req.url = url;
	req.body = form.buf;
	req.body_len = form.len;
	rc = http_do(bearer_http(c->auth), &req, &resp, err);
	if (rc == 0 && resp.status != 200)
		rc = azure_error((int)resp.status, resp.body.buf, resp.body.len, err);
	else if (rc == 0)
		rc = token_read(&resp, out, err);
out:
	if (form.buf)
		OPENSSL_cleanse(form.buf, form.len);
	sbuf_release(&form);
	http_response_release(&resp);
	return rc;
}
