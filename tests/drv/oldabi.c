/*
 * oldabi.c - a driver built for another ABI version, for the test that the
 * engine refuses it with a message naming both versions
 * (tests/integration/tree-abi.sh).  It must never be called.
 */
#include "drivers/driver.h"

extern const struct drv_ops baristafs_driver;

const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION + 41,
	.size = sizeof(struct drv_ops),
	.name = "oldabi",
};
