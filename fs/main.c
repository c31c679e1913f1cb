/*
 * main.c - `baristafs [options] MOUNTPOINT`: options, the engine, the mount.
 *
 * Start-up order is chosen so that every error reaches the user's shell:
 * without -f the process forks first and the parent waits on a pipe until
 * the child has opened the engine and mounted (exit 0) or failed (the
 * message is printed by the parent, exit 1).  The engine's threads are
 * started in the child, after the fork, where they will run.
 *
 * Shutdown: SIGINT, SIGTERM and SIGHUP end the session loop (libfuse's
 * handlers); pending waits are answered, the mount is removed, the engine
 * flushes its store and stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/fs.h"
#include "monitor/monitor.h"

struct options {
	char *state;
	char *drivers;
	char *store;
	int wait_timeout;
	int workers;
	double attr_timeout;
	double entry_timeout;
	int fsync;
	int repair;
	int uid;
	int gid;
	int show_help;
	int show_version;
	char *collector;
	char *collector_url;
	char *metrics_retention;
	char *jit_age;
	int agent_interval;
	char *agent_binary;
};

#define OPT(t, p) { t, offsetof(struct options, p), 1 }
static const struct fuse_opt bfs_opts[] = {
	OPT("state=%s", state),
	OPT("drivers=%s", drivers),
	OPT("store=%s", store),
	OPT("wait_timeout=%d", wait_timeout),
	OPT("workers=%d", workers),
	OPT("attr_timeout=%lf", attr_timeout),
	OPT("entry_timeout=%lf", entry_timeout),
	OPT("fsync", fsync),
	OPT("repair", repair),
	OPT("uid=%d", uid),
	OPT("gid=%d", gid),
	OPT("collector=%s", collector),
	OPT("collector_url=%s", collector_url),
	OPT("metrics_retention=%s", metrics_retention),
	OPT("jit_age=%s", jit_age),
	OPT("agent_interval=%d", agent_interval),
	OPT("agent_binary=%s", agent_binary),
	OPT("-h", show_help),
	OPT("--help", show_help),
	OPT("-V", show_version),
	OPT("--version", show_version),
	FUSE_OPT_END
};

static void usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n\n"
	       "Mounts multi-cloud infrastructure as a directory tree (see README in the mount).\n\n"
	       "  -f                     stay in the foreground\n"
	       "  -d                     debug output (implies -f)\n"
	       "  -s                     single-threaded\n"
	       "  -o state=DIR           state directory (default $XDG_STATE_HOME/baristafs)\n"
	       "  -o drivers=DIR         where the cloud drivers (*.so) are\n"
	       "  -o store=URI           leveldb:DIR (default: DIR/store under the state)\n"
	       "  -o wait_timeout=SEC    bound of a read of `wait` (default 600)\n"
	       "  -o workers=N           operation threads (default 64)\n"
	       "  -o attr_timeout=SEC    kernel attribute cache (default 1)\n"
	       "  -o entry_timeout=SEC   kernel name cache (default 60)\n"
	       "  -o fsync               make every state change durable against power loss\n"
	       "  -o repair              try to repair a damaged state store first\n"
	       "  -o uid=N,gid=N         owner of the tree's top (default: who mounts)\n"
	       "  -o collector=HOST:PORT where VMs' agents push metrics (default 127.0.0.1, any port)\n"
	       "  -o collector_url=URL   the collector as VMs reach it (default http://HOST:PORT)\n"
	       "  -o metrics_retention=D minute rollups kept (default 7d; D like 90m, 24h, 30d)\n"
	       "  -o jit_age=D           older samples are pulled from the agent on read (default 10s)\n"
	       "  -o agent_interval=SEC  how often agents push (default 5)\n"
	       "  -o agent_binary=FILE   barista-agent served to VMs (default: next to baristafs)\n"
	       "  -o allow_other,ro,auto_unmount   as FUSE users expect\n", prog);
}

/*
 * Where the drivers are: next to the program in the build tree
 * (<dir>/drivers), beside an installed program (<prefix>/bin/baristafs →
 * <prefix>/lib/baristafs/drivers, whatever the prefix), else the directory
 * configured at build time.
 */
static char *default_drivers(void)
{
	static const char *const rel[] = { "drivers", "../lib/baristafs/drivers" };
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	struct stat st;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; slash && i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s/mock.so", exe, rel[i]);
			if (stat(path, &st) == 0) {
				snprintf(path, sizeof(path), "%s/%s", exe, rel[i]);
				return strdup(path);
			}
		}
	}
	return strdup(BFS_DRIVERDIR);
}

/* barista-agent of the build tree when run from it, else the installed one. */
static char *default_agent(void)
{
	static const char *const candidates[] = { "monitor/barista-agent", "barista-agent" };
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", exe, candidates[i]);
		if (access(path, X_OK) == 0)
			return strdup(path);
	}
	return NULL;
}

static char *default_state(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char path[PATH_MAX];

	if (xdg && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/baristafs", xdg);
	else
		snprintf(path, sizeof(path), "%s/.local/state/baristafs", home ? home : "/tmp");
	return strdup(path);
}

/*
 * A dead FUSE daemon leaves its mount behind.  stat() can still answer from
 * the kernel's attribute cache for a moment; statvfs() always asks the
 * daemon, so ENOTCONN from it is the reliable sign.
 */
static int check_mountpoint(const char *mp, struct sbuf *err)
{
	struct statvfs sv;
	struct stat st;

	if (statvfs(mp, &sv) != 0 && errno == ENOTCONN) {
		sbuf_addf(err, "%s is a stale mount (its baristafs died): unmount it first with "
			  "fusermount3 -u %s", mp, mp);
		return -ENOTCONN;
	}
	if (stat(mp, &st) != 0) {
		sbuf_addf(err, "cannot use mountpoint %s: %s", mp, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		sbuf_addf(err, "%s is not a directory", mp);
		return -ENOTDIR;
	}
	return 0;
}

/* Child → parent: one status byte and the message, in one write. */
static void report(int fd, int ok, const char *msg)
{
	struct sbuf sb = SBUF_INIT;

	if (fd < 0)
		return;
	sbuf_addf(&sb, "%c%s", ok ? '0' : '1', msg ? msg : "");
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len)
		perror("baristafs: status pipe");
	sbuf_release(&sb);
	close(fd);
}

/* Fork; the parent waits for the child's report and exits with it. */
static int background(void)
{
	int pfd[2];
	pid_t pid;
	char buf[2048];
	ssize_t n;

	if (pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		return pfd[1];
	}
	close(pfd[1]);
	n = 0;
	for (ssize_t r; n < (ssize_t)sizeof(buf) - 1; n += r) { /* to EOF */
		r = read(pfd[0], buf + n, sizeof(buf) - 1 - (size_t)n);
		if (r <= 0)
			break;
	}
	if (n <= 0) {
		int status = 0;

		waitpid(pid, &status, 0);
		fprintf(stderr, "baristafs: the mount process died while starting\n");
		exit(1);
	}
	buf[n] = '\0';
	if (buf[0] != '0') {
		fprintf(stderr, "baristafs: %s\n", buf + 1);
		exit(1);
	}
	exit(0);
}

static void quiet_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static int open_engine(struct options *o, struct engine **eng, struct sbuf *err)
{
	struct engine_opts eo = {
		.state_dir = o->state,
		.driver_dir = o->drivers,
		.store_uri = o->store,
		.workers = o->workers,
		.wait_timeout_ms = (int64_t)o->wait_timeout * 1000,
		.fsync = o->fsync,
		.repair = o->repair,
		.uid = o->uid >= 0 ? (uid_t)o->uid : getuid(),
		.gid = o->gid >= 0 ? (gid_t)o->gid : getgid(),
		.collector = o->collector,
		.collector_url = o->collector_url,
		.agent_interval_s = o->agent_interval,
		.agent_binary = o->agent_binary,
	};
	int64_t ms = 0;

	if (o->metrics_retention && (monitor_parse_duration(o->metrics_retention, &ms) || ms < 60000)) {
		sbuf_addf(err, "metrics_retention=%s: want a duration of at least 1m (90m, 24h, 30d)",
			  o->metrics_retention);
		return -EINVAL;
	}
	eo.metrics_retention_s = ms / 1000;
	ms = 0;
	if (o->jit_age && monitor_parse_duration(o->jit_age, &ms)) {
		sbuf_addf(err, "jit_age=%s: want a duration (500ms, 10s, 1m)", o->jit_age);
		return -EINVAL;
	}
	eo.jit_age_ms = ms;
	return engine_open(&eo, eng, err);
}

static int run(struct fs *fs, struct fuse_cmdline_opts *co)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (co->singlethread)
		return fuse_session_loop(fs->se) < 0 ? -EIO : 0;
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, co->clone_fd);
	fuse_loop_cfg_set_idle_threads(cfg, 16);
	fuse_loop_cfg_set_max_threads(cfg, 64);
	rc = fuse_session_loop_mt(fs->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	/* A positive result is the signal that ended the loop: a clean exit. */
	return rc < 0 ? -EIO : 0;
}

static int mount_and_run(struct fuse_args *args, struct fuse_cmdline_opts *co, struct options *o,
			 int status_fd)
{
	struct fs fs = { .attr_timeout = o->attr_timeout, .entry_timeout = o->entry_timeout,
			 .attr_long = o->entry_timeout };
	struct sbuf err = SBUF_INIT;
	struct fuse_session *se;
	int rc;

	pthread_mutex_init(&fs.lock, NULL);
	rc = open_engine(o, &fs.eng, &err);
	if (rc)
		goto out_report;
	se = fuse_session_new(args, &fs_ops, sizeof(fs_ops), &fs);
	if (!se) {
		sbuf_adds(&err, "cannot start the FUSE session (bad mount option?)");
		rc = -EINVAL;
		goto out_engine;
	}
	/* Shells start background jobs with SIGINT ignored, and libfuse only
	 * replaces default handlers: restore them so that SIGINT, SIGTERM and
	 * SIGHUP always unmount cleanly. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, co->mountpoint) != 0) {
		sbuf_addf(&err, "cannot mount at %s (is /dev/fuse usable, fusermount3 installed?)",
			  co->mountpoint);
		rc = -EIO;
		goto out_session;
	}
	fs.se = se;
	rc = fs_wait_start(&fs);
	if (rc) {
		sbuf_adds(&err, "cannot start a thread");
		goto out_unmount;
	}
	engine_watch(fs.eng, fs_on_change, &fs);
	report(status_fd, 1, NULL);
	status_fd = -1;
	if (!co->foreground)
		quiet_stdio();
	rc = run(&fs, co);
	engine_watch(fs.eng, NULL, NULL);
	fs_wait_stop(&fs);
out_unmount:
	fs.se = NULL;
	fuse_session_unmount(se);
out_session:
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
out_engine:
	engine_close(fs.eng);
out_report:
	if (status_fd >= 0 || co->foreground) {
		if (err.len && status_fd < 0)
			fprintf(stderr, "baristafs: %s\n", err.buf);
		report(status_fd, 0, sbuf_str(&err));
	}
	fs_listings_release(&fs);
	idmap_release(&fs.served);
	idmap_release(&fs.handles);
	idmap_release(&fs.seen);
	pthread_mutex_destroy(&fs.lock);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* The model is guarded by one lock: many malloc arenas buy no speed,
	 * only memory scattered over per-thread heaps. */
	mallopt(M_ARENA_MAX, 2);
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o = { .wait_timeout = 600, .attr_timeout = 1.0, .entry_timeout = 60.0,
			     .uid = -1, .gid = -1 };
	struct fuse_cmdline_opts co = { 0 };
	struct sbuf err = SBUF_INIT;
	int status_fd = -1, rc = 1;

	if (fuse_opt_parse(&args, &o, bfs_opts, NULL) != 0)
		goto out;
	if (o.show_help || o.show_version) {
		if (o.show_help)
			usage(argv[0]);
		else
			printf("baristafs %s (driver ABI %d)\n", BFS_VERSION, DRV_ABI_VERSION);
		rc = 0;
		goto out;
	}
	if (fuse_parse_cmdline(&args, &co) != 0)
		goto out; /* libfuse said why */
	if (!co.mountpoint) {
		fprintf(stderr, "usage: %s [options] MOUNTPOINT (see --help)\n", argv[0]);
		goto out;
	}
	if (o.wait_timeout <= 0 || o.attr_timeout < 0 || o.entry_timeout < 0 || o.workers < 0) {
		fprintf(stderr, "baristafs: wait_timeout must be > 0; timeouts and workers >= 0\n");
		goto out;
	}
	if (check_mountpoint(co.mountpoint, &err) != 0) {
		fprintf(stderr, "baristafs: %s\n", err.buf);
		goto out;
	}
	if (!o.state)
		o.state = default_state();
	if (!o.drivers)
		o.drivers = default_drivers();
	if (!o.agent_binary)
		o.agent_binary = default_agent();
	fuse_opt_add_arg(&args, "-odefault_permissions,fsname=baristafs,subtype=baristafs");
	if (!co.foreground) {
		status_fd = background();
		if (status_fd < 0) {
			perror("baristafs: fork");
			goto out;
		}
	}
	rc = mount_and_run(&args, &co, &o, status_fd);
out:
	free(co.mountpoint);
	fuse_opt_free_args(&args);
	free(o.state);
	free(o.drivers);
	free(o.store);
	free(o.collector);
	free(o.collector_url);
	free(o.metrics_retention);
	free(o.jit_age);
	free(o.agent_binary);
	sbuf_release(&err);
	return rc;
}
