/*
 * errname.h - symbolic names of errno values ("EAGAIN"), for `calls`,
 * `error` and `events` lines that scripts grep.
 */
#ifndef BFS_ERRNAME_H
#define BFS_ERRNAME_H

/* "EAGAIN" for 11 or -11; "E<number>" for values without a name here. */
const char *errname(int err);

#endif
