# tests/drv/Module.mk - drvharness, which drives any drivers/<name>.so
# through the ABI from the integration tests (tests/integration/drv-*.sh).
DRVHARNESS := $(BUILD)/tests/drvharness
$(DRVHARNESS): $(OBJ)/tests/drv/harness.o $(LIBBFS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
tests: $(DRVHARNESS)

# A driver of another ABI version, which the engine must refuse.
OLDABI := $(BUILD)/tests/drivers/oldabi.so
$(OLDABI): $(OBJ)/tests/drv/oldabi.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -o $@ $^
tests: $(OLDABI)
