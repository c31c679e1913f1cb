"""libcloud's GCE driver against cloudtwin: the service-account JWT
exchange, sizes, images, create (operation polled to DONE), list, reboot
(reset), destroy; each state change observed.

libcloud's GCE driver takes no host or port, so its connections to the
Google hosts are redirected to cloudtwin (clouds.md, "The libcloud GCE
harness"); paths stay Google's, and cloudtwin routes them by project.

usage: gce_libcloud.py CLOUD KEYFILE
"""
import os
import sys
import tempfile
from urllib.parse import urlparse

import libcloud.common.base as base
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from twinlib import HTTP, check, cloud, expect_error, inventory, wait_for

name, keyfile = sys.argv[1], sys.argv[2]
c = cloud(name)
cred = c["credential"]
twin = urlparse(HTTP)
GOOGLE = {"www.googleapis.com", "accounts.google.com", "oauth2.googleapis.com",
          "compute.googleapis.com"}
_orig = base.Connection.__init__


def _init(self, *a, **kw):
    _orig(self, *a, **kw)
    if self.host in GOOGLE:
        self.host, self.port, self.secure = twin.hostname, twin.port, 0


base.Connection.__init__ = _init
cache = os.path.join(tempfile.mkdtemp(prefix="gce-token."), "token")
cls = get_driver(Provider.GCE)
zone = c["zone"]
d = cls(cred["client_email"], keyfile, project=cred["project_id"], datacenter=zone,
        auth_type="SA", credential_file=cache)

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
check(d.reboot_node(node) is True, "reboot_node (reset)")
check(state() == NodeState.RUNNING, "reset leaves the status RUNNING")
check(d.ex_stop_node(node) is True, "ex_stop_node")
wait_for(state, NodeState.STOPPED, "STOPPING -> TERMINATED (stopped)")
check(d.ex_start_node(node) is True, "ex_start_node")
wait_for(state, NodeState.RUNNING, "STAGING -> RUNNING")
check(d.destroy_node(node) is True, "destroy_node")
check(state() is None, "a deleted instance is gone once its operation is DONE")
expect_error(lambda: d.ex_get_node("lc-gce", zone), "not found", "get of a deleted instance")
