"""The differences fixtures_compare.py accepts, each with its reason.

Per pair: (missing_ok, extra_ok).  missing_ok names fields of a recording
that cloudtwin does not model; extra_ok names fields cloudtwin sends that
the (older or smaller) recording lacks but the current API defines.  '*'
in a pattern matches anything, '/' included.  Anything not listed fails.
"""

# Recorded by EC2 before these existed, all in the 2016-11-15 model:
EC2_NEWER = ["instancesSet/item/enaSupport", "*/enaSupport", "keyPairId", "*/keyPairId", "*/keyType",
             "*/ownerId", "*/imageOwnerAlias", "*/platformDetails", "*/usageOperation",
             "*/ebs/encrypted", "availabilityZoneInfo/item/groupName",
             "availabilityZoneInfo/item/networkBorderGroup", "availabilityZoneInfo/item/optInStatus",
             "availabilityZoneInfo/item/parentZoneName", "availabilityZoneInfo/item/zoneId",
             "availabilityZoneInfo/item/zoneType"]
# run_instances.xml is a minimal example; a real answer carries the whole
# instance, the same fields as DescribeInstances.
EC2_RUN_FULL = ["instancesSet/item/*", "requestId"]

ALLOW = {
    "ec2": {
        "run": (["instancesSet/item/monitoring/enabled"],   # pre-2014 name of monitoring/state
                EC2_RUN_FULL + EC2_NEWER),
        "describe": (["reservationSet/item/instancesSet/item/ipAddress",  # the instance is stopped
                      "reservationSet/item/instancesSet/item/kernelId"],  # paravirtual AKIs only
                     EC2_NEWER),
        "TerminateInstances": (["instancesSet/item/shutdownState*"],      # legacy name (clouds.md)
                               ["instancesSet/item/currentState*"]),
        "DescribeImages": (["imagesSet/item/billingProducts*",            # marketplace images only
                            "imagesSet/item/kernelId",                    # paravirtual AKIs only
                            "imagesSet/item/blockDeviceMapping/item/virtualName"],  # instance store
                           EC2_NEWER),
        "DescribeAvailabilityZones": ((), EC2_NEWER),
        "DescribeSecurityGroups": (["securityGroupInfo/item/ipPermissions/item/groups*"],
                                   # group-to-group rules are not modelled
                                   ["securityGroupInfo/item/ipPermissionsEgress/item*"]),
                                   # VPC groups carry the default egress rule
        "DescribeSubnets": (["subnetSet/item/tagSet/item*"], EC2_NEWER),  # ours carry no tags
        "DescribeVpcs": (["vpcSet/item/tagSet/item*"], EC2_NEWER),
        "ImportKeyPair": ((), EC2_NEWER),
        "DescribeKeyPairs": ((), ["keySet/item/keyPairId", "keySet/item/keyType"]),
    },
    "ecs": {
        "describe": (["Instances/Instance/InnerIpAddress/IpAddress"],  # classic network only
                     ["Instances/Instance/GPUAmount", "Instances/Instance/OSName",
                      "Instances/Instance/OSType", "Instances/Instance/Tags"]),   # current API
        "DescribeImages": ((), ["Images/Image/IsSupportIoOptimized"]),
        "DescribeInstanceTypes": ((), ["InstanceTypes/InstanceType/CpuArchitecture",
                                       "InstanceTypes/InstanceType/GPUAmount",
                                       "InstanceTypes/InstanceType/GPUSpec"]),
        "DescribeRegions": ((), ["Regions/Region/RegionEndpoint", "Regions/Region/Status"]),
    },
    "openstack": {
        # Keystone 3.x fields the 2014 recording predates
        "token": ((), ["token/audit_ids", "token/catalog[]/endpoints[]/region_id",
                       "token/catalog[]/name", "token/is_domain",
                       "token/user/password_expires_at"]),
        "create": ((), ["server/OS-DCF:diskConfig", "server/security_groups*"]),
        "servers": (["servers[]/fault*",                  # ERROR servers only
                     "servers[]/uuid"],                   # a Rackspace extension
                    ["servers[]/OS-EXT-AZ:availability_zone", "servers[]/OS-SRV-USG:*",
                     "servers[]/os-extended-volumes:volumes_attached",
                     "servers[]/security_groups*"]),      # standard Nova extensions
        "flavors": (["flavors[]/OS-FLV-WITH-EXT-SPECS:extra_specs*",   # Rackspace extensions
                     "flavors[]/rxtx_cap", "flavors[]/rxtx_quota"],
                    ["flavors[]/os-flavor-access:is_public", "flavors[]/rxtx_factor"]),
        "keypairs": ((), ["keypairs[]/keypair/type"]),    # microversion 2.2
        # the recording's images are snapshots with a Ceph location
        "images": (["images[]/base_image_ref", "images[]/direct_url", "images[]/image_location",
                    "images[]/image_state", "images[]/image_type", "images[]/instance_uuid",
                    "images[]/kernel_id", "images[]/locations*", "images[]/os_type",
                    "images[]/owner_id", "images[]/ramdisk_id", "images[]/user_id",
                    "images[]/virtual_size"],
                   ["images[]/architecture", "images[]/os_hidden"]),
        "/networks": ((), ["networks[]/tags"]),
        "/security-groups": ((), ["security_groups[]/created_at", "security_groups[]/project_id",
                                  "security_groups[]/revision_number", "security_groups[]/stateful",
                                  "security_groups[]/tags", "security_groups[]/updated_at",
                                  "security_groups[]/security_group_rules[]/ethertype",
                                  "security_groups[]/security_group_rules[]/remote_group_id",
                                  "security_groups[]/security_group_rules[]/tenant_id"]),
    },
    "gce": {
        "op": ((), ["targetId"]),          # GCE names the target from the start
        "zones": (["items[]/deprecated*", "items[]/maintenanceWindows*"],   # optional
                  ["items[]/availableCpuPlatforms", "items[]/supportsPzs"]),
        "regions": ((), ["items[]/supportsPzs"]),
        "instances": (["items[]/minCpuPlatform"], ["items[]/*"]),
        "instance": ((), ["cpuPlatform", "deletionProtection", "description", "disks[]/*",
                          "fingerprint", "labelFingerprint", "labels", "metadata/items",
                          "networkInterfaces[]/*", "scheduling/*", "serviceAccounts*",
                          "startRestricted", "tags/items"]),
        "machineTypes": (["items[]/accelerators*",      # GPU types only
                          "items[]/deprecated*", "items[]/scratchDisks*"],
                         ["items[]/isSharedCpu"]),
        "aggregated": ((), ["items/zones/*/warning*",      # zones without instances
                            "items/zones/*/instances[]/*"]),
        "images": (["items[]/deprecated*"],
                   ["items[]/architecture", "items[]/diskSizeGb", "items[]/family",
                    "items[]/labelFingerprint", "items[]/storageLocations"]),
    },
    "azure": {
        "nic": (["properties/virtualMachine*"],        # attached later in this test
                ()),
        "vm": (["properties/storageProfile/dataDisks[]*",   # the recording has a data disk
                "tags/tag_key1"],
               ["properties/osProfile*", "properties/storageProfile/imageReference*",
                "properties/storageProfile/osDisk/diskSizeGB", "properties/timeCreated",
                "properties/osProfile/secrets", "properties/storageProfile/dataDisks"]),
        "token": ((), ["ext_expires_in"]),            # AAD v1 sends it today
        "view": ((), ["computerName", "hyperVGeneration", "osName", "osVersion",
                      "statuses[]/time"]),
        "list": (["nextLink",                          # the recording is page 1 of 2
                  "value[]/properties/additionalCapabilities*"],   # optional
                 ["value[]/properties/storageProfile/osDisk/diskSizeGB",
                  "value[]/properties/timeCreated",
                  "value[]/properties/networkProfile/networkInterfaces[]/properties*"]),
    },
}
