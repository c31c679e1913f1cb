/*
 * twin_catalog.h - each dialect's default catalog: regions and zones,
 * specs with vCPUs, memory and list prices, images, and the credential
 * keys its clients use.
 *
 * The data are modelled on the real clouds' public catalogs (names,
 * shapes and on-demand Linux prices of late 2023) so that placement and
 * cost code sees believable numbers.  A cloud in the config that gives
 * no regions, specs or images gets these.  Constant tables; thread-safe.
 */
#ifndef TWIN_CATALOG_H
#define TWIN_CATALOG_H

#include <jansson.h>

struct twin_catalog;

/* The catalog of a dialect ("aws", "openstack", "gcp", "azure",
 * "alibaba"), or NULL when the dialect is unknown. */
const struct twin_catalog *twin_catalog_find(const char *dialect);
/* New references: arrays in the normalised config form (twin_config.h). */
json_t *twin_catalog_regions(const struct twin_catalog *cat);
json_t *twin_catalog_specs(const struct twin_catalog *cat);
json_t *twin_catalog_images(const struct twin_catalog *cat);
/* The credential keys a cloud of this dialect must carry (NULL-ended). */
const char *const *twin_catalog_cred_keys(const struct twin_catalog *cat);
/* A credential derived from the cloud's name, stable across runs and
 * unique per name (new reference).  Used for replicas and when a cloud
 * gives none.  GCP's private_key is left out: the server provides it. */
json_t *twin_catalog_derive_cred(const struct twin_catalog *cat, const char *cloud);
/* The credential of the default five-cloud configuration: the example
 * values of clouds.md, so its examples work as printed (new reference). */
json_t *twin_catalog_example_cred(const struct twin_catalog *cat);

#endif
