/* Unit tests of src/cmd/print.c: text and JSON lines of packet records built
 * here byte by byte, with and without the process cache (the fixture tree
 * tests/fixtures/proc), hostile process names, times in UTC.
 * Not for decoding details (test_decode.c) or escaping rules (test_escape.c).
 * Run from the repository root. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/print.h"
#include "proc/procinfo.h"
#include "unit.h"

#define FIX_PROC "tests/fixtures/proc"
#define FIX_CG "tests/fixtures/cgroup2"
#define SEC 1000000000ull

/* A record's ts_ns (monotonic) and the offset that makes it
 * 2023-11-14 22:13:20.123456789 UTC (1700000000.123456789). */
#define TS_MONO (5 * SEC)
#define REAL_NS 1700000000123456789ll
#define MONO_TO_REAL (REAL_NS - (int64_t)TS_MONO)
#define TIME_TEXT "22:13:20.123456"
#define TIME_JSON "1700000000.123456"

/* ---- packet records ---- */

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

struct pkt {
	uint8_t b[1600];
	uint32_t len;
};

/* IPv4 (dotted quads) or IPv6 header + l4 bytes + payload zeros. */
static void ip(struct pkt *k, uint8_t proto, const char *src, const char *dst,
	       const uint8_t *l4, uint32_t l4len, uint32_t payload)
{
	uint8_t *p = k->b;
	int v6 = strchr(src, ':') != NULL;
	uint32_t hl = v6 ? 40 : 20;

	memset(k, 0, sizeof(*k));
	if (v6) {
		p[0] = 0x60;
		be16(p + 4, l4len + payload);
		p[6] = proto;
		p[7] = 64;
		CHECK(inet_pton(AF_INET6, src, p + 8) == 1);
		CHECK(inet_pton(AF_INET6, dst, p + 24) == 1);
	} else {
		p[0] = 0x45;
		be16(p + 2, 20 + l4len + payload);
		be16(p + 6, 0x4000);
		p[8] = 64;
		p[9] = proto;
		CHECK(inet_pton(AF_INET, src, p + 12) == 1);
		CHECK(inet_pton(AF_INET, dst, p + 16) == 1);
	}
	memcpy(p + hl, l4, l4len);
	k->len = hl + l4len + payload;
}

static void tcp(struct pkt *k, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint32_t payload)
{
	uint8_t h[20] = { 0 };

	be16(h, sport);
	be16(h + 2, dport);
	be32(h + 4, seq);
	be32(h + 8, ack);
	h[12] = 5 << 4;
	h[13] = flags;
	be16(h + 14, win);
	ip(k, IPPROTO_TCP, src, dst, h, 20, payload);
}

static void udp(struct pkt *k, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		uint32_t payload)
{
	uint8_t h[8] = { 0 };

	be16(h, sport);
	be16(h + 2, dport);
	be16(h + 4, 8 + payload);
	ip(k, IPPROTO_UDP, src, dst, h, 8, payload);
}

static void echo(struct pkt *k, const char *src, const char *dst, uint8_t type, uint32_t payload)
{
	uint8_t h[8] = { 0 };

	h[0] = type;
	be16(h + 4, 5);
	be16(h + 6, 1);
	ip(k, strchr(src, ':') ? IPPROTO_ICMPV6 : IPPROTO_ICMP, src, dst, h, 8, payload);
}

/* A record of k, captured whole (or the first caplen bytes). */
static struct pc_packet *record(const struct pkt *k, int dir, const char *ifname,
				uint32_t caplen)
{
	struct pc_packet *r;

	if (caplen > k->len)
		caplen = k->len;
	r = calloc(1, sizeof(*r) + caplen);
	if (!r)
		abort();
	r->type = PC_REC_PACKET;
	r->dir = dir;
	r->ifindex = 2;
	r->ts_ns = TS_MONO;
	r->len = k->len;
	r->caplen = caplen;
	r->netns = 4026531840u;
	r->gso_segs = 1;
	r->l3proto = (k->b[0] >> 4) == 6 ? 0x86DD : 0x0800;
	r->cookie = 1;
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	memcpy(r->data, k->b, caplen);
	return r;
}

static void set_owner(struct pc_owner *o, uint32_t pid, uint32_t tid, uint32_t uid,
		      const char *comm)
{
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	o->tid = tid;
	o->uid = uid;
	o->gid = uid;
	strncpy(o->comm, comm, sizeof(o->comm));
}

static struct pc_printer printer(int json, int verbose, struct pc_procs *procs)
{
	struct pc_printer pr = { 0 };

	pr.out = stdout;
	pr.json = json;
	pr.verbose = verbose;
	pr.procs = procs;
	pr.mono_to_real_ns = MONO_TO_REAL;
	return pr;
}

static char line[16384];

static const char *fmt(struct pc_printer *pr, const struct pc_packet *r)
{
	size_t n = pc_format_packet(pr, r, TS_MONO, line, sizeof(line));

	CHECK_EQ_INT(n, strlen(line));
	return line;
}

/* ---- a small strict JSON reader for flat objects ---- */

struct jmember {
	char key[32];
	char type; /* 's' string, 'n' number, 'z' null, 't' true, 'f' false */
	char str[8192]; /* decoded string (\u00XX -> byte XX); number text */
	size_t slen;
};

static struct jmember jm[64];
static int njm;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of the well-formed UTF-8 sequence at s (1 for ASCII), 0 if not. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Parses a JSON string at *p into out; 0 or -1. */
static int jstring(const char **p, char *out, size_t cap, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)*p;
	size_t n = 0, k;

	if (*s++ != '"')
		return -1;
	while (*s != '"') {
		if (!*s || *s < 0x20 || n + 4 >= cap)
			return -1;
		if (*s == '\\') {
			s++;
			switch (*s) {
			case '"': case '\\': case '/':
				out[n++] = *s++;
				break;
			case 'n': out[n++] = '\n'; s++; break;
			case 't': out[n++] = '\t'; s++; break;
			case 'r': out[n++] = '\r'; s++; break;
			case 'b': out[n++] = '\b'; s++; break;
			case 'f': out[n++] = '\f'; s++; break;
			case 'u': {
				int i, v = 0;

				for (i = 1; i <= 4; i++) {
					if (hexval(s[i]) < 0)
						return -1;
					v = v * 16 + hexval(s[i]);
				}
				s += 5;
				if (v >= 0xd800 && v <= 0xdfff)
					return -1; /* the printer never needs surrogates */
				if (v < 0x100) {
					out[n++] = (char)v;
				} else if (v < 0x800) {
					out[n++] = (char)(0xc0 | v >> 6);
					out[n++] = (char)(0x80 | (v & 0x3f));
				} else {
					out[n++] = (char)(0xe0 | v >> 12);
					out[n++] = (char)(0x80 | ((v >> 6) & 0x3f));
					out[n++] = (char)(0x80 | (v & 0x3f));
				}
				break;
			}
			default:
				return -1;
			}
			continue;
		}
		k = utf8_seq(s);
		if (!k)
			return -1;
		memcpy(out + n, s, k);
		n += k;
		s += k;
	}
	out[n] = '\0';
	*outlen = n;
	*p = (const char *)s + 1;
	return 0;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int jnumber(const char **p, char *out, size_t cap)
{
	const char *s = *p, *start = s;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return -1;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if ((size_t)(s - start) >= cap)
		return -1;
	memcpy(out, start, s - start);
	out[s - start] = '\0';
	*p = s;
	return 0;
}

/* Parses one flat JSON object that must be the whole of s (no newline).
 * Fills jm[]; returns the number of members or -1. Duplicate keys fail. */
static int json_parse(const char *s)
{
	size_t klen;
	int i;

	njm = 0;
	if (*s++ != '{')
		return -1;
	if (*s == '}')
		return *++s ? -1 : 0;
	for (;;) {
		struct jmember *m;

		if (njm >= (int)(sizeof(jm) / sizeof(jm[0])))
			return -1;
		m = &jm[njm];
		if (jstring(&s, m->key, sizeof(m->key), &klen) || *s++ != ':')
			return -1;
		for (i = 0; i < njm; i++)
			if (!strcmp(jm[i].key, m->key))
				return -1;
		if (*s == '"') {
			m->type = 's';
			if (jstring(&s, m->str, sizeof(m->str), &m->slen))
				return -1;
		} else if (!strncmp(s, "null", 4)) {
			m->type = 'z';
			s += 4;
		} else if (!strncmp(s, "true", 4)) {
			m->type = 't';
			s += 4;
		} else if (!strncmp(s, "false", 5)) {
			m->type = 'f';
			s += 5;
		} else {
			m->type = 'n';
			if (jnumber(&s, m->str, sizeof(m->str)))
				return -1;
		}
		njm++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s++ != '}')
			return -1;
		return *s ? -1 : njm;
	}
}

static const struct jmember *jget(const char *key)
{
	int i;

	for (i = 0; i < njm; i++)
		if (!strcmp(jm[i].key, key))
			return &jm[i];
	return NULL;
}

/* The member's type and, for strings and numbers, its text. */
static int jis(const char *key, char type, const char *val)
{
	const struct jmember *m = jget(key);

	if (!m || m->type != type) {
		fprintf(stderr, "  json key %s: %s, want type %c\n", key,
			m ? "wrong type" : "missing", type);
		return 0;
	}
	if (val && strcmp(m->str, val)) {
		fprintf(stderr, "  json key %s: \"%s\", want \"%s\"\n", key, m->str, val);
		return 0;
	}
	return 1;
}

TEST(json_reader_self_check)
{
	CHECK_EQ_INT(json_parse("{\"a\":1,\"b\":\"x\\u00ff\\n\",\"c\":null,\"d\":-0.5e3}"), 4);
	CHECK(jis("b", 's', "x\xff\n"));
	CHECK(jis("d", 'n', "-0.5e3"));
	CHECK_EQ_INT(json_parse("{}"), 0);
	CHECK_EQ_INT(json_parse("{\"a\":1"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":1}x"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":01}"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":1.}"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":\"\x1b\"}"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":\"\xff\"}"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":\"\\x41\"}"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":1,\"a\":2}"), -1);
	CHECK_EQ_INT(json_parse("{\"a\":\"abc}"), -1);
}

/* ---- text lines ---- */

TEST(text_out_no_peer)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	tcp(&k, "10.0.0.5", 40112, "93.184.216.34", 443, 0x18, 1, 1, 502, 517);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 4821, 4822, 1000, "curl");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  Out IP 10.0.0.5.40112 > 93.184.216.34.443: Flags [P.], seq 1:518, ack 1, win 502, length 517  curl[4821]");
	free(r);
}

TEST(text_in_no_peer)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	tcp(&k, "93.184.216.34", 443, "10.0.0.5", 40112, 0x10, 1, 518, 1000, 0);
	r = record(&k, PC_DIR_IN, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 4821, 4821, 1000, "curl");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  In  IP 93.184.216.34.443 > 10.0.0.5.40112: Flags [.], ack 517, win 1000, length 0  -> curl[4821]");
	free(r);
}

TEST(text_with_peer)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	/* loopback: out, owner is the sender, peer the receiver */
	udp(&k, "127.0.0.1", 51234, "127.0.0.53", 53, 40);
	r = record(&k, PC_DIR_OUT, "lo", 256);
	r->flags = PC_PKT_OWNER | PC_PKT_PEER;
	set_owner(&r->owner, 4821, 4821, 1000, "resolvectl");
	set_owner(&r->peer, 612, 612, 101, "systemd-resolve");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " lo    Out IP 127.0.0.1.51234 > 127.0.0.53.53: 0 [0q] (40)  resolvectl[4821] -> systemd-resolve[612]");
	/* in: owner is the receiver, the peer the sender: still sender first */
	r->dir = PC_DIR_IN;
	set_owner(&r->owner, 612, 612, 101, "systemd-resolve");
	set_owner(&r->peer, 4821, 4821, 1000, "resolvectl");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " lo    In  IP 127.0.0.1.51234 > 127.0.0.53.53: 0 [0q] (40)  resolvectl[4821] -> systemd-resolve[612]");
	/* a peer flag without a pid, or a pid without the flag: not shown */
	r->peer.pid = 0;
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " lo    In  IP 127.0.0.1.51234 > 127.0.0.53.53: 0 [0q] (40)  -> systemd-resolve[612]");
	r->peer.pid = 4821;
	r->flags = PC_PKT_OWNER;
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " lo    In  IP 127.0.0.1.51234 > 127.0.0.53.53: 0 [0q] (40)  -> systemd-resolve[612]");
	free(r);
}

TEST(text_no_process)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	/* a kernel RST: no socket, no owner */
	tcp(&k, "10.0.0.5", 80, "10.0.0.9", 40000, 0x14, 0, 5, 0, 0);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_NO_SOCKET;
	set_owner(&r->owner, 0, 0, 0, "");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  Out IP 10.0.0.5.80 > 10.0.0.9.40000: Flags [R.], seq 0, ack 5, win 0, length 0  (no process)");
	/* the owner flag with pid 0 is no owner either */
	r->flags = PC_PKT_OWNER;
	CHECK(strstr(fmt(&pr, r), "  (no process)") != NULL);
	r->dir = PC_DIR_IN;
	r->flags = 0;
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  In  IP 10.0.0.5.80 > 10.0.0.9.40000: Flags [R.], seq 0, ack 1, win 0, length 0  -> (no process)");
	/* an owner that is not flagged valid is not printed */
	set_owner(&r->owner, 99, 99, 0, "ghost");
	CHECK(strstr(fmt(&pr, r), "ghost") == NULL);
	CHECK(strstr(line, "(no process)") != NULL);
	/* an owner pid with a peer but no owner flag on out */
	r->dir = PC_DIR_OUT;
	r->flags = PC_PKT_PEER;
	set_owner(&r->peer, 7, 7, 0, "srv");
	CHECK(strstr(fmt(&pr, r), "  (no process) -> srv[7]") != NULL);
	free(r);
}

TEST(text_ipv6_icmp)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	tcp(&k, "2001:db8::1", 443, "2001:db8::2", 5555, 0x12, 7, 8, 65535, 0);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 912, 913, 33, "nginx");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  Out IP6 2001:db8::1.443 > 2001:db8::2.5555: Flags [S.], seq 7, ack 8, win 65535, length 0  nginx[912]");
	free(r);

	echo(&k, "10.0.0.5", "1.2.3.4", 8, 56);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 300, 300, 0, "ping");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  Out IP 10.0.0.5 > 1.2.3.4: ICMP echo request, id 5, seq 1, length 64  ping[300]");
	free(r);

	echo(&k, "1.2.3.4", "10.0.0.5", 0, 56);
	r = record(&k, PC_DIR_IN, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 300, 300, 0, "ping");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  In  IP 1.2.3.4 > 10.0.0.5: ICMP echo reply, id 5, seq 1, length 64  -> ping[300]");
	free(r);

	echo(&k, "::1", "::1", 128, 56);
	r = record(&k, PC_DIR_OUT, "lo", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 301, 301, 0, "ping");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " lo    Out IP6 ::1 > ::1: ICMP6, echo request, id 5, seq 1, length 64  ping[301]");
	free(r);
}

TEST(text_truncated)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	/* IPv4 header cut: only the wire length is known */
	echo(&k, "10.0.0.5", "1.2.3.4", 8, 56);
	r = record(&k, PC_DIR_OUT, "eth0", 10);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 300, 300, 0, "ping");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  Out IP  [|ip]  ping[300]");
	free(r);
	/* IPv6 header cut */
	tcp(&k, "2001:db8::1", 443, "2001:db8::2", 5555, 0x10, 7, 8, 100, 1000);
	r = record(&k, PC_DIR_IN, "eth0", 39);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 912, 912, 33, "nginx");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  In  IP6  [|ip6]  -> nginx[912]");
	free(r);
	/* nothing captured at all */
	r = record(&k, PC_DIR_IN, "eth0", 0);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 912, 912, 33, "nginx");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  In   [|ip]  -> nginx[912]");
	free(r);
	/* IP header whole, TCP header cut */
	tcp(&k, "10.0.0.5", 40112, "93.184.216.34", 443, 0x18, 1, 1, 502, 517);
	r = record(&k, PC_DIR_OUT, "eth0", 30);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 4821, 4821, 1000, "curl");
	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " eth0  Out IP 10.0.0.5.40112 > 93.184.216.34.443:  [|tcp]  curl[4821]");
	free(r);
}

TEST(text_ifname)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	udp(&k, "10.0.0.5", 1, "10.0.0.6", 2, 0);
	r = record(&k, PC_DIR_OUT, "", 256);
	CHECK(!strncmp(fmt(&pr, r), TIME_TEXT " ?     Out IP ", strlen(TIME_TEXT " ?     Out IP ")));
	/* an interface name is untrusted too (renamed by anyone with
	 * CAP_NET_ADMIN in a netns) */
	memcpy(r->ifname, "a b\x1b\x7f", 6);
	CHECK(!strncmp(fmt(&pr, r), TIME_TEXT " a\\x20b\\x1b\\x7f Out IP ",
		       strlen(TIME_TEXT " a\\x20b\\x1b\\x7f Out IP ")));
	free(r);
}

/* Raw bytes a terminal would act on must not be in a text line. */
static int terminal_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

#define HOSTILE "\x1b[31m\"\\\n\xff\xc3("

TEST(hostile_comm)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	udp(&k, "127.0.0.1", 4000, "127.0.0.1", 4001, 3);
	r = record(&k, PC_DIR_OUT, "lo", 256);
	r->flags = PC_PKT_OWNER | PC_PKT_PEER;
	set_owner(&r->owner, 666, 666, 0, HOSTILE);
	/* a 16-byte comm with no NUL (the kernel never sends one, but the
	 * printer must not run past it) */
	set_owner(&r->peer, 667, 667, 0, "");
	memcpy(r->peer.comm, "0123456789abcdef", 16);

	CHECK_EQ_STR(fmt(&pr, r),
		     TIME_TEXT " lo    Out IP 127.0.0.1.4000 > 127.0.0.1.4001: UDP, length 3  \"\\x1b[31m\\x22\\\\\\x0a\\xff\\xc3(\"[666] -> 0123456789abcdef[667]");
	CHECK(terminal_safe(line));

	pr.json = 1;
	fmt(&pr, r);
	CHECK(terminal_safe(line));
	CHECK(strstr(line, "\"comm\":\"\\u001b[31m\\\"\\\\\\n\\u00ff\\u00c3(\"") != NULL);
	CHECK(json_parse(line) > 0);
	/* back to the very same bytes */
	CHECK(jis("comm", 's', HOSTILE));
	CHECK(jis("peer_comm", 's', "0123456789abcdef"));
	free(r);
}

/* ---- JSON lines ---- */

TEST(json_exact)
{
	struct pc_printer pr = printer(1, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	tcp(&k, "10.0.0.5", 40112, "93.184.216.34", 443, 0x18, 1, 1, 502, 517);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 4821, 4822, 1000, "curl");
	CHECK_EQ_STR(fmt(&pr, r),
		     "{\"ts\":" TIME_JSON ",\"ifname\":\"eth0\",\"dir\":\"out\",\"proto\":\"tcp\","
		     "\"src\":\"10.0.0.5\",\"sport\":40112,\"dst\":\"93.184.216.34\",\"dport\":443,"
		     "\"len\":557,\"payload\":517,\"pid\":4821,\"tid\":4822,\"comm\":\"curl\","
		     "\"uid\":1000,\"user\":null,\"exe\":null,\"cmdline\":null,\"cgroup\":null,"
		     "\"container_id\":null,\"container_name\":null,\"container_image\":null,"
		     "\"pod\":null,\"pod_namespace\":null,"
		     "\"peer_pid\":null,\"peer_tid\":null,\"peer_comm\":null,\"segs\":1,"
		     "\"netns\":4026531840}");
	CHECK_EQ_INT(json_parse(line), 28);

	/* loopback in with a peer, GSO, unknown netns */
	free(r);
	udp(&k, "127.0.0.1", 51234, "127.0.0.53", 53, 40);
	r = record(&k, PC_DIR_IN, "lo", 256);
	r->flags = PC_PKT_OWNER | PC_PKT_PEER;
	r->netns = 0;
	r->gso_segs = 3;
	set_owner(&r->owner, 612, 613, 101, "systemd-resolve");
	set_owner(&r->peer, 4821, 4822, 1000, "resolvectl");
	CHECK_EQ_STR(fmt(&pr, r),
		     "{\"ts\":" TIME_JSON ",\"ifname\":\"lo\",\"dir\":\"in\",\"proto\":\"udp\","
		     "\"src\":\"127.0.0.1\",\"sport\":51234,\"dst\":\"127.0.0.53\",\"dport\":53,"
		     "\"len\":68,\"payload\":40,\"pid\":612,\"tid\":613,"
		     "\"comm\":\"systemd-resolve\","
		     "\"uid\":101,\"user\":null,\"exe\":null,\"cmdline\":null,\"cgroup\":null,"
		     "\"container_id\":null,\"container_name\":null,\"container_image\":null,"
		     "\"pod\":null,\"pod_namespace\":null,"
		     "\"peer_pid\":4821,\"peer_tid\":4822,\"peer_comm\":\"resolvectl\",\"segs\":3,"
		     "\"netns\":null}");
	CHECK_EQ_INT(json_parse(line), 28);
	free(r);
}

TEST(json_nulls)
{
	struct pc_printer pr = printer(1, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	/* ICMP: no ports; no owner at all; no ifname */
	echo(&k, "2001:db8::2", "2001:db8::1", 1, 40);
	r = record(&k, PC_DIR_OUT, "", 256);
	r->flags = PC_PKT_NO_SOCKET;
	CHECK_EQ_STR(fmt(&pr, r),
		     "{\"ts\":" TIME_JSON ",\"ifname\":null,\"dir\":\"out\",\"proto\":\"icmp6\","
		     "\"src\":\"2001:db8::2\",\"sport\":null,\"dst\":\"2001:db8::1\","
		     "\"dport\":null,"
		     "\"len\":88,\"payload\":40,\"pid\":null,\"tid\":null,\"comm\":null,"
		     "\"uid\":null,\"user\":null,\"exe\":null,\"cmdline\":null,\"cgroup\":null,"
		     "\"container_id\":null,\"container_name\":null,\"container_image\":null,"
		     "\"pod\":null,\"pod_namespace\":null,"
		     "\"peer_pid\":null,\"peer_tid\":null,\"peer_comm\":null,\"segs\":1,"
		     "\"netns\":4026531840}");
	CHECK_EQ_INT(json_parse(line), 28);
	free(r);

	/* truncated IP header: only len is known */
	echo(&k, "10.0.0.5", "1.2.3.4", 8, 56);
	r = record(&k, PC_DIR_IN, "eth0", 19);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 300, 300, 0, "ping");
	CHECK_EQ_STR(fmt(&pr, r),
		     "{\"ts\":" TIME_JSON ",\"ifname\":\"eth0\",\"dir\":\"in\",\"proto\":null,"
		     "\"src\":null,\"sport\":null,\"dst\":null,\"dport\":null,"
		     "\"len\":84,\"payload\":null,\"pid\":300,\"tid\":300,\"comm\":\"ping\","
		     "\"uid\":0,\"user\":null,\"exe\":null,\"cmdline\":null,\"cgroup\":null,"
		     "\"container_id\":null,\"container_name\":null,\"container_image\":null,"
		     "\"pod\":null,\"pod_namespace\":null,"
		     "\"peer_pid\":null,\"peer_tid\":null,\"peer_comm\":null,\"segs\":1,"
		     "\"netns\":4026531840}");
	CHECK_EQ_INT(json_parse(line), 28);
	free(r);

	/* TCP header cut: ports known, payload not */
	tcp(&k, "10.0.0.5", 40112, "93.184.216.34", 443, 0x18, 1, 1, 502, 517);
	r = record(&k, PC_DIR_OUT, "eth0", 30);
	CHECK(json_parse(fmt(&pr, r)) == 28);
	CHECK(jis("proto", 's', "tcp"));
	CHECK(jis("sport", 'n', "40112"));
	CHECK(jis("len", 'n', "557"));
	CHECK(jis("payload", 'z', NULL));
	CHECK(jis("pid", 'z', NULL));
	free(r);
}

/* Wall time = ts_ns + mono_to_real_ns, microseconds truncated. */
TEST(timestamps)
{
	struct pc_printer pr = printer(0, 0, NULL);
	struct pc_packet *r;
	struct pkt k;

	udp(&k, "10.0.0.5", 1, "10.0.0.6", 2, 0);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	/* 1700006399.999999999: one nanosecond before midnight */
	r->ts_ns = 123;
	pr.mono_to_real_ns = 1700006399999999999ll - 123;
	CHECK(!strncmp(fmt(&pr, r), "23:59:59.999999 eth0", 20));
	pr.json = 1;
	CHECK(!strncmp(fmt(&pr, r), "{\"ts\":1700006399.999999,", 24));
	CHECK(json_parse(line) > 0);
	/* midnight exactly, and a negative offset (a clock behind boot) */
	r->ts_ns = 2000 * SEC;
	pr.mono_to_real_ns = 1700006400ll * SEC - 2000 * SEC;
	CHECK(!strncmp(fmt(&pr, r), "{\"ts\":1700006400.000000,", 24));
	pr.json = 0;
	CHECK(!strncmp(fmt(&pr, r), "00:00:00.000000 eth0", 20));
	r->ts_ns = 1700000000ll * SEC + 5000;
	pr.mono_to_real_ns = -(int64_t)(1000 * SEC);
	CHECK(!strncmp(fmt(&pr, r), "21:56:40.000005 eth0", 20));
	pr.json = 1;
	CHECK(!strncmp(fmt(&pr, r), "{\"ts\":1699999000.000005,", 24));
	free(r);
}

/* ---- -v with the process cache on the fixture tree ---- */

static struct pc_procs *fixture_procs(void)
{
	struct pc_procs *p = NULL;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, FIX_CG "/"), 0);
	return p;
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

static const char *root_name(void)
{
	struct passwd *pw = getpwuid(0);

	return pw ? pw->pw_name : NULL;
}

TEST(verbose_text)
{
	struct pc_procs *procs = fixture_procs();
	struct pc_printer pr = printer(0, 1, procs);
	struct pc_packet *r;
	char want[2048];
	struct pkt k;

	if (!procs || !root_name())
		return;
	tcp(&k, "10.0.0.1", 8080, "10.0.0.2", 5555, 0x18, 1, 1, 502, 10);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 100, 101, 0, "fake-daemon");
	r->owner.cgroup_id = ino_of(FIX_CG "/system.slice/fake.service");
	r->gso_segs = 4;
	/* -v: tcpdump's IP header line first, then the processes in detail;
	 * command lines with spaces in quotes, as typed */
	snprintf(want, sizeof(want),
		 "10.0.0.1.8080 > 10.0.0.2.5555: Flags [P.], cksum 0x0000 (incorrect -> 0x6485), "
		 "seq 1:11, ack 1, win 502, length 10  fake-daemon[100] tid=101 uid=0(%s) "
		 "exe=/usr/sbin/fake-daemon "
		 "cmdline=\"/usr/sbin/fake-daemon --foreground -c /etc/fake.conf\" "
		 "cgroup=/system.slice/fake.service segs=4",
		 root_name());
	if (!strstr(fmt(&pr, r), want))
		fprintf(stderr, "got %s\nwant %s\n", line, want);
	CHECK(strstr(line, want) != NULL);

	/* the hostile fixture process: exe with spaces, cmdline with ESC
	 * and newline, comm with ") (" */
	r->owner.pid = 200;
	r->owner.tid = 200;
	strncpy(r->owner.comm, "x) (y) z", sizeof(r->owner.comm));
	r->owner.cgroup_id = ino_of(FIX_CG "/user.slice/user-1000.slice");
	r->gso_segs = 1;
	snprintf(want, sizeof(want),
		 "  \"x) (y) z\"[200] tid=200 uid=0(%s) "
		 "exe=\"/tmp/evil bin (deleted)\" "
		 "cmdline=\"./evil --color=\\x1b[31mred\\x1b[0m two\\x0alines\" "
		 "cgroup=/user.slice/user-1000.slice",
		 root_name());
	if (!strstr(fmt(&pr, r), want))
		fprintf(stderr, "got %s\nwant %s\n", line, want);
	CHECK(strstr(line, want) != NULL);
	CHECK(terminal_safe(strstr(line, "  \"x) (y)")));

	/* a pid the cache knows nothing of: just tid and uid */
	r->owner.pid = 4242;
	r->owner.cgroup_id = 0;
	r->owner.uid = 4294967295u;
	CHECK(strstr(fmt(&pr, r), "  \"x) (y) z\"[4242] tid=200 uid=4294967295") != NULL);
	CHECK(strstr(line, "exe=") == NULL && strstr(line, "cgroup=") == NULL);
	free(r);
	pc_procs_free(procs);
}

/* Regression (was a bug): src/cmd/print.c:106 put_who_detail() prefixes only "tid" with
 * "peer_": the peer's uid comes out as a second "uid=" key
 * (" tid=4821 uid=1000 peer_tid=912 uid=33"), so a reader of key=value
 * text takes the peer's uid for the owner's (or the first for both). */
TEST(verbose_text_peer_keys)
{
	struct pc_printer pr = printer(0, 1, NULL);
	struct pc_packet *r;
	struct pkt k;

	udp(&k, "127.0.0.1", 51234, "127.0.0.1", 80, 1);
	r = record(&k, PC_DIR_OUT, "lo", 256);
	r->flags = PC_PKT_OWNER | PC_PKT_PEER;
	set_owner(&r->owner, 4821, 4821, 1000, "curl");
	set_owner(&r->peer, 912, 912, 33, "nginx");
	CHECK(strstr(fmt(&pr, r), "curl[4821] -> nginx[912] tid=4821 uid=1000 "
				  "peer_tid=912 peer_uid=33") != NULL);
	free(r);
}

TEST(verbose_json)
{
	struct pc_procs *procs = fixture_procs();
	struct pc_printer pr = printer(1, 1, procs);
	struct pc_packet *r;
	struct pkt k;

	if (!procs || !root_name())
		return;
	tcp(&k, "10.0.0.1", 8080, "10.0.0.2", 5555, 0x18, 1, 1, 502, 10);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER | PC_PKT_PEER;
	set_owner(&r->owner, 200, 201, 0, "x) (y) z");
	r->owner.cgroup_id = ino_of(FIX_CG "/user.slice/user-1000.slice");
	set_owner(&r->peer, 100, 100, 0, "fake-daemon");
	CHECK_EQ_INT(json_parse(fmt(&pr, r)), 28);
	CHECK(jis("pid", 'n', "200"));
	CHECK(jis("tid", 'n', "201"));
	CHECK(jis("comm", 's', "x) (y) z"));
	CHECK(jis("uid", 'n', "0"));
	CHECK(jis("user", 's', root_name()));
	CHECK(jis("exe", 's', "/tmp/evil bin (deleted)"));
	CHECK(jis("cmdline", 's', "./evil --color=\x1b[31mred\x1b[0m two\nlines"));
	CHECK(jis("cgroup", 's', "/user.slice/user-1000.slice"));
	CHECK(jis("peer_pid", 'n', "100"));
	CHECK(jis("peer_comm", 's', "fake-daemon"));
	CHECK(jget("listener_owner") == NULL);
	CHECK(terminal_safe(line));

	/* a record released unresolved by the hold queue says so with -v */
	r->flags |= PC_PKT_OWNER_LISTENER;
	CHECK_EQ_INT(json_parse(fmt(&pr, r)), 29);
	CHECK(jis("listener_owner", 't', NULL));
	pr.verbose = 0;
	CHECK_EQ_INT(json_parse(fmt(&pr, r)), 28);
	free(r);
	pc_procs_free(procs);
}

/* ---- buffers and lines ---- */

TEST(small_buffers)
{
	struct pc_procs *procs = fixture_procs();
	struct pc_printer pr = printer(0, 1, procs);
	struct pc_packet *r;
	char full[8192], buf[8192];
	size_t n, len, i;
	struct pkt k;
	int json;

	tcp(&k, "2001:db8::1", 443, "2001:db8::2", 5555, 0x18, 1, 1, 502, 10);
	r = record(&k, PC_DIR_IN, "eth0", 256);
	r->flags = PC_PKT_OWNER | PC_PKT_PEER;
	set_owner(&r->owner, 200, 200, 0, HOSTILE);
	set_owner(&r->peer, 100, 100, 0, "fake-daemon");
	for (json = 0; json <= 1; json++) {
		pr.json = json;
		n = pc_format_packet(&pr, r, TS_MONO, full, sizeof(full));
		CHECK_EQ_INT(n, strlen(full));
		CHECK(n > 100);
		CHECK_EQ_INT(pc_format_packet(&pr, r, TS_MONO, buf, 0), 0);
		for (len = 1; len <= n + 2; len++) {
			/* exactly len bytes on the heap: ASan sees any overflow */
			char *b = malloc(len);

			if (!b)
				break;
			memset(b, 'X', len);
			i = pc_format_packet(&pr, r, TS_MONO, b, len);
			CHECK(i < len);
			CHECK(b[i] == '\0');
			CHECK_EQ_INT(i, strlen(b));
			if (len > n)
				CHECK_EQ_STR(b, full);
			free(b);
		}
	}
	free(r);
	pc_procs_free(procs);
}

static char *print_to_string(struct pc_printer *pr, const struct pc_packet *r, size_t *len)
{
	char *buf = NULL;

	pr->out = open_memstream(&buf, len);
	if (!pr->out)
		return NULL;
	pc_print_packet(pr, r, TS_MONO);
	pc_print_packet(pr, r, TS_MONO);
	fclose(pr->out);
	pr->out = NULL;
	return buf;
}

TEST(print_lines)
{
	struct pc_printer pr = printer(0, 0, NULL);
	static char want[2 * sizeof(line) + 3];
	struct pc_packet *r;
	size_t len;
	struct pkt k;
	char *s;

	udp(&k, "10.0.0.5", 1, "10.0.0.6", 2, 0);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 1, 1, 0, "init");
	for (pr.json = 0; pr.json <= 1; pr.json++) {
		fmt(&pr, r);
		snprintf(want, sizeof(want), "%s\n%s\n", line, line);
		s = print_to_string(&pr, r, &len);
		CHECK(s != NULL);
		if (s) {
			CHECK_EQ_INT(len, strlen(want));
			CHECK_EQ_STR(s, want);
		}
		free(s);
	}
	free(r);
}

/* Regression (was a bug): src/cmd/print.c:264 pc_print_packet formats into a fixed 8192-byte
 * line (as does pc_print_packet_meta at line 350), but a JSON line can
 * need far more: exe (511 bytes kept), cmdline (1023) and cgroup (511)
 * escape to up to 6 bytes per byte. A process with control bytes in its
 * exe path and command line gets a line cut after 8190 bytes, ending in
 * "\u0002\u0002\",": no "}", not valid JSON. */
TEST(json_line_always_valid)
{
	struct pc_procs *procs = fixture_procs();
	struct pc_printer pr = printer(1, 0, procs);
	char exe[600], args[1200];
	struct pc_packet *r;
	struct pkt k;
	size_t len;
	char *s;

	if (!procs)
		return;
	memset(exe, 1, sizeof(exe));
	exe[0] = '/';
	exe[sizeof(exe) - 1] = '\0';
	memset(args, 2, sizeof(args));
	pc_procs_exec(procs, 4242, 1, 0, "evil", exe, args, sizeof(args), 0);
	udp(&k, "10.0.0.5", 1, "10.0.0.6", 2, 0);
	r = record(&k, PC_DIR_OUT, "eth0", 256);
	r->flags = PC_PKT_OWNER;
	set_owner(&r->owner, 4242, 4242, 0, "evil");
	s = print_to_string(&pr, r, &len);
	CHECK(s != NULL);
	if (s) {
		char *nl = strchr(s, '\n');

		CHECK(nl != NULL);
		if (nl)
			*nl = '\0';
		CHECK(json_parse(s) > 0);
		CHECK(jis("comm", 's', "evil"));
	}
	free(s);
	free(r);
	pc_procs_free(procs);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	RUN(json_reader_self_check);
	RUN(text_out_no_peer);
	RUN(text_in_no_peer);
	RUN(text_with_peer);
	RUN(text_no_process);
	RUN(text_ipv6_icmp);
	RUN(text_truncated);
	RUN(text_ifname);
	RUN(hostile_comm);
	RUN(json_exact);
	RUN(json_nulls);
	RUN(timestamps);
	RUN(verbose_text);
	RUN(verbose_text_peer_keys);
	RUN(verbose_json);
	RUN(small_buffers);
	RUN(print_lines);
	RUN(json_line_always_valid);
	return UNIT_DONE();
}
