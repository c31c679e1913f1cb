# drivers/common/Module.mk - rules for every driver shared object.
#
# A driver exports `baristafs_driver` and nothing else: the common helpers
# it links statically (http_*, sigv4_*, ...) and its own internal functions
# stay local, so two drivers loaded into one engine never interpose.
$(DRIVER_SOS): LDFLAGS += -Wl,--version-script=drivers/common/export.map
