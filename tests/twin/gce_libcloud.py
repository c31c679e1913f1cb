"""libcloud's GCE driver against cloudtwin: the service-account JWT
exchange, sizes, images, create (operation polled to DONE), list, reboot
(reset), destroy; each state change observed.

libcloud's GCE driver takes no host or port: twinlib.gce_driver sends its
connections for the Google hosts to cloudtwin (clouds.md, "The libcloud
GCE harness"); paths stay Google's, and cloudtwin routes them by project.

usage: gce_libcloud.py CLOUD KEYFILE
"""
import sys

from libcloud.compute.types import NodeState

from twinlib import check, cloud, expect_error, gce_driver, inventory, wait_for

name, keyfile = sys.argv[1], sys.argv[2]
c = cloud(name)
zone = c["zone"]
d = gce_driver(c, keyfile)

sizes = d.list_sizes()
check(any(s.name == "e2-small" for s in sizes), "list_sizes", [s.name for s in sizes])
images = d.list_images()
check(any(i.name == "debian-12-bookworm-v20240110" for i in images), "list_images",
      [i.name for i in images])
image_url = ("https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/"
             "debian-12-bookworm-v20240110")
node = d.create_node("lc-gce", "e2-small", image_url, location=zone,
                     ex_metadata={"items": [{"key": "user-data", "value": "#cloud-config\n"}]},
                     ex_labels={"team": "yellow"})
check(node.name == "lc-gce" and node.state in (NodeState.RUNNING, NodeState.PENDING),
      "create_node waits for its operation", node.state)
inv = [v for v in inventory(name) if v["name"] == "lc-gce"][0]
check(inv["tags"].get("team") == "yellow", "labels kept", inv["tags"])
check(inv["user_data"] == "#cloud-config\n", "user data kept", inv["user_data"])


def state():
    found = [n for n in d.list_nodes() if n.name == "lc-gce"]
    return found[0].state if found else None


wait_for(state, NodeState.RUNNING, "PROVISIONING -> RUNNING")
node = d.ex_get_node("lc-gce", zone)
check(d.ex_set_node_labels(node, {"team": "blue", "tier": "web"}) is True, "ex_set_node_labels")
inv = [v for v in inventory(name) if v["name"] == "lc-gce"][0]
check(inv["tags"] == {"team": "blue", "tier": "web"}, "setLabels replaces the labels", inv["tags"])
expect_error(lambda: d.ex_set_node_labels(node, {"team": "red"}), "fingerprint",
             "setLabels with the fingerprint of labels since changed")
check(d.reboot_node(node) is True, "reboot_node (reset)")
check(state() == NodeState.RUNNING, "reset leaves the status RUNNING")
check(d.ex_stop_node(node) is True, "ex_stop_node")
wait_for(state, NodeState.STOPPED, "STOPPING -> TERMINATED (stopped)")
check(d.ex_start_node(node) is True, "ex_start_node")
wait_for(state, NodeState.RUNNING, "STAGING -> RUNNING")
check(d.destroy_node(node) is True, "destroy_node")
check(state() is None, "a deleted instance is gone once its operation is DONE")
expect_error(lambda: d.ex_get_node("lc-gce", zone), "not found", "get of a deleted instance")
