"""Shared helpers for the real-client scripts that test cloudtwin.

Each script runs under Debian's /usr/bin/python3 (where python3-libcloud,
boto3 and google-auth live), started by a tests/integration/twin-*.sh
script that exported TWIN_HTTP (and TWIN_HTTPS, TWIN_CA).  A script exits
non-zero on the first failed check, printing what it saw.
"""
import json
import os
import sys
import time
import urllib.request

HTTP = os.environ.get("TWIN_HTTP", "")
HTTPS = os.environ.get("TWIN_HTTPS", "")
CA = os.environ.get("TWIN_CA", "")


def control(path, method="GET", body=None):
    """Call the /_twin/ control API; returns the decoded JSON."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(HTTP + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def cloud(name):
    """The /_twin/clouds entry of a cloud: endpoint, credential, ..."""
    return control("/_twin/clouds/" + name)


def inventory(name):
    return control("/_twin/clouds/%s/inventory" % name)["vms"]


def check(cond, what, *seen):
    if not cond:
        print("FAIL:", what, *seen, file=sys.stderr)
        sys.exit(1)
    print("ok:", what)


def same(a, b):
    """Equality that survives libcloud's NodeState, whose != None is False."""
    if a is None or b is None:
        return a is b
    return a == b


def wait_for(fetch, want, what, timeout=30.0, every=0.2):
    """Poll fetch() until it returns want (or a value in want when it is a
    tuple); returns the sequence of distinct values seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        v = fetch()
        if not seen or not same(seen[-1], v):
            seen.append(v)
        if same(v, want) or (isinstance(want, tuple) and any(same(v, w) for w in want)):
            print("ok:", what, "->", " > ".join(str(s) for s in seen))
            return seen
        if time.monotonic() > deadline:
            check(False, what, "timed out; seen", seen)
        time.sleep(every)


def expect_error(fn, text, what):
    """fn() must raise an exception whose text contains `text`."""
    try:
        fn()
    except Exception as e:  # the clients raise their own types
        check(text in str(e), what, repr(e))
        return e
    check(False, what, "no error raised")
