# monitor/agent/: everything but main.c also goes into libagent.a, so that
# tests/unit/agent_test.c can link the agent's modules.
LIBAGENT := $(BUILD)/libagent.a
$(LIBAGENT): $(call obj,$(filter-out monitor/agent/main.c,$(AGENT_SRCS)))
TEST_LIBS := $(LIBAGENT) $(TEST_LIBS)
$(UNIT_BINS) $(FUZZ_BINS): $(LIBAGENT)

# The systemd unit ships with the agent.
UNITDIR ?= $(PREFIX)/lib/systemd/system
install: install-agent-unit
.PHONY: install-agent-unit
install-agent-unit:
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 monitor/agent/barista-agent.service $(DESTDIR)$(UNITDIR)/barista-agent.service
