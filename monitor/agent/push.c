/*
 * push.c - pushes with a bounded backlog; see push.h.
 */
#include "monitor/agent/push.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"

#define DEFAULT_BACKLOG (4u << 20)
#define REQUEST_MAX (1u << 20)

struct batch {
	struct batch *next;
	size_t len;
	char text[];
};

struct agent_push {
	CURL *h;			/* kept: one connection, kept alive */
	struct curl_slist *headers;
	char url[320];
	long timeout_ms;
	size_t backlog_bytes;
	struct batch *head, *tail;	/* oldest first */
	size_t nqueued, queued_bytes;
};

struct agent_push *agent_push_new(const struct agent_push_opts *o)
{
	struct agent_push *p = calloc(1, sizeof(*p));
	char hdr[256];

	if (!p)
		return NULL;
	p->h = curl_easy_init();
	snprintf(p->url, sizeof(p->url), "%s/write?precision=ns", o->collector);
	p->backlog_bytes = o->backlog_bytes ? o->backlog_bytes : DEFAULT_BACKLOG;
	p->timeout_ms = o->timeout_ms ? o->timeout_ms :
		(o->interval_s > 0 && o->interval_s < 10 ? o->interval_s * 1000L : 10000L);
	snprintf(hdr, sizeof(hdr), "Authorization: Token %s", o->token);
	p->headers = curl_slist_append(p->headers, hdr);
	snprintf(hdr, sizeof(hdr), "X-Barista-Agent-Interval: %d", o->interval_s);
	p->headers = curl_slist_append(p->headers, hdr);
	if (o->pull_port) {
		snprintf(hdr, sizeof(hdr), "X-Barista-Agent-Port: %d", o->pull_port);
		p->headers = curl_slist_append(p->headers, hdr);
	}
	p->headers = curl_slist_append(p->headers, "Content-Type: text/plain; charset=utf-8");
	p->headers = curl_slist_append(p->headers, "Expect:");
	if (!p->h || !p->headers) {
		agent_push_free(p);
		return NULL;
	}
	return p;
}

static void drop_head(struct agent_push *p)
{
	struct batch *b = p->head;

	p->head = b->next;
	if (!p->head)
		p->tail = NULL;
	p->nqueued--;
	p->queued_bytes -= b->len;
	free(b);
}

void agent_push_free(struct agent_push *p)
{
	if (!p)
		return;
	while (p->head)
		drop_head(p);
	curl_slist_free_all(p->headers);
	curl_easy_cleanup(p->h);
	free(p);
}

static int enqueue(struct agent_push *p, const char *text, size_t len, size_t *dropped)
{
	struct batch *b;

	if (len > p->backlog_bytes)
		return 0;	/* can never fit: not kept */
	while (p->head && p->queued_bytes + len > p->backlog_bytes) {
		drop_head(p);
		(*dropped)++;
	}
	b = malloc(sizeof(*b) + len + 1);
	if (!b)
		return -ENOMEM;
	b->next = NULL;
	b->len = len;
	memcpy(b->text, text, len);
	b->text[len] = '\0';
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->nqueued++;
	p->queued_bytes += len;
	return 0;
}

static size_t discard(void *d, size_t size, size_t n, void *ctx)
{
	(void)d;
	(void)ctx;
	return size * n;
}

/* POST body; the HTTP status, or 0 with r->error set when there was none. */
static int post(struct agent_push *p, const struct sbuf *body, struct agent_push_result *r)
{
	char err[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;

	curl_easy_setopt(p->h, CURLOPT_URL, p->url);
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, sbuf_str(body));
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, err);
	cc = curl_easy_perform(p->h);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, NULL);
	if (cc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", err[0] ? err : curl_easy_strerror(cc));
		return 0;
	}
	curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 204)
		snprintf(r->error, sizeof(r->error), "collector answered %ld", status);
	return (int)status;
}

static bool retryable(int status)
{
	return status == 0 || status == 429 || status >= 500;
}

/* The oldest batches (at most limit) that fit one request; how many went in. */
static size_t gather(struct agent_push *p, struct sbuf *body, size_t limit)
{
	size_t n = 0;

	for (struct batch *b = p->head; b && n < limit; b = b->next, n++) {
		if (n && body->len + b->len > REQUEST_MAX)
			break;
		sbuf_add(body, b->text, b->len);
	}
	return n;
}

int agent_push_send(struct agent_push *p, const char *batch, size_t len,
		    struct agent_push_result *r)
{
	struct sbuf body = SBUF_INIT;
	size_t limit = SIZE_MAX;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (len && enqueue(p, batch, len, &r->dropped))
		return -ENOMEM;
	if (!p->head) {		/* nothing to say: a heartbeat keeps the agent healthy */
		r->status = post(p, &body, r);
		rc = retryable(r->status) ? -EAGAIN : 0;
	}
	while (p->head && !rc) {
		size_t n;

		sbuf_reset(&body);
		n = gather(p, &body, limit);
		r->status = post(p, &body, r);
		if (retryable(r->status)) {
			rc = -EAGAIN;
			break;
		}
		if (r->status == 413 && n > 1) {
			limit = 1;	/* too much together: one batch at a time */
			continue;
		}
		for (size_t i = 0; i < n; i++)
			drop_head(p);
		*(r->status == 204 ? &r->sent : &r->refused) += n;
	}
	r->queued = p->nqueued;
	r->queued_bytes = p->queued_bytes;
	sbuf_release(&body);
	return rc;
}
