/*
 * codec_fuzz.c - the decoders fed from the network: base64/base64url
 * (JWTs, signatures), percent-decoding and query/form parsing.
 */
#include <stdint.h>
#include <string.h>

#include "drivers/common/codec.h"
#include "drivers/common/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf a = { .max = 1 << 16 }, b = { .max = 1 << 16 }, c = SBUF_INIT;
	struct params p = PARAMS_INIT;
	const char *s = (const char *)data;

	if (codec_b64_decode(&a, s, size) == 0)
		codec_b64url_encode(&c, a.buf ? a.buf : "", a.len);
	codec_pct_decode(&b, s, size, size & 1);
	if (params_parse(&p, s, size, size & 2) == 0) {
		params_sort(&p);
		sbuf_reset(&c);
		params_encode(&p, &c);
	}
	params_release(&p);
	sbuf_release(&a);
	sbuf_release(&b);
	sbuf_release(&c);
	return 0;
}
