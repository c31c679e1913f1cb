/*
 * cloud.c - one mock cloud: the inventory kept in a state directory.
 *
 * A real cloud lives outside the engine; the mock lives inside its process
 * but keeps the same separation: its inventory is its own journal file in
 * the connection's state_dir, never the engine's store.  Two decisions a
 * reader would otherwise get wrong:
 *
 *  - One cloud per directory.  Connections of this process to the same
 *    state_dir share one struct mock_cloud (a small registry keyed by device
 *    and inode, the one piece of global state, because the cloud it models
 *    is outside any handle); another process is kept out by flock() on
 *    mock.lock, which the kernel drops when that process is killed.
 *
 *  - Crash safety without fsync.  Every mutation is one write(2) of one
 *    complete line to an O_APPEND file, made before the operation answers.
 *    The page cache survives the death of the process (kill -9 at any
 *    instant), which is what the engine's recovery tests simulate; a power
 *    loss is not simulated, so nothing is fsync()ed.  Compaction writes a
 *    temporary file and renames it over the journal, so a reader (or a
 *    crash) sees the old file or the new one, never a mix.
 *
 * Locking: registry_lock guards the registry links and refs; cloud->lock
 * guards the inventory and the journal.  Never both at once except in
 * cloud_open() (registry, then a cloud not yet shared).
 */
#include "drivers/mock/mock_int.h"
#include "lib/clock.h"
#include "lib/sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_FILE "mock.lock"
#define MAX_LINE (1u << 20)	/* a record is a few hundred bytes; 50 tags ~ 20 KiB */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mock_cloud *registry;	/* registry_lock */

static int sys_fail(struct drv_error *err, int errnum, const char *what, const char *path)
{
	return mock_fail(err, errnum, errnum == EBUSY ? "StateDirInUse" : "StateDirError",
			 "mock: %s %s: %s", what, path, strerror(errnum));
}

static int cloud_path(const struct mock_cloud *cloud, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", cloud->dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- the public address pool ---------------------------------------- */

static const char *const ip_nets[] = { "192.0.2", "198.51.100", "203.0.113" };

static void ip_format(size_t slot, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%zu", ip_nets[slot / 254], slot % 254 + 1);
}

/* The pool slot of a documentation address, or -1. */
static int ip_slot(const char *ip)
{
	for (size_t n = 0; n < 3; n++) {
		size_t plen = strlen(ip_nets[n]);
		char *end;
		long host;

		if (strncmp(ip, ip_nets[n], plen) != 0 || ip[plen] != '.')
			continue;
		host = strtol(ip + plen + 1, &end, 10);
		if (*end == '\0' && host >= 1 && host <= 254)
			return (int)(n * 254 + (size_t)host - 1);
	}
	return -1;
}

/* Mark exactly the addresses of live VMs as used. */
static void ip_rebuild(struct mock_cloud *cloud, int64_t now_ms)
{
	memset(cloud->ip_used, 0, sizeof(cloud->ip_used));
	for (size_t i = 0; i < cloud->inv.nvms; i++) {
		const struct mock_vm *vm = cloud->inv.vms[i];
		int slot = ip_slot(vm->public_ip);

		if (slot >= 0 && mock_vm_alive(vm, now_ms))
			cloud->ip_used[slot] = 1;
	}
}

static bool ip_take_free(struct mock_cloud *cloud, char *buf, size_t len)
{
	for (size_t i = 0; i < MOCK_IP_POOL; i++) {
		size_t slot = (cloud->ip_cursor + i) % MOCK_IP_POOL;

		if (cloud->ip_used[slot])
			continue;
		cloud->ip_used[slot] = 1;
		cloud->ip_cursor = slot + 1;
		ip_format(slot, buf, len);
		return true;
	}
	return false;
}

void mock_cloud_take_ip(struct mock_cloud *cloud, int64_t now_ms, char *buf, size_t len)
{
	/*
	 * Round robin like a real pool.  Addresses come free when their VM
	 * ends, which happens in cloud time, so they are found by a rescan
	 * once the pool looks exhausted; while it stays exhausted the rescan
	 * (a pass over every VM) runs at most once a second or after a delete.
	 */
	if (ip_take_free(cloud, buf, len))
		return;
	if (now_ms >= cloud->ip_rescan_ms) {
		ip_rebuild(cloud, now_ms);
		if (ip_take_free(cloud, buf, len))
			return;
		cloud->ip_rescan_ms = now_ms + 1000;
	}
	buf[0] = '\0';
}

void mock_cloud_ip_released(struct mock_cloud *cloud)
{
	cloud->ip_rescan_ms = 0;
}

/* ---- journal I/O ---------------------------------------------------- */

static int read_journal(const char *path, struct sbuf *sb, struct drv_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : sys_fail(err, errno, "cannot open journal", path);
	for (;;) {
		ssize_t n;

		rc = sbuf_grow(sb, 65536);
		if (rc) {
			rc = mock_fail(err, rc == -E2BIG ? EFBIG : ENOMEM, "StateDirError",
				       "mock: journal %s is larger than %u MiB", path,
				       MOCK_JOURNAL_MAX >> 20);
			break;
		}
		n = read(fd, sb->buf + sb->len, sb->cap - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = sys_fail(err, errno, "cannot read journal", path);
		if (n <= 0)
			break;
		sb->len += (size_t)n;
	}
	close(fd);
	return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Rewrite the journal as the live inventory (temporary file, rename). */
static int compact(struct mock_cloud *cloud, struct drv_error *err)
{
	struct sbuf sb = { .max = MOCK_JOURNAL_MAX };
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, rc;

	rc = cloud_path(cloud, MOCK_JOURNAL_FILE, path, sizeof(path));
	if (!rc)
		rc = cloud_path(cloud, MOCK_JOURNAL_FILE ".tmp", tmp, sizeof(tmp));
	if (rc)
		return sys_fail(err, -rc, "path too long:", cloud->dir);
	rc = mock_journal_dump(&cloud->inv, &sb);
	if (rc) {
		rc = mock_fail(err, ENOMEM, "StateDirError", "mock: cannot build the journal");
		goto out_release;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = sys_fail(err, errno, "cannot create", tmp);
		goto out_release;
	}
	rc = write_all(fd, sb.buf, sb.len);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		rc = sys_fail(err, -rc, "cannot write", tmp);
		goto out_unlink;
	}
	if (rename(tmp, path)) {
		rc = sys_fail(err, errno, "cannot rename over", path);
		goto out_unlink;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		rc = sys_fail(err, errno, "cannot reopen", path);
		goto out_release;
	}
	if (cloud->fd >= 0)
		close(cloud->fd);
	cloud->fd = fd;
	cloud->size = (off_t)sb.len;
	cloud->lines = cloud->inv.nvms + 2;
	goto out_release;
out_unlink:
	unlink(tmp);
out_release:
	sbuf_release(&sb);
	return rc;
}

/* Append one record as one write(2).  Caller holds the lock. */
static int append(struct mock_cloud *cloud, const json_t *rec, struct drv_error *err)
{
	struct sbuf sb = { .max = MAX_LINE };
	ssize_t n;
	int rc;

	rc = rec ? mock_journal_line(rec, &sb) : -ENOMEM;
	if (rc) {
		sbuf_release(&sb);
		return mock_fail(err, ENOMEM, "InternalError", "mock: cannot encode a record");
	}
	do {
		n = write(cloud->fd, sb.buf, sb.len);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sb.len) {
		rc = n < 0 ? errno : ENOSPC;
		/* Never leave a partial line for the next append to extend. */
		if (n > 0 && ftruncate(cloud->fd, cloud->size))
			rc = errno;
		sbuf_release(&sb);
		return mock_fail(err, EIO, "InternalError", "mock: journal write failed in %s: %s",
				 cloud->dir, strerror(rc));
	}
	cloud->size += n;
	cloud->lines++;
	sbuf_release(&sb);
	return 0;
}

/* Compact once the journal holds several times the live records. */
static void maybe_compact(struct mock_cloud *cloud)
{
	struct drv_error ignored = { 0 };

	if (cloud->lines < 4 * (cloud->inv.nvms + 2) + 1024)
		return;
	mock_inv_purge(&cloud->inv, clock_wall_ms());
	/* On failure the journal is still whole; try again after more records. */
	if (compact(cloud, &ignored))
		cloud->lines = 0;
}

int mock_cloud_commit(struct mock_cloud *cloud, struct mock_vm *vm, struct drv_error *err)
{
	json_t *rec = mock_vm_to_json(vm);
	int rc = append(cloud, rec, err);

	json_decref(rec);
	if (rc) {
		mock_vm_free(vm);
		return rc;
	}
	/* Allocation is all that can fail now; the record is in the journal
	 * already and comes back at the next connect. */
	rc = mock_inv_put(&cloud->inv, vm);
	if (rc)
		return mock_fail(err, -rc, "InternalError", "mock: cannot index a VM record");
	maybe_compact(cloud);
	return 0;
}

int mock_cloud_commit_net(struct mock_cloud *cloud, const struct mock_net *net,
			  struct drv_error *err)
{
	json_t *rec = mock_journal_net_json(net);
	int rc = append(cloud, rec, err);

	json_decref(rec);
	if (!rc)
		cloud->inv.net = *net;
	return rc;
}

/* ---- opening and sharing -------------------------------------------- */

static int lock_dir(struct mock_cloud *cloud, struct drv_error *err)
{
	char path[PATH_MAX];

	if (cloud_path(cloud, LOCK_FILE, path, sizeof(path)))
		return sys_fail(err, ENAMETOOLONG, "path too long:", cloud->dir);
	cloud->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (cloud->lock_fd < 0)
		return sys_fail(err, errno, "cannot open", path);
	if (flock(cloud->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return mock_fail(err, EBUSY, "StateDirInUse",
				 "mock: state_dir %s is in use by another process", cloud->dir);
	return sys_fail(err, errno, "cannot lock", path);
}

static uint64_t new_salt(const struct mock_settings *s)
{
	uint64_t salt;

	if (s->seeded)
		return mock_mix64(s->seed ^ 0x6d6f636b73616c74ull);
	if (getrandom(&salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		salt = mock_mix64((uint64_t)clock_mono_ns() ^ (uint64_t)getpid());
	return salt;
}

/* Replay the journal (if any) into the inventory. */
static int load(struct mock_cloud *cloud, const struct mock_settings *s, struct drv_error *err)
{
	struct sbuf sb = { .max = MOCK_JOURNAL_MAX };
	char path[PATH_MAX], why[256];
	size_t used;
	int rc;

	if (cloud_path(cloud, MOCK_JOURNAL_FILE, path, sizeof(path)))
		return sys_fail(err, ENAMETOOLONG, "path too long:", cloud->dir);
	rc = read_journal(path, &sb, err);
	if (rc)
		goto out;
	cloud->inv.salt = new_salt(s);	/* the header's, when there is one, wins */
	rc = mock_journal_parse(&cloud->inv, sbuf_str(&sb), sb.len, &used, why, sizeof(why));
	if (rc)
		rc = mock_fail(err, -rc, "StateDirError", "mock: journal %s is corrupt: %s", path,
			       why);
out:
	sbuf_release(&sb);
	return rc;
}

static void cloud_free(struct mock_cloud *cloud)
{
	if (!cloud)
		return;
	if (cloud->fd >= 0)
		close(cloud->fd);
	if (cloud->lock_fd >= 0)
		close(cloud->lock_fd);	/* drops the flock */
	mock_inv_release(&cloud->inv);
	pthread_mutex_destroy(&cloud->lock);
	free(cloud->dir);
	free(cloud);
}

static int cloud_open(const char *dir, const struct stat *st, const struct mock_settings *s,
		      struct mock_cloud **out, struct drv_error *err)
{
	struct mock_cloud *cloud = calloc(1, sizeof(*cloud));
	int rc;

	if (!cloud)
		return -ENOMEM;
	cloud->fd = cloud->lock_fd = -1;
	pthread_mutex_init(&cloud->lock, NULL);
	cloud->dev = st->st_dev;
	cloud->ino = st->st_ino;
	cloud->refs = 1;
	cloud->dir = strdup(dir);
	rc = cloud->dir ? mock_inv_init(&cloud->inv) : -ENOMEM;
	if (!rc)
		rc = lock_dir(cloud, err);
	if (!rc)
		rc = load(cloud, s, err);
	if (rc)
		goto out_free;
	mock_inv_purge(&cloud->inv, clock_wall_ms());
	ip_rebuild(cloud, clock_wall_ms());
	/* Start from a clean file: drops a torn tail and purged records. */
	rc = compact(cloud, err);
	if (rc)
		goto out_free;
	*out = cloud;
	return 0;
out_free:
	cloud_free(cloud);
	return rc;
}

int mock_cloud_acquire(const char *state_dir, const struct mock_settings *s,
		       struct mock_cloud **out, struct drv_error *err)
{
	struct mock_cloud *cloud;
	struct stat st;
	int rc = 0;

	if (!state_dir || !state_dir[0])
		return mock_fail(err, EINVAL, "InvalidParameterValue", "mock: no state_dir given");
	if (stat(state_dir, &st))
		return sys_fail(err, errno, "cannot use state_dir", state_dir);
	if (!S_ISDIR(st.st_mode))
		return sys_fail(err, ENOTDIR, "cannot use state_dir", state_dir);
	pthread_mutex_lock(&registry_lock);
	for (cloud = registry; cloud; cloud = cloud->next) {
		if (cloud->dev == st.st_dev && cloud->ino == st.st_ino)
			break;
	}
	if (cloud)
		cloud->refs++;
	else
		rc = cloud_open(state_dir, &st, s, &cloud, err);
	if (!rc && cloud->refs == 1) {
		cloud->next = registry;
		registry = cloud;
	}
	pthread_mutex_unlock(&registry_lock);
	if (!rc)
		*out = cloud;
	return rc;
}

void mock_cloud_release(struct mock_cloud *cloud)
{
	struct mock_cloud **p;
	bool last;

	if (!cloud)
		return;
	pthread_mutex_lock(&registry_lock);
	last = --cloud->refs == 0;
	for (p = &registry; last && *p; p = &(*p)->next) {
		if (*p == cloud) {
			*p = cloud->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (last)
		cloud_free(cloud);
}
