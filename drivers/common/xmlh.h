/*
 * xmlh.h - small helpers over libxml2's tree for the XML clouds (EC2 and
 * ECS answers): parse safely from memory, find children by local name
 * whatever their namespace (EC2 answers carry a versioned default
 * namespace, ECS none), read text into bounded buffers.
 *
 * No XPath: answers are walked as element paths ("a/b/c").  Nodes are
 * borrowed from their document (xmlFreeDoc frees all).  Stateless.
 */
#ifndef BFS_DRV_XMLH_H
#define BFS_DRV_XMLH_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

/* Largest answer xmlh_parse accepts. */
#define XMLH_MAX_DOC (16u << 20)

/*
 * Parse a document from memory: no network, no DTD loading, no entity
 * substitution, no libxml2 error output.  NULL when not well-formed or
 * too large; free with xmlFreeDoc.
 */
xmlDoc *xmlh_parse(const char *buf, size_t len);
/* The root element, or NULL. */
xmlNode *xmlh_root(const xmlDoc *doc);
/* The local name of an element ("" for NULL). */
const char *xmlh_name(const xmlNode *node);
/* First element child named name (local name), or NULL. */
xmlNode *xmlh_child(const xmlNode *node, const char *name);
/* Next element sibling named name (NULL name: any element), or NULL. */
xmlNode *xmlh_next(const xmlNode *node, const char *name);
/* The element at "a/b/c" below node, or NULL. */
xmlNode *xmlh_path(const xmlNode *node, const char *path);
/*
 * Text of the element at path ("" path: node itself), trimmed, into buf.
 * 0; -ENOENT when absent (buf ""); -E2BIG when it did not fit (buf holds a
 * truncated copy).
 */
int xmlh_text(const xmlNode *node, const char *path, char *buf, size_t len);
/* The same as a decimal integer: 0, -ENOENT, -EINVAL (not a number). */
int xmlh_int(const xmlNode *node, const char *path, long long *out);
/*
 * Does node have, for each (path, value) pair of the NULL-terminated
 * list, the text value at path?  An empty value matches anything; a NULL
 * list matches.  Values are compared up to 255 bytes.
 */
bool xmlh_matches(const xmlNode *node, const char *const *pairs);
/*
 * Does the list at path (e.g. "tagSet") hold an element `item` whose
 * key_name text is key and value_name text is value?  For key/value lists
 * such as EC2's tagSet/item{key,value} or ECS's Tags/Tag{TagKey,TagValue}.
 */
bool xmlh_has_pair(const xmlNode *node, const char *path, const char *item,
		   const char *key_name, const char *key, const char *value_name,
		   const char *value);

#endif
