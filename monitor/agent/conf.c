/*
 * conf.c - barista-agent's settings; see conf.h.
 */
#include "monitor/agent/conf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE \
	"usage: barista-agent [--config FILE] [--collector URL] [--token TOKEN | --token-file FILE]\n" \
	"                     [--interval SECONDS] [--vm ID] [--listen HOST:PORT|none] [--disk PATH]\n" \
	"                     [--backlog BYTES[K|M]] [--proc DIR] [--sys DIR] [--once] [--version]\n"

void agent_conf_defaults(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_s = 5;
	c->backlog_bytes = 4u << 20;
	strcpy(c->listen, "0.0.0.0:8095");
	strcpy(c->disk, "/");
	strcpy(c->proc, "/proc");
	strcpy(c->sys, "/sys");
}

static int copy(char *dst, size_t cap, const char *key, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= cap) {
		snprintf(err, errlen, "%s: longer than %zu characters", key, cap - 1);
		return -EINVAL;
	}
	strcpy(dst, v);
	return 0;
}

static int parse_size(const char *v, size_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (end == v)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		n <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		n <<= 20, end++;
	if (*end || n < 1024 || n > (1ull << 32))
		return -EINVAL;
	*out = (size_t)n;
	return 0;
}

static int set_number(struct agent_conf *c, const char *key, const char *value, char *err,
		      size_t errlen)
{
	char *end;
	long n;

	if (strcmp(key, "backlog") == 0) {
		if (parse_size(value, &c->backlog_bytes) == 0)
			return 0;
		snprintf(err, errlen, "backlog: want bytes from 1K to 4096M, got '%s'", value);
		return -EINVAL;
	}
	n = strtol(value, &end, 10);
	if (end == value || *end || n < 1 || n > 86400) {
		snprintf(err, errlen, "interval: want seconds from 1 to 86400, got '%s'", value);
		return -EINVAL;
	}
	c->interval_s = (int)n;
	return 0;
}

int agent_conf_set(struct agent_conf *c, const char *key, const char *value, char *err,
		   size_t errlen)
{
	static const struct {
		const char *key;
		size_t off, cap;
	} strings[] = {
		{ "collector", offsetof(struct agent_conf, collector), sizeof(c->collector) },
		{ "token", offsetof(struct agent_conf, token), sizeof(c->token) },
		{ "vm", offsetof(struct agent_conf, vm), sizeof(c->vm) },
		{ "listen", offsetof(struct agent_conf, listen), sizeof(c->listen) },
		{ "disk", offsetof(struct agent_conf, disk), sizeof(c->disk) },
		{ "proc", offsetof(struct agent_conf, proc), sizeof(c->proc) },
		{ "sys", offsetof(struct agent_conf, sys), sizeof(c->sys) },
	};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(key, strings[i].key) == 0)
			return copy((char *)c + strings[i].off, strings[i].cap, key, value, err, errlen);
	}
	if (strcmp(key, "interval") == 0 || strcmp(key, "backlog") == 0)
		return set_number(c, key, value, err, errlen);
	snprintf(err, errlen, "unknown setting '%s'", key);
	return -EINVAL;
}

/* One "key=value" line (trailing spaces and CR trimmed). */
static int apply_line(struct agent_conf *c, char *line, char *err, size_t errlen)
{
	char *eq, *end = line + strlen(line);

	while (end > line && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		snprintf(err, errlen, "'%.40s' is not key=value", line);
		return -EINVAL;
	}
	*eq = '\0';
	return agent_conf_set(c, line, eq + 1, err, errlen);
}

int agent_conf_load_file(struct agent_conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[512], why[256];
	int rc = 0, n = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		n++;
		rc = apply_line(c, line, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "%s:%d: %s", path, n, why);
	}
	fclose(f);
	return rc;
}

static int read_token_file(struct agent_conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char buf[sizeof(c->token) + 2];

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return copy(c->token, sizeof(c->token), "token", buf, err, errlen);
}

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "collector", required_argument, NULL, 'C' },
	{ "token", required_argument, NULL, 't' },
	{ "token-file", required_argument, NULL, 'T' },
	{ "interval", required_argument, NULL, 'i' },
	{ "vm", required_argument, NULL, 'v' },
	{ "listen", required_argument, NULL, 'l' },
	{ "disk", required_argument, NULL, 'd' },
	{ "backlog", required_argument, NULL, 'b' },
	{ "proc", required_argument, NULL, 'p' },
	{ "sys", required_argument, NULL, 's' },
	{ "once", no_argument, NULL, 'o' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The setting an option stands for, for the ones that are plain settings. */
static const char *option_key(int opt)
{
	switch (opt) {
	case 'C': return "collector";
	case 't': return "token";
	case 'i': return "interval";
	case 'v': return "vm";
	case 'l': return "listen";
	case 'd': return "disk";
	case 'b': return "backlog";
	case 'p': return "proc";
	case 's': return "sys";
	default: return NULL;
	}
}

static int parse_one(struct agent_conf *c, int opt, char *err, size_t errlen)
{
	const char *key = option_key(opt);

	if (key)
		return agent_conf_set(c, key, optarg, err, errlen);
	switch (opt) {
	case 'c':
		return agent_conf_load_file(c, optarg, err, errlen);
	case 'T':
		return read_token_file(c, optarg, err, errlen);
	case 'o':
		c->once = true;
		return 0;
	case 'V':
		printf("barista-agent %s\n", BFS_VERSION);
		return 1;
	case 'h':
		fputs(USAGE, stdout);
		return 1;
	default:
		snprintf(err, errlen, "bad option (see --help)");
		return -EINVAL;
	}
}

int agent_conf_parse_args(struct agent_conf *c, int argc, char **argv, char *err, size_t errlen)
{
	int opt, rc = 0;

	optind = 0;	/* 0, not 1: a full reset of glibc's getopt */
	opterr = 0;
	/* The file first, so that other options override it wherever they stand. */
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1 && !rc) {
		if (opt == 'c')
			rc = agent_conf_load_file(c, optarg, err, errlen);
	}
	optind = 0;
	while (!rc && (opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt != 'c')
			rc = parse_one(c, opt, err, errlen);
	}
	if (!rc && optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		rc = -EINVAL;
	}
	if (!rc && !c->token[0] && getenv("BARISTA_AGENT_TOKEN"))
		rc = copy(c->token, sizeof(c->token), "token", getenv("BARISTA_AGENT_TOKEN"), err,
			  errlen);
	return rc;
}

int agent_conf_check(const struct agent_conf *c, char *err, size_t errlen)
{
	if (c->once)
		return 0;
	if (strncmp(c->collector, "http://", 7) != 0 && strncmp(c->collector, "https://", 8) != 0) {
		snprintf(err, errlen, "collector: want an http:// or https:// URL, got '%s'",
			 c->collector);
		return -EINVAL;
	}
	if (strlen(c->token) < 16) {
		snprintf(err, errlen, "token: missing or shorter than 16 characters");
		return -EINVAL;
	}
	return 0;
}
