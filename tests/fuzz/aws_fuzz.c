/*
 * aws_fuzz.c - the aws driver's parsers on arbitrary answers: instances
 * (listings, RunInstances, state changes), instance types, images, errors.
 */
#include <stdint.h>

#include "drivers/aws/aws_parse.c"
#include "drivers/aws/aws_tables.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int vm_cb(void *arg, const struct drv_vm *vm)
{
	(void)arg;
	return vm->status == DRV_VM_FAILED;	/* stop early sometimes */
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
	char next[64], code[64], msg[384], reqid[96];
	xmlDoc *doc = xmlh_parse(s, size);
	xmlNode *root = xmlh_root(doc);

	aws_parse_instances(root, vm_cb, NULL, next, sizeof(next));
	aws_parse_types(root, spec_cb, NULL, next, sizeof(next));
	aws_parse_images(root, image_cb, NULL, next, sizeof(next));
	xmlFreeDoc(doc);
	aws_parse_error(s, size, code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid));
	return 0;
}
