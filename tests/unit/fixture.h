/*
 * fixture.h - the recorded cloud answers under
 * ../shared/fixtures/libcloud-compute/, for parser tests.  Header-only.
 *
 * A suite's init calls fixture_init(): when ../shared is absent it marks
 * the binary skipped (cu_skip) and every FIXTURE_TEST() returns at once,
 * so a missing data folder shows as SKIP, never as a pass.
 */
#ifndef BFS_TEST_FIXTURE_H
#define BFS_TEST_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/cu.h"

#define FIXTURE_MAX (4u << 20)

static char fixture_dir[512];

static inline int fixture_init(void)
{
	const char *shared = cu_shared_dir();

	if (!shared)
		cu_skip("../shared (recorded cloud answers) is absent");
	else
		snprintf(fixture_dir, sizeof(fixture_dir), "%s/fixtures/libcloud-compute", shared);
	return 0;
}

/* Return from a test when the fixtures are absent (the binary is marked skipped). */
#define FIXTURE_TEST() do { if (!fixture_dir[0]) return; } while (0)

/* A fixture's bytes, NUL-terminated (caller frees); the test fails when unreadable. */
static inline char *fixture_text(const char *rel, size_t *len)
{
	char path[768];
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, rel);
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	buf = calloc(1, FIXTURE_MAX + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	*len = fread(buf, 1, FIXTURE_MAX, f);
	fclose(f);
	return buf;
}

/* A fixture as a JSON document (new reference); the test fails when it does not parse. */
static inline json_t *fixture_json(const char *rel)
{
	size_t len;
	char *text = fixture_text(rel, &len);
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);

	if (!doc)
		fprintf(stderr, "%s: %s\n", rel, jerr.text);
	CU_ASSERT_PTR_NOT_NULL(doc);
	free(text);
	return doc;
}

#endif
