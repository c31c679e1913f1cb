/*
 * monitor_jit.c - just-in-time pulls from a VM's agent.
 *
 * A read of vms/<v>/metrics/<m> whose newest sample is older than jit_age
 * asks the agent for a fresh one: GET http://<agent>/pull with the VM's
 * token, answered with line protocol like a push, stored the same way.
 * One pull per VM at a time: the first reader pulls, the others wait on the
 * VM's condition variable, all of them at most jit_timeout_ms, after which
 * they show what is cached.  A failed pull is not retried for a while
 * (min(jit_age, 5 s)), so that a dead agent does not cost every read a
 * timeout.  No lock is held while the request is on the wire.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/clock.h"
#include "monitor/monitor_int.h"

#define PULL_MAX_BODY (1u << 20)
#define RETRY_AFTER_FAILURE_MS 5000

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sbuf *sb = ctx;

	return sbuf_add(sb, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* GET the agent's /pull into body within timeout_ms.  0, -ETIMEDOUT, -EIO. */
static int http_pull(const char *addr, const char *token, long timeout_ms, struct sbuf *body)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char url[MONITOR_ADDR_LEN + 16], auth[160];
	long status = 0;
	CURLcode cc;

	if (!h)
		return -ENOMEM;
	snprintf(url, sizeof(url), "http://%s/pull", addr);
	snprintf(auth, sizeof(auth), "Authorization: Token %s", token);
	hdr = curl_slist_append(hdr, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return -ETIMEDOUT;
	return cc == CURLE_OK && status == 200 ? 0 : -EIO;
}

/* One pull for vm from addr, stored like a push.  Called without locks. */
static int pull(struct monitor *mon, struct monitor_vm *vm, const char *addr)
{
	struct sbuf body = { .max = PULL_MAX_BODY };
	struct lineproto_result res = { 0 };
	int64_t now = clock_wall_ms() * 1000000;
	int rc;

	atomic_fetch_add(&mon->pulls, 1);
	rc = http_pull(addr, vm->token, mon->opts.jit_timeout_ms, &body);
	if (!rc)
		rc = monitor_ingest(mon, vm, sbuf_str(&body), body.len, now, 1, &res);
	if (!rc && res.points == 0)
		rc = -EIO;
	if (rc)
		atomic_fetch_add(&mon->pull_failures, 1);
	else
		atomic_store(&vm->last_seen_ms, clock_wall_ms());
	sbuf_release(&body);
	return rc;
}

/* Wait for another reader's pull to end, or for the deadline. */
static void wait_for_pull(struct monitor_vm *vm, int64_t deadline_ms)
{
	struct timespec until = { .tv_sec = deadline_ms / 1000,
				  .tv_nsec = (deadline_ms % 1000) * 1000000 };

	while (vm->pulling) {
		if (pthread_cond_timedwait(&vm->pulled, &vm->lock, &until) == ETIMEDOUT)
			break;
	}
}

static bool fresh(struct monitor *mon, struct monitor_vm *vm, const char *measurement)
{
	int64_t newest_ms = tsdb_source_newest(vm->src, measurement) / 1000000;

	return newest_ms && clock_wall_ms() - newest_ms <= mon->opts.jit_age_ms;
}

int monitor_jit_refresh(struct monitor *mon, struct monitor_vm *vm, const char *measurement)
{
	int64_t now = clock_mono_ms(), backoff;
	char addr[MONITOR_ADDR_LEN];
	int rc;

	if (fresh(mon, vm, measurement))
		return 0;
	pthread_mutex_lock(&vm->lock);
	if (!vm->pulling && fresh(mon, vm, measurement)) {
		pthread_mutex_unlock(&vm->lock);	/* a pull ended while we came */
		return 0;
	}
	if (vm->pulling) {
		wait_for_pull(vm, now + mon->opts.jit_timeout_ms);
		pthread_mutex_unlock(&vm->lock);
		return 0;
	}
	strcpy(addr, vm->agent_addr[0] ? vm->agent_addr : vm->learned_addr);
	if (!addr[0] || now < vm->next_pull_ms) {
		pthread_mutex_unlock(&vm->lock);
		return -EAGAIN;
	}
	vm->pulling = true;
	pthread_mutex_unlock(&vm->lock);

	rc = pull(mon, vm, addr);

	backoff = mon->opts.jit_age_ms < RETRY_AFTER_FAILURE_MS ? mon->opts.jit_age_ms :
		RETRY_AFTER_FAILURE_MS;
	pthread_mutex_lock(&vm->lock);
	vm->pulling = false;
	vm->next_pull_ms = rc ? clock_mono_ms() + backoff : 0;
	pthread_cond_broadcast(&vm->pulled);
	pthread_mutex_unlock(&vm->lock);
	return rc;
}
