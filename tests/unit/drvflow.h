/*
 * drvflow.h - what the driver flow tests (tests/unit/<cloud>_flow_test.c) share:
 * a stub cloud's JSON answers, connecting through a driver's table, call
 * contexts with a deadline, and counting listing callbacks.  Header-only,
 * over tests/unit/drvstub.h.
 */
#ifndef BFS_TEST_DRVFLOW_H
#define BFS_TEST_DRVFLOW_H

#include <errno.h>
#include <jansson.h>

#include "drivers/driver.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvstub.h"

/* Answer status with doc (taken: the reference is consumed). */
static inline void flow_reply(struct stub_resp *r, int status, json_t *doc)
{
	r->status = status;
	r->body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
}

/* connect() through the table with spec and credential (both taken); the test fails on error. */
static inline void *flow_connect(const struct drv_ops *ops, const char *cloud, json_t *spec,
				 json_t *cred)
{
	struct drv_config cfg = { .cloud = cloud, .spec = spec, .credential = cred,
				  .state_dir = "/tmp" };
	struct drv_error err = { 0 };
	void *conn = NULL;
	int rc = ops->connect(&cfg, &conn, &err);

	if (rc)
		fprintf(stderr, "connect: %d %s: %s\n", rc, err.code, err.message);
	CU_ASSERT_EQUAL(rc, 0);
	json_decref(spec);
	json_decref(cred);
	return conn;
}

/* A call context whose deadline is ms from now. */
static inline struct drv_ctx flow_ctx(int64_t ms)
{
	return (struct drv_ctx){ .deadline_ms = clock_mono_ms() + ms };
}

/*
 * The spec of cfg without a credential: connect() succeeds (the user
 * writes the spec first) and a call answers EACCES with no network.
 */
static inline void flow_no_credential(const struct drv_ops *ops, struct drv_config *cfg)
{
	const json_t *cred = cfg->credential;
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(1000);
	void *conn = NULL;

	cfg->credential = NULL;
	CU_ASSERT_EQUAL_FATAL(ops->connect(cfg, &conn, &err), 0);
	CU_ASSERT_EQUAL(ops->health(conn, &ctx, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "MissingCredential");
	CU_ASSERT(ops->caps & DRV_CAP_CREDENTIAL);
	ops->disconnect(conn);
	cfg->credential = cred;
}

/* A list_vms callback counting into an int. */
static inline int flow_count_vm(void *arg, const struct drv_vm *vm)
{
	(void)vm;
	(*(int *)arg)++;
	return 0;
}

#endif
