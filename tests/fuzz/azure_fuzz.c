/*
 * azure_fuzz.c - the Azure driver's parsers on arbitrary answers: VMs with
 * instance views, NICs, VM sizes, image references and URNs, and the error
 * table on raw bytes (what ARM and AAD send back).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/azure/azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(const json_t *v)
{
	struct drv_error err = { 0 };
	struct drv_vm vm;
	struct drv_spec_info spec;
	char a[64], b[256], c[64];

	azure_parse_vm(v, &vm);
	azure_vm_nic(v);
	azure_parse_nic(v, a, sizeof(a), b, sizeof(b), c, sizeof(c));
	azure_parse_size(v, &spec);
	azure_image_name(json_object_get(v, "imageReference"), b, sizeof(b));
	azure_error_object(json_object_get(v, "error"), 200, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 400, 401, 403, 404, 409, 429, 500, 503 };
	json_t *doc = json_loadb((const char *)data, size, 0, NULL), *v, *item;
	struct drv_error err;
	struct azure_image img;
	char buf[256], *text = malloc(size + 1);
	const char *key;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		memset(&err, 0, sizeof(err));
		azure_error(statuses[i], (const char *)data, size, &err);
	}
	if (text) {	/* an image name or URN as a group spec gives it */
		memcpy(text, data, size);
		text[size] = '\0';
		azure_image_find(text, &img, buf, sizeof(buf));
		free(text);
	}
	parse_all(doc);
	json_object_foreach(doc, key, v) {
		parse_all(v);
		json_array_foreach(v, i, item)
			parse_all(item);
	}
	json_decref(doc);
	return 0;
}
