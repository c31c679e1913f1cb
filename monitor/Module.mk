# monitor/: the collector takes gzip bodies (Telegraf sends them), so
# everything that links libmonitor.a needs zlib.
LDLIBS += -lz

# The monitor's benchmark programs (tests/bench/monitor-bench.sh runs them).
MONITOR_BENCH := $(BUILD)/bench/monitor_bench
$(MONITOR_BENCH): $(OBJ)/tests/bench/monitor_bench.o $(LIBMONITOR) $(LIBBFS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
bench: $(MONITOR_BENCH)
