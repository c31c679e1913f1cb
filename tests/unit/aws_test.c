/*
 * aws_test.c - the aws driver.
 *
 *  - parsers: the recorded EC2 answers in ../shared/fixtures/libcloud-compute/ec2/,
 *    every field the driver reads (the parser sources are compiled in);
 *  - tables: statuses, errors, prices;
 *  - the ABI: drivers/aws.so loaded with dlopen and driven against a small
 *    EC2 stand-in (tests/unit/drvstub.h) that verifies every request's
 *    SigV4 signature with the common verifier, keeps instances by
 *    ClientToken, paginates one instance per page and injects throttling,
 *    5xx answers and stalls on demand.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/aws/aws_parse.c"
#include "drivers/aws/aws_tables.c"
#include "drivers/common/sigv4.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvstub.h"
#include "tests/unit/drvtest.h"

#define AKID "AKIDTEST"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SG9 "<item><groupId>sg-9</groupId><groupName>baristafs-aws-test</groupName>" \
	"<vpcId>vpc-1</vpcId><tagSet><item><key>managed-by</key><value>baristafs</value></item>" \
	"<item><key>baristafs-id</key><value>conn:aws-test</value></item></tagSet></item>"
#define NS "<%sResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-%d</requestId>"


static void test_describe_instances(void)
{
	xmlDoc *doc;
	struct vms vs = { .n = 0 };
	char next[64] = "x";

	if (!fixdir[0])
		return;
	doc = fixture("describe_instances.xml");
	CU_ASSERT_EQUAL(aws_parse_instances(xmlh_root(doc), collect_vm, &vs, next, sizeof(next)), 0);
	CU_ASSERT_STRING_EQUAL(next, "");
	CU_ASSERT_EQUAL_FATAL(vs.n, 2);
	CU_ASSERT_STRING_EQUAL(vs.v[0].csp_id, "i-4382922a");
	CU_ASSERT_STRING_EQUAL(vs.v[0].status_raw, "stopped");
	CU_ASSERT_EQUAL(vs.v[0].status, DRV_VM_SUSPENDED);
	CU_ASSERT_STRING_EQUAL(vs.v[0].spec, "m1.small");
	CU_ASSERT_STRING_EQUAL(vs.v[0].image, "ami-3215fe5a");
	CU_ASSERT_STRING_EQUAL(vs.v[0].zone, "us-east-1d");
	CU_ASSERT_STRING_EQUAL(vs.v[0].public_ip, "1.2.3.4");
	CU_ASSERT_STRING_EQUAL(vs.v[0].private_ip, "10.211.11.211");
	CU_ASSERT_EQUAL(vs.v[0].created, 1385985491);	/* 2013-12-02T11:58:11.000Z */
	CU_ASSERT_STRING_EQUAL(vs.v[0].client_token, "ifmxj1365530456668");
	CU_ASSERT_STRING_EQUAL(vs.v[0].reason, "Client.UserInitiatedShutdown: User initiated shutdown");
	CU_ASSERT_STRING_EQUAL(vs.v[0].name, "");
	CU_ASSERT_STRING_EQUAL(vs.v[0].baristafs_id, "");
	CU_ASSERT_STRING_EQUAL(vs.v[1].csp_id, "i-8474834a");
	CU_ASSERT_STRING_EQUAL(vs.v[1].name, "Test Server 2");
	CU_ASSERT_STRING_EQUAL(vs.v[1].client_token, "");
	CU_ASSERT_STRING_EQUAL(vs.v[1].private_ip, "172.16.9.139");
	CU_ASSERT_STRING_EQUAL(vs.v[1].public_ip, "1.2.3.5");
	CU_ASSERT_STRING_EQUAL(vs.v[1].spec, "t1.micro");
	xmlFreeDoc(doc);
}

static void test_run_instances(void)
{
	static const char *files[] = { "run_instances.xml", "run_instances_idem.xml" };
	static const char *tokens[] = { "", "testclienttoken" };

	if (!fixdir[0])
		return;
	for (int i = 0; i < 2; i++) {
		xmlDoc *doc = fixture(files[i]);
		struct vms vs = { .n = 0 };

		CU_ASSERT_EQUAL(aws_parse_instances(xmlh_root(doc), collect_vm, &vs, NULL, 0), 0);
		CU_ASSERT_EQUAL_FATAL(vs.n, 1);
		CU_ASSERT_STRING_EQUAL(vs.v[0].csp_id, "i-2ba64342");
		CU_ASSERT_STRING_EQUAL(vs.v[0].status_raw, "pending");
		CU_ASSERT_EQUAL(vs.v[0].status, DRV_VM_CREATING);
		CU_ASSERT_STRING_EQUAL(vs.v[0].image, "ami-be3adfd7");
		CU_ASSERT_STRING_EQUAL(vs.v[0].spec, "m1.small");
		CU_ASSERT_STRING_EQUAL(vs.v[0].zone, "us-east-1b");
		CU_ASSERT_EQUAL(vs.v[0].created, 1186487510);	/* 2007-08-07T11:51:50.000Z */
		CU_ASSERT_STRING_EQUAL(vs.v[0].client_token, tokens[i]);
		xmlFreeDoc(doc);
	}
}

static void test_state_changes(void)
{
	static const struct {
		const char *file, *id, *raw;
		enum drv_vm_status st;
	} cases[] = {
		{ "terminate_instances.xml", "i-4382922a", "shutting-down", DRV_VM_TERMINATING },
		{ "start_instances.xml", "i-ff5de6aa", "pending", DRV_VM_CREATING },
		{ "stop_instances.xml", "i-2ba64342", "stopping", DRV_VM_SUSPENDING },
	};

	if (!fixdir[0])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		xmlDoc *doc = fixture(cases[i].file);
		struct vms vs = { .n = 0 };

		CU_ASSERT_EQUAL(aws_parse_instances(xmlh_root(doc), collect_vm, &vs, NULL, 0), 0);
		CU_ASSERT_EQUAL_FATAL(vs.n, 1);
		CU_ASSERT_STRING_EQUAL(vs.v[0].csp_id, cases[i].id);
		CU_ASSERT_STRING_EQUAL(vs.v[0].status_raw, cases[i].raw);
		CU_ASSERT_EQUAL(vs.v[0].status, cases[i].st);
		xmlFreeDoc(doc);
	}
}


static void test_describe_images(void)
{
	struct images is = { .n = 0 };
	xmlDoc *doc;

	if (!fixdir[0])
		return;
	doc = fixture("describe_images.xml");
	CU_ASSERT_EQUAL(aws_parse_images(xmlh_root(doc), collect_image, &is, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(is.n, 3);
	CU_ASSERT_STRING_EQUAL(is.v[0].id, "ami-57ba933a");
	/* "Test Image" is no valid file name: the tree names it by its id. */
	CU_ASSERT_STRING_EQUAL(is.v[0].name, "ami-57ba933a");
	CU_ASSERT_STRING_EQUAL(is.v[0].arch, "x86_64");
	CU_ASSERT_STRING_EQUAL(is.v[0].description, "Testing Stuff");
	CU_ASSERT_STRING_EQUAL(is.v[0].os, "linux");
	CU_ASSERT_STRING_EQUAL(is.v[1].id, "ami-85b2a8ae");
	CU_ASSERT_STRING_EQUAL(is.v[1].description, "");
	CU_ASSERT_STRING_EQUAL(is.v[2].id, "ami-85b2a8ac");
	xmlFreeDoc(doc);
}


static void test_instance_types_euca(void)
{
	struct specs ss = { .n = 0 };
	xmlDoc *doc;

	if (!fixdir[0])
		return;
	doc = fixture("describe_instance_types.xml");
	CU_ASSERT_EQUAL(aws_parse_types(xmlh_root(doc), collect_spec, &ss, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(ss.n, 18);
	CU_ASSERT_STRING_EQUAL(ss.v[0].name, "m1.small");
	CU_ASSERT_EQUAL(ss.v[0].vcpus, 1);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[0].mem_gib, 0.25, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[0].price_usd_per_hour, 0.044, 1e-9);
	CU_ASSERT_PTR_NOT_NULL(strstr(ss.v[0].price_source, "2024"));
	CU_ASSERT_STRING_EQUAL(ss.v[17].name, "hs1.8xlarge");
	CU_ASSERT_EQUAL(ss.v[17].vcpus, 16);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[17].mem_gib, 117.0, 1e-9);
	CU_ASSERT(ss.v[17].price_usd_per_hour < 0);
	CU_ASSERT_STRING_EQUAL(ss.v[17].price_source, "unknown");
	xmlFreeDoc(doc);
}

static void test_instance_types_ec2(void)
{
	/* The shape real EC2 answers with (botocore's model: instanceTypeSet). */
	static const char xml[] =
		"<DescribeInstanceTypesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		"<instanceTypeSet><item><instanceType>g4dn.xlarge</instanceType>"
		"<vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo>"
		"<memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo>"
		"<processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures>"
		"</processorInfo><gpuInfo><gpus><item><name>T4</name><manufacturer>NVIDIA</manufacturer>"
		"<count>1</count></item></gpus></gpuInfo></item>"
		"<item><instanceType>t4g.small</instanceType><vCpuInfo><defaultVCpus>2</defaultVCpus>"
		"</vCpuInfo><memoryInfo><sizeInMiB>2048</sizeInMiB></memoryInfo><processorInfo>"
		"<supportedArchitectures><item>arm64</item></supportedArchitectures></processorInfo>"
		"</item></instanceTypeSet><nextToken>page2</nextToken></DescribeInstanceTypesResponse>";
	xmlDoc *doc = xmlh_parse(xml, sizeof(xml) - 1);
	struct specs ss = { .n = 0 };
	char next[32];

	CU_ASSERT_EQUAL(aws_parse_types(xmlh_root(doc), collect_spec, &ss, next, sizeof(next)), 0);
	CU_ASSERT_STRING_EQUAL(next, "page2");
	CU_ASSERT_EQUAL_FATAL(ss.n, 2);
	CU_ASSERT_EQUAL(ss.v[0].vcpus, 4);
	CU_ASSERT_DOUBLE_EQUAL(ss.v[0].mem_gib, 16.0, 1e-9);
	CU_ASSERT_EQUAL(ss.v[0].gpus, 1);
	CU_ASSERT_STRING_EQUAL(ss.v[0].gpu_model, "T4");
	CU_ASSERT_STRING_EQUAL(ss.v[0].arch, "x86_64");
	CU_ASSERT_DOUBLE_EQUAL(ss.v[0].price_usd_per_hour, 0.526, 1e-9);
	CU_ASSERT_STRING_EQUAL(ss.v[1].arch, "arm64");
	CU_ASSERT_EQUAL(ss.v[1].gpus, 0);
	xmlFreeDoc(doc);
}

static void test_error_answers(void)
{
	static const struct {
		const char *file, *code, *msg_start, *reqid;
	} cases[] = {
		{ "run_instances_idem_mismatch.xml", "IdempotentParameterMismatch",
		  "Arguments on this idempotent request", "5dabd361-d2e0-4f79-937d-4b2852a3b719" },
		{ "describe_key_pairs_doesnt_exist.xml", "InvalidKeyPair.NotFound",
		  "The key pair 'test-key-pair' does not exist", "31b97300-eb8e-405e-9567-b0f57b791fed" },
	};
	char code[64], msg[384], reqid[96], path[768];

	if (!fixdir[0])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		FILE *f;
		char body[4096];
		size_t n;

		snprintf(path, sizeof(path), "%s/%s", fixdir, cases[i].file);
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		n = fread(body, 1, sizeof(body), f);
		fclose(f);
		CU_ASSERT_EQUAL(aws_parse_error(body, n, code, sizeof(code), msg, sizeof(msg), reqid,
						sizeof(reqid)), 0);
		CU_ASSERT_STRING_EQUAL(code, cases[i].code);
		CU_ASSERT_NSTRING_EQUAL(msg, cases[i].msg_start, strlen(cases[i].msg_start));
		CU_ASSERT_STRING_EQUAL(reqid, cases[i].reqid);
	}
	CU_ASSERT_EQUAL(aws_parse_error("<html>busy</html>", 17, code, sizeof(code), msg,
					sizeof(msg), reqid, sizeof(reqid)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(code, "");
}

static int fixtures_init(void)
{
	return drvtest_fixtures("ec2");
}

static const struct cu_test parser_tests[] = {
	{ "describe_instances", test_describe_instances },
	{ "run_instances", test_run_instances },
	{ "state_changes", test_state_changes },
	{ "describe_images", test_describe_images },
	{ "instance_types_euca", test_instance_types_euca },
	{ "instance_types_ec2", test_instance_types_ec2 },
	{ "error_answers", test_error_answers },
	{ NULL, NULL },
};

/* ---- tables -------------------------------------------------------------------- */

static void test_status_table(void)
{
	static const struct {
		const char *state, *reason;
		enum drv_vm_status st;
	} cases[] = {
		{ "pending", NULL, DRV_VM_CREATING },
		{ "running", NULL, DRV_VM_RUNNING },
		{ "stopping", NULL, DRV_VM_SUSPENDING },
		{ "stopped", "Client.UserInitiatedShutdown", DRV_VM_SUSPENDED },
		{ "shutting-down", NULL, DRV_VM_TERMINATING },
		{ "terminated", "Client.UserInitiatedShutdown", DRV_VM_TERMINATED },
		{ "terminated", "Server.InsufficientInstanceCapacity", DRV_VM_FAILED },
		{ "terminated", "Server.InternalError", DRV_VM_FAILED },
		{ "terminated", "Client.VolumeLimitExceeded", DRV_VM_FAILED },
		{ "terminated", "Client.InstanceInitiatedShutdown", DRV_VM_TERMINATED },
		{ "terminated", NULL, DRV_VM_TERMINATED },
		{ "exploded", NULL, DRV_VM_UNDEFINED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(aws_status(cases[i].state, cases[i].reason), cases[i].st);
}

static void test_error_table(void)
{
	static const struct {
		int status;
		const char *code;
		int rc;
		bool retry;
	} cases[] = {
		{ 503, "RequestLimitExceeded", -EAGAIN, true },
		{ 400, "Throttling", -EAGAIN, true },
		{ 503, "Unavailable", -EIO, true },
		{ 500, "InternalError", -EIO, true },
		{ 500, "InsufficientInstanceCapacity", -EIO, true },
		{ 400, "InstanceLimitExceeded", -EDQUOT, false },
		{ 400, "VcpuLimitExceeded", -EDQUOT, false },
		{ 401, "AuthFailure", -EACCES, false },
		{ 403, "UnauthorizedOperation", -EACCES, false },
		{ 403, "SignatureDoesNotMatch", -EACCES, false },
		{ 400, "RequestExpired", -EACCES, false },
		{ 400, "InvalidInstanceID.NotFound", -ENOENT, false },
		{ 400, "InvalidAMIID.NotFound", -EINVAL, false },
		{ 400, "InvalidAMIID.Malformed", -EINVAL, false },
		{ 400, "InvalidParameterValue", -EINVAL, false },
		{ 400, "IdempotentParameterMismatch", -EINVAL, false },
		{ 400, "IncorrectInstanceState", -EBUSY, false },
		{ 400, "InvalidGroup.Duplicate", -EEXIST, false },
		{ 400, "SomethingNobodyKnows", -EIO, false },
		{ 502, "", -EIO, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct drvmap_answer a = { cases[i].status, cases[i].code, "m", "r", 0, NULL };
		struct drv_error e = { 0 };

		CU_ASSERT_EQUAL(drvmap_error(aws_errors, &a, &e), cases[i].rc);
		CU_ASSERT_EQUAL(e.retryable, cases[i].retry);
		if (cases[i].code[0])
			CU_ASSERT_STRING_EQUAL(e.code, cases[i].code);
	}
}

static void test_price_table(void)
{
	const char *src;

	CU_ASSERT_DOUBLE_EQUAL(aws_price("t3.small", &src), 0.0208, 1e-9);
	CU_ASSERT_PTR_NOT_NULL(strstr(src, "aws.amazon.com/ec2/pricing"));
	CU_ASSERT(aws_price("x9.nonexistent", &src) < 0);
	CU_ASSERT_STRING_EQUAL(src, "unknown");
}

static void test_image_names(void)
{
	char out[128];

	aws_image_name("ubuntu-22.04", "ami-1", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ubuntu-22.04");
	aws_image_name("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20231207", "ami-1",
		       out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ubuntu-jammy-22.04-amd64-server-20231207");
	aws_image_name("Test Image", "ami-57ba933a", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ami-57ba933a");
	aws_image_name("a/B", "ami-2", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ami-2");
}

static const struct cu_test table_tests[] = {
	{ "image_names", test_image_names },
	{ "status_table", test_status_table },
	{ "error_table", test_error_table },
	{ "price_table", test_price_table },
	{ NULL, NULL },
};

/* ---- an EC2 stand-in ------------------------------------------------------------- */

struct ec2_vm {
	char id[32], token[72], state[24], type[32], image[32], zone[32];
	char tags[8][2][64];
	int ntags;
};

static struct ec2 {
	pthread_mutex_t lock;
	struct ec2_vm vms[16];
	int nvms;
	char actions[64][40];	/* in the order received */
	int nactions;
	struct params last;	/* the last RunInstances */
	int fail_status;	/* answer the next request with this status ... */
	const char *fail_code;	/* ... and this code */
	int fail_count;
	int delay_ms;
	int bad_sigs;
	bool sg_exists;
	char deleted[32];	/* the last DeleteSecurityGroup's GroupId */
} ec2 = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void ec2_reset(void)
{
	pthread_mutex_lock(&ec2.lock);
	params_release(&ec2.last);
	memset(ec2.vms, 0, sizeof(ec2.vms));
	ec2.nvms = ec2.nactions = ec2.fail_status = ec2.fail_count = ec2.delay_ms = 0;
	ec2.bad_sigs = 0;
	ec2.sg_exists = false;
	pthread_mutex_unlock(&ec2.lock);
}

static enum MHD_Result ec2_header(void *cls, enum MHD_ValueKind kind, const char *k,
				  const char *v)
{
	struct http_header *h = cls;
	int i = 0;

	(void)kind;
	while (i < 31 && h[i].name)
		i++;
	if (i < 31)
		h[i] = (struct http_header){ k, v };
	return MHD_YES;
}

/* 0 when the request's SigV4 signature is right. */
static int ec2_verify(const struct stub_req *r)
{
	struct http_header h[32] = { { 0 } };
	struct sigv4_request sr = { .method = r->method, .path = "/", .headers = h,
				    .body = r->body, .body_len = r->body_len };
	struct sigv4_auth a;
	const char *date = stub_header(r, "X-Amz-Date");
	size_t n = 0;

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, ec2_header, h);
	while (n < 32 && h[n].name)
		n++;
	sr.nheaders = n;
	if (sigv4_parse_authorization(stub_header(r, "Authorization"), &a) ||
	    strcmp(a.access_key_id, AKID) || strcmp(a.service, "ec2") || strcmp(a.region, "us-test-1"))
		return -1;
	return sigv4_verify(&sr, &a, SECRET, date);
}

static void ec2_error(struct stub_resp *out, int status, const char *code, const char *msg)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors>"
		 "<Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
		 "<RequestID>req-err</RequestID></Response>", code, msg);
	out->status = status;
	out->body = strdup(buf);
}

static void ec2_vm_xml(struct sbuf *b, const struct ec2_vm *v)
{
	sbuf_addf(b, "<item><instanceId>%s</instanceId><imageId>%s</imageId><instanceState><code>0"
		  "</code><name>%s</name></instanceState><instanceType>%s</instanceType>"
		  "<placement><availabilityZone>%s</availabilityZone></placement>"
		  "<clientToken>%s</clientToken><tagSet>", v->id, v->image, v->state, v->type,
		  v->zone, v->token);
	for (int i = 0; i < v->ntags; i++)
		sbuf_addf(b, "<item><key>%s</key><value>%s</value></item>", v->tags[i][0],
			  v->tags[i][1]);
	sbuf_adds(b, "</tagSet></item>");
}

static struct ec2_vm *ec2_find(const char *id)
{
	for (int i = 0; i < ec2.nvms; i++) {
		if (strcmp(ec2.vms[i].id, id) == 0)
			return &ec2.vms[i];
	}
	return NULL;
}

static void ec2_run(const struct params *p, struct sbuf *b)
{
	const char *tok = params_get(p, "ClientToken");
	struct ec2_vm *v = NULL;
	char key[48];

	for (int i = 0; i < ec2.nvms && tok; i++) {
		if (strcmp(ec2.vms[i].token, tok) == 0)
			v = &ec2.vms[i];	/* the same token: the same instance */
	}
	if (!v) {
		v = &ec2.vms[ec2.nvms++];
		snprintf(v->id, sizeof(v->id), "i-%04d", ec2.nvms);
		snprintf(v->token, sizeof(v->token), "%s", tok ? tok : "");
		snprintf(v->state, sizeof(v->state), "pending");
		snprintf(v->type, sizeof(v->type), "%s", params_get(p, "InstanceType"));
		snprintf(v->image, sizeof(v->image), "%s", params_get(p, "ImageId"));
		snprintf(v->zone, sizeof(v->zone), "%s", params_get(p, "Placement.AvailabilityZone"));
		for (int t = 1; t <= 8; t++) {
			snprintf(key, sizeof(key), "TagSpecification.1.Tag.%d.Key", t);
			if (!params_get(p, key))
				break;
			snprintf(v->tags[v->ntags][0], 64, "%s", params_get(p, key));
			snprintf(key, sizeof(key), "TagSpecification.1.Tag.%d.Value", t);
			snprintf(v->tags[v->ntags++][1], 64, "%s", params_get(p, key));
		}
	}
	sbuf_adds(b, "<instancesSet>");
	ec2_vm_xml(b, v);
	sbuf_adds(b, "</instancesSet>");
}

static bool ec2_has_tag(const struct ec2_vm *v, const char *k, const char *val)
{
	for (int i = 0; i < v->ntags; i++) {
		if (strcmp(v->tags[i][0], k) == 0 && strcmp(v->tags[i][1], val) == 0)
			return true;
	}
	return false;
}

/* One instance per page, so that the driver must follow nextToken. */
static void ec2_describe(const struct params *p, struct sbuf *b)
{
	const char *id = params_get(p, "InstanceId.1"), *fname = params_get(p, "Filter.1.Name");
	const char *fval = params_get(p, "Filter.1.Value.1"), *next = params_get(p, "NextToken");
	int start = next ? atoi(next) : 0, i;

	sbuf_adds(b, "<reservationSet>");
	for (i = start; i < ec2.nvms; i++) {
		struct ec2_vm *v = &ec2.vms[i];

		if (id && strcmp(v->id, id))
			continue;
		if (fname && !ec2_has_tag(v, fname + 4, fval))
			continue;
		sbuf_adds(b, "<item><instancesSet>");
		ec2_vm_xml(b, v);
		sbuf_adds(b, "</instancesSet></item>");
		if (!id)
			break;
	}
	sbuf_adds(b, "</reservationSet>");
	if (!id && i < ec2.nvms)
		sbuf_addf(b, "<nextToken>%d</nextToken>", i + 1);
}

static void ec2_state(const struct params *p, struct sbuf *b, struct stub_resp *out,
		      const char *state)
{
	struct ec2_vm *v = ec2_find(params_get(p, "InstanceId.1") ?: "");

	if (!v) {
		ec2_error(out, 400, "InvalidInstanceID.NotFound", "The instance does not exist");
		return;
	}
	snprintf(v->state, sizeof(v->state), "%s", state);
	sbuf_addf(b, "<instancesSet><item><instanceId>%s</instanceId><currentState><code>0</code>"
		  "<name>%s</name></currentState></item></instancesSet>", v->id, state);
}

static void ec2_act(const char *action, const struct params *p, struct sbuf *b,
		    struct stub_resp *out)
{
	if (strcmp(action, "DescribeAvailabilityZones") == 0)
		sbuf_adds(b, "<availabilityZoneInfo><item><zoneName>us-test-1a</zoneName>"
			     "</item></availabilityZoneInfo>");
	else if (strcmp(action, "DescribeVpcs") == 0)
		sbuf_adds(b, "<vpcSet><item><vpcId>vpc-0</vpcId><isDefault>false</isDefault></item>"
			     "<item><vpcId>vpc-1</vpcId><isDefault>true</isDefault></item></vpcSet>");
	else if (strcmp(action, "DescribeSecurityGroups") == 0)
		/* Filters ignored, as an emulator might: the driver must pick by itself. */
		sbuf_adds(b, ec2.sg_exists ? "<securityGroupInfo><item><groupId>sg-1</groupId>"
					     "<groupName>default</groupName><vpcId>vpc-1</vpcId>"
					     "</item>" SG9 "</securityGroupInfo>"
					   : "<securityGroupInfo><item><groupId>sg-1</groupId>"
					     "<groupName>default</groupName><vpcId>vpc-1</vpcId>"
					     "</item></securityGroupInfo>");
	else if (strcmp(action, "CreateSecurityGroup") == 0 && (ec2.sg_exists = true))
		sbuf_adds(b, "<return>true</return><groupId>sg-9</groupId>");
	else if (strcmp(action, "DescribeSubnets") == 0)
		sbuf_adds(b, "<subnetSet><item><subnetId>subnet-x</subnetId><vpcId>vpc-1</vpcId>"
			     "<availabilityZone>us-test-1b</availabilityZone><defaultForAz>true"
			     "</defaultForAz></item><item><subnetId>subnet-a</subnetId><vpcId>vpc-1"
			     "</vpcId><availabilityZone>us-test-1a</availabilityZone><defaultForAz>"
			     "false</defaultForAz></item><item><subnetId>subnet-b</subnetId><vpcId>"
			     "vpc-1</vpcId><availabilityZone>us-test-1a</availabilityZone>"
			     "<defaultForAz>true</defaultForAz></item></subnetSet>");
	else if (strcmp(action, "DescribeImages") == 0)
		sbuf_adds(b, "<imagesSet><item><imageId>ami-old</imageId><name>ubuntu-22.04</name>"
			     "<imageState>available</imageState><creationDate>2023-01-01T00:00:00Z"
			     "</creationDate></item><item><imageId>ami-new</imageId>"
			     "<name>ubuntu-22.04</name><imageState>available</imageState>"
			     "<creationDate>2024-01-01T00:00:00Z</creationDate></item><item><imageId>"
			     "ami-jammy</imageId><name>ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-"
			     "amd64-server-20231207</name><imageState>available</imageState>"
			     "</item></imagesSet>");
	else if (strcmp(action, "DeleteSecurityGroup") == 0 &&
		 snprintf(ec2.deleted, sizeof(ec2.deleted), "%s", params_get(p, "GroupId")))
		sbuf_adds(b, "<return>true</return>");
	else if (strcmp(action, "DescribeKeyPairs") == 0)
		sbuf_adds(b, "<keySet/>");
	else if (strcmp(action, "RunInstances") == 0 && !ec2.sg_exists)
		ec2_error(out, 400, "InvalidGroup.NotFound", "The security group 'sg-9' does not exist");
	else if (strcmp(action, "RunInstances") == 0)
		ec2_run(p, b);
	else if (strcmp(action, "DescribeInstances") == 0)
		ec2_describe(p, b);
	else if (strcmp(action, "StopInstances") == 0)
		ec2_state(p, b, out, "stopped");
	else if (strcmp(action, "StartInstances") == 0)
		ec2_state(p, b, out, "running");
	else if (strcmp(action, "TerminateInstances") == 0)
		ec2_state(p, b, out, "terminated");
	else if (strcmp(action, "RebootInstances") == 0 ||
		 strcmp(action, "AuthorizeSecurityGroupIngress") == 0 ||
		 strcmp(action, "ImportKeyPair") == 0 || strcmp(action, "CreateTags") == 0 ||
		 strcmp(action, "DeleteTags") == 0 || strcmp(action, "DeleteKeyPair") == 0)
		sbuf_adds(b, "<return>true</return>");
	else
		ec2_error(out, 400, "InvalidAction", "unknown action");
}

static void ec2_handler(void *arg, const struct stub_req *r, struct stub_resp *out)
{
	struct params p = PARAMS_INIT;
	struct sbuf b = SBUF_INIT;
	const char *action;

	(void)arg;
	params_parse(&p, r->body, r->body_len, true);
	action = params_get(&p, "Action");
	pthread_mutex_lock(&ec2.lock);
	out->delay_ms = ec2.delay_ms;
	if (ec2.nactions < 64)
		snprintf(ec2.actions[ec2.nactions++], 40, "%s", action ? action : "?");
	if (ec2_verify(r) != 0) {
		ec2.bad_sigs++;
		ec2_error(out, 403, "SignatureDoesNotMatch", "signature of " SECRET " mismatch");
	} else if (ec2.fail_count > 0) {
		ec2.fail_count--;
		ec2_error(out, ec2.fail_status, ec2.fail_code, "injected, key " SECRET);
		out->headers[0][0] = "Retry-After";
		out->headers[0][1] = "2";
	} else {
		if (action && strcmp(action, "RunInstances") == 0) {
			params_release(&ec2.last);
			params_parse(&ec2.last, r->body, r->body_len, true);
		}
		sbuf_addf(&b, NS, action ? action : "X", ec2.nactions);
		ec2_act(action ? action : "", &p, &b, out);
		sbuf_addf(&b, "</%sResponse>", action ? action : "X");
		if (!out->body)
			out->body = sbuf_detach(&b, NULL);
	}
	pthread_mutex_unlock(&ec2.lock);
	sbuf_release(&b);
	params_release(&p);
}

/* ---- the ABI, through dlopen ---------------------------------------------------- */

static struct stub *srv;
static void *so;
static const struct drv_ops *ops;

static int abi_init(void)
{
	ops = drvtest_open("aws", &so);
	srv = stub_start(ec2_handler, NULL, NULL, NULL);
	return ops && srv ? 0 : -1;
}

static int abi_clean(void)
{
	stub_stop(srv);
	if (so)
		dlclose(so);
	params_release(&ec2.last);
	return 0;
}

static void *conn_with(const char *secret, const char *ssh_key)
{
	char url[128];
	json_t *spec = json_pack("{s:s, s:s, s:s, s:s}", "region", "us-test-1", "zone",
				 "us-test-1a", "endpoint", stub_url(srv, 0, "/", url, sizeof(url)),
				 "ssh_key", ssh_key ? ssh_key : "");
	json_t *cred = json_pack("{s:s, s:s}", "access_key_id", AKID, "secret_access_key", secret);
	struct drv_config cfg = { "aws-test", spec, cred, "/tmp" };
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
	CU_ASSERT_STRING_EQUAL(ops->name, "aws");
	CU_ASSERT_TRUE(ops->caps & DRV_CAP_CREDENTIAL);
	CU_ASSERT_PTR_NOT_NULL(ops->connect);
	CU_ASSERT_PTR_NOT_NULL(ops->health);
	CU_ASSERT_PTR_NOT_NULL(ops->list_specs);
	CU_ASSERT_PTR_NOT_NULL(ops->list_images);
	CU_ASSERT_PTR_NOT_NULL(ops->create_vm);
	CU_ASSERT_PTR_NOT_NULL(ops->get_vm);
	CU_ASSERT_PTR_NOT_NULL(ops->list_vms);
	CU_ASSERT_PTR_NOT_NULL(ops->control_vm);
	CU_ASSERT_PTR_NOT_NULL(ops->delete_vm);
	CU_ASSERT_PTR_NOT_NULL(ops->tag_vm);
	CU_ASSERT_PTR_NOT_NULL(ops->cleanup);
	/* Nothing else is exported: not the driver's functions, not the common helpers. */
	CU_ASSERT_PTR_NULL(dlsym(so, "aws_call"));
	CU_ASSERT_PTR_NULL(dlsym(so, "http_do"));
	CU_ASSERT_PTR_NULL(dlsym(so, "sigv4_sign"));
}

static void test_connect_errors(void)
{
	static const char *const bad[][2] = {
		{ "{\"zone\":\"z\"}", "spec key 'region' is missing" },
		{ "{\"region\":\"r\",\"endpoint\":\"ftp://x/\"}", "endpoint must be an http" },
		{ "{\"region\":\"r\",\"ca_file\":\"/nonexistent/ca.pem\"}", "ca_file cannot be read" },
	};
	json_t *cred = json_pack("{s:s, s:s}", "access_key_id", AKID, "secret_access_key", SECRET);
	json_t *nosecret = json_pack("{s:s}", "access_key_id", AKID);
	json_t *spec = json_pack("{s:s}", "region", "r");
	struct drv_config cfg = { "c", spec, nosecret, "/tmp" };
	struct drv_error err = { 0 };
	void *conn = NULL;

	CU_ASSERT_EQUAL(ops->connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "credential key 'secret_access_key' is missing");
	/* No credential yet: the connection is made, every call is refused. */
	cfg.credential = NULL;
	CU_ASSERT_EQUAL_FATAL(ops->connect(&cfg, &conn, &err), 0);
	{
		struct drv_ctx ctx = ctx_ms(1000);

		CU_ASSERT_EQUAL(ops->health(conn, &ctx, &err), -EACCES);
		CU_ASSERT_STRING_EQUAL(err.code, "MissingCredential");
		ops->disconnect(conn);
		conn = NULL;
	}
	cfg.credential = cred;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *s = json_loads(bad[i][0], 0, NULL);

		cfg.spec = s;
		memset(&err, 0, sizeof(err));
		CU_ASSERT_EQUAL(ops->connect(&cfg, &conn, &err), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, bad[i][1]));
		json_decref(s);
	}
	CU_ASSERT_PTR_NULL(conn);
	json_decref(cred);
	json_decref(nosecret);
	json_decref(spec);
}

static void test_health(void)
{
	void *good = conn_with(SECRET, NULL), *bad = conn_with("not-the-secret", NULL);
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };

	ec2_reset();
	CU_ASSERT_EQUAL(ops->health(good, &ctx, &err), 0);
	CU_ASSERT_EQUAL(ec2.bad_sigs, 0);
	CU_ASSERT_EQUAL(ops->health(bad, &ctx, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "SignatureDoesNotMatch");
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_STRING_EQUAL(err.request_id, "req-err");
	CU_ASSERT_FALSE(err.retryable);
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
				  .spec = "t3.small", .image = "ubuntu-22.04",
				  .user_data = "#!/bin/sh\necho hi\n", .tags = std_tags,
				  .ntags = 3 };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_vm vm, again;
	int creates;

	ec2_reset();
	CU_ASSERT_EQUAL_FATAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "i-0001");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/web-1");
	CU_ASSERT_STRING_EQUAL(vm.name, "web-1");
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "ClientToken"), "g1-web-1-a1");
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "ImageId"), "ami-new");	/* newest by name */
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "SubnetId"), "subnet-b");	/* zone default */
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "SecurityGroupId.1"), "sg-9");	/* not default */
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "Placement.AvailabilityZone"), "us-test-1a");
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "UserData"), "IyEvYmluL3NoCmVjaG8gaGkK");
	CU_ASSERT_NSTRING_EQUAL(params_get(&ec2.last, "KeyName"), "baristafs-", 10);
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "TagSpecification.1.ResourceType"), "instance");
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "TagSpecification.2.ResourceType"), "volume");
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "TagSpecification.1.Tag.4.Key"), "managed-by");
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "TagSpecification.1.Tag.4.Value"), "baristafs");
	creates = ec2.nactions;
	/* A retry with the same token: the same instance, no new network set-up. */
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &again, &err), 0);
	CU_ASSERT_STRING_EQUAL(again.csp_id, vm.csp_id);
	CU_ASSERT_EQUAL(ec2.nvms, 1);
	CU_ASSERT_EQUAL(ec2.nactions, creates + 1);
	CU_ASSERT_STRING_EQUAL(ec2.actions[ec2.nactions - 1], "RunInstances");
	/* An image by the short name the tree shows for a path-like EC2 name. */
	req.image = "ubuntu-jammy-22.04-amd64-server-20231207";
	req.client_token = "g1-web-1-a2";
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &again, &err), 0);
	CU_ASSERT_STRING_EQUAL(params_get(&ec2.last, "ImageId"), "ami-jammy");
	CU_ASSERT_EQUAL(ec2.bad_sigs, 0);
	ops->disconnect(c);
}

static void test_create_stale_network(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_vm_req req = { .name = "vm", .client_token = "t-stale", .spec = "t3.small",
				  .image = "ami-1" };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_vm vm;

	ec2_reset();
	CU_ASSERT_EQUAL_FATAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	ec2.sg_exists = false;	/* someone deleted the connection's security group */
	req.client_token = "t-stale-2";
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), -EIO);
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_STRING_EQUAL(err.code, "InvalidGroup.NotFound");
	/* The retry finds no group, makes it again, and succeeds. */
	memset(&err, 0, sizeof(err));
	ec2.nactions = 0;
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(ec2.actions[0], "DescribeVpcs");
	CU_ASSERT_STRING_EQUAL(ec2.actions[ec2.nactions - 1], "RunInstances");
	ops->disconnect(c);
}

static void test_create_bad_requests(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_vm_req req = { .name = "x", .client_token = "", .spec = "t3.small",
				  .image = "ami-1" };
	char longtok[80];
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_vm vm;

	ec2_reset();
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), -EINVAL);
	memset(longtok, 'a', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	req.client_token = longtok;
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), -EINVAL);
	req.client_token = "t";
	req.spec = NULL;
	CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), -EINVAL);
	CU_ASSERT_EQUAL(ec2.nactions, 0);	/* refused before any call */
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

	ec2_reset();
	for (int i = 0; i < 3; i++) {
		char tok[16], id[16];
		struct drv_kv tags[] = { { DRV_TAG_ID, id }, { DRV_TAG_MANAGED, "baristafs" } };
		struct drv_vm_req req = { .name = "vm", .client_token = tok, .spec = "t3.small",
					  .image = "ami-12345678", .tags = tags, .ntags = 2 };

		snprintf(tok, sizeof(tok), "tok-%d", i);
		snprintf(id, sizeof(id), "g1/web-%d", i + 1);
		CU_ASSERT_EQUAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	}
	/* Pagination: the stand-in answers one instance per page. */
	CU_ASSERT_EQUAL(ops->list_vms(c, &ctx, NULL, collect_id, &ids, &err), 0);
	CU_ASSERT_EQUAL(ids.n, 3);
	ids.n = 0;
	CU_ASSERT_EQUAL(ops->list_vms(c, &ctx, &mine, collect_id, &ids, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ids.n, 1);
	CU_ASSERT_STRING_EQUAL(ids.id[0], "i-0002");
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-0002", &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/web-2");
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-0002", DRV_ACT_SUSPEND, &err), 0);
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-0002", &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_SUSPENDED);
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-0002", DRV_ACT_RESUME, &err), 0);
	CU_ASSERT_EQUAL(ops->control_vm(c, &ctx, "i-0002", DRV_ACT_REBOOT, &err), 0);
	CU_ASSERT_STRING_EQUAL(ec2.actions[ec2.nactions - 1], "RebootInstances");
	CU_ASSERT_EQUAL(ops->delete_vm(c, &ctx, "i-0002", &err), 0);
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-0002", &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_TERMINATED);
	/* Gone: get says ENOENT, delete says done. */
	CU_ASSERT_EQUAL(ops->get_vm(c, &ctx, "i-9999", &vm, &err), -ENOENT);
	CU_ASSERT_EQUAL(ops->delete_vm(c, &ctx, "i-9999", &err), 0);
	CU_ASSERT_EQUAL(ec2.bad_sigs, 0);
	ops->disconnect(c);
}

static void test_tag_vm(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_kv tags[] = { { "tier", "front" } };
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };
	struct drv_kv init[] = { { DRV_TAG_ID, "g/v" }, { "old", "x" } };
	struct drv_vm_req req = { .name = "vm", .client_token = "t1", .spec = "t3.small",
				  .image = "ami-1", .tags = init, .ntags = 2 };
	struct drv_vm vm;

	ec2_reset();
	CU_ASSERT_EQUAL_FATAL(ops->create_vm(c, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_EQUAL(ops->tag_vm(c, &ctx, vm.csp_id, tags, 1, &err), 0);
	CU_ASSERT_STRING_EQUAL(ec2.actions[ec2.nactions - 2], "DeleteTags");	/* "old" */
	CU_ASSERT_STRING_EQUAL(ec2.actions[ec2.nactions - 1], "CreateTags");	/* "tier" */
	ops->disconnect(c);
}

static void test_faults(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };

	ec2_reset();
	ec2.fail_status = 503;
	ec2.fail_code = "RequestLimitExceeded";
	ec2.fail_count = 1;
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -EAGAIN);
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_EQUAL(err.retry_after_ms, 2000);
	CU_ASSERT_STRING_EQUAL(err.code, "RequestLimitExceeded");
	/* The stand-in echoes the secret in its message: it never reaches drv_error. */
	CU_ASSERT_PTR_NULL(strstr(err.message, SECRET));
	CU_ASSERT_STRING_EQUAL(err.message, "injected, key ***");
	/* One attempt per call: the next call succeeds, the driver did not retry itself. */
	CU_ASSERT_EQUAL(ec2.nactions, 1);
	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), 0);
	ec2.fail_status = 500;
	ec2.fail_code = "InternalError";
	ec2.fail_count = 1;
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -EIO);
	CU_ASSERT_TRUE(err.retryable);
	ec2.fail_status = 400;
	ec2.fail_code = "InstanceLimitExceeded";
	ec2.fail_count = 1;
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -EDQUOT);
	CU_ASSERT_FALSE(err.retryable);
	/* A stall beyond the deadline. */
	ec2.delay_ms = 1500;
	ctx = ctx_ms(200);
	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(ops->health(c, &ctx, &err), -ETIMEDOUT);
	CU_ASSERT_TRUE(err.retryable);
	ec2.delay_ms = 0;
	ops->disconnect(c);
}

static void test_cleanup(void)
{
	void *c = conn_with(SECRET, NULL);
	struct drv_ctx ctx = ctx_ms(5000);
	struct drv_error err = { 0 };

	ec2_reset();
	ec2.sg_exists = true;
	CU_ASSERT_EQUAL(ops->cleanup(c, &ctx, &err), 0);
	/* sg-9 only: "default" is in the answer but carries no tag of ours. */
	CU_ASSERT_EQUAL_FATAL(ec2.nactions, 3);
	CU_ASSERT_STRING_EQUAL(ec2.actions[0], "DescribeSecurityGroups");
	CU_ASSERT_STRING_EQUAL(ec2.actions[1], "DeleteSecurityGroup");
	CU_ASSERT_STRING_EQUAL(ec2.deleted, "sg-9");
	CU_ASSERT_STRING_EQUAL(ec2.actions[2], "DescribeKeyPairs");
	ops->disconnect(c);
}

static const struct cu_test abi_tests[] = {
	{ "exports", test_exports },
	{ "connect_errors", test_connect_errors },
	{ "health", test_health },
	{ "create_idempotent", test_create_idempotent },
	{ "create_stale_network", test_create_stale_network },
	{ "create_bad_requests", test_create_bad_requests },
	{ "get_list_control", test_get_list_control },
	{ "tag_vm", test_tag_vm },
	{ "faults", test_faults },
	{ "cleanup", test_cleanup },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "aws_tables", NULL, NULL, table_tests },
	{ "aws_abi", abi_init, abi_clean, abi_tests },
	{ "aws_fixtures", fixtures_init, NULL, parser_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
