/*
 * fs.h - the FUSE front's private state, shared by the files of fs/.
 *
 * Locking: fs->lock guards served, handles, listings, seen, waiters, polls
 * and stopping; it is a
 * leaf taken after the engine lock is released (fs code never holds it
 * while calling the engine) and never held while replying to the kernel.
 */
#ifndef BFS_FS_H
#define BFS_FS_H

#include <pthread.h>

#include "fs/tree.h"
#include "lib/idmap.h"

struct fs_waiter;
struct fs_poll;

struct fs {
	struct engine *eng;
	struct fuse_session *se;	/* NULL until mounted, and after */
	double attr_timeout;
	double entry_timeout;
	pthread_mutex_t lock;
	struct idmap served;		/* (lock) ino → hash of what the page cache holds */
	struct idmap handles;		/* (lock) open files: fh value → struct fs_fh */
	struct idmap listings;		/* (lock) directory ino → struct fs_dh being listed */
	struct idmap seen;		/* (lock) object id → mask of node indexes the
					 * kernel holds attributes of */
	double attr_long;		/* attribute lifetime of announced files */
	struct fs_waiter *waiters;	/* (lock) reads of `wait` not answered yet */
	struct fs_poll *polls;		/* (lock) poll handles waiting for a change */
	pthread_t timer;
	pthread_cond_t timer_cv;
	bool stopping;			/* (lock) */
};

extern const struct fuse_lowlevel_ops fs_ops;
/* Free the directory snapshots (at unmount). */
void fs_listings_release(struct fs *fs);

/* wait.c */
int fs_wait_start(struct fs *fs);
/* Answer every pending wait and poll, stop the timer. */
void fs_wait_stop(struct fs *fs);
/* A read of groups/<g>/wait: answered now or when the group settles. */
void fs_wait_read(struct fs *fs, fuse_req_t req, uint64_t group_id);
/* Keep ph until object id changes. */
void fs_poll_register(struct fs *fs, uint64_t id, struct fuse_pollhandle *ph);
/* The engine's watch callback: kernel invalidations, waits, polls. */
void fs_on_change(void *arg, const struct eng_change *c, size_t n);

#endif
