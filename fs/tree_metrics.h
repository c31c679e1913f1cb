/*
 * tree_metrics.h - the tree's monitoring files, read from the engine's
 * monitor (monitor/monitor.h):
 *
 *   system/collector                  HOST:PORT agents push to
 *   groups/<g>/vms/<v>/agent          healthy | unhealthy | absent, last_seen
 *   groups/<g>/vms/<v>/metrics/<m>    live sample (may pull from the agent)
 *   groups/<g>/vms/<v>/metrics/<m>.history   minute rollups
 *   groups/<g>/metrics/<m>            avg, min, max over the group's VMs
 *
 * Readers for struct tnode (tree.h): a metric row's `key` is its file
 * name, its `arg` 1 for .history files.
 */
#ifndef BFS_TREE_METRICS_H
#define BFS_TREE_METRICS_H

#include "fs/tree.h"

int tree_rd_collector(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out);
int tree_rd_vm_agent(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out);
/* arg 1: agent.conf (the settings with the token) instead of the health. */
int tree_rd_vm_metric(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out);
int tree_rd_group_metric(struct engine *e, uint64_t id, const struct tnode *n, struct sbuf *out);

#endif
