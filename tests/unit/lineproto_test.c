/*
 * lineproto_test.c - the line protocol parser against InfluxDB's own
 * documented examples (line protocol reference and tutorial for 1.x, the
 * /write API page) and the corner cases of influxd's models/points.go.
 *
 * Each case is one line and its expected point written canonically as
 *   measurement|tag=value;...|key:type:value;...|time
 * with types f (float, %.17g), i, u, b, s; or the reason influxd gives.
 */
#include "tests/unit/cu.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "lib/sbuf.h"
#include "monitor/lineproto.h"

#define DEFAULT_NS 1000000000000000000ll	/* "now" for lines without a time */

struct lp_case {
	const char *line;
	const char *precision;
	const char *want;	/* canonical point, or NULL when rejected */
	const char *reason;	/* influxd's reason when rejected */
};

static void canon_str(struct sbuf *sb, struct lineproto_str s)
{
	sbuf_add(sb, s.p, s.len);
}

static void canon_field(struct sbuf *sb, const struct lineproto_field *f)
{
	canon_str(sb, f->key);
	switch (f->type) {
	case LINEPROTO_FLOAT:
		sbuf_addf(sb, ":f:%.17g", f->v.f);
		break;
	case LINEPROTO_INT:
		sbuf_addf(sb, ":i:%" PRId64, f->v.i);
		break;
	case LINEPROTO_UINT:
		sbuf_addf(sb, ":u:%" PRIu64, f->v.u);
		break;
	case LINEPROTO_BOOL:
		sbuf_addf(sb, ":b:%s", f->v.b ? "true" : "false");
		break;
	case LINEPROTO_STRING:
		sbuf_adds(sb, ":s:");
		canon_str(sb, f->v.s);
		break;
	}
}

static void canon(struct sbuf *sb, const struct lineproto_point *pt)
{
	canon_str(sb, pt->measurement);
	sbuf_addc(sb, '|');
	for (size_t i = 0; i < pt->ntags; i++) {
		if (i)
			sbuf_addc(sb, ';');
		canon_str(sb, pt->tags[i].key);
		sbuf_addc(sb, '=');
		canon_str(sb, pt->tags[i].value);
	}
	sbuf_addc(sb, '|');
	for (size_t i = 0; i < pt->nfields; i++) {
		if (i)
			sbuf_addc(sb, ';');
		canon_field(sb, &pt->fields[i]);
	}
	sbuf_addf(sb, "|%" PRId64, pt->time_ns);
}

static void run_case(struct lineproto_parser *p, const struct lp_case *c)
{
	struct lineproto_point pt;
	struct sbuf got = SBUF_INIT;
	const char *reason = NULL;
	int64_t unit = 0;
	int rc;

	CU_ASSERT_EQUAL_FATAL(lineproto_precision(c->precision, &unit), 0);
	rc = lineproto_parse_line(p, c->line, strlen(c->line), DEFAULT_NS, unit, &pt, &reason);
	if (c->want) {
		if (rc != 1)
			fprintf(stderr, "  line %s: rejected (%s)\n", c->line, reason);
		CU_ASSERT_EQUAL(rc, 1);
		if (rc == 1) {
			canon(&got, &pt);
			if (strcmp(sbuf_str(&got), c->want) != 0)
				fprintf(stderr, "  line %s\n   got  %s\n   want %s\n", c->line,
					sbuf_str(&got), c->want);
			CU_ASSERT_STRING_EQUAL(sbuf_str(&got), c->want);
		}
	} else {
		if (rc != -EINVAL || !reason || strcmp(reason, c->reason) != 0)
			fprintf(stderr, "  line %s: rc %d reason %s, want %s\n", c->line, rc,
				reason ? reason : "(none)", c->reason);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
		CU_ASSERT_STRING_EQUAL(reason, c->reason);
	}
	sbuf_release(&got);
}

static void run_table(const struct lp_case *cases, size_t n)
{
	struct lineproto_parser *p = lineproto_parser_new(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < n; i++)
		run_case(p, &cases[i]);
	lineproto_parser_free(p);
}

/* The tutorial's weather examples and the reference's data type examples. */
static const struct lp_case documented[] = {
	{ "weather,location=us-midwest temperature=82 1465839830100400200", "",
	  "weather|location=us-midwest|temperature:f:82|1465839830100400200", NULL },
	{ "weather,location=us-midwest,season=summer temperature=82 1465839830100400200", "",
	  "weather|location=us-midwest;season=summer|temperature:f:82|1465839830100400200", NULL },
	{ "weather temperature=82 1465839830100400200", "",
	  "weather||temperature:f:82|1465839830100400200", NULL },
	{ "weather,location=us-midwest temperature=82,humidity=71 1465839830100400200", "",
	  "weather|location=us-midwest|temperature:f:82;humidity:f:71|1465839830100400200", NULL },
	{ "weather,location=us-midwest temperature=82", "",
	  "weather|location=us-midwest|temperature:f:82|1000000000000000000", NULL },
	{ "weather,location=us-midwest temperature=82i 1465839830100400200", "",
	  "weather|location=us-midwest|temperature:i:82|1465839830100400200", NULL },
	{ "weather,location=us-midwest temperature=\"too warm\" 1465839830100400200", "",
	  "weather|location=us-midwest|temperature:s:too warm|1465839830100400200", NULL },
	{ "weather,location=us-midwest too_hot=true 1465839830100400200", "",
	  "weather|location=us-midwest|too_hot:b:true|1465839830100400200", NULL },
	{ "mymeas value=-1.234456e+78", "", "mymeas||value:f:-1.234456e+78|1000000000000000000", NULL },
	{ "mymeas value=1.0", "", "mymeas||value:f:1|1000000000000000000", NULL },
	{ "mymeas value=1", "", "mymeas||value:f:1|1000000000000000000", NULL },
	{ "mymeas value=1i", "", "mymeas||value:i:1|1000000000000000000", NULL },
	{ "mymeas value=\"stringing along\"", "", "mymeas||value:s:stringing along|1000000000000000000", NULL },
	{ "mymeas value=true", "", "mymeas||value:b:true|1000000000000000000", NULL },
	{ "mymeas value=\"true\"", "", "mymeas||value:s:true|1000000000000000000", NULL },
	{ "mymeas value=1.e+78", "", "mymeas||value:f:1e+78|1000000000000000000", NULL },
	{ "mymeas value=1.E+78", "", "mymeas||value:f:1e+78|1000000000000000000", NULL },
	/* Quoted names keep their quotes (reference, "Quoting"). */
	{ "\"weather\",location=us-midwest temperature=87 1465839830100400200", "",
	  "\"weather\"|location=us-midwest|temperature:f:87|1465839830100400200", NULL },
	{ "weather,location=us-midwest temperature=\"82\"", "",
	  "weather|location=us-midwest|temperature:s:82|1000000000000000000", NULL },
	/* Errors the documentation shows verbatim. */
	{ "weather,location=us-midwest temperature=82 \"1465839830100400200\"", "", NULL, "bad timestamp" },
	{ "weather,location=us-midwest temperature='too warm'", "", NULL, "invalid boolean" },
	{ "mymeas value=9 \"1466625759000000000\"", "", NULL, "bad timestamp" },
	/* The /write API examples, with precision. */
	{ "cpu_load_short,host=server01,region=us-west value=0.64 1434055562000000000", "",
	  "cpu_load_short|host=server01;region=us-west|value:f:0.64000000000000001|1434055562000000000", NULL },
	{ "cpu_load_short,direction=in,host=server01,region=us-west value=2.0 1422568543702900257", "",
	  "cpu_load_short|direction=in;host=server01;region=us-west|value:f:2|1422568543702900257", NULL },
	{ "mymeas,mytag=1 myfield=90 1463683075", "s",
	  "mymeas|mytag=1|myfield:f:90|1463683075000000000", NULL },
	{ "mymeas,mytag=1 myfield=90 1463683075000", "ms",
	  "mymeas|mytag=1|myfield:f:90|1463683075000000000", NULL },
	{ "mymeas,mytag=1 myfield=90 1463683075000000", "u",
	  "mymeas|mytag=1|myfield:f:90|1463683075000000000", NULL },
	{ "mymeas,mytag=1 myfield=90 24394717", "m",
	  "mymeas|mytag=1|myfield:f:90|1463683020000000000", NULL },
	{ "mymeas,mytag=1 myfield=90 406578", "h",
	  "mymeas|mytag=1|myfield:f:90|1463680800000000000", NULL },
	{ "mymeas,mytag=1 myfield=90 1463683075", "n",
	  "mymeas|mytag=1|myfield:f:90|1463683075", NULL },
};

/* The "Special characters" sections of the tutorial and the reference. */
static const struct lp_case escapes[] = {
	{ "weather,location=us\\,midwest temperature=82 1465839830100400200", "",
	  "weather|location=us,midwest|temperature:f:82|1465839830100400200", NULL },
	{ "weather,location=us-midwest temp\\=rature=82 1465839830100400200", "",
	  "weather|location=us-midwest|temp=rature:f:82|1465839830100400200", NULL },
	{ "weather,location\\ place=us-midwest temperature=82 1465839830100400200", "",
	  "weather|location place=us-midwest|temperature:f:82|1465839830100400200", NULL },
	{ "wea\\,ther,location=us-midwest temperature=82 1465839830100400200", "",
	  "wea,ther|location=us-midwest|temperature:f:82|1465839830100400200", NULL },
	{ "wea\\ ther,location=us-midwest temperature=82 1465839830100400200", "",
	  "wea ther|location=us-midwest|temperature:f:82|1465839830100400200", NULL },
	{ "weather,location=us-midwest temperature=\"too\\\"hot\\\"\" 1465839830100400200", "",
	  "weather|location=us-midwest|temperature:s:too\"hot\"|1465839830100400200", NULL },
	{ "weather,location=us-midwest temperature_str=\"too hot/cold\" 1465839830100400201", "",
	  "weather|location=us-midwest|temperature_str:s:too hot/cold|1465839830100400201", NULL },
	{ "weather,location=us-midwest temperature_str=\"too hot\\cold\" 1465839830100400202", "",
	  "weather|location=us-midwest|temperature_str:s:too hot\\cold|1465839830100400202", NULL },
	{ "weather,location=us-midwest temperature_str=\"too hot\\\\cold\" 1465839830100400203", "",
	  "weather|location=us-midwest|temperature_str:s:too hot\\cold|1465839830100400203", NULL },
	{ "weather,location=us-midwest temperature_str=\"too hot\\\\\\cold\" 1465839830100400204", "",
	  "weather|location=us-midwest|temperature_str:s:too hot\\\\cold|1465839830100400204", NULL },
	{ "weather,location=us-midwest temperature_str=\"too hot\\\\\\\\cold\" 1465839830100400205", "",
	  "weather|location=us-midwest|temperature_str:s:too hot\\\\cold|1465839830100400205", NULL },
	{ "weather,location=us-midwest temperature_str=\"too hot\\\\\\\\\\cold\" 1465839830100400206", "",
	  "weather|location=us-midwest|temperature_str:s:too hot\\\\\\cold|1465839830100400206", NULL },
	{ "we\xe2\x9b\x85\xef\xb8\x8fther,location=us-midwest temper\xf0\x9f\x94\xa5ture=82 1465839830100400200", "",
	  "we\xe2\x9b\x85\xef\xb8\x8fther|location=us-midwest|temper\xf0\x9f\x94\xa5ture:f:82|1465839830100400200", NULL },
	/* The reference's "Write a point with special characters". */
	{ "\"measurement\\ with\\ quo\xe2\x9a\xa1\xef\xb8\x8f" "es\\ and\\ emoji\",tag\\ key\\ with\\ sp\xf0\x9f\x9a\x80"
	  "ces=tag\\,value\\,with\"commas\" field_k\\ey=\"string field value, only \\\" need be esc\xf0\x9f\x8d\xad" "ped\"", "",
	  "\"measurement with quo\xe2\x9a\xa1\xef\xb8\x8f" "es and emoji\"|tag key with sp\xf0\x9f\x9a\x80"
	  "ces=tag,value,with\"commas\"|field_k\\ey:s:string field value, only \" need be esc\xf0\x9f\x8d\xad"
	  "ped|1000000000000000000", NULL },
	/* A string value may hold commas, spaces, equals signs and newlines. */
	{ "log msg=\"a=1, b=2\nnext\",n=3i 5", "", "log||msg:s:a=1, b=2\nnext;n:i:3|5", NULL },
};

/* Types and their limits (points.go scanNumber / scanBoolean). */
static const struct lp_case types[] = {
	{ "m b1=t,b2=T,b3=true,b4=True,b5=TRUE", "",
	  "m||b1:b:true;b2:b:true;b3:b:true;b4:b:true;b5:b:true|1000000000000000000", NULL },
	{ "m b1=f,b2=F,b3=false,b4=False,b5=FALSE", "",
	  "m||b1:b:false;b2:b:false;b3:b:false;b4:b:false;b5:b:false|1000000000000000000", NULL },
	{ "m b=tRUE", "", NULL, "invalid boolean" },
	{ "m b=yes", "", NULL, "invalid boolean" },
	{ "m v=9223372036854775807i", "", "m||v:i:9223372036854775807|1000000000000000000", NULL },
	{ "m v=-9223372036854775808i", "", "m||v:i:-9223372036854775808|1000000000000000000", NULL },
	{ "m v=9223372036854775808i", "", NULL, "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing \"9223372036854775808\": value out of range" },
	{ "m v=18446744073709551615u", "", "m||v:u:18446744073709551615|1000000000000000000", NULL },
	{ "m v=18446744073709551616u", "", NULL, "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out of range" },
	{ "m v=-1u", "", NULL, "invalid number" },
	{ "m v=1.5i", "", NULL, "invalid number" },
	{ "m v=1e5i", "", NULL, "invalid number" },
	{ "m v=9i10", "", NULL, "invalid number" },
	{ "m v=1.2.3", "", NULL, "invalid number" },
	{ "m v=.", "", NULL, "invalid number" },
	{ "m v=-", "", NULL, "invalid number" },
	{ "m v=NaN", "", NULL, "invalid number" },
	{ "m v=nan", "", NULL, "invalid number" },
	{ "m v=inf", "", NULL, "invalid boolean" },
	{ "m v=+1", "", NULL, "invalid boolean" },
	{ "m v=1e400", "", NULL, "invalid float" },
	{ "m v=1e", "", NULL, "invalid float" },
	{ "m v=1.", "", "m||v:f:1|1000000000000000000", NULL },
	{ "m v=.5", "", "m||v:f:0.5|1000000000000000000", NULL },
	{ "m v=-0.031", "", "m||v:f:-0.031|1000000000000000000", NULL },
	{ "m v=0.1", "", "m||v:f:0.10000000000000001|1000000000000000000", NULL },
	{ "m v=123456789012345678901234567890", "", "m||v:f:1.2345678901234568e+29|1000000000000000000", NULL },
	{ "m v=1E-3", "", "m||v:f:0.001|1000000000000000000", NULL },
	{ "m v=\"\"", "", "m||v:s:|1000000000000000000", NULL },
	{ "m v=\"unterminated", "", NULL, "unbalanced quotes" },
};

/* Structure, whitespace, tags and timestamps. */
static const struct lp_case structure[] = {
	{ "cpu", "", NULL, "missing fields" },
	{ "cpu,host=a", "", NULL, "missing fields" },
	{ ",host=a v=1", "", NULL, "missing measurement" },
	{ "cpu, v=1", "", NULL, "missing tag key" },
	{ "cpu,host v=1", "", NULL, "missing tag value" },
	{ "cpu,host= v=1", "", NULL, "missing tag value" },
	{ "cpu,host=a=b v=1", "", NULL, "invalid tag format" },
	{ "cpu,b=1,a=2,b=3 v=1", "", NULL, "duplicate tags" },
	{ "cpu,a=1,a=2 v=1", "", NULL, "duplicate tags" },
	{ "cpu,zone=z,host=h,app=a v=1", "", "cpu|app=a;host=h;zone=z|v:f:1|1000000000000000000", NULL },
	{ "cpu ", "", NULL, "invalid field format" },
	{ "cpu v", "", NULL, "invalid field format" },
	{ "cpu v=", "", NULL, "missing field value" },
	{ "cpu v=,w=1", "", NULL, "missing field value" },
	{ "cpu =1", "", NULL, "missing field key" },
	{ "cpu v=1,=2", "", NULL, "missing field key" },
	{ "cpu v=1,w", "", NULL, "invalid field format" },
	{ "cpu v=1,", "", NULL, "invalid field format" },
	{ "cpu v=1 12a", "", NULL, "bad timestamp" },
	{ "cpu v=1 -", "", NULL, "strconv.ParseInt: parsing \"-\": invalid syntax" },
	{ "cpu v=1 1 2", "", NULL, "point is invalid" },
	{ "cpu v=1 99999999999999999999", "", NULL,
	  "strconv.ParseInt: parsing \"99999999999999999999\": value out of range" },
	{ "cpu v=1 9223372036854775807", "", NULL, "time outside range -9223372036854775806 - 9223372036854775806" },
	{ "cpu v=1 9223372036854775", "s", NULL, "time outside range -9223372036854775806 - 9223372036854775806" },
	{ "cpu v=1 -9223372036854775806", "", "cpu||v:f:1|-9223372036854775806", NULL },
	{ "cpu v=1 -1465839830", "s", "cpu||v:f:1|-1465839830000000000", NULL },
	{ "  \tcpu v=1   5   ", "", "cpu||v:f:1|5", NULL },
	{ "cpu    v=1", "", "cpu||v:f:1|1000000000000000000", NULL },
	{ "cpu v=1\r", "", NULL, "invalid number" },
	{ "cpu,time=1 v=1", "", NULL, "invalid tag key: input tag \"time\" on measurement \"cpu\" is invalid" },
	{ "cpu time=1", "", NULL, "invalid field name: input field \"time\" on measurement \"cpu\" is invalid" },
	{ "cpu v=1,v=2", "", "cpu||v:f:1;v:f:2|1000000000000000000", NULL },
};

static void test_documented(void) { run_table(documented, ARRAY_SIZE(documented)); }
static void test_escapes(void) { run_table(escapes, ARRAY_SIZE(escapes)); }
static void test_types(void) { run_table(types, ARRAY_SIZE(types)); }
static void test_structure(void) { run_table(structure, ARRAY_SIZE(structure)); }

static void test_precision_names(void)
{
	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "", 1 }, { "n", 1 }, { "ns", 1 }, { "u", 1000 }, { "us", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 }, { "m", 60000000000 },
		{ "h", 3600000000000 },
	};
	int64_t ns;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		CU_ASSERT_EQUAL(lineproto_precision(ok[i].s, &ns), 0);
		CU_ASSERT_EQUAL(ns, ok[i].ns);
	}
	CU_ASSERT_EQUAL(lineproto_precision("d", &ns), -EINVAL);
	CU_ASSERT_EQUAL(lineproto_precision("sec", &ns), -EINVAL);
}

static void test_comments_and_blanks(void)
{
	struct lineproto_parser *p = lineproto_parser_new(NULL);
	static const char *const skip[] = { "", "   ", "\t", "# a comment", "   # indented comment" };
	struct lineproto_point pt;
	const char *reason = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		CU_ASSERT_EQUAL(lineproto_parse_line(p, skip[i], strlen(skip[i]), 0, 1, &pt, &reason), 0);
	lineproto_parser_free(p);
}

/* ---- batches ---- */

struct collect {
	struct sbuf seen;
	int refuse_measurement_x;
};

static int collect_point(void *ctx, const struct lineproto_point *pt, const char **reason)
{
	struct collect *c = ctx;

	if (c->refuse_measurement_x && pt->measurement.len == 1 && pt->measurement.p[0] == 'x') {
		*reason = "refused by the store";
		return -EINVAL;
	}
	canon(&c->seen, pt);
	sbuf_addc(&c->seen, '\n');
	return 0;
}

/* What Telegraf's influxdb output sends: sorted tags, integers with i,
 * strings, one timestamp per interval, a trailing newline. */
static const char telegraf_batch[] =
	"cpu,cpu=cpu-total,host=web01 usage_user=1.2,usage_system=0.5,usage_idle=98.1 1700000000000000000\n"
	"mem,host=web01 total=8273215488i,available=5123123200i,used_percent=38.07 1700000000000000000\n"
	"disk,device=sda1,fstype=ext4,host=web01,mode=rw,path=/ total=41152736i,used=10i,used_percent=0.1 1700000000000000000\n"
	"system,host=web01 load1=0.12,n_cpus=2i,uptime_format=\"1 day,  3:12\" 1700000000000000000\n"
	"net,host=web01,interface=eth0 bytes_recv=1234i,bytes_sent=4321i,err_in=0i 1700000000000000000\n";

static void test_telegraf_batch(void)
{
	struct lineproto_parser *p = lineproto_parser_new(NULL);
	struct collect c = { SBUF_INIT, 0 };
	struct sbuf errs = SBUF_INIT;
	struct lineproto_result res = { .errors = &errs };
	int rc;

	rc = lineproto_parse_batch(p, telegraf_batch, strlen(telegraf_batch), 0, 1,
				   collect_point, &c, &res);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(res.points, 5);
	CU_ASSERT_EQUAL(res.fields, 3 + 3 + 3 + 3 + 3);
	CU_ASSERT_EQUAL(res.bad, 0);
	CU_ASSERT_EQUAL(errs.len, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.seen),
		"system|host=web01|load1:f:0.12;n_cpus:i:2;uptime_format:s:1 day,  3:12|1700000000000000000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.seen),
		"disk|device=sda1;fstype=ext4;host=web01;mode=rw;path=/|total:i:41152736;used:i:10;used_percent:f:0.10000000000000001|1700000000000000000\n"));
	sbuf_release(&c.seen);
	sbuf_release(&errs);
	lineproto_parser_free(p);
}

static void test_bad_lines_mixed(void)
{
	static const char body[] =
		"good,n=1 v=1 1\n"
		"bad,n=2 v= 2\n"
		"# comment\n"
		"\n"
		"good,n=3 v=3 3\n"
		"bad,n=4 v=oops 4\n"
		"x v=5 5\n"
		"good,n=6 v=6 6";
	struct lineproto_parser *p = lineproto_parser_new(NULL);
	struct collect c = { SBUF_INIT, 1 };
	struct sbuf errs = SBUF_INIT;
	struct lineproto_result res = { .errors = &errs };
	int rc;

	rc = lineproto_parse_batch(p, body, strlen(body), 0, 1, collect_point, &c, &res);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(res.points, 3);
	CU_ASSERT_EQUAL(res.bad, 3);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&c.seen),
			       "good|n=1|v:f:1|1\ngood|n=3|v:f:3|3\ngood|n=6|v:f:6|6\n");
	CU_ASSERT_STRING_EQUAL(sbuf_str(&errs),
			       "unable to parse 'bad,n=2 v= 2': missing field value\n"
			       "unable to parse 'bad,n=4 v=oops 4': invalid boolean\n"
			       "unable to parse 'x v=5 5': refused by the store");
	sbuf_release(&c.seen);
	sbuf_release(&errs);
	lineproto_parser_free(p);
}

/* Error text stops at the sbuf ceiling and says how many were left out. */
static void test_error_text_bounded(void)
{
	struct lineproto_parser *p = lineproto_parser_new(NULL);
	struct collect c = { SBUF_INIT, 0 };
	struct sbuf errs = { .max = 200 };
	struct lineproto_result res = { .errors = &errs };
	struct sbuf body = SBUF_INIT;

	for (int i = 0; i < 1000; i++)
		sbuf_addf(&body, "bad%d v=\n", i);
	CU_ASSERT_EQUAL(lineproto_parse_batch(p, body.buf, body.len, 0, 1, collect_point, &c, &res),
			-EINVAL);
	CU_ASSERT_EQUAL(res.bad, 1000);
	CU_ASSERT(errs.len <= 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&errs), "more bad lines not shown)"));
	sbuf_release(&body);
	sbuf_release(&errs);
	sbuf_release(&c.seen);
	lineproto_parser_free(p);
}

static void test_limits(void)
{
	struct lineproto_limits lim = { .max_line = 64, .max_tags = 2, .max_fields = 2 };
	struct lineproto_parser *p = lineproto_parser_new(&lim);
	struct lineproto_point pt;
	const char *reason = NULL;
	char longline[200];

	memset(longline, 'a', sizeof(longline));
	memcpy(longline + 150, " v=1", 4);
	CU_ASSERT_EQUAL(lineproto_parse_line(p, longline, 154, 0, 1, &pt, &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "line too long");
	CU_ASSERT_EQUAL(lineproto_parse_line(p, "m,a=1,b=2,c=3 v=1", 17, 0, 1, &pt, &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "too many tags");
	CU_ASSERT_EQUAL(lineproto_parse_line(p, "m v=1,w=2,x=3", 13, 0, 1, &pt, &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "too many fields");
	CU_ASSERT_EQUAL(lineproto_parse_line(p, "m,a=1,b=2 v=1,w=2", 17, 0, 1, &pt, &reason), 1);
	lineproto_parser_free(p);
}

/* A newline inside a quoted string does not split the line (scanLine). */
static void test_next_line(void)
{
	static const char body[] = "a v=\"x\ny\" 1\nb v=2\n\nc v=3";
	const char *line;
	size_t pos = 0, n, count = 0;
	const char *want[] = { "a v=\"x\ny\" 1", "b v=2", "", "c v=3" };

	while (lineproto_next_line(body, strlen(body), &pos, &line, &n)) {
		CU_ASSERT_FATAL(count < ARRAY_SIZE(want));
		CU_ASSERT_EQUAL(n, strlen(want[count]));
		CU_ASSERT_EQUAL(memcmp(line, want[count], n), 0);
		count++;
	}
	CU_ASSERT_EQUAL(count, 4);
}

static void test_escape_writers(void)
{
	struct sbuf sb = SBUF_INIT;

	lineproto_escape_measurement(&sb, "a b,c=d", 7);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "a\\ b\\,c=d");
	sbuf_reset(&sb);
	lineproto_escape_key(&sb, "a b,c=d", 7);
	CU_ASSERT_STRING_EQUAL(sbuf_str(&sb), "a\\ b\\,c\\=d");
	sbuf_release(&sb);
}

static const struct cu_test parser_tests[] = {
	{ "documented_examples", test_documented },
	{ "special_characters", test_escapes },
	{ "types", test_types },
	{ "structure", test_structure },
	{ "precision_names", test_precision_names },
	{ "comments_and_blanks", test_comments_and_blanks },
	{ "limits", test_limits },
	{ NULL, NULL },
};

static const struct cu_test batch_tests[] = {
	{ "telegraf_batch", test_telegraf_batch },
	{ "bad_lines_mixed", test_bad_lines_mixed },
	{ "error_text_bounded", test_error_text_bounded },
	{ "next_line", test_next_line },
	{ "escape_writers", test_escape_writers },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct cu_suite suites[] = {
		{ "lineproto_parse", NULL, NULL, parser_tests },
		{ "lineproto_batch", NULL, NULL, batch_tests },
		{ NULL, NULL, NULL, NULL },
	};

	return cu_main(argc, argv, suites);
}
