/*
 * twin_config_fuzz.c - the configuration parser and validator, and the
 * settings patches the control API merges into a cloud.
 */
#include <stdint.h>
#include <string.h>

#include "tools/cloudtwin/twin_cloud.h"
#include "tools/cloudtwin/twin_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf err = SBUF_INIT;
	json_t *all = twin_config_parse((const char *)data, size, &err);
	json_t *patch = json_loadb((const char *)data, size, 0, NULL);

	if (all && json_array_size(all) <= 8) {
		/* a valid config builds clouds; a patch is merged into each */
		for (size_t i = 0; i < json_array_size(all); i++) {
			struct twin_cloud *c = twin_cloud_new(json_array_get(all, i), 0, NULL, &err);

			if (c && patch)
				twin_cloud_set_settings(c, patch, &err);
			twin_cloud_free(c);
		}
	}
	json_decref(patch);
	json_decref(all);
	sbuf_release(&err);
	return 0;
}
