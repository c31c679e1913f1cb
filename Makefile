# baristafs - a plain Makefile.
#
#   make                      baristafs, drivers/*.so, cloudtwin, barista-agent
#   make SANITIZE=address,undefined   the same with sanitizers (built in build-san/)
#   make check                the whole test suite, built with the sanitizers
#   make bench                the benchmarks (figures go into README.md by hand)
#   make demo                 cloudtwin + a mount at ./mnt with its clouds connected
#   make install              PREFIX=/usr/local DESTDIR=
#
# Sources are found by folder: lib/ (generic helpers), engine/, fs/, monitor/
# (the collector side), monitor/agent/, drivers/common/ and one folder per
# driver under drivers/, tools/cloudtwin/, tests/unit/*_test.c and
# tests/fuzz/*_fuzz.c.  A folder may add rules in its own Module.mk.

VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
DRIVERDIR ?= $(LIBDIR)/baristafs/drivers
DESTDIR ?=

CC ?= cc
SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD ?= build
OUT ?= .
else
BUILD ?= build-san
OUT ?= $(BUILD)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
OPT ?= -O2 -g
PKGS := fuse3 libcurl jansson openssl libmicrohttpd libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CPPFLAGS += -I. -D_GNU_SOURCE -DBFS_VERSION='"$(VERSION)"' \
	    -DBFS_DRIVERDIR='"$(DRIVERDIR)"'
CFLAGS += -std=c11 $(OPT) $(WARN) -fPIC -pthread $(PKG_CFLAGS)
ifneq ($(WERROR),)
CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=$(SANITIZE)
endif
LDLIBS += $(PKG_LIBS) -lleveldb -ldl -lm -pthread

OBJ := $(BUILD)/obj
obj = $(patsubst %.c,$(OBJ)/%.o,$(1))

# ---- libraries -------------------------------------------------------------
LIB_SRCS := $(wildcard lib/*.c)
ENGINE_SRCS := $(wildcard engine/*.c)
MONITOR_SRCS := $(wildcard monitor/*.c)
DRVCOMMON_SRCS := $(wildcard drivers/common/*.c)
FS_SRCS := $(wildcard fs/*.c)
AGENT_SRCS := $(wildcard monitor/agent/*.c)
TWIN_SRCS := $(wildcard tools/cloudtwin/*.c)

LIBBFS := $(BUILD)/libbfs.a
LIBENGINE := $(BUILD)/libengine.a
LIBMONITOR := $(BUILD)/libmonitor.a
LIBDRV := $(BUILD)/libdrvcommon.a
LIBTWIN := $(BUILD)/libcloudtwin.a

# ---- programs and drivers --------------------------------------------------
DRIVER_NAMES := $(filter-out common,$(notdir $(patsubst %/,%,$(wildcard drivers/*/))))
DRIVER_SOS := $(patsubst %,$(OUT)/drivers/%.so,$(DRIVER_NAMES))
BARISTAFS := $(OUT)/baristafs
CLOUDTWIN := $(if $(TWIN_SRCS),$(OUT)/tools/cloudtwin/cloudtwin)
AGENT := $(if $(AGENT_SRCS),$(OUT)/monitor/barista-agent)

UNIT_SRCS := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(FUZZ_SRCS))

.PHONY: all tests check bench demo demo-stop install uninstall clean fuzz
.SECONDARY: # keep test objects between runs
all: $(BARISTAFS) $(DRIVER_SOS) $(CLOUDTWIN) $(AGENT)
tests: all $(UNIT_BINS) $(FUZZ_BINS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBBFS): $(call obj,$(LIB_SRCS))
$(LIBENGINE): $(call obj,$(ENGINE_SRCS))
$(LIBMONITOR): $(call obj,$(MONITOR_SRCS))
$(LIBDRV): $(call obj,$(DRVCOMMON_SRCS))
$(LIBTWIN): $(call obj,$(filter-out tools/cloudtwin/main.c,$(TWIN_SRCS)))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BARISTAFS): $(call obj,$(FS_SRCS)) $(LIBENGINE) $(LIBMONITOR) $(LIBDRV) $(LIBBFS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LDLIBS)

# Each driver folder becomes one shared object linked with the common helpers,
# exporting nothing but its `baristafs_driver` table.
define driver_rule
$(OUT)/drivers/$(1).so: $(call obj,$(wildcard drivers/$(1)/*.c)) $(LIBDRV) $(LIBBFS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -shared -Wl,--no-undefined -Wl,--exclude-libs,ALL -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(DRIVER_NAMES),$(eval $(call driver_rule,$(d))))

$(OUT)/tools/cloudtwin/cloudtwin: $(call obj,tools/cloudtwin/main.c) $(LIBTWIN) $(LIBMONITOR) $(LIBDRV) $(LIBBFS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/monitor/barista-agent: $(call obj,$(AGENT_SRCS)) $(LIBMONITOR) $(LIBBFS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests and fuzz replays link every library; the linker keeps what is used.
TEST_LIBS = $(LIBENGINE) $(LIBTWIN) $(LIBMONITOR) $(LIBDRV) $(LIBBFS)
$(BUILD)/tests/%_test: $(OBJ)/tests/unit/%_test.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_LIBS) $(LDLIBS) -lcunit
$(BUILD)/tests/%_fuzz: $(OBJ)/tests/fuzz/%_fuzz.o $(OBJ)/tests/fuzz/replay.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(OBJ)/tests/fuzz/replay.o $(TEST_LIBS) $(LDLIBS)

# Coverage-guided fuzzing with clang's libFuzzer: make fuzz FUZZ=name SECONDS=60
fuzz:
	tests/fuzz/run-libfuzzer.sh $(FUZZ) $(SECONDS)

-include $(wildcard */Module.mk */*/Module.mk)

# ---- check, bench, demo ----------------------------------------------------
check:
	$(MAKE) SANITIZE=address,undefined WERROR=1 tests
	BFS_OUT=build-san BFS_BUILD=build-san tests/run-all.sh

bench: all
	tests/bench/run-all.sh

demo:
	tools/demo.sh

demo-stop:
	tools/demo.sh stop

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DRIVERDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BARISTAFS) $(DESTDIR)$(BINDIR)/baristafs
	$(if $(CLOUDTWIN),install -m 0755 $(CLOUDTWIN) $(DESTDIR)$(BINDIR)/cloudtwin)
	$(if $(AGENT),install -m 0755 $(AGENT) $(DESTDIR)$(BINDIR)/barista-agent)
	install -m 0644 $(DRIVER_SOS) $(DESTDIR)$(DRIVERDIR)/
	install -m 0644 docs/baristafs.1 $(DESTDIR)$(MANDIR)/man1/baristafs.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/baristafs $(DESTDIR)$(BINDIR)/cloudtwin \
	      $(DESTDIR)$(BINDIR)/barista-agent $(DESTDIR)$(MANDIR)/man1/baristafs.1
	rm -rf $(DESTDIR)$(DRIVERDIR)

clean:
	rm -rf build build-san baristafs drivers/*.so tools/cloudtwin/cloudtwin monitor/barista-agent

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
