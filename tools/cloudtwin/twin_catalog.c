/*
 * twin_catalog.c - default catalogs and credentials; see twin_catalog.h.
 */
#include "tools/cloudtwin/twin_catalog.h"

#include <stdio.h>
#include <string.h>

#include "drivers/common/hash.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct cat_region {
	const char *name;
	const char *display;
	const char *zones[4];
};

struct cat_spec {
	const char *name;
	int vcpus;
	int mem_mib;
	int gpus;
	const char *arch;
	double price;		/* USD per hour, on-demand Linux */
	const char *id;		/* OpenStack flavor id; NULL elsewhere */
	int disk_gib;
	const char *family;	/* Azure quota family, ECS type family */
};

struct cat_image {
	const char *id;
	const char *name;
	const char *os;
	const char *arch;
	const char *project;	/* GCE image project, EC2 owner, Azure publisher */
	const char *family;	/* GCE family, EC2 short name, Azure offer */
	const char *description;
};

struct twin_catalog {
	const char *dialect;
	const struct cat_region *regions;
	size_t nregions;
	const struct cat_spec *specs;
	size_t nspecs;
	const struct cat_image *images;
	size_t nimages;
	const char *const *cred_keys;
	json_t *(*derive)(const char *name);
	json_t *(*example)(void);
};

/* ---- AWS ------------------------------------------------------------ */

static const struct cat_region aws_regions[] = {
	{ "us-east-1", "US East (N. Virginia)", { "us-east-1a", "us-east-1b", "us-east-1c" } },
	{ "ap-northeast-2", "Asia Pacific (Seoul)", { "ap-northeast-2a", "ap-northeast-2c" } },
};

static const struct cat_spec aws_specs[] = {
	{ "t3.micro", 2, 1024, 0, "x86_64", 0.0104, NULL, 8, "t3" },
	{ "t3.small", 2, 2048, 0, "x86_64", 0.0208, NULL, 8, "t3" },
	{ "t3.medium", 2, 4096, 0, "x86_64", 0.0416, NULL, 8, "t3" },
	{ "t3.large", 2, 8192, 0, "x86_64", 0.0832, NULL, 8, "t3" },
	{ "m5.large", 2, 8192, 0, "x86_64", 0.096, NULL, 8, "m5" },
	{ "m5.xlarge", 4, 16384, 0, "x86_64", 0.192, NULL, 8, "m5" },
	{ "m5.2xlarge", 8, 32768, 0, "x86_64", 0.384, NULL, 8, "m5" },
	{ "c5.large", 2, 4096, 0, "x86_64", 0.085, NULL, 8, "c5" },
	{ "c5.xlarge", 4, 8192, 0, "x86_64", 0.17, NULL, 8, "c5" },
	{ "r5.large", 2, 16384, 0, "x86_64", 0.126, NULL, 8, "r5" },
	{ "g4dn.xlarge", 4, 16384, 1, "x86_64", 0.526, NULL, 125, "g4dn" },
	{ "t4g.micro", 2, 1024, 0, "arm64", 0.0084, NULL, 8, "t4g" },
	{ "m6g.large", 2, 8192, 0, "arm64", 0.077, NULL, 8, "m6g" },
};

static const struct cat_image aws_images[] = {
	{ "ami-0c7217cdde317cfec", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20231207",
	  "linux", "x86_64", "099720109477", "ubuntu-22.04", "Canonical, Ubuntu, 22.04 LTS, amd64" },
	{ "ami-0e5f882be1900e43b", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20231207",
	  "linux", "arm64", "099720109477", "ubuntu-22.04", "Canonical, Ubuntu, 22.04 LTS, arm64" },
	{ "ami-058bd2d568351da34", "debian-12-amd64-20231013-1532", "linux", "x86_64",
	  "136693071363", "debian-12", "Debian 12 (20231013-1532)" },
	{ "ami-0230bd60aa48260c6", "al2023-ami-2023.2.20231113.0-kernel-6.1-x86_64", "linux",
	  "x86_64", "137112412989", "amazon-linux-2023", "Amazon Linux 2023 AMI" },
};

static const char *const aws_keys[] = { "access_key_id", "secret_access_key", NULL };

/* ---- OpenStack ------------------------------------------------------ */

static const struct cat_region os_regions[] = {
	{ "RegionOne", "RegionOne", { "nova" } },
	{ "RegionTwo", "RegionTwo", { "nova", "az2" } },
};

static const struct cat_spec os_specs[] = {
	{ "m1.tiny", 1, 512, 0, "x86_64", 0.005, "1", 1, NULL },
	{ "m1.small", 1, 2048, 0, "x86_64", 0.02, "2", 20, NULL },
	{ "m1.medium", 2, 4096, 0, "x86_64", 0.04, "3", 40, NULL },
	{ "m1.large", 4, 8192, 0, "x86_64", 0.08, "4", 80, NULL },
	{ "m1.xlarge", 8, 16384, 0, "x86_64", 0.16, "5", 160, NULL },
	{ "g1.large", 8, 32768, 1, "x86_64", 0.9, "6", 160, NULL },
};

static const struct cat_image os_images[] = {
	{ "4b5c8f3e-8e0a-4a53-9d3f-0c7b7a1d2e01", "cirros-0.6.2-x86_64-disk", "linux", "x86_64",
	  NULL, "cirros", "CirrOS 0.6.2" },
	{ "9f1c5b52-3c1e-4f9e-8b1a-2d2b8e6c7f02", "ubuntu-22.04", "linux", "x86_64", NULL,
	  "ubuntu-22.04", "Ubuntu 22.04 LTS (Jammy Jellyfish)" },
	{ "1e0f6d7a-5b2c-4c3d-9e4f-6a7b8c9d0e03", "debian-12", "linux", "x86_64", NULL,
	  "debian-12", "Debian 12 (bookworm)" },
};

static const char *const os_keys[] = { "username", "password", "project", "domain", NULL };

/* ---- GCE ------------------------------------------------------------ */

static const struct cat_region gcp_regions[] = {
	{ "us-central1", "Iowa", { "us-central1-a", "us-central1-b", "us-central1-c" } },
	{ "asia-northeast3", "Seoul", { "asia-northeast3-a", "asia-northeast3-b" } },
};

static const struct cat_spec gcp_specs[] = {
	{ "e2-micro", 2, 1024, 0, "x86_64", 0.0084, NULL, 10, "e2" },
	{ "e2-small", 2, 2048, 0, "x86_64", 0.0168, NULL, 10, "e2" },
	{ "e2-medium", 2, 4096, 0, "x86_64", 0.0335, NULL, 10, "e2" },
	{ "e2-standard-2", 2, 8192, 0, "x86_64", 0.067, NULL, 10, "e2" },
	{ "e2-standard-4", 4, 16384, 0, "x86_64", 0.134, NULL, 10, "e2" },
	{ "n1-standard-1", 1, 3840, 0, "x86_64", 0.0475, NULL, 10, "n1" },
	{ "n2-standard-2", 2, 8192, 0, "x86_64", 0.0971, NULL, 10, "n2" },
	{ "n2-standard-4", 4, 16384, 0, "x86_64", 0.1942, NULL, 10, "n2" },
	{ "c2-standard-4", 4, 16384, 0, "x86_64", 0.2088, NULL, 10, "c2" },
	{ "t2a-standard-1", 1, 4096, 0, "arm64", 0.0385, NULL, 10, "t2a" },
};

static const struct cat_image gcp_images[] = {
	{ "6655129181545338337", "debian-12-bookworm-v20240110", "linux", "x86_64", "debian-cloud",
	  "debian-12", "Debian, Debian GNU/Linux, 12 (bookworm), amd64 built on 20240110" },
	{ "2738719398429376521", "debian-11-bullseye-v20240110", "linux", "x86_64", "debian-cloud",
	  "debian-11", "Debian, Debian GNU/Linux, 11 (bullseye), amd64 built on 20240110" },
	{ "4920305102348720144", "ubuntu-2204-jammy-v20240112", "linux", "x86_64",
	  "ubuntu-os-cloud", "ubuntu-2204-lts", "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image" },
	{ "8013651738930512731", "ubuntu-2204-jammy-arm64-v20240112", "linux", "arm64",
	  "ubuntu-os-cloud", "ubuntu-2204-lts-arm64", "Canonical, Ubuntu, 22.04 LTS, arm64 jammy image" },
};

static const char *const gcp_keys[] = { "project_id", "client_email", NULL };

/* ---- Azure ---------------------------------------------------------- */

static const struct cat_region az_regions[] = {
	{ "eastus", "East US", { "1", "2", "3" } },
	{ "koreacentral", "Korea Central", { "1", "2", "3" } },
};

static const struct cat_spec az_specs[] = {
	{ "Standard_B1s", 1, 1024, 0, "x86_64", 0.0104, NULL, 4, "standardBSFamily" },
	{ "Standard_B2s", 2, 4096, 0, "x86_64", 0.0416, NULL, 8, "standardBSFamily" },
	{ "Standard_D2s_v3", 2, 8192, 0, "x86_64", 0.096, NULL, 16, "standardDSv3Family" },
	{ "Standard_D4s_v3", 4, 16384, 0, "x86_64", 0.192, NULL, 32, "standardDSv3Family" },
	{ "Standard_F2s_v2", 2, 4096, 0, "x86_64", 0.0846, NULL, 16, "standardFSv2Family" },
	{ "Standard_E2s_v3", 2, 16384, 0, "x86_64", 0.126, NULL, 32, "standardESv3Family" },
	{ "Standard_NC6", 6, 57344, 1, "x86_64", 0.9, NULL, 340, "standardNCFamily" },
	{ "Standard_D2ps_v5", 2, 8192, 0, "arm64", 0.077, NULL, 0, "standardDPSv5Family" },
};

static const struct cat_image az_images[] = {
	{ "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:22.04.202401100", "ubuntu-22.04",
	  "linux", "x86_64", "Canonical", "0001-com-ubuntu-server-jammy", "Ubuntu Server 22.04 LTS (Gen2)" },
	{ "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64:22.04.202401100",
	  "ubuntu-22.04-arm64", "linux", "arm64", "Canonical", "0001-com-ubuntu-server-jammy",
	  "Ubuntu Server 22.04 LTS (Arm64)" },
	{ "Debian:debian-12:12-gen2:0.20240111.1622", "debian-12", "linux", "x86_64", "Debian",
	  "debian-12", "Debian 12 Bookworm (Gen2)" },
	{ "Canonical:UbuntuServer:18.04-LTS:18.04.202306070", "ubuntu-18.04", "linux", "x86_64",
	  "Canonical", "UbuntuServer", "Ubuntu Server 18.04 LTS" },
};

static const char *const az_keys[] = { "tenant_id", "client_id", "client_secret",
				       "subscription_id", "resource_group", NULL };

/* ---- Alibaba -------------------------------------------------------- */

static const struct cat_region ali_regions[] = {
	{ "cn-hangzhou", "China (Hangzhou)", { "cn-hangzhou-h", "cn-hangzhou-i" } },
	{ "ap-southeast-1", "Singapore", { "ap-southeast-1a", "ap-southeast-1b" } },
};

static const struct cat_spec ali_specs[] = {
	{ "ecs.t5-lc1m1.small", 1, 1024, 0, "x86_64", 0.0075, NULL, 20, "ecs.t5" },
	{ "ecs.t6-c1m1.large", 2, 2048, 0, "x86_64", 0.02, NULL, 20, "ecs.t6" },
	{ "ecs.c6.large", 2, 4096, 0, "x86_64", 0.08, NULL, 20, "ecs.c6" },
	{ "ecs.g6.large", 2, 8192, 0, "x86_64", 0.1, NULL, 20, "ecs.g6" },
	{ "ecs.g6.xlarge", 4, 16384, 0, "x86_64", 0.2, NULL, 20, "ecs.g6" },
	{ "ecs.r6.large", 2, 16384, 0, "x86_64", 0.13, NULL, 20, "ecs.r6" },
	{ "ecs.gn6i-c4g1.xlarge", 4, 15360, 1, "x86_64", 1.2, NULL, 40, "ecs.gn6i" },
	{ "ecs.g6r.large", 2, 8192, 0, "arm64", 0.09, NULL, 20, "ecs.g6r" },
};

static const struct cat_image ali_images[] = {
	{ "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "ubuntu-22.04", "linux", "x86_64", "system",
	  "Ubuntu", "Ubuntu  22.04 64 bit" },
	{ "debian_12_4_x64_20G_alibase_20240126.vhd", "debian-12", "linux", "x86_64", "system",
	  "Debian", "Debian  12.4 64 bit" },
	{ "aliyun_3_x64_20G_alibase_20240119.vhd", "alibaba-cloud-linux-3", "linux", "x86_64",
	  "system", "Aliyun", "Alibaba Cloud Linux  3.2104 LTS 64 bit" },
	{ "ubuntu_22_04_arm64_20G_alibase_20240130.vhd", "ubuntu-22.04-arm64", "linux", "arm64",
	  "system", "Ubuntu", "Ubuntu  22.04 64 bit ARM" },
};

static const char *const ali_keys[] = { "access_key_id", "access_key_secret", NULL };

/* ---- derived and example credentials ------------------------------- */

/* n characters of a name-keyed digest in the given alphabet. */
static void derive(const char *what, const char *name, const char *alphabet, char *out, size_t n)
{
	unsigned char md[HASH_SHA256_LEN];
	char seed[256];
	size_t alen = strlen(alphabet);

	snprintf(seed, sizeof(seed), "cloudtwin:%s:%s", what, name);
	hash_sha256(seed, strlen(seed), md);
	for (size_t i = 0; i < n; i++) {
		if (i && i % sizeof(md) == 0)
			hash_sha256(md, sizeof(md), md);
		out[i] = alphabet[md[i % sizeof(md)] % alen];
	}
	out[n] = '\0';
}

static void derive_uuid(const char *what, const char *name, char out[37])
{
	char hex[33];

	derive(what, name, "0123456789abcdef", hex, 32);
	snprintf(out, 37, "%.8s-%.4s-4%.3s-8%.3s-%.12s", hex, hex + 8, hex + 13, hex + 17, hex + 20);
}

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define B64ISH "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static json_t *aws_derive(const char *name)
{
	char id[17], secret[41], akid[21];

	derive("aws-key", name, UPPER_DIGITS, id, 16);
	derive("aws-secret", name, B64ISH, secret, 40);
	snprintf(akid, sizeof(akid), "AKIA%s", id);
	return json_pack("{s:s,s:s}", "access_key_id", akid, "secret_access_key", secret);
}

static json_t *aws_example(void)
{
	return json_pack("{s:s,s:s}", "access_key_id", "AKIDEXAMPLE", "secret_access_key",
			 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
}

static json_t *os_derive(const char *name)
{
	char pw[21];

	derive("os-password", name, ALNUM, pw, 20);
	return json_pack("{s:s,s:s,s:s,s:s}", "username", "demo", "password", pw, "project", "demo",
			 "domain", "Default");
}

static json_t *os_example(void)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "username", "demo", "password", "secret", "project",
			 "demo", "domain", "Default");
}

static json_t *gcp_cred(const char *project, const char *email)
{
	char kid[41], cid[22];

	derive("gcp-kid", project, "0123456789abcdef", kid, 40);
	derive("gcp-client", project, "0123456789", cid, 21);
	cid[0] = cid[0] == '0' ? '1' : cid[0];
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "service_account", "project_id", project,
			 "private_key_id", kid, "client_email", email, "client_id", cid);
}

static json_t *gcp_derive(const char *name)
{
	char email[160];

	snprintf(email, sizeof(email), "twin@%s.iam.gserviceaccount.com", name);
	return gcp_cred(name, email);
}

static json_t *gcp_example(void)
{
	return gcp_cred("test-project", "tester@test-project.iam.gserviceaccount.com");
}

static json_t *az_derive(const char *name)
{
	char tenant[37], client[37], sub[37], secret[41], rg[96];

	derive_uuid("az-tenant", name, tenant);
	derive_uuid("az-client", name, client);
	derive_uuid("az-sub", name, sub);
	derive("az-secret", name, ALNUM, secret, 40);
	snprintf(rg, sizeof(rg), "rg-%s", name);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "tenant_id", tenant, "client_id", client,
			 "client_secret", secret, "subscription_id", sub, "resource_group", rg);
}

static json_t *az_example(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "tenant_id",
			 "72f988bf-0000-0000-0000-000000000000", "client_id", "app-client-id",
			 "client_secret", "app-client-secret", "subscription_id",
			 "00000000-0000-0000-0000-000000000000", "resource_group", "rg1");
}

static json_t *ali_derive(const char *name)
{
	char id[21], akid[25], secret[31];

	derive("ali-key", name, ALNUM, id, 20);
	derive("ali-secret", name, ALNUM, secret, 30);
	snprintf(akid, sizeof(akid), "LTAI%s", id);
	return json_pack("{s:s,s:s}", "access_key_id", akid, "access_key_secret", secret);
}

static json_t *ali_example(void)
{
	return json_pack("{s:s,s:s}", "access_key_id", "testid", "access_key_secret", "testsecret");
}

#define CATALOG(d, r, s, i, k, der, ex) \
	{ d, r, ARRAY_LEN(r), s, ARRAY_LEN(s), i, ARRAY_LEN(i), k, der, ex }

static const struct twin_catalog catalogs[] = {
	CATALOG("aws", aws_regions, aws_specs, aws_images, aws_keys, aws_derive, aws_example),
	CATALOG("openstack", os_regions, os_specs, os_images, os_keys, os_derive, os_example),
	CATALOG("gcp", gcp_regions, gcp_specs, gcp_images, gcp_keys, gcp_derive, gcp_example),
	CATALOG("azure", az_regions, az_specs, az_images, az_keys, az_derive, az_example),
	CATALOG("alibaba", ali_regions, ali_specs, ali_images, ali_keys, ali_derive, ali_example),
};

const struct twin_catalog *twin_catalog_find(const char *dialect)
{
	for (size_t i = 0; i < ARRAY_LEN(catalogs); i++) {
		if (strcmp(catalogs[i].dialect, dialect) == 0)
			return &catalogs[i];
	}
	return NULL;
}

json_t *twin_catalog_regions(const struct twin_catalog *cat)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < cat->nregions; i++) {
		const struct cat_region *r = &cat->regions[i];
		json_t *zones = json_array();

		for (size_t z = 0; zones && z < ARRAY_LEN(r->zones) && r->zones[z]; z++)
			json_array_append_new(zones, json_string(r->zones[z]));
		json_array_append_new(a, json_pack("{s:s,s:s,s:o*}", "name", r->name, "display",
						   r->display, "zones", zones));
	}
	return a;
}

json_t *twin_catalog_specs(const struct twin_catalog *cat)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < cat->nspecs; i++) {
		const struct cat_spec *s = &cat->specs[i];

		json_array_append_new(a, json_pack("{s:s,s:i,s:i,s:i,s:s,s:f,s:s,s:i,s:s}",
			"name", s->name, "vcpus", s->vcpus, "mem_mib", s->mem_mib, "gpus", s->gpus,
			"arch", s->arch, "price_usd_per_hour", s->price, "id", s->id ? s->id : s->name,
			"disk_gib", s->disk_gib, "family", s->family ? s->family : ""));
	}
	return a;
}

json_t *twin_catalog_images(const struct twin_catalog *cat)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < cat->nimages; i++) {
		const struct cat_image *m = &cat->images[i];

		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
			"id", m->id, "name", m->name, "os", m->os, "arch", m->arch,
			"project", m->project ? m->project : "", "family", m->family ? m->family : "",
			"description", m->description ? m->description : ""));
	}
	return a;
}

const char *const *twin_catalog_cred_keys(const struct twin_catalog *cat)
{
	return cat->cred_keys;
}

json_t *twin_catalog_derive_cred(const struct twin_catalog *cat, const char *cloud)
{
	return cat->derive(cloud);
}

json_t *twin_catalog_example_cred(const struct twin_catalog *cat)
{
	return cat->example();
}
