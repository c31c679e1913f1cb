"""python3-google-auth against cloudtwin's GCE dialect: the token URI of
the key file, the assertion checks (padded and unpadded base64url, wrong
key, wrong audience, expiry), and compute calls with an AuthorizedSession:
insert with requestId, operation GET and /wait, list filters and paging,
quota errors, delete.

usage: gce_googleauth.py CLOUD KEYFILE
"""
import base64
import json
import sys
import time
import uuid

import requests
from google.auth import crypt, jwt
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from twinlib import check, cloud, control, inventory

name, keyfile = sys.argv[1], sys.argv[2]
c = cloud(name)
info = c["credential"]
creds = service_account.Credentials.from_service_account_file(
    keyfile, scopes=["https://www.googleapis.com/auth/compute"])
s = AuthorizedSession(creds)
base = c["endpoint"] + "projects/%s" % info["project_id"]
zone = c["zone"]
zbase = base + "/zones/" + zone


def grant(assertion):
    return requests.post(c["auth_endpoint"], data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})


def assertion(signer_pem, **over):
    now = int(time.time())
    claims = {"iss": info["client_email"], "scope": "https://www.googleapis.com/auth/compute",
              "aud": c["auth_endpoint"], "iat": now, "exp": now + 3600}
    claims.update(over)
    return jwt.encode(crypt.RSASigner.from_string(signer_pem), claims).decode()


# the token exchange and its errors
pem = info["private_key"]
good = assertion(pem)
check(grant(good).status_code == 200, "a padded assertion is accepted")

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


now = int(time.time())
head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
payload = b64(json.dumps({"iss": info["client_email"], "scope": "x", "aud": c["auth_endpoint"],
                       "iat": now, "exp": now + 600}).encode())
sig = b64(crypt.RSASigner.from_string(pem).sign(head + b"." + payload))
check(grant((head + b"." + payload + b"." + sig).decode()).status_code == 200,
      "an unpadded assertion (RFC 7515) is accepted")
tampered = (head + b"." + payload[:-2] + b"xx." + sig).decode()
r = grant(tampered)
check(r.status_code == 400 and r.json()["error"] == "invalid_grant", "a tampered assertion", r.text)
other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()).decode()
r = grant(assertion(other))
check(r.status_code == 400 and r.json()["error"] == "invalid_grant", "a wrong key", r.text)
r = grant(assertion(pem, aud="https://example.com/token"))
check(r.status_code == 400 and "audience" in r.json()["error_description"], "a wrong aud", r.text)
r = grant(assertion(pem, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600))
check(r.status_code == 400 and r.json()["error"] == "invalid_grant", "an expired assertion", r.text)
r = requests.post(c["auth_endpoint"], data={"grant_type": "password", "assertion": good})
check(r.json().get("error") == "unsupported_grant_type", "a wrong grant type", r.text)
r = requests.get(zbase + "/instances")
check(r.status_code == 401 and r.json()["error"]["errors"][0]["reason"] == "required",
      "no bearer token", r.text)
r = requests.get(zbase + "/instances", headers={"Authorization": "Bearer ya29.forged"})
check(r.status_code == 401, "a forged bearer token", r.text)

# compute
body = {"name": "ga-vm", "machineType": "zones/%s/machineTypes/e2-small" % zone,
        "disks": [{"boot": True, "autoDelete": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
        "networkInterfaces": [{"network": "global/networks/default",
                               "accessConfigs": [{"name": "External NAT",
                                                  "type": "ONE_TO_ONE_NAT"}]}],
        "labels": {"team": "blue"},
        "metadata": {"items": [{"key": "user-data", "value": "#cloud-config\n"}]}}
rid = str(uuid.uuid4())
r = s.post(zbase + "/instances", params={"requestId": rid}, json=body)
check(r.status_code == 200 and r.json()["kind"] == "compute#operation", "insert", r.text)
op = r.json()
r2 = s.post(zbase + "/instances", params={"requestId": rid}, json=body)
check(r2.json()["name"] == op["name"], "the same requestId returns the same operation", r2.text)
r = s.get(zbase + "/instances/ga-vm")
check(r.json()["status"] in ("PROVISIONING", "STAGING"), "PROVISIONING first", r.json()["status"])
r = s.get(zbase + "/operations/" + op["name"])
check(r.json()["status"] in ("PENDING", "RUNNING", "DONE"), "operation GET", r.text)
r = s.post(zbase + "/operations/%s/wait" % op["name"])
check(r.json()["status"] == "DONE", "operation /wait returns DONE", r.text)
check(s.get(zbase + "/instances/ga-vm").json()["status"] == "RUNNING", "RUNNING after DONE")
r = s.post(zbase + "/instances", json=body)
check(r.status_code == 409 and r.json()["error"]["errors"][0]["reason"] == "alreadyExists",
      "a duplicate name", r.text)
body2 = dict(body, name="ga-vm2", labels={"team": "red"})
s.post(zbase + "/instances", json=body2)
names = [i["name"] for i in s.get(zbase + "/instances",
                                  params={"filter": 'labels.team = "blue"'}).json()["items"]]
check(names == ["ga-vm"], "a label filter", names)
names = [i["name"] for i in s.get(zbase + "/instances",
                                  params={"filter": "name eq ga-vm.*"}).json()["items"]]
check(sorted(names) == ["ga-vm", "ga-vm2"], "an eq (regex) filter", names)
r = s.get(zbase + "/instances", params={"filter": "colour = red"})
check(r.status_code == 400, "an unknown filter field", r.text)
page = s.get(zbase + "/instances", params={"maxResults": 1}).json()
check(len(page["items"]) == 1 and "nextPageToken" in page, "maxResults gives a page token", page)
page2 = s.get(zbase + "/instances", params={"maxResults": 1,
                                            "pageToken": page["nextPageToken"]}).json()
check(page2["items"][0]["name"] != page["items"][0]["name"], "the next page", page2)
agg = s.get(base + "/aggregated/instances").json()
check(len(agg["items"]["zones/" + zone]["instances"]) == 2, "aggregated list", agg)
r = s.get(base + "/zones/nowhere-1a/instances")
check(r.status_code == 404, "an unknown zone", r.text)
r = s.post(zbase + "/instances", params={"requestId": "not-a-uuid"}, json=body)
check(r.status_code == 400, "a bad requestId", r.text)
check(any(v["name"] == "ga-vm" and v["user_data"] == "#cloud-config\n" for v in inventory(name)),
      "user data kept")

# the vCPU quota ends the insert operation with QUOTA_EXCEEDED
control("/_twin/clouds/%s/faults" % name, "PATCH", {"vcpus_per_region": 4})
r = s.post(zbase + "/instances", json=dict(body, name="ga-big"))
op = s.post(zbase + "/operations/%s/wait" % r.json()["name"]).json()
check(op["status"] == "DONE" and op["error"]["errors"][0]["code"] == "QUOTA_EXCEEDED",
      "QUOTA_EXCEEDED in the operation", op)
control("/_twin/clouds/%s/faults" % name, "PATCH", {"vcpus_per_region": 1024})

for n in ("ga-vm", "ga-vm2"):
    op = s.delete(zbase + "/instances/" + n).json()
    check(op["operationType"] == "delete", "delete " + n)
    s.post(zbase + "/operations/%s/wait" % op["name"])
    check(s.get(zbase + "/instances/" + n).status_code == 404, n + " is 404 once DONE")
