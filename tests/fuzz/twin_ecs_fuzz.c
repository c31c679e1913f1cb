/*
 * twin_ecs_fuzz.c - Alibaba ECS parameters: the input is a query string
 * ("Action=DescribeInstances&RegionId=...&InstanceIds=[...]"), signed with
 * V2 by the harness so that it reaches the actions, and also sent as a
 * JSON-format form body without a signature.
 */
#include "tests/fuzz/twin_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf in = SBUF_INIT;

	fz_server();
	sbuf_adds(&in, "!ali POST /\nContent-Type: application/x-www-form-urlencoded\n\n");
	sbuf_add(&in, data, size);
	fz_request((const uint8_t *)in.buf, in.len);
	sbuf_reset(&in);
	sbuf_adds(&in, "POST /ali/\nContent-Type: application/x-www-form-urlencoded\n\n"
		  "Format=JSON&AccessKeyId=x&");
	sbuf_add(&in, data, size);
	fz_request((const uint8_t *)in.buf, in.len);
	sbuf_release(&in);
	return 0;
}
