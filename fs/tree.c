/*
 * tree.c - the node tables of the mounted tree and their readers and
 * writers; see tree.h.  Adding a file is adding a row: the index of a row
 * is part of its inode number, so rows are only appended, never reordered,
 * within a running mount (a new build may reorder freely).
 */
#include "fs/tree.h"
#include "fs/tree_metrics.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define DIR_RW (S_IFDIR | 0755)
#define DIR_RO (S_IFDIR | 0555)
#define REG_RO (S_IFREG | 0444)
#define REG_RW (S_IFREG | 0644)
#define REG_SECRET (S_IFREG | 0600)
#define REG_CTL (S_IFREG | 0200)

fuse_ino_t tree_ino(uint64_t id, unsigned idx)
{
	if (id == ENG_ROOT_ID && idx == 0)
		return FUSE_ROOT_ID;
	return (fuse_ino_t)(id << TREE_IDX_BITS | idx);
}

void tree_split(fuse_ino_t ino, uint64_t *id, unsigned *idx)
{
	if (ino == FUSE_ROOT_ID) {
		*id = ENG_ROOT_ID;
		*idx = 0;
		return;
	}
	*id = ino >> TREE_IDX_BITS;
	*idx = (unsigned)(ino & (TREE_MAX_IDX - 1));
}

/* ---- readers ------------------------------------------------------------------ */

static int rd_readme(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	(void)e;
	(void)id;
	(void)n;
	return sbuf_adds(out, tree_readme());
}

static int rd_version(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	(void)e;
	(void)id;
	(void)n;
	return sbuf_addf(out, "%s\n", BFS_VERSION);
}

static int rd_system(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	(void)id;
	switch (n->arg) {
	case 0:
		engine_system_store(e, out);
		break;
	case 1:
		engine_system_stats(e, out);
		break;
	default:
		engine_system_drivers(e, out);
	}
	return 0;
}

static int rd_cloud(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	if (n->key)
		return engine_cloud_key(e, id, n->key, out);
	return engine_cloud_text(e, id, (enum cloud_text)n->arg, out);
}

static int rd_spec_item(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	struct drv_spec_info s;
	int rc = engine_spec_info(e, id, &s);

	(void)n;
	if (rc)
		return rc;
	sbuf_addf(out, "vcpus %d\nmem_gib %g\ngpus %d\n", s.vcpus, s.mem_gib, s.gpus);
	if (s.gpu_model[0])
		sbuf_addf(out, "gpu_model %s\n", s.gpu_model);
	sbuf_addf(out, "arch %s\n", s.arch[0] ? s.arch : "x86_64");
	if (s.price_usd_per_hour >= 0)
		sbuf_addf(out, "price_usd_per_hour %.6g\n", s.price_usd_per_hour);
	if (s.price_source[0])
		sbuf_addf(out, "price_source %s\n", s.price_source);
	return 0;
}

static int rd_image_item(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	struct drv_image_info i;
	int rc = engine_image_info(e, id, &i);

	(void)n;
	if (rc)
		return rc;
	sbuf_addf(out, "os %s\narch %s\n", i.os[0] ? i.os : "unknown",
		  i.arch[0] ? i.arch : "x86_64");
	if (i.id[0])
		sbuf_addf(out, "id %s\n", i.id);
	if (i.description[0])
		sbuf_addf(out, "description %s\n", i.description);
	return 0;
}

static int rd_group(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	return engine_group_text(e, id, (enum group_text)n->arg, out);
}

static int rd_vm(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	return engine_vm_text(e, id, (enum vm_field)n->arg, out);
}

/* ---- streams -------------------------------------------------------------------- */

static size_t sz_events(struct engine *e, uint64_t id)
{
	(void)id;
	return engine_events_size(e);
}

static int st_events(struct engine *e, uint64_t id, off_t off, size_t size, struct sbuf *out)
{
	(void)id;
	engine_events_read(e, off, size, out);
	return 0;
}

static size_t sz_calls(struct engine *e, uint64_t id)
{
	return engine_cloud_calls_size(e, id);
}

static int st_calls(struct engine *e, uint64_t id, off_t off, size_t size, struct sbuf *out)
{
	return engine_cloud_calls_read(e, id, off, size, out);
}

static size_t sz_gevents(struct engine *e, uint64_t id)
{
	return engine_group_events_size(e, id);
}

static int st_gevents(struct engine *e, uint64_t id, off_t off, size_t size, struct sbuf *out)
{
	return engine_group_events_read(e, id, off, size, out);
}

/* ---- writers ------------------------------------------------------------------ */

/* The value written, without one trailing newline (DESIGN.md section 4.3). */
static size_t chomp(const char *buf, size_t len)
{
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	return len;
}

/* A verb: the text without surrounding blanks; one verb per write. */
static int verb_of(const char *buf, size_t len, char *verb, size_t vlen, struct sbuf *why)
{
	size_t a = 0, b = chomp(buf, len);

	while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
		a++;
	while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t'))
		b--;
	if (a == b || b - a >= vlen || memchr(buf + a, '\n', b - a)) {
		sbuf_adds(why, "write one verb per line, e.g. echo suspend > ctl");
		return -EINVAL;
	}
	memcpy(verb, buf + a, b - a);
	verb[b - a] = '\0';
	return 0;
}

static int wr_system_ctl(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			 size_t len, bool dry, struct sbuf *why)
{
	char verb[64];
	int rc = verb_of(buf, len, verb, sizeof(verb), why);

	(void)id;
	(void)n;
	(void)dry;
	return rc ? rc : engine_system_ctl(e, verb, why);
}

static int wr_cloud_ctl(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			size_t len, bool dry, struct sbuf *why)
{
	char verb[64];
	int rc = verb_of(buf, len, verb, sizeof(verb), why);

	(void)n;
	(void)dry;
	return rc ? rc : engine_cloud_ctl(e, id, verb, why);
}

static int wr_group_ctl(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			size_t len, bool dry, struct sbuf *why)
{
	char verb[64];
	int rc = verb_of(buf, len, verb, sizeof(verb), why);

	(void)n;
	(void)dry;
	return rc ? rc : engine_group_ctl(e, id, verb, why);
}

static int wr_vm_ctl(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
		     size_t len, bool dry, struct sbuf *why)
{
	char verb[64];
	int rc = verb_of(buf, len, verb, sizeof(verb), why);

	(void)n;
	(void)dry;
	return rc ? rc : engine_vm_ctl(e, id, verb, why);
}

static int wr_cloud_spec(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			 size_t len, bool dry, struct sbuf *why)
{
	(void)n;
	return engine_cloud_set_spec(e, id, buf, len, dry, why);
}

static int wr_cloud_key(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			size_t len, bool dry, struct sbuf *why)
{
	struct sbuf v = SBUF_INIT;
	int rc;

	len = chomp(buf, len);
	if (memchr(buf, '\n', len) || memchr(buf, '\0', len)) {
		sbuf_addf(why, "%s takes one value on one line", n->key);
		return -EINVAL;
	}
	sbuf_add(&v, buf, len);
	rc = engine_cloud_set_key(e, id, n->key, sbuf_str(&v), dry, why);
	sbuf_release(&v);
	return rc;
}

static int wr_cloud_cred(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			 size_t len, bool dry, struct sbuf *why)
{
	(void)n;
	return engine_cloud_set_credential(e, id, buf, len, dry, why);
}

static int wr_group_spec(struct engine *e, uint64_t id, const struct tnode *n, const char *buf,
			 size_t len, bool dry, struct sbuf *why)
{
	(void)n;
	return engine_group_set_spec(e, id, buf, len, dry, why);
}

/* ---- the tables -------------------------------------------------------------------- */

enum { R_SYSTEM = 4 };
static const struct tnode root_nodes[] = {
	{ .name = "", .mode = DIR_RW, .flags = TF_DIR },
	{ .name = "README", .mode = REG_RO, .read = rd_readme },
	{ .name = "version", .mode = REG_RO, .read = rd_version },
	{ .name = "events", .mode = REG_RO, .flags = TF_STREAM | TF_POLL, .size = sz_events,
	  .stream = st_events },
	{ .name = "system", .mode = DIR_RO, .flags = TF_DIR },
	{ .name = "store", .parent = R_SYSTEM, .mode = REG_RO, .flags = TF_VOLATILE,
	  .read = rd_system, .arg = 0 },
	{ .name = "stats", .parent = R_SYSTEM, .mode = REG_RO, .flags = TF_VOLATILE,
	  .read = rd_system, .arg = 1 },
	{ .name = "drivers", .parent = R_SYSTEM, .mode = REG_RO, .flags = TF_VOLATILE,
	  .read = rd_system, .arg = 2 },
	{ .name = "ctl", .parent = R_SYSTEM, .mode = REG_CTL, .flags = TF_CTL,
	  .write = wr_system_ctl },
	{ .name = "clouds", .mode = DIR_RW, .flags = TF_DIR | TF_CONTAINER | TF_MKDIR,
	  .lists = EK_CLOUD },
	{ .name = "groups", .mode = DIR_RW, .flags = TF_DIR | TF_CONTAINER | TF_MKDIR,
	  .lists = EK_GROUP },
	{ .name = "apps", .mode = DIR_RW, .flags = TF_DIR | TF_MKDIR },
	{ .name = "collector", .parent = R_SYSTEM, .mode = REG_RO, .read = tree_rd_collector },
};

#define CLOUD_KEY(k) \
	{ .name = k, .mode = REG_RW, .flags = TF_DOC, .read = rd_cloud, .write = wr_cloud_key, \
	  .key = k }
static const struct tnode cloud_nodes[] = {
	{ .name = "", .mode = DIR_RW, .flags = TF_DIR },
	{ .name = "spec", .mode = REG_RW, .flags = TF_DOC, .read = rd_cloud,
	  .write = wr_cloud_spec, .arg = CT_SPEC },
	CLOUD_KEY("driver"),
	CLOUD_KEY("region"),
	CLOUD_KEY("zone"),
	CLOUD_KEY("endpoint"),
	CLOUD_KEY("auth_endpoint"),
	CLOUD_KEY("ca_file"),
	{ .name = "credential", .mode = REG_SECRET, .flags = TF_DOC, .read = rd_cloud,
	  .write = wr_cloud_cred, .arg = CT_CREDENTIAL },
	{ .name = "health", .mode = REG_RO, .flags = TF_POLL, .read = rd_cloud, .arg = CT_HEALTH },
	{ .name = "stats", .mode = REG_RO, .flags = TF_VOLATILE, .read = rd_cloud,
	  .arg = CT_STATS },
	{ .name = "calls", .mode = REG_RO, .flags = TF_STREAM, .size = sz_calls,
	  .stream = st_calls },
	{ .name = "error", .mode = REG_RO, .read = rd_cloud, .arg = CT_ERROR },
	{ .name = "ctl", .mode = REG_CTL, .flags = TF_CTL, .write = wr_cloud_ctl },
	{ .name = "specs", .mode = DIR_RO, .flags = TF_DIR | TF_CONTAINER, .lists = EK_SPEC },
	{ .name = "images", .mode = DIR_RO, .flags = TF_DIR | TF_CONTAINER, .lists = EK_IMAGE },
};

static const struct tnode spec_nodes[] = {
	{ .name = "", .mode = REG_RO, .flags = TF_VOLATILE, .read = rd_spec_item },
};

static const struct tnode image_nodes[] = {
	{ .name = "", .mode = REG_RO, .flags = TF_VOLATILE, .read = rd_image_item },
};

enum { G_METRICS = 11 };
#define GROUP_METRIC(m) \
	{ .name = m, .parent = G_METRICS, .mode = REG_RO, .flags = TF_LIVE, \
	  .read = tree_rd_group_metric, .key = m }
static const struct tnode group_nodes[] = {
	{ .name = "", .mode = DIR_RW, .flags = TF_DIR },
	{ .name = "spec", .mode = REG_RW, .flags = TF_DOC, .read = rd_group,
	  .write = wr_group_spec, .arg = GT_SPEC },
	{ .name = "status", .mode = REG_RO, .flags = TF_POLL, .read = rd_group, .arg = GT_STATUS },
	{ .name = "counts", .mode = REG_RO, .read = rd_group, .arg = GT_COUNTS },
	{ .name = "ctl", .mode = REG_CTL, .flags = TF_CTL, .write = wr_group_ctl },
	{ .name = "wait", .mode = REG_RO, .flags = TF_WAIT },
	{ .name = "events", .mode = REG_RO, .flags = TF_STREAM | TF_POLL, .size = sz_gevents,
	  .stream = st_gevents },
	{ .name = "error", .mode = REG_RO, .read = rd_group, .arg = GT_ERROR },
	{ .name = "placement", .mode = REG_RO, .flags = TF_VOLATILE, .read = rd_group,
	  .arg = GT_PLACEMENT },
	{ .name = "cost", .mode = REG_RO, .flags = TF_VOLATILE, .read = rd_group, .arg = GT_COST },
	{ .name = "vms", .mode = DIR_RO, .flags = TF_DIR | TF_CONTAINER, .lists = EK_VM },
	{ .name = "metrics", .mode = DIR_RO, .flags = TF_DIR },
	GROUP_METRIC("cpu"),
	GROUP_METRIC("mem"),
	GROUP_METRIC("disk"),
	GROUP_METRIC("diskio"),
	GROUP_METRIC("net"),
};

#define VM_FIELD(nm, f) { .name = nm, .mode = REG_RO, .read = rd_vm, .arg = f }
enum { V_METRICS = 15 };
/* arg 1: the .history file of the measurement (key up to the dot). */
#define VM_METRIC(nm, hist) \
	{ .name = nm, .parent = V_METRICS, .mode = REG_RO, .flags = TF_LIVE, \
	  .read = tree_rd_vm_metric, .key = nm, .arg = hist }
static const struct tnode vm_nodes[] = {
	{ .name = "", .mode = DIR_RO, .flags = TF_DIR },
	{ .name = "status", .mode = REG_RO, .flags = TF_POLL, .read = rd_vm, .arg = VF_STATUS },
	VM_FIELD("target", VF_TARGET),
	VM_FIELD("cloud", VF_CLOUD),
	VM_FIELD("spec", VF_SPEC),
	VM_FIELD("image", VF_IMAGE),
	VM_FIELD("zone", VF_ZONE),
	VM_FIELD("csp_id", VF_CSP_ID),
	VM_FIELD("public_ip", VF_PUBLIC_IP),
	VM_FIELD("private_ip", VF_PRIVATE_IP),
	VM_FIELD("created", VF_CREATED),
	{ .name = "ctl", .mode = REG_CTL, .flags = TF_CTL, .write = wr_vm_ctl },
	{ .name = "events", .mode = REG_RO, .flags = TF_LIVE, .read = rd_vm, .arg = VF_EVENTS },
	VM_FIELD("error", VF_ERROR),
	{ .name = "agent", .mode = REG_RO, .flags = TF_LIVE, .read = tree_rd_vm_agent },
	{ .name = "metrics", .mode = DIR_RO, .flags = TF_DIR },
	VM_METRIC("cpu", 0),
	VM_METRIC("mem", 0),
	VM_METRIC("disk", 0),
	VM_METRIC("diskio", 0),
	VM_METRIC("net", 0),
	VM_METRIC("cpu.history", 1),
	VM_METRIC("mem.history", 1),
	VM_METRIC("disk.history", 1),
	VM_METRIC("diskio.history", 1),
	VM_METRIC("net.history", 1),
	{ .name = "agent.conf", .mode = S_IFREG | 0400, .read = tree_rd_vm_agent, .arg = 1 },
};

#define TABLE(t) { t, sizeof(t) / sizeof(t[0]) }
static const struct {
	const struct tnode *nodes;
	size_t n;
} tables[] = {
	[EK_ROOT] = TABLE(root_nodes),	 [EK_CLOUD] = TABLE(cloud_nodes),
	[EK_SPEC] = TABLE(spec_nodes),	 [EK_IMAGE] = TABLE(image_nodes),
	[EK_GROUP] = TABLE(group_nodes), [EK_VM] = TABLE(vm_nodes),
};

const struct tnode *tree_table(enum eng_kind kind, size_t *n)
{
	if ((unsigned)kind >= sizeof(tables) / sizeof(tables[0]) || !tables[kind].nodes) {
		*n = 0;
		return NULL;
	}
	*n = tables[kind].n;
	return tables[kind].nodes;
}

const struct tnode *tree_node(enum eng_kind kind, unsigned idx)
{
	size_t n;
	const struct tnode *t = tree_table(kind, &n);

	return t && idx < n ? &t[idx] : NULL;
}

int tree_find(enum eng_kind kind, unsigned dir_idx, const char *name)
{
	size_t n;
	const struct tnode *t = tree_table(kind, &n);

	for (size_t i = 1; t && i < n; i++) {
		if (t[i].parent == dir_idx && strcmp(t[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

int tree_container(enum eng_kind parent_kind, enum eng_kind child_kind)
{
	size_t n;
	const struct tnode *t = tree_table(parent_kind, &n);

	for (size_t i = 0; t && i < n; i++) {
		if ((t[i].flags & TF_CONTAINER) && t[i].lists == child_kind)
			return (int)i;
	}
	return -1;
}
