"""cloudtwin's answers against the real clouds' recorded answers in
../shared/fixtures/libcloud-compute: for each call both have, the element
or key paths of cloudtwin's body and of the recording.

A path is the chain of names from the root ("reservationSet/item/
instancesSet/item/instanceState/name", "servers[]/OS-EXT-STS:vm_state");
list items collapse into one.  For each pair two sets must be as listed
here: paths the recording has and cloudtwin does not (fields cloudtwin
chooses not to model, named one by one) and paths cloudtwin has that the
recording lacks (fields newer API versions added, named one by one).
Any other difference fails: a misspelt or invented name is caught.

usage: fixtures_compare.py FIXTURE_DIR      (clouds aws, openstack, gcp, azure, alibaba)
"""
import json
import os
import re
import sys
import time
import xml.etree.ElementTree as ET

import requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from twinlib import (HTTP, aad_token, check, cloud, ec2_raw, ecs_raw, keystone_token)

FIX = sys.argv[1]
failures = []


def xml_paths(text):
    root = ET.fromstring(text)
    out = set()

    def walk(el, prefix):
        for ch in el:
            tag = ch.tag.split("}")[-1]
            p = prefix + "/" + tag if prefix else tag
            out.add(p)
            walk(ch, p)
    walk(root, "")
    return out


def json_paths(doc, prefix=""):
    out = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = prefix + "/" + k if prefix else k
            out.add(p)
            out |= json_paths(v, p)
    elif isinstance(doc, list):
        for v in doc:
            out |= json_paths(v, prefix + "[]")
    return out


def generic(paths, *prefixes):
    """Paths with the name right after each prefix replaced by '*' (zone or
    network names that differ between a recording and cloudtwin)."""
    out = set()
    for p in paths:
        for pre in prefixes:
            if p.startswith(pre) and len(p) > len(pre):
                rest = p[len(pre):]
                cut = min([i for i in (rest.find("/"), rest.find("[")) if i >= 0] or [len(rest)])
                p = pre + "*" + rest[cut:]
        out.add(p)
    return out


def compare(what, ours, fixture, missing_ok=(), extra_ok=(), norm=()):
    """ours/fixture: path sets; norm: prefixes whose next name is generic."""
    if norm:
        ours, fixture = generic(ours, *norm), generic(fixture, *norm)

    def allowed(p, pats):
        return any(re.fullmatch(re.escape(a).replace(r"\*", ".*"), p) for a in pats)
    missing = sorted(p for p in fixture - ours if not allowed(p, missing_ok))
    extra = sorted(p for p in ours - fixture if not allowed(p, extra_ok))
    common = len(ours & fixture)
    ok = not missing and not extra and common > 0
    print("%s: %s (%d names in common)" % ("ok" if ok else "FAIL", what, common))
    if missing:
        print("   missing from cloudtwin:", missing)
    if extra:
        print("   not in the recording:  ", extra)
    if not ok:
        failures.append(what)


def fixture(cloud_dir, name):
    with open(os.path.join(FIX, cloud_dir, name), encoding="utf-8") as f:
        return f.read()


def fx_xml(cloud_dir, name):
    return xml_paths(fixture(cloud_dir, name))


def fx_json(cloud_dir, name):
    return json_paths(json.loads(fixture(cloud_dir, name)))


# ---- EC2 ---------------------------------------------------------------------

def ec2_pairs(allow):
    c = cloud("aws")

    def call(params):
        r = ec2_raw(c, params)
        return xml_paths(r.text)
    call({"Action": "ImportKeyPair", "KeyName": "fx",
          "PublicKeyMaterial": "c3NoLXJzYSBBQUFBQiBmeEB0d2lu"})
    run = call({"Action": "RunInstances", "ImageId": "ami-0c7217cdde317cfec", "KeyName": "fx",
                "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1,
                "TagSpecification.1.ResourceType": "instance",
                "TagSpecification.1.Tag.1.Key": "Name", "TagSpecification.1.Tag.1.Value": "fx"})
    compare("EC2 RunInstances", run, fx_xml("ec2", "run_instances.xml"), *allow["run"])
    time.sleep(1)
    d = ec2_raw(c, {"Action": "DescribeInstances"})
    iid = ET.fromstring(d.text).find(".//{*}instanceId").text
    ec2_raw(c, {"Action": "StopInstances", "InstanceId.1": iid})
    time.sleep(1)
    compare("EC2 DescribeInstances", call({"Action": "DescribeInstances"}),
            fx_xml("ec2", "describe_instances.xml"), *allow["describe"])
    for action, fx in (("StartInstances", "start_instances.xml"),
                       ("RebootInstances", "reboot_instances.xml"),
                       ("StopInstances", "stop_instances.xml"),
                       ("TerminateInstances", "terminate_instances.xml")):
        if action == "RebootInstances":
            time.sleep(1)
        compare("EC2 " + action, call({"Action": action, "InstanceId.1": iid}),
                fx_xml("ec2", fx), *allow.get(action, ((), ())))
    for action, fx, extra in (
            ("DescribeImages", "describe_images.xml", {"Owner.1": "099720109477"}),
            ("DescribeAvailabilityZones", "describe_availability_zones.xml", {}),
            ("AuthorizeSecurityGroupIngress", "authorize_security_group_ingress.xml",
             {"GroupName": "default", "IpPermissions.1.IpProtocol": "tcp",
              "IpPermissions.1.FromPort": 22, "IpPermissions.1.ToPort": 22,
              "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0"}),
            ("DescribeSecurityGroups", "describe_security_groups.xml", {}),
            ("CreateSecurityGroup", "create_security_group.xml",
             {"GroupName": "fx", "GroupDescription": "fx"}),
            ("DescribeSubnets", "describe_subnets.xml", {}),
            ("DescribeVpcs", "describe_vpcs.xml", {}),
            ("ImportKeyPair", "import_key_pair.xml",
             {"KeyName": "fx2", "PublicKeyMaterial": "c3NoLXJzYSBBQUFBQiBmeEB0d2lu"}),
            ("DescribeKeyPairs", "describe_key_pairs.xml", {}),
            ("CreateTags", "create_tags.xml", {"ResourceId.1": iid, "Tag.1.Key": "a",
                                                "Tag.1.Value": "b"})):
        compare("EC2 " + action, call(dict(extra, Action=action)), fx_xml("ec2", fx),
                *allow.get(action, ((), ())))
    compare("EC2 error envelope", call({"Action": "DescribeKeyPairs", "KeyName.1": "nosuch"}),
            fx_xml("ec2", "describe_key_pairs_doesnt_exist.xml"))


# ---- ECS ---------------------------------------------------------------------

def ecs_pairs(allow):
    c = cloud("alibaba")

    def call(params):
        return xml_paths(ecs_raw(c, params).text)
    region = {"RegionId": c["region"]}
    sg = ET.fromstring(ecs_raw(c, dict(region, Action="DescribeSecurityGroups")).text).find(
        ".//SecurityGroupId").text
    created = ecs_raw(c, dict(region, Action="CreateInstance", InstanceType="ecs.g6.large",
                              ImageId="ubuntu_22_04_x64_20G_alibase_20240130.vhd",
                              SecurityGroupId=sg, InternetChargeType="PayByTraffic",
                              InternetMaxBandwidthOut=5)).text
    compare("ECS CreateInstance", xml_paths(created), fx_xml("ecs", "create_instance.xml"))
    iid = ET.fromstring(created).find("InstanceId").text
    compare("ECS StartInstance", call({"Action": "StartInstance", "InstanceId": iid}),
            fx_xml("ecs", "start_instance.xml"))
    time.sleep(1)
    compare("ECS DescribeInstances", call(dict(region, Action="DescribeInstances")),
            fx_xml("ecs", "describe_instances.xml"), *allow["describe"])
    for action, fx in (("RebootInstance", "reboot_instance.xml"),
                       ("StopInstance", "stop_instance.xml")):
        if action == "StopInstance":
            time.sleep(1)
        compare("ECS " + action, call({"Action": action, "InstanceId": iid}), fx_xml("ecs", fx))
    time.sleep(1)
    compare("ECS DeleteInstance", call({"Action": "DeleteInstance", "InstanceId": iid}),
            fx_xml("ecs", "delete_instance.xml"))
    for action, fx in (("DescribeImages", "describe_images.xml"),
                       ("DescribeInstanceTypes", "describe_instance_types.xml"),
                       ("DescribeRegions", "describe_regions.xml"),
                       ("DescribeZones", "describe_zones.xml"),
                       ("DescribeSecurityGroups", "describe_security_groups.xml"),
                       ("CreateSecurityGroup", "create_security_group.xml")):
        compare("ECS " + action, call(dict(region, Action=action)), fx_xml("ecs", fx),
                *allow.get(action, ((), ())))


# ---- OpenStack ---------------------------------------------------------------------

def openstack_pairs(allow):
    c = cloud("openstack")
    token, resp = keystone_token(c)
    compare("Keystone token", json_paths(resp.json()), fx_json("openstack", "_v3__auth.json"),
            *allow["token"])
    h = {"X-Auth-Token": token}
    nova = "%s/openstack/%s/compute/v2.1" % (HTTP, c["region"])
    r = requests.post(nova + "/servers", headers=h, json={"server": {
        "name": "fx", "imageRef": "4b5c8f3e-8e0a-4a53-9d3f-0c7b7a1d2e01", "flavorRef": "2"}})
    compare("Nova create", json_paths(r.json()), fx_json("openstack_v1.1", "_servers_create.json"),
            *allow["create"])
    time.sleep(1)   # built: it has addresses now
    for path, fx, key in (("/servers/detail", "_servers_detail.json", "servers"),
                          ("/flavors/detail", "_flavors_detail.json", "flavors"),
                          ("/os-keypairs", "_os_keypairs.json", "keypairs")):
        if key == "keypairs":
            requests.post(nova + "/os-keypairs", headers=h, json={"keypair": {
                "name": "fx", "public_key": "ssh-rsa AAAAB fx@twin"}})
        compare("Nova " + path, json_paths(requests.get(nova + path, headers=h).json()),
                fx_json("openstack_v1.1", fx), *allow.get(key, ((), ())),
                norm=("servers[]/addresses/",))
    image = "%s/openstack/%s/image/v2/images" % (HTTP, c["region"])
    compare("Glance images", json_paths(requests.get(image + "?limit=1", headers=h).json()),
            fx_json("openstack_v1.1", "_images_v2.json"), *allow["images"])
    net = "%s/openstack/%s/network/v2.0" % (HTTP, c["region"])
    for path, fx in (("/networks", "_v2_0__networks.json"), ("/subnets", "_v2_0__subnets.json"),
                     ("/security-groups", "_v2_0__security_groups.json")):
        compare("Neutron " + path, json_paths(requests.get(net + path, headers=h).json()),
                fx_json("openstack_v1.1", fx), *allow.get(path, ((), ())))


# ---- GCE ----------------------------------------------------------------------------

def gce_pairs(allow, keyfile):
    c = cloud("gcp")
    creds = service_account.Credentials.from_service_account_file(
        keyfile, scopes=["https://www.googleapis.com/auth/compute"])
    s = AuthorizedSession(creds)
    base = c["endpoint"] + "projects/" + c["credential"]["project_id"]
    zone = base + "/zones/us-central1-a"
    op = s.post(zone + "/instances", json={
        "name": "node-name", "machineType": "zones/us-central1-a/machineTypes/e2-small",
        "disks": [{"boot": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
        "networkInterfaces": [{"network": "global/networks/default"}]}).json()
    compare("GCE insert operation", json_paths(op),
            fx_json("gce", "zones_us-central1-a_instances_post.json"), *allow["op"])
    done = s.post(zone + "/operations/%s/wait" % op["name"]).json()
    compare("GCE operation DONE", json_paths(done),
            fx_json("gce", "operations_operation_zones_us-central1-a_instances_post.json"),
            *allow["op"])
    for path, fx, key in (("/zones", "zones.json", "zones"), ("/regions", "regions.json", "regions"),
                          ("/zones/us-central1-a/instances", "zones_us-central1-a_instances.json",
                           "instances"),
                          ("/zones/us-central1-a/instances/node-name",
                           "zones_us-central1-a_instances_node-name.json", "instance"),
                          ("/zones/us-central1-a/machineTypes",
                           "zones_us-central1-a_machineTypes.json", "machineTypes"),
                          ("/aggregated/instances", "aggregated_instances.json", "aggregated")):
        compare("GCE " + path, json_paths(s.get(base + path).json()), fx_json("gce", fx),
                *allow.get(key, ((), ())), norm=("items/zones/",))
    compare("GCE images", json_paths(s.get(c["endpoint"] + "projects/debian-cloud/global/images").json()),
            fx_json("gce", "projects_debian-cloud_global_images.json"), *allow["images"])
    s.delete(zone + "/instances/node-name")


# ---- Azure --------------------------------------------------------------------------

def azure_pairs(allow):
    c = cloud("azure")
    token, resp = aad_token(c)
    compare("AAD v1 token", json_paths(resp.json()),
            fx_json("azure_arm", "_77777777_7777_7777_7777_777777777777_oauth2_token.json"),
            *allow["token"])
    cr = c["credential"]
    h = {"Authorization": "Bearer " + token}
    arm = "%ssubscriptions/%s" % (c["endpoint"], cr["subscription_id"])
    q = {"api-version": "2020-06-01"}
    verify = c["ca_file"]
    net = "%s/resourceGroups/%s/providers/Microsoft.Network" % (arm, cr["resource_group"])
    requests.put(net + "/virtualNetworks/v1", params=q, headers=h, verify=verify, json={
        "location": "eastus", "properties": {"subnets": [{"name": "default"}]}})
    nic = requests.put(net + "/networkInterfaces/test_node_1_nic", params=q, headers=h,
                       verify=verify, json={"location": "eastus", "properties": {
                           "ipConfigurations": [{"name": "ip1", "properties": {"subnet": {
                               "id": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft."
                                     "Network/virtualNetworks/v1/subnets/default" % (
                                         cr["subscription_id"], cr["resource_group"])}}}]}})
    compare("ARM NIC", json_paths(nic.json()), fx_json(
        "azure_arm", "_subscriptions_99999999_resourceGroups_000000_providers_Microsoft_Network_"
        "networkInterfaces_test_node_1_nic.json"), *allow["nic"])
    vm = "%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/test_node_1" % (
        arm, cr["resource_group"])
    requests.put(vm, params=q, headers=h, verify=verify, json={
        "location": "eastus", "properties": {
            "hardwareProfile": {"vmSize": "Standard_B1s"},
            "storageProfile": {"imageReference": {"publisher": "Canonical",
                                                  "offer": "UbuntuServer", "sku": "18.04-LTS",
                                                  "version": "latest"},
                               "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                                          "managedDisk": {"storageAccountType": "Standard_LRS"}}},
            "osProfile": {"computerName": "test_node_1", "adminUsername": "azureuser",
                          "linuxConfiguration": {"disablePasswordAuthentication": True}},
            "networkProfile": {"networkInterfaces": [{"id": nic.json()["id"]}]}}})
    time.sleep(1)
    pre = "_subscriptions_99999999_"
    compare("ARM VM", json_paths(requests.get(vm, params=q, headers=h, verify=verify).json()),
            fx_json("azure_arm", pre + "resourceGroups_000000_providers_Microsoft_Compute_"
                    "virtualMachines_test_node_1.json"), *allow["vm"])
    compare("ARM instanceView", json_paths(requests.get(vm + "/InstanceView", params=q, headers=h,
                                                        verify=verify).json()),
            fx_json("azure_arm", pre + "resourceGroups_000000_providers_Microsoft_Compute_"
                    "virtualMachines_test_node_1_InstanceView.json"), *allow["view"])
    compare("ARM VM list", json_paths(requests.get(arm + "/providers/Microsoft.Compute/"
                                                   "virtualMachines", params=q, headers=h,
                                                   verify=verify).json()),
            fx_json("azure_arm", pre + "providers_Microsoft_Compute_virtualMachines.json"),
            *allow["list"])
    compare("ARM vmSizes", json_paths(requests.get(arm + "/providers/Microsoft.Compute/locations/"
                                                   "eastus/vmSizes", params=q, headers=h,
                                                   verify=verify).json()),
            fx_json("azure_arm", pre + "providers_Microsoft_Compute_locations_eastus_vmSizes.json"))
    requests.delete(vm, params=q, headers=h, verify=verify)


ALLOW = {}
if __name__ == "__main__":
    from fixtures_allow import ALLOW  # noqa: F811 (the curated differences)
    ec2_pairs(ALLOW["ec2"])
    ecs_pairs(ALLOW["ecs"])
    openstack_pairs(ALLOW["openstack"])
    gce_pairs(ALLOW["gce"], sys.argv[2])
    azure_pairs(ALLOW["azure"])
    check(not failures, "every answer uses the recorded names", failures)
