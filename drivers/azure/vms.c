/*
 * vms.c - the VM operations on ARM virtual machines.
 *
 * Idempotent create is ARM's PUT by name, which creates the VM or, when it
 * exists, updates it to the same body: so the body is made the same on
 * every attempt of one create (the login password, when there is no SSH
 * key, is derived from the client token under the application's secret
 * rather than drawn at random), and a retry PUTs again instead of looking
 * first.  The public IP and NIC a VM needs are PUT and waited for before
 * the VM's own PUT (net.c); the connection remembers which VMs have them,
 * so a create that ran out of deadline resumes at the VM's PUT.  A create
 * returns once ARM accepted the VM (provisioning Creating).
 *
 * Delete waits for the VM to be gone, then deletes what it leaves behind;
 * at the deadline it answers -ETIMEDOUT (retryable) and the engine's retry
 * resumes where it stopped.  Suspend is deallocate: compute billing stops,
 * disks stay.
 */
#include "drivers/azure/azure.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "drivers/common/jsonh.h"
#include "lib/sbuf.h"

#define AZURE_ADMIN "baristafs"
#define VM_PATH_MAX 512

static void vm_path(const struct azure_conn *c, const char *name, const char *suffix, char *dst,
		    size_t size)
{
	char rest[256];

	snprintf(rest, sizeof(rest), "providers/Microsoft.Compute/virtualMachines/%s%s", name,
		 suffix);
	azure_group_path(c, rest, dst, size);
}

static int check_name(const char *name, struct drv_error *err)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return drv_fail(err, EINVAL, "InvalidResourceName", "a VM name is [a-z0-9-], 1-63");
	return 0;
}

/* ---- get, list ------------------------------------------------------------------- */

/* GET a VM with its instance view: 0 and *doc (new reference), or -errno. */
static int get_doc(struct azure_conn *c, const struct drv_ctx *ctx, const char *name, json_t **doc,
		   struct drv_error *err)
{
	char path[VM_PATH_MAX];

	vm_path(c, name, "?$expand=instanceView", path, sizeof(path));
	return azure_call(c, ctx, "GET", path, AZURE_API_COMPUTE, NULL, NULL, doc, err);
}

/*
 * Addresses: a VM's public IP is static and its private IP fixed once
 * assigned, so once both are known they are kept per VM name and a VM is
 * read or listed without its NIC.  Forgotten when the VM is deleted.
 */
static bool cached_addresses(struct azure_conn *c, struct drv_vm *vm)
{
	const json_t *a;

	pthread_mutex_lock(&c->lock);
	a = json_object_get(c->addresses, vm->name);
	if (a) {
		jsonh_copy(vm->private_ip, sizeof(vm->private_ip), jsonh_str(a, "private"));
		jsonh_copy(vm->public_ip, sizeof(vm->public_ip), jsonh_str(a, "public"));
	}
	pthread_mutex_unlock(&c->lock);
	return a != NULL;
}

static void keep_addresses(struct azure_conn *c, const struct drv_vm *vm)
{
	if (!vm->private_ip[0] || !vm->public_ip[0])
		return;
	pthread_mutex_lock(&c->lock);
	json_object_set_new(c->addresses, vm->name, json_pack("{s:s, s:s}", "private",
							      vm->private_ip, "public",
							      vm->public_ip));
	pthread_mutex_unlock(&c->lock);
}

static void forget_addresses(struct azure_conn *c, const char *name)
{
	pthread_mutex_lock(&c->lock);
	json_object_del(c->addresses, name);
	pthread_mutex_unlock(&c->lock);
}

/* Parse a VM answer and, once it has run, add its addresses. */
static int read_vm(struct azure_conn *c, const struct drv_ctx *ctx, const json_t *doc,
		   struct drv_vm *out, struct drv_error *err)
{
	const char *nic = azure_vm_nic(doc);
	int rc;

	if (azure_parse_vm(doc, out) != 0)
		return drv_fail(err, EIO, "BadAnswer", "a VM answer without a name");
	if (cached_addresses(c, out) || out->status != DRV_VM_RUNNING || !nic || nic[0] != '/')
		return 0;
	rc = azure_vm_addresses(c, ctx, nic, out, err);
	if (rc == 0)
		keep_addresses(c, out);
	return rc;
}

int azure_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
		 struct drv_error *err)
{
	json_t *doc = NULL;
	int rc = check_name(csp_id, err);

	if (rc == 0)
		rc = get_doc(conn, ctx, csp_id, &doc, err);
	if (rc == 0)
		rc = read_vm(conn, ctx, doc, out, err);
	json_decref(doc);
	return rc;
}

/*
 * list_vms joins listings, so that a poll costs the same for 1 VM as for
 * 1000: the group's VMs (model and tags) and the subscription's VMs with
 * statusOnly=true (their instance views: lists otherwise carry no power
 * state) always; the group's NICs and public IPs only while some VM's
 * addresses are not known yet (those two may fail: the addresses come on
 * a later poll).  A VM the status listing left out is read on its own.
 */
struct vm_index {
	json_t *vms;		/* lower-case id -> matching VM, in listing order (a
				 * looping nextLink repeats entries: each counts once) */
	json_t *status;		/* lower-case id -> instanceView */
	json_t *nics;		/* lower-case id -> NIC */
	json_t *ips;		/* lower-case id -> public IP */
	const char *key, *value;	/* the tag filter */
};

static void id_key(const char *id, char *key, size_t size)
{
	size_t n = 0;

	for (; id && id[n] && n + 1 < size; n++)
		key[n] = (char)tolower((unsigned char)id[n]);
	key[n] = '\0';
}

/* Keep a listed item under its lower-case id; for statuses, its instance view. */
static int keep_by_id(json_t *map, const json_t *item, const json_t *what)
{
	char key[VM_PATH_MAX];

	id_key(jsonh_str(item, "id"), key, sizeof(key));
	if (key[0] && what)
		json_object_set(map, key, (json_t *)what);
	return 0;
}

static int keep_match(void *arg, const json_t *vm)
{
	struct vm_index *x = arg;
	const char *v = jsonh_str(json_object_get(vm, "tags"), x->key);

	return v && strcmp(v, x->value) == 0 ? keep_by_id(x->vms, vm, vm) : 0;
}

static int keep_status(void *arg, const json_t *vm)
{
	return keep_by_id(((struct vm_index *)arg)->status, vm,
			  json_object_get(json_object_get(vm, "properties"), "instanceView"));
}

static int keep_nic(void *arg, const json_t *nic)
{
	return keep_by_id(((struct vm_index *)arg)->nics, nic, nic);
}

static int keep_ip(void *arg, const json_t *ip)
{
	return keep_by_id(((struct vm_index *)arg)->ips, ip, ip);
}

/* Are the addresses of every matching VM known? */
static bool all_addressed(struct azure_conn *c, const struct vm_index *x)
{
	const char *id;
	json_t *vm;
	bool all = true;

	pthread_mutex_lock(&c->lock);
	json_object_foreach(x->vms, id, vm)
		all = all && json_object_get(c->addresses, jsonh_str(vm, "name"));
	pthread_mutex_unlock(&c->lock);
	return all;
}

/* The statuses (required), and the addresses while some are unknown (optional). */
static int index_extras(struct azure_conn *c, const struct drv_ctx *ctx, struct vm_index *x,
			struct drv_error *err)
{
	struct drv_error ignored = { 0 };
	char path[VM_PATH_MAX];
	int rc;

	snprintf(path, sizeof(path),
		 "subscriptions/%s/providers/Microsoft.Compute/virtualMachines?statusOnly=true",
		 c->subscription);
	rc = azure_list(c, ctx, path, AZURE_API_COMPUTE, keep_status, x, err);
	if (rc || all_addressed(c, x))
		return rc;
	azure_group_path(c, "providers/Microsoft.Network/networkInterfaces", path, sizeof(path));
	azure_list(c, ctx, path, AZURE_API_NETWORK, keep_nic, x, &ignored);
	azure_group_path(c, "providers/Microsoft.Network/publicIPAddresses", path, sizeof(path));
	azure_list(c, ctx, path, AZURE_API_NETWORK, keep_ip, x, &ignored);
	return 0;
}

/* A VM's addresses from the NIC and IP listings. */
static void index_addresses(const struct vm_index *x, const json_t *vm, struct drv_vm *out)
{
	char key[VM_PATH_MAX], pip[VM_PATH_MAX];
	const json_t *ip;

	id_key(azure_vm_nic(vm), key, sizeof(key));
	azure_parse_nic(json_object_get(x->nics, key), out->private_ip, sizeof(out->private_ip),
			pip, sizeof(pip), out->public_ip, sizeof(out->public_ip));
	id_key(pip, key, sizeof(key));
	ip = json_object_get(x->ips, key);
	if (!out->public_ip[0])
		jsonh_copy(out->public_ip, sizeof(out->public_ip),
			   jsonh_str(json_object_get(ip, "properties"), "ipAddress"));
}

/* A VM from the index with its instance view joined in; 1 when it lacks a status. */
static int index_read(struct azure_conn *c, const struct vm_index *x, json_t *vm,
		      struct drv_vm *out)
{
	char key[VM_PATH_MAX];
	const json_t *iv;

	id_key(jsonh_str(vm, "id"), key, sizeof(key));
	iv = json_object_get(x->status, key);
	if (!iv)
		return 1;
	json_object_set(json_object_get(vm, "properties"), "instanceView", (json_t *)iv);
	if (azure_parse_vm(vm, out) != 0)
		return -EIO;
	if (!cached_addresses(c, out)) {
		index_addresses(x, vm, out);
		keep_addresses(c, out);
	}
	return 0;
}

/* Hand each matching VM to cb; 0, or -errno of a per-VM read. */
static int index_emit(struct azure_conn *c, const struct drv_ctx *ctx, const struct vm_index *x,
		      drv_vm_cb cb, void *arg, struct drv_error *err)
{
	struct drv_vm vm;
	const char *id;
	json_t *doc;
	int rc;

	json_object_foreach(x->vms, id, doc) {
		rc = index_read(c, x, doc, &vm);
		if (rc < 0)
			continue;	/* an unreadable entry */
		if (rc == 1)
			rc = azure_get_vm(c, ctx, jsonh_str(doc, "name"), &vm, err);
		if (rc == -ENOENT)
			continue;	/* deleted since the listing */
		if (rc)
			return rc;
		if (cb(arg, &vm))
			break;
	}
	return 0;
}

int azure_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		   drv_vm_cb cb, void *arg, struct drv_error *err)
{
	struct azure_conn *c = conn;
	struct vm_index x = { json_object(), json_object(), json_object(), json_object(),
			      DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	char path[VM_PATH_MAX];
	int rc = -ENOMEM;

	if (filter) {
		x.key = filter->key;
		x.value = filter->value;
	}
	azure_group_path(c, "providers/Microsoft.Compute/virtualMachines", path, sizeof(path));
	if (x.vms && x.status && x.nics && x.ips)
		rc = azure_list(c, ctx, path, AZURE_API_COMPUTE, keep_match, &x, err);
	if (rc == -ENOENT)
		rc = 0;		/* no resource group yet: no VMs */
	if (rc == 0 && json_object_size(x.vms))
		rc = index_extras(c, ctx, &x, err);
	if (rc == 0)
		rc = index_emit(c, ctx, &x, cb, arg, err);
	json_decref(x.vms);
	json_decref(x.status);
	json_decref(x.nics);
	json_decref(x.ips);
	return rc;
}

/* ---- create ---------------------------------------------------------------------- */

static json_t *vm_tags(const struct drv_vm_req *req)
{
	json_t *tags = json_object();

	for (size_t i = 0; tags && i < req->ntags; i++)
		json_object_set_new(tags, req->tags[i].key, json_string(req->tags[i].value));
	json_object_set_new(tags, AZURE_TAG_TOKEN, json_string(req->client_token));
	return tags;
}

/*
 * Linux login: the SSH key when there is one, else a password that nobody
 * keeps (ARM demands one or the other; the agent needs neither).  It is
 * HMAC(client secret, token), so every attempt of one create PUTs the same
 * body: a random one would make ARM refuse the repeat as a change.
 */
static json_t *os_login(const struct azure_conn *c, const char *name, const char *token,
			const char *key)
{
	unsigned char mac[HASH_SHA256_LEN];
	char secret[2 * HASH_SHA256_LEN + 8], path[96];
	json_t *os;

	if (key && *key) {
		snprintf(path, sizeof(path), "/home/%s/.ssh/authorized_keys", AZURE_ADMIN);
		return json_pack("{s:s, s:s, s:{s:b, s:{s:[{s:s, s:s}]}}}", "computerName", name,
				 "adminUsername", AZURE_ADMIN, "linuxConfiguration",
				 "disablePasswordAuthentication", 1, "ssh", "publicKeys", "path",
				 path, "keyData", key);
	}
	if (hash_hmac_sha256(c->client_secret, strlen(c->client_secret), token, strlen(token),
			     mac) != 0)
		return NULL;
	memcpy(secret, "Bf1!", 4);	/* upper, lower, digit, symbol: ARM's rule */
	codec_hex(secret + 4, mac, 16);
	os = json_pack("{s:s, s:s, s:s}", "computerName", name, "adminUsername", AZURE_ADMIN,
		       "adminPassword", secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(mac, sizeof(mac));
	return os;
}

/* osProfile: the login and the user data (customData, base64, read by cloud-init). */
static json_t *os_profile(const struct azure_conn *c, const struct drv_vm_req *req)
{
	json_t *os = os_login(c, req->name, req->client_token,
			      req->ssh_public_key ? req->ssh_public_key : c->ssh_key);
	struct sbuf ud = SBUF_INIT;

	if (os && req->user_data && *req->user_data &&
	    codec_b64_encode(&ud, req->user_data, strlen(req->user_data)) == 0)
		json_object_set_new(os, "customData", json_string(sbuf_str(&ud)));
	sbuf_release(&ud);
	return os;
}

static json_t *vm_body(struct azure_conn *c, const struct drv_vm_req *req, const char *size,
		       const struct azure_image *img, const char *nic_id, json_t *tags)
{
	char disk[96];
	json_t *body;

	snprintf(disk, sizeof(disk), "%s-osdisk", req->name);
	body = json_pack("{s:s, s:O, s:{s:{s:s}, s:{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s,"
			 " s:{s:s}}}, s:o, s:{s:[{s:s, s:{s:b, s:s}}]}}}",
			 "location", c->location, "tags", tags,
			 "properties", "hardwareProfile", "vmSize", size,
			 "storageProfile", "imageReference", "publisher", img->publisher,
			 "offer", img->offer, "sku", img->sku, "version", "latest",
			 "osDisk", "name", disk, "createOption", "FromImage", "deleteOption", "Delete",
			 "managedDisk", "storageAccountType", "Standard_LRS",
			 "osProfile", os_profile(c, req),
			 "networkProfile", "networkInterfaces", "id", nic_id, "properties",
			 "primary", 1, "deleteOption", "Delete");
	if (body && c->zone[0])
		json_object_set_new(body, "zones", json_pack("[s]", c->zone));
	return body;
}

/* The VM's public IP and NIC: made once per VM, remembered until its PUT is accepted. */
static int create_network(struct azure_conn *c, const struct drv_ctx *ctx, const char *name,
			  const json_t *tags, char *nic, size_t size, struct drv_error *err)
{
	const char *done;
	int rc;

	pthread_mutex_lock(&c->lock);
	done = jsonh_str(c->networks, name);
	if (done)
		jsonh_copy(nic, size, done);
	pthread_mutex_unlock(&c->lock);
	if (done)
		return 0;
	rc = azure_vm_network(c, ctx, name, tags, nic, size, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->lock);
	json_object_set_new(c->networks, name, json_string(nic));
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void create_done(struct azure_conn *c, const char *name)
{
	pthread_mutex_lock(&c->lock);
	json_object_del(c->networks, name);
	pthread_mutex_unlock(&c->lock);
}

/* Check the request and resolve its size and image; then the connection's set-up. */
static int create_prepare(struct azure_conn *c, const struct drv_ctx *ctx,
			  const struct drv_vm_req *req, char *vm_size, struct azure_image *img,
			  char *buf, size_t size, struct drv_error *err)
{
	char msg[192];
	int rc = check_name(req->name, err);

	if (rc == 0 && (!req->spec || !req->image || !req->client_token))
		rc = drv_fail(err, EINVAL, "MissingParameter",
			      "a create needs a spec, an image and a client token");
	if (rc == 0 && azure_image_find(req->image, img, buf, size) != 0) {
		snprintf(msg, sizeof(msg), "no image alias or URN (publisher:offer:sku) %s",
			 req->image);
		rc = drv_fail(err, EINVAL, "UnknownImage", msg);
	}
	if (rc == 0)
		rc = azure_size_name(c, ctx, req->spec, vm_size, AZURE_SIZE_MAX, err);
	return rc ? rc : azure_setup(c, ctx, err);
}

/* The VM's own PUT (accepted: provisioning Creating). */
static int vm_put(struct azure_conn *c, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		  const char *vm_size, const struct azure_image *img, const char *nic, json_t *tags,
		  struct drv_vm *out, struct drv_error *err)
{
	json_t *body = vm_body(c, req, vm_size, img, nic, tags), *doc = NULL;
	char path[VM_PATH_MAX];
	int rc;

	if (!body)
		return -ENOMEM;
	vm_path(c, req->name, "", path, sizeof(path));
	rc = azure_call(c, ctx, "PUT", path, AZURE_API_COMPUTE, body, NULL, &doc, err);
	if (rc == 0 && azure_parse_vm(doc, out) != 0)
		rc = drv_fail(err, EIO, "BadAnswer", "ARM accepted the VM but answered no name");
	if (rc == 0 && out->status == DRV_VM_UNDEFINED)
		out->status = DRV_VM_CREATING;
	json_decref(doc);
	json_decref(body);
	return rc;
}

/* A VM refused for good (quota, capacity...): the IP and NIC made for it go too. */
static void create_undo(struct azure_conn *c, const struct drv_ctx *ctx, const char *name)
{
	struct drv_error ignored = { 0 };

	azure_vm_leftovers(c, ctx, name, &ignored);
	create_done(c, name);
}

int azure_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		    struct drv_vm *out, struct drv_error *err)
{
	struct azure_conn *c = conn;
	struct azure_image img;
	char urn[256], nic[VM_PATH_MAX], vm_size[AZURE_SIZE_MAX];
	json_t *tags;
	int rc = create_prepare(c, ctx, req, vm_size, &img, urn, sizeof(urn), err);

	if (rc)
		return rc;
	tags = vm_tags(req);
	rc = tags ? create_network(c, ctx, req->name, tags, nic, sizeof(nic), err) : -ENOMEM;
	if (rc == 0) {
		rc = vm_put(c, ctx, req, vm_size, &img, nic, tags, out, err);
		if (rc && !err->retryable && !azure_setup_lost(c, err))
			create_undo(c, ctx, req->name);
	} else if (rc != -ENOMEM && !err->retryable) {
		/* ResourceGroupNotFound, InvalidResourceReference to our subnet, ...:
		 * set up again on the retry when the message names what we made. */
		azure_setup_lost(c, err);
	}
	if (rc == 0)
		create_done(c, req->name);
	json_decref(tags);
	return rc;
}

/* ---- actions, delete, tags -------------------------------------------------------- */

int azure_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		     enum drv_action action, struct drv_error *err)
{
	static const char *const verbs[] = {
		[DRV_ACT_SUSPEND] = "/deallocate", [DRV_ACT_RESUME] = "/start",
		[DRV_ACT_REBOOT] = "/restart",
	};
	char path[VM_PATH_MAX];
	int rc = check_name(csp_id, err);

	if (rc)
		return rc;
	if (action < DRV_ACT_SUSPEND || action > DRV_ACT_REBOOT)
		return drv_fail(err, EINVAL, "InvalidAction", "unknown action");
	vm_path(conn, csp_id, verbs[action], path, sizeof(path));
	return azure_call(conn, ctx, "POST", path, AZURE_API_COMPUTE, NULL, NULL, NULL, err);
}

int azure_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		    struct drv_error *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char path[VM_PATH_MAX];
	int rc = check_name(csp_id, err);

	if (rc)
		return rc;
	vm_path(conn, csp_id, "", path, sizeof(path));
	rc = azure_call(conn, ctx, "DELETE", path, AZURE_API_COMPUTE, NULL, &resp, NULL, err);
	if (rc == 0)
		rc = azure_wait(conn, ctx, &resp, path, AZURE_API_COMPUTE, err);
	http_response_release(&resp);
	if (rc == 0 || rc == -ENOENT)
		rc = azure_vm_leftovers(conn, ctx, csp_id, err);
	if (rc == 0)
		forget_addresses(conn, csp_id);
	return rc;
}

static bool standard_tag(const char *key)
{
	return strcmp(key, DRV_TAG_ID) == 0 || strcmp(key, DRV_TAG_GROUP) == 0 ||
	       strcmp(key, DRV_TAG_MANAGED) == 0 || strcmp(key, AZURE_TAG_TOKEN) == 0;
}

int azure_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		 const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	char path[VM_PATH_MAX];
	json_t *doc = NULL, *keep, *v, *body;
	const char *key;
	int rc = check_name(csp_id, err);

	vm_path(conn, csp_id, "", path, sizeof(path));
	if (rc == 0)
		rc = azure_call(conn, ctx, "GET", path, AZURE_API_COMPUTE, NULL, NULL, &doc, err);
	if (rc)
		return rc;
	keep = json_object();
	json_object_foreach(json_object_get(doc, "tags"), key, v) {
		if (standard_tag(key))
			json_object_set(keep, key, v);
	}
	for (size_t i = 0; i < ntags; i++) {
		if (!standard_tag(tags[i].key))
			json_object_set_new(keep, tags[i].key, json_string(tags[i].value));
	}
	json_decref(doc);
	body = json_pack("{s:o}", "tags", keep);
	rc = body ? azure_call(conn, ctx, "PATCH", path, AZURE_API_COMPUTE, body, NULL, NULL, err)
		  : -ENOMEM;
	json_decref(body);
	return rc;
}
