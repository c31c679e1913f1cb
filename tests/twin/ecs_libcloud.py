"""libcloud's Aliyun ECS driver against cloudtwin (V2 signature, XML,
GET): regions, sizes, images, security groups, create (CreateInstance,
then start), list, reboot, destroy (stop, then delete); each state change
observed.

usage: ecs_libcloud.py CLOUD
"""
import sys
from urllib.parse import urlparse

from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from twinlib import check, cloud, expect_error, inventory, wait_for

name = sys.argv[1]
c = cloud(name)
cr = c["credential"]
url = urlparse(c["endpoint"])
cls = get_driver(Provider.ALIYUN_ECS)


def driver(secret):
    return cls(cr["access_key_id"], secret, region=c["region"], host=url.hostname,
               port=url.port, secure=False)


d = driver(cr["access_key_secret"])
locs = d.list_locations()
check([l.id for l in locs] == ["cn-hangzhou", "ap-southeast-1"], "list_locations",
      [l.id for l in locs])
sizes = d.list_sizes()
check(any(s.id == "ecs.g6.large" and s.ram == 8 for s in sizes), "list_sizes (MemorySize in GiB)",
      [(s.id, s.ram) for s in sizes])
images = d.list_images()
check(any(i.id == "ubuntu_22_04_x64_20G_alibase_20240130.vhd" for i in images), "list_images",
      [i.id for i in images])
groups = d.ex_list_security_groups()
check(len(groups) == 1, "ex_list_security_groups", groups)

size = [s for s in sizes if s.id == "ecs.g6.large"][0]
image = [i for i in images if i.id == "ubuntu_22_04_x64_20G_alibase_20240130.vhd"][0]
d._wait_until_state.__func__.__defaults__ = (0.3, 60)   # poll every 0.3 s, not 3 s
node = d.create_node("lc-ecs", size, image, ex_security_group_id=groups[0].id,
                     ex_internet_charge_type="PayByTraffic", ex_internet_max_bandwidth_out=5)
check(node.state in (NodeState.STOPPED, NodeState.PENDING, NodeState.RUNNING),
      "create_node (CreateInstance, StartInstance, wait)", node.state)
inv = [v for v in inventory(name) if v["id"] == node.id][0]
check(inv["status"] == "Running", "running after create_node", inv["status"])


def state():
    found = d.list_nodes(ex_node_ids=[node.id])
    return found[0].state if found else None


check(state() == NodeState.RUNNING, "list_nodes by InstanceIds (a JSON array)")
n = d.list_nodes(ex_node_ids=[node.id])[0]
check(n.public_ips == [inv["public_ip"]], "a public address (bandwidth out > 0)", n.public_ips)
check(n.extra["vpc_attributes"]["private_ip_address"] == inv["private_ip"],
      "the VPC private address", n.extra["vpc_attributes"])
check(d.reboot_node(node) is True, "reboot_node waits for Running again")
check(d.ex_stop_node(node) is True, "ex_stop_node waits for Stopped")
check(d.ex_start_node(node) is True, "ex_start_node waits for Running")
check(d.destroy_node(node) is True, "destroy_node (StopInstance, then DeleteInstance)")
check(state() is None, "a deleted instance leaves the list")

expect_error(lambda: driver("wrong").list_nodes(), "SignatureDoesNotMatch", "a wrong secret")
expect_error(lambda: d.ex_start_node(node), "InvalidInstanceId.NotFound",
             "an action on a deleted instance")
