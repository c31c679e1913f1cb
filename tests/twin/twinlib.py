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


# ---- raw requests, signed as each cloud wants them ---------------------------

def ec2_raw(cloud_desc, params, region=None, session=None):
    """POST an EC2 Query call signed with botocore's SigV4; the response."""
    import requests
    from urllib.parse import urlencode
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    cred = cloud_desc["credential"]
    body = urlencode(dict(params, Version="2016-11-15"))
    req = AWSRequest(method="POST", url=cloud_desc["endpoint"], data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(cred["access_key_id"], cred["secret_access_key"]), "ec2",
              region or cloud_desc["region"]).add_auth(req)
    return (session or requests).post(cloud_desc["endpoint"], data=body,
                                      headers=dict(req.headers), timeout=60)


def ecs_raw(cloud_desc, params, method="GET", secret=None, session=None):
    """An ECS RPC call signed with V2 (HMAC-SHA1); the response."""
    import base64
    import hashlib
    import hmac
    import requests
    import uuid
    from urllib.parse import quote
    cred = cloud_desc["credential"]

    def pct(s):
        return quote(str(s), safe="-_.~")

    p = dict({"Format": "XML", "Version": "2014-05-26"}, **params)
    p.update(AccessKeyId=cred["access_key_id"], SignatureMethod="HMAC-SHA1",
             SignatureVersion="1.0", SignatureNonce=str(uuid.uuid4()),
             Timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    canon = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(p.items()))
    sts = method + "&%2F&" + pct(canon)
    key = (secret or cred["access_key_secret"]) + "&"
    p["Signature"] = base64.b64encode(hmac.new(key.encode(), sts.encode(),
                                               hashlib.sha1).digest()).decode()
    http = session or requests
    if method == "GET":
        return http.get(cloud_desc["endpoint"], params=p, timeout=60)
    return http.post(cloud_desc["endpoint"], data=p, timeout=60)


def keystone_token(cloud_desc):
    import requests
    cred = cloud_desc["credential"]
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": cred["username"], "domain": {"name": cred["domain"]},
        "password": cred["password"]}}}, "scope": {"project": {
            "name": cred["project"], "domain": {"name": cred["domain"]}}}}}
    r = requests.post(cloud_desc["endpoint"] + "/auth/tokens", json=body, timeout=10)
    return r.headers["X-Subject-Token"], r


def aad_token(cloud_desc, base=None):
    import requests
    cred = cloud_desc["credential"]
    r = requests.post("%s/%s/oauth2/token" % (base or cloud_desc["auth_endpoint"], cred["tenant_id"]),
                      data={"grant_type": "client_credentials", "client_id": cred["client_id"],
                            "client_secret": cred["client_secret"],
                            "resource": "https://management.core.windows.net/"},
                      verify=cloud_desc.get("ca_file") or True, timeout=10)
    return r.json()["access_token"], r


_GOOGLE = {"www.googleapis.com", "accounts.google.com", "oauth2.googleapis.com",
           "compute.googleapis.com"}


def gce_driver(cloud_desc, keyfile):
    """libcloud's GCE driver for a cloud, its zone as datacenter.

    The driver takes no host or port, so its connections to the Google
    hosts are redirected to cloudtwin (clouds.md, "The libcloud GCE
    harness"); paths stay Google's, and cloudtwin routes them by project.
    Each driver gets its own token cache file."""
    import tempfile
    from urllib.parse import urlparse
    import libcloud.common.base as base
    from libcloud.compute.providers import get_driver
    from libcloud.compute.types import Provider

    if not getattr(base.Connection, "_twin_redirect", False):
        twin, orig = urlparse(HTTP), base.Connection.__init__

        def init(self, *a, **kw):
            orig(self, *a, **kw)
            if self.host in _GOOGLE:
                self.host, self.port, self.secure = twin.hostname, twin.port, 0

        base.Connection.__init__ = init
        base.Connection._twin_redirect = True
    cred = cloud_desc["credential"]
    cache = os.path.join(tempfile.mkdtemp(prefix="gce-token."), "token")
    return get_driver(Provider.GCE)(cred["client_email"], keyfile, project=cred["project_id"],
                                    datacenter=cloud_desc["zone"], auth_type="SA",
                                    credential_file=cache)
