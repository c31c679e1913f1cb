"""libcloud's Azure ARM driver against cloudtwin over TLS: the AAD v1
token, locations, sizes, the image tree, a virtual network, create (NIC
made by libcloud), list with power states, reboot, destroy (NIC removed
after the VM is gone); each state change observed.

libcloud keeps only the host names of its endpoints, so cloudtwin's TLS
listener must be on 127.0.0.1:443 and trusted through CA_CERTS_PATH.

usage: azure_libcloud.py CLOUD
"""
import base64
import sys

import libcloud.security
from libcloud.compute.base import NodeAuthSSHKey
from libcloud.compute.drivers.azure_arm import AzureSubnet
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from twinlib import check, cloud, expect_error, inventory, wait_for

name = sys.argv[1]
c = cloud(name)
cr = c["credential"]
libcloud.security.CA_CERTS_PATH = c["ca_file"]
env = {"resourceManagerEndpointUrl": "https://127.0.0.1/",
       "activeDirectoryEndpointUrl": "https://127.0.0.1/",
       "activeDirectoryResourceId": "https://management.core.windows.net/",
       "storageEndpointSuffix": ".core.windows.net"}
cls = get_driver(Provider.AZURE_ARM)


def driver(secret):
    return cls(tenant_id=cr["tenant_id"], subscription_id=cr["subscription_id"],
               key=cr["client_id"], secret=secret, cloud_environment=env, region=c["region"])


d = driver(cr["client_secret"])
locs = d.list_locations()
check([l.id for l in locs] == ["eastus", "koreacentral"], "list_locations", locs)
loc = locs[0]
sizes = d.list_sizes(loc)
check(any(s.name == "Standard_B1s" and s.ram == 1024 for s in sizes), "list_sizes",
      [s.name for s in sizes])
images = d.list_images(loc)
ubuntu = [i for i in images if i.id.startswith("Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2")]
check(len(ubuntu) == 1, "list_images walks publishers, offers, skus, versions", images)

rg = cr["resource_group"]
vnet = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/net1" % (
    cr["subscription_id"], rg)
d.connection.request(vnet, params={"api-version": "2020-06-01"}, method="PUT", data={
    "location": loc.id, "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})
size = [s for s in sizes if s.name == "Standard_B1s"][0]
key = NodeAuthSSHKey("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 twin@test")
node = d.create_node("lc-az", size, ubuntu[0], key, ex_resource_group=rg,
                     ex_use_managed_disks=True, ex_network="net1", location=loc,
                     ex_tags={"team": "purple"})
check(node.extra["properties"]["provisioningState"] == "Creating", "create_node is Creating",
      node.extra["properties"]["provisioningState"])
inv = [v for v in inventory(name) if v["name"] == "lc-az"][0]
check(inv["tags"].get("team") == "purple", "tags kept", inv["tags"])


def state():
    found = [n for n in d.list_nodes() if n.name == "lc-az"]
    return found[0].state if found else None


wait_for(state, NodeState.RUNNING, "Creating -> running")
n = [x for x in d.list_nodes() if x.name == "lc-az"][0]
check(n.private_ips and n.private_ips[0] == inv["private_ip"], "the NIC carries the VM's address",
      n.private_ips)
check(d.reboot_node(n) is True, "reboot_node (restart)")
wait_for(state, NodeState.RUNNING, "restart -> running")
d.ex_stop_node(n, deallocate=True)
wait_for(state, NodeState.STOPPED, "deallocating -> deallocated")
d.ex_start_node(n)
wait_for(state, NodeState.RUNNING, "starting -> running")
check(d.destroy_node(n, ex_destroy_vhd=False, ex_poll_qty=30, ex_poll_wait=0.3) is True,
      "destroy_node (and its NIC)")
check(state() is None, "the VM is gone")
nics = [x.name for x in d.ex_list_nics(rg)]
check("lc-az-nic" not in nics, "its NIC was deleted after it", nics)

expect_error(lambda: driver("wrong").list_nodes(), "AADSTS7000215", "a wrong client secret")

# customData by a direct PUT (libcloud 3.4.1 cannot send it under Python 3),
# then the errors ARM gives for bad input
vm2 = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/raw-az" % (
    cr["subscription_id"], rg)
nic = d.ex_create_network_interface("raw-az-nic",
                                    AzureSubnet(vnet + "/subnets/default", "default", {}),
                                    rg, location=loc)
body = {"location": loc.id, "tags": {"k": "v"}, "properties": {
    "hardwareProfile": {"vmSize": "Standard_B1s"},
    "storageProfile": {"imageReference": {"publisher": "Debian", "offer": "debian-12",
                                          "sku": "12-gen2", "version": "latest"}},
    "osProfile": {"computerName": "raw-az", "adminUsername": "azureuser",
                  "customData": base64.b64encode(b"#!/bin/sh\necho hi\n").decode()},
    "networkProfile": {"networkInterfaces": [{"id": nic.id}]}}}
r = d.connection.request(vm2, params={"api-version": "2020-06-01"}, method="PUT", data=body)
check(r.status == 201 and "Azure-AsyncOperation".lower() in {h.lower() for h in r.headers},
      "PUT answers 201 with Azure-AsyncOperation", r.status)
inv = [v for v in inventory(name) if v["name"] == "raw-az"][0]
check(inv["user_data"] == "#!/bin/sh\necho hi\n", "customData kept (decoded)", inv["user_data"])
r = d.connection.request(vm2, params={"api-version": "2020-06-01"}, method="PUT", data=body)
check(r.status == 200, "a second PUT by id updates (200)", r.status)
# List All with statusOnly=true: every VM with its instance view, the power state in it
allvms = "/subscriptions/%s/providers/Microsoft.Compute/virtualMachines" % cr["subscription_id"]
r = d.connection.request(allvms, params={"api-version": "2024-03-01", "statusOnly": "true"})
views = {v["name"]: v["properties"].get("instanceView") for v in r.object["value"]}
check(views.get("raw-az") and any(s["code"].startswith("ProvisioningState/")
                                  for s in views["raw-az"]["statuses"]),
      "List All statusOnly=true carries each VM's instance view", views.get("raw-az"))
r = d.connection.request(allvms, params={"api-version": "2024-03-01"})
check(all("instanceView" not in v["properties"] for v in r.object["value"]),
      "List All without statusOnly has no instance views")
bad = dict(body, properties=dict(body["properties"], hardwareProfile={"vmSize": "Standard_X9"}))
expect_error(lambda: d.connection.request(vm2 + "x", params={"api-version": "2020-06-01"},
                                          method="PUT", data=bad), "InvalidParameter",
             "an unknown VM size")
img = dict(body["properties"]["storageProfile"]["imageReference"], offer="nosuch")
bad = dict(body, properties=dict(body["properties"], storageProfile={"imageReference": img}))
expect_error(lambda: d.connection.request(vm2 + "y", params={"api-version": "2020-06-01"},
                                          method="PUT", data=bad), "PlatformImageNotFound",
             "an unknown image")
expect_error(lambda: d.connection.request(vm2, method="GET"), "MissingApiVersionParameter",
             "no api-version")
r = d.connection.request(vm2, params={"api-version": "2020-06-01"}, method="DELETE")
check(r.status == 202, "DELETE answers 202", r.status)
wait_for(lambda: d.connection.request(vm2, params={"api-version": "2020-06-01"}).status
         if any(v["name"] == "raw-az" and v["state"] != "terminated" for v in inventory(name))
         else 404, 404, "the deleted VM goes away")
d.ex_destroy_nic(nic)
