/*
 * numfmt.h - numbers as the tree and the wire show them, independent of
 * the process locale (a FUSE front may call setlocale(); "12,5" must
 * never reach a metrics file or a line protocol body).
 */
#ifndef BFS_NUMFMT_H
#define BFS_NUMFMT_H

#include <locale.h>

#include "lib/sbuf.h"

/* The "C" locale for *_l functions; (locale_t)0 only when out of memory. */
locale_t numfmt_c_locale(void);

/*
 * Append v: integral values below 2^53 without a fraction ("42", "-3"),
 * others in the shortest of %.15g/%.16g/%.17g that reads back exactly.
 * NaN and infinities append "nan", "inf", "-inf".  0 or sbuf's error.
 */
int numfmt_double(struct sbuf *sb, double v);

#endif
