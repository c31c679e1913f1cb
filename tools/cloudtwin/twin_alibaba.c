/* Placeholder until the alibaba dialect is written. */
#include "tools/cloudtwin/twin_dialect.h"

static void stub_handle(struct twin_ctx *ctx)
{
	twin_resp_json(ctx->resp, 501, json_pack("{s:s}", "error", "not implemented"));
}

static void stub_fail(struct twin_ctx *ctx, enum twin_fail kind, const char *message)
{
	(void)message;
	twin_resp_json(ctx->resp, kind == TWIN_FAIL_THROTTLED ? 429 : 500, json_pack("{s:s}", "error", "failed"));
}

static int stub_describe(struct twin_server *srv, const struct twin_cloud *c, json_t *out)
{
	(void)srv;
	(void)c;
	(void)out;
	return 0;
}

static const char *stub_status(const struct twin_vm *vm)
{
	return twin_cloud_state_name(vm->state);
}

const struct twin_dialect twin_alibaba_dialect = {
	.name = "alibaba", .handle = stub_handle, .fail = stub_fail, .describe = stub_describe,
	.status = stub_status,
};
