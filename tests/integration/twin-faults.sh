#!/bin/sh
# cloudtwin on real sockets with its default configuration: the five
# clouds, faults set at run time through /_twin/ (dropped and stalled
# connections, 5xx, rate limit), bodies over the ceiling (declared or
# chunked), TLS with the generated CA, configuration errors, clean stop.
# Durations are never asserted here (tests/bench measures).
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need curl /usr/bin/python3
twin_need_py requests botocore
expect() { # what, want, got
	[ "$2" = "$3" ] || twin_fail "$1: want '$2', got '$3'"
	echo "ok: $1"
}
# configuration errors come before any socket
bin=$(twin_bin)
bad=$(mktemp "${TMPDIR:-/tmp}/twin-bad.XXXXXX.json")
echo '[{"name": "x", "dialect": "aws", "faults": {"error_rate": 3}}]' >"$bad"
if out=$("$bin" --config "$bad" --check-config 2>&1); then twin_fail "a bad config was accepted"; fi
case $out in *"clouds[0].faults.error_rate: must be between 0 and 1"*) echo "ok: config errors name the value" ;;
*) twin_fail "$out" ;; esac
# preloaded VMs count against the quota: too many stop the start-up
echo '[{"name": "x", "dialect": "aws", "preload_vms": 30, "quota": {"vcpus_per_region": 10}}]' >"$bad"
tls=$(mktemp -d "${TMPDIR:-/tmp}/twin-tls.XXXXXX")
if out=$(timeout 20 "$bin" --listen 127.0.0.1:0 --tls-dir "$tls" --config "$bad" 2>&1); then
	twin_fail "30 preloaded VMs fit in 10 vCPUs"
fi
rm -rf "$bad" "$tls"
case $out in *"cloud x: cannot preload 30 VMs: over quota.vcpus_per_region"*) echo "ok: a preload over quota is refused" ;;
*) twin_fail "$out" ;; esac
expect "the default config has five clouds" "5" "$("$bin" --print-config | "$TWIN_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')"
if "$bin" --max-body 12 --check-config >/dev/null 2>&1; then twin_fail "--max-body 12 was accepted"; fi
echo "ok: --max-body is checked"

twin_start --max-body 65536
expect "/_twin/clouds lists the default clouds" "aws openstack gcp azure alibaba" \
	"$(twin_get /_twin/clouds | "$TWIN_PY" -c 'import json,sys; print(" ".join(c["name"] for c in json.load(sys.stdin)))')"
code() { curl -sS -o /dev/null -w '%{http_code}' "$@"; }

# drop: the connection closes without an answer (curl: empty reply, 52)
curl -sS -X PATCH -d '{"drop_rate": 1}' "$TWIN_HTTP/_twin/clouds/openstack/faults" >/dev/null
rc=0; curl -sS -o /dev/null "$TWIN_HTTP/openstack/identity/v3" 2>/dev/null || rc=$?
expect "drop_rate 1 closes the connection" 52 "$rc"
# stall: held, then dropped
curl -sS -X PATCH -d '{"drop_rate": 0, "stall_rate": 1, "stall_ms": 200}' "$TWIN_HTTP/_twin/clouds/openstack/faults" >/dev/null
rc=0; curl -sS -o /dev/null "$TWIN_HTTP/openstack/identity/v3" 2>/dev/null || rc=$?
expect "stall_rate 1 holds then drops" 52 "$rc"
# a stalled request does not hold up another cloud
curl -sS -X PATCH -d '{"stall_ms": 5000}' "$TWIN_HTTP/_twin/clouds/openstack/faults" >/dev/null
curl -sS -o /dev/null "$TWIN_HTTP/openstack/identity/v3" 2>/dev/null &
STALLED=$!
expect "other clouds answer meanwhile (GCE's 401)" 401 \
	"$(code -H 'Authorization: Bearer x' "$TWIN_HTTP/gcp/compute/v1/projects/test-project/zones")"
kill "$STALLED" 2>/dev/null || true
wait "$STALLED" 2>/dev/null || true
curl -sS -X PATCH -d '{"stall_rate": 0, "latency_ms": 50, "error_rate": 1}' "$TWIN_HTTP/_twin/clouds/openstack/faults" >/dev/null
expect "settings read back" "50 1.0" \
	"$(twin_get /_twin/clouds/openstack/faults | "$TWIN_PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["latency_ms"], d["error_rate"])')"
expect "error_rate 1: Keystone's 500" 500 "$(code "$TWIN_HTTP/openstack/identity/v3")"
curl -sS -X PATCH -d '{"latency_ms": 0, "error_rate": 0, "rate_limit": 1, "burst": 2}' "$TWIN_HTTP/_twin/clouds/openstack/faults" >/dev/null
code "$TWIN_HTTP/openstack/identity/v3" >/dev/null
code "$TWIN_HTTP/openstack/identity/v3" >/dev/null
expect "the rate limit: 429" 429 "$(code "$TWIN_HTTP/openstack/identity/v3")"
expect "stats count what happened" "1 1 1" \
	"$(twin_get /_twin/clouds/openstack/stats | "$TWIN_PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["drops"] , d["stalls"] >= 1 and 1, d["throttled"] >= 1 and 1)')"
curl -sS -X POST "$TWIN_HTTP/_twin/reset" >/dev/null
expect "reset restores the configured settings" 0.0 \
	"$(twin_get /_twin/clouds/openstack/faults | "$TWIN_PY" -c 'import json,sys; print(json.load(sys.stdin)["rate_limit"])')"
(cd tests/twin && "$TWIN_PY" reset_check.py)

# bodies over the ceiling: EC2's own 413 (declared), and a chunked one
big=$TWIN_DIR/big
head -c 70000 /dev/zero | tr '\0' 'a' >"$big"
out=$(curl -sS -w ' %{http_code}' -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' \
	--data-binary "@$big" "$TWIN_HTTP/")
case $out in *RequestEntityTooLarge*" 413") echo "ok: a declared oversized body: 413" ;; *) twin_fail "$out" ;; esac
out=$(curl -sS -w ' %{http_code}' -H 'Transfer-Encoding: chunked' --data-binary "@$big" "$TWIN_HTTP/gcp/token" || true)
case $out in *uploadTooLarge*" 413") echo "ok: a chunked oversized body: 413" ;; *) twin_fail "$out" ;; esac
expect "a path nobody serves" 404 "$(code "$TWIN_HTTP/nowhere")"
expect "a malformed request target" 400 "$(code "$TWIN_HTTP/a%00b")"

# TLS with the generated CA
[ -n "$TWIN_HTTPS" ] || twin_fail "no TLS listener"
expect "TLS with cloudtwin's CA" 200 "$(code --cacert "$TWIN_CA" "$TWIN_HTTPS/_twin/health")"
rc=0; curl -sS -o /dev/null "$TWIN_HTTPS/_twin/health" 2>/dev/null || rc=$?
expect "TLS without the CA is refused" 60 "$rc"
openssl x509 -in "$TWIN_DIR/tls/server.pem" -noout -ext subjectAltName | grep -q 'management.azure.com' ||
	twin_fail "the server certificate lacks the Azure host name"
echo "ok: the certificate names 127.0.0.1 and the clouds' hosts"

# a clean stop on SIGTERM
kill "$TWIN_PID"
rc=0; wait "$TWIN_PID" || rc=$?
TWIN_PID=
expect "SIGTERM stops cleanly" 0 "$rc"
echo "all fault and wire checks passed"
