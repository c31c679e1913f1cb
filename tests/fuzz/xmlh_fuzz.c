/*
 * xmlh_fuzz.c - cloud XML answers through libxml2 and the walking helpers
 * the EC2 and ECS parsers use.
 */
#include <stdint.h>

#include "drivers/common/xmlh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const xmlNode *n, int depth)
{
	char buf[64];
	long long v;

	for (const xmlNode *c = xmlh_child(n, "item"); c && depth < 8; c = xmlh_next(c, "item"))
		walk(c, depth + 1);
	xmlh_text(n, "instanceId", buf, sizeof(buf));
	xmlh_int(n, "instanceState/code", &v);
	xmlh_path(n, "reservationSet/item/instancesSet");
	xmlh_next(n, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xmlDoc *doc = xmlh_parse((const char *)data, size);

	if (doc) {
		walk(xmlh_root(doc), 0);
		xmlFreeDoc(doc);
	}
	return 0;
}
