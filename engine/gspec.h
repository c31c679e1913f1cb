/*
 * gspec.h - the group spec (DESIGN.md section 3): parse, validate, compare.
 *
 * Pure: no engine state.  What needs the engine (does the cloud exist, is
 * the spec in its catalog, may a live subgroup change) is checked by the
 * caller on the parsed result.  The canonical document (doc) is what the
 * engine stores and compares, so that writing the same spec twice, however
 * formatted, is recognised as no change.
 */
#ifndef BFS_GSPEC_H
#define BFS_GSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

#define GSPEC_MAX_COUNT 10000		/* VMs per subgroup */
#define GSPEC_MAX_TOTAL 100000		/* VMs per group */
#define GSPEC_MAX_SUBGROUPS 1000
#define GSPEC_MAX_SUBNAME 56		/* "<sub>-<n>" must stay within 63 */
#define GSPEC_MAX_USER_DATA 65536
#define GSPEC_MAX_LABELS 64
#define GSPEC_MAX_TEXT (1u << 20)	/* a spec document */

enum gspec_policy {
	GSPEC_CONTINUE = 0,	/* keep what came up */
	GSPEC_ROLLBACK,		/* terminate all of this request's VMs */
	GSPEC_REFINE,		/* drop the failed ones from the record */
};

struct gspec_sub {
	const char *name;	/* borrowed from doc, like every string here */
	long count;
	const char *cloud;
	const char *spec;
	const char *image;
	const char *zone;	/* NULL: the cloud's default */
	const char *user_data;	/* NULL when none */
	const char *ssh_key;	/* subgroup's, else the group's, else NULL */
	json_t *labels;		/* borrowed: object, merged group + subgroup labels */
};

struct gspec {
	struct gspec_sub *subs;
	size_t nsubs;
	long total;
	enum gspec_policy policy;
	json_t *doc;		/* owned: the canonical document */
};

/*
 * Parse text (len bytes, need not be NUL-terminated) as the spec of group
 * `group`.  0 and *out (caller frees with gspec_free); -EINVAL with the
 * reason in why; -EAGAIN when text is only the beginning of a document
 * (a writer may still be writing it).
 */
int gspec_parse(const char *text, size_t len, const char *group, struct gspec **out,
		struct sbuf *why);
void gspec_free(struct gspec *g);
/* The subgroup called name, or NULL. */
const struct gspec_sub *gspec_find(const struct gspec *g, const char *name);
bool gspec_equal(const struct gspec *a, const struct gspec *b);
const char *gspec_policy_name(enum gspec_policy p);

#endif
