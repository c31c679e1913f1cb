/*
 * alibaba_fuzz.c - the alibaba driver's parsers on arbitrary answers:
 * instances, RunInstances ids, instance types, prices, images, errors.
 */
#include <stdint.h>

#include "drivers/alibaba/alibaba_parse.c"
#include "drivers/alibaba/alibaba_tables.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int vm_cb(void *arg, const struct drv_vm *vm)
{
	(void)arg;
	return vm->status == DRV_VM_UNDEFINED;
}

static int spec_cb(void *arg, const struct drv_spec_info *s)
{
	(void)arg;
	(void)s;
	return 0;
}

static int image_cb(void *arg, const struct drv_image_info *im)
{
	(void)arg;
	(void)im;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char next[64], code[64], msg[384], reqid[96], id[128], src[96];
	xmlDoc *doc = xmlh_parse(s, size);
	xmlNode *root = xmlh_root(doc);
	long long total;
	double usd;
	int count;

	alibaba_parse_instances(root, vm_cb, NULL, &count, &total);
	alibaba_parse_run(root, id, sizeof(id));
	alibaba_parse_types(root, spec_cb, NULL, next, sizeof(next));
	alibaba_parse_price(root, &usd, src, sizeof(src));
	alibaba_parse_images(root, image_cb, NULL, &count, &total);
	xmlFreeDoc(doc);
	alibaba_parse_error(s, size, code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid));
	return 0;
}
