/*
 * ops.c - the FUSE low-level operations over the engine.
 *
 * Caching, the decision a reader would otherwise get wrong:
 *  - State files are generated whole at open() and served through the
 *    page cache (keep_cache) while their content stays the same.  open()
 *    hashes the content and compares it with what the kernel was last
 *    given for that inode; when it changed, the cached pages are dropped
 *    (no keep_cache) and the cached attributes invalidated, so the next
 *    read sees the new content with its exact size.  A warm `cat` costs
 *    one round trip (open), and no read ever sees a stale or cut value.
 *  - Logs (events, calls) and `wait` use direct I/O: they grow or block.
 *  - Writes go straight through (direct I/O); documents are buffered per
 *    open file, checked at each write() and applied at flush (close).
 *  - Directories are never opened: the kernel is told opendir is not
 *    supported, which also makes it cache every listing (FOPEN_CACHE_DIR)
 *    until the engine announces a change of children and we invalidate it.
 *    readdir is stateless: fixed directories come from the node table by
 *    offset, containers from a snapshot taken at offset 0.
 *  - Attributes: files whose every change the engine announces keep their
 *    attributes long (attr_long); an announcement invalidates the inodes
 *    the kernel was given (fs->seen).  Files marked TF_VOLATILE (stats,
 *    cost...) keep them attr_timeout (default 1 s), the contract's bound.
 * No operation waits on a cloud: everything comes from the engine's model.
 *
 * Open files are registered in fs->handles and reference counted: the
 * kernel has been seen to deliver a READ on one thread while the RELEASE
 * of the same file runs on another, so a request takes a reference only
 * if the handle is still registered, and the last reference frees it.
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/names.h"

#define DOC_MAX (1u << 20)

struct fs_fh {
	int refs;		/* (fs->lock) the open file's own, plus one per request using it */
	uint64_t id;
	unsigned idx;
	const struct tnode *node;
	struct sbuf content;	/* what reads of this open file see */
	struct sbuf wbuf;	/* what the writer wrote so far */
	bool writer;
	bool pending;		/* wbuf not applied yet */
	int werr;		/* a refused write: the rest fail alike */
	off_t seen;		/* poll: how far a stream was read */
};

/*
 * A directory snapshot entry: name, inode number and what is needed to
 * build its attributes, which only readdirplus does.
 */
struct fs_dent {
	char *name;
	fuse_ino_t ino;
	mode_t mode;
	unsigned idx;		/* node index within the entry's object */
	const struct tnode *node;
	struct eng_attr a;	/* the object the entry belongs to */
};

struct fs_dh {
	int refs;		/* (fs->lock) the listing cache's, plus one per reader */
	struct fs_dent *d;
	size_t n, cap;
};

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Object attributes and the node an inode names. */
static int node_of(struct fs *fs, fuse_ino_t ino, struct eng_attr *a, unsigned *idx,
		   const struct tnode **n)
{
	uint64_t id;
	int rc;

	tree_split(ino, &id, idx);
	rc = engine_attr(fs->eng, id, a);
	if (rc)
		return rc;
	*n = tree_node(a->kind, *idx);
	return *n ? 0 : -ENOENT;
}

/* A request's reference to its open file, or NULL when it was released. */
static struct fs_fh *fh_get(struct fs *fs, struct fuse_file_info *fi)
{
	struct fs_fh *fh;

	pthread_mutex_lock(&fs->lock);
	fh = idmap_get(&fs->handles, fi->fh);
	if (fh)
		fh->refs++;
	pthread_mutex_unlock(&fs->lock);
	return fh;
}

static void fh_free(struct fs_fh *fh)
{
	sbuf_release(&fh->content);
	sbuf_release(&fh->wbuf);
	free(fh);
}

static void fh_put(struct fs *fs, struct fs_fh *fh)
{
	int left;

	pthread_mutex_lock(&fs->lock);
	left = --fh->refs;
	pthread_mutex_unlock(&fs->lock);
	if (!left)
		fh_free(fh);
}

static void fill_stat(struct fs *fs, const struct eng_attr *a, unsigned idx,
		      const struct tnode *n, struct stat *st)
{
	struct sbuf sb = SBUF_INIT;
	int64_t mt;

	memset(st, 0, sizeof(*st));
	st->st_ino = tree_ino(a->id, idx);
	st->st_mode = n->mode;
	st->st_nlink = 1;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_blksize = 4096;
	/* A directory's mtime is when its entries changed: never, for the fixed
	 * ones (so the kernel's cached listing stays), the children's last
	 * change for containers.  Files carry the object's last change. */
	mt = !(n->flags & TF_DIR) ? a->mtime_ms
	     : (n->flags & TF_CONTAINER) ? a->cmtime_ms : a->ctime_ms;
	st->st_mtim.tv_sec = mt / 1000;
	st->st_mtim.tv_nsec = (mt % 1000) * 1000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
	if (n->flags & TF_STREAM)
		st->st_size = (off_t)n->size(fs->eng, a->id);
	else if (!(n->flags & (TF_DIR | TF_LIVE)) && n->read &&
		 n->read(fs->eng, a->id, n, &sb) == 0)
		st->st_size = (off_t)sb.len; /* live files are direct I/O: size 0, like /proc */
	st->st_blocks = (st->st_size + 511) / 512;
	sbuf_release(&sb);
}

/* How long the kernel may keep a node's attributes. */
static double attr_ttl(const struct fs *fs, const struct tnode *n)
{
	if (n->flags & (TF_VOLATILE | TF_STREAM))
		return fs->attr_timeout;
	return fs->attr_long > fs->attr_timeout ? fs->attr_long : fs->attr_timeout;
}

/* The kernel now holds attributes of (id, idx): announce changes to it. */
static void mark_seen(struct fs *fs, uint64_t id, unsigned idx)
{
	uintptr_t mask, bit = (uintptr_t)1 << idx;

	pthread_mutex_lock(&fs->lock);
	mask = (uintptr_t)idmap_get(&fs->seen, id);
	if (!(mask & bit))
		idmap_put(&fs->seen, id, (void *)(mask | bit));
	pthread_mutex_unlock(&fs->lock);
}

static void fill_entry(struct fs *fs, const struct eng_attr *a, unsigned idx,
		       const struct tnode *n, struct fuse_entry_param *e)
{
	fill_stat(fs, a, idx, n, &e->attr);
	e->ino = e->attr.st_ino;
	e->attr_timeout = attr_ttl(fs, n);
	e->entry_timeout = fs->entry_timeout;
	mark_seen(fs, a->id, idx);
}

static void reply_entry(struct fs *fs, fuse_req_t req, const struct eng_attr *a, unsigned idx,
			const struct tnode *n)
{
	struct fuse_entry_param e = { 0 };

	fill_entry(fs, a, idx, n, &e);
	fuse_reply_entry(req, &e);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want |= FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_NO_OPENDIR_SUPPORT;
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA; /* open() checks contents */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	conn->want &= ~(unsigned)FUSE_CAP_POSIX_LOCKS;
	conn->want &= ~(unsigned)FUSE_CAP_FLOCK_LOCKS;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	const struct tnode *pn;
	struct eng_attr pa, ca;
	unsigned pidx;
	int idx, rc = node_of(fs, parent, &pa, &pidx, &pn);

	if (rc || !(pn->flags & TF_DIR)) {
		fuse_reply_err(req, rc ? -rc : ENOTDIR);
		return;
	}
	if (pn->flags & TF_CONTAINER) {
		rc = engine_lookup(fs->eng, pa.id, pn->lists, name, &ca);
		if (rc)
			fuse_reply_err(req, -rc);
		else
			reply_entry(fs, req, &ca, 0, tree_node(ca.kind, 0));
		return;
	}
	idx = tree_find(pa.kind, pidx, name);
	if (idx < 0)
		fuse_reply_err(req, ENOENT);
	else
		reply_entry(fs, req, &pa, (unsigned)idx, tree_node(pa.kind, (unsigned)idx));
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req); /* inodes carry no state */
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	const struct tnode *n;
	struct eng_attr a;
	struct stat st;
	unsigned idx;
	int rc = node_of(fs, ino, &a, &idx, &n);

	(void)fi;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fill_stat(fs, &a, idx, n, &st);
	mark_seen(fs, a.id, idx);
	fuse_reply_attr(req, &st, attr_ttl(fs, n));
}

/* Only what shells do on write: truncate to 0 (O_TRUNC, `: >`) and touch. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	const int ok = FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		       FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME;
	struct fs *fs = fs_of(req);
	const struct tnode *n;
	struct eng_attr a;
	unsigned idx;
	int rc = node_of(fs, ino, &a, &idx, &n);

	if (!rc && (!n->write || (to_set & ~ok) ||
		    ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size != 0)))
		rc = -EPERM;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	op_getattr(req, ino, fi);
}

/* ---- files ------------------------------------------------------------------------ */

/* Generate the content and decide whether the page cache may be kept. */
static int open_state_file(struct fs *fs, fuse_ino_t ino, struct fs_fh *fh,
			   struct fuse_file_info *fi)
{
	uint64_t h;
	void *prev;
	int rc = fh->node->read(fs->eng, fh->id, fh->node, &fh->content);

	if (rc)
		return rc;
	h = hash_bytes(fh->content.buf ? fh->content.buf : "", fh->content.len,
		       0xcbf29ce484222325ull) | 1;
	pthread_mutex_lock(&fs->lock);
	prev = idmap_get(&fs->served, ino);
	idmap_put(&fs->served, ino, (void *)(uintptr_t)h);
	pthread_mutex_unlock(&fs->lock);
	fi->keep_cache = prev == (void *)(uintptr_t)h;
	if (!fi->keep_cache && fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0); /* attributes only */
	return 0;
}

static int open_check(const struct tnode *n, int flags)
{
	int acc = flags & O_ACCMODE;

	if (n->flags & TF_DIR)
		return -EISDIR;
	if (acc != O_RDONLY && !n->write)
		return -EACCES;
	if (acc != O_WRONLY && (n->flags & TF_CTL))
		return -EACCES;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	const struct tnode *n;
	struct eng_attr a;
	struct fs_fh *fh;
	unsigned idx;
	int rc = node_of(fs, ino, &a, &idx, &n);

	if (!rc)
		rc = open_check(n, fi->flags);
	fh = rc ? NULL : calloc(1, sizeof(*fh));
	if (!rc && !fh)
		rc = -ENOMEM;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fh->id = a.id;
	fh->idx = idx;
	fh->node = n;
	fh->writer = (fi->flags & O_ACCMODE) != O_RDONLY;
	fh->wbuf.max = DOC_MAX;
	if (fh->writer || (n->flags & (TF_STREAM | TF_WAIT | TF_LIVE)))
		fi->direct_io = 1;
	if (n->flags & TF_WAIT)
		fi->nonseekable = 1;
	if (!fh->writer && n->read && fi->direct_io)
		rc = n->read(fs->eng, a.id, n, &fh->content);
	else if (!fh->writer && n->read)
		rc = open_state_file(fs, ino, fh, fi);
	if (rc) {
		fh_free(fh);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->noflush = !fh->writer;
	fi->fh = (uintptr_t)fh;
	fh->refs = 1;
	pthread_mutex_lock(&fs->lock);
	rc = idmap_put(&fs->handles, fi->fh, fh);
	pthread_mutex_unlock(&fs->lock);
	if (rc) {
		fh_free(fh);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fuse_reply_open(req, fi);
}

static void reply_slice(fuse_req_t req, const struct sbuf *sb, size_t size, off_t off)
{
	if (off < 0 || (size_t)off >= sb->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > sb->len - (size_t)off)
		size = sb->len - (size_t)off;
	fuse_reply_buf(req, sb->buf + off, size);
}

static void read_stream(struct fs *fs, fuse_req_t req, struct fs_fh *fh, size_t size, off_t off)
{
	struct sbuf sb = SBUF_INIT;
	int rc = fh->node->stream(fs->eng, fh->id, off, size, &sb);

	if (rc) {
		fuse_reply_err(req, -rc);
	} else {
		fh->seen = off + (off_t)sb.len;
		fuse_reply_buf(req, sb.buf, sb.len);
	}
	sbuf_release(&sb);
}

/*
 * A READ whose open file was already released (a page-cache fill that
 * outlived its file): answer from a fresh copy, since another reader may be
 * waiting for that page.
 */
static void read_orphan(struct fs *fs, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off)
{
	struct sbuf sb = SBUF_INIT;
	const struct tnode *n;
	struct eng_attr a;
	unsigned idx;
	int rc = node_of(fs, ino, &a, &idx, &n);

	if (!rc && n->read)
		rc = n->read(fs->eng, a.id, n, &sb);
	else if (!rc && (n->flags & TF_STREAM))
		rc = n->stream(fs->eng, a.id, off, size, &sb);
	else if (!rc)
		rc = -EBADF;
	if (rc)
		fuse_reply_err(req, -rc);
	else if (n->flags & TF_STREAM)
		fuse_reply_buf(req, sb.buf, sb.len);
	else
		reply_slice(req, &sb, size, off);
	sbuf_release(&sb);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_fh *fh = fh_get(fs, fi);

	if (!fh) {
		read_orphan(fs, req, ino, size, off);
		return;
	}
	if (fh->node->flags & TF_WAIT) {
		if (off > 0)
			fuse_reply_buf(req, NULL, 0);
		else
			fs_wait_read(fs, req, fh->id);
	} else if (fh->node->flags & TF_STREAM) {
		read_stream(fs, req, fh, size, off);
	} else {
		reply_slice(req, &fh->content, size, off);
	}
	fh_put(fs, fh);
}

/* Put data at off in the document buffer; O_APPEND and gaps append. */
static int buffer_write(struct fs_fh *fh, const char *buf, size_t size, off_t off)
{
	if (off >= 0 && (size_t)off < fh->wbuf.len)
		fh->wbuf.len = (size_t)off;
	return sbuf_add(&fh->wbuf, buf, size) == 0 ? 0 : -EFBIG;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_fh *fh = fh_get(fs, fi);
	struct sbuf why = SBUF_INIT;
	int rc;

	(void)ino;
	if (!fh) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (fh->node->flags & TF_CTL) {
		rc = fh->node->write(fs->eng, fh->id, fh->node, buf, size, false, &why);
	} else if (fh->werr) {
		rc = fh->werr;
	} else {
		rc = buffer_write(fh, buf, size, off);
		if (!rc)
			rc = fh->node->write(fs->eng, fh->id, fh->node, fh->wbuf.buf, fh->wbuf.len,
					     true, &why);
		if (rc == -EAGAIN)
			rc = 0; /* not a whole document yet: wait for more */
		fh->pending = true;
		if (rc)
			fh->werr = rc;
	}
	fh_put(fs, fh);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
	sbuf_release(&why);
}

/* Apply a written document (close).  The engine records any refusal. */
static int apply(struct fs *fs, struct fs_fh *fh)
{
	struct sbuf why = SBUF_INIT;
	int rc;

	if (!fh->pending || fh->werr)
		return fh->werr;
	fh->pending = false;
	rc = fh->node->write(fs->eng, fh->id, fh->node, fh->wbuf.buf ? fh->wbuf.buf : "",
			     fh->wbuf.len, false, &why);
	sbuf_release(&why);
	return rc;
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_fh *fh = fh_get(fs, fi);
	int rc = fh ? apply(fs, fh) : 0;

	(void)ino;
	if (fh)
		fh_put(fs, fh);
	fuse_reply_err(req, -rc);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_fh *fh;

	(void)ino;
	pthread_mutex_lock(&fs->lock);
	fh = idmap_del(&fs->handles, fi->fh);
	pthread_mutex_unlock(&fs->lock);
	if (fh) {
		apply(fs, fh);
		fh_put(fs, fh);
	}
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

static bool content_changed(struct fs *fs, struct fs_fh *fh)
{
	struct sbuf now = SBUF_INIT;
	bool changed;

	if (fh->node->flags & TF_STREAM)
		return (off_t)fh->node->size(fs->eng, fh->id) > fh->seen;
	if (fh->node->read(fs->eng, fh->id, fh->node, &now) != 0)
		return true; /* gone: readable, read says ENOENT */
	changed = now.len != fh->content.len ||
		  (now.len && memcmp(now.buf, fh->content.buf, now.len) != 0);
	sbuf_release(&now);
	return changed;
}

/*
 * poll(): a state file or log with TF_POLL is ready (POLLIN|POLLPRI) once
 * it changed since this open file read it; until then poll() blocks.
 */
static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct fs *fs = fs_of(req);
	struct fs_fh *fh = fh_get(fs, fi);
	unsigned ready = POLLIN | POLLRDNORM;
	bool wait;

	(void)ino;
	if (!fh) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_err(req, EBADF);
		return;
	}
	wait = (fh->node->flags & TF_POLL) && !content_changed(fs, fh);
	if (fh->node->flags & TF_POLL)
		ready |= POLLPRI;
	if (wait && ph)
		fs_poll_register(fs, fh->id, ph);
	else if (ph)
		fuse_pollhandle_destroy(ph);
	fh_put(fs, fh);
	fuse_reply_poll(req, wait ? 0 : ready);
}

/* ---- directories ------------------------------------------------------------------------ */

static int dh_add(struct fs_dh *dh, const char *name, fuse_ino_t ino, mode_t mode,
		  const struct eng_attr *a, unsigned idx, const struct tnode *node)
{
	struct fs_dent *d;

	if (dh->n == dh->cap) {
		size_t cap = dh->cap ? dh->cap * 2 : 32;
		struct fs_dent *v = realloc(dh->d, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dh->d = v;
		dh->cap = cap;
	}
	d = &dh->d[dh->n];
	memset(d, 0, sizeof(*d));
	d->name = strdup(name);
	if (!d->name)
		return -ENOMEM;
	d->ino = ino;
	d->mode = mode;
	d->idx = idx;
	d->node = node;
	if (a)
		d->a = *a;
	dh->n++;
	return 0;
}

struct collect {
	struct eng_attr *a;
	char **names;
	size_t n, cap;
};

static int collect_child(void *arg, const char *name, const struct eng_attr *a)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct eng_attr *na = realloc(c->a, cap * sizeof(*na));
		char **nn = na ? realloc(c->names, cap * sizeof(*nn)) : NULL;

		if (na)
			c->a = na;
		if (!nn)
			return -ENOMEM;
		c->names = nn;
		c->cap = cap;
	}
	c->names[c->n] = strdup(name);
	c->a[c->n++] = *a;
	return 0;
}

/* Container entries: the children's names and attributes, listed under the
 * engine lock (the callback only copies). */
static int fill_container(struct fs *fs, const struct eng_attr *pa, const struct tnode *pn,
			  struct fs_dh *dh)
{
	struct collect c = { 0 };
	int rc = engine_list(fs->eng, pa->id, pn->lists, collect_child, &c);

	for (size_t i = 0; i < c.n; i++) {
		const struct tnode *cn = tree_node(c.a[i].kind, 0);

		if (!rc && c.names[i])
			rc = dh_add(dh, c.names[i], tree_ino(c.a[i].id, 0), cn->mode, &c.a[i], 0, cn);
		free(c.names[i]);
	}
	free(c.names);
	free(c.a);
	return rc;
}

static int fill_fixed(const struct eng_attr *pa, unsigned pidx, struct fs_dh *dh)
{
	size_t n;
	const struct tnode *t = tree_table(pa->kind, &n);
	int rc = 0;

	for (size_t i = 1; i < n && !rc; i++) {
		if (t[i].parent == pidx)
			rc = dh_add(dh, t[i].name, tree_ino(pa->id, (unsigned)i), t[i].mode, pa,
				    (unsigned)i, &t[i]);
	}
	return rc;
}

/* The inode of the directory holding a directory. */
static fuse_ino_t parent_ino(struct fs *fs, const struct eng_attr *a, unsigned idx,
			     const struct tnode *n)
{
	struct eng_attr pa;
	int c;

	if (idx)
		return tree_ino(a->id, n->parent);
	if (a->kind == EK_ROOT || engine_attr(fs->eng, a->parent, &pa) != 0)
		return FUSE_ROOT_ID;
	c = tree_container(pa.kind, a->kind);
	return tree_ino(pa.id, c < 0 ? 0 : (unsigned)c);
}

static void dh_free(struct fs_dh *dh)
{
	for (size_t i = 0; i < dh->n; i++)
		free(dh->d[i].name);
	free(dh->d);
	free(dh);
}

static void dh_put(struct fs *fs, struct fs_dh *dh)
{
	int left;

	pthread_mutex_lock(&fs->lock);
	left = --dh->refs;
	pthread_mutex_unlock(&fs->lock);
	if (!left)
		dh_free(dh);
}

static struct fs_dh *dh_build(struct fs *fs, fuse_ino_t ino, int *err)
{
	struct fs_dh *dh = calloc(1, sizeof(*dh));
	const struct tnode *n;
	struct eng_attr a;
	unsigned idx;
	int rc = dh ? node_of(fs, ino, &a, &idx, &n) : -ENOMEM;

	if (!rc && !(n->flags & TF_DIR))
		rc = -ENOTDIR;
	if (!rc)
		rc = dh_add(dh, ".", ino, S_IFDIR, NULL, 0, NULL);
	if (!rc)
		rc = dh_add(dh, "..", parent_ino(fs, &a, idx, n), S_IFDIR, NULL, 0, NULL);
	if (!rc)
		rc = (n->flags & TF_CONTAINER) ? fill_container(fs, &a, n, dh)
					       : fill_fixed(&a, idx, dh);
	if (rc) {
		if (dh)
			dh_free(dh);
		*err = rc;
		return NULL;
	}
	dh->refs = 1;
	return dh;
}

/*
 * The entries a readdir at `off` reads from.  Offset 0 starts a listing: a
 * new snapshot, kept in fs->listings for the offsets that follow, so that
 * one listing sees one consistent set however many calls it takes.
 */
static struct fs_dh *listing(struct fs *fs, fuse_ino_t ino, off_t off, int *err)
{
	struct fs_dh *dh = NULL, *old = NULL;

	if (off > 0) {
		pthread_mutex_lock(&fs->lock);
		dh = idmap_get(&fs->listings, ino);
		if (dh)
			dh->refs++;
		pthread_mutex_unlock(&fs->lock);
		if (dh)
			return dh;
	}
	dh = dh_build(fs, ino, err);
	if (!dh)
		return NULL;
	pthread_mutex_lock(&fs->lock);
	old = idmap_get(&fs->listings, ino);
	if (idmap_put(&fs->listings, ino, dh) == 0)
		dh->refs++;
	else
		old = NULL;
	pthread_mutex_unlock(&fs->lock);
	if (old)
		dh_put(fs, old);
	return dh;
}

void fs_listings_release(struct fs *fs)
{
	for (size_t i = 0; i < fs->listings.cap; i++) {
		if (fs->listings.slots[i].id)
			dh_put(fs, fs->listings.slots[i].val);
	}
	idmap_release(&fs->listings);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct fs *fs = fs_of(req);
	char *buf = malloc(size);
	size_t used = 0;
	int err = 0;
	struct fs_dh *dh = buf ? listing(fs, ino, off, &err) : NULL;

	if (!dh) {
		free(buf);
		fuse_reply_err(req, buf ? -err : ENOMEM);
		return;
	}
	for (size_t i = (size_t)(off < 0 ? 0 : off); i < dh->n; i++) {
		struct fs_dent *d = &dh->d[i];
		struct stat st = { .st_ino = d->ino, .st_mode = d->mode };
		struct fuse_entry_param e = { .attr = st };
		size_t need;

		if (plus && d->node)
			fill_entry(fs, &d->a, d->idx, d->node, &e);
		if (plus)
			need = fuse_add_direntry_plus(req, buf + used, size - used, d->name, &e,
						      (off_t)i + 1);
		else
			need = fuse_add_direntry(req, buf + used, size - used, d->name, &st,
						 (off_t)i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	dh_put(fs, dh);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/*
 * ENOSYS here is the protocol's "opendir needs no message": the kernel
 * stops sending opendir and releasedir and caches listings itself
 * (FOPEN_CACHE_DIR).  libfuse answers success for a NULL opendir, so the
 * answer must be given explicitly.
 */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, true);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs *fs = fs_of(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct sbuf why = SBUF_INIT;
	const struct tnode *pn;
	struct eng_attr pa, ca;
	unsigned pidx;
	int rc = node_of(fs, parent, &pa, &pidx, &pn);

	(void)mode;
	if (!rc && !(pn->flags & TF_MKDIR))
		rc = tree_find(pa.kind, pidx, name) >= 0 ? -EEXIST : -EPERM;
	else if (!rc && pn->lists == EK_NONE)
		rc = -EOPNOTSUPP; /* apps/: a later release */
	else if (!rc && pn->lists == EK_CLOUD)
		rc = engine_cloud_create(fs->eng, name, ctx->uid, ctx->gid, &why);
	else if (!rc)
		rc = engine_group_create(fs->eng, name, ctx->uid, ctx->gid, &why);
	if (!rc)
		rc = engine_lookup(fs->eng, pa.id, pn->lists, name, &ca);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_entry(fs, req, &ca, 0, tree_node(ca.kind, 0));
	sbuf_release(&why);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct sbuf why = SBUF_INIT;
	const struct tnode *pn;
	struct eng_attr pa;
	unsigned pidx;
	int rc = node_of(fs, parent, &pa, &pidx, &pn);

	if (!rc && !(pn->flags & TF_MKDIR))
		rc = tree_find(pa.kind, pidx, name) >= 0 ? -EPERM : -ENOENT;
	else if (!rc && pn->lists == EK_CLOUD)
		rc = engine_cloud_remove(fs->eng, name, &why);
	else if (!rc && pn->lists == EK_GROUP)
		rc = engine_group_remove(fs->eng, name, &why);
	else if (!rc)
		rc = -ENOENT;
	fuse_reply_err(req, -rc);
	sbuf_release(&why);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	const struct tnode *pn;
	struct eng_attr pa, ca;
	unsigned pidx;
	int rc = node_of(fs, parent, &pa, &pidx, &pn);

	if (!rc && (pn->flags & TF_CONTAINER))
		rc = engine_lookup(fs->eng, pa.id, pn->lists, name, &ca) ? -ENOENT : -EPERM;
	else if (!rc)
		rc = tree_find(pa.kind, pidx, name) >= 0 ? -EPERM : -ENOENT;
	fuse_reply_err(req, -rc);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	(void)flags;
	fuse_reply_err(req, EPERM);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EACCES); /* files exist with their object; none can be added */
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	fuse_reply_err(req, EACCES);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = { .f_bsize = 4096, .f_frsize = 4096, .f_namemax = NAME_MAX_LEN };

	(void)ino;
	fuse_reply_statfs(req, &sv);
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.poll = op_poll,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.unlink = op_unlink,
	.rename = op_rename,
	.create = op_create,
	.mknod = op_mknod,
	.statfs = op_statfs,
};
