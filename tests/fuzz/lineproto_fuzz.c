/*
 * lineproto_fuzz.c - libFuzzer target for the line protocol parser.
 *
 * Feeds the input as a /write body with each precision and checks what
 * every accepted point must satisfy: a non-empty measurement, at least one
 * field, tags strictly sorted by key, a time within influxd's range, and
 * every byte it points at readable (the sanitizers check the reads).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/lineproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(struct lineproto_str s, volatile unsigned *sink)
{
	for (size_t i = 0; i < s.len; i++)
		*sink += (unsigned char)s.p[i];
}

static int cmp_str(struct lineproto_str a, struct lineproto_str b)
{
	int c = memcmp(a.p, b.p, a.len < b.len ? a.len : b.len);

	return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int check_point(void *ctx, const struct lineproto_point *pt, const char **reason)
{
	volatile unsigned *sink = ctx;

	(void)reason;
	if (pt->measurement.len == 0 || pt->nfields == 0)
		abort();
	if (pt->time_ns < LINEPROTO_MIN_NS || pt->time_ns > LINEPROTO_MAX_NS)
		abort();
	touch(pt->measurement, sink);
	for (size_t i = 0; i < pt->ntags; i++) {
		touch(pt->tags[i].key, sink);
		touch(pt->tags[i].value, sink);
		if (i && cmp_str(pt->tags[i - 1].key, pt->tags[i].key) >= 0)
			abort();
	}
	for (size_t i = 0; i < pt->nfields; i++) {
		touch(pt->fields[i].key, sink);
		if (pt->fields[i].type == LINEPROTO_STRING)
			touch(pt->fields[i].v.s, sink);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const precisions[] = { "", "s", "h" };
	struct lineproto_limits lim = { .max_line = 4096, .max_tags = 32, .max_fields = 64 };
	struct lineproto_parser *p = lineproto_parser_new(&lim);
	volatile unsigned sink = 0;

	if (!p)
		return 0;
	for (size_t i = 0; i < sizeof(precisions) / sizeof(precisions[0]); i++) {
		struct sbuf errors = { .max = 4096 };
		struct lineproto_result res = { .errors = &errors };
		int64_t unit;

		lineproto_precision(precisions[i], &unit);
		lineproto_parse_batch(p, (const char *)data, size, 0, unit, check_point,
				      (void *)&sink, &res);
		if (errors.len > 4096)
			abort();
		sbuf_release(&errors);
	}
	lineproto_parser_free(p);
	return 0;
}
