/*
 * http.h - the drivers' HTTP client: libcurl with connection reuse, a
 * deadline on every request, TLS verification always on, and a ceiling on
 * every answer.
 *
 * One struct http_client per driver connection.  It is thread-safe: the
 * engine calls one connection from several workers at once, so the client
 * keeps a small pool of curl easy handles and shares one connection cache,
 * DNS cache and TLS session cache between them (a curl share handle with
 * its own locks).  A request borrows an easy handle for its duration only;
 * no lock is held across the network.
 *
 * The client makes exactly one attempt per http_do(): no redirects are
 * followed (Azure's Location and ARM's async headers are for the driver to
 * read), no retries are made (the engine's wrapper retries what
 * struct drv_error marks retryable).  Transport failures fill drv_error
 * (code "Transport.<curl error>", retryable) and return -EIO, or
 * -ETIMEDOUT when the deadline passed; an HTTP answer of any status is a
 * success of http_do() and the driver maps the status itself.
 *
 * TLS: peer and host verification are always on.  `ca_file` ADDS the PEM
 * certificates it holds to the system trust store (a private CA such as
 * cloudtwin's); it does not replace the store.
 *
 * Secrets: the client never logs.  Error messages it writes come from
 * libcurl's error buffer, which names hosts and ports, never headers or
 * bodies.
 */
#ifndef BFS_DRV_HTTP_H
#define BFS_DRV_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "lib/sbuf.h"

/* Default ceiling of a response body (after content decoding). */
#define HTTP_DEFAULT_MAX_BODY (8u << 20)
/* Ceiling of one response's header block. */
#define HTTP_MAX_HEADER_BYTES (64u << 10)

struct http_client;

struct http_client_opts {
	const char *ca_file;	/* NULL, or a PEM file of CAs trusted in addition */
	const char *user_agent;	/* NULL: "baristafs/<version>" */
	size_t max_body;	/* 0: HTTP_DEFAULT_MAX_BODY */
	unsigned pool;		/* idle easy handles kept; 0: 8 */
};

/* A request or response header.  Strings are borrowed. */
struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	const char *method;	/* "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD" */
	const char *url;	/* absolute http:// or https:// URL */
	const struct http_header *headers; /* sent as given; a "Host" here
					    * replaces libcurl's own */
	size_t nheaders;
	const void *body;	/* NULL for none */
	size_t body_len;
	int64_t deadline_ms;	/* CLOCK_MONOTONIC ms; 0 means none (tests only) */
	size_t max_body;	/* 0: the client's ceiling */
};

/*
 * A response.  Zero it (HTTP_RESPONSE_INIT) before http_do(); release it
 * with http_response_release() whatever http_do() returned.
 */
struct http_response {
	long status;		/* HTTP status, 0 when no answer came back */
	struct sbuf body;	/* NUL-terminated, capped */
	struct sbuf headers;	/* internal: "name\0value\0" pairs of the last header block */
	int64_t elapsed_ms;	/* time the request took */
};

#define HTTP_RESPONSE_INIT { 0 }

/*
 * Make a client.  Reads ca_file once (its certificates are added to every
 * TLS handshake).  Returns 0 and *out (caller frees with http_client_free),
 * -EINVAL when ca_file cannot be read or holds no certificate (err says
 * why), -ENOMEM.  err may be NULL.
 */
int http_client_new(const struct http_client_opts *opts, struct http_client **out,
		    struct drv_error *err);
/* Free a client and its pooled connections.  NULL is a no-op.  No request may be in flight. */
void http_client_free(struct http_client *c);

/*
 * Perform one request.  Thread-safe on one client.
 *
 * Returns 0 when an HTTP answer came back (any status; see resp->status),
 * -ETIMEDOUT when the deadline passed (before or during the request),
 * -EIO on a transport failure or an answer over the ceiling, -EINVAL for a
 * malformed request, -ENOMEM.  On failure err is filled: code
 * "Transport.<name>" or "ResponseTooLarge", message from libcurl,
 * retryable for timeouts and connection failures (not for TLS
 * verification failures or oversized answers).
 */
int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct drv_error *err);

/*
 * Value of a response header (case-insensitive name; the last one when
 * repeated), leading and trailing blanks removed.  Borrowed until the
 * response is released; NULL when absent.
 */
const char *http_response_header(const struct http_response *resp, const char *name);

/*
 * The Retry-After header in milliseconds (delta-seconds or an HTTP date),
 * capped at one hour; 0 when absent or unparsable.
 */
int http_retry_after_ms(const struct http_response *resp);

void http_response_release(struct http_response *resp);

/*
 * Split an absolute URL: `host` gets the value a Host header carries
 * (name, plus ":port" when the URL names a non-default port), `path` the
 * path as written (at least "/"), `query` the raw query without '?' ("" when
 * none).  Each output may be NULL.  0, -EINVAL (not an absolute http(s) URL)
 * or -ENAMETOOLONG (an output too small).
 */
int http_url_split(const char *url, char *host, size_t hostlen, char *path, size_t pathlen,
		   char *query, size_t querylen);

/*
 * Milliseconds left until deadline_ms (CLOCK_MONOTONIC), at least 1;
 * 0 when the deadline has passed.  deadline_ms 0 means none: INT64_MAX.
 */
int64_t http_ms_left(int64_t deadline_ms);

#endif
