/*
 * vmmon.c - the engine's side of monitoring; see vmmon.h.
 */
#include "engine/vmmon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/crypt.h"
#include "monitor/monitor.h"

/* Start the monitor listening on `listen` (NULL: a free loopback port). */
static int start(struct engine *e, const struct engine_opts *o, const char *listen,
		 struct sbuf *err)
{
	struct monitor_opts mo = {
		.listen = listen,
		.advertise_url = o->collector_url,
		.retention_s = o->metrics_retention_s,
		.jit_age_ms = (int)o->jit_age_ms,
		.interval_s = o->agent_interval_s,
		.agent_binary = o->agent_binary,
		.ingest_nice = 5,	/* pushes yield to the mount's reads */
	};
	struct sbuf dir = SBUF_INIT;
	char *why = NULL;
	int rc;

	sbuf_addf(&dir, "%s/metrics", e->state_dir);
	mo.state_dir = dir.buf;
	rc = monitor_new(&mo, &e->monitor, &why);
	if (rc && err)
		sbuf_addf(err, "monitoring: %s", why ? why : strerror(-rc));
	free(why);
	sbuf_release(&dir);
	return rc;
}

/*
 * Without -o collector the collector keeps the address it had last time
 * (meta/collector in the store): agents installed on VMs were given that
 * URL and must still reach it after a restart.  Only when that port is
 * taken does it move, and says so.
 */
int vmmon_open(struct engine *e, const struct engine_opts *o, struct sbuf *err)
{
	char *last = NULL;
	int rc;

	if (o->collector)
		return start(e, o, o->collector, err);
	if (store_get(e->store, "meta/collector", &last, NULL) == 0 &&
	    start(e, o, last, NULL) == 0) {
		free(last);
		return 0;
	}
	rc = start(e, o, NULL, err);
	if (!rc && last)
		eng_event(e, NULL, "collector: %s is taken, now at %s; agents given the old "
			  "address cannot push until they are given the new one", last,
			  monitor_address(e->monitor));
	if (!rc)
		rc = store_put(e->store, "meta/collector", monitor_address(e->monitor),
			       strlen(monitor_address(e->monitor)));
	free(last);
	return rc;
}

void vmmon_close(struct engine *e)
{
	monitor_free(e->monitor);
	e->monitor = NULL;
}

struct monitor *engine_monitor(struct engine *e)
{
	return e->monitor;
}

static void monitor_id(const struct vm *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", v->group->o.name, v->o.name);
}

int vmmon_vm_add(struct engine *e, struct vm *v)
{
	char id[160], token[MONITOR_TOKEN_LEN + 1];
	int rc;

	if (!e->monitor)
		return 0;
	if (!v->agent_token) {
		rc = monitor_token_new(token, sizeof(token));
		if (rc)
			return rc;
		v->agent_token = strdup(token);
		if (!v->agent_token)
			return -ENOMEM;
	}
	monitor_id(v, id, sizeof(id));
	rc = monitor_vm_add(e->monitor, id, v->agent_token, NULL);
	return rc == -EEXIST ? 0 : rc;
}

void vmmon_vm_remove(struct engine *e, struct vm *v)
{
	char id[160];

	if (!e->monitor)
		return;
	monitor_id(v, id, sizeof(id));
	monitor_vm_remove(e->monitor, id);
}

char *vmmon_user_data(struct engine *e, struct vm *v, const char *in)
{
	struct sbuf out = SBUF_INIT;
	char id[160];

	if (!e->monitor || !v->agent_token)
		return in ? strdup(in) : NULL;
	monitor_id(v, id, sizeof(id));
	if (monitor_userdata(e->monitor, id, v->agent_token, in, &out) != 0) {
		sbuf_release(&out);
		return in ? strdup(in) : NULL;
	}
	return sbuf_detach(&out, NULL);
}

static void token_aad(const struct vm *v, char *buf, size_t len)
{
	snprintf(buf, len, "agent-token:%s/%s", v->group->o.name, v->o.name);
}

char *vmmon_seal_token(struct engine *e, const struct vm *v)
{
	char aad[200], *sealed = NULL;

	if (!v->agent_token)
		return NULL;
	token_aad(v, aad, sizeof(aad));
	if (crypt_seal(e->key, aad, v->agent_token, strlen(v->agent_token), &sealed) != 0)
		return NULL;
	return sealed;
}

void vmmon_open_token(struct engine *e, struct vm *v, const char *sealed)
{
	char aad[200], *plain = NULL;

	if (!sealed)
		return;
	token_aad(v, aad, sizeof(aad));
	if (crypt_open(e->key, aad, sealed, &plain, NULL) == 0) {
		free(v->agent_token);
		v->agent_token = plain;
	}
}
