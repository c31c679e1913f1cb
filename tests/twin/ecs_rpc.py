"""The ECS RPC API on the wire: V3 (ACS3-HMAC-SHA256, headers, JSON) and
V2 over a POST form, each signed here from the published algorithm (no
Debian package ships an ACS3 client); RunInstances with ClientToken,
DescribeInstances with InstanceIds, nonce replay, clock skew, and the
error codes ECS answers.

usage: ecs_rpc.py CLOUD
"""
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from urllib.parse import quote, urlparse

import requests

from twinlib import check, cloud, control, inventory

name = sys.argv[1]
c = cloud(name)
cr = c["credential"]
AK, SECRET = cr["access_key_id"], cr["access_key_secret"]
EP = c["endpoint"]
HOST = urlparse(EP).netloc
REGION = c["region"]


def pct(s):
    return quote(str(s), safe="-_.~")


def v3(action, params, secret=SECRET, nonce=None, date=None):
    query = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(params.items()))
    body_hash = hashlib.sha256(b"").hexdigest()
    headers = {"host": HOST, "x-acs-action": action, "x-acs-version": "2014-05-26",
               "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
               "x-acs-content-sha256": body_hash}
    names = sorted(headers)
    canon = "\n".join(["POST", "/", query, "".join("%s:%s\n" % (h, headers[h]) for h in names),
                       ";".join(names), body_hash])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canon.encode()).hexdigest()
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
        AK, ";".join(names), sig)
    return requests.post(EP + ("?" + query if query else ""), headers=headers, timeout=10)


def v2_form(params, secret=SECRET):
    p = dict(params, Format="JSON", Version="2014-05-26", AccessKeyId=AK,
             SignatureMethod="HMAC-SHA1", SignatureVersion="1.0",
             SignatureNonce=str(uuid.uuid4()),
             Timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    canon = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(p.items()))
    sts = "POST&%2F&" + pct(canon)
    p["Signature"] = base64.b64encode(hmac.new((secret + "&").encode(), sts.encode(),
                                               hashlib.sha1).digest()).decode()
    return requests.post(EP, data=p, timeout=10)


def code(r):
    return r.json().get("Code")


r = v3("DescribeRegions", {})
check(r.status_code == 200 and [x["RegionId"] for x in r.json()["Regions"]["Region"]] ==
      ["cn-hangzhou", "ap-southeast-1"], "V3: DescribeRegions in JSON", r.text)
r = v3("DescribeRegions", {}, secret="wrong")
check(r.status_code == 400 and code(r) == "SignatureDoesNotMatch", "V3: a wrong secret", r.text)
nonce = uuid.uuid4().hex
v3("DescribeRegions", {}, nonce=nonce)
r = v3("DescribeRegions", {}, nonce=nonce)
check(code(r) == "SignatureNonceUsed", "V3: a reused nonce", r.text)
r = v3("DescribeRegions", {}, date="2020-01-01T00:00:00Z")
check(code(r) == "InvalidTimeStamp.Expired", "V3: a stale date", r.text)

sg = v3("DescribeSecurityGroups", {"RegionId": REGION}).json()["SecurityGroups"]["SecurityGroup"][0]
run = {"RegionId": REGION, "ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
       "InstanceType": "ecs.g6.large", "SecurityGroupId": sg["SecurityGroupId"], "Amount": 2,
       "InstanceName": "rpc-vm", "ClientToken": "tok-" + uuid.uuid4().hex,
       "UserData": base64.b64encode(b"#!/bin/sh\necho hi\n").decode(),
       "Tag.1.Key": "team", "Tag.1.Value": "orange"}
r = v3("RunInstances", run)
ids = r.json()["InstanceIdSets"]["InstanceIdSet"]
check(r.status_code == 200 and len(ids) == 2, "V3: RunInstances Amount=2", r.text)
r = v3("RunInstances", run)
check(r.json()["InstanceIdSets"]["InstanceIdSet"] == ids, "ClientToken: the same ids again", r.text)
r = v3("RunInstances", dict(run, InstanceType="ecs.c6.large"))
check(code(r) == "IdempotentParameterMismatch", "ClientToken with other parameters", r.text)
inv = {v["id"]: v for v in inventory(name)}
check(all(inv[i]["user_data"] == "#!/bin/sh\necho hi\n" and inv[i]["tags"] == {"team": "orange"}
          for i in ids), "user data and tags kept")

r = v2_form({"Action": "DescribeInstances", "RegionId": REGION, "InstanceIds": json.dumps(ids)})
got = r.json()
check(r.status_code == 200 and sorted(x["InstanceId"] for x in got["Instances"]["Instance"]) ==
      sorted(ids) and got["TotalCount"] == 2, "V2 form: DescribeInstances by InstanceIds", r.text)
r = v2_form({"Action": "DescribeInstances", "RegionId": REGION, "PageSize": 1, "PageNumber": 2,
             "Tag.1.Key": "team", "Tag.1.Value": "orange"})
check(len(r.json()["Instances"]["Instance"]) == 1 and r.json()["PageNumber"] == 2,
      "paging and tag filters", r.text)
r = v2_form({"Action": "DescribeInstances", "RegionId": REGION, "InstanceIds": "i-1"})
check(code(r) == "InvalidParameter", "InstanceIds that is not a JSON array", r.text)
r = v2_form({"Action": "DescribeInstances", "RegionId": REGION}, secret="wrong")
check(code(r) == "SignatureDoesNotMatch", "V2: a wrong secret", r.text)
r = v2_form({"Action": "DescribeInstances"})
check(code(r) == "MissingParameter", "no RegionId", r.text)
r = v2_form({"Action": "DescribeInstances", "RegionId": "mars-1"})
check(code(r) == "InvalidRegionId.NotFound", "an unknown region", r.text)
r = v2_form({"Action": "FlyToTheMoon", "RegionId": REGION})
check(code(r) == "InvalidAction.NotFound", "an unknown action", r.text)
r = v2_form(dict(run, Action="RunInstances", ImageId="nosuch.vhd", ClientToken="x"))
check(code(r) == "InvalidImageId.NotFound", "an unknown image", r.text)

deadline = time.time() + 20
while any(v["status"] != "Running" for v in inventory(name) if v["id"] in ids):
    check(time.time() < deadline, "instances reach Running")
    time.sleep(0.1)
r = v2_form({"Action": "StartInstance", "InstanceId": ids[0]})
check(code(r) == "IncorrectInstanceStatus", "StartInstance of a running instance", r.text)
r = v2_form({"Action": "DeleteInstance", "InstanceId": ids[0]})
check(code(r) == "IncorrectInstanceStatus", "DeleteInstance of a running one without Force", r.text)
for i in ids:
    r = v2_form({"Action": "DeleteInstance", "InstanceId": i, "Force": "true"})
    check(r.status_code == 200, "DeleteInstance with Force", r.text)
r = v2_form({"Action": "DescribeInstances", "RegionId": REGION, "InstanceIds": json.dumps(ids)})
check(r.json()["TotalCount"] == 0, "deleted instances leave the list at once", r.text)

control("/_twin/clouds/%s/faults" % name, "PATCH", {"vcpus_per_region": 2})
r = v3("RunInstances", dict(run, ClientToken="q-" + uuid.uuid4().hex))
check(code(r) == "QuotaExceed.ElasticQuota", "the vCPU quota", r.text)
control("/_twin/clouds/%s/faults" % name, "PATCH", {"vcpus_per_region": 1024})
