/*
 * errname.c - errno names; see errname.h.
 */
#include "lib/errname.h"

#include <errno.h>
#include <stdio.h>

static const struct {
	int num;
	const char *name;
} names[] = {
	{ EPERM, "EPERM" },	{ ENOENT, "ENOENT" },	  { EIO, "EIO" },
	{ E2BIG, "E2BIG" },	{ EAGAIN, "EAGAIN" },	  { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },	{ EBUSY, "EBUSY" },	  { EEXIST, "EEXIST" },
	{ EINVAL, "EINVAL" },	{ ENOSPC, "ENOSPC" },	  { EROFS, "EROFS" },
	{ ENOTEMPTY, "ENOTEMPTY" }, { EPROTO, "EPROTO" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { EDQUOT, "EDQUOT" }, { ECONNREFUSED, "ECONNREFUSED" },
	{ ECANCELED, "ECANCELED" }, { EBADMSG, "EBADMSG" }, { ESHUTDOWN, "ESHUTDOWN" },
	{ EINTR, "EINTR" },	{ ENOTCONN, "ENOTCONN" },
};

const char *errname(int err)
{
	static _Thread_local char buf[16];

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].num == err)
			return names[i].name;
	}
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}
