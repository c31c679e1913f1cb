# drivers/mock/Module.mk - extra rules for the mock driver.

# The journal parser's fuzz target links the driver's objects directly.
MOCK_OBJS := $(call obj,$(wildcard drivers/mock/*.c))
$(BUILD)/tests/mock_journal_fuzz: $(OBJ)/tests/fuzz/mock_journal_fuzz.o \
		$(OBJ)/tests/fuzz/replay.o $(MOCK_OBJS) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
