/*
 * hostport.c - listen addresses; see hostport.h.
 */
#include "monitor/hostport.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

int hostport_resolve(const char *hp, struct sockaddr_storage *ss, char *host, size_t hlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	const char *colon = hp ? strrchr(hp, ':') : NULL, *h = hp;
	char name[256];
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - hp);
	if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(name) || (host && n >= hlen))
		return -EINVAL;
	memcpy(name, h, n);
	name[n] = '\0';
	if (getaddrinfo(name, colon + 1, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (host)
		strcpy(host, name);
	return 0;
}
