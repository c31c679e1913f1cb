/*
 * alibaba_parse.c - ECS XML answers into the ABI's structs.
 *
 * ECS XML has no namespace and wraps each array in a plural element with
 * one singular child per item (<Instances><Instance>...).  IP addresses are
 * arrays too (<PublicIpAddress><IpAddress>...), and where they live
 * depends on the network type: VpcAttributes/PrivateIpAddress in a VPC,
 * InnerIpAddress in the classic network, EipAddress for an elastic IP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/alibaba/alibaba_int.h"
#include "drivers/common/xmlh.h"
#include "lib/clock.h"
#include "lib/names.h"

/* Fixed rate for DescribePrice answers in CNY (the China site); said in price_source. */
#define ALIBABA_USD_PER_CNY 0.14

int alibaba_parse_error(const char *body, size_t len, char *code, size_t clen, char *msg,
			size_t mlen, char *reqid, size_t rlen)
{
	xmlDoc *doc = xmlh_parse(body, len);
	xmlNode *root = xmlh_root(doc);

	code[0] = msg[0] = reqid[0] = '\0';
	if (!root || strcmp(xmlh_name(root), "Error") != 0) {
		xmlFreeDoc(doc);
		return -ENOENT;
	}
	xmlh_text(root, "Code", code, clen);
	xmlh_text(root, "Message", msg, mlen);
	xmlh_text(root, "RequestId", reqid, rlen);
	xmlFreeDoc(doc);
	return 0;
}

int64_t alibaba_parse_time(const char *s)
{
	char buf[40];
	int64_t ms;
	size_t n = strlen(s);

	if (clock_parse_rfc3339(s, &ms) == 0)
		return ms / 1000;
	/* ECS often drops the seconds: "2015-12-27T07:35Z". */
	if (n == 17 && s[16] == 'Z') {
		snprintf(buf, sizeof(buf), "%.16s:00Z", s);
		if (clock_parse_rfc3339(buf, &ms) == 0)
			return ms / 1000;
	}
	return 0;
}

/* The first non-empty IpAddress under path. */
static void alibaba_first_ip(const xmlNode *inst, const char *path, char *buf, size_t len)
{
	xmlNode *set = xmlh_path(inst, path);

	for (xmlNode *ip = xmlh_child(set, "IpAddress"); ip && !buf[0];
	     ip = xmlh_next(ip, "IpAddress"))
		xmlh_text(ip, "", buf, len);
}

static void alibaba_parse_tags(const xmlNode *inst, struct drv_vm *vm)
{
	char key[128];

	for (xmlNode *t = xmlh_child(xmlh_child(inst, "Tags"), "Tag"); t; t = xmlh_next(t, "Tag")) {
		xmlh_text(t, "TagKey", key, sizeof(key));
		if (strcmp(key, DRV_TAG_ID) == 0)
			xmlh_text(t, "TagValue", vm->baristafs_id, sizeof(vm->baristafs_id));
	}
}

static void alibaba_parse_addresses(const xmlNode *inst, struct drv_vm *vm)
{
	alibaba_first_ip(inst, "PublicIpAddress", vm->public_ip, sizeof(vm->public_ip));
	alibaba_first_ip(inst, "EipAddress", vm->public_ip, sizeof(vm->public_ip));
	alibaba_first_ip(inst, "VpcAttributes/PrivateIpAddress", vm->private_ip,
			 sizeof(vm->private_ip));
	alibaba_first_ip(inst, "InnerIpAddress", vm->private_ip, sizeof(vm->private_ip));
}

void alibaba_parse_instance(const xmlNode *inst, struct drv_vm *vm)
{
	char when[40];

	memset(vm, 0, sizeof(*vm));
	xmlh_text(inst, "InstanceId", vm->csp_id, sizeof(vm->csp_id));
	xmlh_text(inst, "InstanceName", vm->name, sizeof(vm->name));
	xmlh_text(inst, "Status", vm->status_raw, sizeof(vm->status_raw));
	vm->status = drvmap_status(alibaba_statuses, vm->status_raw);
	xmlh_text(inst, "InstanceType", vm->spec, sizeof(vm->spec));
	xmlh_text(inst, "ImageId", vm->image, sizeof(vm->image));
	xmlh_text(inst, "ZoneId", vm->zone, sizeof(vm->zone));
	if (xmlh_text(inst, "CreationTime", when, sizeof(when)) == 0)
		vm->created = alibaba_parse_time(when);
	xmlh_text(inst, "OperationLocks/LockReason/LockReason", vm->reason, sizeof(vm->reason));
	alibaba_parse_addresses(inst, vm);
	alibaba_parse_tags(inst, vm);
}

/* TotalCount of a paged answer; -1 when absent. */
static long long alibaba_total(const xmlNode *root)
{
	long long total;

	return xmlh_int(root, "TotalCount", &total) == 0 ? total : -1;
}

int alibaba_parse_instances(const xmlNode *root, drv_vm_cb cb, void *arg, int *count,
			    long long *total)
{
	xmlNode *set = xmlh_child(root, "Instances");
	struct drv_vm vm;
	int stop;

	*count = 0;
	*total = alibaba_total(root);
	if (!set)
		return -EIO;
	for (xmlNode *it = xmlh_child(set, "Instance"); it; it = xmlh_next(it, "Instance")) {
		alibaba_parse_instance(it, &vm);
		(*count)++;
		if (!vm.csp_id[0])
			continue;
		stop = cb(arg, &vm);
		if (stop)
			return stop;
	}
	return 0;
}

int alibaba_parse_run(const xmlNode *root, char *id, size_t len)
{
	xmlNode *n = xmlh_child(xmlh_child(root, "InstanceIdSets"), "InstanceIdSet");

	id[0] = '\0';
	if (!n)	/* CreateInstance, the older call, answers InstanceId */
		return xmlh_text(root, "InstanceId", id, len) == 0 && id[0] ? 0 : -EIO;
	return xmlh_text(n, "", id, len) == 0 && id[0] ? 0 : -EIO;
}

static void alibaba_type_arch(const xmlNode *it, struct drv_spec_info *s)
{
	char arch[16] = "";

	xmlh_text(it, "CpuArchitecture", arch, sizeof(arch));
	snprintf(s->arch, sizeof(s->arch), "%s", strcmp(arch, "ARM") == 0 ? "arm64" : "x86_64");
}

int alibaba_parse_types(const xmlNode *root, drv_spec_cb cb, void *arg, char *next,
			size_t len)
{
	xmlNode *set = xmlh_child(root, "InstanceTypes");
	char mem[32];
	long long v;
	int stop;

	if (next && len)
		next[0] = '\0';
	if (!set)
		return -EIO;
	for (xmlNode *it = xmlh_child(set, "InstanceType"); it; it = xmlh_next(it, "InstanceType")) {
		struct drv_spec_info s = { .price_usd_per_hour = -1.0 };

		xmlh_text(it, "InstanceTypeId", s.name, sizeof(s.name));
		if (xmlh_int(it, "CpuCoreCount", &v) == 0)
			s.vcpus = (int)v;
		if (xmlh_text(it, "MemorySize", mem, sizeof(mem)) == 0)
			s.mem_gib = strtod(mem, NULL);
		if (xmlh_int(it, "GPUAmount", &v) == 0)
			s.gpus = (int)v;
		xmlh_text(it, "GPUSpec", s.gpu_model, sizeof(s.gpu_model));
		alibaba_type_arch(it, &s);
		snprintf(s.price_source, sizeof(s.price_source), "unknown");
		if (!s.name[0])
			continue;
		stop = cb(arg, &s);
		if (stop)
			return stop;
	}
	if (next)
		xmlh_text(root, "NextToken", next, len);
	return 0;
}

int alibaba_parse_price(const xmlNode *root, double *usd, char *source, size_t len)
{
	xmlNode *price = xmlh_path(root, "PriceInfo/Price");
	char amount[32], currency[8] = "";
	char *end;
	double v;

	if (!price || xmlh_text(price, "TradePrice", amount, sizeof(amount)) != 0)
		return -ENOENT;
	v = strtod(amount, &end);
	if (end == amount || v < 0)
		return -ENOENT;
	xmlh_text(price, "Currency", currency, sizeof(currency));
	if (strcmp(currency, "CNY") == 0) {
		*usd = v * ALIBABA_USD_PER_CNY;
		snprintf(source, len, "api DescribePrice, CNY at %.2f USD", ALIBABA_USD_PER_CNY);
	} else {
		*usd = v;
		snprintf(source, len, "api DescribePrice");
	}
	return 0;
}

int alibaba_parse_images(const xmlNode *root, drv_image_cb cb, void *arg, int *count,
			 long long *total)
{
	xmlNode *set = xmlh_child(root, "Images");
	int stop;

	*count = 0;
	*total = alibaba_total(root);
	if (!set)
		return -EIO;
	for (xmlNode *it = xmlh_child(set, "Image"); it; it = xmlh_next(it, "Image")) {
		struct drv_image_info im = { 0 };

		(*count)++;
		xmlh_text(it, "ImageId", im.id, sizeof(im.id));
		if (xmlh_text(it, "ImageName", im.name, sizeof(im.name)) != 0 || !name_valid(im.name))
			snprintf(im.name, sizeof(im.name), "%s", im.id);
		if (xmlh_text(it, "OSType", im.os, sizeof(im.os)) != 0 || !im.os[0])
			xmlh_text(it, "Platform", im.os, sizeof(im.os));
		xmlh_text(it, "Architecture", im.arch, sizeof(im.arch));
		xmlh_text(it, "Description", im.description, sizeof(im.description));
		if (!im.id[0])
			continue;
		stop = cb(arg, &im);
		if (stop)
			return stop;
	}
	return 0;
}
