/*
 * drvcommon_test.c - the small helpers under drivers/common: codec
 * (base64, base64url, hex, percent-encoding), hash (SHA-256, HMAC, random
 * ids), params (ordered name/value lists), xmlh (libxml2 walking), drvmap
 * (status and error tables) and conf (spec and credential keys), against
 * published vectors (RFC 4648, RFC 4231, RFC 2202) and their error cases.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "drivers/common/codec.h"
#include "drivers/common/conf.h"
#include "drivers/common/drvmap.h"
#include "drivers/common/hash.h"
#include "drivers/common/memo.h"
#include "drivers/common/once.h"
#include "drivers/common/params.h"
#include "drivers/common/xmlh.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"

/* ---- codec ---------------------------------------------------------------- */

static void test_b64_rfc4648(void)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char *url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct sbuf a = SBUF_INIT, b = SBUF_INIT, c = SBUF_INIT, d = SBUF_INIT;

		CU_ASSERT_EQUAL(codec_b64_encode(&a, in[i], strlen(in[i])), 0);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&a), std[i]);
		CU_ASSERT_EQUAL(codec_b64url_encode(&b, in[i], strlen(in[i])), 0);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&b), url[i]);
		CU_ASSERT_EQUAL(codec_b64_decode(&c, std[i], strlen(std[i])), 0);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&c), in[i]);
		CU_ASSERT_EQUAL(codec_b64_decode(&d, url[i], strlen(url[i])), 0);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&d), in[i]);
		sbuf_release(&a);
		sbuf_release(&b);
		sbuf_release(&c);
		sbuf_release(&d);
	}
}

static void test_b64_alphabets(void)
{
	static const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };
	struct sbuf a = SBUF_INIT, b = SBUF_INIT, c = SBUF_INIT;

	CU_ASSERT_EQUAL(codec_b64_encode(&a, bytes, 3), 0);
	CU_ASSERT_STRING_EQUAL(a.buf, "+/+/");
	CU_ASSERT_EQUAL(codec_b64url_encode(&b, bytes, 3), 0);
	CU_ASSERT_STRING_EQUAL(b.buf, "-_-_");
	CU_ASSERT_EQUAL(codec_b64_decode(&c, "-_-_", 4), 0);
	CU_ASSERT_EQUAL(c.len, 3);
	CU_ASSERT_EQUAL(memcmp(c.buf, bytes, 3), 0);
	sbuf_release(&a);
	sbuf_release(&b);
	sbuf_release(&c);
}

static void test_b64_bad(void)
{
	static const char *bad[] = { "Zg=", "Z", "Zg===", "Z=g=", "Zm 9v", "Zm9v\n", "Zm9v!",
				     "Zm9vY", "=" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct sbuf out = SBUF_INIT;

		CU_ASSERT_EQUAL(codec_b64_decode(&out, bad[i], strlen(bad[i])), -EINVAL);
		sbuf_release(&out);
	}
}

static void test_b64_ceiling(void)
{
	struct sbuf out = { .max = 8 };

	CU_ASSERT_EQUAL(codec_b64_encode(&out, "foobarfoobar", 12), -E2BIG);
	CU_ASSERT_EQUAL(out.len, 0);
	sbuf_release(&out);
}

static void test_hex(void)
{
	char hex[9];

	codec_hex(hex, "\x00\x7f\xab\xff", 4);
	CU_ASSERT_STRING_EQUAL(hex, "007fabff");
	codec_hex(hex, "", 0);
	CU_ASSERT_STRING_EQUAL(hex, "");
}

static void test_pct(void)
{
	static const struct {
		const char *in, *enc;
		bool slash;
	} cases[] = {
		{ "AZaz09-_.~", "AZaz09-_.~", false },
		{ "a b*+/=&", "a%20b%2A%2B%2F%3D%26", false },
		{ "/a b/c", "/a%20b/c", true },
		{ "//", "//", true },
		{ "\xe1\x88\xb4", "%E1%88%B4", false },
		{ "", "", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sbuf e = SBUF_INIT, d = SBUF_INIT;

		CU_ASSERT_EQUAL(codec_pct_encode(&e, cases[i].in, strlen(cases[i].in),
						 cases[i].slash), 0);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&e), cases[i].enc);
		CU_ASSERT_EQUAL(codec_pct_decode(&d, e.buf, e.len, false), 0);
		CU_ASSERT_STRING_EQUAL(sbuf_str(&d), cases[i].in);
		sbuf_release(&e);
		sbuf_release(&d);
	}
}

static void test_pct_decode_forms(void)
{
	struct sbuf a = SBUF_INIT, b = SBUF_INIT, c = SBUF_INIT;

	CU_ASSERT_EQUAL(codec_pct_decode(&a, "a+b%2B", 6, true), 0);
	CU_ASSERT_STRING_EQUAL(a.buf, "a b+");
	CU_ASSERT_EQUAL(codec_pct_decode(&b, "a+b", 3, false), 0);
	CU_ASSERT_STRING_EQUAL(b.buf, "a+b");
	CU_ASSERT_EQUAL(codec_pct_decode(&c, "%zz%4", 5, false), 0);	/* kept as is */
	CU_ASSERT_STRING_EQUAL(c.buf, "%zz%4");
	sbuf_release(&a);
	sbuf_release(&b);
	sbuf_release(&c);
}

/* ---- hash ------------------------------------------------------------------- */

static void test_sha256(void)
{
	char hex[HASH_SHA256_HEX_LEN];

	hash_sha256_hex("", 0, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_sha256_hex("abc", 3, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hmac(void)
{
	unsigned char m256[HASH_SHA256_LEN], m1[HASH_SHA1_LEN];
	char hex[65];

	/* RFC 4231 test case 2 */
	CU_ASSERT_EQUAL(hash_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, m256), 0);
	codec_hex(hex, m256, sizeof(m256));
	CU_ASSERT_STRING_EQUAL(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 2202 test case 2 */
	CU_ASSERT_EQUAL(hash_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, m1), 0);
	codec_hex(hex, m1, sizeof(m1));
	CU_ASSERT_STRING_EQUAL(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

static void test_equal_and_random(void)
{
	char a[33], b[33], u[37];

	CU_ASSERT_TRUE(hash_equal("abc", "abc"));
	CU_ASSERT_FALSE(hash_equal("abc", "abd"));
	CU_ASSERT_FALSE(hash_equal("abc", "abcd"));
	CU_ASSERT_EQUAL(hash_random_hex(a, 16), 0);
	CU_ASSERT_EQUAL(hash_random_hex(b, 16), 0);
	CU_ASSERT_EQUAL(strlen(a), 32);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(hash_random_hex(a, 65), -EINVAL);
	CU_ASSERT_EQUAL(hash_uuid4(u), 0);
	CU_ASSERT_EQUAL(strlen(u), 36);
	CU_ASSERT_EQUAL(u[14], '4');
	CU_ASSERT_PTR_NOT_NULL(strchr("89ab", u[19]));
	CU_ASSERT(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
}

/* ---- params ----------------------------------------------------------------- */

static void test_params_roundtrip(void)
{
	struct params p = PARAMS_INIT, q = PARAMS_INIT;
	struct sbuf s = SBUF_INIT;

	CU_ASSERT_EQUAL(params_add(&p, "Action", "RunInstances"), 0);
	CU_ASSERT_EQUAL(params_addf(&p, "MaxCount", "%d", 1), 0);
	CU_ASSERT_EQUAL(params_add(&p, "TagSpecification.1.Tag.1.Value", "a b&c=d"), 0);
	CU_ASSERT_EQUAL(params_add(&p, "InstanceIds", "[\"i-1\",\"i-2\"]"), 0);
	CU_ASSERT_EQUAL(params_add(&p, "Empty", NULL), 0);
	CU_ASSERT_EQUAL(params_encode(&p, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.buf, "Action=RunInstances&MaxCount=1&TagSpecification.1.Tag.1.Value="
			       "a%20b%26c%3Dd&InstanceIds=%5B%22i-1%22%2C%22i-2%22%5D&Empty=");
	CU_ASSERT_EQUAL(params_parse(&q, s.buf, s.len, false), 0);
	CU_ASSERT_EQUAL(q.n, 5);
	CU_ASSERT_STRING_EQUAL(params_get(&q, "TagSpecification.1.Tag.1.Value"), "a b&c=d");
	CU_ASSERT_STRING_EQUAL(params_get(&q, "InstanceIds"), "[\"i-1\",\"i-2\"]");
	CU_ASSERT_STRING_EQUAL(params_get(&q, "Empty"), "");
	CU_ASSERT_PTR_NULL(params_get(&q, "Absent"));
	params_sort(&q);
	CU_ASSERT_STRING_EQUAL(q.v[0].name, "Action");
	CU_ASSERT_STRING_EQUAL(q.v[1].name, "Empty");
	CU_ASSERT_STRING_EQUAL(q.v[4].name, "TagSpecification.1.Tag.1.Value");
	params_release(&p);
	params_release(&q);
	sbuf_release(&s);
}

static void test_params_parse_forms(void)
{
	struct params p = PARAMS_INIT;

	CU_ASSERT_EQUAL(params_parse(&p, "a=1+2&&b&c=%3D&=x", 17, true), 0);
	CU_ASSERT_EQUAL(p.n, 4);
	CU_ASSERT_STRING_EQUAL(params_get(&p, "a"), "1 2");
	CU_ASSERT_STRING_EQUAL(params_get(&p, "b"), "");
	CU_ASSERT_STRING_EQUAL(params_get(&p, "c"), "=");
	CU_ASSERT_STRING_EQUAL(params_get(&p, ""), "x");
	params_release(&p);
	params_release(&p);	/* twice is harmless */
}

static void test_params_ceiling(void)
{
	struct params p = PARAMS_INIT;
	int rc = 0;

	for (int i = 0; rc == 0 && i <= PARAMS_MAX; i++)
		rc = params_add(&p, "k", "v");
	CU_ASSERT_EQUAL(rc, -E2BIG);
	CU_ASSERT_EQUAL(p.n, PARAMS_MAX);
	params_release(&p);
}

/* ---- xmlh ------------------------------------------------------------------- */

static const char ec2_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
	"  <requestId> r-1 </requestId>\n"
	"  <reservationSet><item><instancesSet>\n"
	"    <item><instanceId>i-1</instanceId><instanceState><code>16</code></instanceState></item>\n"
	"    <!-- a comment -->\n"
	"    <item><instanceId>i-2</instanceId><instanceState><code>x</code></instanceState></item>\n"
	"  </instancesSet></item></reservationSet>\n"
	"</DescribeInstancesResponse>\n";

static void test_xmlh_walk(void)
{
	xmlDoc *doc = xmlh_parse(ec2_doc, strlen(ec2_doc));
	xmlNode *root = xmlh_root(doc), *set, *it;
	char buf[16], tiny[3];
	long long code = 0;
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(xmlh_name(root), "DescribeInstancesResponse");
	CU_ASSERT_EQUAL(xmlh_text(root, "requestId", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "r-1");
	set = xmlh_path(root, "reservationSet/item/instancesSet");
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	for (it = xmlh_child(set, "item"); it; it = xmlh_next(it, "item"))
		n++;
	CU_ASSERT_EQUAL(n, 2);
	it = xmlh_child(set, "item");
	CU_ASSERT_EQUAL(xmlh_int(it, "instanceState/code", &code), 0);
	CU_ASSERT_EQUAL(code, 16);
	CU_ASSERT_EQUAL(xmlh_int(xmlh_next(it, "item"), "instanceState/code", &code), -EINVAL);
	CU_ASSERT_EQUAL(xmlh_text(it, "missing/path", buf, sizeof(buf)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(xmlh_int(it, "missing", &code), -ENOENT);
	CU_ASSERT_EQUAL(xmlh_text(it, "instanceId", tiny, sizeof(tiny)), -E2BIG);
	CU_ASSERT_STRING_EQUAL(tiny, "i-");
	CU_ASSERT_PTR_NULL(xmlh_child(NULL, "x"));
	CU_ASSERT_PTR_NULL(xmlh_next(NULL, "x"));
	xmlFreeDoc(doc);
}

static void test_xmlh_matching(void)
{
	static const char xml[] = "<r><item><groupName>web</groupName><vpcId>v-1</vpcId>"
				  "<tagSet><item><key>k</key><value>v</value></item>"
				  "<item><key>managed-by</key><value>baristafs</value></item></tagSet>"
				  "</item></r>";
	xmlDoc *doc = xmlh_parse(xml, sizeof(xml) - 1);
	xmlNode *it = xmlh_child(xmlh_root(doc), "item");
	const char *const yes[] = { "groupName", "web", "vpcId", "v-1", NULL };
	const char *const any[] = { "groupName", "web", "vpcId", "", NULL };
	const char *const no[] = { "groupName", "web", "vpcId", "v-2", NULL };
	const char *const absent[] = { "missing", "x", NULL };

	CU_ASSERT_TRUE(xmlh_matches(it, yes));
	CU_ASSERT_TRUE(xmlh_matches(it, any));
	CU_ASSERT_TRUE(xmlh_matches(it, NULL));
	CU_ASSERT_FALSE(xmlh_matches(it, no));
	CU_ASSERT_FALSE(xmlh_matches(it, absent));
	CU_ASSERT_TRUE(xmlh_has_pair(it, "tagSet", "item", "key", "managed-by", "value", "baristafs"));
	CU_ASSERT_FALSE(xmlh_has_pair(it, "tagSet", "item", "key", "managed-by", "value", "x"));
	CU_ASSERT_FALSE(xmlh_has_pair(it, "tagSet", "item", "key", "v", "value", "k"));
	CU_ASSERT_FALSE(xmlh_has_pair(it, "noSet", "item", "key", "k", "value", "v"));
	xmlFreeDoc(doc);
}

static void test_xmlh_hostile(void)
{
	static const char xxe[] = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r><a>&x;</a></r>";
	static const char *bad[] = { "", "<a>", "<a></b>", "not xml", "<a>&undefined;</a>" };
	xmlDoc *doc = xmlh_parse(xxe, strlen(xxe));
	char buf[256];

	/* An external entity is never loaded. */
	if (doc) {
		xmlh_text(xmlh_root(doc), "a", buf, sizeof(buf));
		CU_ASSERT_PTR_NULL(strstr(buf, "root:"));
		xmlFreeDoc(doc);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_PTR_NULL(xmlh_parse(bad[i], strlen(bad[i])));
	CU_ASSERT_PTR_NULL(xmlh_parse(NULL, 10));
}

/* ---- drvmap ----------------------------------------------------------------- */

static const struct drvmap_err errs[] = {
	{ "RequestLimitExceeded", EAGAIN, true },
	{ "QuotaExceed.*", EDQUOT, false },
	{ "InvalidInstanceID.NotFound", ENOENT, false },
	{ "AuthFailure", EACCES, false },
	{ NULL, 0, false },
};

static void test_drvmap_errors(void)
{
	static const struct {
		int status;
		const char *code;
		int rc;
		bool retry;
	} cases[] = {
		{ 503, "RequestLimitExceeded", -EAGAIN, true },
		{ 400, "QuotaExceed.ElasticQuota", -EDQUOT, false },
		{ 400, "QuotaExceed", -EIO, false },		/* the prefix needs its dot */
		{ 400, "InvalidInstanceID.NotFound", -ENOENT, false },
		{ 401, "AuthFailure", -EACCES, false },
		{ 429, "SomethingNew", -EAGAIN, true },
		{ 503, NULL, -EAGAIN, true },
		{ 500, "", -EIO, true },
		{ 502, "Whatever", -EIO, true },
		{ 403, "Forbidden", -EACCES, false },
		{ 404, "Gone", -ENOENT, false },
		{ 400, "Unknown", -EIO, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct drvmap_answer a = { cases[i].status, cases[i].code, "msg", "req-1", 0, NULL };
		struct drv_error e = { 0 };

		CU_ASSERT_EQUAL(drvmap_error(errs, &a, &e), cases[i].rc);
		CU_ASSERT_EQUAL(e.retryable, cases[i].retry);
		CU_ASSERT_EQUAL(e.http_status, cases[i].status);
		CU_ASSERT_STRING_EQUAL(e.request_id, "req-1");
	}
}

static void test_drvmap_detail(void)
{
	const char *secrets[] = { "wJalrXUtnFEMI", "abc", NULL };
	struct drvmap_answer a = { 403, "SignatureDoesNotMatch",
				   "key wJalrXUtnFEMI and wJalrXUtnFEMI again, abc kept", NULL, 1500,
				   secrets };
	struct drv_error e = { 0 };

	CU_ASSERT_EQUAL(drvmap_error(errs, &a, &e), -EACCES);
	CU_ASSERT_STRING_EQUAL(e.message, "key *** and *** again, abc kept");
	CU_ASSERT_EQUAL(e.retry_after_ms, 1500);
	CU_ASSERT_STRING_EQUAL(e.request_id, "");
	a = (struct drvmap_answer){ 500, NULL, NULL, NULL, 0, NULL };
	CU_ASSERT_EQUAL(drvmap_error(errs, &a, &e), -EIO);
	CU_ASSERT_STRING_EQUAL(e.code, "HTTPError");
	CU_ASSERT_STRING_EQUAL(e.message, "HTTP 500");
	CU_ASSERT_EQUAL(drvmap_error(errs, &a, NULL), -EIO);
	{
		static const char *const codes[] = { "A.NotFound", "HTTPError", NULL };

		CU_ASSERT_TRUE(drvmap_code_in(&e, codes));	/* e.code is "HTTPError" */
		CU_ASSERT_FALSE(drvmap_code_in(&e, codes + 2));
		CU_ASSERT_FALSE(drvmap_code_in(NULL, codes));
	}
}

static void test_drvmap_status(void)
{
	static const struct drvmap_status st[] = {
		{ "running", DRV_VM_RUNNING }, { "stopped", DRV_VM_SUSPENDED }, { NULL, 0 },
	};

	CU_ASSERT_EQUAL(drvmap_status(st, "running"), DRV_VM_RUNNING);
	CU_ASSERT_EQUAL(drvmap_status(st, "Running"), DRV_VM_UNDEFINED);
	CU_ASSERT_EQUAL(drvmap_status(st, NULL), DRV_VM_UNDEFINED);
	CU_ASSERT_STRING_EQUAL(drvmap_status_name(DRV_VM_SUSPENDED), "Suspended");
	CU_ASSERT_STRING_EQUAL(drvmap_status_name((enum drv_vm_status)99), "Undefined");
}

/* ---- conf ------------------------------------------------------------------- */

static void test_conf(void)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:n}", "access_key_id", "AKID", "num", 3, "empty",
			      "", "null");
	struct drv_error e = { 0 };
	char buf[8], url[64];

	CU_ASSERT_EQUAL(conf_str(o, "credential", "access_key_id", true, buf, sizeof(buf), &e), 0);
	CU_ASSERT_STRING_EQUAL(buf, "AKID");
	CU_ASSERT_EQUAL(conf_str(o, "credential", "secret", true, buf, sizeof(buf), &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "credential key 'secret' is missing");
	CU_ASSERT_EQUAL(conf_str(o, "credential", "empty", true, buf, sizeof(buf), &e), -EINVAL);
	CU_ASSERT_EQUAL(conf_str(o, "credential", "null", true, buf, sizeof(buf), &e), -EINVAL);
	CU_ASSERT_EQUAL(conf_str(o, "spec", "num", false, buf, sizeof(buf), &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "spec key 'num' must be a string");
	CU_ASSERT_EQUAL(conf_str(o, "spec", "absent", false, buf, sizeof(buf), &e), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(conf_str(o, "credential", "access_key_id", true, buf, 4, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "credential key 'access_key_id' is too long");
	CU_ASSERT_EQUAL(conf_str(NULL, "credential", "x", true, buf, sizeof(buf), &e), -EINVAL);
	CU_ASSERT_EQUAL(conf_endpoint(NULL, "https://ec2.{region}.amazonaws.com/", "eu-west-1", url,
				      sizeof(url), &e), 0);
	CU_ASSERT_STRING_EQUAL(url, "https://ec2.eu-west-1.amazonaws.com/");
	CU_ASSERT_EQUAL(conf_endpoint("http://127.0.0.1:9000", "x", "r", url, sizeof(url), &e), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:9000/");
	CU_ASSERT_EQUAL(conf_endpoint("ftp://h/", "x", "r", url, sizeof(url), &e), -EINVAL);
	CU_ASSERT_EQUAL(conf_endpoint("https://a-very-long-host-name.example.com/", "x", "r", url,
				      16, &e), -EINVAL);
	json_decref(o);
	/* The HTTP pool follows the engine's concurrency: default 16, at most 256. */
	for (size_t i = 0; i < 5; i++) {
		static const struct { const char *spec; unsigned want; } cases[] = {
			{ "{}", 16 }, { "{\"concurrency\": 64}", 64 }, { "{\"concurrency\": 1}", 1 },
			{ "{\"concurrency\": 5000}", 256 }, { "{\"concurrency\": \"8\"}", 16 },
		};

		o = json_loads(cases[i].spec, 0, NULL);
		CU_ASSERT_EQUAL(conf_pool(o), cases[i].want);
		json_decref(o);
	}
}

/* ---- memo and once ------------------------------------------------------------ */

static void test_memo(void)
{
	struct memo m;
	char v[16], small[3], key[16];
	char longv[MEMO_VALUE_MAX + 1];

	memo_init(&m);
	CU_ASSERT_FALSE(memo_get(&m, "a", v, sizeof(v)));
	memo_put(&m, "a", "1");
	memo_put(&m, "a", "2");		/* replaced, not added */
	CU_ASSERT_TRUE(memo_get(&m, "a", v, sizeof(v)));
	CU_ASSERT_STRING_EQUAL(v, "2");
	CU_ASSERT_FALSE(memo_get(&m, "a", small, 1));	/* does not fit */
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	memo_put(&m, "long", longv);			/* not stored */
	CU_ASSERT_FALSE(memo_get(&m, "long", v, sizeof(v)));
	for (int i = 0; i < MEMO_SLOTS; i++) {	/* fill up: "a" is the oldest, forgotten */
		snprintf(key, sizeof(key), "k%d", i);
		memo_put(&m, key, "v");
	}
	CU_ASSERT_FALSE(memo_get(&m, "a", v, sizeof(v)));
	CU_ASSERT_TRUE(memo_get(&m, "k31", v, sizeof(v)));
	memo_clear(&m);
	CU_ASSERT_FALSE(memo_get(&m, "k31", v, sizeof(v)));
	memo_release(&m);
}

struct step {
	int runs;
	int fail_first;
	int sleep_ms;
	pthread_mutex_t lock;
};

static int step_fn(void *arg)
{
	struct step *s = arg;
	int n;

	pthread_mutex_lock(&s->lock);
	n = ++s->runs;
	pthread_mutex_unlock(&s->lock);
	if (s->sleep_ms)
		usleep((useconds_t)s->sleep_ms * 1000);
	return n <= s->fail_first ? -EIO : 0;
}

struct runner {
	struct once *o;
	struct step *s;
	int64_t deadline;
	int rc;
};

static void *run_once(void *arg)
{
	struct runner *r = arg;

	r->rc = once_run(r->o, r->deadline, step_fn, r->s);
	return NULL;
}

static void test_once(void)
{
	struct once o;
	struct step s = { .fail_first = 1, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct runner r[4];
	pthread_t t[4];

	once_init(&o);
	CU_ASSERT_EQUAL(once_run(&o, 0, step_fn, &s), -EIO);	/* a failure is retried */
	CU_ASSERT_EQUAL(once_run(&o, 0, step_fn, &s), 0);
	CU_ASSERT_EQUAL(once_run(&o, 0, step_fn, &s), 0);	/* done: not run again */
	CU_ASSERT_EQUAL(s.runs, 2);
	once_reset(&o);
	/* Four threads at once: the step runs once, the others wait for it. */
	s = (struct step){ .sleep_ms = 100, .lock = PTHREAD_MUTEX_INITIALIZER };
	for (int i = 0; i < 4; i++) {
		r[i] = (struct runner){ &o, &s, 0, -1 };
		pthread_create(&t[i], NULL, run_once, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(r[i].rc, 0);
	}
	CU_ASSERT_EQUAL(s.runs, 1);
	/* A waiter whose deadline passes while the step runs gives up. */
	once_reset(&o);
	s = (struct step){ .sleep_ms = 400, .lock = PTHREAD_MUTEX_INITIALIZER };
	r[0] = (struct runner){ &o, &s, 0, -1 };
	pthread_create(&t[0], NULL, run_once, &r[0]);
	usleep(50 * 1000);
	r[1] = (struct runner){ &o, &s, clock_mono_ms() + 50, -1 };
	run_once(&r[1]);
	CU_ASSERT_EQUAL(r[1].rc, -ETIMEDOUT);
	pthread_join(t[0], NULL);
	CU_ASSERT_EQUAL(r[0].rc, 0);
	once_release(&o);
}

static const struct cu_test tests[] = {
	{ "b64_rfc4648", test_b64_rfc4648 },
	{ "b64_alphabets", test_b64_alphabets },
	{ "b64_bad", test_b64_bad },
	{ "b64_ceiling", test_b64_ceiling },
	{ "hex", test_hex },
	{ "pct", test_pct },
	{ "pct_decode_forms", test_pct_decode_forms },
	{ "sha256", test_sha256 },
	{ "hmac", test_hmac },
	{ "equal_and_random", test_equal_and_random },
	{ "params_roundtrip", test_params_roundtrip },
	{ "params_parse_forms", test_params_parse_forms },
	{ "params_ceiling", test_params_ceiling },
	{ "xmlh_walk", test_xmlh_walk },
	{ "xmlh_matching", test_xmlh_matching },
	{ "xmlh_hostile", test_xmlh_hostile },
	{ "drvmap_errors", test_drvmap_errors },
	{ "drvmap_detail", test_drvmap_detail },
	{ "drvmap_status", test_drvmap_status },
	{ "conf", test_conf },
	{ "memo", test_memo },
	{ "once", test_once },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "drvcommon", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
