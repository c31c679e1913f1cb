# monitor/: the collector takes gzip bodies (Telegraf sends them), so
# everything that links libmonitor.a needs zlib.
LDLIBS += -lz
