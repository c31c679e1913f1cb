# drivers/azure.so exports only baristafs_driver (drivers/common/Module.mk links
# every driver with export.map); its objects are built with hidden visibility
# too.  The same objects form libdrv-azure.a, which the driver's unit tests and
# fuzz targets link to reach the parsers the shared object hides.
AZURE_OBJS := $(call obj,$(wildcard drivers/azure/*.c))
AZURE_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/azure*_test.c)) \
	$(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/azure*_fuzz.c))

$(OBJ)/drivers/azure/%.o: CFLAGS += -fvisibility=hidden
$(BUILD)/libdrv-azure.a: $(AZURE_OBJS)
$(AZURE_TESTS): $(BUILD)/libdrv-azure.a
$(AZURE_TESTS): TEST_LIBS := $(BUILD)/libdrv-azure.a $(TEST_LIBS)
