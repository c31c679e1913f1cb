/*
 * pull.h - barista-agent's own HTTP port, for the monitor's JIT reads.
 *
 *   GET /pull   a fresh sample as line protocol (Authorization: Token
 *               <the VM's token>, compared in constant time); 401 otherwise
 *   GET /ping   204
 *
 * The sample callback runs on the server's thread, concurrently with the
 * push loop; the caller's callback does its own locking.
 */
#ifndef BFS_AGENT_PULL_H
#define BFS_AGENT_PULL_H

#include "lib/sbuf.h"

/* Fill out with a fresh sample.  0 or -errno (answered 500). */
typedef int (*agent_pull_fn)(void *ctx, struct sbuf *out);

struct agent_pull;

/*
 * Listen on "HOST:PORT" (port 0: a free one).  token and ctx are borrowed
 * for the server's life.  0, -EINVAL (bad address), -EADDRINUSE.
 */
int agent_pull_start(const char *listen, const char *token, agent_pull_fn fn, void *ctx,
		     struct agent_pull **out);
void agent_pull_stop(struct agent_pull *p);
/* The port actually bound. */
int agent_pull_port(const struct agent_pull *p);

#endif
