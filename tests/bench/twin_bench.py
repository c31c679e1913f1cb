"""cloudtwin's figures: list-all-VMs rate at 10,000 VMs per dialect,
resident memory per VM, start-up time with the 100 x 100 configuration.

usage: twin_bench.py CLOUDTWIN [SECONDS]     (tests/bench/twin-bench.sh runs it)

Every figure is measured from outside, as a client sees it: cloudtwin runs
on 127.0.0.1 with free ports and is stopped by its pid.  The client is
Debian's python3 (requests, botocore, google-auth) on the same machine, so
on a 2-core box client and server share the CPU; each listing is checked
to hold all 10,000 VMs.  Exit status 77 when a module is missing.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "twin"))

try:
    import requests
    import botocore  # noqa: F401  (twinlib.ec2_raw signs with it)
    from google.oauth2 import service_account
    from google.auth.transport.requests import Request
except ImportError as e:
    print("SKIP: python3 module missing:", e.name, file=sys.stderr)
    sys.exit(77)

import twinlib  # noqa: E402

BIN = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
VMS = 10000
SCALE = os.path.join(HERE, "..", "..", "tools", "cloudtwin", "examples", "scale-100x100.json")
REGIONS = {"aws": ("us-east-1", "us-east-1a"), "openstack": ("RegionOne", "nova"),
           "gcp": ("us-central1", "us-central1-a"), "azure": ("eastus", "1"),
           "alibaba": ("cn-hangzhou", "cn-hangzhou-h")}


class Twin:
    """One cloudtwin process; stop() by pid."""

    def __init__(self, config, tls_dir, work):
        self.ready = os.path.join(work, "ready-%d.json" % time.monotonic_ns())
        args = [BIN, "--listen", "127.0.0.1:0", "--tls-dir", tls_dir, "--ready-file", self.ready]
        if config:
            args += ["--config", config]
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not os.path.exists(self.ready):
            if self.p.poll() is not None:
                sys.exit("cloudtwin exited: " + self.p.stderr.read().decode())
            if time.monotonic() - self.t0 > 120:
                self.stop()
                sys.exit("cloudtwin not ready in 120 s")
            time.sleep(0.002)
        self.startup = time.monotonic() - self.t0
        with open(self.ready) as f:
            r = json.load(f)
        self.http, self.ca = r["http"], r["ca_file"]

    def rss_kib(self, field="VmRSS"):
        """Resident memory now (VmRSS) or at its peak (VmHWM), in KiB."""
        with open("/proc/%d/status" % self.p.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def bench_config(path, preload):
    clouds = [{"name": d, "dialect": d, "preload_vms": preload,
               "regions": [{"name": r, "zones": [z]}]} for d, (r, z) in REGIONS.items()]
    with open(path, "w") as f:
        json.dump({"defaults": {"quota": {"vcpus_per_region": 0}}, "clouds": clouds}, f)


# ---- one full listing per dialect: (VMs seen, HTTP requests made) -----------

def list_aws(c, s, _auth):
    r = twinlib.ec2_raw(c, {"Action": "DescribeInstances"}, session=s)
    r.raise_for_status()
    return r.content.count(b"<instanceId>"), 1


def list_openstack(c, s, auth):
    url, n, pages = auth["compute"] + "/servers/detail", 0, 0
    while url:
        r = s.get(url, headers={"X-Auth-Token": auth["token"]}, timeout=60)
        r.raise_for_status()
        doc = r.json()
        n, pages = n + len(doc["servers"]), pages + 1
        url = next((lk["href"] for lk in doc.get("servers_links", []) if lk["rel"] == "next"),
                   None)
    return n, pages


def list_gcp(c, s, auth):
    url = "%sprojects/%s/zones/%s/instances" % (c["endpoint"], c["credential"]["project_id"],
                                                c["zone"])
    hdr, n, pages, params = {"Authorization": "Bearer " + auth["token"]}, 0, 0, {}
    while True:
        r = s.get(url, headers=hdr, params=params, timeout=60)
        r.raise_for_status()
        doc = r.json()
        n, pages = n + len(doc.get("items", [])), pages + 1
        if "nextPageToken" not in doc:
            return n, pages
        params = {"pageToken": doc["nextPageToken"]}


def list_azure(c, s, auth):
    url = "%ssubscriptions/%s/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01" % (
        c["endpoint"], c["credential"]["subscription_id"])
    n, pages = 0, 0
    while url:
        r = s.get(url, headers={"Authorization": "Bearer " + auth["token"]}, verify=c["ca_file"],
                  timeout=60)
        r.raise_for_status()
        doc = r.json()
        n, pages = n + len(doc["value"]), pages + 1
        url = doc.get("nextLink")
    return n, pages


def list_alibaba(c, s, _auth):
    n, pages, total = 0, 0, None
    while total is None or n < total:
        r = twinlib.ecs_raw(c, {"Action": "DescribeInstances", "RegionId": c["region"],
                                "Format": "JSON", "PageSize": "100",
                                "PageNumber": str(pages + 1)}, session=s)
        r.raise_for_status()
        doc = r.json()
        got = len(doc["Instances"]["Instance"])
        n, pages, total = n + got, pages + 1, doc["TotalCount"]
        if not got:
            break
    return n, pages


def authenticate(dialect, c, s):
    if dialect == "openstack":
        tok, r = twinlib.keystone_token(c)
        cat = r.json()["token"]["catalog"]
        compute = next(e["url"] for svc in cat if svc["type"] == "compute"
                       for e in svc["endpoints"]
                       if e["interface"] == "public" and e["region"] == c["region"])
        return {"token": tok, "compute": compute}
    if dialect == "gcp":
        cr = service_account.Credentials.from_service_account_info(
            c["credential"], scopes=["https://www.googleapis.com/auth/compute"])
        cr.refresh(Request(s))
        return {"token": cr.token}
    if dialect == "azure":
        return {"token": twinlib.aad_token(c)[0]}
    return {}


LISTERS = {"aws": list_aws, "openstack": list_openstack, "gcp": list_gcp, "azure": list_azure,
           "alibaba": list_alibaba}


def bench_lists(twin):
    twinlib.HTTP = twin.http
    rows = []
    for d, lister in LISTERS.items():
        c = twinlib.cloud(d)
        s = requests.Session()
        auth = authenticate(d, c, s)
        n, pages = lister(c, s, auth)  # warm-up, and the check
        if n != VMS:
            sys.exit("%s: a listing saw %d VMs, not %d" % (d, n, VMS))
        times, t_end, cpu0 = [], time.monotonic() + SECONDS, time.process_time()
        while time.monotonic() < t_end or len(times) < 3:
            t = time.monotonic()
            n, _ = lister(c, s, auth)
            times.append(time.monotonic() - t)
            if n != VMS:
                sys.exit("%s: a listing saw %d VMs, not %d" % (d, n, VMS))
        total = sum(times)
        rows.append((d, pages, len(times) / total, len(times) * pages / total,
                     statistics.median(times) * 1000,
                     100 * (time.process_time() - cpu0) / total))
        s.close()
    return rows


def main():
    work = tempfile.mkdtemp(prefix="twin-bench.")
    tls = os.path.join(work, "tls")
    conf = os.path.join(work, "bench.json")
    try:
        print("cloudtwin benchmark, %s, %d cores, %s" % (
            time.strftime("%Y-%m-%d"), os.cpu_count(), os.uname().release))

        # start-up: the first run also makes the CA and keys in an empty --tls-dir
        first = Twin(SCALE, tls, work)
        first.stop()
        runs = []
        for _ in range(5):
            t = Twin(SCALE, tls, work)
            runs.append((t.startup, t.rss_kib()))
            t.stop()
        print("start-up, 100 clouds x 100 VMs: median %.0f ms (min %.0f, max %.0f, 5 runs); "
              "first run with CA and key generation %.0f ms; RSS %.1f MiB" % (
                  statistics.median(r[0] for r in runs) * 1000, min(r[0] for r in runs) * 1000,
                  max(r[0] for r in runs) * 1000, first.startup * 1000,
                  statistics.median(r[1] for r in runs) / 1024))

        bench_config(conf, 0)
        empty = Twin(conf, tls, work)
        rss0 = empty.rss_kib()
        empty.stop()
        bench_config(conf, VMS)
        twin = Twin(conf, tls, work)
        rss1 = twin.rss_kib()
        print("resident memory: %.1f MiB with 5 empty clouds, %.1f MiB with 5 x %d VMs "
              "(start-up %.0f ms): %.0f bytes per VM" % (
                  rss0 / 1024, rss1 / 1024, VMS, twin.startup * 1000,
                  (rss1 - rss0) * 1024 / (5 * VMS)))
        try:
            rows = bench_lists(twin)
            peak = twin.rss_kib("VmHWM")
            time.sleep(6)  # cloudtwin trims its heap every 5 s
            rss2 = twin.rss_kib()
        finally:
            twin.stop()
        print("list all %d VMs, one client, keep-alive, %.0f s per dialect:" % (VMS, SECONDS))
        print("  %-10s %6s %12s %12s %12s %12s" % ("dialect", "pages", "listings/s",
                                                   "requests/s", "median ms", "client CPU"))
        for d, pages, lps, rps, med, cpu in rows:
            print("  %-10s %6d %12.2f %12.1f %12.0f %11.0f%%" % (d, pages, lps, rps, med, cpu))
        print("resident memory: peak %.1f MiB during the listings, %.1f MiB 6 s after" % (
            peak / 1024, rss2 / 1024))
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
