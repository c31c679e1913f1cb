/*
 * collector.c - the HTTP front of the monitor on libmicrohttpd; see
 * collector.h for the endpoints and their answers.
 *
 * libmicrohttpd calls on_request() first when a request's headers are in
 * (everything that can be refused without the body is refused there:
 * method, path, token, precision, declared length, encoding), then once per
 * chunk of body, then once more with no data.  A refusal queued in the
 * first call makes libmicrohttpd skip the body and close the connection.
 *
 * Memory is bounded twice: each body by max_body (checked against
 * Content-Length up front and again while it arrives, chunked or not, and
 * again after gzip), and all bodies together by max_inflight, reserved
 * chunk by chunk with one atomic counter; a request that would pass it is
 * answered 503 and its bytes are dropped as they come.
 *
 * Threads: libmicrohttpd's pool (epoll, one listening socket shared);
 * requests are independent, the counters are atomics, and the owner's ops
 * are called concurrently.
 */
#include "monitor/collector.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/clock.h"
#include "monitor/hostport.h"

#define DEFAULT_MAX_CONNECTIONS 4096
#define DEFAULT_TIMEOUT_S 60
#define SCRAPE_MAX (1024u << 20)
#define ERRORS_MAX (64u << 10)

enum request_kind { RQ_WRITE, RQ_QUERY, RQ_ANSWERED };

struct request {
	enum request_kind kind;
	void *vm;			/* referenced; released when done */
	struct sbuf body;
	size_t reserved;		/* bytes counted in c->inflight */
	bool too_large, busy, gzip;
	int64_t ns_per_unit, default_ns;
	struct sockaddr_storage peer;
	char agent_port[8];
	char agent_interval[16];
};

struct collector {
	struct collector_opts opts;
	const struct collector_ops *ops;
	void *ctx;
	struct MHD_Daemon *daemon;
	char address[80];
	atomic_size_t inflight;
	atomic_uint_least64_t requests, writes_ok, writes_partial, rejected_auth,
		rejected_size, rejected_busy, rejected_bad, points, samples, bad_lines, bytes;
};

/* ---- answers ------------------------------------------------------------------ */

/* Replace bytes that are not UTF-8 so that jansson takes the text. */
static void utf8_sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = len && i + len <= n;

		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)s[i + k] >> 6) == 2;
		if (!ok) {
			s[i++] = '?';
			continue;
		}
		i += len;
	}
}

static enum MHD_Result respond(struct MHD_Connection *con, unsigned status, char *body,
			       size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, body ? MHD_RESPMEM_MUST_FREE :
					    MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Influxdb-Version", "1.6.7-baristafs");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"baristafs\"");
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"error": msg} as influxd words its errors. */
static enum MHD_Result respond_error(struct MHD_Connection *con, unsigned status,
				     const char *msg)
{
	char *text = strdup(msg), *json;
	json_t *o;

	if (!text)
		return MHD_NO;
	utf8_sanitize(text, strlen(text));
	o = json_pack("{s:s}", "error", text);
	free(text);
	json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!json)
		return MHD_NO;
	return respond(con, status, json, strlen(json), "application/json");
}

static enum MHD_Result answer_now(struct collector *c, struct request *rq,
				  struct MHD_Connection *con, unsigned status, const char *msg)
{
	rq->kind = RQ_ANSWERED;
	if (status == MHD_HTTP_UNAUTHORIZED)
		atomic_fetch_add(&c->rejected_auth, 1);
	else if (status == MHD_HTTP_CONTENT_TOO_LARGE)
		atomic_fetch_add(&c->rejected_size, 1);
	else if (status >= 400)
		atomic_fetch_add(&c->rejected_bad, 1);
	return respond_error(con, status, msg);
}

/* ---- the first call: headers -------------------------------------------------- */

static const char *header(struct MHD_Connection *con, const char *name)
{
	return MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The VM the request's token belongs to (referenced), or NULL. */
static void *authenticate(struct collector *c, struct MHD_Connection *con)
{
	const char *auth = header(con, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *p = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "p");
	char *user, *pass = NULL;
	void *vm = NULL;

	if (auth && (has_prefix_ci(auth, "Token ") || has_prefix_ci(auth, "Bearer "))) {
		auth = strchr(auth, ' ');
		while (*auth == ' ')
			auth++;
		return c->ops->auth(c->ctx, auth);
	}
	if (auth && has_prefix_ci(auth, "Basic ")) {
		user = MHD_basic_auth_get_username_password(con, &pass);
		if (pass)
			vm = c->ops->auth(c->ctx, pass);
		MHD_free(user);
		MHD_free(pass);
		return vm;
	}
	return p ? c->ops->auth(c->ctx, p) : NULL;
}

static void copy_header(struct MHD_Connection *con, const char *name, char *dst, size_t len)
{
	const char *v = header(con, name);

	if (v && strlen(v) < len)
		strcpy(dst, v);
}

static void note_peer(struct MHD_Connection *con, struct request *rq)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (!ci || !ci->client_addr)
		return;
	memcpy(&rq->peer, ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
	       sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
}

/* Check what can be checked before the body of a /write. */
static enum MHD_Result begin_write(struct collector *c, struct request *rq,
				   struct MHD_Connection *con)
{
	const char *prec = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "precision");
	const char *len = header(con, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *enc = header(con, MHD_HTTP_HEADER_CONTENT_ENCODING);
	char msg[128];
	int64_t now;

	if (lineproto_precision(prec, &rq->ns_per_unit) != 0) {
		snprintf(msg, sizeof(msg), "invalid precision \"%.32s\" (use n, u, ms, s, m or h)",
			 prec);
		return answer_now(c, rq, con, MHD_HTTP_BAD_REQUEST, msg);
	}
	rq->vm = authenticate(c, con);
	if (!rq->vm)
		return answer_now(c, rq, con, MHD_HTTP_UNAUTHORIZED, "authorization failed");
	if (len && strtoull(len, NULL, 10) > c->opts.max_body)
		return answer_now(c, rq, con, MHD_HTTP_CONTENT_TOO_LARGE, "Request Entity Too Large");
	if (enc && strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "identity") != 0)
		return answer_now(c, rq, con, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				  "unsupported Content-Encoding (use gzip or identity)");
	rq->gzip = enc && strcasecmp(enc, "gzip") == 0;
	rq->body.max = c->opts.max_body;
	now = clock_wall_ms() * 1000000;
	rq->default_ns = now - now % rq->ns_per_unit;
	note_peer(con, rq);
	copy_header(con, "X-Barista-Agent-Port", rq->agent_port, sizeof(rq->agent_port));
	copy_header(con, "X-Barista-Agent-Interval", rq->agent_interval, sizeof(rq->agent_interval));
	return MHD_YES;
}

static enum MHD_Result serve_metrics(struct collector *c, struct request *rq,
				     struct MHD_Connection *con)
{
	struct sbuf out = { .max = SCRAPE_MAX };
	char *body;
	size_t len;

	rq->kind = RQ_ANSWERED;
	if (c->ops->scrape(c->ctx, &out) != 0) {
		sbuf_release(&out);
		return respond_error(con, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed");
	}
	body = sbuf_detach(&out, &len);
	return respond(con, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static enum MHD_Result serve_agent(struct collector *c, struct request *rq,
				   struct MHD_Connection *con)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;
	int fd = c->opts.agent_binary ? open(c->opts.agent_binary, O_RDONLY | O_CLOEXEC) : -1;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return answer_now(c, rq, con, MHD_HTTP_NOT_FOUND, "no agent binary here");
	}
	rq->kind = RQ_ANSWERED;
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);	/* closes fd */
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	ret = MHD_queue_response(con, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result begin(struct collector *c, struct MHD_Connection *con, const char *url,
			     const char *method, void **con_cls)
{
	struct request *rq = calloc(1, sizeof(*rq));
	bool get = is(method, "GET") || is(method, "HEAD");

	if (!rq)
		return MHD_NO;
	*con_cls = rq;
	atomic_fetch_add(&c->requests, 1);
	if (is(url, "/write"))
		return is(method, "POST") ? begin_write(c, rq, con) :
			answer_now(c, rq, con, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST for /write");
	if (is(url, "/metrics") && get)
		return serve_metrics(c, rq, con);
	if (is(url, "/ping") && get) {
		rq->kind = RQ_ANSWERED;
		return respond(con, MHD_HTTP_NO_CONTENT, NULL, 0, NULL);
	}
	if (is(url, "/agent/barista-agent") && get)
		return serve_agent(c, rq, con);
	if (is(url, "/query")) {
		rq->kind = RQ_QUERY;	/* answered once its body is drained */
		return MHD_YES;
	}
	if (is(url, "/metrics") || is(url, "/ping"))
		return answer_now(c, rq, con, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	return answer_now(c, rq, con, MHD_HTTP_NOT_FOUND, "not found");
}

/* ---- body chunks -------------------------------------------------------------- */

static void unreserve(struct collector *c, struct request *rq)
{
	atomic_fetch_sub(&c->inflight, rq->reserved);
	rq->reserved = 0;
}

static void take_chunk(struct collector *c, struct request *rq, const char *data, size_t n)
{
	atomic_fetch_add(&c->bytes, n);
	if (rq->kind != RQ_WRITE || rq->too_large || rq->busy)
		return;
	if (atomic_fetch_add(&c->inflight, n) + n > c->opts.max_inflight) {
		atomic_fetch_sub(&c->inflight, n);
		rq->busy = true;
	} else {
		rq->reserved += n;
		if (sbuf_add(&rq->body, data, n) == 0)
			return;
		rq->too_large = true;
	}
	sbuf_release(&rq->body);
	unreserve(c, rq);
}

/* ---- the last call: store ----------------------------------------------------- */

/* gunzip src into out (whose ceiling applies).  0, -E2BIG, -EINVAL, -ENOMEM. */
static int gunzip(const struct sbuf *src, struct sbuf *out)
{
	z_stream zs = { 0 };
	int zrc = Z_OK, rc = 0;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)src->buf;
	zs.avail_in = (uInt)src->len;
	while (zrc == Z_OK && !rc) {
		size_t max = out->max ? out->max : SBUF_DEFAULT_MAX, room = max - out->len;

		rc = room ? sbuf_grow(out, room < 65536 ? room : 65536) : -E2BIG;
		if (rc)
			break;
		zs.next_out = (Bytef *)out->buf + out->len;
		zs.avail_out = (uInt)(out->cap - out->len - 1);
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len = (size_t)((char *)zs.next_out - out->buf);
		out->buf[out->len] = '\0';
	}
	inflateEnd(&zs);
	if (!rc && zrc != Z_STREAM_END)
		rc = -EINVAL;
	return rc;
}

static enum MHD_Result answer_write(struct collector *c, struct MHD_Connection *con,
				    const struct lineproto_result *res, const struct sbuf *errors)
{
	struct sbuf msg = SBUF_INIT;
	enum MHD_Result ret;

	atomic_fetch_add(&c->points, res->points);
	atomic_fetch_add(&c->samples, res->fields);
	atomic_fetch_add(&c->bad_lines, res->bad);
	if (!res->bad) {
		atomic_fetch_add(&c->writes_ok, 1);
		return respond(con, MHD_HTTP_NO_CONTENT, NULL, 0, NULL);
	}
	if (res->points) {
		atomic_fetch_add(&c->writes_partial, 1);
		sbuf_addf(&msg, "partial write: %s dropped=%zu", sbuf_str(errors), res->bad);
	} else {
		atomic_fetch_add(&c->rejected_bad, 1);
		sbuf_adds(&msg, sbuf_str(errors));
	}
	ret = respond_error(con, MHD_HTTP_BAD_REQUEST, sbuf_str(&msg));
	sbuf_release(&msg);
	return ret;
}

static enum MHD_Result finish_write(struct collector *c, struct request *rq,
				    struct MHD_Connection *con)
{
	struct sbuf plain = { .max = c->opts.max_body }, errors = { .max = ERRORS_MAX };
	struct lineproto_result res = { .errors = &errors };
	const struct sbuf *body = &rq->body;
	struct collector_push push;
	enum MHD_Result ret;
	int rc = 0;

	if (rq->too_large)
		return answer_now(c, rq, con, MHD_HTTP_CONTENT_TOO_LARGE, "Request Entity Too Large");
	if (rq->busy) {
		atomic_fetch_add(&c->rejected_busy, 1);
		rq->kind = RQ_ANSWERED;
		return respond_error(con, MHD_HTTP_SERVICE_UNAVAILABLE, "collector busy, retry");
	}
	if (rq->gzip) {
		rc = gunzip(&rq->body, &plain);
		body = &plain;
	}
	if (rc == -E2BIG)
		ret = answer_now(c, rq, con, MHD_HTTP_CONTENT_TOO_LARGE, "Request Entity Too Large");
	else if (rc)
		ret = answer_now(c, rq, con, MHD_HTTP_BAD_REQUEST, "invalid gzip body");
	if (rc)
		goto out_release;
	push = (struct collector_push){ sbuf_str(body), body->len, rq->ns_per_unit, rq->default_ns,
		(const struct sockaddr *)&rq->peer, rq->agent_port[0] ? rq->agent_port : NULL,
		rq->agent_interval[0] ? rq->agent_interval : NULL };
	rc = c->ops->write(c->ctx, rq->vm, &push, &res);
	rq->kind = RQ_ANSWERED;
	ret = rc ? respond_error(con, MHD_HTTP_INTERNAL_SERVER_ERROR, "write failed") :
		answer_write(c, con, &res, &errors);
out_release:
	sbuf_release(&plain);
	sbuf_release(&errors);
	return ret;
}

/*
 * Ingest is bulk work; the process also serves interactive reads (the
 * mount).  Each collector thread lowers its own priority once, so that on a
 * busy machine a `cat` is not queued behind a flood of pushes.
 */
static void lower_priority(const struct collector *c)
{
	static __thread bool done;
	pid_t tid;
	int now;

	if (done || !c->opts.nice)
		return;
	done = true;
	tid = gettid();
	errno = 0;
	now = getpriority(PRIO_PROCESS, (id_t)tid);
	if (!errno)
		setpriority(PRIO_PROCESS, (id_t)tid, now + c->opts.nice > 19 ? 19 : now + c->opts.nice);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct collector *c = cls;
	struct request *rq = *con_cls;
	static const char empty_result[] = "{\"results\":[{\"statement_id\":0}]}";

	(void)version;
	lower_priority(c);
	if (!rq)
		return begin(c, con, url, method, con_cls);
	if (*upload_size) {
		take_chunk(c, rq, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->kind == RQ_WRITE)
		return finish_write(c, rq, con);
	if (rq->kind == RQ_QUERY) {
		rq->kind = RQ_ANSWERED;
		return respond(con, MHD_HTTP_OK, strdup(empty_result), strlen(empty_result),
			       "application/json");
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct collector *c = cls;
	struct request *rq = *con_cls;

	(void)con;
	(void)toe;
	if (!rq)
		return;
	unreserve(c, rq);
	if (rq->vm)
		c->ops->release(c->ctx, rq->vm);
	sbuf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void apply_defaults(struct collector_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (!o->listen)
		o->listen = "127.0.0.1:0";
	if (!o->threads)
		o->threads = cpus > 0 ? (unsigned)cpus : 1;
	if (!o->max_body)
		o->max_body = COLLECTOR_DEFAULT_MAX_BODY;
	if (!o->max_inflight)
		o->max_inflight = COLLECTOR_DEFAULT_MAX_INFLIGHT;
	if (!o->max_connections)
		o->max_connections = DEFAULT_MAX_CONNECTIONS;
	if (!o->timeout_s)
		o->timeout_s = DEFAULT_TIMEOUT_S;
}

static int start_daemon(struct collector *c, const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	c->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, c,
				     MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
				     MHD_OPTION_THREAD_POOL_SIZE, c->opts.threads,
				     MHD_OPTION_CONNECTION_LIMIT, c->opts.max_connections,
				     MHD_OPTION_CONNECTION_TIMEOUT, c->opts.timeout_s,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, c,
				     MHD_OPTION_END);
	return c->daemon ? 0 : -EADDRINUSE;
}

int collector_start(const struct collector_opts *opts, const struct collector_ops *ops,
		    void *ctx, struct collector **out, char **err)
{
	struct collector *c = calloc(1, sizeof(*c));
	const union MHD_DaemonInfo *di;
	struct sockaddr_storage ss = { 0 };
	char host[64];
	int rc;

	if (!c)
		return -ENOMEM;
	c->opts = *opts;
	apply_defaults(&c->opts);
	c->ops = ops;
	c->ctx = ctx;
	rc = hostport_resolve(c->opts.listen, &ss, host, sizeof(host));
	if (!rc)
		rc = start_daemon(c, &ss);
	if (rc) {
		if (err && asprintf(err, "cannot listen on %s: %s", c->opts.listen,
				    rc == -EINVAL ? "bad address (want HOST:PORT)" :
				    "address in use or not available") < 0)
			*err = NULL;
		free(c);
		return rc;
	}
	c->opts.listen = NULL;	/* the caller's string; address[] is ours */
	di = MHD_get_daemon_info(c->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(c->address, sizeof(c->address), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
		 di ? di->port : 0);
	*out = c;
	return 0;
}

void collector_stop(struct collector *c)
{
	if (!c)
		return;
	MHD_stop_daemon(c->daemon);
	free(c);
}

const char *collector_address(const struct collector *c)
{
	return c->address;
}

void collector_get_stats(struct collector *c, struct collector_stats *st)
{
	st->requests = atomic_load(&c->requests);
	st->writes_ok = atomic_load(&c->writes_ok);
	st->writes_partial = atomic_load(&c->writes_partial);
	st->rejected_auth = atomic_load(&c->rejected_auth);
	st->rejected_size = atomic_load(&c->rejected_size);
	st->rejected_busy = atomic_load(&c->rejected_busy);
	st->rejected_bad = atomic_load(&c->rejected_bad);
	st->points = atomic_load(&c->points);
	st->samples = atomic_load(&c->samples);
	st->bad_lines = atomic_load(&c->bad_lines);
	st->bytes = atomic_load(&c->bytes);
	st->inflight = atomic_load(&c->inflight);
}
