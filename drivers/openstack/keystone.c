/*
 * keystone.c - Keystone v3 password authentication: the fetch behind the
 * connection's token cache (drivers/common/bearer.h).
 *
 * One POST /v3/auth/tokens scoped to the project: the token comes back in
 * the X-Subject-Token header and the body carries its expiry and the
 * service catalog, which decides every later URL, so the catalog is stored
 * with each new token.  The request body holds the password: it is built,
 * sent and wiped here, and never reaches an error message.
 */
#include "drivers/openstack/openstack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/http.h"

#define KEYSTONE_MAX_BODY (4u << 20)	/* a token with a large catalog */

char *openstack_keystone_url(const char *endpoint)
{
	size_t n = strlen(endpoint);
	const char *suffix = "/v3/auth/tokens";
	char *url;

	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	if (n >= 12 && strncmp(endpoint + n - 12, "/auth/tokens", 12) == 0)
		suffix = "";
	else if (n >= 3 && strncmp(endpoint + n - 3, "/v3", 3) == 0)
		suffix = "/auth/tokens";
	if (asprintf(&url, "%.*s%s", (int)n, endpoint, suffix) < 0)
		return NULL;
	return url;
}

json_t *openstack_keystone_body(const struct openstack_conn *c)
{
	return json_pack("{s:{s:{s:[s], s:{s:{s:s, s:{s:s}, s:s}}}, s:{s:{s:s, s:{s:s}}}}}",
			 "auth",
			 "identity", "methods", "password",
			 "password", "user", "name", c->username, "domain", "name", c->domain,
			 "password", c->password,
			 "scope", "project", "name", c->project, "domain", "name", c->domain);
}

/* Read the token answer: the header's token, the body's expiry and catalog. */
static int keystone_read(struct openstack_conn *c, const struct http_response *resp,
			 struct bearer_token *out, struct drv_error *err)
{
	const char *token = http_response_header(resp, "X-Subject-Token");
	struct openstack_token_info info;
	json_t *doc;
	int rc;

	if (!token || !*token)
		return drv_fail(err, EIO, "BadToken", "Keystone answered without X-Subject-Token");
	doc = json_loadb(resp->body.buf ? resp->body.buf : "", resp->body.len, 0, NULL);
	rc = openstack_parse_token(doc, c->region, c->interface, &info, err);
	json_decref(doc);
	if (rc)
		return rc;
	out->value = strdup(token);
	if (!out->value)
		return -ENOMEM;
	out->expires_ms = info.expires_ms;
	pthread_mutex_lock(&c->lock);
	c->catalog = info.catalog;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int openstack_keystone_fetch(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
			     struct drv_error *err)
{
	struct openstack_conn *c = arg;
	static const struct http_header hdrs[] = {
		{ "Content-Type", "application/json" }, { "Accept", "application/json" },
	};
	struct http_request req = { .method = "POST", .url = c->auth_url, .headers = hdrs,
				    .nheaders = 2, .max_body = KEYSTONE_MAX_BODY };
	struct http_response resp = HTTP_RESPONSE_INIT;
	json_t *body;
	char *text;
	int rc;

	if (!c->username)
		return drv_fail(err, EACCES, "MissingCredential",
				"the cloud has no credential yet (username, password, project)");
	body = openstack_keystone_body(c);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return -ENOMEM;
	req.body = text;
	req.body_len = strlen(text);
	req.deadline_ms = ctx ? ctx->deadline_ms : 0;
	rc = http_do(bearer_http(c->auth), &req, &resp, err);
	OPENSSL_cleanse(text, req.body_len);
	free(text);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = openstack_error((int)resp.status, resp.body.buf, resp.body.len, err);
	else if (rc == 0)
		rc = keystone_read(c, &resp, out, err);
	http_response_release(&resp);
	return rc;
}
