/*
 * twin_fuzz.h - the in-process cloudtwin the request fuzz targets share.
 *
 * One server per process with one cloud per dialect (aws, os, gcp, az,
 * ali), listening on 127.0.0.1 with free ports only so that its URLs are
 * real.  Fuzz input is a small text request:
 *
 *   METHOD TARGET\n           ("!aws METHOD TARGET" or "!ali METHOD TARGET"
 *   Name: value\n              sign it for EC2 (SigV4) or ECS (V2) first)
 *   ...\n
 *   \n
 *   body
 *
 * and header values may say %OS%, %GCP% or %AZ% for a valid bearer or
 * Keystone token (and the target %SUB% for the Azure subscription), so
 * that mutations reach the handlers behind authentication.  Header-only: each target includes it once.
 */
#ifndef TWIN_FUZZ_H
#define TWIN_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drivers/common/acs.h"
#include "drivers/common/jwt.h"
#include "drivers/common/sigv4.h"
#include "lib/clock.h"
#include "tools/cloudtwin/twin_config.h"
#include "tools/cloudtwin/twin_server.h"

static struct twin_server *fz_srv;
static char fz_dir[] = "/tmp/twin-fuzz.XXXXXX";
static char fz_token[3][2048];		/* OS, GCP, AZ */
static json_t *fz_clouds;		/* /_twin/clouds */

static const char fz_config[] =
	"{\"defaults\": {\"delays_ms\": {\"create\": 0, \"start\": 0, \"stop\": 0, \"reboot\": 0,"
	" \"terminate\": 0}, \"quota\": {\"max_vms\": 200}},"
	" \"clouds\": [{\"name\": \"aws\", \"dialect\": \"aws\"},"
	"  {\"name\": \"os\", \"dialect\": \"openstack\"}, {\"name\": \"gcp\", \"dialect\": \"gcp\"},"
	"  {\"name\": \"az\", \"dialect\": \"azure\"}, {\"name\": \"ali\", \"dialect\": \"alibaba\"}]}";

static void fz_cleanup(void)
{
	char cmd[128];

	twin_server_free(fz_srv);
	json_decref(fz_clouds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "twin_fuzz: could not remove %s\n", fz_dir);
}

/* One request straight into the server; the response is released. */
static void fz_exec(struct twin_req *req)
{
	struct twin_resp resp = { 0 };

	twin_server_handle(fz_srv, req, &resp);
	twin_resp_release(&resp);
}

/* A request whose response the caller keeps (release both). */
static void fz_call(const char *method, const char *target, const char *ctype, const char *body,
		    struct twin_req *req, struct twin_resp *resp)
{
	memset(req, 0, sizeof(*req));
	memset(resp, 0, sizeof(*resp));
	req->body.max = 1 << 20;
	snprintf(req->method, sizeof(req->method), "%s", method);
	twin_req_set_target(req, target);
	twin_req_add_header(req, "Host", "127.0.0.1");
	if (ctype)
		twin_req_add_header(req, "Content-Type", ctype);
	if (body)
		twin_req_add_body(req, body, strlen(body));
	twin_server_handle(fz_srv, req, resp);
}

static const json_t *fz_cred(const char *cloud)
{
	size_t i;
	json_t *c;

	json_array_foreach(fz_clouds, i, c) {
		if (!strcmp(json_string_value(json_object_get(c, "name")), cloud))
			return json_object_get(c, "credential");
	}
	return NULL;
}

static const char *fz_cs(const char *cloud, const char *key)
{
	return json_string_value(json_object_get(fz_cred(cloud), key));
}

static void fz_keystone_token(void)
{
	struct twin_req req;
	struct twin_resp resp;
	char body[512];

	snprintf(body, sizeof(body), "{\"auth\":{\"identity\":{\"methods\":[\"password\"],"
		 "\"password\":{\"user\":{\"name\":\"demo\",\"domain\":{\"id\":\"default\"},"
		 "\"password\":\"%s\"}}},\"scope\":{\"project\":{\"name\":\"demo\",\"domain\":"
		 "{\"id\":\"default\"}}}}}", fz_cs("os", "password"));
	fz_call("POST", "/os/identity/v3/auth/tokens", "application/json", body, &req, &resp);
	for (size_t i = 0; i < resp.nhdrs; i++) {
		if (!strcmp(resp.hdrs[i].name, "X-Subject-Token"))
			snprintf(fz_token[0], sizeof(fz_token[0]), "%s", resp.hdrs[i].value);
	}
	twin_req_release(&req);
	twin_resp_release(&resp);
}

static void fz_bearer(int slot, const char *target, const char *body)
{
	struct twin_req req;
	struct twin_resp resp;
	json_t *doc;

	fz_call("POST", target, "application/x-www-form-urlencoded", body, &req, &resp);
	doc = json_loadb(sbuf_str(&resp.body), resp.body.len, 0, NULL);
	snprintf(fz_token[slot], sizeof(fz_token[slot]), "%s",
		 json_string_value(json_object_get(doc, "access_token")) ?
		 json_string_value(json_object_get(doc, "access_token")) : "none");
	json_decref(doc);
	twin_req_release(&req);
	twin_resp_release(&resp);
}

static void fz_google_token(void)
{
	const char *pem = fz_cs("gcp", "private_key");
	struct jwt_key *key = NULL;
	struct sbuf jwt = SBUF_INIT, body = SBUF_INIT;
	json_int_t now = time(NULL);
	json_t *claims = json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", fz_cs("gcp", "client_email"),
				   "scope", "https://www.googleapis.com/auth/compute", "aud",
				   "https://oauth2.googleapis.com/token", "iat", now, "exp", now + 3600);

	if (pem && !jwt_key_load_pem(pem, strlen(pem), &key) && !jwt_sign(key, NULL, claims, &jwt)) {
		sbuf_addf(&body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
			  "&assertion=%s", jwt.buf);
		fz_bearer(1, "/gcp/token", body.buf);
	}
	jwt_key_free(key);
	json_decref(claims);
	sbuf_release(&jwt);
	sbuf_release(&body);
}

static void fz_azure_token(void)
{
	char target[128], body[512];

	snprintf(target, sizeof(target), "/az/%s/oauth2/token", fz_cs("az", "tenant_id"));
	snprintf(body, sizeof(body), "grant_type=client_credentials&client_id=%s&client_secret=%s"
		 "&resource=https%%3A%%2F%%2Fmanagement.core.windows.net%%2F",
		 fz_cs("az", "client_id"), fz_cs("az", "client_secret"));
	fz_bearer(2, target, body);
}

static struct twin_server *fz_server(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *conf;
	struct twin_server_opts o = { .listen = "127.0.0.1:0", .tls_dir = fz_dir,
				      .max_body = 1 << 20 };
	struct twin_req req;
	struct twin_resp resp;

	if (fz_srv)
		return fz_srv;
	conf = twin_config_parse(fz_config, strlen(fz_config), &err);
	o.config = conf;
	if (conf && mkdtemp(fz_dir))
		fz_srv = twin_server_new(&o, &err);
	if (!fz_srv || twin_server_start(fz_srv, &err)) {
		fprintf(stderr, "twin_fuzz: %s\n", sbuf_str(&err));
		abort();
	}
	json_decref(conf);
	sbuf_release(&err);
	atexit(fz_cleanup);
	fz_call("GET", "/_twin/clouds", NULL, NULL, &req, &resp);
	fz_clouds = json_loadb(sbuf_str(&resp.body), resp.body.len, 0, NULL);
	twin_req_release(&req);
	twin_resp_release(&resp);
	fz_keystone_token();
	fz_google_token();
	fz_azure_token();
	return fz_srv;
}

/* Copy text, replacing the placeholders with tokens or the subscription. */
static void fz_expand(const char *in, size_t n, struct sbuf *out)
{
	static const char *const marks[] = { "%OS%", "%GCP%", "%AZ%", "%SUB%" };

	for (size_t i = 0; i < n;) {
		size_t m;

		for (m = 0; m < 4; m++) {
			size_t l = strlen(marks[m]);

			if (n - i >= l && !memcmp(in + i, marks[m], l))
				break;
		}
		if (m < 4) {
			sbuf_adds(out, m < 3 ? fz_token[m] : fz_cs("az", "subscription_id"));
			i += strlen(marks[m]);
		} else {
			sbuf_addc(out, in[i++]);
		}
	}
}

/* Sign for EC2: SigV4 over host, x-amz-date and the content type. */
static void fz_sign_aws(struct twin_req *req)
{
	char date[SIGV4_DATE_LEN];
	struct sigv4_key key = { fz_cs("aws", "access_key_id"), fz_cs("aws", "secret_access_key"),
				 "us-east-1", "ec2" };
	const char *ct = twin_req_header(req, "Content-Type");
	struct http_header h[3] = { { "host", "127.0.0.1" }, { "x-amz-date", date },
				    { "content-type", ct } };
	struct sigv4_request r = { .method = req->method, .path = req->raw_path,
				   .query = req->raw_query, .headers = h, .nheaders = ct ? 3 : 2,
				   .body = req->body.buf, .body_len = req->body.len,
				   .normalize_path = true };
	struct sbuf auth = SBUF_INIT;

	sigv4_amz_date(time(NULL), date);
	twin_req_add_header(req, "Host", "127.0.0.1");
	twin_req_add_header(req, "X-Amz-Date", date);
	if (!sigv4_sign(&r, &key, date, &auth))
		twin_req_add_header(req, "Authorization", auth.buf);
	sbuf_release(&auth);
}

/* Sign for ECS: V2 over the query and form, sent back as the query. */
static void fz_sign_ali(struct twin_req *req)
{
	struct params p = PARAMS_INIT;
	struct sbuf target = SBUF_INIT;
	char nonce[40], ts[32];

	twin_req_params(req, &p);
	snprintf(nonce, sizeof(nonce), "%ld-%d", (long)clock_mono_ns(), rand());
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){ time(NULL) }));
	params_add(&p, "AccessKeyId", fz_cs("ali", "access_key_id"));
	params_add(&p, "SignatureMethod", "HMAC-SHA1");
	params_add(&p, "SignatureVersion", "1.0");
	params_add(&p, "SignatureNonce", nonce);
	params_add(&p, "Timestamp", ts);
	if (!acs_v2_sign(req->method, &p, fz_cs("ali", "access_key_secret"))) {
		sbuf_adds(&target, "/?");
		params_encode(&p, &target);
		free(req->raw_path);
		free(req->raw_query);
		free(req->path);
		params_release(&req->query);
		req->raw_path = req->raw_query = req->path = NULL;
		twin_req_set_target(req, target.buf);
		sbuf_reset(&req->body);
	}
	sbuf_release(&target);
	params_release(&p);
}

/* Settings a mutated control request may have changed (a stall or a
 * latency would hold up every later input) go back to none. */
static void fz_calm(void)
{
	json_t *zero = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "error_rate", 0, "latency_ms",
				 0, "stall_rate", 0, "drop_rate", 0, "rate_limit", 0, "burst", 0,
				 "vcpus_per_region", 1024, "max_vms", 200);
	struct sbuf err = SBUF_INIT;

	for (size_t i = 0; i < twin_server_nclouds(fz_srv); i++) {
		struct twin_cloud *c = twin_server_cloud_at(fz_srv, i);

		twin_cloud_lock(c);
		twin_cloud_set_settings(c, zero, &err);
		twin_cloud_unlock(c);
	}
	json_decref(zero);
	sbuf_release(&err);
}

/* Build a request from fuzz input and serve it. */
static void fz_request(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *eol;
	struct twin_req req = { 0 };
	struct sbuf first = SBUF_INIT;
	char line[4096], method[16], target[4000];
	int sign = 0;

	fz_server();
	eol = memchr(p, '\n', size);
	fz_expand(p, (size_t)((eol ? eol : end) - p), &first);
	snprintf(line, sizeof(line), "%s", sbuf_str(&first));
	sbuf_release(&first);
	if (!strncmp(line, "!aws ", 5) || !strncmp(line, "!ali ", 5))
		sign = line[1] == 'a' && line[2] == 'w' ? 1 : 2;
	if (sscanf(line + (sign ? 5 : 0), "%15s %3999s", method, target) != 2 ||
	    twin_req_set_target(&req, target)) {
		twin_req_release(&req);
		return;
	}
	req.body.max = 1 << 20;
	snprintf(req.method, sizeof(req.method), "%s", method);
	for (p = eol ? eol + 1 : end; p < end && *p != '\n'; p = eol + 1) {
		const char *colon;
		struct sbuf value = SBUF_INIT;
		char name[128];

		eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol : end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon && colon - p < (long)sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
			colon += colon + 1 < eol && colon[1] == ' ' ? 2 : 1;
			fz_expand(colon, (size_t)(eol - colon), &value);
			twin_req_add_header(&req, name, sbuf_str(&value));
		}
		sbuf_release(&value);
		if (eol == end)
			break;
	}
	if (p < end && *p == '\n')
		twin_req_add_body(&req, p + 1, (size_t)(end - p - 1));
	if (sign == 1)
		fz_sign_aws(&req);
	else if (sign == 2)
		fz_sign_ali(&req);
	fz_exec(&req);
	if (!strncmp(req.path, "/_twin", 6))
		fz_calm();
	twin_req_release(&req);
}

#endif
