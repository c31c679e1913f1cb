/*
 * pull.c - the agent's HTTP port on libmicrohttpd; see pull.h.
 *
 * Small and strict: GET only, no body read, one thread (pulls are rare
 * and cheap), a short connection timeout and a low connection limit so
 * that a scanner on the VM's network cannot tie the agent up.
 */
#include "monitor/agent/pull.h"

#include <errno.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/hostport.h"

struct agent_pull {
	struct MHD_Daemon *d;
	const char *token;
	agent_pull_fn fn;
	void *ctx;
	int port;
};

static enum MHD_Result answer(struct MHD_Connection *con, unsigned status, char *body,
			      size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
		body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool token_ok(struct agent_pull *p, struct MHD_Connection *con)
{
	const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
	size_t n = strlen(p->token);

	if (!auth || strncmp(auth, "Token ", 6) != 0 || strlen(auth + 6) != n)
		return false;
	return CRYPTO_memcmp(auth + 6, p->token, n) == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *up,
				  size_t *up_size, void **ctx)
{
	struct agent_pull *p = cls;
	struct sbuf out = SBUF_INIT;
	size_t len;
	char *body;

	(void)version, (void)up, (void)ctx;
	if (*up_size || strcmp(method, "GET") != 0)
		return answer(con, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, 0);
	if (strcmp(url, "/ping") == 0)
		return answer(con, MHD_HTTP_NO_CONTENT, NULL, 0);
	if (strcmp(url, "/pull") != 0)
		return answer(con, MHD_HTTP_NOT_FOUND, NULL, 0);
	if (!token_ok(p, con))
		return answer(con, MHD_HTTP_UNAUTHORIZED, NULL, 0);
	if (p->fn(p->ctx, &out) != 0) {
		sbuf_release(&out);
		return answer(con, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, 0);
	}
	body = sbuf_detach(&out, &len);
	return answer(con, MHD_HTTP_OK, body, len);
}

int agent_pull_start(const char *listen, const char *token, agent_pull_fn fn, void *ctx,
		     struct agent_pull **out)
{
	struct agent_pull *p = calloc(1, sizeof(*p));
	struct sockaddr_storage ss = { 0 };
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	int rc;

	if (!p)
		return -ENOMEM;
	rc = hostport_resolve(listen, &ss, NULL, 0);
	if (rc) {
		free(p);
		return rc;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	*p = (struct agent_pull){ .token = token, .fn = fn, .ctx = ctx };
	p->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, p,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, 16u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!p->d) {
		free(p);
		return -EADDRINUSE;
	}
	di = MHD_get_daemon_info(p->d, MHD_DAEMON_INFO_BIND_PORT);
	p->port = di ? di->port : 0;
	*out = p;
	return 0;
}

void agent_pull_stop(struct agent_pull *p)
{
	if (!p)
		return;
	MHD_stop_daemon(p->d);
	free(p);
}

int agent_pull_port(const struct agent_pull *p)
{
	return p->port;
}
