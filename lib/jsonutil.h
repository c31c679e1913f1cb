/*
 * jsonutil.h - small helpers over jansson shared by every JSON reader.
 */
#ifndef BFS_JSONUTIL_H
#define BFS_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Was a failed parse of len bytes only an unfinished document, one that
 * more bytes could complete?  True for a premature end of input and for a
 * literal or number cut off at the end ("tr" of "true"); false for text
 * that no continuation can repair ("{bad", "{} x", a bare string).  Writers
 * use it to accept a document arriving in several write() calls while
 * refusing a malformed one at the first write.
 */
bool jsonutil_incomplete(const json_error_t *err, size_t len);

#endif
