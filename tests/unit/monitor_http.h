/*
 * monitor_http.h - a tiny libcurl client for the monitor's unit tests
 * (collector_test, monitor_test, agent_test): one request, status and
 * body back.  Header-only; each test binary includes it once.
 */
#ifndef BFS_MONITOR_HTTP_H
#define BFS_MONITOR_HTTP_H

#include <curl/curl.h>
#include <string.h>

#include "lib/sbuf.h"

struct http_reply {
	long status;
	struct sbuf body;
	struct sbuf headers;
};

static size_t http_collect(char *d, size_t size, size_t n, void *ctx)
{
	return sbuf_add(ctx, d, size * n) == 0 ? size * n : 0;
}

/*
 * method "GET"/"POST"/...; body may be NULL; headers NULL-terminated (may
 * be NULL); chunked sends the body without Content-Length.  Returns the
 * CURLcode; r gets status, body and raw response headers (caller releases).
 */
static int http_do(const char *method, const char *url, const void *body, size_t len,
		   const char *const *headers, int chunked, struct http_reply *r)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	if (chunked)
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (!chunked)
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return (int)cc;
}

static void http_release(struct http_reply *r)
{
	sbuf_release(&r->body);
	sbuf_release(&r->headers);
}

#endif
