#!/bin/sh
# Coverage-guided fuzzing of one target with clang's libFuzzer:
#   make fuzz FUZZ=gspec SECONDS=60
# Builds the target and the libraries it needs with clang, then fuzzes from
# the checked-in corpus (new finds go to build-fuzz/corpus/<target>).
set -eu
target=${1:?usage: make fuzz FUZZ=<target> [SECONDS=n]}
secs=${2:-60}
make -s CC=clang BUILD=build-fuzz OUT=build-fuzz \
	OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	build-fuzz/libengine.a build-fuzz/libcloudtwin.a build-fuzz/libmonitor.a \
	build-fuzz/libdrvcommon.a build-fuzz/libbfs.a
flags="-std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags fuse3 jansson libxml-2.0 libmicrohttpd)"
libs="build-fuzz/libengine.a build-fuzz/libcloudtwin.a build-fuzz/libmonitor.a build-fuzz/libdrvcommon.a build-fuzz/libbfs.a $(pkg-config --libs fuse3 libcurl jansson openssl libmicrohttpd libxml-2.0) -lleveldb -lz -ldl -lm -pthread"
# A target named after a driver (mock_journal) fuzzes that driver's own code.
drv=drivers/${target%%_*}
[ -d "$drv" ] && [ "$drv" != drivers/common ] && libs="$(ls "$drv"/*.c | xargs) $libs"
mkdir -p build-fuzz/corpus/"$target"
# shellcheck disable=SC2086
clang $flags -g -O1 -fsanitize=fuzzer,address,undefined -o build-fuzz/"$target"_fuzz \
	tests/fuzz/"$target"_fuzz.c $libs
build-fuzz/"$target"_fuzz -max_total_time="$secs" build-fuzz/corpus/"$target" tests/fuzz/corpus/"$target"
