/*
 * alibaba_test.c - the alibaba driver.
 *
 *  - parsers: the recorded ECS answers in ../shared/fixtures/libcloud-compute/ecs/,
 *    every field the driver reads (the parser source is compiled in);
 *  - tables: statuses and errors;
 *  - the ABI: drivers/alibaba.so loaded with dlopen and driven against a
 *    small ECS stand-in (tests/unit/drvstub.h) that verifies every request's
 *    V2 signature with the common verifier, refuses reused nonces, keeps
 *    instances by ClientToken, pages DescribeInstances one instance at a
 *    time, answers the VPC API or not, and injects faults.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/alibaba/alibaba_parse.c"
#include "drivers/alibaba/alibaba_tables.c"
#include "drivers/common/acs.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvstub.h"
#include "tests/unit/drvtest.h"

#define AKID "testid"
#define SG7(vpc) "<SecurityGroup><SecurityGroupId>sg-7</SecurityGroupId><SecurityGroupName>" \
	"baristafs-ali-test</SecurityGroupName><VpcId>" vpc "</VpcId><Tags><Tag><TagKey>" \
	"managed-by</TagKey><TagValue>baristafs</TagValue></Tag><Tag><TagKey>baristafs-id</TagKey>" \
	"<TagValue>conn:ali-test</TagValue></Tag></Tags></SecurityGroup>"
#define SECRET "testsecret-0123456789"


static void test_describe_instances(void)
{
	struct vms vs = { .n = 0 };
	long long total = 0;
	int count = 0;
	xmlDoc *doc;

	if (!fixdir[0])
		return;
	doc = fixture("describe_instances.xml");
	CU_ASSERT_EQUAL(alibaba_parse_instances(xmlh_root(doc), collect_vm, &vs, &count, &total), 0);
	CU_ASSERT_EQUAL(count, 2);
	CU_ASSERT_EQUAL(total, 1);
	CU_ASSERT_EQUAL_FATAL(vs.n, 2);
	CU_ASSERT_STRING_EQUAL(vs.v[0].csp_id, "i-28n7dkvov");
	CU_ASSERT_STRING_EQUAL(vs.v[0].name, "iZ28n7dkvovZ");
	CU_ASSERT_STRING_EQUAL(vs.v[0].status_raw, "Starting");
	CU_ASSERT_EQUAL(vs.v[0].status, DRV_VM_CREATING);
	CU_ASSERT_STRING_EQUAL(vs.v[0].spec, "ecs.t1.small");
	CU_ASSERT_STRING_EQUAL(vs.v[0].image, "ubuntu1404_64_20G_aliaegis_20150325.vhd");
	CU_ASSERT_STRING_EQUAL(vs.v[0].zone, "cn-qingdao-b");
	CU_ASSERT_EQUAL(vs.v[0].created, 1451201700);	/* 2015-12-27T07:35Z */
	/* Classic network: public in PublicIpAddress, private in InnerIpAddress. */
	CU_ASSERT_STRING_EQUAL(vs.v[0].public_ip, "114.215.124.73");
	CU_ASSERT_STRING_EQUAL(vs.v[0].private_ip, "10.163.197.74");
	/* The other shape: an elastic IP and a VPC private address. */
	CU_ASSERT_STRING_EQUAL(vs.v[1].public_ip, "114.215.124.73");
	CU_ASSERT_STRING_EQUAL(vs.v[1].private_ip, "10.163.197.74");
	CU_ASSERT_STRING_EQUAL(vs.v[1].baristafs_id, "");
	xmlFreeDoc(doc);
}

static void test_instance_statuses(void)
{
	static const struct {
		const char *file, *raw;
		enum drv_vm_status st;
	} cases[] = {
		{ "create_node_describe_instances.xml", "Running", DRV_VM_RUNNING },
		{ "stop_node_describe_instances.xml", "Stopped", DRV_VM_SUSPENDED },
		{ "destroy_node_describe_instances.xml", "Stopped", DRV_VM_SUSPENDED },
		{ "reboot_node_describe_instances.xml", "Running", DRV_VM_RUNNING },
	};

	if (!fixdir[0])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		xmlDoc *doc = fixture(cases[i].file);
		struct vms vs = { .n = 0 };
		long long total;
		int count;

		CU_ASSERT_EQUAL(alibaba_parse_instances(xmlh_root(doc), collect_vm, &vs, &count,
							&total), 0);
		CU_ASSERT_EQUAL_FATAL(vs.n >= 1, 1);
		CU_ASSERT_STRING_EQUAL(vs.v[0].status_raw, cases[i].raw);
		CU_ASSERT_EQUAL(vs.v[0].status, cases[i].st);
		xmlFreeDoc(doc);
	}
}

static void test_create_instance_answers(void)
{
	static const char run[] = "<RunInstancesResponse><RequestId>r</RequestId><InstanceIdSets>"
				  "<InstanceIdSet>i-bp1</InstanceIdSet></InstanceIdSets>"
				  "</RunInstancesResponse>";
	xmlDoc *doc, *doc2 = xmlh_parse(run, sizeof(run) - 1);
	char id[64];

	CU_ASSERT_EQUAL(alibaba_parse_run(xmlh_root(doc2), id, sizeof(id)), 0);
	CU_ASSERT_STRING_EQUAL(id, "i-bp1");
	xmlFreeDoc(doc2);
	if (!fixdir[0])
		return;
	doc = fixture("create_instance.xml");	/* the older CreateInstance answer */
	CU_ASSERT_EQUAL(alibaba_parse_run(xmlh_root(doc), id, sizeof(id)), 0);
	CU_ASSERT_STRING_EQUAL(id, "i-28n7dkvov");
	xmlFreeDoc(doc);
	doc = fixture("start_instance.xml");	/* no id at all */
	CU_ASSERT_EQUAL(alibaba_parse_run(xmlh_root(doc), id, sizeof(id)), -EIO);
	xmlFreeDoc(doc);
}


static void test_describe_images(void)
{
	static const char *pages[] = { "pages_describe_images.xml",
				       "pages_describe_images_page2.xml" };
	struct images is = { .n = 0 };
	long long total;
	int count;
	xmlDoc *doc;

	if (!fixdir[0])
		return;
	doc = fixture("describe_images.xml");
	CU_ASSERT_EQUAL(alibaba_parse_images(xmlh_root(doc), collect_image, &is, &count, &total),
			0);
	CU_ASSERT_EQUAL_FATAL(is.n, 1);
	CU_ASSERT_STRING_EQUAL(is.v[0].id, "freebsd1001_64_20G_aliaegis_20150527.vhd");
	/* The name has an upper-case G: no valid file name, so the tree uses the id. */
	CU_ASSERT_STRING_EQUAL(is.v[0].name, is.v[0].id);
	CU_ASSERT_STRING_EQUAL(is.v[0].os, "linux");
	CU_ASSERT_STRING_EQUAL(is.v[0].arch, "x86_64");
	CU_ASSERT_STRING_EQUAL(is.v[0].description, "freebsd1001_64_20G_aliaegis_20150527.vhd");
	xmlFreeDoc(doc);
	for (int i = 0; i < 2; i++) {
		is.n = 0;
		doc = fixture(pages[i]);
		CU_ASSERT_EQUAL(alibaba_parse_images(xmlh_root(doc), collect_image, &is, &count,
						     &total), 0);
		CU_ASSERT_EQUAL(count, 1);
		CU_ASSERT_EQUAL(total, 2);
		xmlFreeDoc(doc);
	}
}


static void test_instance_types(void)
{
	struct specs ss = { .n = 0 };
	char next[16] = "x";
	xmlDoc *doc;

	if (!fixdir[0])
		return;
	doc = fixture("describe_instance_types.xml");
	CU_ASSERT_EQUAL(alibaba_parse_types(xmlh_root(doc), collect_spec, &ss, next, sizeof(next)),
			0);
	CU_ASSERT_STRING_EQUAL(next, "");
	CU_ASSERT_EQUAL_FATAL(ss.n, 2);
	CU_ASSERT_STRING_EQUAL(ss.v[0].name, "ecs.t1.xsmall");
	CU_ASSERT_EQUAL(ss.v[0].vcpus, 1);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[0].mem_gib, 0.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(ss.v[0].arch, "x86_64");
	CU_ASSERT(ss.v[0].price_usd_per_hour < 0);
	CU_ASSERT_STRING_EQUAL(ss.v[1].name, "ecs.s2.small");
	CU_ASSERT_EQUAL(ss.v[1].vcpus, 2);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[1].mem_gib, 1.0, 1e-9);
	xmlFreeDoc(doc);
}

static void test_price_answers(void)
{
	static const char usd[] = "<DescribePriceResponse><PriceInfo><Price><OriginalPrice>0.2"
				  "</OriginalPrice><TradePrice>0.125</TradePrice><Currency>USD"
				  "</Currency></Price></PriceInfo></DescribePriceResponse>";
	static const char cny[] = "<DescribePriceResponse><PriceInfo><Price><TradePrice>1.0"
				  "</TradePrice><Currency>CNY</Currency></Price></PriceInfo>"
				  "</DescribePriceResponse>";
	xmlDoc *a = xmlh_parse(usd, sizeof(usd) - 1), *b = xmlh_parse(cny, sizeof(cny) - 1);
	char src[96];
	double v;

	CU_ASSERT_EQUAL(alibaba_parse_price(xmlh_root(a), &v, src, sizeof(src)), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 0.125, 1e-9);
	CU_ASSERT_STRING_EQUAL(src, "api DescribePrice");
	CU_ASSERT_EQUAL(alibaba_parse_price(xmlh_root(b), &v, src, sizeof(src)), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 0.14, 1e-9);
	CU_ASSERT_PTR_NOT_NULL(strstr(src, "CNY"));
	CU_ASSERT_EQUAL(alibaba_parse_price(xmlh_root(b)->children, &v, src, sizeof(src)),
			-ENOENT);
	xmlFreeDoc(a);
	xmlFreeDoc(b);
}

static void test_error_answer(void)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>"
				  "R-1</RequestId><HostId>ecs.aliyuncs.com</HostId><Code>"
				  "QuotaExceed.ElasticQuota</Code><Message>The quota is exceeded."
				  "</Message><Recommend>x</Recommend></Error>";
	char code[64], msg[128], reqid[32];

	CU_ASSERT_EQUAL(alibaba_parse_error(xml, sizeof(xml) - 1, code, sizeof(code), msg,
					    sizeof(msg), reqid, sizeof(reqid)), 0);
	CU_ASSERT_STRING_EQUAL(code, "QuotaExceed.ElasticQuota");
	CU_ASSERT_STRING_EQUAL(msg, "The quota is exceeded.");
	CU_ASSERT_STRING_EQUAL(reqid, "R-1");
	CU_ASSERT_EQUAL(alibaba_parse_error("<X/>", 4, code, sizeof(code), msg, sizeof(msg), reqid,
					    sizeof(reqid)), -ENOENT);
	CU_ASSERT_EQUAL(alibaba_parse_time("2015-12-27T07:35:10Z"), 1451201710);
	CU_ASSERT_EQUAL(alibaba_parse_time("garbage"), 0);
}

static int fixtures_init(void)
{
	return drvtest_fixtures("ecs");
}

static const struct cu_test parser_tests[] = {
	{ "describe_instances", test_describe_instances },
	{ "instance_statuses", test_instance_statuses },
	{ "create_instance_answers", test_create_instance_answers },
	{ "describe_images", test_describe_images },
	{ "instance_types", test_instance_types },
	{ "price_answers", test_price_answers },
	{ "error_answer", test_error_answer },
	{ NULL, NULL },
};

/* ---- tables -------------------------------------------------------------------- */

static void test_status_table(void)
{
	static const struct {
		const char *raw;
		enum drv_vm_status st;
	} cases[] = {
		{ "Pending", DRV_VM_CREATING }, { "Starting", DRV_VM_CREATING },
		{ "Running", DRV_VM_RUNNING }, { "Stopping", DRV_VM_SUSPENDING },
		{ "Stopped", DRV_VM_SUSPENDED }, { "running", DRV_VM_UNDEFINED },
		{ "Exploded", DRV_VM_UNDEFINED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(drvmap_status(alibaba_statuses, cases[i].raw), cases[i].st);
}

static void test_error_table(void)
{
	static const struct {
		int status;
		const char *code;
		int rc;
		bool retry;
	} cases[] = {
		{ 400, "Throttling", -EAGAIN, true },
		{ 400, "Throttling.User", -EAGAIN, true },
		{ 400, "Throttling.Api", -EAGAIN, true },
		{ 503, "ServiceUnavailable", -EAGAIN, true },
		{ 500, "InternalError", -EIO, true },
		{ 403, "OperationDenied.NoStock", -EIO, true },
		{ 403, "QuotaExceed.ElasticQuota", -EDQUOT, false },
		{ 404, "InvalidAccessKeyId.NotFound", -EACCES, false },
		{ 400, "SignatureDoesNotMatch", -EACCES, false },
		{ 400, "InvalidTimeStamp.Expired", -EACCES, false },
		{ 400, "SignatureNonceUsed", -EAGAIN, true },
		{ 404, "InvalidInstanceId.NotFound", -ENOENT, false },
		{ 403, "IncorrectInstanceStatus", -EBUSY, false },
		{ 400, "InvalidImageId.NotFound", -EINVAL, false },
		{ 400, "InvalidInstanceType.ValueNotSupported", -EINVAL, false },
		{ 400, "MissingParameter", -EINVAL, false },
		{ 400, "IdempotentParameterMismatch", -EINVAL, false },
		{ 400, "InvalidAction.NotFound", -EOPNOTSUPP, false },
		{ 400, "SomethingElse", -EIO, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct drvmap_answer a = { cases[i].status, cases[i].code, "m", "r", 0, NULL };
		struct drv_error e = { 0 };

		CU_ASSERT_EQUAL(drvmap_error(alibaba_errors, &a, &e), cases[i].rc);
		CU_ASSERT_EQUAL(e.retryable, cases[i].retry);
	}
}

static const struct cu_test table_tests[] = {
	{ "status_table", test_status_table },
	{ "error_table", test_error_table },
	{ NULL, NULL },
};

/* ---- an ECS stand-in -------------------------------------------------------------- */

struct ecs_vm {
	char id[32], token[72], status[16], name[64], type[32], image[96], zone[32];
	char tags[8][2][64];
	int ntags;
};

static struct ecs {
	pthread_mutex_t lock;
	struct ecs_vm vms[16];
	int nvms;
	char actions[64][40];
	int nactions;
	struct params last;	/* the last RunInstances */
	char nonces[256][40];
	int nnonces;
	bool vpc_api;		/* answer the VPC API (else InvalidAction: classic network) */
	bool prices;		/* answer DescribePrice */
	bool sg_exists;
	int fail_status, fail_count, delay_ms, bad_sigs;
	char deleted[32];	/* the last DeleteSecurityGroup's id */
	const char *fail_code;
} ecs = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void ecs_reset(void)
{
	pthread_mutex_lock(&ecs.lock);
	params_release(&ecs.last);
	ecs.nvms = ecs.nactions = ecs.fail_count = ecs.delay_ms = ecs.bad_sigs = 0;
	ecs.vpc_api = ecs.prices = true;
	ecs.sg_exists = false;
	pthread_mutex_unlock(&ecs.lock);
}

static void ecs_error(struct stub_resp *out, int status, const char *code, const char *msg)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>"
		 "req-err</RequestId><HostId>ecs</HostId><Code>%s</Code><Message>%s</Message>"
		 "</Error>", code, msg);
	out->status = status;
	out->body = strdup(buf);
}

/* Signature, key and nonce checks: NULL when the request is good, else the error code. */
static const char *ecs_auth(const struct params *p)
{
	const char *nonce = params_get(p, "SignatureNonce");

	if (!params_get(p, "AccessKeyId") || strcmp(params_get(p, "AccessKeyId"), AKID))
		return "InvalidAccessKeyId.NotFound";
	if (acs_v2_verify("POST", p, SECRET) != 0)
		return "SignatureDoesNotMatch";
	for (int i = 0; nonce && i < ecs.nnonces; i++) {
		if (strcmp(ecs.nonces[i], nonce) == 0)
			return "SignatureNonceUsed";
	}
	if (nonce && ecs.nnonces < 256)
		snprintf(ecs.nonces[ecs.nnonces++], 40, "%s", nonce);
	return NULL;
}

static void ecs_vm_xml(struct sbuf *b, const struct ecs_vm *v)
{
	sbuf_addf(b, "<Instance><InstanceId>%s</InstanceId><InstanceName>%s</InstanceName>"
		  "<Status>%s</Status><InstanceType>%s</InstanceType><ImageId>%s</ImageId>"
		  "<ZoneId>%s</ZoneId><CreationTime>2024-01-01T00:00Z</CreationTime>"
		  "<PublicIpAddress><IpAddress>47.0.0.%d</IpAddress></PublicIpAddress>"
		  "<VpcAttributes><PrivateIpAddress><IpAddress>172.16.0.%d</IpAddress>"
		  "</PrivateIpAddress></VpcAttributes><Tags>", v->id, v->name, v->status, v->type,
		  v->image, v->zone, atoi(v->id + 2), atoi(v->id + 2));
	for (int i = 0; i < v->ntags; i++)
		sbuf_addf(b, "<Tag><TagKey>%s</TagKey><TagValue>%s</TagValue></Tag>", v->tags[i][0],
			  v->tags[i][1]);
	sbuf_adds(b, "</Tags></Instance>");
}

static struct ecs_vm *ecs_find(const char *id)
{
	for (int i = 0; id && i < ecs.nvms; i++) {
		if (strcmp(ecs.vms[i].id, id) == 0)
			return &ecs.vms[i];
	}
	return NULL;
}

static void ecs_run(const struct params *p, struct sbuf *b)
{
	const char *tok = params_get(p, "ClientToken");
	struct ecs_vm *v = NULL;
	char key[32];

	for (int i = 0; tok && i < ecs.nvms; i++) {
		if (strcmp(ecs.vms[i].token, tok) == 0)
			v = &ecs.vms[i];
	}
	if (!v) {
		v = &ecs.vms[ecs.nvms++];
		memset(v, 0, sizeof(*v));
		snprintf(v->id, sizeof(v->id), "i-%d", ecs.nvms);
		snprintf(v->token, sizeof(v->token), "%s", tok ? tok : "");
		snprintf(v->status, sizeof(v->status), "Pending");
		snprintf(v->name, sizeof(v->name), "%s", params_get(p, "InstanceName"));
		snprintf(v->type, sizeof(v->type), "%s", params_get(p, "InstanceType"));
		snprintf(v->image, sizeof(v->image), "%s", params_get(p, "ImageId"));
		snprintf(v->zone, sizeof(v->zone), "%s", params_get(p, "ZoneId") ?: "");
		for (int t = 1; t <= 8; t++) {
			snprintf(key, sizeof(key), "Tag.%d.Key", t);
			if (!params_get(p, key))
				break;
			snprintf(v->tags[v->ntags][0], 64, "%s", params_get(p, key));
			snprintf(key, sizeof(key), "Tag.%d.Value", t);
			snprintf(v->tags[v->ntags++][1], 64, "%s", params_get(p, key));
		}
	}
	sbuf_addf(b, "<InstanceIdSets><InstanceIdSet>%s</InstanceIdSet></InstanceIdSets>", v->id);
}

static bool ecs_tagged(const struct ecs_vm *v, const char *k, const char *val)
{
	for (int i = 0; i < v->ntags; i++) {
		if (strcmp(v->tags[i][0], k) == 0 && strcmp(v->tags[i][1], val) == 0)
			return true;
	}
	return !k;
}

/* By InstanceIds (a JSON array of one), or by Tag.1, one instance per page. */
static void ecs_describe(const struct params *p, struct sbuf *b)
{
	const char *ids = params_get(p, "InstanceIds"), *k = params_get(p, "Tag.1.Key");
	const char *val = params_get(p, "Tag.1.Value");
	int page = params_get(p, "PageNumber") ? atoi(params_get(p, "PageNumber")) : 1, n = 0;
	struct ecs_vm *match[16];
	char id[40] = "";

	if (ids)
		sscanf(ids, "[\"%39[^\"]", id);
	for (int i = 0; i < ecs.nvms; i++) {
		if ((ids && strcmp(ecs.vms[i].id, id) == 0) || (!ids && ecs_tagged(&ecs.vms[i], k, val)))
			match[n++] = &ecs.vms[i];
	}
	sbuf_addf(b, "<TotalCount>%d</TotalCount><PageNumber>%d</PageNumber><PageSize>1</PageSize>"
		  "<Instances>", n, page);
	if (page >= 1 && page <= n)
		ecs_vm_xml(b, match[page - 1]);
	sbuf_adds(b, "</Instances>");
}

static void ecs_state(const struct params *p, struct stub_resp *out, const char *status)
{
	struct ecs_vm *v = ecs_find(params_get(p, "InstanceId"));

	if (!v)
		ecs_error(out, 404, "InvalidInstanceId.NotFound", "The instance does not exist");
	else if (strcmp(status, "Deleted") == 0)
		*v = ecs.vms[--ecs.nvms];	/* a deleted instance leaves the listings */
	else
		snprintf(v->status, sizeof(v->status), "%s", status);
}

static bool ecs_vpc_action(const char *action, struct sbuf *b, struct stub_resp *out)
{
	if (strcmp(action, "DescribeVpcs") != 0 && strcmp(action, "DescribeVSwitches") != 0)
		return false;
	if (!ecs.vpc_api)
		ecs_error(out, 404, "InvalidAction.NotFound", "Specified api is not found");
	else if (strcmp(action, "DescribeVpcs") == 0)
		sbuf_adds(b, "<Vpcs><Vpc><VpcId>vpc-0</VpcId><IsDefault>false</IsDefault></Vpc><Vpc>"
			     "<VpcId>vpc-1</VpcId><IsDefault>true</IsDefault></Vpc></Vpcs>");
	else
		sbuf_adds(b, "<VSwitches><VSwitch><VSwitchId>vsw-x</VSwitchId><VpcId>vpc-1</VpcId>"
			     "<ZoneId>cn-test-b</ZoneId><IsDefault>true</IsDefault></VSwitch>"
			     "<VSwitch><VSwitchId>vsw-a</VSwitchId><VpcId>vpc-1</VpcId><ZoneId>"
			     "cn-test-a</ZoneId><IsDefault>false</IsDefault></VSwitch><VSwitch>"
			     "<VSwitchId>vsw-b</VSwitchId><VpcId>vpc-1</VpcId><ZoneId>cn-test-a"
			     "</ZoneId><IsDefault>true</IsDefault></VSwitch></VSwitches>");
	return true;
}

static void ecs_act(const char *action, const struct params *p, struct sbuf *b,
		    struct stub_resp *out)
{
	if (ecs_vpc_action(action, b, out))
		return;
	if (strcmp(action, "DescribeZones") == 0)
		sbuf_adds(b, "<Zones><Zone><ZoneId>cn-test-a</ZoneId></Zone></Zones>");
	else if (strcmp(action, "DescribeSecurityGroups") == 0)
		/* Filters ignored, as an emulator might: the driver must pick by itself. */
		sbuf_addf(b, "<SecurityGroups><SecurityGroup><SecurityGroupId>sg-1</SecurityGroupId>"
			  "<SecurityGroupName>default</SecurityGroupName><VpcId>%s</VpcId>"
			  "</SecurityGroup>%s</SecurityGroups>", ecs.vpc_api ? "vpc-1" : "",
			  !ecs.sg_exists ? "" : ecs.vpc_api ? SG7("vpc-1") : SG7(""));
	else if (strcmp(action, "CreateSecurityGroup") == 0 && (ecs.sg_exists = true))
		sbuf_adds(b, "<SecurityGroupId>sg-7</SecurityGroupId>");
	else if (strcmp(action, "DescribeImages") == 0 && params_get(p, "ImageId"))
		sbuf_adds(b, "<TotalCount>0</TotalCount><Images/>");
	else if (strcmp(action, "DescribeImages") == 0)
		sbuf_adds(b, "<TotalCount>3</TotalCount><Images><Image><ImageId>centos.vhd</ImageId>"
			     "<ImageName>centos-7</ImageName><CreationTime>2025-01-01T00:00:00Z"
			     "</CreationTime></Image><Image><ImageId>ubuntu_22_04_old.vhd"
			     "</ImageId><ImageName>ubuntu-22.04</ImageName><CreationTime>2023-01-01"
			     "T00:00:00Z</CreationTime></Image><Image><ImageId>ubuntu_22_04_new.vhd"
			     "</ImageId><ImageName>ubuntu-22.04</ImageName><CreationTime>2024-01-01"
			     "T00:00:00Z</CreationTime></Image></Images>");
	else if (strcmp(action, "DescribeInstanceTypes") == 0)
		sbuf_adds(b, "<InstanceTypes><InstanceType><InstanceTypeId>ecs.g6.large"
			     "</InstanceTypeId><CpuCoreCount>2</CpuCoreCount><MemorySize>8.0"
			     "</MemorySize></InstanceType><InstanceType><InstanceTypeId>ecs.gn6i"
			     "</InstanceTypeId><CpuCoreCount>4</CpuCoreCount><MemorySize>15.0"
			     "</MemorySize><GPUAmount>1</GPUAmount><GPUSpec>NVIDIA T4</GPUSpec>"
			     "<CpuArchitecture>X86</CpuArchitecture></InstanceType></InstanceTypes>");
	else if (strcmp(action, "DescribePrice") == 0 && ecs.prices)
		sbuf_adds(b, "<PriceInfo><Price><TradePrice>0.5</TradePrice><Currency>USD"
			     "</Currency></Price></PriceInfo>");
	else if (strcmp(action, "RunInstances") == 0)
		ecs_run(p, b);
	else if (strcmp(action, "DescribeInstances") == 0)
		ecs_describe(p, b);
	else if (strcmp(action, "StopInstance") == 0)
		ecs_state(p, out, "Stopped");
	else if (strcmp(action, "StartInstance") == 0 || strcmp(action, "RebootInstance") == 0)
		ecs_state(p, out, "Running");
	else if (strcmp(action, "DeleteInstance") == 0)
		ecs_state(p, out, "Deleted");
	else if (strcmp(action, "DeleteSecurityGroup") == 0)
		snprintf(ecs.deleted, sizeof(ecs.deleted), "%s", params_get(p, "SecurityGroupId"));
	else if (strcmp(action, "AuthorizeSecurityGroup") && strcmp(action, "ImportKeyPair") &&
		 strcmp(action, "TagResources") && strcmp(action, "UntagResources") &&
		 strcmp(action, "DeleteKeyPairs") &&
		 strcmp(action, "DescribeKeyPairs"))
		ecs_error(out, 400, "InvalidAction.NotFound", "Specified api is not found");
}

static void ecs_handler(void *arg, const struct stub_req *r, struct stub_resp *out)
{
	struct params p = PARAMS_INIT;
	struct sbuf b = SBUF_INIT;
	const char *action, *bad;

	(void)arg;
	params_parse(&p, r->body, r->body_len, true);
	action = params_get(&p, "Action") ?: "?";
	pthread_mutex_lock(&ecs.lock);
	out->delay_ms = ecs.delay_ms;
	if (ecs.nactions < 64)
		snprintf(ecs.actions[ecs.nactions++], 40, "%s", action);
	bad = ecs_auth(&p);
	if (bad) {
		ecs.bad_sigs++;
		ecs_error(out, 400, bad, "refused");
	} else if (ecs.fail_count > 0) {
		ecs.fail_count--;
		ecs_error(out, ecs.fail_status, ecs.fail_code, "injected, secret " SECRET);
	} else {
		if (strcmp(action, "RunInstances") == 0) {
			params_release(&ecs.last);
			params_parse(&ecs.last, r->body, r->body_len, true);
		}
		sbuf_addf(&b, "<?xml version=\"1.0\"?><%sResponse><RequestId>r-%d</RequestId>", action,
			  ecs.nactions);
		ecs_act(action, &p, &b, out);
		sbuf_addf(&b, "</%sResponse>", action);
		if (!out->body)
			out->body = sbuf_detach(&b, NULL);
	}
	pthread_mutex_unlock(&ecs.lock);
	sbuf_release(&b);
	params_release(&p);
}

/* ---- the ABI, through dlopen ---------------------------------------------------- */

static struct stub *srv;
static void *so;
static const struct drv_ops *ops;

static int abi_init(void)
{
	ops = drvtest_open("alibaba", &so);
	srv = stub_start(ecs_handler, NULL, NULL, NULL);
	ecs_reset();
	return ops && srv ? 0 : -1;
}

static int abi_clean(void)
{
	stub_stop(srv);
	if (so)
		dlclose(so);
	params_release(&ecs.last);
	return 0;
}

static void *conn_with(const char *secret, const char *ssh_key)
{
	char url[128];
	json_t *spec = json_pack("{s:s, s:s, s:s, s:s}", "region", "cn-test", "zone", "cn-test-a",
				 "endpoint", stub_url(srv, 0, "/", url, sizeof(url)), "ssh_key",
				 ssh_key ? ssh_key : "");
	json_t *cred = json_pack("{s:s, s:s}", "access_key_id", AKID, "access_key_secret", secret);
	struct drv_config cfg = { "ali-test", spec, cred, "/tmp" };
	struct drv_error err = { 0 };
	void *conn = NULL;

	CU_ASSERT_EQUAL(ops->connect(&cfg, &conn, &err), 0);
	json_decref(spec);
	json_decref(cred);
	return conn;
}

static void test_exports(void)
{
	CU_ASSERT_EQUAL(ops->abi_version, DRV_ABI_VERSION);
	CU_ASSERT_EQUAL(ops->size, sizeof(struct drv_ops));
	CU_ASSERT_STRING_EQUAL(ops->name, "alibaba");
	CU_ASSERT_TRUE(ops->caps & DRV_CAP_CREDENTIAL);
	CU_ASSERT_PTR_NOT_NULL(ops->create_vm);
	CU_ASSERT_PTR_NOT_NULL(ops->list_vms);
	CU_ASSERT_PTR_NOT_NULL(ops->cleanup);
	CU_ASSERT_PTR_NULL(dlsym(so, "alibaba_call"));
	CU_ASSERT_PTR_NULL(dlsym(so, "acs_v2_sign"));
}

static void test_connect_errors(void)
{
	json_t *spec = json_pack("{s:s}", "region", "cn-test");
	json_t *cred = json_pack("{s:s}", "access_key_id", AKID);
	struct drv_config cfg = { "c", spec, cred, "/tmp" };
	struct drv_error err = { 0 };
	void *conn = NULL;

	CU_ASSERT_EQUAL(ops->connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "credential key 'access_key_secret' is missing");
	json_object_set_new(cred, "access_key_secret", json_string(SECRET));
	json_object_del(spec, "region");
	CU_ASSERT_EQUAL(ops->connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "spec key 'region' is missing");
	CU_ASSERT_PTR_NULL(conn);
	/* No credential yet: the connection is made, every call is refused. */
	json_object_set_new(spec, "region", json_string("cn-test"));
	cfg.credential = NULL;
	CU_ASSERT_EQUAL_FATAL(ops->connect(&cfg, &conn, &err), 0);
	{
		struct drv_ctx ctx = ctx_ms(1000);

		CU_ASSERT_EQUAL(ops->health(conn, &ctx, &err), -EACCES);
		CU_ASSERT_STRING_EQUAL(err.code, "MissingCredential");
		ops->disconnect(conn);
	}
	json_decref(spec);
	json_decref(cred);
}

static void test_health(void)
{
	void *good = conn_with(SECRET, NULL), *bad = conn_with("wrong", NULL);
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };

	ecs_reset();
	CU_ASSERT_EQUAL(ops->health(good, &ctx, &err), 0);
	CU_ASSERT_EQUAL(ops->health(good, &ctx, &err), 0);	/* a fresh nonce each time */
	CU_ASSERT_EQUAL(ecs.bad_sigs, 0);
	CU_ASSERT_EQUAL(ops->health(bad, &ctx, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "SignatureDoesNotMatch");
	CU_ASSERT_STRING_EQUAL(err.request_id, "req-err");
	ops->disconnect(good);
	ops->disconnect(bad);
}

static const struct drv_kv std_tags[] = {
	{ DRV_TAG_ID, "g1/web-1" }, { DRV_TAG_GROUP, "g1" }, { DRV_TAG_MANAGED, "baristafs" },
};

static void test_create_idempotent(void)
{
	void *c = conn_with(SECRET, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB test@host");
	struct drv_vm_req req = { .name = "web-1", .client_token = "g1-web-1-a1",
				  .spec = "ecs.g6.large", .image = "ubuntu-22.04",
				  .user_data = "#!/bin/sh\necho hi\n", .tags = std_tags,
				  .ntags = 3 };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_vm vm, again;
	int calls;

	ecs_reset();
	CU_ASSERT_EQUAL_FATAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "i-1");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/web-1");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "ClientToken"), "g1-web-1-a1");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "ImageId"), "ubuntu_22_04_new.vhd");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "VSwitchId"), "vsw-b");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "SecurityGroupId"), "sg-7");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "ZoneId"), "cn-test-a");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "UserData"), "IyEvYmluL3NoCmVjaG8gaGkK");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "Amount"), "1");
	CU_ASSERT_NSTRING_EQUAL(params_get(&ecs.last, "KeyPairName"), "baristafs-", 10);
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "Tag.3.Key"), "managed-by");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "Tag.3.Value"), "baristafs");
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "Version"), "2014-05-26");
	calls = ecs.nactions;
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &again, &err), 0);
	CU_ASSERT_STRING_EQUAL(again.csp_id, vm.csp_id);
	CU_ASSERT_EQUAL(ecs.nvms, 1);
	CU_ASSERT_EQUAL(ecs.nactions, calls + 1);	/* only RunInstances: the rest is cached */
	CU_ASSERT_EQUAL(ecs.bad_sigs, 0);
	ops->disconnect(c);
}

static void test_classic_network(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_vm_req req = { .name = "x", .client_token = "t-classic", .spec = "ecs.g6.large",
				  .image = "ubuntu-22.04" };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_vm vm;

	ecs_reset();
	ecs.vpc_api = false;	/* the endpoint has no VPC API */
	CU_ASSERT_EQUAL_FATAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_PTR_NULL(params_get(&ecs.last, "VSwitchId"));
	CU_ASSERT_STRING_EQUAL(params_get(&ecs.last, "SecurityGroupId"), "sg-7");
	ops->disconnect(c);
}

static void test_get_list_control(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_kv mine = { DRV_TAG_ID, "g1/web-2" };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct ids ids = { .n = 0 };
	struct drv_vm vm;

	ecs_reset();
	for (int i = 0; i < 3; i++) {
		char tok[16], id[16];
		struct drv_kv tags[] = { { DRV_TAG_ID, id }, { DRV_TAG_MANAGED, "baristafs" } };
		struct drv_vm_req req = { .name = "vm", .client_token = tok, .spec = "ecs.g6.large",
					  .image = "ubuntu-22.04", .tags = tags, .ntags = 2 };

		snprintf(tok, sizeof(tok), "tok-%d", i);
		snprintf(id, sizeof(id), "g1/web-%d", i + 1);
		CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	}
	CU_ASSERT_EQUAL(ops->list_vms(c, &ctx, NULL, collect_id, &ids, &err), 0);
	CU_ASSERT_EQUAL(ids.n, 3);	/* three pages of one */
	ids.n = 0;
	CU_ASSERT_EQUAL(ops->list_vms(c, &ctx, &mine, collect_id, &ids, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ids.n, 1);
	CU_ASSERT_STRING_EQUAL(ids.id[0], "i-2");
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-2", &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/web-2");
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "47.0.0.2");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "172.16.0.2");
	CU_ASSERT_EQUAL(vm.created, 1704067200);
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-2", DRV_ACT_SUSPEND, &err), 0);
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-2", &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_SUSPENDED);
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-2", DRV_ACT_RESUME, &err), 0);
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-2", DRV_ACT_REBOOT, &err), 0);
	CU_ASSERT_EQUAL(ops->delete_vm(c, &ctx, "i-2", &err), 0);
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-2", &vm, &err), -ENOENT);
	CU_ASSERT_EQUAL(ops->delete_vm(c, &ctx, "i-2", &err), 0);	/* gone: done */
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-2", DRV_ACT_RESUME, &err), -ENOENT);
	CU_ASSERT_EQUAL(ecs.bad_sigs, 0);
	ops->disconnect(c);
}

static void test_specs_and_images(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct specs ss = { .n = 0 };
	struct images is = { .n = 0 };

	ecs_reset();
	CU_ASSERT_EQUAL(ops->list_specs(c, &ctx, collect_spec, &ss, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ss.n, 2);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[0].price_usd_per_hour, 0.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(ss.v[0].price_source, "api DescribePrice");
	CU_ASSERT_EQUAL(ss.v[1].gpus, 1);
	CU_ASSERT_STRING_EQUAL(ss.v[1].gpu_model, "NVIDIA T4");
	/* Without DescribePrice: unknown prices, asked once only. */
	ecs_reset();
	ecs.prices = false;
	ss.n = 0;
	CU_ASSERT_EQUAL(ops->list_specs(c, &ctx, collect_spec, &ss, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ss.n, 2);
	CU_ASSERT(ss.v[0].price_usd_per_hour < 0);
	CU_ASSERT(ss.v[1].price_usd_per_hour < 0);
	CU_ASSERT_EQUAL(ecs.nactions, 2);
	CU_ASSERT_EQUAL(ops->list_images(c, &ctx, collect_image, &is, &err), 0);
	CU_ASSERT_EQUAL(is.n, 3);
	CU_ASSERT_STRING_EQUAL(is.v[1].name, "ubuntu-22.04");
	ops->disconnect(c);
}

static void test_faults(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };

	ecs_reset();
	ecs.fail_status = 400;
	ecs.fail_code = "Throttling.User";
	ecs.fail_count = 1;
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -EAGAIN);
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_STRING_EQUAL(err.message, "injected, secret ***");
	CU_ASSERT_EQUAL(ecs.nactions, 1);
	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), 0);
	ecs.fail_status = 403;
	ecs.fail_code = "QuotaExceed.ElasticQuota";
	ecs.fail_count = 1;
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -EDQUOT);
	ecs.fail_status = 500;
	ecs.fail_code = "InternalError";
	ecs.fail_count = 1;
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -EIO);
	CU_ASSERT_TRUE(err.retryable);
	ecs.delay_ms = 1500;
	ctx = ctx_ms(200);
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -ETIMEDOUT);
	ecs.delay_ms = 0;
	ops->disconnect(c);
}

static void test_tags_and_cleanup(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_kv init[] = { { DRV_TAG_ID, "g/v" }, { "old", "x" } };
	struct drv_kv tags[] = { { "tier", "front" } };
	struct drv_vm_req req = { .name = "vm", .client_token = "t1", .spec = "ecs.g6.large",
				  .image = "ubuntu-22.04", .tags = init, .ntags = 2 };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_vm vm;

	ecs_reset();
	CU_ASSERT_EQUAL_FATAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_EQUAL(ops->tag_vm(c, &ctx, vm.csp_id, tags, 1, &err), 0);
	CU_ASSERT_STRING_EQUAL(ecs.actions[ecs.nactions - 2], "UntagResources");
	CU_ASSERT_STRING_EQUAL(ecs.actions[ecs.nactions - 1], "TagResources");
	CU_ASSERT_EQUAL(ops->tag_vm(c, &ctx, "i-404", tags, 1, &err), -ENOENT);
	ecs.nactions = 0;
	CU_ASSERT_EQUAL(ops->cleanup(c, &ctx, &err), 0);
	CU_ASSERT_STRING_EQUAL(ecs.actions[0], "DescribeSecurityGroups");
	CU_ASSERT_STRING_EQUAL(ecs.actions[1], "DeleteSecurityGroup");
	CU_ASSERT_STRING_EQUAL(ecs.deleted, "sg-7");	/* not the untagged "default" */
	CU_ASSERT_STRING_EQUAL(ecs.actions[2], "DescribeKeyPairs");
	ops->disconnect(c);
}

static const struct cu_test abi_tests[] = {
	{ "exports", test_exports },
	{ "connect_errors", test_connect_errors },
	{ "health", test_health },
	{ "create_idempotent", test_create_idempotent },
	{ "classic_network", test_classic_network },
	{ "get_list_control", test_get_list_control },
	{ "specs_and_images", test_specs_and_images },
	{ "faults", test_faults },
	{ "tags_and_cleanup", test_tags_and_cleanup },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "alibaba_tables", NULL, NULL, table_tests },
	{ "alibaba_abi", abi_init, abi_clean, abi_tests },
	{ "alibaba_fixtures", fixtures_init, NULL, parser_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
