/*
 * azure_test.c - the Azure driver's parsers and tables against the answers
 * recorded from ARM and AAD (../shared/fixtures/libcloud-compute/
 * azure_arm), plus synthetic bodies for each table row.
 */
#include <errno.h>
#include <jansson.h>

#include "drivers/azure/azure.h"
#include "tests/unit/cu.h"
#include "tests/unit/fixture.h"

#define SUB "_subscriptions_99999999_"
#define RG SUB "resourceGroups_000000_providers_"

static void test_vm_list_pages(void)
{
	json_t *doc;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("azure_arm/" SUB "providers_Microsoft_Compute_virtualMachines.json");
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "value")), 1);
	CU_ASSERT_EQUAL(azure_parse_vm(json_array_get(json_object_get(doc, "value"), 0), &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "test-node-1");
	CU_ASSERT_STRING_EQUAL(vm.name, "test-node-1");
	CU_ASSERT_STRING_EQUAL(vm.spec, "standard_a1");
	CU_ASSERT_STRING_EQUAL(vm.image, "OpenLogic:CentOS:7.3");	/* no alias: the URN */
	CU_ASSERT_STRING_EQUAL(vm.zone, "eastus");
	/* A list carries no power state: the provisioning word alone decides nothing. */
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "Running");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_UNDEFINED);
	CU_ASSERT_STRING_EQUAL(azure_vm_nic(json_array_get(json_object_get(doc, "value"), 0)),
			       "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/"
			       "000000/providers/Microsoft.Network/networkInterfaces/test-node-1-nic");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(doc, "nextLink")),
				      "$skiptoken="));
	json_decref(doc);

	doc = fixture_json("azure_arm/" SUB "providers_Microsoft_Compute_virtualMachines_1.json");
	CU_ASSERT_PTR_NULL(json_object_get(doc, "nextLink"));
	CU_ASSERT_EQUAL(azure_parse_vm(json_array_get(json_object_get(doc, "value"), 0), &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.name, "test-node-2");
	json_decref(doc);

	/* The looping fixture's nextLink is the first page's: the lister's seen-set stops it. */
	doc = fixture_json("azure_arm/" SUB
			   "providers_Microsoft_Compute_virtualMachines_PAGINATION_INFINITE_LOOP.json");
	CU_ASSERT_EQUAL(azure_parse_vm(json_array_get(json_object_get(doc, "value"), 0), &vm), 0);
	CU_ASSERT_PTR_NULL(azure_vm_nic(json_array_get(json_object_get(doc, "value"), 0)));
	json_decref(doc);
}

static void test_vm_single(void)
{
	json_t *doc;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("azure_arm/" RG "Microsoft_Compute_virtualMachines_test_node_1.json");
	CU_ASSERT_EQUAL_FATAL(azure_parse_vm(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.name, "test_vm");
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "Succeeded");
	CU_ASSERT_STRING_EQUAL(vm.image, "");	/* attached disk, no image */
	CU_ASSERT_STRING_EQUAL(azure_vm_nic(doc), "/subscriptions/99999999-9999-9999-9999-999999999999/"
			       "resourceGroups/0000/providers/Microsoft.Network/networkInterfaces/test-nic");
	json_decref(doc);
}

static void test_instance_view(void)
{
	json_t *doc;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("azure_arm/" RG
			   "Microsoft_Compute_virtualMachines_test_node_1_InstanceView.json");
	/* An instanceView answer alone: no name, but its statuses read. */
	CU_ASSERT_EQUAL(azure_parse_vm(doc, &vm), -EIO);
	json_object_set_new(doc, "name", json_string("test-node-1"));
	CU_ASSERT_EQUAL(azure_parse_vm(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "updating/running");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_RUNNING);
	json_decref(doc);
}

static void test_vm_expanded(void)
{
	static const char body[] =
		"{\"name\": \"web-1\", \"location\": \"eastus\", \"zones\": [\"2\"],"
		" \"tags\": {\"baristafs-id\": \"g/web-1\", \"baristafs-token\": \"t1\"},"
		" \"properties\": {\"provisioningState\": \"Failed\", \"timeCreated\":"
		" \"2024-01-02T03:04:05.1234567+00:00\", \"hardwareProfile\": {\"vmSize\": \"Standard_B1s\"},"
		" \"storageProfile\": {\"imageReference\": {\"publisher\": \"canonical\", \"offer\":"
		" \"0001-com-ubuntu-server-jammy\", \"sku\": \"22_04-lts-gen2\", \"version\": \"latest\"}},"
		" \"instanceView\": {\"statuses\": [{\"code\": \"ProvisioningState/failed/AllocationFailed\","
		" \"displayStatus\": \"Provisioning failed\", \"message\": \"Allocation failed. We do not"
		" have sufficient capacity\"}, {\"code\": \"PowerState/stopped\"}]}}}";
	json_t *doc = json_loads(body, 0, NULL);
	struct drv_vm vm;

	CU_ASSERT_EQUAL_FATAL(azure_parse_vm(doc, &vm), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_FAILED);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "failed/stopped");
	CU_ASSERT_PTR_NOT_NULL(strstr(vm.reason, "sufficient capacity"));
	CU_ASSERT_STRING_EQUAL(vm.zone, "2");
	CU_ASSERT_STRING_EQUAL(vm.spec, "standard_b1s");
	CU_ASSERT_STRING_EQUAL(vm.image, "ubuntu-22.04");
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g/web-1");
	CU_ASSERT_STRING_EQUAL(vm.client_token, "t1");
	CU_ASSERT_EQUAL(vm.created, 1704164645);
	json_decref(doc);
}

static void test_nic_and_ip(void)
{
	char priv[48], pip[256], pub[48];
	json_t *doc;

	FIXTURE_TEST();
	doc = fixture_json("azure_arm/" RG "Microsoft_Network_networkInterfaces_test_node_1_nic.json");
	azure_parse_nic(doc, priv, sizeof(priv), pip, sizeof(pip), pub, sizeof(pub));
	CU_ASSERT_STRING_EQUAL(priv, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(pip, "");
	CU_ASSERT_STRING_EQUAL(pub, "");
	json_decref(doc);

	doc = json_loads("{\"properties\": {\"ipConfigurations\": [{\"properties\": {"
			 "\"privateIPAddress\": \"10.0.0.9\"}}, {\"properties\": {\"primary\": true,"
			 " \"privateIPAddress\": \"10.0.0.4\", \"publicIPAddress\": {\"id\": \"/s/ip\","
			 " \"properties\": {\"ipAddress\": \"203.0.113.7\"}}}}]}}", 0, NULL);
	azure_parse_nic(doc, priv, sizeof(priv), pip, sizeof(pip), pub, sizeof(pub));
	CU_ASSERT_STRING_EQUAL(priv, "10.0.0.4");	/* the primary configuration */
	CU_ASSERT_STRING_EQUAL(pip, "/s/ip");
	CU_ASSERT_STRING_EQUAL(pub, "203.0.113.7");
	json_decref(doc);
}

static void test_sizes(void)
{
	static const struct {
		const char *name;
		int vcpus;
		double mem, price;
	} want[] = {
		{ "standard_a0", 1, 0.75, 0.02 }, { "standard_a1", 1, 1.75, 0.06 },
		{ "standard_a2", 2, 3.5, 0.12 },
	};
	json_t *doc, *sizes;
	struct drv_spec_info spec;

	FIXTURE_TEST();
	doc = fixture_json("azure_arm/" SUB "providers_Microsoft_Compute_locations_eastus_vmSizes.json");
	sizes = json_object_get(doc, "value");
	CU_ASSERT_EQUAL_FATAL(json_array_size(sizes), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		CU_ASSERT_EQUAL(azure_parse_size(json_array_get(sizes, i), &spec), 0);
		CU_ASSERT_STRING_EQUAL(spec.name, want[i].name);
		CU_ASSERT_EQUAL(spec.vcpus, want[i].vcpus);
		CU_ASSERT_DOUBLE_EQUAL(spec.mem_gib, want[i].mem, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(spec.price_usd_per_hour, want[i].price, 1e-9);
		CU_ASSERT_STRING_EQUAL(spec.price_source, azure_price_source);
		CU_ASSERT_STRING_EQUAL(spec.arch, "x86_64");
		CU_ASSERT_EQUAL(spec.gpus, 0);
	}
	json_decref(doc);
}

static void test_size_gpu_arm_unknown(void)
{
	static const struct {
		const char *body, *arch, *model;
		int gpus;
		bool priced;
	} cases[] = {
		{ "{\"name\": \"Standard_NC6s_v3\", \"numberOfCores\": 6, \"memoryInMB\": 114688}",
		  "x86_64", "V100", 1, true },
		{ "{\"name\": \"Standard_D2ps_v5\", \"numberOfCores\": 2, \"memoryInMB\": 8192}",
		  "arm64", "", 0, true },
		{ "{\"name\": \"Standard_B2pts_v2\", \"numberOfCores\": 2, \"memoryInMB\": 1024}",
		  "arm64", "", 0, false },
		{ "{\"name\": \"Standard_D2s_v3\", \"numberOfCores\": 2, \"memoryInMB\": 8192}",
		  "x86_64", "", 0, true },
	};
	struct drv_spec_info spec;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *doc = json_loads(cases[i].body, 0, NULL);

		CU_ASSERT_EQUAL(azure_parse_size(doc, &spec), 0);
		CU_ASSERT_STRING_EQUAL(spec.arch, cases[i].arch);
		CU_ASSERT_STRING_EQUAL(spec.gpu_model, cases[i].model);
		CU_ASSERT_EQUAL(spec.gpus, cases[i].gpus);
		CU_ASSERT_EQUAL(spec.price_usd_per_hour >= 0, cases[i].priced);
		json_decref(doc);
	}
	CU_ASSERT_DOUBLE_EQUAL(azure_price("standard_b1s"), 0.0104, 1e-9);	/* any case */
	CU_ASSERT(azure_price(NULL) < 0);
}

static void test_images(void)
{
	struct azure_image img;
	char buf[256], name[128];
	json_t *ref;

	CU_ASSERT_EQUAL(azure_image_find("ubuntu-22.04", &img, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(img.publisher, "Canonical");
	CU_ASSERT_STRING_EQUAL(img.sku, "22_04-lts-gen2");
	CU_ASSERT_EQUAL(azure_image_find("Debian:debian-12:12-gen2:latest", &img, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(img.publisher, "Debian");
	CU_ASSERT_STRING_EQUAL(img.offer, "debian-12");
	CU_ASSERT_STRING_EQUAL(img.sku, "12-gen2");
	CU_ASSERT_EQUAL(azure_image_find("a:b:c", &img, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(azure_image_find("nosuch", &img, buf, sizeof(buf)), -ENOENT);
	CU_ASSERT_EQUAL(azure_image_find("a:b", &img, buf, sizeof(buf)), -ENOENT);
	CU_ASSERT_EQUAL(azure_image_find("a:b:c:d:e", &img, buf, sizeof(buf)), -ENOENT);
	CU_ASSERT_EQUAL(azure_image_find("a:b:c", &img, buf, 4), -ENOENT);

	ref = json_pack("{s:s, s:s, s:s}", "publisher", "Debian", "offer", "debian-12", "sku",
			"12-gen2");
	azure_image_name(ref, name, sizeof(name));
	CU_ASSERT_STRING_EQUAL(name, "debian-12");
	json_decref(ref);
	azure_image_name(NULL, name, sizeof(name));
	CU_ASSERT_STRING_EQUAL(name, "");
}

static void test_status_table(void)
{
	static const struct {
		const char *prov, *power;
		enum drv_vm_status want;
	} cases[] = {
		{ "Creating", NULL, DRV_VM_CREATING }, { "Creating", "running", DRV_VM_CREATING },
		{ "Succeeded", "running", DRV_VM_RUNNING }, { "succeeded", "starting", DRV_VM_RESUMING },
		{ "Updating", "stopping", DRV_VM_SUSPENDING },
		{ "Updating", "deallocating", DRV_VM_SUSPENDING },
		{ "Succeeded", "stopped", DRV_VM_SUSPENDED },
		{ "Succeeded", "deallocated", DRV_VM_SUSPENDED },
		{ "Deleting", "running", DRV_VM_TERMINATING }, { "Failed", "running", DRV_VM_FAILED },
		{ "Canceled", NULL, DRV_VM_FAILED }, { "Succeeded", "unknown", DRV_VM_UNDEFINED },
		{ "Succeeded", NULL, DRV_VM_UNDEFINED }, { NULL, NULL, DRV_VM_UNDEFINED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(azure_status(cases[i].prov, cases[i].power), cases[i].want);
}

static void test_error_table(void)
{
	static const struct {
		int status;
		const char *body;
		int want;
		bool retryable;
		const char *code;
	} cases[] = {
		{ 429, "{\"error\": {\"code\": \"TooManyRequests\", \"message\": \"throttled\"}}",
		  -EAGAIN, true, "TooManyRequests" },
		{ 429, "{\"error\": {\"code\": \"OperationNotAllowed\", \"message\": \"quota of"
		  " requests\"}}", -EAGAIN, true, "OperationNotAllowed" },
		{ 409, "{\"error\": {\"code\": \"OperationNotAllowed\", \"message\": \"Operation could not"
		  " be completed as it results in exceeding approved standardDSv3Family Cores quota.\"}}",
		  -EDQUOT, false, "OperationNotAllowed" },
		{ 409, "{\"error\": {\"code\": \"OperationNotAllowed\", \"message\": \"Cannot restart a"
		  " deallocated VM.\"}}", -EIO, false, "OperationNotAllowed" },
		{ 403, "{\"error\": {\"code\": \"QuotaExceeded\", \"message\": \"q\"}}", -EDQUOT, false,
		  "QuotaExceeded" },
		{ 401, "{\"error\": {\"code\": \"InvalidAuthenticationTokenTenant\", \"message\": \"x\"}}",
		  -EACCES, false, "InvalidAuthenticationTokenTenant" },
		{ 403, "{\"error\": {\"code\": \"AuthorizationFailed\", \"message\": \"no\"}}", -EACCES,
		  false, "AuthorizationFailed" },
		{ 401, "{\"error\": \"invalid_client\", \"error_description\": \"AADSTS7000215: Invalid"
		  " client secret provided.\\r\\nTrace ID: 9ec5\\r\\n\", \"error_codes\": [7000215]}",
		  -EACCES, false, "invalid_client" },
		{ 404, "{\"error\": {\"code\": \"ResourceNotFound\", \"message\": \"gone\"}}", -ENOENT,
		  false, "ResourceNotFound" },
		{ 400, "{\"error\": {\"code\": \"InvalidParameter\", \"message\": \"bad size\"}}", -EINVAL,
		  false, "InvalidParameter" },
		{ 200, "{\"error\": {\"code\": \"AllocationFailed\", \"message\": \"no room\"}}", -EIO,
		  false, "AllocationFailed" },
		{ 500, "{\"error\": {\"code\": \"InternalServerError\", \"message\": \"oops\"}}", -EIO,
		  true, "InternalServerError" },
		{ 502, "<html>bad gateway</html>", -EIO, true, "HTTP502" },
		{ 400, NULL, -EIO, false, "HTTP400" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct drv_error err = { 0 };
		const char *b = cases[i].body;
		int rc = azure_error(cases[i].status, b, b ? strlen(b) : 0, &err);

		if (rc != cases[i].want)
			fprintf(stderr, "case %zu: %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, cases[i].want);
		CU_ASSERT_EQUAL(err.retryable, cases[i].retryable);
		CU_ASSERT_STRING_EQUAL(err.code, cases[i].code);
		CU_ASSERT_EQUAL(err.http_status, cases[i].status);
		CU_ASSERT_PTR_NULL(strpbrk(err.message, "\r\n"));	/* one line for error files */
	}
}

static void test_token_fixture(void)
{
	json_t *doc;

	FIXTURE_TEST();
	/* AAD v1 writes its numbers as strings: auth.c reads both forms. */
	doc = fixture_json("azure_arm/_77777777_7777_7777_7777_777777777777_oauth2_token.json");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "expires_in")), "3600");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "token_type")), "Bearer");
	json_decref(doc);
}

static const struct cu_test tests[] = {
	{ "vm_list_pages", test_vm_list_pages },
	{ "vm_single", test_vm_single },
	{ "instance_view", test_instance_view },
	{ "vm_expanded", test_vm_expanded },
	{ "nic_and_ip", test_nic_and_ip },
	{ "sizes", test_sizes },
	{ "size_gpu_arm_unknown", test_size_gpu_arm_unknown },
	{ "images", test_images },
	{ "status_table", test_status_table },
	{ "error_table", test_error_table },
	{ "token_fixture", test_token_fixture },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "azure", fixture_init, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
