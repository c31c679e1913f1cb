/*
 * gcp.c - the Google Compute Engine driver: connect, health, the catalog
 * (machine types and images), the connection's firewall rule, and the
 * operations table (the only symbol drivers/gcp.so exports).
 *
 * Cloud spec: "zone" (required: where VMs go unless a request names
 * another), "region", "endpoint" (compute base, default
 * https://compute.googleapis.com/compute/v1/), "auth_endpoint" (token URI,
 * default the key file's token_uri), "ca_file", plus the driver's own
 * optional keys: "project" (default the key file's project_id), "network"
 * (default "default"), "image_projects" (projects whose public images are
 * offered besides the project's own; default debian-cloud and
 * ubuntu-os-cloud) and "ssh_key".  Credential: the service-account key file
 * as Google issues it; without one, connect() succeeds and every call
 * answers EACCES until it is given.
 *
 * connect() makes no network call; the private key is parsed there, so a
 * broken key file fails at mkdir time with EINVAL.
 */
#include "drivers/gcp/gcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/conf.h"
#include "drivers/common/jsonh.h"
#include "drivers/common/jwt.h"

#define GCP_KEY_MAX 16384

/* ---- connect ------------------------------------------------------------- */

/* A GCE resource name from ours: lowercase [a-z0-9-]. */
static void gce_name(const char *in, char *out, size_t size)
{
	gcp_label(in, out, size);
	for (char *p = out; *p; p++) {
		if (*p == '_')
			*p = '-';
	}
}

static int read_key(struct gcp_conn *c, const json_t *cred, struct drv_error *err)
{
	char *pem = malloc(GCP_KEY_MAX);
	int rc;

	if (!pem)
		return -ENOMEM;
	rc = conf_str(cred, "credential", "private_key", true, pem, GCP_KEY_MAX, err);
	if (rc == 0 && jwt_key_load_pem(pem, strlen(pem), &c->key) != 0)
		rc = drv_fail(err, EINVAL, "InvalidKey",
			      "credential private_key is not an RSA private key in PEM");
	OPENSSL_cleanse(pem, GCP_KEY_MAX);
	free(pem);
	return rc;
}

static int read_credential(struct gcp_conn *c, const json_t *cred, const json_t *spec,
			   struct drv_error *err)
{
	char key_uri[sizeof(c->token_uri)];
	int rc;

	if (!cred)
		return 0;	/* not given yet: calls answer EACCES (auth.c) */
	if (!json_is_object(cred))
		return drv_fail(err, EINVAL, "InvalidCredential",
				"gcp: the credential is the service-account key file (JSON)");
	rc = conf_str(cred, "credential", "client_email", true, c->client_email,
		      sizeof(c->client_email), err);
	if (rc == 0)
		rc = conf_str(cred, "credential", "private_key_id", false, c->key_id,
			      sizeof(c->key_id), err);
	if (rc == 0)
		rc = conf_str(cred, "credential", "token_uri", false, key_uri, sizeof(key_uri), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "project", false, c->project, sizeof(c->project), err);
	if (rc == 0 && !c->project[0])
		rc = conf_str(cred, "credential", "project_id", true, c->project,
			      sizeof(c->project), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "auth_endpoint", false, c->token_uri,
			      sizeof(c->token_uri), err);
	if (rc == 0 && !c->token_uri[0])
		snprintf(c->token_uri, sizeof(c->token_uri), "%s",
			 key_uri[0] ? key_uri : GCP_DEFAULT_TOKEN_URI);
	return rc ? rc : read_key(c, cred, err);
}

static int read_image_projects(struct gcp_conn *c, const json_t *spec, struct drv_error *err)
{
	const json_t *given = json_object_get(spec, "image_projects"), *v;
	size_t i;

	if (!given) {
		c->image_projects = json_pack("[s, s]", "debian-cloud", "ubuntu-os-cloud");
		return c->image_projects ? 0 : -ENOMEM;
	}
	json_array_foreach(given, i, v) {
		if (!json_is_string(v))
			break;
	}
	if (!json_is_array(given) || i < json_array_size(given))
		return drv_fail(err, EINVAL, "InvalidParameter",
				"spec key 'image_projects' must be an array of project names");
	c->image_projects = json_deep_copy(given);
	return c->image_projects ? 0 : -ENOMEM;
}

static int read_spec(struct gcp_conn *c, const json_t *spec, struct drv_error *err)
{
	char endpoint[sizeof(c->base)], network[128];
	int rc = conf_str(spec, "spec", "zone", true, c->zone, sizeof(c->zone), err);

	if (rc == 0)
		rc = conf_str(spec, "spec", "region", false, c->region, sizeof(c->region), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "endpoint", false, endpoint, sizeof(endpoint), err);
	if (rc == 0)
		rc = conf_endpoint(endpoint, GCP_DEFAULT_BASE, c->region, c->base, sizeof(c->base),
				   err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "network", false, network, sizeof(network), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "ssh_key", false, c->ssh_key, sizeof(c->ssh_key), err);
	if (rc == 0)
		snprintf(c->network, sizeof(c->network), "%s%s",
			 strchr(network, '/') ? "" : "global/networks/",
			 network[0] ? network : "default");
	return rc ? rc : read_image_projects(c, spec, err);
}

static void conn_free(struct gcp_conn *c)
{
	if (!c)
		return;
	bearer_free(c->auth);
	jwt_key_free(c->key);
	json_decref(c->image_projects);
	json_decref(c->inserts);
	json_decref(c->images);
	once_release(&c->setup);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int conn_tools(struct gcp_conn *c, const json_t *spec, struct drv_error *err)
{
	struct bearer_opts bo = {
		.fetch = gcp_token_fetch, .arg = c, .header = "Authorization", .scheme = "Bearer",
		.ca_file = json_string_value(json_object_get(spec, "ca_file")),
		.pool = conf_pool(spec),
	};

	c->inserts = json_object();
	c->images = json_object();
	if (!c->inserts || !c->images)
		return -ENOMEM;
	return bearer_new(&bo, &c->auth, err);
}

static int gcp_connect(const struct drv_config *cfg, void **conn, struct drv_error *err)
{
	struct gcp_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	once_init(&c->setup);
	snprintf(c->cloud, sizeof(c->cloud), "%s", cfg->cloud ? cfg->cloud : "default");
	snprintf(c->tag, sizeof(c->tag), "baristafs-");
	gce_name(c->cloud, c->tag + 10, sizeof(c->tag) - 10);
	rc = read_spec(c, cfg->spec, err);
	if (rc == 0)
		rc = read_credential(c, cfg->credential, cfg->spec, err);
	if (rc == 0)
		rc = conn_tools(c, cfg->spec, err);
	if (rc) {
		conn_free(c);
		return rc;
	}
	*conn = c;
	return 0;
}

static void gcp_disconnect(void *conn)
{
	conn_free(conn);
}

/* One cheap authenticated call: the default zone. */
static int gcp_health(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct gcp_conn *c = conn;
	char path[128];

	snprintf(path, sizeof(path), "zones/%s", c->zone);
	return gcp_call(c, ctx, "GET", path, NULL, NULL, err);
}

/* ---- machine types -------------------------------------------------------- */

struct spec_walk {
	drv_spec_cb cb;
	void *arg;
};

static int spec_item(void *arg, const json_t *mt)
{
	struct spec_walk *w = arg;
	struct drv_spec_info spec;

	if (gcp_parse_machine_type(mt, &spec) != 0)
		return 0;
	return w->cb(w->arg, &spec);
}

static int gcp_list_specs(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			  struct drv_error *err)
{
	struct gcp_conn *c = conn;
	struct spec_walk w = { cb, arg };
	char path[160];
	int rc;

	snprintf(path, sizeof(path), "zones/%s/machineTypes?maxResults=500", c->zone);
	rc = gcp_list(c, ctx, path, NULL, spec_item, &w, err);
	return rc > 0 ? 0 : rc;
}

/* ---- images --------------------------------------------------------------- */

/*
 * Images are offered by name, and each image family once more under the
 * family's name ("debian-12"), standing for the family's latest image:
 * that is how GCE users name images, and it survives new releases.
 */
struct image_walk {
	struct gcp_conn *c;
	drv_image_cb cb;	/* NULL: only remember */
	void *arg;
	json_t *families;	/* families offered so far */
};

/* Remember name -> path (the project's own and the first seen win) and offer it. */
static int image_offer(struct image_walk *w, const struct drv_image_info *img, const char *path)
{
	pthread_mutex_lock(&w->c->lock);
	if (!json_object_get(w->c->images, img->name))
		json_object_set_new(w->c->images, img->name, json_string(path));
	pthread_mutex_unlock(&w->c->lock);
	return w->cb ? w->cb(w->arg, img) : 0;
}

/* The family entry of an image: "projects/<p>/global/images/family/<f>". */
static int family_offer(struct image_walk *w, const struct drv_image_info *img, const char *path,
			const char *family)
{
	struct drv_image_info fam = *img;
	char fpath[256];
	int plen = (int)(strstr(path, "/global/images/") - path);

	if (json_object_get(w->families, family))
		return 0;
	json_object_set_new(w->families, family, json_true());
	jsonh_copy(fam.name, sizeof(fam.name), family);
	snprintf(fpath, sizeof(fpath), "%.*s/global/images/family/%s", plen, path, family);
	jsonh_copy(fam.id, sizeof(fam.id), fpath);
	snprintf(fam.description, sizeof(fam.description), "the latest image of family %s",
		 family);
	return image_offer(w, &fam, fpath);
}

static int image_item(void *arg, const json_t *image)
{
	struct image_walk *w = arg;
	struct drv_image_info img;
	const char *family = jsonh_str(image, "family");
	char path[256];
	int rc;

	if (gcp_parse_image(image, &img, path, sizeof(path)) != 0)
		return 0;
	rc = image_offer(w, &img, path);
	if (rc == 0 && family && *family)
		rc = family_offer(w, &img, path, family);
	return rc;
}

/* The images of one project; another project we may not read is skipped. */
static int project_images(struct gcp_conn *c, const struct drv_ctx *ctx, const char *project,
			  struct image_walk *w, struct drv_error *err)
{
	char path[192];
	int rc;

	snprintf(path, sizeof(path), "projects/%s/global/images?maxResults=500", project);
	rc = gcp_list(c, ctx, path, NULL, image_item, w, err);
	if ((rc == -ENOENT || rc == -EACCES) && strcmp(project, c->project) != 0)
		return 0;
	return rc;
}

static int gcp_list_images_walk(struct gcp_conn *c, const struct drv_ctx *ctx,
				struct image_walk *w, struct drv_error *err)
{
	const json_t *p;
	size_t i;
	int rc = project_images(c, ctx, c->project, w, err);

	json_array_foreach(c->image_projects, i, p) {
		if (rc == 0 && strcmp(json_string_value(p), c->project) != 0)
			rc = project_images(c, ctx, json_string_value(p), w, err);
	}
	return rc > 0 ? 0 : rc;
}

static int gcp_list_images(void *conn, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			   struct drv_error *err)
{
	struct image_walk w = { conn, cb, arg, json_object() };
	int rc = w.families ? gcp_list_images_walk(conn, ctx, &w, err) : -ENOMEM;

	json_decref(w.families);
	return rc;
}

/* The latest image of a family in any of our projects; 0, -ENOENT, -errno. */
static int family_image(struct gcp_conn *c, const struct drv_ctx *ctx, const char *family,
			char *path, size_t size, struct drv_error *err)
{
	json_t *projects = json_pack("[s]", c->project), *p, *doc;
	struct drv_image_info img;
	char url[256];
	size_t i;
	int rc = -ENOENT;

	json_array_extend(projects, c->image_projects);
	json_array_foreach(projects, i, p) {
		snprintf(url, sizeof(url), "projects/%s/global/images/family/%s",
			 json_string_value(p), family);
		rc = gcp_call(c, ctx, "GET", url, NULL, &doc, err);
		if (rc == 0 && gcp_parse_image(doc, &img, path, size) != 0)
			rc = -ENOENT;
		json_decref(doc);
		if (rc != -ENOENT && rc != -EACCES)
			break;
	}
	json_decref(projects);
	return rc == -EACCES ? -ENOENT : rc;
}

static int cached_image(struct gcp_conn *c, const char *name, char *path, size_t size)
{
	const char *p;

	pthread_mutex_lock(&c->lock);
	p = json_string_value(json_object_get(c->images, name));
	if (p)
		snprintf(path, size, "%s", p);
	pthread_mutex_unlock(&c->lock);
	return p ? 0 : -ENOENT;
}

int gcp_image_path(struct gcp_conn *c, const struct drv_ctx *ctx, const char *image, char *path,
		   size_t size, struct drv_error *err)
{
	struct image_walk w = { c, NULL, NULL, NULL };
	char msg[192];
	int rc;

	if (strncmp(image, "global/", 7) == 0) {	/* relative to our project */
		snprintf(path, size, "projects/%s/%s", c->project, image);
		return 0;
	}
	if (strchr(image, '/')) {	/* projects/... or a URL, as given */
		snprintf(path, size, "%s", image);
		return 0;
	}
	if (cached_image(c, image, path, size) == 0)
		return 0;
	w.families = json_object();
	rc = w.families ? gcp_list_images_walk(c, ctx, &w, err) : -ENOMEM;
	json_decref(w.families);
	if (rc == 0 && cached_image(c, image, path, size) == 0)
		return 0;
	if (rc == 0)
		rc = family_image(c, ctx, image, path, size, err);
	if (rc != -ENOENT)
		return rc;
	snprintf(msg, sizeof(msg), "no image or image family named %s", image);
	return drv_fail(err, EINVAL, "UnknownImage", msg);
}

/* ---- the firewall rule ---------------------------------------------------- */

static void firewall_name(const struct gcp_conn *c, char *dst, size_t size)
{
	snprintf(dst, size, "%s-ssh", c->tag);
}

struct setup_step {
	struct gcp_conn *c;
	const struct drv_ctx *ctx;
	struct drv_error *err;
};

static int setup_run(struct gcp_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	char name[96], path[160];
	json_t *body;
	int rc;

	firewall_name(c, name, sizeof(name));
	snprintf(path, sizeof(path), "global/firewalls/%s", name);
	rc = gcp_call(c, ctx, "GET", path, NULL, NULL, err);
	if (rc != -ENOENT)
		return rc;
	body = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:[s]}], s:[s], s:[s]}", "name", name,
			 "description", "managed-by=baristafs", "network", c->network,
			 "direction", "INGRESS", "allowed", "IPProtocol", "tcp", "ports", "22",
			 "sourceRanges", "0.0.0.0/0", "targetTags", c->tag);
	if (!body)
		return -ENOMEM;
	rc = gcp_call(c, ctx, "POST", "global/firewalls", body, NULL, err);
	json_decref(body);
	return rc == -EIO && err->http_status == 409 ? 0 : rc;	/* made meanwhile */
}

static int setup_step(void *arg)
{
	struct setup_step *st = arg;

	return setup_run(st->c, st->ctx, st->err);
}

int gcp_setup(struct gcp_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct setup_step st = { c, ctx, err };
	int rc = once_run(&c->setup, ctx ? ctx->deadline_ms : 0, setup_step, &st);

	if (rc == -ETIMEDOUT && !err->code[0])
		drv_fail(err, ETIMEDOUT, "Timeout", "deadline passed waiting for the firewall set-up");
	return rc;
}

static int gcp_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct gcp_conn *c = conn;
	char name[96], path[160];
	int rc;

	firewall_name(c, name, sizeof(name));
	snprintf(path, sizeof(path), "global/firewalls/%s", name);
	rc = gcp_call(c, ctx, "DELETE", path, NULL, NULL, err);
	once_reset(&c->setup);
	return rc == -ENOENT ? 0 : rc;
}

__attribute__((visibility("default"))) const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "gcp",
	.caps = DRV_CAP_SUSPEND | DRV_CAP_REBOOT | DRV_CAP_TAGS | DRV_CAP_USER_DATA |
		DRV_CAP_IDEMPOTENT | DRV_CAP_PRICES | DRV_CAP_SSH_KEY | DRV_CAP_CREDENTIAL,
	.connect = gcp_connect,
	.disconnect = gcp_disconnect,
	.health = gcp_health,
	.list_specs = gcp_list_specs,
	.list_images = gcp_list_images,
	.create_vm = gcp_create_vm,
	.get_vm = gcp_get_vm,
	.list_vms = gcp_list_vms,
	.control_vm = gcp_control_vm,
	.delete_vm = gcp_delete_vm,
	.tag_vm = gcp_tag_vm,
	.cleanup = gcp_cleanup,
};
