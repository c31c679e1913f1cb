/*
 * auth.c - the service-account token: an RS256 JWT assertion exchanged at
 * the token URI (RFC 7523 JWT bearer grant), behind the connection's token
 * cache (drivers/common/bearer.h).
 *
 * The assertion is signed with the key file's private key (loaded once at
 * connect, drivers/common/jwt.h) and names the token URI as its audience,
 * which is also where it is sent: a key file whose token_uri points at
 * cloudtwin, or the spec's auth_endpoint, both work unchanged.
 */
#include "drivers/gcp/gcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/jwt.h"
#include "lib/clock.h"
#include "lib/sbuf.h"

#define GCP_ASSERTION_TTL 3600
#define GCP_GRANT "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="

int gcp_assertion(const struct gcp_conn *c, int64_t now, char **out, struct drv_error *err)
{
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", c->client_email, "scope",
				   GCP_SCOPE, "aud", c->token_uri, "iat", (json_int_t)now, "exp",
				   (json_int_t)(now + GCP_ASSERTION_TTL));
	struct sbuf sb = SBUF_INIT;
	int rc;

	if (!claims)
		return -ENOMEM;
	rc = jwt_sign(c->key, c->key_id[0] ? c->key_id : NULL, claims, &sb);
	json_decref(claims);
	if (rc) {
		sbuf_release(&sb);
		return drv_fail(err, -rc, "InvalidKey", "cannot sign with the service account key");
	}
	*out = sbuf_detach(&sb, NULL);
	return 0;
}

/* Read {"access_token", "expires_in"} (expires_in a number or a string). */
static int token_read(const struct http_response *resp, struct bearer_token *out,
		      struct drv_error *err)
{
	json_t *doc = json_loadb(resp->body.buf ? resp->body.buf : "", resp->body.len, 0, NULL);
	const char *token = json_string_value(json_object_get(doc, "access_token"));
	const json_t *ttl = json_object_get(doc, "expires_in");
	long long secs = json_is_string(ttl) ? atoll(json_string_value(ttl))
					     : (long long)json_integer_value(ttl);
	int rc = 0;

	if (!token || !*token) {
		rc = drv_fail(err, EIO, "BadToken", "the token endpoint answered no access_token");
		goto out;
	}
	out->value = strdup(token);
	if (!out->value)
		rc = -ENOMEM;
	else if (secs > 0 && secs < 10 * 24 * 3600)
		out->expires_ms = clock_wall_ms() + secs * 1000;
out:
	json_decref(doc);
	return rc;
}

int gcp_token_fetch(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
		    struct drv_error *err)
{
	struct gcp_conn *c = arg;
	static const struct http_header hdrs[] = {
		{ "Content-Type", "application/x-www-form-urlencoded" },
		{ "Accept", "application/json" },
	};
	struct http_request req = { .method = "POST", .url = c->token_uri, .headers = hdrs,
				    .nheaders = 2, .deadline_ms = ctx ? ctx->deadline_ms : 0 };
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *jwt = NULL, *form = NULL;
	int rc;

	if (!c->key)
		return drv_fail(err, EACCES, "MissingCredential",
				"the cloud has no credential yet (the service-account key file)");
	rc = gcp_assertion(c, clock_wall_ms() / 1000, &jwt, err);
	if (rc)
		return rc;
	if (asprintf(&form, "%s%s", GCP_GRANT, jwt) < 0)
		form = NULL;
	free(jwt);
	if (!form)
		return -ENOMEM;
	req.body = form;
	req.body_len = strlen(form);
	rc = http_do(bearer_http(c->auth), &req, &resp, err);
	if (rc == 0 && resp.status != 200)
		rc = gcp_error((int)resp.status, resp.body.buf, resp.body.len, err);
	else if (rc == 0)
		rc = token_read(&resp, out, err);
	http_response_release(&resp);
	free(form);
	return rc;
}
