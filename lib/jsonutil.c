/*
 * jsonutil.c - jansson helpers; see jsonutil.h.
 */
#include "lib/jsonutil.h"

#include <string.h>

bool jsonutil_incomplete(const json_error_t *err, size_t len)
{
	switch (json_error_code(err)) {
	case json_error_premature_end_of_input:
		return true;
	case json_error_invalid_syntax:
		return err->position >= 0 && (size_t)err->position >= len &&
		       strncmp(err->text, "invalid token", 13) == 0;
	default:
		return false;
	}
}
