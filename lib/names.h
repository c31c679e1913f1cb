/*
 * names.h - the one rule for object names: [a-z0-9][a-z0-9._-]*, at most
 * 63 characters (DESIGN.md section 2).
 */
#ifndef BFS_NAMES_H
#define BFS_NAMES_H

#include <stdbool.h>

#define NAME_MAX_LEN 63

bool name_valid(const char *name);

#endif
