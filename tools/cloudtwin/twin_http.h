/*
 * twin_http.h - one HTTP or HTTPS listener on libmicrohttpd.
 *
 * Each connection gets its own thread (MHD_USE_THREAD_PER_CONNECTION):
 * fault injection sleeps, GCE's operation /wait blocks, and a stalled
 * request must not hold up anyone else.  The listener collects a request
 * (raw target, headers in order, body up to a ceiling) and calls the
 * handler once per request on the connection's thread; the handler
 * fills a twin_resp or asks for the connection to be dropped.  A body
 * over the ceiling is read to its end and dropped, and the handler then
 * sees body_too_big (and answers 413); a body over 16 times
 * the ceiling gets the connection closed while still arriving.
 */
#ifndef TWIN_HTTP_H
#define TWIN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "tools/cloudtwin/twin_req.h"
#include "tools/cloudtwin/twin_resp.h"

struct twin_http;

typedef void twin_http_handler_fn(void *arg, struct twin_req *req, struct twin_resp *resp);

struct twin_http_opts {
	const char *addr;		/* "host:port"; port 0 picks a free one */
	const char *cert_pem;		/* with key_pem: serve TLS */
	const char *key_pem;
	size_t max_body;		/* bytes */
	unsigned max_conns;
	twin_http_handler_fn *handler;
	void *arg;
};

/* Bind, listen and start serving.  0 and *out, or -errno with err. */
int twin_http_start(const struct twin_http_opts *o, struct twin_http **out, struct sbuf *err);
/* The bound port and the URL base ("http://127.0.0.1:PORT", no slash). */
uint16_t twin_http_port(const struct twin_http *h);
const char *twin_http_url(const struct twin_http *h);
/* Stop accepting, wait for the connection threads, free.  NULL is a no-op. */
void twin_http_stop(struct twin_http *h);

#endif
