/*
 * http.c - libcurl client for the drivers; see http.h.
 *
 * Threading: a client owns a curl share handle (connections, DNS, TLS
 * sessions) guarded by one mutex per curl lock class, and a stack of idle
 * easy handles guarded by pool_lock.  A request pops a handle (or makes
 * one), performs with no client lock held, resets the handle and pushes it
 * back.  curl_easy_reset() keeps nothing from the previous request except
 * caches, so every option is set again on every request.
 *
 * Lock order: pool_lock is never held while libcurl runs; the share locks
 * are taken by libcurl alone and never nest.
 */
#include "drivers/common/http.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/clock.h"

#define HTTP_DEFAULT_POOL 8
#define HTTP_CONNECT_MAX_MS 10000
#define HTTP_RETRY_AFTER_MAX_MS (3600 * 1000)

struct http_client {
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;	/* guards idle, nidle */
	CURL **idle;
	unsigned nidle;
	unsigned pool;
	/* With a ca_file: the system's CAs and the file's, built once in new
	 * and handed to every TLS connection (X509_STORE locks its own lookups). */
	X509_STORE *store;
	char *user_agent;
	size_t max_body;
};

/* What one transfer's callbacks write into. */
struct http_xfer {
	struct http_response *resp;
	bool too_big;
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc;

static void http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void http_share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *arg)
{
	struct http_client *c = arg;

	(void)h;
	(void)acc;
	pthread_mutex_lock(&c->share_locks[data]);
}

static void http_share_unlock(CURL *h, curl_lock_data data, void *arg)
{
	struct http_client *c = arg;

	(void)h;
	pthread_mutex_unlock(&c->share_locks[data]);
}

/* The CAs libcurl trusts by default (its built-in bundle and path), else OpenSSL's. */
static int http_store_defaults(X509_STORE *store)
{
	const char *file = NULL, *dir = NULL;
	CURL *h = curl_easy_init();
	int loaded = 0;

	if (!h)
		return -ENOMEM;
#if LIBCURL_VERSION_NUM >= 0x075400	/* CURLINFO_CAINFO/CAPATH: 7.84.0 */
	curl_easy_getinfo(h, CURLINFO_CAINFO, &file);
	curl_easy_getinfo(h, CURLINFO_CAPATH, &dir);
#endif
	if (file && X509_STORE_load_file(store, file) == 1)
		loaded = 1;
	if (dir && X509_STORE_load_path(store, dir) == 1)
		loaded = 1;
	if (!loaded)
		X509_STORE_set_default_paths(store);
	curl_easy_cleanup(h);
	ERR_clear_error();
	return 0;
}

/*
 * ca_file: its certificates added to the system's CAs in one store made
 * here, once.  Handing libcurl the file instead would have it parse the
 * whole system bundle again for every new TLS connection (OpenSSL 3 does
 * that slowly, and libcurl's CA cache is off when an SSL_CTX callback is
 * set): 40 ms of CPU per connection, measured, against none now.
 */
static int http_load_cas(struct http_client *c, const char *path, struct drv_error *err)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	if (!bio)
		return drv_fail(err, EINVAL, "CAFileUnreadable", "ca_file cannot be read");
	c->store = X509_STORE_new();
	if (!c->store || http_store_defaults(c->store)) {
		BIO_free(bio);
		return -ENOMEM;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(c->store, x) == 1)
			n++;
		else if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_CERT_ALREADY_IN_HASH_TABLE)
			n++;	/* already a system CA */
		X509_free(x);
		ERR_clear_error();
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0)
		return drv_fail(err, EINVAL, "CAFileInvalid", "ca_file holds no PEM certificate");
	return 0;
}

static int http_share_init(struct http_client *c)
{
	static const curl_lock_data shared[] = {
		CURL_LOCK_DATA_CONNECT, CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION,
	};

	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	c->share = curl_share_init();
	if (!c->share)
		return -ENOMEM;
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, http_share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, http_share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		if (curl_share_setopt(c->share, CURLSHOPT_SHARE, shared[i]) != CURLSHE_OK)
			return -ENOMEM;
	}
	return 0;
}

int http_client_new(const struct http_client_opts *opts, struct http_client **out,
		    struct drv_error *err)
{
	static const struct http_client_opts none;
	struct http_client *c;
	int rc;

	if (!opts)
		opts = &none;
	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK)
		return drv_fail(err, ENOMEM, "Transport.Init", "libcurl failed to initialise");
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->pool_lock, NULL);
	c->pool = opts->pool ? opts->pool : HTTP_DEFAULT_POOL;
	c->max_body = opts->max_body ? opts->max_body : HTTP_DEFAULT_MAX_BODY;
	c->idle = calloc(c->pool, sizeof(*c->idle));
	c->user_agent = strdup(opts->user_agent ? opts->user_agent : "baristafs/" BFS_VERSION);
	rc = (!c->idle || !c->user_agent) ? -ENOMEM : http_share_init(c);
	if (rc == 0 && opts->ca_file && *opts->ca_file)
		rc = http_load_cas(c, opts->ca_file, err);
	if (rc) {
		http_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->pool_lock);
	X509_STORE_free(c->store);
	free(c->idle);
	free(c->user_agent);
	free(c);
}

static CURL *http_take(struct http_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->pool_lock);
	if (c->nidle)
		h = c->idle[--c->nidle];
	pthread_mutex_unlock(&c->pool_lock);
	return h ? h : curl_easy_init();
}

static void http_give_back(struct http_client *c, CURL *h)
{
	curl_easy_reset(h);
	pthread_mutex_lock(&c->pool_lock);
	if (c->nidle < c->pool) {
		c->idle[c->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

int64_t http_ms_left(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms == 0)
		return INT64_MAX;
	left = deadline_ms - clock_mono_ms();
	return left > 0 ? left : 0;
}

/* ---- callbacks ------------------------------------------------------------ */

static size_t http_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;

	if (sbuf_add(&x->resp->body, data, size * n) != 0) {
		x->too_big = true;
		return 0;
	}
	return size * n;
}

static void http_trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static size_t http_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	struct sbuf *h = &x->resp->headers;
	size_t len = size * n, nlen, vlen;
	const char *colon, *val;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		sbuf_reset(h);	/* a new block: 1xx, or the final answer */
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;	/* the blank line that ends a block */
	nlen = (size_t)(colon - data);
	val = colon + 1;
	vlen = len - nlen - 1;
	http_trim(&val, &vlen);
	if (sbuf_add(h, data, nlen) || sbuf_addc(h, '\0') || sbuf_add(h, val, vlen) ||
	    sbuf_addc(h, '\0')) {
		x->too_big = true;
		return 0;
	}
	return len;
}

static CURLcode http_on_ssl_ctx(CURL *curl, void *ssl_ctx, void *arg)
{
	const struct http_client *c = arg;

	(void)curl;
	SSL_CTX_set1_cert_store(ssl_ctx, c->store);	/* a reference: the store is shared */
	return CURLE_OK;
}

/* ---- one request ---------------------------------------------------------- */

static int http_add_header(struct curl_slist **list, const char *name, const char *value)
{
	struct sbuf line = SBUF_INIT;
	struct curl_slist *next;
	int rc;

	/* libcurl sends "Name;" as an empty header; "Name:" would remove it. */
	rc = *value ? sbuf_addf(&line, "%s: %s", name, value) : sbuf_addf(&line, "%s;", name);
	if (rc)
		return rc;
	next = curl_slist_append(*list, line.buf);
	sbuf_release(&line);
	if (!next)
		return -ENOMEM;
	*list = next;
	return 0;
}

static int http_build_headers(const struct http_request *req, struct curl_slist **list)
{
	int rc = 0;

	/* "Expect:" (no value) stops libcurl's 100-continue dance on large bodies. */
	*list = curl_slist_append(NULL, "Expect:");
	if (!*list)
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < req->nheaders; i++) {
		if (!req->headers[i].name || !req->headers[i].value)
			return -EINVAL;
		rc = http_add_header(list, req->headers[i].name, req->headers[i].value);
	}
	return rc;
}

static int http_set_method(CURL *h, const struct http_request *req)
{
	const char *m = req->method;

	if (strcmp(m, "GET") == 0)
		return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK ? 0 : -EINVAL;
	if (strcmp(m, "HEAD") == 0)
		return curl_easy_setopt(h, CURLOPT_NOBODY, 1L) == CURLE_OK ? 0 : -EINVAL;
	if (strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0 &&
	    strcmp(m, "PATCH") != 0)
		return -EINVAL;
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	if (!req->body && strcmp(m, "POST") != 0)
		return 0;
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
	return 0;
}

static void http_set_common(struct http_client *c, CURL *h, const struct http_request *req,
			    int64_t left_ms, size_t max_body)
{
	long timeout = left_ms > (int64_t)LONG_MAX ? 0 : (long)left_ms;

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout && timeout < HTTP_CONNECT_MAX_MS ? timeout : HTTP_CONNECT_MAX_MS);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->store) {
		/* No file for libcurl to load: the callback hands over the store. */
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, http_on_ssl_ctx);
		curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, c);
	}
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
}

static const char *http_curl_name(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT: return "Transport.Timeout";
	case CURLE_COULDNT_RESOLVE_HOST: return "Transport.Resolve";
	case CURLE_COULDNT_CONNECT: return "Transport.Connect";
	case CURLE_SEND_ERROR: return "Transport.Send";
	case CURLE_RECV_ERROR: return "Transport.Recv";
	case CURLE_GOT_NOTHING: return "Transport.EmptyReply";
	case CURLE_PARTIAL_FILE: return "Transport.Partial";
	case CURLE_PEER_FAILED_VERIFICATION: return "Transport.TLSVerify";
	case CURLE_SSL_CONNECT_ERROR: return "Transport.TLSConnect";
	case CURLE_SSL_CACERT_BADFILE: return "Transport.TLSCAFile";
	case CURLE_URL_MALFORMAT: return "Transport.BadURL";
	case CURLE_UNSUPPORTED_PROTOCOL: return "Transport.Protocol";
	default: return "Transport.Error";
	}
}

static int http_map_curl(CURLcode cc, const struct http_xfer *x, const char *errbuf,
			 struct drv_error *err)
{
	const char *msg = *errbuf ? errbuf : curl_easy_strerror(cc);
	int rc;

	if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return drv_fail(err, EIO, "ResponseTooLarge", "the answer exceeds its size ceiling");
	switch (cc) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return drv_fail(err, EINVAL, http_curl_name(cc), msg);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return drv_fail(err, EIO, http_curl_name(cc), msg);
	case CURLE_OPERATION_TIMEDOUT:
		rc = drv_fail(err, ETIMEDOUT, http_curl_name(cc), msg);
		break;
	default:
		rc = drv_fail(err, EIO, http_curl_name(cc), msg);
		break;
	}
	if (err)
		err->retryable = true;
	return rc;
}

static int http_perform(struct http_client *c, CURL *h, const struct http_request *req,
			struct http_response *resp, int64_t left_ms, struct drv_error *err)
{
	size_t max_body = req->max_body ? req->max_body : c->max_body;
	struct http_xfer x = { .resp = resp };
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int64_t start;
	CURLcode cc;
	int rc;

	http_set_common(c, h, req, left_ms, max_body);
	rc = http_set_method(h, req);
	if (rc == 0)
		rc = http_build_headers(req, &hdrs);
	if (rc) {
		curl_slist_free_all(hdrs);
		return drv_fail(err, -rc, "Transport.BadRequest", "malformed request");
	}
	resp->body.max = max_body;
	resp->headers.max = HTTP_MAX_HEADER_BYTES;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	start = clock_mono_ms();
	cc = curl_easy_perform(h);
	resp->elapsed_ms = clock_mono_ms() - start;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_slist_free_all(hdrs);
	if (cc == CURLE_OK && !x.too_big)
		return 0;
	resp->status = 0;
	return http_map_curl(cc, &x, errbuf, err);
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct drv_error *err)
{
	int64_t left;
	CURL *h;
	int rc;

	if (!c || !req || !req->method || !req->url || !resp)
		return drv_fail(err, EINVAL, "Transport.BadRequest", "malformed request");
	sbuf_reset(&resp->body);
	sbuf_reset(&resp->headers);
	resp->status = 0;
	left = http_ms_left(req->deadline_ms);
	if (left == 0) {
		rc = drv_fail(err, ETIMEDOUT, "Transport.Timeout", "deadline passed before the request");
		if (err)
			err->retryable = true;
		return rc;
	}
	h = http_take(c);
	if (!h)
		return drv_fail(err, ENOMEM, "Transport.Init", "out of memory");
	rc = http_perform(c, h, req, resp, left, err);
	http_give_back(c, h);
	return rc;
}

/* ---- response accessors --------------------------------------------------- */

const char *http_response_header(const struct http_response *resp, const char *name)
{
	const char *p = resp->headers.buf, *end = p + resp->headers.len, *found = NULL;

	while (p && p < end) {
		const char *value = p + strlen(p) + 1;

		if (value >= end)
			break;
		if (strcasecmp(p, name) == 0)
			found = value;
		p = value + strlen(value) + 1;
	}
	return found;
}

int http_retry_after_ms(const struct http_response *resp)
{
	const char *v = http_response_header(resp, "Retry-After");
	char *end;
	long long secs;
	time_t when;

	if (!v || !*v)
		return 0;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		secs = strtoll(v, &end, 10);
		if (errno || *end)
			return 0;
	} else {
		when = curl_getdate(v, NULL);
		if (when < 0)
			return 0;
		secs = (long long)(when - time(NULL));
	}
	if (secs <= 0)
		return 0;
	return secs > HTTP_RETRY_AFTER_MAX_MS / 1000 ? HTTP_RETRY_AFTER_MAX_MS : (int)secs * 1000;
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	sbuf_release(&resp->body);
	sbuf_release(&resp->headers);
	resp->status = 0;
}

/* ---- URLs ----------------------------------------------------------------- */

static int http_copy(char *dst, size_t len, const char *src)
{
	if (!dst)
		return 0;
	if (strlen(src) >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int http_host_value(CURLU *u, const char *scheme, char *host, size_t hostlen)
{
	char *name = NULL, *port = NULL, buf[320];
	bool dflt;
	int rc = -EINVAL;

	if (curl_url_get(u, CURLUPART_HOST, &name, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;	/* no explicit port */
	dflt = !port || (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
	       (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0);
	if (snprintf(buf, sizeof(buf), "%s%s%s", name, dflt ? "" : ":", dflt ? "" : port) >=
	    (int)sizeof(buf))
		goto out;
	rc = http_copy(host, hostlen, buf);
out:
	curl_free(name);
	curl_free(port);
	return rc;
}

int http_url_split(const char *url, char *host, size_t hostlen, char *path, size_t pathlen,
		   char *query, size_t querylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *p = NULL, *q = NULL;
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		goto out;
	if (curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) != CURLUE_OK)
		q = NULL;
	rc = http_host_value(u, scheme, host, hostlen);
	if (rc == 0)
		rc = http_copy(path, pathlen, *p ? p : "/");
	if (rc == 0)
		rc = http_copy(query, querylen, q ? q : "");
out:
	curl_free(scheme);
	curl_free(p);
	curl_free(q);
	curl_url_cleanup(u);
	return rc;
}
