/*
 * names.c - object name validation; see names.h.
 */
#include "lib/names.h"

#include <string.h>

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

bool name_valid(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++) {
		if (!name_char(name[i], i == 0))
			return false;
	}
	return true;
}
