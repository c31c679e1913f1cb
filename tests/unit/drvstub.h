/*
 * drvstub.h - a tiny HTTP(S) server for driver unit tests (libmicrohttpd).
 *
 * A test starts one on 127.0.0.1 with a free port, gives it a handler that
 * sees each request (method, raw URI, headers, whole body) and fills the
 * answer (status, headers, body, an optional delay), and stops it at the
 * end.  One thread per connection, so a delayed answer does not hold up
 * other requests.  Counts the TCP connections it accepted, which is how
 * tests observe connection reuse.  Header-only: each test binary includes
 * it once.
 */
#ifndef BFS_DRVSTUB_H
#define BFS_DRVSTUB_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STUB_MAX_BODY (1u << 20)
#define STUB_MAX_HEADERS 8

struct stub_req {
	const char *method;
	const char *uri;	/* as received: path and raw query */
	const char *body;	/* NUL-terminated */
	size_t body_len;
	struct MHD_Connection *conn;	/* for MHD_lookup_connection_value */
};

struct stub_resp {
	int status;
	char *body;		/* malloc'd by the handler or NULL; the stub frees it */
	size_t body_len;	/* 0: strlen(body) */
	const char *headers[STUB_MAX_HEADERS][2];	/* name, value (static strings) */
	int delay_ms;
};

typedef void (*stub_handler)(void *arg, const struct stub_req *req, struct stub_resp *resp);

struct stub {
	struct MHD_Daemon *d;
	int port;
	stub_handler handler;
	void *arg;
	pthread_mutex_t lock;
	unsigned connections;	/* guarded by lock */
	unsigned requests;	/* guarded by lock */
};

struct stub_conn {
	char *uri;
	char *body;
	size_t len;
	int overflow;
	int started;
};

static inline const char *stub_header(const struct stub_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void *stub_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct stub_conn *sc = calloc(1, sizeof(*sc));

	(void)cls;
	(void)c;
	if (sc)
		sc->uri = strdup(uri);
	return sc;
}

static void stub_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
			enum MHD_ConnectionNotificationCode toe)
{
	struct stub *s = cls;

	(void)c;
	(void)socket_ctx;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&s->lock);
	s->connections++;
	pthread_mutex_unlock(&s->lock);
}

static void stub_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct stub_conn *sc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (sc) {
		free(sc->uri);
		free(sc->body);
		free(sc);
	}
	*con_cls = NULL;
}

static int stub_append(struct stub_conn *sc, const char *data, size_t n)
{
	char *p;

	if (sc->len + n > STUB_MAX_BODY) {
		sc->overflow = 1;
		return 0;
	}
	p = realloc(sc->body, sc->len + n + 1);
	if (!p)
		return -1;
	memcpy(p + sc->len, data, n);
	sc->len += n;
	p[sc->len] = '\0';
	sc->body = p;
	return 0;
}

static enum MHD_Result stub_reply(struct stub *s, struct MHD_Connection *c, const char *method,
				  struct stub_conn *sc)
{
	struct stub_req req = { method, sc->uri ? sc->uri : "", sc->body ? sc->body : "",
				sc->len, c };
	struct stub_resp out = { .status = 200 };
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;

	pthread_mutex_lock(&s->lock);
	s->requests++;
	pthread_mutex_unlock(&s->lock);
	s->handler(s->arg, &req, &out);
	if (out.delay_ms > 0) {
		struct timespec ts = { out.delay_ms / 1000, (out.delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	len = out.body_len ? out.body_len : (out.body ? strlen(out.body) : 0);
	r = MHD_create_response_from_buffer(len, out.body ? out.body : (char *)"",
					    out.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	for (int i = 0; i < STUB_MAX_HEADERS && out.headers[i][0]; i++)
		MHD_add_response_header(r, out.headers[i][0], out.headers[i][1]);
	ret = MHD_queue_response(c, (unsigned)out.status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result stub_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version,
				   const char *upload, size_t *upload_size, void **con_cls)
{
	struct stub_conn *sc = *con_cls;

	(void)url;
	(void)version;
	if (!sc)
		return MHD_NO;
	if (!sc->started) {	/* headers only: wait for the body */
		sc->started = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (stub_append(sc, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	return stub_reply(cls, c, method, sc);
}

/* Start a server; TLS when cert and key (PEM strings) are given.  NULL on failure. */
static inline struct stub *stub_start(stub_handler h, void *arg, const char *cert,
				      const char *key)
{
	struct stub *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	if (!s)
		return NULL;
	s->handler = h;
	s->arg = arg;
	pthread_mutex_init(&s->lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (cert)
		flags |= MHD_USE_TLS;
	else
		tls_opts[0].option = MHD_OPTION_END;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, stub_access, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_URI_LOG_CALLBACK, stub_uri_log, NULL,
				MHD_OPTION_NOTIFY_CONNECTION, stub_notify, s,
				MHD_OPTION_NOTIFY_COMPLETED, stub_done, NULL,
				MHD_OPTION_ARRAY, tls_opts,
				MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s;
}

static inline unsigned stub_connections(struct stub *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = s->connections;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static inline void stub_stop(struct stub *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* "http(s)://127.0.0.1:<port><path>" into buf. */
static inline char *stub_url(const struct stub *s, int tls, const char *path, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%s://127.0.0.1:%d%s", tls ? "https" : "http", s->port, path);
	return buf;
}

#endif
