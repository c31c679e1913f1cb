# drivers/azure.so exports only baristafs_driver: its objects are built
# with hidden visibility and the archives it links keep their symbols local.
# The same objects form libdrv-azure.a, which the driver's unit tests and
# fuzz targets link to reach the parsers the shared object hides.
AZURE_OBJS := $(call obj,$(wildcard drivers/azure/*.c))
AZURE_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/azure*_test.c)) \
	$(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/azure*_fuzz.c))

$(OBJ)/drivers/azure/%.o: CFLAGS += -fvisibility=hidden
$(OUT)/drivers/azure.so: LDFLAGS += -Wl,--exclude-libs,ALL
$(BUILD)/libdrv-azure.a: $(AZURE_OBJS)
$(AZURE_TESTS): $(BUILD)/libdrv-azure.a
$(AZURE_TESTS): TEST_LIBS := $(BUILD)/libdrv-azure.a $(TEST_LIBS)
