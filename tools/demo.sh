#!/bin/bash
# make demo: everything needed to try baristafs on this machine.
#
#   1. installs the Debian packages the build needs (when run as root), builds;
#   2. starts cloudtwin, the emulator of AWS, OpenStack, Google Cloud, Azure
#      and Alibaba, on a free loopback port;
#   3. mounts ./mnt and connects every twin cloud through the real drivers,
#      with mkdir and echo (tools/connect-twin.sh), plus one mock cloud;
#   4. makes a group with a subgroup on each healthy cloud, waits for it,
#      and prints what to try.
#
#   tools/demo.sh stop      unmount and stop cloudtwin (make demo-stop)
set -eu
cd "$(dirname "$0")/.."
TOP=$PWD
DEMO=$TOP/.demo
MNT=$TOP/mnt
PKGS="build-essential pkg-config fuse3 libfuse3-dev libcurl4-openssl-dev libjansson-dev
      libssl-dev libleveldb-dev libcunit1-dev libmicrohttpd-dev libxml2-dev zlib1g-dev
      python3 curl"

stop() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"
		echo "unmounted $MNT"
	fi
	if [ -f "$DEMO/twin.pid" ]; then
		kill "$(cat "$DEMO/twin.pid")" 2>/dev/null && echo "stopped cloudtwin"
		rm -f "$DEMO/twin.pid"
	fi
}

install_deps() {
	local missing=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing"
		echo "run: sudo apt-get install -y$missing"
		exit 1
	fi
	echo "installing:$missing"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
}

wait_file() { # file seconds
	for _ in $(seq 1 $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi

install_deps
make -s -j2 all
stop
mkdir -p "$DEMO" "$MNT"

echo "== starting cloudtwin"
rm -f "$DEMO/twin.json"
./tools/cloudtwin/cloudtwin --listen 127.0.0.1:0 --tls-dir "$DEMO/tls" \
	--ready-file "$DEMO/twin.json" >"$DEMO/cloudtwin.log" 2>&1 &
echo $! >"$DEMO/twin.pid"
wait_file "$DEMO/twin.json" 30 || { cat "$DEMO/cloudtwin.log"; exit 1; }
TWIN=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' \
	"$DEMO/twin.json")
echo "   $TWIN (log: .demo/cloudtwin.log)"

echo "== mounting $MNT"
# cloudtwin starts empty every time, so the engine's record starts empty
# too: a record of the last demo's VMs would name instances this cloudtwin
# never made.
rm -rf "$DEMO/state"
./baristafs -o "state=$DEMO/state" "$MNT"

echo "== connecting clouds (tools/connect-twin.sh)"
tools/connect-twin.sh "$MNT" "$TWIN"
if [ ! -d "$MNT/clouds/local-mock" ]; then
	mkdir "$MNT/clouds/local-mock"
	echo '{"driver":"mock","region":"local","boot_ms":1500}' >"$MNT/clouds/local-mock/spec"
fi
echo "   clouds/local-mock: driver mock"

echo "== waiting for health"
healthy=""
for c in "$MNT"/clouds/*/; do
	c=$(basename "$c")
	for _ in $(seq 1 150); do
		h=$(cat "$MNT/clouds/$c/health")
		[ "$h" = checking ] || break
		sleep 0.2
	done
	for _ in $(seq 1 100); do	# the catalog is read once the cloud answers
		[ "$h" != ok ] || [ -n "$(ls "$MNT/clouds/$c/specs")" ] && break
		sleep 0.1
	done
	printf '   %-16s %s\n' "$c" "$h"
	[ "$h" = ok ] && [ -n "$(ls "$MNT/clouds/$c/specs")" ] && healthy="$healthy $c"
done

if [ ! -d "$MNT/groups/demo" ]; then
	echo "== making groups/demo: one subgroup of 2 VMs on each healthy cloud"
	spec='{"subgroups":['
	sep=""
	for c in $healthy; do
		s=$(cd "$MNT/clouds/$c/specs" && grep -lx 'arch x86_64' * | head -1)
		i=$(cd "$MNT/clouds/$c/images" && grep -lx 'arch x86_64' * | head -1)
		[ -n "$s" ] && [ -n "$i" ] || continue
		spec="$spec$sep{\"name\":\"$c\",\"count\":2,\"cloud\":\"$c\",\"spec\":\"$s\",\"image\":\"$i\"}"
		sep=,
	done
	spec="$spec],\"on_partial_failure\":\"continue\"}"
	mkdir "$MNT/groups/demo"
	echo "$spec" | /usr/bin/python3 -m json.tool >"$MNT/groups/demo/spec"
fi
echo "   $(cat "$MNT/groups/demo/status") ... cat mnt/groups/demo/wait"
echo "   $(cat "$MNT/groups/demo/wait")"

cat <<TRY

baristafs is mounted at ./mnt, backed by cloudtwin at $TWIN.  Try:

  cat mnt/README                        # the tree explains itself
  ls mnt/clouds; cat mnt/clouds/*/health
  ls mnt/clouds/local-mock/specs; cat mnt/clouds/local-mock/specs/m1.small
  cat mnt/groups/demo/spec mnt/groups/demo/status mnt/groups/demo/counts
  grep -H . mnt/groups/demo/vms/*/status
  cat mnt/groups/demo/placement mnt/groups/demo/cost
  echo suspend > mnt/groups/demo/ctl; cat mnt/groups/demo/wait
  echo resume > mnt/groups/demo/ctl;  cat mnt/groups/demo/wait
  tail -f mnt/events                    # in another terminal
  cat mnt/clouds/*/stats; tail mnt/clouds/local-mock/calls
  curl -s $TWIN/_twin/clouds | python3 -m json.tool   # what the emulator serves

  echo terminate > mnt/groups/demo/ctl; cat mnt/groups/demo/wait; rmdir mnt/groups/demo
  make demo-stop                        # unmount and stop cloudtwin
TRY
