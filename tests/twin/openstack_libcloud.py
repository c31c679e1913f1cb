"""libcloud's OpenStack driver against cloudtwin (Keystone v3 password
auth): sizes, images, networks, security groups, create, list, reboot,
destroy; each state change observed.

usage: openstack_libcloud.py CLOUD 2.0|1.1     (libcloud api_version)
"""
import sys

from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from twinlib import check, cloud, expect_error, inventory, wait_for

name, api = sys.argv[1], sys.argv[2]
c = cloud(name)
cred = c["credential"]
cls = get_driver(Provider.OPENSTACK)


def driver(password):
    return cls(cred["username"], password, api_version=api,
               ex_force_auth_url=c["endpoint"] + "/auth/tokens",
               ex_force_auth_version="3.x_password", ex_tenant_name=cred["project"],
               ex_domain_name="Default", ex_force_service_region=c["region"])


d = driver(cred["password"])
sizes = d.list_sizes()
check(any(s.name == "m1.small" and s.ram == 2048 for s in sizes), "list_sizes",
      [(s.name, s.ram) for s in sizes])
images = d.list_images()
check(any(i.name == "cirros-0.6.2-x86_64-disk" for i in images), "list_images",
      [i.name for i in images])
nets = d.ex_list_networks()
check(any(n.name == "private" for n in nets), "ex_list_networks", [n.name for n in nets])
groups = d.ex_list_security_groups()
check(any(g.name == "default" for g in groups), "ex_list_security_groups",
      [g.name for g in groups])

size = [s for s in sizes if s.name == "m1.small"][0]
image = [i for i in images if i.name == "cirros-0.6.2-x86_64-disk"][0]
node = d.create_node(name="lc-os-%s" % api, size=size, image=image,
                     ex_metadata={"team": "green"}, ex_userdata="#cloud-config\n")
check(node.state == NodeState.PENDING, "create_node returns a building node", node.state)
inv = [v for v in inventory(name) if v["id"] == node.id][0]
check(inv["tags"].get("team") == "green", "metadata kept", inv["tags"])
check(inv["user_data"] == "#cloud-config\n", "user data kept", inv["user_data"])


def state():
    found = [n for n in d.list_nodes() if n.id == node.id]
    return found[0].state if found else None


wait_for(state, NodeState.RUNNING, "BUILD -> ACTIVE")
check(d.reboot_node(node) is True, "reboot_node")
wait_for(state, NodeState.RUNNING, "REBOOT -> ACTIVE", every=0.05)
check(d.destroy_node(node) is True, "destroy_node")
wait_for(state, None, "deleted servers leave the list")

expect_error(lambda: driver("wrong").list_nodes(), "Invalid credentials",
             "a wrong password is refused")
