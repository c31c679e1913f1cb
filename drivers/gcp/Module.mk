# drivers/gcp.so exports only baristafs_driver (drivers/common/Module.mk links
# every driver with export.map); its objects are built with hidden visibility
# too.  The same objects form libdrv-gcp.a, which the driver's unit tests and
# fuzz targets link to reach the parsers the shared object hides.
GCP_OBJS := $(call obj,$(wildcard drivers/gcp/*.c))
GCP_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/gcp*_test.c)) \
	$(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/gcp*_fuzz.c))

$(OBJ)/drivers/gcp/%.o: CFLAGS += -fvisibility=hidden
$(BUILD)/libdrv-gcp.a: $(GCP_OBJS)
$(GCP_TESTS): $(BUILD)/libdrv-gcp.a
$(GCP_TESTS): TEST_LIBS := $(BUILD)/libdrv-gcp.a $(TEST_LIBS)
