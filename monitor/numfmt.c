/*
 * numfmt.c - locale-independent number formatting; see numfmt.h.
 */
#include "monitor/numfmt.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

locale_t numfmt_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

/* %.*g in the C locale into buf; the length written. */
static int format_g(char *buf, size_t len, int prec, double v)
{
	locale_t loc = numfmt_c_locale(), old = (locale_t)0;
	int n;

	if (loc)
		old = uselocale(loc);
	n = snprintf(buf, len, "%.*g", prec, v);
	if (loc)
		uselocale(old);
	return n;
}

int numfmt_double(struct sbuf *sb, double v)
{
	static const int precisions[] = { 15, 16, 17 };
	char buf[40];

	if (isnan(v))
		return sbuf_adds(sb, "nan");
	if (isinf(v))
		return sbuf_adds(sb, v < 0 ? "-inf" : "inf");
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return sbuf_addf(sb, "%lld", (long long)v);
	for (size_t i = 0; i < sizeof(precisions) / sizeof(precisions[0]); i++) {
		format_g(buf, sizeof(buf), precisions[i], v);
		if (!numfmt_c_locale() || strtod_l(buf, NULL, numfmt_c_locale()) == v)
			break;
	}
	return sbuf_adds(sb, buf);
}
