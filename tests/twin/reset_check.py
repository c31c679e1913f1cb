"""After POST /_twin/reset each cloud still has what a fresh one has
besides VMs: EC2's, Nova's and ECS's default security groups, the Azure
credential's resource group.  Run on the default configuration.

usage: reset_check.py
"""
import requests

from twinlib import aad_token, check, cloud, ec2_raw, ecs_raw, keystone_token

aws = cloud("aws")
r = ec2_raw(aws, {"Action": "DescribeSecurityGroups"})
check(r.status_code == 200 and "<groupName>default</groupName>" in r.text,
      "EC2's default security group", r.status_code, r.text[:300])

ali = cloud("alibaba")
r = ecs_raw(ali, {"Action": "DescribeSecurityGroups", "RegionId": ali["region"]})
check(r.status_code == 200 and "<SecurityGroupName>default</SecurityGroupName>" in r.text,
      "ECS's default security group", r.status_code, r.text[:300])

os_ = cloud("openstack")
tok, resp = keystone_token(os_)
net = [e["url"] for s in resp.json()["token"]["catalog"] if s["type"] == "network"
       for e in s["endpoints"] if e["interface"] == "public" and e["region"] == os_["region"]][0]
r = requests.get(net + "/v2.0/security-groups", headers={"X-Auth-Token": tok}, timeout=10)
check(r.status_code == 200 and any(g["name"] == "default" for g in r.json()["security_groups"]),
      "Neutron's default security group", r.status_code, r.text[:300])

az = cloud("azure")
cr = az["credential"]
r = requests.get("%ssubscriptions/%s/resourcegroups/%s?api-version=2021-04-01" % (
    az["endpoint"], cr["subscription_id"], cr["resource_group"]),
    headers={"Authorization": "Bearer " + aad_token(az)[0]}, verify=az["ca_file"], timeout=10)
check(r.status_code == 200 and r.json()["name"] == cr["resource_group"],
      "the credential's resource group", r.status_code, r.text[:300])
