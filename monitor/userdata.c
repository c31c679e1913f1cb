/*
 * userdata.c - writing and reading the agent block of a VM's user-data;
 * see userdata.h.
 *
 * Every value goes into a shell script unquoted in places, so each is
 * checked against a small alphabet first instead of being escaped: a URL,
 * a token and a VM id never need a quote, a space or a `$`.
 */
#include "monitor/userdata.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_PREFIX "# baristafs-agent "
#define BLOCK_BEGIN "# >>> baristafs-agent"
#define BLOCK_END "# <<< baristafs-agent"
#define BOUNDARY "==BARISTAFS-AGENT=="

static const char unit_text[] =
	"[Unit]\n"
	"Description=baristafs agent: pushes this VM's metrics to the baristafs collector\n"
	"Wants=network-online.target\n"
	"After=network-online.target\n"
	"\n"
	"[Service]\n"
	"Type=simple\n"
	"LoadCredential=agent.conf:/etc/baristafs/agent.conf\n"
	"ExecStart=/usr/local/bin/barista-agent --config ${CREDENTIALS_DIRECTORY}/agent.conf\n"
	"Restart=always\n"
	"RestartSec=5\n"
	"DynamicUser=yes\n"
	"NoNewPrivileges=yes\n"
	"ProtectSystem=strict\n"
	"ProtectHome=yes\n"
	"PrivateTmp=yes\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

const char *userdata_systemd_unit(void)
{
	return unit_text;
}

static bool only(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		bool alnum = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			     (*s >= '0' && *s <= '9');

		if (!alnum && !strchr(extra, *s))
			return false;
	}
	return true;
}

static bool agent_valid(const struct userdata_agent *a)
{
	return (strncmp(a->collector, "http://", 7) == 0 || strncmp(a->collector, "https://", 8) == 0) &&
	       only(a->collector, ":/.-_[]%") && only(a->token, "-_.") && only(a->vm, "/._-") &&
	       a->interval_s > 0 && a->interval_s <= 86400;
}

static int add_block(struct sbuf *o, const struct userdata_agent *a)
{
	const char *c = a->collector;

	return sbuf_addf(o,
		BLOCK_BEGIN " (added by baristafs; written again on every apply)\n"
		LINE_PREFIX "collector=%s token=%s interval=%d vm=%s\n"
		"(\n"
		"set -e\n"
		"umask 077\n"
		"mkdir -p /etc/baristafs\n"
		"cat > /etc/baristafs/agent.conf <<'BARISTAFS_EOF'\n"
		"collector=%s\ntoken=%s\ninterval=%d\nvm=%s\n"
		"BARISTAFS_EOF\n"
		"umask 022\n"
		"bin=$(command -v barista-agent || true)\n"
		"if [ -z \"$bin\" ]; then\n"
		"  bin=/usr/local/bin/barista-agent\n"
		"  curl -fsS -o \"$bin\" %s/agent/barista-agent || wget -q -O \"$bin\" %s/agent/barista-agent\n"
		"  chmod 0755 \"$bin\"\n"
		"fi\n"
		"[ \"$bin\" = /usr/local/bin/barista-agent ] || ln -sf \"$bin\" /usr/local/bin/barista-agent\n"
		"if [ -d /run/systemd/system ]; then\n"
		"  cat > /etc/systemd/system/barista-agent.service <<'BARISTAFS_EOF'\n"
		"%s"
		"BARISTAFS_EOF\n"
		"  systemctl daemon-reload\n"
		"  systemctl enable --now barista-agent.service\n"
		"else\n"
		"  nohup \"$bin\" --config /etc/baristafs/agent.conf >/var/log/barista-agent.log 2>&1 &\n"
		"fi\n"
		") || echo 'baristafs: barista-agent was not installed' >&2\n"
		BLOCK_END "\n",
		c, a->token, a->interval_s, a->vm, c, a->token, a->interval_s, a->vm, c, c, unit_text);
}

/* in with its block replaced in place; 1 when in has no (complete) block. */
static int replace_block(struct sbuf *o, const struct userdata_agent *a, const char *in)
{
	const char *b = strstr(in, BLOCK_BEGIN), *e = b ? strstr(b, BLOCK_END) : NULL;
	int rc;

	if (!e || (b != in && b[-1] != '\n'))
		return 1;
	e += strlen(BLOCK_END);
	if (*e == '\n')
		e++;
	rc = sbuf_add(o, in, (size_t)(b - in));
	if (!rc)
		rc = add_block(o, a);
	return rc ? rc : sbuf_adds(o, e);
}

/* A shell script: its #! line, the block, the rest. */
static int inject_script(struct sbuf *o, const struct userdata_agent *a, const char *in)
{
	const char *nl = strchr(in, '\n');
	size_t first = nl ? (size_t)(nl - in) + 1 : strlen(in);
	int rc = sbuf_add(o, in, first);

	if (!rc && !nl)
		rc = sbuf_addc(o, '\n');
	if (!rc)
		rc = add_block(o, a);
	return rc ? rc : sbuf_adds(o, in + first);
}

static const char *part_type(const char *in)
{
	if (strncmp(in, "#cloud-config", 13) == 0)
		return "text/cloud-config";
	if (strncmp(in, "#include", 8) == 0)
		return "text/x-include-url";
	if (strncmp(in, "#cloud-boothook", 15) == 0)
		return "text/cloud-boothook";
	return "text/plain";
}

/* Anything else: a MIME multi-part that cloud-init runs part by part. */
static int inject_multipart(struct sbuf *o, const struct userdata_agent *a, const char *in)
{
	int rc = sbuf_addf(o, "Content-Type: multipart/mixed; boundary=\"" BOUNDARY "\"\n"
			   "MIME-Version: 1.0\n\n--" BOUNDARY "\n"
			   "Content-Type: text/x-shellscript; charset=\"us-ascii\"\n\n#!/bin/sh\n");

	if (!rc)
		rc = add_block(o, a);
	if (!rc)
		rc = sbuf_addf(o, "\n--" BOUNDARY "\nContent-Type: %s; charset=\"us-ascii\"\n\n",
			       part_type(in));
	if (!rc)
		rc = sbuf_adds(o, in);
	if (!rc)
		rc = sbuf_addf(o, "%s--" BOUNDARY "--\n", in[0] && in[strlen(in) - 1] != '\n' ? "\n" : "");
	return rc;
}

int userdata_inject(const struct userdata_agent *a, const char *in, struct sbuf *out)
{
	int rc;

	if (!agent_valid(a))
		return -EINVAL;
	if (!in || !*in)
		in = "#!/bin/sh\n";
	rc = replace_block(out, a, in);
	if (rc != 1)
		return rc;
	if (strncmp(in, "#!", 2) == 0)
		return inject_script(out, a, in);
	return inject_multipart(out, a, in);
}

/* ---- reading ---------------------------------------------------------------- */

/* Copy a value into a field, refusing what does not fit. */
static int copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return -EINVAL;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int set_value(struct userdata_agent *a, const char *kv, size_t n)
{
	const char *eq = memchr(kv, '=', n), *v;
	size_t klen, vlen;
	char num[16];

	if (!eq)
		return 0;
	klen = (size_t)(eq - kv);
	v = eq + 1;
	vlen = n - klen - 1;
	if (klen == 9 && memcmp(kv, "collector", 9) == 0)
		return copy_value(a->collector, sizeof(a->collector), v, vlen);
	if (klen == 5 && memcmp(kv, "token", 5) == 0)
		return copy_value(a->token, sizeof(a->token), v, vlen);
	if (klen == 2 && memcmp(kv, "vm", 2) == 0)
		return copy_value(a->vm, sizeof(a->vm), v, vlen);
	if (klen == 8 && memcmp(kv, "interval", 8) == 0) {
		if (copy_value(num, sizeof(num), v, vlen))
			return -EINVAL;
		a->interval_s = atoi(num);
	}
	return 0;
}

static const char *find_line(const char *text, size_t len)
{
	const size_t plen = strlen(LINE_PREFIX);

	for (size_t i = 0; i + plen <= len; i++) {
		if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, LINE_PREFIX, plen) == 0)
			return text + i + plen;
	}
	return NULL;
}

int userdata_parse(const char *text, size_t len, struct userdata_agent *out)
{
	const char *p = find_line(text, len), *end = text + len;

	memset(out, 0, sizeof(*out));
	out->interval_s = 5;	/* when the line does not say */
	if (!p)
		return -ENOENT;
	while (p < end && *p != '\n') {
		const char *w = p;

		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (set_value(out, w, (size_t)(p - w)))
			return -EINVAL;
		while (p < end && *p == ' ')
			p++;
	}
	return agent_valid(out) ? 0 : -EINVAL;
}
