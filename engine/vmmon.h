/*
 * vmmon.h - the engine's side of monitoring (private to engine/).
 *
 * The engine owns one struct monitor (monitor/monitor.h): the collector
 * agents push to, the series store under <state>/metrics, the VM registry.
 * Every VM gets its own agent token when it is made; the token is kept in
 * the VM's record, sealed like a credential, and registered again at
 * start-up, so agents keep pushing across restarts.  The create call's
 * user-data carries the agent block with that token.
 *
 * Monitor ids are "<group>/<vm>".  The functions marked "lock held" are
 * called with engine->lock held; the monitor never calls back into the
 * engine and does no network I/O in them.
 */
#ifndef BFS_VMMON_H
#define BFS_VMMON_H

#include "engine/engine_int.h"

/* Start the monitor (collector listening).  0 or -errno with err. */
int vmmon_open(struct engine *e, const struct engine_opts *o, struct sbuf *err);
/* Stop it: after every VM is freed. */
void vmmon_close(struct engine *e);

/* Register v with the monitor, issuing a token when it has none (lock held). */
int vmmon_vm_add(struct engine *e, struct vm *v);
/* Forget v: its token stops working (lock held). */
void vmmon_vm_remove(struct engine *e, struct vm *v);

/* The user-data of v's create call: `in` (may be NULL) with the agent
 * block added.  New string (caller frees), or NULL when it cannot be made
 * (then the call goes without an agent). */
char *vmmon_user_data(struct engine *e, struct vm *v, const char *in);

/* v's token sealed for its record (new string, caller frees), and back. */
char *vmmon_seal_token(struct engine *e, const struct vm *v);
void vmmon_open_token(struct engine *e, struct vm *v, const char *sealed);

#endif
