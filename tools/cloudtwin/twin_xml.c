/*
 * twin_xml.c - JSON tree to XML through xmlTextWriter; see twin_xml.h.
 */
#include "tools/cloudtwin/twin_xml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <libxml/xmlwriter.h>

static int xml_value(xmlTextWriterPtr w, const char *key, const json_t *v);

static int xml_children(xmlTextWriterPtr w, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		int rc;

		if (!json_is_array(v)) {
			rc = xml_value(w, key, v);
		} else {
			size_t i;
			json_t *item;

			rc = 0;
			json_array_foreach(v, i, item) {
				rc = xml_value(w, key, item);
				if (rc)
					break;
			}
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* The text of a scalar into buf; NULL for null/object/array. */
static const char *xml_scalar(const json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%.15g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return NULL;
	}
}

static int xml_value(xmlTextWriterPtr w, const char *key, const json_t *v)
{
	char num[64];
	const char *text;

	if (xmlValidateName((const xmlChar *)key, 0) != 0)
		return -EINVAL;
	if (xmlTextWriterStartElement(w, (const xmlChar *)key) < 0)
		return -ENOMEM;
	if (json_is_object(v)) {
		int rc = xml_children(w, v);

		if (rc)
			return rc;
	} else if (json_is_array(v)) {
		return -EINVAL;	/* nested arrays have no XML form here */
	} else {
		text = xml_scalar(v, num, sizeof(num));
		if (text && *text && xmlTextWriterWriteString(w, (const xmlChar *)text) < 0)
			return -ENOMEM;
	}
	return xmlTextWriterEndElement(w) < 0 ? -ENOMEM : 0;
}

static int xml_document(xmlTextWriterPtr w, const char *root, const char *ns, const json_t *body)
{
	int rc;

	if (xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0)
		return -ENOMEM;
	if (xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)root, (const xmlChar *)ns) < 0)
		return -ENOMEM;
	rc = xml_children(w, body);
	if (rc)
		return rc;
	if (xmlTextWriterEndDocument(w) < 0)
		return -ENOMEM;
	return 0;
}

int twin_xml_write(struct sbuf *out, const char *root, const char *ns, const json_t *body)
{
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int rc;

	if (!json_is_object(body) || xmlValidateName((const xmlChar *)root, 0) != 0)
		return -EINVAL;
	buf = xmlBufferCreate();
	if (!buf)
		return -ENOMEM;
	w = xmlNewTextWriterMemory(buf, 0);
	if (!w) {
		xmlBufferFree(buf);
		return -ENOMEM;
	}
	rc = xml_document(w, root, ns, body);
	xmlFreeTextWriter(w);	/* flushes into buf */
	if (!rc)
		rc = sbuf_add(out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	xmlBufferFree(buf);
	return rc;
}
