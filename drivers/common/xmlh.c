/*
 * xmlh.c - libxml2 tree helpers; see xmlh.h.
 */
#include "drivers/common/xmlh.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

xmlDoc *xmlh_parse(const char *buf, size_t len)
{
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

	if (!buf || len == 0 || len > XMLH_MAX_DOC)
		return NULL;
	return xmlReadMemory(buf, (int)len, NULL, NULL, opts);
}

xmlNode *xmlh_root(const xmlDoc *doc)
{
	return doc ? xmlDocGetRootElement(doc) : NULL;
}

const char *xmlh_name(const xmlNode *node)
{
	return node && node->name ? (const char *)node->name : "";
}

static xmlNode *xmlh_scan(xmlNode *n, const char *name, size_t len)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!name || (strlen(xmlh_name(n)) == len && strncmp(xmlh_name(n), name, len) == 0))
			return n;
	}
	return NULL;
}

xmlNode *xmlh_child(const xmlNode *node, const char *name)
{
	return node ? xmlh_scan(node->children, name, strlen(name)) : NULL;
}

xmlNode *xmlh_next(const xmlNode *node, const char *name)
{
	return node ? xmlh_scan(node->next, name, name ? strlen(name) : 0) : NULL;
}

xmlNode *xmlh_path(const xmlNode *node, const char *path)
{
	const xmlNode *n = node;

	while (n && *path) {
		size_t len = strcspn(path, "/");

		n = xmlh_scan(n->children, path, len);
		path += len;
		if (*path == '/')
			path++;
	}
	return (xmlNode *)n;
}

int xmlh_text(const xmlNode *node, const char *path, char *buf, size_t len)
{
	xmlNode *n = xmlh_path(node, path);
	xmlChar *text;
	const char *s;
	size_t slen;
	int rc = 0;

	if (len)
		buf[0] = '\0';
	if (!n)
		return -ENOENT;
	text = xmlNodeGetContent(n);
	s = text ? (const char *)text : "";
	while (isspace((unsigned char)*s))
		s++;
	slen = strlen(s);
	while (slen && isspace((unsigned char)s[slen - 1]))
		slen--;
	if (len && slen >= len) {
		slen = len - 1;
		rc = -E2BIG;
	}
	if (len) {
		memcpy(buf, s, slen);
		buf[slen] = '\0';
	}
	xmlFree(text);
	return rc;
}

int xmlh_int(const xmlNode *node, const char *path, long long *out)
{
	char buf[32], *end;
	long long v;
	int rc = xmlh_text(node, path, buf, sizeof(buf));

	if (rc)
		return rc == -ENOENT ? rc : -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

bool xmlh_matches(const xmlNode *node, const char *const *pairs)
{
	char v[256];

	for (size_t i = 0; pairs && pairs[i]; i += 2) {
		if (!pairs[i + 1] || !pairs[i + 1][0])
			continue;
		if (xmlh_text(node, pairs[i], v, sizeof(v)) != 0 || strcmp(v, pairs[i + 1]) != 0)
			return false;
	}
	return true;
}

bool xmlh_has_pair(const xmlNode *node, const char *path, const char *item,
		   const char *key_name, const char *key, const char *value_name,
		   const char *value)
{
	const char *const want[] = { key_name, key, value_name, value, NULL };

	for (xmlNode *t = xmlh_child(xmlh_path(node, path), item); t; t = xmlh_next(t, item)) {
		if (xmlh_matches(t, want))
			return true;
	}
	return false;
}
