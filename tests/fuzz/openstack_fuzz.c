/*
 * openstack_fuzz.c - the OpenStack driver's parsers on arbitrary answers:
 * token and catalog, servers, flavors, images, next links, and the error
 * table on raw bytes (what Keystone, Nova, Glance and Neutron send back).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/openstack/openstack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parser on one value. */
static void parse_all(const json_t *v)
{
	struct openstack_token_info ti;
	struct drv_error err = { 0 };
	struct drv_vm vm;
	struct drv_spec_info spec;
	struct drv_image_info img;
	char id[96];

	openstack_parse_token(v, "RegionOne", "public", &ti, &err);
	openstack_parse_server(v, &vm);
	openstack_parse_flavor(v, &spec, id, sizeof(id));
	openstack_parse_image(v, &img);
	openstack_status(json_string_value(json_object_get(v, "status")),
			 json_string_value(json_object_get(v, "OS-EXT-STS:task_state")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 400, 401, 403, 404, 409, 413, 429, 500, 503 };
	json_t *doc = json_loadb((const char *)data, size, 0, NULL), *v, *item;
	struct drv_error err;
	const char *key;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		memset(&err, 0, sizeof(err));
		openstack_error(statuses[i], (const char *)data, size, &err);
	}
	parse_all(doc);
	json_object_foreach(doc, key, v) {
		parse_all(v);
		openstack_next_link(doc, key);
		json_array_foreach(v, i, item)
			parse_all(item);
	}
	json_decref(doc);
	return 0;
}
