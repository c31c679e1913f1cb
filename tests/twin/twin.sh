# Shell helpers for tests that run cloudtwin (POSIX sh; source this file).
#
#   . tests/twin/twin.sh
#   twin_start [--config FILE] [cloudtwin options...]   # sets TWIN_* below
#   ...                                                  # twin_stop runs on EXIT
#
# twin_start runs cloudtwin on 127.0.0.1 with a free port (and a free TLS
# port unless the options give one), waits for its ready file, and sets
#   TWIN_HTTP  http://127.0.0.1:PORT      TWIN_HTTPS  https://127.0.0.1:PORT
#   TWIN_CA    the CA file to trust       TWIN_PID    its pid
#   TWIN_DIR   a scratch folder removed by twin_stop
# twin_stop stops that pid (never anything by name) and removes TWIN_DIR.

TWIN_PY=/usr/bin/python3

twin_bin() {
	echo "${BFS_OUT:-.}/tools/cloudtwin/cloudtwin"
}

twin_skip() { # reason
	echo "SKIP: $*" >&2
	exit 77
}

twin_fail() { # message
	echo "FAIL: $*" >&2
	exit 1
}

# Skip unless each named program exists.
twin_need() {
	for p in "$@"; do
		[ -x "$p" ] || command -v "$p" >/dev/null 2>&1 || twin_skip "$p is not installed"
	done
}

# Skip unless Debian's python3 can import each module.
twin_need_py() {
	for m in "$@"; do
		"$TWIN_PY" -c "import $m" 2>/dev/null || twin_skip "python3 module $m is missing"
	done
}

twin_stop() {
	if [ -n "${TWIN_PID:-}" ]; then
		kill "$TWIN_PID" 2>/dev/null
		wait "$TWIN_PID" 2>/dev/null
		TWIN_PID=
	fi
	if [ -n "${TWIN_DIR:-}" ]; then
		[ -f "$TWIN_DIR/stderr" ] && [ -n "${TWIN_SHOW_LOG:-}" ] && cat "$TWIN_DIR/stderr" >&2
		rm -rf "$TWIN_DIR"
		TWIN_DIR=
	fi
}

twin_start() {
	bin=$(twin_bin)
	[ -x "$bin" ] || twin_fail "cloudtwin not built at $bin"
	TWIN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/twin-test.XXXXXX")
	trap twin_stop EXIT
	trap 'exit 130' INT TERM
	"$bin" --listen 127.0.0.1:0 --tls-dir "$TWIN_DIR/tls" --ready-file "$TWIN_DIR/ready.json" \
		--log "$@" >"$TWIN_DIR/stdout" 2>"$TWIN_DIR/stderr" &
	TWIN_PID=$!
	i=0
	while [ ! -f "$TWIN_DIR/ready.json" ]; do
		if ! kill -0 "$TWIN_PID" 2>/dev/null; then
			cat "$TWIN_DIR/stderr" >&2
			TWIN_PID=
			twin_fail "cloudtwin exited during start-up"
		fi
		i=$((i + 1))
		[ $i -lt 300 ] || twin_fail "cloudtwin did not become ready in 30 s"
		sleep 0.1
	done
	TWIN_HTTP=$(twin_json "$TWIN_DIR/ready.json" http)
	TWIN_HTTPS=$(twin_json "$TWIN_DIR/ready.json" https)
	TWIN_CA=$(twin_json "$TWIN_DIR/ready.json" ca_file)
	export TWIN_HTTP TWIN_HTTPS TWIN_CA TWIN_DIR
}

# Print a top-level string field of a JSON file.
twin_json() { # file key
	"$TWIN_PY" -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}

# GET a control endpoint and print the body.
twin_get() { # path
	curl -sS --max-time 10 "$TWIN_HTTP$1"
}

# Write a small config: the given dialects (default all), fast state changes.
twin_fast_config() { # file [dialect...]
	f=$1
	shift
	"$TWIN_PY" - "$f" "$@" <<'PY'
import json, sys
dialects = sys.argv[2:] or ["aws", "openstack", "gcp", "azure", "alibaba"]
from_example = {"aws": {"access_key_id": "AKIDEXAMPLE",
                        "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                "alibaba": {"access_key_id": "testid", "access_key_secret": "testsecret"}}
clouds = []
for d in dialects:
    c = {"name": d, "dialect": d}
    if d in from_example:
        c["credential"] = from_example[d]
    clouds.append(c)
json.dump({"defaults": {"delays_ms": {"create": 600, "start": 600, "stop": 600,
                                      "reboot": 400, "terminate": 600}},
           "clouds": clouds}, open(sys.argv[1], "w"), indent=1)
PY
}

# Fail unless every VM of a cloud is gone or in one of the given states.
twin_no_leaks() { # cloud state...
	cloud=$1
	shift
	twin_get "/_twin/clouds/$cloud/inventory" | "$TWIN_PY" -c '
import json, sys
inv = json.load(sys.stdin); ok = sys.argv[1:]
live = [v["id"] + ":" + v["state"] for v in inv["vms"] if v["state"] not in ok]
if live:
    sys.exit("leaked VMs: " + " ".join(live))
' "$@" || twin_fail "VMs left behind in $cloud"
}
