/*
 * twin_rand.c - random draws; see twin_rand.h.
 */
#include "tools/cloudtwin/twin_rand.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/rand.h>

#include "drivers/common/codec.h"

int twin_rand_bytes(void *buf, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(buf, (int)n) != 1)
		return -EIO;
	return 0;
}

void twin_rand_hex(char *out, size_t n)
{
	unsigned char raw[64];
	char hex[129];

	if (n > 128)
		n = 128;
	/* A failing CSPRNG must not hand out predictable ids silently. */
	if (twin_rand_bytes(raw, (n + 1) / 2))
		memset(raw, 0, sizeof(raw));
	codec_hex(hex, raw, (n + 1) / 2);
	memcpy(out, hex, n);
	out[n] = '\0';
}

double twin_rand_uniform(void)
{
	uint64_t r = 0;

	if (twin_rand_bytes(&r, sizeof(r)))
		return 0.5;
	return (double)(r >> 11) / (double)(1ull << 53);
}
