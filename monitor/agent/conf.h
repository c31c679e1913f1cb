/*
 * conf.h - barista-agent's settings: defaults, then the --config file
 * (key=value lines, '#' comments; the file the user-data block writes),
 * then the command line, then BARISTA_AGENT_TOKEN when no token was given.
 *
 *   collector=URL   token=TOKEN   interval=SECONDS   vm=ID
 *   listen=HOST:PORT|none   disk=PATH   backlog=BYTES[K|M]   proc=DIR   sys=DIR
 */
#ifndef BFS_AGENT_CONF_H
#define BFS_AGENT_CONF_H

#include <stdbool.h>
#include <stddef.h>

struct agent_conf {
	char collector[256];
	char token[160];
	char vm[256];
	char listen[96];	/* "none": no pull port */
	char disk[256];
	char proc[256];
	char sys[256];
	int interval_s;
	size_t backlog_bytes;
	bool once;		/* print one sample on stdout and exit */
};

void agent_conf_defaults(struct agent_conf *c);
/* 0, or -errno with a one-line reason in err. */
int agent_conf_load_file(struct agent_conf *c, const char *path, char *err, size_t errlen);
/* Apply key=value (a file line or an option); 0 or -EINVAL with err. */
int agent_conf_set(struct agent_conf *c, const char *key, const char *value, char *err,
		   size_t errlen);
/* The command line (argv[0] is the program).  0, 1 when it asked for
 * --help or --version (already printed), or -EINVAL with err. */
int agent_conf_parse_args(struct agent_conf *c, int argc, char **argv, char *err, size_t errlen);
/* Everything needed is there.  0 or -EINVAL with err. */
int agent_conf_check(const struct agent_conf *c, char *err, size_t errlen);

#endif
