/*
 * twin_jwt_fuzz.c - JWTs as GCE sees them: the assertion of the token
 * exchange, and a bearer token (ours or self-signed) on compute calls.
 */
#include "tests/fuzz/twin_fuzz.h"

#include "drivers/common/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf in = SBUF_INIT;

	fz_server();
	sbuf_adds(&in, "POST /gcp/token\nContent-Type: application/x-www-form-urlencoded\n\n"
		  "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=");
	codec_pct_encode(&in, (const char *)data, size, false);
	fz_request((const uint8_t *)in.buf, in.len);
	sbuf_reset(&in);
	sbuf_adds(&in, "GET /compute/v1/projects/gcp/zones\nAuthorization: Bearer ");
	for (size_t i = 0; i < size; i++)	/* one header line: no newlines */
		sbuf_addc(&in, data[i] == '\n' || data[i] == '\r' ? ' ' : (char)data[i]);
	sbuf_adds(&in, "\n\n");
	fz_request((const uint8_t *)in.buf, in.len);
	sbuf_release(&in);
	return 0;
}
