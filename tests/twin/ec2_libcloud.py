"""libcloud's EC2 driver against cloudtwin: sizes, images, create, list
(with a tag filter), reboot, destroy; each state change observed.

usage: ec2_libcloud.py CLOUD 4|2     (signature version)
"""
import sys
from urllib.parse import urlparse

from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from twinlib import check, cloud, expect_error, inventory, wait_for

name, sigver = sys.argv[1], sys.argv[2]
c = cloud(name)
url = urlparse(c["endpoint"])
cred = c["credential"]
kw = dict(region=c["region"], host=url.hostname, port=url.port, secure=False)
if sigver == "4":
    kw["signature_version"] = "4"
cls = get_driver(Provider.EC2)
d = cls(cred["access_key_id"], cred["secret_access_key"], **kw)

sizes = d.list_sizes()
check(len(sizes) > 0, "list_sizes")
size = [s for s in sizes if s.id == "t3.micro"][0]
images = d.list_images(ex_owner="099720109477")
check(any(i.id == "ami-0c7217cdde317cfec" for i in images), "list_images", [i.id for i in images])
image = [i for i in images if i.id == "ami-0c7217cdde317cfec"][0]

node = d.create_node("lc-sig%s" % sigver, size, image, ex_userdata="#!/bin/sh\necho hi\n",
                     ex_metadata={"team": "blue team"})
check(node.state == NodeState.PENDING, "create_node returns a pending node", node.state)
inv = [v for v in inventory(name) if v["id"] == node.id][0]
check(inv["user_data"] == "#!/bin/sh\necho hi\n", "user data kept", inv["user_data"])
check(inv["tags"].get("team") == "blue team", "tags kept", inv["tags"])


def state():
    nodes = d.list_nodes(ex_node_ids=[node.id])
    return nodes[0].state if nodes else None


wait_for(state, NodeState.RUNNING, "pending -> running")
tagged = d.list_nodes(ex_filters={"tag:team": "blue team", "instance-state-name": "running"})
check([n.id for n in tagged] == [node.id], "list_nodes with a tag filter", [n.id for n in tagged])
check(d.list_nodes(ex_filters={"tag:team": "nobody"}) == [], "a tag filter that matches nothing")
check(d.reboot_node(node) is True, "reboot_node")
wait_for(state, NodeState.RUNNING, "running after reboot")
check(d.destroy_node(node) is True, "destroy_node")
wait_for(state, NodeState.TERMINATED, "shutting-down -> terminated")

bad = cls(cred["access_key_id"], "not-the-secret", **kw)
expect_error(bad.list_nodes, "SignatureDoesNotMatch", "a wrong secret is refused")
nobody = cls("AKIDNOBODY", "x", **kw)
expect_error(nobody.list_nodes, "AuthFailure", "an unknown key is refused")
