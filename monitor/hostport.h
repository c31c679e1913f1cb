/*
 * hostport.h - "HOST:PORT" and "[V6]:PORT" listen addresses, resolved
 * (numeric or by name) for bind().  Shared by the collector and the agent.
 */
#ifndef BFS_HOSTPORT_H
#define BFS_HOSTPORT_H

#include <stddef.h>
#include <sys/socket.h>

/* Resolve hp into *ss; the host part (without brackets) into host when it
 * is non-NULL.  0 or -EINVAL. */
int hostport_resolve(const char *hp, struct sockaddr_storage *ss, char *host, size_t hlen);

#endif
