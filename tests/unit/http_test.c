/*
 * http_test.c - the drivers' HTTP client against a local libmicrohttpd
 * server: status, body and headers reach the caller, bodies are capped,
 * deadlines are honoured, transport failures are classified, connections
 * are reused, TLS verification is on and ca_file adds a trusted CA.
 */
#include "drivers/common/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvstub.h"

static struct stub *plain;
static struct stub *tls;
static char *cert_pem, *key_pem;
static char ca_path[64] = "/tmp/bfs-http-ca-XXXXXX";

/* ---- the server's behaviour, chosen by path ------------------------------- */

static char *dupstr(const char *s)
{
	return strdup(s);
}

static void handler(void *arg, const struct stub_req *r, struct stub_resp *out)
{
	(void)arg;
	if (strncmp(r->uri, "/hello", 6) == 0) {
		out->body = dupstr("hello world");
		out->headers[0][0] = "X-Subject-Token";
		out->headers[0][1] = "  tok-123  ";
		out->headers[1][0] = "Retry-After";
		out->headers[1][1] = "7";
	} else if (strcmp(r->uri, "/echo") == 0) {
		const char *h = stub_header(r, "X-Test");
		const char *host = stub_header(r, "Host");
		char buf[512];

		snprintf(buf, sizeof(buf), "%s %s x-test=%s host=%s body=%s", r->method, r->uri,
			 h ? h : "-", host ? host : "-", r->body);
		out->body = dupstr(buf);
		out->status = 201;
	} else if (strcmp(r->uri, "/big") == 0) {
		out->body = malloc(100000);
		memset(out->body, 'x', 100000);
		out->body_len = 100000;
	} else if (strcmp(r->uri, "/slow") == 0) {
		out->delay_ms = 1500;
		out->body = dupstr("late");
	} else if (strcmp(r->uri, "/throttle") == 0) {
		out->status = 503;
		out->body = dupstr("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
				   "</Error></Errors></Response>");
		out->headers[0][0] = "Retry-After";
		out->headers[0][1] = "Wed, 21 Oct 2099 07:28:00 GMT";
	} else {
		out->status = 404;
	}
}

/* ---- a self-signed certificate for 127.0.0.1 ------------------------------- */

static char *bio_string(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	s = malloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int make_cert(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	X509_NAME *name;
	int rc = -1;

	if (!pk || !x || !cb || !kb)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bfs-test",
				   -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (add_ext(x, NID_subject_alt_name, "IP:127.0.0.1") ||
	    add_ext(x, NID_basic_constraints, "critical,CA:TRUE") || !X509_sign(x, pk, EVP_sha256()))
		goto out;
	PEM_write_bio_X509(cb, x);
	PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL);
	cert_pem = bio_string(cb);
	key_pem = bio_string(kb);
	rc = 0;
out:
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

static int suite_init(void)
{
	int fd;

	if (make_cert())
		return -1;
	fd = mkstemp(ca_path);
	if (fd < 0 || write(fd, cert_pem, strlen(cert_pem)) != (ssize_t)strlen(cert_pem))
		return -1;
	close(fd);
	plain = stub_start(handler, NULL, NULL, NULL);
	tls = stub_start(handler, NULL, cert_pem, key_pem);
	return plain && tls ? 0 : -1;
}

static int suite_clean(void)
{
	stub_stop(plain);
	stub_stop(tls);
	unlink(ca_path);
	free(cert_pem);
	free(key_pem);
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static struct http_client *client(const char *ca, size_t max_body)
{
	struct http_client_opts o = { .ca_file = ca, .max_body = max_body };
	struct http_client *c = NULL;

	CU_ASSERT_EQUAL_FATAL(http_client_new(&o, &c, NULL), 0);
	return c;
}

static int get(struct http_client *c, const char *url, int64_t deadline, struct http_response *r,
	       struct drv_error *err)
{
	struct http_request req = { .method = "GET", .url = url, .deadline_ms = deadline };

	memset(err, 0, sizeof(*err));
	return http_do(c, &req, r, err);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_get_status_body_headers(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;
	char url[128];

	CU_ASSERT_EQUAL(get(c, stub_url(plain, 0, "/hello", url, sizeof(url)),
			    clock_mono_ms() + 5000, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "hello world");
	CU_ASSERT_STRING_EQUAL(http_response_header(&r, "x-subject-token"), "tok-123");
	CU_ASSERT_PTR_NULL(http_response_header(&r, "X-Absent"));
	CU_ASSERT_EQUAL(http_retry_after_ms(&r), 7000);
	CU_ASSERT_EQUAL(get(c, stub_url(plain, 0, "/nothing", url, sizeof(url)),
			    clock_mono_ms() + 5000, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_PTR_NULL(http_response_header(&r, "X-Subject-Token"));
	CU_ASSERT_EQUAL(http_retry_after_ms(&r), 0);
	http_response_release(&r);
	http_client_free(c);
}

static void test_post_body_headers_host(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct http_header h[] = { { "X-Test", "v1" }, { "Host", "example.test:99" } };
	struct http_request req = { .method = "POST", .headers = h, .nheaders = 2,
				    .body = "a=1&b=2", .body_len = 7,
				    .deadline_ms = clock_mono_ms() + 5000 };
	struct drv_error err = { 0 };
	char url[128];

	req.url = stub_url(plain, 0, "/echo", url, sizeof(url));
	CU_ASSERT_EQUAL(http_do(c, &req, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body),
			       "POST /echo x-test=v1 host=example.test:99 body=a=1&b=2");
	req.method = "DELETE";
	req.body = NULL;
	req.nheaders = 0;
	CU_ASSERT_EQUAL(http_do(c, &req, &r, &err), 0);
	CU_ASSERT_NSTRING_EQUAL(sbuf_str(&r.body), "DELETE /echo x-test=- host=127.0.0.1:", 37);
	http_response_release(&r);
	http_client_free(c);
}

static void test_body_ceiling(void)
{
	struct http_client *c = client(NULL, 1000);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;
	char url[128];

	CU_ASSERT_EQUAL(get(c, stub_url(plain, 0, "/big", url, sizeof(url)),
			    clock_mono_ms() + 5000, &r, &err), -EIO);
	CU_ASSERT_STRING_EQUAL(err.code, "ResponseTooLarge");
	CU_ASSERT_FALSE(err.retryable);
	CU_ASSERT(r.body.len <= 1000);
	http_response_release(&r);
	http_client_free(c);
	/* The default ceiling lets it through. */
	c = client(NULL, 0);
	CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() + 5000, &r, &err), 0);
	CU_ASSERT_EQUAL(r.body.len, 100000);
	http_response_release(&r);
	http_client_free(c);
}

static void test_deadline(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;
	char url[128];

	stub_url(plain, 0, "/slow", url, sizeof(url));
	CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() + 200, &r, &err), -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(err.code, "Transport.Timeout");
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_EQUAL(r.status, 0);
	/* A deadline already past makes no request at all. */
	CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() - 1, &r, &err), -ETIMEDOUT);
	CU_ASSERT_TRUE(err.retryable);
	http_response_release(&r);
	http_client_free(c);
}

static void test_connect_refused(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;

	/* Port 1 on loopback: nothing listens there in a test environment. */
	CU_ASSERT_EQUAL(get(c, "http://127.0.0.1:1/", clock_mono_ms() + 5000, &r, &err), -EIO);
	CU_ASSERT_STRING_EQUAL(err.code, "Transport.Connect");
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_EQUAL(err.http_status, 0);
	CU_ASSERT_EQUAL(get(c, "ftp://127.0.0.1/", clock_mono_ms() + 5000, &r, &err), -EINVAL);
	CU_ASSERT_FALSE(err.retryable);
	http_response_release(&r);
	http_client_free(c);
}

static void test_bad_requests(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "BREW", .url = "http://127.0.0.1:1/" };
	struct http_header h = { "X-Null", NULL };
	struct http_client *bad = NULL;
	struct drv_error err = { 0 };

	CU_ASSERT_EQUAL(http_do(c, &req, &r, &err), -EINVAL);
	req.method = "GET";
	req.headers = &h;
	req.nheaders = 1;
	CU_ASSERT_EQUAL(http_do(c, &req, &r, &err), -EINVAL);
	req.url = NULL;
	CU_ASSERT_EQUAL(http_do(c, &req, &r, &err), -EINVAL);
	http_response_release(&r);
	http_client_free(c);
	CU_ASSERT_EQUAL(http_client_new(&(struct http_client_opts){ .ca_file = "/nonexistent" },
					&bad, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "CAFileUnreadable");
	CU_ASSERT_EQUAL(http_client_new(&(struct http_client_opts){ .ca_file = "/etc/hostname" },
					&bad, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "CAFileInvalid");
	CU_ASSERT_PTR_NULL(bad);
}

static void test_connection_reuse(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;
	struct stub *s = stub_start(handler, NULL, NULL, NULL);
	char url[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	stub_url(s, 0, "/hello", url, sizeof(url));
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() + 5000, &r, &err), 0);
	CU_ASSERT_EQUAL(stub_connections(s), 1);
	http_response_release(&r);
	http_client_free(c);
	stub_stop(s);
}

static void test_retry_after_date(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;
	char url[128];

	CU_ASSERT_EQUAL(get(c, stub_url(plain, 0, "/throttle", url, sizeof(url)),
			    clock_mono_ms() + 5000, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, 503);
	/* A date far in the future is capped at one hour. */
	CU_ASSERT_EQUAL(http_retry_after_ms(&r), 3600 * 1000);
	http_response_release(&r);
	http_client_free(c);
}

static void test_tls_verification(void)
{
	struct http_client *c = client(NULL, 0);
	struct http_response r = HTTP_RESPONSE_INIT;
	struct drv_error err;
	char url[128];

	stub_url(tls, 1, "/hello", url, sizeof(url));
	CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() + 5000, &r, &err), -EIO);
	CU_ASSERT_STRING_EQUAL(err.code, "Transport.TLSVerify");
	CU_ASSERT_FALSE(err.retryable);
	http_client_free(c);
	c = client(ca_path, 0);
	CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() + 5000, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&r.body), "hello world");
	/* The extra CA does not replace the system store: a second request reuses it all. */
	CU_ASSERT_EQUAL(get(c, url, clock_mono_ms() + 5000, &r, &err), 0);
	http_response_release(&r);
	http_client_free(c);
}

struct worker {
	struct http_client *c;
	const char *url;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 25; i++) {
		struct http_response r = HTTP_RESPONSE_INIT;
		struct drv_error err;

		if (get(w->c, w->url, clock_mono_ms() + 10000, &r, &err) == 0 && r.status == 200 &&
		    strcmp(sbuf_str(&r.body), "hello world") == 0)
			w->ok++;
		http_response_release(&r);
	}
	return NULL;
}

static void test_threads(void)
{
	struct http_client *c = client(ca_path, 0);
	struct worker w[4];
	pthread_t t[4];
	char url[128];

	stub_url(tls, 1, "/hello", url, sizeof(url));
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ c, url, 0 };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].ok, 25);
	}
	http_client_free(c);
}

static void test_url_split(void)
{
	static const struct {
		const char *url, *host, *path, *query;
		int rc;
	} cases[] = {
		{ "https://ec2.us-east-1.amazonaws.com/", "ec2.us-east-1.amazonaws.com", "/", "", 0 },
		{ "https://ecs.aliyuncs.com", "ecs.aliyuncs.com", "/", "", 0 },
		{ "http://127.0.0.1:18080/compute/v1/x?a=1&b=%20", "127.0.0.1:18080",
		  "/compute/v1/x", "a=1&b=%20", 0 },
		{ "https://h:443/p", "h", "/p", "", 0 },
		{ "http://h:80/./a/../b", "h", "/./a/../b", "", 0 },
		{ "https://h:8443/", "h:8443", "/", "", 0 },
		{ "ftp://h/", NULL, NULL, NULL, -EINVAL },
		{ "not a url", NULL, NULL, NULL, -EINVAL },
	};
	char host[64], path[64], query[64], tiny[4];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = http_url_split(cases[i].url, host, sizeof(host), path, sizeof(path), query,
					sizeof(query));

		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc)
			continue;
		CU_ASSERT_STRING_EQUAL(host, cases[i].host);
		CU_ASSERT_STRING_EQUAL(path, cases[i].path);
		CU_ASSERT_STRING_EQUAL(query, cases[i].query);
	}
	CU_ASSERT_EQUAL(http_url_split("https://longhost/", tiny, sizeof(tiny), NULL, 0, NULL, 0),
			-ENAMETOOLONG);
}

static void test_ms_left(void)
{
	CU_ASSERT_EQUAL(http_ms_left(0), INT64_MAX);
	CU_ASSERT_EQUAL(http_ms_left(clock_mono_ms() - 10), 0);
	CU_ASSERT(http_ms_left(clock_mono_ms() + 100000) > 90000);
}

static const struct cu_test tests[] = {
	{ "get_status_body_headers", test_get_status_body_headers },
	{ "post_body_headers_host", test_post_body_headers_host },
	{ "body_ceiling", test_body_ceiling },
	{ "deadline", test_deadline },
	{ "connect_refused", test_connect_refused },
	{ "bad_requests", test_bad_requests },
	{ "connection_reuse", test_connection_reuse },
	{ "retry_after_date", test_retry_after_date },
	{ "tls_verification", test_tls_verification },
	{ "threads", test_threads },
	{ "url_split", test_url_split },
	{ "ms_left", test_ms_left },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "http", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
