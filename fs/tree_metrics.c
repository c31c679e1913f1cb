/*
 * tree_metrics.c - the tree's monitoring files; see tree_metrics.h.
 *
 * The monitor names VMs "<group>/<vm>", which is built here from the
 * engine's object names.  The texts and their formats are the monitor's
 * (monitor.h documents each); this file only finds which VM or group a
 * file belongs to.
 */
#include "fs/tree_metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

/* "<group>/<vm>" for a VM object id. */
static int vm_monitor_id(struct engine *e, uint64_t id, struct sbuf *out)
{
	struct eng_attr a;
	int rc = engine_attr(e, id, &a);

	if (!rc)
		rc = engine_name(e, a.parent, out);
	if (!rc)
		rc = sbuf_addc(out, '/');
	return rc ? rc : engine_name(e, id, out);
}

int tree_rd_collector(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	(void)id;
	(void)n;
	return sbuf_addf(out, "%s\n", monitor_address(engine_monitor(e)));
}

int tree_rd_vm_agent(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	struct sbuf vm = SBUF_INIT;
	int rc = vm_monitor_id(e, id, &vm);

	if (!rc && n->arg)
		rc = monitor_read_agent_conf(engine_monitor(e), vm.buf, out);
	else if (!rc)
		rc = monitor_read_agent(engine_monitor(e), vm.buf, out);
	sbuf_release(&vm);
	return rc;
}

int tree_rd_vm_metric(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	struct sbuf vm = SBUF_INIT;
	char m[32];
	int rc = vm_monitor_id(e, id, &vm);

	snprintf(m, sizeof(m), "%.*s", (int)strcspn(n->key, "."), n->key);
	if (!rc && n->arg)
		rc = monitor_read_history(engine_monitor(e), vm.buf, m, out);
	else if (!rc)
		rc = monitor_read_vm(engine_monitor(e), vm.buf, m, out);
	sbuf_release(&vm);
	return rc == -ENOENT && n->arg ? 0 : rc;	/* no history kept: an empty file */
}

/* The group's VMs as monitor ids, collected by engine_list. */
struct members {
	const char *group;
	char **ids;
	size_t n, cap;
	int err;
};

static int add_member(void *arg, const char *name, const struct eng_attr *attr)
{
	struct members *m = arg;
	size_t len = strlen(m->group) + strlen(name) + 2;

	(void)attr;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		char **ids = realloc(m->ids, cap * sizeof(*ids));

		if (!ids) {
			m->err = -ENOMEM;
			return 1;
		}
		m->ids = ids;
		m->cap = cap;
	}
	m->ids[m->n] = malloc(len);
	if (!m->ids[m->n]) {
		m->err = -ENOMEM;
		return 1;
	}
	snprintf(m->ids[m->n++], len, "%s/%s", m->group, name);
	return 0;
}

int tree_rd_group_metric(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out)
{
	struct sbuf group = SBUF_INIT;
	struct members m = { 0 };
	int rc = engine_name(e, id, &group);

	m.group = sbuf_str(&group);
	if (!rc)
		rc = engine_list(e, id, EK_VM, add_member, &m);
	if (!rc)
		rc = m.err;
	if (!rc)
		rc = monitor_read_group(engine_monitor(e), (const char *const *)m.ids, m.n, n->key, out);
	for (size_t i = 0; i < m.n; i++)
		free(m.ids[i]);
	free(m.ids);
	sbuf_release(&group);
	return rc;
}
