/*
 * twin_wire_test.c - what cloudtwin reads off the wire and writes back:
 * request targets, the JSON-to-XML writer, SigV4 verification of the
 * aws-c-auth vectors taken as received requests (header and presigned
 * forms), and SigV2 against a signature made by libcloud's own signer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/cu.h"
#include "tools/cloudtwin/twin_awssig.h"
#include "tools/cloudtwin/twin_req.h"
#include "tools/cloudtwin/twin_xml.h"

/* ---- request targets ------------------------------------------------------------ */

static void test_targets(void)
{
	static const struct {
		const char *target, *raw_path, *raw_query, *path;
		int rc;
	} cases[] = {
		{ "/", "/", "", "/", 0 },
		{ "/a%20b/c?x=1&y=%2B", "/a%20b/c", "x=1&y=%2B", "/a b/c", 0 },
		{ "/?", "/", "", "/", 0 },
		{ "http://example.com:8080/p?q", "/p", "q", "/p", 0 },
		{ "http://example.com", "/", "", "/", 0 },
		{ "/%zz", "/%zz", "", "/%zz", 0 },	/* kept as sent, like MHD */
		{ "/a%00b", NULL, NULL, NULL, -EINVAL },	/* a NUL in the path */
		{ "relative", NULL, NULL, NULL, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct twin_req r = { 0 };
		int rc = twin_req_set_target(&r, cases[i].target);

		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (!rc) {
			CU_ASSERT_STRING_EQUAL(r.raw_path, cases[i].raw_path);
			CU_ASSERT_STRING_EQUAL(r.raw_query, cases[i].raw_query);
			CU_ASSERT_STRING_EQUAL(r.path, cases[i].path);
		}
		twin_req_release(&r);
	}
}

static void test_query_and_form(void)
{
	struct twin_req r = { 0 };
	struct params p = PARAMS_INIT;

	CU_ASSERT_EQUAL(twin_req_set_target(&r, "/?Action=Run&Tag=a+b"), 0);
	twin_req_add_header(&r, "content-type", "application/x-www-form-urlencoded; charset=utf-8");
	twin_req_add_body(&r, "Name=x%20y&Action=Two", 21);
	CU_ASSERT(twin_req_is_form(&r));
	CU_ASSERT_EQUAL(twin_req_params(&r, &p), 0);
	CU_ASSERT_STRING_EQUAL(params_get(&p, "Action"), "Run");	/* query first */
	CU_ASSERT_STRING_EQUAL(params_get(&p, "Tag"), "a b");
	CU_ASSERT_STRING_EQUAL(params_get(&p, "Name"), "x y");
	CU_ASSERT_STRING_EQUAL(twin_req_header(&r, "Content-Type"),
			       "application/x-www-form-urlencoded; charset=utf-8");
	CU_ASSERT_PTR_NULL(twin_req_bearer(&r));
	twin_req_add_header(&r, "Authorization", "Bearer  tok123");
	CU_ASSERT_STRING_EQUAL(twin_req_bearer(&r), "tok123");
	params_release(&p);
	twin_req_release(&r);
}

static void test_body_ceiling(void)
{
	struct twin_req r = { 0 };

	r.body.max = 8;
	twin_req_add_body(&r, "12345", 5);
	CU_ASSERT(!r.body_too_big);
	twin_req_add_body(&r, "6789", 4);
	CU_ASSERT(r.body_too_big);
	CU_ASSERT_EQUAL(r.body.len, 5);
	twin_req_release(&r);
}

/* ---- XML -------------------------------------------------------------------------- */

static void test_xml(void)
{
	json_t *doc = json_pack("{s:s,s:{s:[{s:s,s:i},{s:s,s:b}]},s:{s:[]},s:s,s:f,s:n}",
				"requestId", "r-1", "instancesSet", "item", "instanceId", "i-<1>",
				"code", 16, "instanceId", "i-2&", "flag", 1, "groupSet", "item",
				"empty", "", "price", 0.25, "none");
	struct sbuf out = SBUF_INIT;

	CU_ASSERT_EQUAL(twin_xml_write(&out, "DescribeResponse", "http://ns/", doc), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "<DescribeResponse xmlns=\"http://ns/\">"
		"<requestId>r-1</requestId><instancesSet><item><instanceId>i-&lt;1&gt;</instanceId>"
		"<code>16</code></item><item><instanceId>i-2&amp;</instanceId><flag>true</flag>"
		"</item></instancesSet><groupSet/><empty/><price>0.25</price><none/>"
		"</DescribeResponse>"));
	sbuf_reset(&out);
	json_decref(doc);
	doc = json_array();
	CU_ASSERT_EQUAL(twin_xml_write(&out, "R", NULL, doc), -EINVAL);	/* not an object */
	json_decref(doc);
	doc = json_pack("{s:s}", "bad name", "x");
	CU_ASSERT_EQUAL(twin_xml_write(&out, "R", NULL, doc), -EINVAL);
	json_decref(doc);
	sbuf_release(&out);
}

/* ---- SigV4 vectors as received requests ----------------------------------------------- */

static char vdir[512];

static int vectors_init(void)
{
	const char *shared = cu_shared_dir();

	if (!shared) {
		cu_skip("../shared is absent: no SigV4 vectors");
		return 0;
	}
	snprintf(vdir, sizeof(vdir), "%s/vectors/sigv4-aws-c-auth/v4", shared);
	return 0;
}

static int read_file(const char *path, struct sbuf *out)
{
	char buf[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(out, buf, n);
	fclose(f);
	return 0;
}

/* Parse a raw HTTP request (the vectors' text form) into req. */
static int parse_http(const char *text, struct twin_req *req)
{
	const char *p = text, *eol = strchr(p, '\n'), *sp1 = strchr(p, ' '), *sp2;
	char target[2048], name[256];
	struct sbuf value = SBUF_INIT;
	int rc;

	sp2 = sp1 ? strstr(sp1 + 1, " HTTP/") : NULL;
	if (!eol || !sp1 || !sp2 || (size_t)(sp2 - sp1 - 1) >= sizeof(target))
		return -EINVAL;
	snprintf(req->method, sizeof(req->method), "%.*s", (int)(sp1 - p), p);
	snprintf(target, sizeof(target), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
	rc = twin_req_set_target(req, target);
	for (p = eol + 1; !rc && *p && *p != '\n'; p = eol + 1) {
		const char *colon = strchr(p, ':');

		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (!colon || colon > eol)
			return -EINVAL;
		snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
		sbuf_reset(&value);
		sbuf_add(&value, colon + 1, (size_t)(eol - colon - 1));
		while (*eol == '\n' && (eol[1] == ' ' || eol[1] == '\t')) {	/* obs-fold */
			const char *next = strchr(eol + 1, '\n');

			next = next ? next : eol + strlen(eol);
			sbuf_addc(&value, '\n');
			sbuf_add(&value, eol + 1, (size_t)(next - eol - 1));
			eol = next;
		}
		rc = twin_req_add_header(req, name, sbuf_str(&value));
		if (!*eol)
			break;
	}
	if (!rc && *p == '\n')
		twin_req_add_body(req, p + 1, strlen(p + 1));
	sbuf_release(&value);
	return rc;
}

static bool context_flag(const char *ctx, const char *flag)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\": true", flag);
	p = strstr(ctx, key);
	return p != NULL;
}

static int verify_file(const char *dir, const char *file, bool tamper)
{
	struct sbuf text = SBUF_INIT;
	struct twin_req req = { 0 };
	struct twin_sigv4 a;
	char path[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	rc = read_file(path, &text);
	if (!rc)
		rc = parse_http(sbuf_str(&text), &req);
	if (!rc && tamper)
		twin_req_add_header(&req, "X-Amz-Date", "20150830T123601Z");	/* a second date */
	if (!rc)
		rc = twin_awssig_v4_parse(&req, &a);
	if (!rc)
		rc = twin_awssig_v4_verify(&req, &a, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	twin_req_release(&req);
	sbuf_release(&text);
	return rc;
}

static void test_sigv4_vectors(void)
{
	DIR *d = vdir[0] ? opendir(vdir) : NULL;
	struct dirent *de;
	int checked = 0;

	if (!vdir[0])
		return;
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d))) {
		char dir[1024], path[1100];
		struct sbuf ctx = SBUF_INIT;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", vdir, de->d_name);
		snprintf(path, sizeof(path), "%s/context.json", dir);
		if (read_file(path, &ctx) || !context_flag(ctx.buf, "normalize")) {
			sbuf_release(&ctx);
			continue;	/* EC2 normalises paths; the unnormalised cases are S3's */
		}
		if (verify_file(dir, "header-signed-request.txt", false) != 0)
			fprintf(stderr, "vector %s (header) does not verify\n", de->d_name);
		CU_ASSERT_EQUAL(verify_file(dir, "header-signed-request.txt", false), 0);
		/* omit_session_token appends the token to a presigned query after
		 * signing; only the header form can still verify. */
		if (!context_flag(ctx.buf, "omit_session_token"))
			CU_ASSERT_EQUAL(verify_file(dir, "query-signed-request.txt", false), 0);
		CU_ASSERT_EQUAL(verify_file(dir, "header-signed-request.txt", true), -EACCES);
		checked++;
		sbuf_release(&ctx);
	}
	closedir(d);
	CU_ASSERT(checked >= 25);
}

static void test_sigv4_absent_or_malformed(void)
{
	struct twin_req r = { 0 };
	struct twin_sigv4 a;

	twin_req_set_target(&r, "/");
	CU_ASSERT_EQUAL(twin_awssig_v4_parse(&r, &a), -ENOENT);
	twin_req_add_header(&r, "Authorization", "AWS4-HMAC-SHA256 Credential=AKID/2015, "
			    "SignedHeaders=host, Signature=00");
	CU_ASSERT_EQUAL(twin_awssig_v4_parse(&r, &a), -EINVAL);
	twin_req_release(&r);
}

/* ---- SigV2 --------------------------------------------------------------------------- */

static void test_sigv2(void)
{
	/* Signed by libcloud 3.4.1's AWSRequestSignerAlgorithmV2 for host
	 * 127.0.0.1:18080, path "/", the key pair of clouds.md. */
	static const char query[] = "/?AWSAccessKeyId=AKIDEXAMPLE&Action=DescribeInstances&"
		"SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2015-08-30T12%3A36%3A00Z&"
		"Version=2016-11-15&Filter.1.Value.1=blue+team%2A&"
		"Signature=m2lWmndTURn65vdRtilPCZA4D93LARAlYHviOE75SX0%3D";
	struct twin_req r = { 0 };
	struct params p = PARAMS_INIT;

	strcpy(r.method, "GET");
	twin_req_set_target(&r, query);
	twin_req_add_header(&r, "Host", "127.0.0.1:18080");
	twin_req_params(&r, &p);
	CU_ASSERT_EQUAL(twin_awssig_v2_verify(&r, &p, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), 0);
	CU_ASSERT_EQUAL(twin_awssig_v2_verify(&r, &p, "another secret"), -EACCES);
	strcpy(r.method, "POST");
	CU_ASSERT_EQUAL(twin_awssig_v2_verify(&r, &p, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
			-EACCES);
	params_release(&p);
	params_add(&p, "SignatureMethod", "HmacMD5");
	params_add(&p, "Signature", "x");
	CU_ASSERT_EQUAL(twin_awssig_v2_verify(&r, &p, "s"), -EINVAL);
	params_release(&p);
	twin_req_release(&r);
}

static const struct cu_test wire_tests[] = {
	{ "targets", test_targets },
	{ "query_and_form", test_query_and_form },
	{ "body_ceiling", test_body_ceiling },
	{ "xml", test_xml },
	{ "sigv4_absent_or_malformed", test_sigv4_absent_or_malformed },
	{ "sigv2", test_sigv2 },
	{ NULL, NULL },
};

static const struct cu_test vector_tests[] = {
	{ "sigv4_vectors", test_sigv4_vectors },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "twin_wire", NULL, NULL, wire_tests },
	{ "twin_sigv4_vectors", vectors_init, NULL, vector_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
