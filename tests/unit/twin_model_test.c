/*
 * twin_model_test.c - cloudtwin's model without a network: the hash map,
 * numbered parameters and fingerprints, the cloud's VM state machines
 * (driven by a synthetic monotonic clock), quotas, the rate-limit bucket,
 * idempotency records, operations, nonces, sweeping, run-time settings,
 * and self-verifying bearer tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tools/cloudtwin/twin_cloud.h"
#include "tools/cloudtwin/twin_config.h"
#include "tools/cloudtwin/twin_map.h"
#include "tools/cloudtwin/twin_params.h"
#include "tools/cloudtwin/twin_token.h"

/* ---- map ------------------------------------------------------------------ */

static void test_map(void)
{
	struct twin_map m = TWIN_MAP_INIT;
	static int vals[2000];
	char key[32];
	size_t pos = 0, seen = 0;
	void *old = &m;

	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CU_ASSERT_EQUAL(twin_map_put(&m, key, &vals[i], NULL), 0);
	}
	CU_ASSERT_EQUAL(twin_map_count(&m), 2000);
	CU_ASSERT_PTR_EQUAL(twin_map_get(&m, "k1234"), &vals[1234]);
	CU_ASSERT_PTR_NULL(twin_map_get(&m, "k2000"));
	CU_ASSERT_EQUAL(twin_map_put(&m, "k7", &vals[0], &old), 0);	/* replace */
	CU_ASSERT_PTR_EQUAL(old, &vals[7]);
	CU_ASSERT_EQUAL(twin_map_count(&m), 2000);
	for (int i = 0; i < 2000; i += 2) {
		snprintf(key, sizeof(key), "k%d", i);
		CU_ASSERT_PTR_NOT_NULL(twin_map_del(&m, key));
	}
	CU_ASSERT_PTR_NULL(twin_map_del(&m, "k0"));
	CU_ASSERT_EQUAL(twin_map_count(&m), 1000);
	CU_ASSERT_PTR_EQUAL(twin_map_get(&m, "k1999"), &vals[1999]);
	while (twin_map_next(&m, &pos, NULL))
		seen++;
	CU_ASSERT_EQUAL(seen, 1000);
	twin_map_release(&m);
	CU_ASSERT_EQUAL(twin_map_count(&m), 0);
}

/* ---- numbered parameters ---------------------------------------------------- */

static void test_params_lists(void)
{
	struct params p = PARAMS_INIT;
	json_t *list = json_array(), *idx;

	params_parse(&p, "InstanceId.2=i-b&InstanceId.1=i-a&InstanceId.10=i-j&InstanceIdX=no&"
		     "Filter.3.Name=x&Filter.1.Name=y&Filter.1.Value.1=z", 100, true);
	CU_ASSERT_EQUAL(twin_params_list(&p, "InstanceId", list), 0);
	CU_ASSERT_EQUAL(json_array_size(list), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(list, 0)), "i-a");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(list, 2)), "i-j");
	idx = twin_params_indexes(&p, "Filter");
	CU_ASSERT_EQUAL(json_array_size(idx), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(idx, 0)), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(idx, 1)), 3);
	json_decref(idx);
	json_decref(list);
	params_release(&p);
}

static void test_params_bad_lists(void)
{
	static const char *const bad[] = { "Id.0=x", "Id.1=a&Id.1=b", "Id.100000=x", "Id.01=x" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct params p = PARAMS_INIT;
		json_t *list = json_array();

		params_parse(&p, bad[i], strlen(bad[i]), true);
		CU_ASSERT_EQUAL(twin_params_list(&p, "Id", list), -EINVAL);
		json_decref(list);
		params_release(&p);
	}
}

static void test_params_digest_canonical(void)
{
	static const char *const skip[] = { "Signature", "X-Amz-*", NULL };
	struct params a = PARAMS_INIT, b = PARAMS_INIT, c = PARAMS_INIT;
	unsigned char da[32], db[32], dc[32];
	struct sbuf canon = SBUF_INIT;

	params_parse(&a, "B=2&A=1&Signature=s1&X-Amz-Date=1", 33, true);
	params_parse(&b, "A=1&B=2&Signature=s2&X-Amz-Date=2", 33, true);
	params_parse(&c, "A=1&B=3", 7, true);
	twin_params_digest(&a, skip, da);
	twin_params_digest(&b, skip, db);
	twin_params_digest(&c, skip, dc);
	CU_ASSERT(memcmp(da, db, 32) == 0);	/* order and skipped names do not count */
	CU_ASSERT(memcmp(da, dc, 32) != 0);
	CU_ASSERT_EQUAL(twin_params_canonical(&a, "Signature", &canon), 0);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&canon), "A=1&B=2&X-Amz-Date=1");
	sbuf_release(&canon);
	params_release(&a);
	params_release(&b);
	params_release(&c);
}

static void test_params_wellformed(void)
{
	CU_ASSERT(twin_params_wellformed("a=%20&b=%7E", 11));
	CU_ASSERT(twin_params_wellformed("", 0));
	CU_ASSERT(!twin_params_wellformed("a=%2", 4));
	CU_ASSERT(!twin_params_wellformed("a=%zz", 5));
	CU_ASSERT(!twin_params_wellformed("a=%00", 5));
}

/* ---- the cloud model ---------------------------------------------------------- */

static struct twin_cloud *make_cloud(const char *extra)
{
	char text[1024];
	struct sbuf err = SBUF_INIT;
	json_t *all;
	struct twin_cloud *c;

	snprintf(text, sizeof(text), "[{\"name\":\"t\",\"dialect\":\"aws\",\"delays_ms\":"
		 "{\"create\":100,\"start\":50,\"stop\":60,\"reboot\":30,\"terminate\":40}%s}]",
		 extra);
	all = twin_config_parse(text, strlen(text), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	c = twin_cloud_new(json_array_get(all, 0), 0, NULL, &err);
	json_decref(all);
	sbuf_release(&err);
	return c;
}

static struct twin_vm *vm_of(struct twin_cloud *c, const char *id, const char *spec)
{
	struct twin_vm *vm = twin_cloud_vm_new();

	snprintf(vm->id, sizeof(vm->id), "%s", id);
	snprintf(vm->zone, sizeof(vm->zone), "us-east-1a");
	vm->spec = twin_cloud_spec(c, spec);
	return vm;
}

static void test_state_machine(void)
{
	struct twin_cloud *c = make_cloud("");
	struct twin_vm *vm = vm_of(c, "i-1", "t3.micro");
	int64_t t = 1000;

	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, vm, t), 0);
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_PENDING);
	CU_ASSERT_EQUAL(vm->seq, 1);
	CU_ASSERT_STRING_EQUAL(vm->private_ip, "10.0.0.4");
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_STOP, t + 10), -EBUSY);	/* still booting */
	CU_ASSERT_EQUAL(twin_cloud_vm(c, "i-1", t + 99)->state, TWIN_VM_PENDING);
	CU_ASSERT_EQUAL(twin_cloud_vm(c, "i-1", t + 100)->state, TWIN_VM_RUNNING);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_START, t + 100), 0);	/* no-op */
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_RUNNING);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_REBOOT, t + 200), 0);
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_REBOOTING);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_STOP, t + 210), 0);
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_STOPPING);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_START, t + 220), -EBUSY);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_REBOOT, t + 220), -EBUSY);
	twin_cloud_settle(c, vm, t + 270);
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_STOPPED);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_DEALLOCATE, t + 280), 0);
	CU_ASSERT(vm->deallocated);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_START, t + 300), 0);
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_STARTING);
	CU_ASSERT(!vm->deallocated);
	CU_ASSERT_EQUAL(twin_cloud_vm_due(vm, t + 300), t + 350);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_TERMINATE, t + 400), 0);
	CU_ASSERT_EQUAL(vm->state, TWIN_VM_TERMINATING);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_START, t + 410), -EBUSY);
	CU_ASSERT_EQUAL(twin_cloud_vm(c, "i-1", t + 440)->state, TWIN_VM_TERMINATED);
	CU_ASSERT_EQUAL(twin_cloud_act(c, vm, TWIN_ACT_TERMINATE, t + 500), 0);	/* again: fine */
	twin_cloud_free(c);
}

static void test_create_stopped_and_keys(void)
{
	struct twin_cloud *c = make_cloud("");
	struct twin_vm *a = vm_of(c, "i-a", "t3.micro"), *b = vm_of(c, "i-b", "t3.micro");
	struct twin_vm *dup = vm_of(c, "i-a", "t3.micro");

	a->boot_stopped = true;
	snprintf(a->key, sizeof(a->key), "z/web");
	snprintf(b->key, sizeof(b->key), "z/web");
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, a, 0), 0);
	CU_ASSERT_EQUAL(a->state, TWIN_VM_STOPPED);	/* CreateInstance: stopped at once */
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, b, 0), -EEXIST);	/* same key */
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, dup, 0), -EEXIST);	/* same id */
	CU_ASSERT_PTR_EQUAL(twin_cloud_vm_by_key(c, "z/web", 0), a);
	CU_ASSERT_EQUAL(twin_cloud_nvms(c), 1);
	twin_cloud_vm_free(b);
	twin_cloud_vm_free(dup);
	twin_cloud_free(c);
}

static void test_quota(void)
{
	struct twin_cloud *c = make_cloud(",\"quota\":{\"vcpus_per_region\":6,\"max_vms\":10}");
	struct twin_vm *big = vm_of(c, "i-big", "m5.2xlarge");	/* 8 vCPUs */
	struct twin_vm *v1 = vm_of(c, "i-1", "m5.xlarge"), *v2 = vm_of(c, "i-2", "t3.micro");
	struct twin_vm *v3 = vm_of(c, "i-3", "t3.micro");

	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, big, 0), -EDQUOT);
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, v1, 0), 0);	/* 4 of 6 */
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, v2, 0), 0);	/* 6 of 6 */
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, v3, 0), -EDQUOT);
	CU_ASSERT_EQUAL(c->vcpus_used[0], 6);
	twin_cloud_act(c, v1, TWIN_ACT_TERMINATE, 200);	/* terminating frees its vCPUs */
	CU_ASSERT_EQUAL(c->vcpus_used[0], 2);
	CU_ASSERT_EQUAL(twin_cloud_add_vm(c, v3, 300), 0);
	twin_cloud_vm_free(big);
	twin_cloud_free(c);
}

static void test_rate_limit(void)
{
	struct twin_cloud *c = make_cloud(",\"faults\":{\"rate_limit\":2,\"burst\":3}");

	CU_ASSERT_EQUAL(twin_cloud_admit(c, 0), 0);
	CU_ASSERT_EQUAL(twin_cloud_admit(c, 0), 0);
	CU_ASSERT_EQUAL(twin_cloud_admit(c, 0), 0);
	CU_ASSERT_EQUAL(twin_cloud_admit(c, 0), -EAGAIN);	/* the burst is spent */
	CU_ASSERT_EQUAL(twin_cloud_admit(c, 499), -EAGAIN);	/* 0.998 tokens */
	CU_ASSERT_EQUAL(twin_cloud_admit(c, 1000), 0);		/* two more by now */
	CU_ASSERT_EQUAL(c->stats.throttled, 2);
	CU_ASSERT_EQUAL(c->stats.requests, 6);
	twin_cloud_free(c);
}

static void test_idem_ops_nonces(void)
{
	struct twin_cloud *c = make_cloud("");
	unsigned char d1[32] = { 1 }, d2[32] = { 2 };
	const json_t *prior = NULL;
	struct twin_op *op;

	CU_ASSERT_EQUAL(twin_cloud_idem_check(c, "tok", d1, &prior), 0);
	CU_ASSERT_EQUAL(twin_cloud_idem_put(c, "tok", d1, json_string("r-1")), 0);
	CU_ASSERT_EQUAL(twin_cloud_idem_check(c, "tok", d1, &prior), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(prior), "r-1");
	CU_ASSERT_EQUAL(twin_cloud_idem_check(c, "tok", d2, &prior), -EEXIST);
	op = twin_cloud_op_new(c, "insert", "vm1", "z", 500, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op);
	CU_ASSERT_PTR_EQUAL(twin_cloud_op(c, op->id), op);
	CU_ASSERT(!twin_cloud_op_done(op, 1499));
	CU_ASSERT(twin_cloud_op_done(op, 1500));
	CU_ASSERT_EQUAL(twin_cloud_nonce_use(c, "n1", 100, 0), 0);
	CU_ASSERT_EQUAL(twin_cloud_nonce_use(c, "n1", 100, 50), -EEXIST);
	CU_ASSERT_EQUAL(twin_cloud_nonce_use(c, "n1", 100, 150), 0);	/* forgotten after ttl */
	twin_cloud_free(c);
}

static void test_sweep_and_reset(void)
{
	struct twin_cloud *c = make_cloud(",\"terminated_retention_s\":0");
	struct twin_vm *a = vm_of(c, "i-a", "t3.micro"), *b = vm_of(c, "i-b", "t3.micro");

	twin_cloud_add_vm(c, a, 0);
	twin_cloud_add_vm(c, b, 0);
	twin_cloud_act(c, a, TWIN_ACT_TERMINATE, 200);
	twin_cloud_sweep(c, 220);		/* still terminating */
	CU_ASSERT_EQUAL(twin_cloud_nvms(c), 2);
	twin_cloud_sweep(c, 300);		/* terminated, retention 0 */
	CU_ASSERT_EQUAL(twin_cloud_nvms(c), 1);
	CU_ASSERT_PTR_NULL(twin_cloud_vm(c, "i-a", 300));
	CU_ASSERT_EQUAL(twin_cloud_vm_after(c, 1), 0);	/* b has seq 2 */
	CU_ASSERT_EQUAL(twin_cloud_vm_after(c, 2), 1);
	twin_cloud_res_put(c, "k", "x", json_object());
	twin_cloud_reset(c);
	CU_ASSERT_EQUAL(twin_cloud_nvms(c), 0);
	CU_ASSERT_PTR_NULL(twin_cloud_res_all(c, "k"));
	twin_cloud_free(c);
}

static void test_settings(void)
{
	static const struct {
		const char *patch;
		int rc;
		const char *why;
	} cases[] = {
		{ "{\"error_rate\":0.5,\"vcpus_per_region\":8}", 0, NULL },
		{ "{\"error_rate\":1.5}", -EINVAL, "faults.error_rate: must be between 0 and 1" },
		{ "{\"latency_ms\":-1}", -EINVAL, "faults.latency_ms" },
		{ "{\"latency_ms\":1.5}", -EINVAL, "must be an integer" },
		{ "{\"colour\":1}", -EINVAL, "unknown key \"colour\"" },
		{ "[1]", -EINVAL, "must be a JSON object" },
		{ "{\"max_vms\":0}", -EINVAL, "quota.max_vms" },
	};
	struct twin_cloud *c = make_cloud("");

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *patch = json_loads(cases[i].patch, 0, NULL);
		struct sbuf err = SBUF_INIT;

		CU_ASSERT_EQUAL(twin_cloud_set_settings(c, patch, &err), cases[i].rc);
		if (cases[i].why)
			CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&err), cases[i].why));
		json_decref(patch);
		sbuf_release(&err);
	}
	CU_ASSERT_DOUBLE_EQUAL(c->faults.error_rate, 0.5, 1e-9);	/* failed patches changed nothing */
	CU_ASSERT_EQUAL(c->vcpu_quota, 8);
	twin_cloud_reset(c);
	CU_ASSERT_DOUBLE_EQUAL(c->faults.error_rate, 0.0, 1e-9);	/* reset restores the config */
	CU_ASSERT_EQUAL(c->vcpu_quota, 1024);
	twin_cloud_free(c);
}

/* ---- tokens -------------------------------------------------------------------------- */

static void test_tokens(void)
{
	unsigned char key[TWIN_TOKEN_KEY_LEN] = { 9 }, other[TWIN_TOKEN_KEY_LEN] = { 8 };
	struct sbuf tok = SBUF_INIT, bad = SBUF_INIT;
	unsigned cloud = 99;

	CU_ASSERT_EQUAL(twin_token_issue(&tok, key, "ya29.", 7, 1000, 60, NULL), 0);
	CU_ASSERT_EQUAL(strncmp(tok.buf, "ya29.", 5), 0);
	CU_ASSERT_EQUAL(twin_token_check(tok.buf, key, "ya29.", 1030, &cloud), 0);
	CU_ASSERT_EQUAL(cloud, 7);
	CU_ASSERT_EQUAL(twin_token_check(tok.buf, key, "ya29.", 1060, &cloud), -EKEYEXPIRED);
	CU_ASSERT_EQUAL(twin_token_check(tok.buf, other, "ya29.", 1030, &cloud), -EACCES);
	CU_ASSERT_EQUAL(twin_token_check(tok.buf, key, "gAAAAAB", 1030, &cloud), -EACCES);
	sbuf_adds(&bad, tok.buf);
	bad.buf[bad.len / 2] ^= 1;	/* one flipped bit anywhere breaks it */
	CU_ASSERT_EQUAL(twin_token_check(bad.buf, key, "ya29.", 1030, &cloud), -EACCES);
	CU_ASSERT_EQUAL(twin_token_check("ya29.", key, "ya29.", 1030, &cloud), -EACCES);
	sbuf_release(&tok);
	sbuf_release(&bad);
}

static const struct cu_test tests[] = {
	{ "map", test_map },
	{ "params_lists", test_params_lists },
	{ "params_bad_lists", test_params_bad_lists },
	{ "params_digest_canonical", test_params_digest_canonical },
	{ "params_wellformed", test_params_wellformed },
	{ "state_machine", test_state_machine },
	{ "create_stopped_and_keys", test_create_stopped_and_keys },
	{ "quota", test_quota },
	{ "rate_limit", test_rate_limit },
	{ "idem_ops_nonces", test_idem_ops_nonces },
	{ "sweep_and_reset", test_sweep_and_reset },
	{ "settings", test_settings },
	{ "tokens", test_tokens },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "twin_model", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
