/*
 * gcp_fuzz.c - the GCE driver's parsers on arbitrary answers: instances,
 * operations, machine types, images, times, and the error table on raw
 * bytes (what the compute API and the token endpoint send back).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/gcp/gcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(const json_t *v)
{
	struct drv_error err = { 0 };
	struct drv_vm vm;
	struct drv_spec_info spec;
	struct drv_image_info img;
	struct gcp_op op;
	char path[256];
	int64_t t;

	gcp_parse_instance(v, &vm);
	if (gcp_parse_operation(v, &op) == 0)
		gcp_op_error(&op, &err);
	gcp_parse_machine_type(v, &spec);
	gcp_parse_image(v, &img, path, sizeof(path));
	gcp_time(json_string_value(json_object_get(v, "creationTimestamp")), &t);
	gcp_status(json_string_value(json_object_get(v, "status")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 400, 401, 403, 404, 409, 429, 500, 503 };
	json_t *doc = json_loadb((const char *)data, size, 0, NULL), *v, *item, *list;
	struct drv_error err;
	char label[64], *text = malloc(size + 1);
	const char *key, *scope;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		memset(&err, 0, sizeof(err));
		gcp_error(statuses[i], (const char *)data, size, &err);
	}
	if (text) {	/* labels and times take C strings */
		memcpy(text, data, size);
		text[size] = '\0';
		gcp_label(text, label, sizeof(label));
		gcp_time(text, &(int64_t){ 0 });
		free(text);
	}
	parse_all(doc);
	json_object_foreach(doc, key, v) {
		json_array_foreach(v, i, item)
			parse_all(item);
		json_object_foreach(v, scope, list) {	/* aggregated lists */
			json_array_foreach(json_object_get(list, "instances"), i, item)
				parse_all(item);
		}
	}
	json_decref(doc);
	return 0;
}
