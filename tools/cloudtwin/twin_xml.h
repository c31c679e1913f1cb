/*
 * twin_xml.h - render a JSON tree as XML with libxml2's writer.
 *
 * EC2 and ECS answer in XML whose shape is a plain mapping of a JSON
 * tree, so the dialects build jansson trees (one code path for ECS's XML
 * and JSON formats) and this module writes them:
 *   - an object becomes child elements in insertion order;
 *   - an array under key K becomes one <K> element per item (EC2's
 *     <item> lists and ECS's <Instance> lists are both written as
 *     {"instancesSet": {"item": [...]}} / {"Instances": {"Instance": [...]}});
 *   - strings are escaped text, integers decimal, reals shortest
 *     round-trip, booleans "true"/"false", null an empty element.
 */
#ifndef TWIN_XML_H
#define TWIN_XML_H

#include <jansson.h>

#include "lib/sbuf.h"

/* Append `<?xml ...?><root xmlns="ns">...</root>` for body (an object,
 * borrowed) to out.  ns may be NULL.  0, -EINVAL (body not an object or a
 * key that is not an XML name) or -ENOMEM / -E2BIG. */
int twin_xml_write(struct sbuf *out, const char *root, const char *ns, const json_t *body);

#endif
