/*
 * wait.c - the parts of the tree that answer later: reads of a group's
 * `wait`, poll() handles, and the kernel invalidations that follow engine
 * changes.
 *
 * A `wait` read is never allowed to hold a FUSE worker thread: the request
 * is parked here and answered from the engine's notification thread when
 * the group settles, or from the timer thread when wait_timeout passes
 * (ETIMEDOUT) or the reader got a signal (EINTR, seen through
 * fuse_req_interrupted() within 200 ms).  Whoever removes the waiter from
 * the list under fs->lock owns it and answers it.  No interrupt callback is
 * registered: a callback could race with the answer and touch a freed
 * waiter, polling the flag cannot.
 */
#include "fs/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"

struct fs_waiter {
	struct fs_waiter *next;
	struct fs *fs;
	fuse_req_t req;
	uint64_t group;
	int64_t deadline;	/* CLOCK_MONOTONIC ms */
};

struct fs_poll {
	struct fs_poll *next;
	uint64_t id;
	struct fuse_pollhandle *ph;
};

static void answer(struct fs_waiter *w, int err, const struct sbuf *status)
{
	if (err)
		fuse_reply_err(w->req, err);
	else
		fuse_reply_buf(w->req, status->buf, status->len);
	free(w);
}

/* Answer every waiter of group gid that can be answered now. */
static void check_group(struct fs *fs, uint64_t gid)
{
	struct fs_waiter *ready = NULL, *w, *next;
	struct sbuf status = SBUF_INIT;
	int rc = engine_group_settled(fs->eng, gid, &status);

	if (rc == 0) {
		sbuf_release(&status);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	for (struct fs_waiter **p = &fs->waiters; *p;) {
		w = *p;
		if (w->group != gid) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = ready;
		ready = w;
	}
	pthread_mutex_unlock(&fs->lock);
	for (w = ready; w; w = next) {
		next = w->next;
		answer(w, rc < 0 ? -rc : 0, &status);
	}
	sbuf_release(&status);
}

void fs_wait_read(struct fs *fs, fuse_req_t req, uint64_t group_id)
{
	struct sbuf status = SBUF_INIT;
	struct fs_waiter *w;
	int rc = engine_group_settled(fs->eng, group_id, &status);

	if (rc != 0) {
		if (rc < 0)
			fuse_reply_err(req, -rc);
		else
			fuse_reply_buf(req, status.buf, status.len);
		sbuf_release(&status);
		return;
	}
	sbuf_release(&status);
	w = calloc(1, sizeof(*w));
	if (!w) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*w = (struct fs_waiter){ .fs = fs, .req = req, .group = group_id,
				 .deadline = clock_mono_ms() + engine_wait_timeout_ms(fs->eng) };
	pthread_mutex_lock(&fs->lock);
	w->next = fs->waiters;
	fs->waiters = w;
	pthread_mutex_unlock(&fs->lock);
	check_group(fs, group_id); /* it may have settled while we registered */
}

void fs_poll_register(struct fs *fs, uint64_t id, struct fuse_pollhandle *ph)
{
	struct fs_poll *p = malloc(sizeof(*p));

	if (!p) {
		fuse_pollhandle_destroy(ph);
		return;
	}
	p->id = id;
	p->ph = ph;
	pthread_mutex_lock(&fs->lock);
	p->next = fs->polls;
	fs->polls = p;
	pthread_mutex_unlock(&fs->lock);
}

static void wake_polls(struct fs *fs, uint64_t id)
{
	struct fs_poll *ready = NULL, *p, *next;

	pthread_mutex_lock(&fs->lock);
	for (struct fs_poll **pp = &fs->polls; *pp;) {
		p = *pp;
		if (p->id != id) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		p->next = ready;
		ready = p;
	}
	pthread_mutex_unlock(&fs->lock);
	for (p = ready; p; p = next) {
		next = p->next;
		fuse_lowlevel_notify_poll(p->ph);
		fuse_pollhandle_destroy(p->ph);
		free(p);
	}
}

static enum eng_kind parent_kind(enum eng_kind k)
{
	switch (k) {
	case EK_VM:
		return EK_GROUP;
	case EK_SPEC:
	case EK_IMAGE:
		return EK_CLOUD;
	default:
		return EK_ROOT;
	}
}

/* Tell the kernel a name is gone, and that its directory's listing changed. */
static void kernel_removed(struct fs *fs, const struct eng_change *c)
{
	int idx = tree_container(parent_kind(c->kind), c->kind);
	fuse_ino_t dir;

	if (idx < 0 || !fs->se)
		return;
	dir = tree_ino(c->parent ? c->parent : ENG_ROOT_ID, (unsigned)idx);
	fuse_lowlevel_notify_delete(fs->se, dir, tree_ino(c->id, 0), c->name, strlen(c->name));
	fuse_lowlevel_notify_inval_inode(fs->se, dir, 0, 0);
}

static void kernel_children(struct fs *fs, const struct eng_change *c)
{
	size_t n;
	const struct tnode *t = tree_table(c->kind, &n);

	for (size_t i = 0; fs->se && t && i < n; i++) {
		if (t[i].flags & TF_CONTAINER)
			fuse_lowlevel_notify_inval_inode(fs->se, tree_ino(c->id, (unsigned)i), 0, 0);
	}
}

/*
 * An object's files changed: drop what the kernel holds of them (only the
 * inodes it was given), so that even a reader that keeps a file open sees
 * the change and `ls -l` shows the new size.  Directories keep their cached
 * listings: those follow ENG_CHG_CHILDREN.
 */
static void kernel_changed(struct fs *fs, const struct eng_change *c)
{
	uintptr_t mask;

	pthread_mutex_lock(&fs->lock);
	mask = (uintptr_t)idmap_get(&fs->seen, c->id);
	pthread_mutex_unlock(&fs->lock);
	for (unsigned idx = 0; fs->se && mask; idx++, mask >>= 1) {
		const struct tnode *n;

		if (!(mask & 1) || !(n = tree_node(c->kind, idx)))
			continue;
		fuse_lowlevel_notify_inval_inode(fs->se, tree_ino(c->id, idx),
						 (n->flags & TF_DIR) ? -1 : 0, 0);
	}
}

static void forget_object(struct fs *fs, uint64_t id)
{
	pthread_mutex_lock(&fs->lock);
	idmap_del(&fs->seen, id);
	pthread_mutex_unlock(&fs->lock);
}

static bool has_waiters(struct fs *fs, uint64_t gid)
{
	bool any = false;

	pthread_mutex_lock(&fs->lock);
	for (struct fs_waiter *w = fs->waiters; w && !any; w = w->next)
		any = w->group == gid;
	pthread_mutex_unlock(&fs->lock);
	return any;
}

void fs_on_change(void *arg, const struct eng_change *c, size_t n)
{
	struct fs *fs = arg;

	for (size_t i = 0; i < n; i++) {
		if (c[i].flags & ENG_CHG_REMOVED) {
			kernel_removed(fs, &c[i]);
			forget_object(fs, c[i].id);
		}
		if (c[i].flags & ENG_CHG_ATTR)
			kernel_changed(fs, &c[i]);
		if (c[i].flags & ENG_CHG_CHILDREN)
			kernel_children(fs, &c[i]);
		if (c[i].kind == EK_GROUP && has_waiters(fs, c[i].id))
			check_group(fs, c[i].id);
		wake_polls(fs, c[i].id);
	}
}

/* ---- the deadline timer ------------------------------------------------------------ */

/* Answer waiters whose deadline passed (ETIMEDOUT) or whose reader was
 * interrupted (EINTR). */
static void expire(struct fs *fs, int64_t now)
{
	struct fs_waiter *late = NULL, *w, *next;

	pthread_mutex_lock(&fs->lock);
	for (struct fs_waiter **p = &fs->waiters; *p;) {
		w = *p;
		if (w->deadline > now && !fuse_req_interrupted(w->req)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = late;
		late = w;
	}
	pthread_mutex_unlock(&fs->lock);
	for (w = late; w; w = next) {
		next = w->next;
		answer(w, w->deadline > now ? EINTR : ETIMEDOUT, NULL);
	}
}

static void *timer(void *arg)
{
	struct fs *fs = arg;
	struct timespec ts;

	pthread_mutex_lock(&fs->lock);
	while (!fs->stopping) {
		pthread_mutex_unlock(&fs->lock);
		expire(fs, clock_mono_ms());
		pthread_mutex_lock(&fs->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!fs->stopping)
			pthread_cond_timedwait(&fs->timer_cv, &fs->lock, &ts);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

int fs_wait_start(struct fs *fs)
{
	pthread_cond_init(&fs->timer_cv, NULL);
	return pthread_create(&fs->timer, NULL, timer, fs) == 0 ? 0 : -EAGAIN;
}

void fs_wait_stop(struct fs *fs)
{
	struct fs_waiter *w;
	struct fs_poll *p;

	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	pthread_cond_signal(&fs->timer_cv);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->timer, NULL);
	for (;;) {
		pthread_mutex_lock(&fs->lock);
		w = fs->waiters;
		if (w)
			fs->waiters = w->next;
		pthread_mutex_unlock(&fs->lock);
		if (!w)
			break;
		answer(w, EINTR, NULL);
	}
	while ((p = fs->polls)) {
		fs->polls = p->next;
		fuse_pollhandle_destroy(p->ph);
		free(p);
	}
	pthread_cond_destroy(&fs->timer_cv);
}
