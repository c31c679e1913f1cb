#!/usr/bin/python3
"""Print a mock cloud's live VMs, one "csp_id status baristafs-id token" line
each, sorted: the cloud's own record, read the way docs/mock.md says.
With --count, print only how many there are.  Used by the crash-recovery
tests to compare the engine's record with the cloud's."""
import json
import sys
import time


def live_vms(path, now_ms=None):
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    vms = {}
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break                      # torn by a crash: never acknowledged
            rec = json.loads(line)
            if rec["kind"] == "vm":
                vms[rec["id"]] = rec       # the last record of a VM wins
    for rec in vms.values():
        rec["status"] = rec["then"] if now_ms >= rec["until_ms"] else rec["state"]
    return {i: r for i, r in vms.items() if r["gone_ms"] == 0 or now_ms < r["gone_ms"]}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    vms = live_vms(args[0])
    lines = sorted("%s %s %s %s" % (i, r["status"], r["tags"].get("baristafs-id", "-"),
                                     r["token"] or "-") for i, r in vms.items())
    if "--count" in sys.argv:
        print(len(lines))
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
