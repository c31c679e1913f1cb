/*
 * azure.h - private interface between the files of the Azure Resource
 * Manager driver (drivers/azure.so, which exports only baristafs_driver).
 *
 * parse.c   ARM answers (VMs with their instance view, VM sizes, NICs,
 *           public IPs, async operations, errors) into the ABI's structs;
 *           the status tables, the error table, the shipped prices and
 *           image aliases.  Pure functions, unit-tested over the recorded
 *           fixtures, fuzzed.
 * auth.c    the AAD client-credentials token behind the token cache.
 * call.c    ARM calls with api-version, async operations
 *           (Azure-AsyncOperation / Location, Retry-After), nextLink paging.
 * net.c     the connection's resource group, network security group and
 *           virtual network (made once), a VM's public IP and NIC, and
 *           deleting what a VM leaves behind.
 * vms.c     the VM operations.
 * azure.c   connect, health, the catalog, cleanup, the table.
 *
 * A VM's csp_id is its name: VMs live in the connection's resource group,
 * where names are unique, and a full ARM id would not fit csp_id.
 */
#ifndef BFS_DRIVERS_AZURE_H
#define BFS_DRIVERS_AZURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "drivers/common/bearer.h"
#include "drivers/common/once.h"
#include "drivers/common/http.h"
#include "drivers/driver.h"

#define AZURE_DEFAULT_ARM "https://management.azure.com/"
#define AZURE_DEFAULT_AAD "https://login.microsoftonline.com/"
#define AZURE_SCOPE "https://management.azure.com/.default"

#define AZURE_API_COMPUTE "2023-03-01"
#define AZURE_API_NETWORK "2023-05-01"
#define AZURE_API_RESOURCES "2021-04-01"

/* The tag holding the engine's client token on every VM. */
#define AZURE_TAG_TOKEN "baristafs-token"
/* The tag naming the connection on what it makes (network, NICs, IPs). */
#define AZURE_TAG_CLOUD "baristafs-cloud"

struct azure_conn {
	/* Set by connect, read-only afterwards. */
	char cloud[64];
	char tenant[64], client_id[128], client_secret[256];	/* secret wiped on free */
	char subscription[64], group[96];
	char location[64], zone[8];
	char arm[512];		/* ARM base URL ending in '/' */
	char aad[512];		/* AAD host base URL ending in '/' */
	char ssh_key[2048];	/* spec "ssh_key", "" when none */
	char prefix[80];	/* "baristafs-<cloud>": names the connection's resources */
	struct bearer *auth;	/* token cache and HTTP client */
	struct once setup;	/* resource group, security group, network */

	pthread_mutex_t lock;	/* guards sizes, networks, addresses */
	json_t *sizes;		/* tree name -> ARM size name, from the last listing */
	json_t *networks;	/* VM name -> NIC id, for creates whose VM PUT is pending */
	json_t *addresses;	/* VM name -> {private, public}, once both are known */
};

/* ---- parse.c ------------------------------------------------------------- */

/*
 * Fill *vm from a VM resource, with its instance view when the answer has
 * one (GET with $expand=instanceView).  IP addresses are not in a VM
 * answer; the caller adds them.  0, or -EIO without a name.
 */
int azure_parse_vm(const json_t *doc, struct drv_vm *vm);
/* The id of a VM's primary (or first) NIC (borrowed), or NULL. */
const char *azure_vm_nic(const json_t *doc);

/*
 * The private address and the public IP resource of a NIC (its primary
 * ipConfiguration); when the public IP is embedded ($expand), its address
 * too.  Outputs are "" when absent.
 */
void azure_parse_nic(const json_t *nic, char *private_ip, size_t psize, char *pip_id,
		     size_t isize, char *public_ip, size_t usize);

/* Fill *spec from a vmSizes entry: tree name, cores, memory, GPUs, arch, shipped price. */
int azure_parse_size(const json_t *size, struct drv_spec_info *spec);

/* Map the provisioning state and the power word (either may be NULL). */
enum drv_vm_status azure_status(const char *provisioning, const char *power);

/* An error answer of ARM or AAD to -errno and err (the cloud's code kept). */
int azure_error(int http_status, const char *body, size_t len, struct drv_error *err);
/* The error object of a Failed async operation or resource ({"code", "message"}). */
int azure_error_object(const json_t *error, int http_status, struct drv_error *err);

/* Shipped price of a size (USD per hour, East US Linux), or -1. */
double azure_price(const char *size);
extern const char azure_price_source[];

/* A marketplace image the driver offers by a tree name. */
struct azure_image {
	const char *name;	/* "ubuntu-22.04" */
	const char *publisher, *offer, *sku;
	const char *os, *arch;
};
/* The shipped aliases, NULL-name terminated. */
extern const struct azure_image azure_images[];
/*
 * An image by tree name, or a URN "publisher:offer:sku[:version]" parsed
 * into *img (strings point into buf).  0 or -ENOENT.
 */
int azure_image_find(const char *name, struct azure_image *img, char *buf, size_t size);
/* The tree name of an imageReference (an alias when one matches, else the URN). */
void azure_image_name(const json_t *ref, char *dst, size_t size);

/* ---- auth.c -------------------------------------------------------------- */

int azure_token_fetch(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
		      struct drv_error *err);

/* ---- call.c -------------------------------------------------------------- */

/*
 * One ARM call.  `path` is relative to the ARM base ("subscriptions/...")
 * or an absolute URL used verbatim (nextLink, operation URLs); api-version
 * is added to relative paths.  resp (may be NULL) keeps the answer for its
 * headers; *out (may be NULL) the parsed body.  0 or -errno.
 */
int azure_call(struct azure_conn *c, const struct drv_ctx *ctx, const char *method,
	       const char *path, const char *api, const json_t *body,
	       struct http_response *resp, json_t **out, struct drv_error *err);

/* A path under the connection's resource group: "subscriptions/<s>/resourceGroups/<g>/<rest>". */
void azure_group_path(const struct azure_conn *c, const char *rest, char *dst, size_t size);

/*
 * Wait for what a PUT, POST or DELETE answered to finish: poll its
 * Azure-AsyncOperation (else Location, else the resource's own
 * provisioningState at `resource`) honouring Retry-After, until it ends or
 * ctx's deadline passes (-ETIMEDOUT, retryable: the call is idempotent and
 * the engine repeats it).  0 when it succeeded, the operation's error.
 */
int azure_wait(struct azure_conn *c, const struct drv_ctx *ctx, const struct http_response *resp,
	       const char *resource, const char *api, struct drv_error *err);

typedef int (*azure_item_fn)(void *arg, const json_t *item);
/* GET path and its nextLink pages verbatim, fn for each of value[]; a repeated link ends it. */
int azure_list(struct azure_conn *c, const struct drv_ctx *ctx, const char *path, const char *api,
	       azure_item_fn fn, void *arg, struct drv_error *err);

/* ---- net.c --------------------------------------------------------------- */

int azure_setup(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err);
/*
 * After a refused create: when the refusal names the resource group or a
 * resource of the set-up (deleted behind our back), forget the set-up and
 * the VMs' networks so the next attempt makes them again, and mark err
 * retryable.  1 when so, else 0.
 */
int azure_setup_lost(struct azure_conn *c, struct drv_error *err);
/* A VM's public IP and NIC (made and waited for); nic_id gets the NIC's ARM id. */
int azure_vm_network(struct azure_conn *c, const struct drv_ctx *ctx, const char *vm,
		     const json_t *tags, char *nic_id, size_t size, struct drv_error *err);
/* Delete a VM's NIC, public IP and OS disk (after the VM is gone); absent ones are fine. */
int azure_vm_leftovers(struct azure_conn *c, const struct drv_ctx *ctx, const char *vm,
		       struct drv_error *err);
/* The private and public address of a VM's NIC. */
int azure_vm_addresses(struct azure_conn *c, const struct drv_ctx *ctx, const char *nic_id,
		       struct drv_vm *vm, struct drv_error *err);
/* Delete the network, security group and (when ours and empty) the resource group. */
int azure_net_cleanup(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err);

/* ---- azure.c ------------------------------------------------------------- */

#define AZURE_SIZE_MAX 96
/*
 * The ARM name of a VM size a group spec names in any case ("standard_b1s"
 * is Standard_B1s), from the last listing or a new one.  0, -EINVAL when
 * the location has no such size, -errno.
 */
int azure_size_name(struct azure_conn *c, const struct drv_ctx *ctx, const char *spec, char *dst,
		    size_t size, struct drv_error *err);

/* ---- vms.c --------------------------------------------------------------- */

int azure_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		    struct drv_vm *out, struct drv_error *err);
int azure_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
		 struct drv_error *err);
int azure_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		   drv_vm_cb cb, void *arg, struct drv_error *err);
int azure_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		     enum drv_action action, struct drv_error *err);
int azure_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		    struct drv_error *err);
int azure_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		 const struct drv_kv *tags, size_t ntags, struct drv_error *err);

#endif
