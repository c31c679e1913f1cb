"""The 100 x 100 configuration (tools/cloudtwin/examples/scale-100x100.json)
in one cloudtwin: 100 clouds in /_twin/clouds, each with its own
credential, 10,000 VMs in /_twin/inventory; real clients on sample
replicas of each dialect see exactly their own cloud's 100 VMs; a VM made
in one replica is invisible to its neighbour, whose credentials do not
open it.

usage: scale_check.py WORKDIR     (service-account key files go there)
"""
import collections
import json
import os
import sys

import requests
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from twinlib import (aad_token, check, cloud, control, expect_error, gce_driver, inventory,
                     wait_for)

work = sys.argv[1]
DIALECTS = ("aws", "openstack", "gcp", "azure", "alibaba")
KEY = {"aws": "access_key_id", "openstack": "password", "gcp": "project_id",
       "azure": "subscription_id", "alibaba": "access_key_id"}
PER_CLOUD = 100

# ---- the control API ---------------------------------------------------------
clouds = control("/_twin/clouds")
check(len(clouds) == 100, "/_twin/clouds lists 100 clouds", len(clouds))
count = collections.Counter(c["dialect"] for c in clouds)
check(all(count[d] == 20 for d in DIALECTS), "20 replicas of each dialect", dict(count))
check(len({c["name"] for c in clouds}) == 100, "cloud names are unique")
for d in DIALECTS:
    creds = {c["credential"][KEY[d]] for c in clouds if c["dialect"] == d}
    check(len(creds) == 20, "each %s replica has its own %s" % (d, KEY[d]), len(creds))
inv = control("/_twin/inventory")
check(len(inv) == 100, "/_twin/inventory has every cloud", len(inv))
sizes = {name: len(v["vms"]) for name, v in inv.items()}
check(set(sizes.values()) == {PER_CLOUD} and sum(sizes.values()) == 10000,
      "10,000 VMs, 100 in each cloud", sum(sizes.values()))
running = sum(vm["state"] == "running" for v in inv.values() for vm in v["vms"])
check(running == 10000, "every preloaded VM is running", running)


def inventory_ids(name):
    return sorted(vm["id"] for vm in inventory(name) if vm["state"] != "terminated")


def same_vms(name, ids, client):
    want = inventory_ids(name)
    check(sorted(ids) == want, "%s: %s lists the cloud's %d VMs" % (name, client, len(want)),
          len(ids))


def regions(c):
    return [r["name"] for r in c["regions"]]


# ---- real clients on sample replicas -----------------------------------------
def ec2(c, secret=None):
    from urllib.parse import urlparse
    url, cr = urlparse(c["endpoint"]), c["credential"]
    return lambda region: get_driver(Provider.EC2)(
        cr["access_key_id"], secret or cr["secret_access_key"], region=region,
        host=url.hostname, port=url.port, secure=False)


def openstack(c):
    cr = c["credential"]
    return lambda region: get_driver(Provider.OPENSTACK)(
        cr["username"], cr["password"], api_version="2.0",
        ex_force_auth_url=c["endpoint"] + "/auth/tokens", ex_force_auth_version="3.x_password",
        ex_tenant_name=cr["project"], ex_domain_name=cr["domain"],
        ex_force_service_region=region)


def ecs(c):
    from urllib.parse import urlparse
    url, cr = urlparse(c["endpoint"]), c["credential"]
    return lambda region: get_driver(Provider.ALIYUN_ECS)(
        cr["access_key_id"], cr["access_key_secret"], region=region, host=url.hostname,
        port=url.port, secure=False)


def per_region(c, make):
    ids = []
    for r in regions(c):
        ids += [n.id for n in make(r).list_nodes()]
    return ids


def keyfile(c):
    path = os.path.join(work, c["name"] + ".json")
    with open(path, "w") as f:
        json.dump(c["credential"], f)
    return path


def arm_list(c, token):
    url = "%ssubscriptions/%s/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01" % (
        c["endpoint"], c["credential"]["subscription_id"])
    ids = []
    while url:
        r = requests.get(url, headers={"Authorization": "Bearer " + token}, verify=c["ca_file"],
                         timeout=30)
        if r.status_code != 200:
            return r
        doc = r.json()
        ids += [v["id"] for v in doc["value"]]
        url = doc.get("nextLink")
    return ids


for name in ("aws-001", "aws-007", "aws-020"):
    same_vms(name, per_region(cloud(name), ec2(cloud(name))), "libcloud EC2 (SigV4)")
for name in ("openstack-002", "openstack-013"):
    same_vms(name, per_region(cloud(name), openstack(cloud(name))), "libcloud OpenStack")
for name in ("gcp-011", "gcp-020"):
    c = cloud(name)
    same_vms(name, [n.extra["id"] for n in gce_driver(c, keyfile(c)).list_nodes(ex_zone="all")],
             "libcloud GCE")
for name in ("alibaba-003", "alibaba-020"):
    same_vms(name, per_region(cloud(name), ecs(cloud(name))), "libcloud ECS")
az = {n: cloud(n) for n in ("azure-018", "azure-019")}
tokens = {n: aad_token(c)[0] for n, c in az.items()}
for name, c in az.items():
    arm = arm_list(c, tokens[name])
    check(isinstance(arm, list), "%s: ARM list with its AAD token" % name, arm)
    want = sorted(vm["name"] for vm in inventory(name) if vm["state"] != "terminated")
    check(sorted(v.rsplit("/", 1)[1] for v in arm) == want,
          "%s: ARM lists the cloud's %d VMs" % (name, len(want)), len(arm))

# ---- replicas are separate clouds --------------------------------------------
five, six = cloud("aws-005"), cloud("aws-006")
d5 = ec2(five)(five["region"])
size = [s for s in d5.list_sizes() if s.id == "t3.micro"][0]
image = d5.list_images(ex_image_ids=["ami-0c7217cdde317cfec"])[0]
node = d5.create_node("scale-probe", size, image)
check(len(inventory_ids("aws-005")) == PER_CLOUD + 1, "aws-005 has the new VM")
check(len(inventory_ids("aws-006")) == PER_CLOUD, "aws-006 does not")
expect_error(lambda: ec2(six)(six["region"]).list_nodes(ex_node_ids=[node.id]),
             "InvalidInstanceID.NotFound", "aws-006's key cannot see aws-005's VM")
expect_error(lambda: ec2(five, six["credential"]["secret_access_key"])(five["region"]).list_nodes(),
             "SignatureDoesNotMatch", "aws-005's key with aws-006's secret")
check(d5.destroy_node(node), "destroy_node on aws-005")
wait_for(lambda: [n.state for n in d5.list_nodes(ex_node_ids=[node.id])][0],
         NodeState.TERMINATED, "the probe VM terminates")

g11, g12 = cloud("gcp-011"), cloud("gcp-012")
from google.oauth2 import service_account  # noqa: E402
from google.auth.transport.requests import Request  # noqa: E402
sa = service_account.Credentials.from_service_account_info(
    g11["credential"], scopes=["https://www.googleapis.com/auth/compute"])
sa.refresh(Request())
r = requests.get("%sprojects/%s/zones/%s/instances" % (
    g12["endpoint"], g12["credential"]["project_id"], g12["zone"]),
    headers={"Authorization": "Bearer " + sa.token}, timeout=30)
check(r.status_code == 403 and "PERMISSION_DENIED" in r.text,
      "gcp-011's token does not open gcp-012", r.status_code, r.text[:200])
arm = arm_list(az["azure-018"], tokens["azure-019"])
check(not isinstance(arm, list) and arm.status_code == 401,
      "azure-019's token does not open azure-018's subscription",
      getattr(arm, "status_code", "a list"))
