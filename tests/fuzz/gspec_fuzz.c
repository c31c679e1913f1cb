/*
 * gspec_fuzz.c - fuzz target for the group spec parser (engine/gspec.c):
 * any input either parses into a spec whose canonical document parses
 * again to an equal spec, or is refused with a reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf why = SBUF_INIT;
	struct gspec *g = NULL, *again = NULL;
	char *canon;
	int rc = gspec_parse((const char *)data, size, "fuzz", &g, &why);

	if (rc == 0) {
		canon = json_dumps(g->doc, JSON_COMPACT);
		if (!canon || gspec_parse(canon, strlen(canon), "fuzz", &again, &why) != 0 ||
		    !gspec_equal(g, again))
			abort(); /* the canonical form must round-trip */
		free(canon);
	} else if (rc == -EINVAL && why.len == 0) {
		abort(); /* every refusal says why */
	}
	gspec_free(again);
	gspec_free(g);
	sbuf_release(&why);
	return 0;
}
