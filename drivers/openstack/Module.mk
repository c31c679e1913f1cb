# drivers/openstack.so exports only baristafs_driver: its objects are built
# with hidden visibility and the archives it links keep their symbols local.
# The same objects form libdrv-openstack.a, which the driver's unit tests and
# fuzz targets link to reach the parsers the shared object hides.
OPENSTACK_OBJS := $(call obj,$(wildcard drivers/openstack/*.c))
OPENSTACK_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/openstack*_test.c)) \
	$(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/openstack*_fuzz.c))

$(OBJ)/drivers/openstack/%.o: CFLAGS += -fvisibility=hidden
$(OUT)/drivers/openstack.so: LDFLAGS += -Wl,--exclude-libs,ALL
$(BUILD)/libdrv-openstack.a: $(OPENSTACK_OBJS)
$(OPENSTACK_TESTS): $(BUILD)/libdrv-openstack.a
$(OPENSTACK_TESTS): TEST_LIBS := $(BUILD)/libdrv-openstack.a $(TEST_LIBS)
