/*
 * twin_dialect.c - the table of dialects; see twin_dialect.h.
 */
#include "tools/cloudtwin/twin_dialect.h"

#include <string.h>

/* Order matters for claim(): signatures first (EC2, ECS), then fixed
 * paths (GCE, ARM/AAD).  OpenStack is reached by prefix only. */
static const struct twin_dialect *const dialects[] = {
	&twin_aws_dialect,
	&twin_alibaba_dialect,
	&twin_gcp_dialect,
	&twin_azure_dialect,
	&twin_openstack_dialect,
	NULL,
};

const struct twin_dialect *twin_dialect_find(const char *name)
{
	for (size_t i = 0; dialects[i]; i++) {
		if (strcmp(dialects[i]->name, name) == 0)
			return dialects[i];
	}
	return NULL;
}

const struct twin_dialect *const *twin_dialect_all(void)
{
	return dialects;
}
