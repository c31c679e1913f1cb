# drivers/openstack.so exports only baristafs_driver (drivers/common/Module.mk links
# every driver with export.map); its objects are built with hidden visibility
# too.  The same objects form libdrv-openstack.a, which the driver's unit tests and
# fuzz targets link to reach the parsers the shared object hides.
OPENSTACK_OBJS := $(call obj,$(wildcard drivers/openstack/*.c))
OPENSTACK_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/openstack*_test.c)) \
	$(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/openstack*_fuzz.c))

$(OBJ)/drivers/openstack/%.o: CFLAGS += -fvisibility=hidden
$(BUILD)/libdrv-openstack.a: $(OPENSTACK_OBJS)
$(OPENSTACK_TESTS): $(BUILD)/libdrv-openstack.a
$(OPENSTACK_TESTS): TEST_LIBS := $(BUILD)/libdrv-openstack.a $(TEST_LIBS)
