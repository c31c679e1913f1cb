/*
 * twin_http.c - libmicrohttpd listener; see twin_http.h.
 *
 * The raw request target comes from MHD's URI-log callback, which sees
 * the request line before MHD decodes it: signatures are computed over
 * the query exactly as sent.  The per-request record is created there
 * and freed in the completion callback.
 */
#include "tools/cloudtwin/twin_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

struct twin_http {
	struct MHD_Daemon *d;
	int fd;
	uint16_t port;
	bool tls;
	size_t max_body;
	twin_http_handler_fn *handler;
	void *arg;
	char url[320];
};

#define DRAIN_FACTOR 16	/* bodies this many times the ceiling are cut off */

struct conn_req {
	struct twin_req req;
	struct twin_resp resp;
	size_t received;	/* body bytes seen, kept or not */
	bool started, answered, bad_target, bad_headers;
};

/* ---- listening socket ----------------------------------------------- */

static int split_addr(const char *addr, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - addr);
	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		h = addr + 1;
		n -= 2;
	}
	if (n == 0 || n >= hlen || strlen(colon + 1) >= plen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

static int bind_listen(const char *addr, int *fd_out, uint16_t *port_out, char *shown, size_t slen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[16];
	int fd, one = 1, rc;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port)))
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return -EADDRNOTAVAIL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -errno : 0;
	if (!rc)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!rc && (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 512) ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl)))
		rc = -errno;
	if (!rc) {
		bool v6 = ss.ss_family == AF_INET6;

		*port_out = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				  ((struct sockaddr_in *)&ss)->sin_port);
		snprintf(shown, slen, v6 ? "[%s]" : "%s", host);
	}
	freeaddrinfo(ai);
	if (rc && fd >= 0)
		close(fd);
	*fd_out = rc ? -1 : fd;
	return rc;
}

/* ---- request collection ---------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct twin_http *h = cls;
	struct conn_req *cr = calloc(1, sizeof(*cr));

	(void)con;
	if (!cr)
		return NULL;
	cr->req.body.max = h->max_body;
	cr->req.tls = h->tls;
	if (twin_req_set_target(&cr->req, uri))
		cr->bad_target = true;
	return cr;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct conn_req *cr = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (!cr)
		return;
	twin_req_release(&cr->req);
	twin_resp_release(&cr->resp);
	free(cr);
	*con_cls = NULL;
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct conn_req *cr = cls;

	(void)kind;
	if (twin_req_add_header(&cr->req, key, value))
		cr->bad_headers = true;
	return MHD_YES;
}

static enum MHD_Result send_resp(struct MHD_Connection *con, struct twin_resp *r)
{
	struct MHD_Response *mr;
	size_t len;
	char *body;
	enum MHD_Result ret;

	if (r->drop)
		return MHD_NO;
	body = sbuf_detach(&r->body, &len);
	mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!mr) {
		free(body);
		return MHD_NO;
	}
	if (r->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (size_t i = 0; i < r->nhdrs; i++)
		MHD_add_response_header(mr, r->hdrs[i].name, r->hdrs[i].value);
	ret = MHD_queue_response(con, (unsigned)(r->status ? r->status : 500), mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result answer(struct twin_http *h, struct MHD_Connection *con, struct conn_req *cr)
{
	cr->answered = true;
	if (cr->bad_target || cr->bad_headers) {
		twin_resp_text(&cr->resp, cr->bad_headers ? 431 : 400, "text/plain",
			       cr->bad_headers ? "Request Header Fields Too Large\n" :
			       "Bad Request: malformed request target\n");
		return send_resp(con, &cr->resp);
	}
	h->handler(h->arg, &cr->req, &cr->resp);
	return send_resp(con, &cr->resp);
}

/* Content-Length beyond the ceiling: answer before reading the body. */
static bool declared_too_big(const struct twin_http *h, struct MHD_Connection *con)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!cl)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno || *end || n > h->max_body;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct twin_http *h = cls;
	struct conn_req *cr = *con_cls;

	(void)url;
	(void)version;
	if (!cr)
		return MHD_NO;
	if (!cr->started) {
		cr->started = true;
		snprintf(cr->req.method, sizeof(cr->req.method), "%s", method);
		MHD_get_connection_values(con, MHD_HEADER_KIND, on_header, cr);
		if (!declared_too_big(h, con))
			return MHD_YES;
		cr->req.body_too_big = true;
		return answer(h, con, cr);
	}
	if (*upload_data_size) {
		/* MHD cannot answer while a body is still arriving: past the
		 * ceiling the rest is read and dropped, and the answer (413) comes
		 * at its end; a client that streams on and on is cut off. */
		cr->received += *upload_data_size;
		if (!cr->answered)
			twin_req_add_body(&cr->req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return cr->received / DRAIN_FACTOR > h->max_body ? MHD_NO : MHD_YES;
	}
	if (cr->answered)
		return MHD_YES;
	return answer(h, con, cr);
}

/* ---- life cycle -------------------------------------------------------- */

int twin_http_start(const struct twin_http_opts *o, struct twin_http **out, struct sbuf *err)
{
	struct twin_http *h = calloc(1, sizeof(*h));
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	char shown[300];
	int rc;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->tls = o->cert_pem && o->key_pem;
	h->max_body = o->max_body;
	h->handler = o->handler;
	h->arg = o->arg;
	rc = bind_listen(o->addr, &h->fd, &h->port, shown, sizeof(shown));
	if (rc) {
		sbuf_reset(err);
		sbuf_addf(err, "cannot listen on %s: %s", o->addr, strerror(-rc));
		free(h);
		return rc;
	}
	snprintf(h->url, sizeof(h->url), "%s://%s:%u", h->tls ? "https" : "http", shown, h->port);
	if (h->tls)
		flags |= MHD_USE_TLS;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, h->fd,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(o->max_conns ? o->max_conns : 1024),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
		h->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, o->key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, o->cert_pem,
		MHD_OPTION_END);
	if (!h->d) {
		sbuf_reset(err);
		sbuf_addf(err, "cannot start the %s listener on %s", h->tls ? "HTTPS" : "HTTP",
			  o->addr);
		close(h->fd);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

uint16_t twin_http_port(const struct twin_http *h)
{
	return h->port;
}

const char *twin_http_url(const struct twin_http *h)
{
	return h->url;
}

void twin_http_stop(struct twin_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	close(h->fd);
	free(h);
}
