/*
 * acs_test.c - Alibaba Cloud signatures against the published examples
 * quoted in clouds.md: V2 (HMAC-SHA1, both spellings of the timestamp key)
 * and V3 (ACS3-HMAC-SHA256, both dated examples, intermediate hash too);
 * then verification and its failures.
 */
#include "drivers/common/acs.h"

#include <errno.h>
#include <string.h>

#include "drivers/common/hash.h"
#include "tests/unit/cu.h"

/* ---- V2 ------------------------------------------------------------------- */

static void v2_params(struct params *p, const char *ts_key)
{
	params_add(p, "Action", "DescribeRegions");
	params_add(p, "Format", "XML");
	params_add(p, "SignatureMethod", "HMAC-SHA1");
	params_add(p, "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf");
	params_add(p, "SignatureVersion", "1.0");
	params_add(p, ts_key, "2016-02-23T12:46:24Z");
	params_add(p, "Version", "2014-05-26");
	params_add(p, "AccessKeyId", "testid");	/* order of adding does not matter */
}

static void test_v2_published(void)
{
	static const struct {
		const char *ts_key, *sig;
	} cases[] = {
		{ "Timestamp", "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" },
		{ "TimeStamp", "CT9X0VtwR86fNWSnsc6v8YGOjuE=" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct params p = PARAMS_INIT;
		struct sbuf sts = SBUF_INIT;

		v2_params(&p, cases[i].ts_key);
		CU_ASSERT_EQUAL(acs_v2_string_to_sign("GET", &p, &sts), 0);
		CU_ASSERT_NSTRING_EQUAL(sts.buf, "GET&%2F&AccessKeyId%3Dtestid%26Action%3D", 40);
		CU_ASSERT_EQUAL(acs_v2_sign("GET", &p, "testsecret"), 0);
		CU_ASSERT_STRING_EQUAL(params_get(&p, "Signature"), cases[i].sig);
		CU_ASSERT_EQUAL(acs_v2_verify("GET", &p, "testsecret"), 0);
		params_release(&p);
		sbuf_release(&sts);
	}
}

static void test_v2_verify_failures(void)
{
	struct params p = PARAMS_INIT, q = PARAMS_INIT;
	struct sbuf enc = SBUF_INIT;

	v2_params(&p, "Timestamp");
	CU_ASSERT_EQUAL(acs_v2_verify("GET", &p, "testsecret"), -EINVAL);	/* unsigned */
	CU_ASSERT_EQUAL(acs_v2_sign("GET", &p, "testsecret"), 0);
	CU_ASSERT_EQUAL(acs_v2_verify("POST", &p, "testsecret"), -EACCES);
	CU_ASSERT_EQUAL(acs_v2_verify("GET", &p, "othersecret"), -EACCES);
	/* Through the wire form and back, as a server sees it. */
	CU_ASSERT_EQUAL(params_encode(&p, &enc), 0);
	CU_ASSERT_EQUAL(params_parse(&q, enc.buf, enc.len, false), 0);
	CU_ASSERT_EQUAL(acs_v2_verify("GET", &q, "testsecret"), 0);
	params_add(&q, "InstanceType", "ecs.g6.large");	/* a parameter slipped in */
	CU_ASSERT_EQUAL(acs_v2_verify("GET", &q, "testsecret"), -EACCES);
	CU_ASSERT_EQUAL(acs_v2_sign("", &p, "testsecret"), -EINVAL);
	params_release(&p);
	params_release(&q);
	sbuf_release(&enc);
}

static void test_v2_special_characters(void)
{
	/* percentEncode: space %20, '*' %2A, '~' kept, then the whole query encoded again. */
	struct params p = PARAMS_INIT;
	struct sbuf sts = SBUF_INIT;

	params_add(&p, "A", "a b*c~");
	CU_ASSERT_EQUAL(acs_v2_string_to_sign("POST", &p, &sts), 0);
	CU_ASSERT_STRING_EQUAL(sts.buf, "POST&%2F&A%3Da%2520b%252Ac~");
	params_release(&p);
	sbuf_release(&sts);
}

/* ---- V3 ------------------------------------------------------------------- */

struct v3_vec {
	const char *date, *nonce, *canon_hash, *sig;
};

static const struct v3_vec v3_vectors[] = {
	{ "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d",
	  "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
	  "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0" },
	{ "2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0", NULL,
	  "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804" },
};

#define V3_QUERY "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"

static size_t v3_headers(const struct v3_vec *v, struct http_header *h, char *body_hash)
{
	hash_sha256_hex("", 0, body_hash);
	h[0] = (struct http_header){ "host", "ecs.cn-shanghai.aliyuncs.com" };
	h[1] = (struct http_header){ "x-acs-action", "RunInstances" };
	h[2] = (struct http_header){ "x-acs-version", "2014-05-26" };
	h[3] = (struct http_header){ "x-acs-date", v->date };
	h[4] = (struct http_header){ "x-acs-signature-nonce", v->nonce };
	h[5] = (struct http_header){ "x-acs-content-sha256", body_hash };
	h[6] = (struct http_header){ "User-Agent", "not-signed/1.0" };
	return 7;
}

static void test_v3_published(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(v3_vectors); i++) {
		const struct v3_vec *v = &v3_vectors[i];
		char body_hash[HASH_SHA256_HEX_LEN], hash[HASH_SHA256_HEX_LEN];
		struct http_header h[8];
		struct acs_v3_request r = { .method = "POST", .query = V3_QUERY, .headers = h };
		struct sbuf canon = SBUF_INIT, list = SBUF_INIT, sts = SBUF_INIT, auth = SBUF_INIT;
		char sig[ACS_V3_SIG_LEN];

		r.nheaders = v3_headers(v, h, body_hash);
		CU_ASSERT_EQUAL(acs_v3_canonical_request(&r, &canon, &list), 0);
		CU_ASSERT_STRING_EQUAL(list.buf, "host;x-acs-action;x-acs-content-sha256;x-acs-date;"
						 "x-acs-signature-nonce;x-acs-version");
		hash_sha256_hex(canon.buf, canon.len, hash);
		if (v->canon_hash)
			CU_ASSERT_STRING_EQUAL(hash, v->canon_hash);
		CU_ASSERT_EQUAL(acs_v3_string_to_sign(canon.buf, &sts), 0);
		CU_ASSERT_EQUAL(acs_v3_signature("YourAccessKeySecret", sts.buf, sig), 0);
		CU_ASSERT_STRING_EQUAL(sig, v->sig);
		CU_ASSERT_EQUAL(acs_v3_sign(&r, "YourAccessKeyId", "YourAccessKeySecret", &auth), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(auth.buf, v->sig));
		CU_ASSERT_NSTRING_EQUAL(auth.buf, "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
				       "SignedHeaders=host;x-acs-action;", 64);
		sbuf_release(&canon);
		sbuf_release(&list);
		sbuf_release(&sts);
		sbuf_release(&auth);
	}
}

static void test_v3_verify(void)
{
	const struct v3_vec *v = &v3_vectors[0];
	char body_hash[HASH_SHA256_HEX_LEN];
	struct http_header h[8];
	struct acs_v3_request r = { .method = "POST", .query = V3_QUERY, .headers = h };
	struct sbuf auth = SBUF_INIT;
	struct acs_v3_auth a;

	r.nheaders = v3_headers(v, h, body_hash);
	CU_ASSERT_EQUAL(acs_v3_sign(&r, "YourAccessKeyId", "YourAccessKeySecret", &auth), 0);
	CU_ASSERT_EQUAL(acs_v3_parse_authorization(auth.buf, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.access_key_id, "YourAccessKeyId");
	CU_ASSERT_STRING_EQUAL(a.signature, v->sig);
	CU_ASSERT_EQUAL(acs_v3_verify(&r, &a, "YourAccessKeySecret"), 0);
	CU_ASSERT_EQUAL(acs_v3_verify(&r, &a, "wrong"), -EACCES);
	h[6].value = "changed";		/* user-agent is not signed */
	CU_ASSERT_EQUAL(acs_v3_verify(&r, &a, "YourAccessKeySecret"), 0);
	r.query = "ImageId=other&RegionId=cn-shanghai";
	CU_ASSERT_EQUAL(acs_v3_verify(&r, &a, "YourAccessKeySecret"), -EACCES);
	r.query = V3_QUERY;
	r.body = "x";
	r.body_len = 1;
	CU_ASSERT_EQUAL(acs_v3_verify(&r, &a, "YourAccessKeySecret"), -EACCES);
	r.body = NULL;
	r.nheaders = 4;			/* signed nonce and content hash missing */
	CU_ASSERT_EQUAL(acs_v3_verify(&r, &a, "YourAccessKeySecret"), -EINVAL);
	sbuf_release(&auth);
}

static void test_v3_parse_bad(void)
{
	static const char *bad[] = {
		"",
		"ACS3-HMAC-SHA1 Credential=a,SignedHeaders=host,Signature="
		"06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=0656",
		"ACS3-HMAC-SHA256 Credential=a,Other=1,SignedHeaders=host,Signature="
		"06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
		"ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature="
		"06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
	};
	struct acs_v3_auth a;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(acs_v3_parse_authorization(bad[i], &a), -EINVAL);
}

static const struct cu_test tests[] = {
	{ "v2_published", test_v2_published },
	{ "v2_verify_failures", test_v2_verify_failures },
	{ "v2_special_characters", test_v2_special_characters },
	{ "v3_published", test_v3_published },
	{ "v3_verify", test_v3_verify },
	{ "v3_parse_bad", test_v3_parse_bad },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "acs", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
