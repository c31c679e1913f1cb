/*
 * journal.c - the text format of the mock cloud's inventory file.
 *
 * The file is JSON lines (docs/mock.md): a header line, then records.  A VM
 * record is the whole VM after a change; the last record of a seq wins.  A
 * line is only complete with its newline, which goes out in the same
 * write(2) as the record, so the only damage a crash (kill -9) can do is a
 * torn last line: replay ignores it.  Anything else that does not parse is
 * corruption and is reported with its line number, never skipped.
 *
 * This file does no I/O (cloud.c does), so that the fuzz target can feed it
 * arbitrary text.
 */
#include "drivers/mock/mock_int.h"
#include "lib/clock.h"
#include "lib/sbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct replay {
	struct mock_inv *inv;
	size_t line;
	char *msg;
	size_t msglen;
};

static int replay_fail(const struct replay *r, const char *what)
{
	snprintf(r->msg, r->msglen, "line %zu: %s", r->line, what);
	return -EIO;
}

static int parse_header(const struct replay *r, const json_t *obj)
{
	const char *format = NULL, *salt = NULL;
	json_int_t version = 0, next_seq = 0;
	char *end;

	if (json_unpack((json_t *)obj, "{s:s, s:I, s:s, s:I}", "format", &format, "version",
			&version, "salt", &salt, "next_seq", &next_seq))
		return replay_fail(r, "header lacks format, version, salt or next_seq");
	if (strcmp(format, MOCK_JOURNAL_FORMAT) != 0 || version != MOCK_JOURNAL_VERSION)
		return replay_fail(r, "not a version 1 baristafs-mock-journal");
	errno = 0;
	r->inv->salt = strtoull(salt, &end, 16);
	if (errno || end == salt || *end || strlen(salt) > 16)
		return replay_fail(r, "header salt is not 1 to 16 hex digits");
	if (next_seq < 1)
		return replay_fail(r, "header next_seq is not positive");
	if ((uint64_t)next_seq > r->inv->next_seq)
		r->inv->next_seq = (uint64_t)next_seq;
	return 0;
}

static int parse_vm(const struct replay *r, const json_t *obj)
{
	char why[160];
	struct mock_vm *vm = mock_vm_from_json(obj, why, sizeof(why));
	int rc;

	if (!vm)
		return replay_fail(r, why);
	rc = mock_inv_put(r->inv, vm);
	if (rc == -EINVAL)
		return replay_fail(r, "record changes or reuses another VM's id or token");
	return rc;
}

static int parse_net(const struct replay *r, const json_t *obj)
{
	struct mock_net *net = &r->inv->net;
	const char *vpc = NULL, *sg = NULL;
	json_int_t created = 0;
	int exists = 0;

	if (json_unpack((json_t *)obj, "{s:b, s:s, s:s, s:I}", "exists", &exists, "vpc", &vpc,
			"sg", &sg, "created_ms", &created))
		return replay_fail(r, "net record lacks exists, vpc, sg or created_ms");
	if (mock_copy(net->vpc, sizeof(net->vpc), vpc) || mock_copy(net->sg, sizeof(net->sg), sg))
		return replay_fail(r, "net record ids are too long");
	net->exists = exists;
	net->created_ms = created;
	return 0;
}

static int parse_line(struct replay *r, const char *text, size_t len)
{
	json_error_t jerr;
	const char *kind;
	json_t *obj;
	int rc;

	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return replay_fail(r, jerr.text);
	kind = json_string_value(json_object_get(obj, "kind"));
	if (!kind)
		rc = replay_fail(r, "not an object with a \"kind\"");
	else if ((r->line == 1) != (strcmp(kind, "header") == 0))
		rc = replay_fail(r, "the header must be the first line, and only there");
	else if (strcmp(kind, "header") == 0)
		rc = parse_header(r, obj);
	else if (strcmp(kind, "vm") == 0)
		rc = parse_vm(r, obj);
	else if (strcmp(kind, "net") == 0)
		rc = parse_net(r, obj);
	else
		rc = replay_fail(r, "unknown record kind");
	json_decref(obj);
	return rc;
}

int mock_journal_parse(struct mock_inv *inv, const char *buf, size_t len, size_t *used,
		       char *msg, size_t msglen)
{
	struct replay r = { inv, 0, msg, msglen };
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		int rc;

		if (!nl)
			break;	/* torn by a crash: never acknowledged, ignored */
		r.line++;
		rc = parse_line(&r, buf + off, (size_t)(nl - (buf + off)));
		if (rc == -ENOMEM)
			snprintf(msg, msglen, "line %zu: out of memory", r.line);
		if (rc)
			return rc;
		off = (size_t)(nl - buf) + 1;
	}
	*used = off;
	return 0;
}

static int dump_cb(const char *buf, size_t size, void *data)
{
	return sbuf_add(data, buf, size) ? -1 : 0;
}

int mock_journal_line(const json_t *rec, struct sbuf *sb)
{
	size_t len = sb->len;

	if (json_dump_callback(rec, dump_cb, sb, JSON_COMPACT) || sbuf_addc(sb, '\n')) {
		sb->len = len;	/* drop a partial record */
		return -ENOMEM;
	}
	return 0;
}

json_t *mock_journal_net_json(const struct mock_net *net)
{
	return json_pack("{s:s, s:b, s:s, s:s, s:I}", "kind", "net", "exists", net->exists,
			 "vpc", net->vpc, "sg", net->sg, "created_ms", (json_int_t)net->created_ms);
}

static int dump_json(json_t *rec, struct sbuf *sb)
{
	int rc = rec ? mock_journal_line(rec, sb) : -ENOMEM;

	json_decref(rec);
	return rc;
}

int mock_journal_dump(const struct mock_inv *inv, struct sbuf *sb)
{
	char salt[24];
	int rc;

	snprintf(salt, sizeof(salt), "%016" PRIx64, inv->salt);
	rc = dump_json(json_pack("{s:s, s:s, s:i, s:s, s:I, s:I}", "kind", "header",
				 "format", MOCK_JOURNAL_FORMAT, "version", MOCK_JOURNAL_VERSION,
				 "salt", salt, "next_seq", (json_int_t)inv->next_seq,
				 "written_ms", (json_int_t)clock_wall_ms()),
		       sb);
	for (size_t i = 0; !rc && i < inv->nvms; i++)
		rc = dump_json(mock_vm_to_json(inv->vms[i]), sb);
	if (!rc && inv->net.exists)
		rc = dump_json(mock_journal_net_json(&inv->net), sb);
	return rc;
}
