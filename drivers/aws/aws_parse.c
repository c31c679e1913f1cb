/*
 * aws_parse.c - EC2 XML answers into the ABI's structs.
 *
 * Elements are found by local name (xmlh), so the versioned default
 * namespace of real answers, cloudtwin's, and Eucalyptus' prefixed one
 * all read the same.  Fields missing from an answer stay "" or 0: the
 * fixtures recorded from real clouds leave many of them empty.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/aws/aws_int.h"
#include "drivers/common/xmlh.h"
#include "lib/clock.h"
#include "lib/names.h"

int aws_parse_error(const char *body, size_t len, char *code, size_t clen, char *msg,
		    size_t mlen, char *reqid, size_t rlen)
{
	xmlDoc *doc = xmlh_parse(body, len);
	xmlNode *root = xmlh_root(doc), *e = xmlh_path(root, "Errors/Error");

	code[0] = msg[0] = reqid[0] = '\0';
	if (!e) {
		xmlFreeDoc(doc);
		return -ENOENT;
	}
	xmlh_text(e, "Code", code, clen);
	xmlh_text(e, "Message", msg, mlen);
	if (xmlh_text(root, "RequestID", reqid, rlen) == -ENOENT)
		xmlh_text(root, "RequestId", reqid, rlen);
	xmlFreeDoc(doc);
	return 0;
}

/* stateReason codes that mean the instance failed to launch (clouds.md). */
static bool aws_failed_reason(const char *code)
{
	static const char *const failed[] = {
		"Client.VolumeLimitExceeded", "Client.InternalError",
		"Client.InvalidSnapshot.NotFound", "Server.*", NULL,
	};

	for (size_t i = 0; failed[i]; i++) {
		size_t n = strlen(failed[i]);

		if (failed[i][n - 1] == '*' ? strncmp(code, failed[i], n - 1) == 0
					    : strcmp(code, failed[i]) == 0)
			return true;
	}
	return false;
}

enum drv_vm_status aws_status(const char *state, const char *reason_code)
{
	enum drv_vm_status st = drvmap_status(aws_statuses, state);

	if (st == DRV_VM_TERMINATED && reason_code && aws_failed_reason(reason_code))
		return DRV_VM_FAILED;
	return st;
}

static void aws_parse_tags(const xmlNode *item, struct drv_vm *vm)
{
	xmlNode *set = xmlh_child(item, "tagSet");
	char key[128];

	for (xmlNode *t = xmlh_child(set, "item"); t; t = xmlh_next(t, "item")) {
		xmlh_text(t, "key", key, sizeof(key));
		if (strcmp(key, "Name") == 0)
			xmlh_text(t, "value", vm->name, sizeof(vm->name));
		else if (strcmp(key, DRV_TAG_ID) == 0)
			xmlh_text(t, "value", vm->baristafs_id, sizeof(vm->baristafs_id));
	}
}

/* The state element: instanceState in listings, currentState/shutdownState in changes. */
static xmlNode *aws_state_node(const xmlNode *item)
{
	xmlNode *n = xmlh_child(item, "instanceState");

	if (!n)
		n = xmlh_child(item, "currentState");
	if (!n)
		n = xmlh_child(item, "shutdownState");
	return n;
}

void aws_parse_instance(const xmlNode *item, struct drv_vm *vm)
{
	char when[40], reason[64];
	int64_t ms;

	memset(vm, 0, sizeof(*vm));
	xmlh_text(item, "instanceId", vm->csp_id, sizeof(vm->csp_id));
	xmlh_text(aws_state_node(item), "name", vm->status_raw, sizeof(vm->status_raw));
	xmlh_text(item, "instanceType", vm->spec, sizeof(vm->spec));
	xmlh_text(item, "imageId", vm->image, sizeof(vm->image));
	xmlh_text(item, "placement/availabilityZone", vm->zone, sizeof(vm->zone));
	xmlh_text(item, "ipAddress", vm->public_ip, sizeof(vm->public_ip));
	xmlh_text(item, "privateIpAddress", vm->private_ip, sizeof(vm->private_ip));
	xmlh_text(item, "clientToken", vm->client_token, sizeof(vm->client_token));
	if (xmlh_text(item, "launchTime", when, sizeof(when)) == 0 &&
	    clock_parse_rfc3339(when, &ms) == 0)
		vm->created = ms / 1000;
	xmlh_text(item, "stateReason/code", reason, sizeof(reason));
	if (xmlh_text(item, "stateReason/message", vm->reason, sizeof(vm->reason)) == -ENOENT)
		xmlh_text(item, "reason", vm->reason, sizeof(vm->reason));
	vm->status = aws_status(vm->status_raw, reason);
	aws_parse_tags(item, vm);
}

static int aws_instances_of(const xmlNode *set, drv_vm_cb cb, void *arg)
{
	struct drv_vm vm;
	int stop;

	for (xmlNode *it = xmlh_child(set, "item"); it; it = xmlh_next(it, "item")) {
		aws_parse_instance(it, &vm);
		if (!vm.csp_id[0])
			continue;
		stop = cb(arg, &vm);
		if (stop)
			return stop;
	}
	return 0;
}

int aws_parse_instances(const xmlNode *root, drv_vm_cb cb, void *arg, char *next, size_t len)
{
	xmlNode *rset = xmlh_child(root, "reservationSet");
	xmlNode *direct = xmlh_child(root, "instancesSet");
	int stop = 0;

	if (next && len)
		next[0] = '\0';
	if (!rset && !direct)
		return -EIO;
	if (direct)
		return aws_instances_of(direct, cb, arg);
	for (xmlNode *r = xmlh_child(rset, "item"); r && !stop; r = xmlh_next(r, "item"))
		stop = aws_instances_of(xmlh_child(r, "instancesSet"), cb, arg);
	if (!stop && next)
		xmlh_text(root, "nextToken", next, len);
	return stop;
}

/* ---- instance types ------------------------------------------------------------ */

static void aws_type_arch(const xmlNode *item, struct drv_spec_info *s)
{
	xmlNode *archs = xmlh_path(item, "processorInfo/supportedArchitectures");
	char a[16];

	snprintf(s->arch, sizeof(s->arch), "x86_64");
	for (xmlNode *n = xmlh_child(archs, "item"); n; n = xmlh_next(n, "item")) {
		xmlh_text(n, "", a, sizeof(a));
		if (strcmp(a, "arm64") == 0 || strcmp(a, "x86_64") == 0) {
			snprintf(s->arch, sizeof(s->arch), "%s", a);
			return;
		}
	}
}

static void aws_type_gpus(const xmlNode *item, struct drv_spec_info *s)
{
	xmlNode *gpus = xmlh_path(item, "gpuInfo/gpus");
	long long n;

	for (xmlNode *g = xmlh_child(gpus, "item"); g; g = xmlh_next(g, "item")) {
		if (xmlh_int(g, "count", &n) == 0 && n > 0)
			s->gpus += (int)n;
		if (!s->gpu_model[0])
			xmlh_text(g, "name", s->gpu_model, sizeof(s->gpu_model));
	}
}

/* EC2: instanceTypeSet/item{instanceType, vCpuInfo, memoryInfo, gpuInfo, processorInfo}. */
static void aws_type_ec2(const xmlNode *item, struct drv_spec_info *s)
{
	long long v;

	xmlh_text(item, "instanceType", s->name, sizeof(s->name));
	if (xmlh_int(item, "vCpuInfo/defaultVCpus", &v) == 0)
		s->vcpus = (int)v;
	if (xmlh_int(item, "memoryInfo/sizeInMiB", &v) == 0)
		s->mem_gib = (double)v / 1024.0;
	aws_type_arch(item, s);
	aws_type_gpus(item, s);
}

/* Eucalyptus (the libcloud fixture): instanceTypeDetails/item{name, cpu, memory (MiB)}. */
static void aws_type_euca(const xmlNode *item, struct drv_spec_info *s)
{
	long long v;

	xmlh_text(item, "name", s->name, sizeof(s->name));
	if (xmlh_int(item, "cpu", &v) == 0)
		s->vcpus = (int)v;
	if (xmlh_int(item, "memory", &v) == 0)
		s->mem_gib = (double)v / 1024.0;
	snprintf(s->arch, sizeof(s->arch), "x86_64");
}

int aws_parse_types(const xmlNode *root, drv_spec_cb cb, void *arg, char *next, size_t len)
{
	xmlNode *set = xmlh_child(root, "instanceTypeSet");
	bool euca = false;
	const char *src;
	int stop;

	if (next && len)
		next[0] = '\0';
	if (!set) {
		set = xmlh_child(root, "instanceTypeDetails");
		euca = true;
	}
	if (!set)
		return -EIO;
	for (xmlNode *it = xmlh_child(set, "item"); it; it = xmlh_next(it, "item")) {
		struct drv_spec_info s = { 0 };

		(euca ? aws_type_euca : aws_type_ec2)(it, &s);
		if (!s.name[0])
			continue;
		s.price_usd_per_hour = aws_price(s.name, &src);
		snprintf(s.price_source, sizeof(s.price_source), "%s", src);
		stop = cb(arg, &s);
		if (stop)
			return stop;
	}
	if (next)
		xmlh_text(root, "nextToken", next, len);
	return 0;
}

/* ---- images -------------------------------------------------------------------- */

void aws_image_name(const char *name, const char *id, char *out, size_t len)
{
	const char *base = strrchr(name, '/');
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s", name_valid(name) ? name
					 : base && name_valid(base + 1) ? base + 1 : id);
	snprintf(out, len, "%s", tmp);
}

static void aws_image_os(const xmlNode *item, struct drv_image_info *im)
{
	char platform[32];

	if (xmlh_text(item, "platform", platform, sizeof(platform)) == 0 && platform[0])
		snprintf(im->os, sizeof(im->os), "%s", platform);
	else if (xmlh_text(item, "platformDetails", im->os, sizeof(im->os)) != 0 || !im->os[0])
		snprintf(im->os, sizeof(im->os), "linux");
}

int aws_parse_images(const xmlNode *root, drv_image_cb cb, void *arg, char *next, size_t len)
{
	xmlNode *set = xmlh_child(root, "imagesSet");
	char state[32];
	int stop;

	if (next && len)
		next[0] = '\0';
	if (!set)
		return -EIO;
	for (xmlNode *it = xmlh_child(set, "item"); it; it = xmlh_next(it, "item")) {
		struct drv_image_info im = { 0 };

		xmlh_text(it, "imageId", im.id, sizeof(im.id));
		if (xmlh_text(it, "imageState", state, sizeof(state)) == 0 &&
		    strcmp(state, "available") != 0)
			continue;
		xmlh_text(it, "name", im.name, sizeof(im.name));
		aws_image_name(im.name, im.id, im.name, sizeof(im.name));
		xmlh_text(it, "architecture", im.arch, sizeof(im.arch));
		xmlh_text(it, "description", im.description, sizeof(im.description));
		aws_image_os(it, &im);
		if (!im.id[0])
			continue;
		stop = cb(arg, &im);
		if (stop)
			return stop;
	}
	if (next)
		xmlh_text(root, "nextToken", next, len);
	return 0;
}
