// sources: src/packet/pktfilter.c src/packet/bpfconv.c -lpcap
/* libFuzzer target for src/packet/bpfconv.c: the input's first bytes pick
 * a filter expression from a grammar (hosts, nets, ports, portranges,
 * protocols, tcp flags, ip/ip6/tcp/udp/icmp[...] arithmetic, len, and/or/not),
 * libpcap compiles it, and the translated program (run by
 * tests/unit/ebpf_interp.h) must accept exactly the packets that
 * pcap_offline_filter accepts: fixed IPv4/IPv6 packets and one made from
 * the rest of the input. Not for the kernel run (test_kfilter does it). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet/bpfconv.h"
#include "packet/pktfilter.h"
#include "../unit/ebpf_interp.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned int take(struct in *in, unsigned int mod)
{
	unsigned int v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return mod ? v % mod : v;
}

struct out {
	char s[2048];
	size_t len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= sizeof(o->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->s + o->len, sizeof(o->s) - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < sizeof(o->s) - o->len ? (size_t)n : sizeof(o->s) - o->len - 1;
}

static const char *const hosts[] = { "10.0.0.1", "10.0.0.2", "127.0.0.1", "::1",
				     "2001:db8::1", "fe80::7", "255.255.255.255", "ff02::1" };
static const char *const nets[] = { "10.0.0.0/8", "127.0.0.0/8", "0.0.0.0/0", "2001:db8::/32",
				    "fe80::/10", "::/0", "224.0.0.0/4", "10.0.0.0/31" };
static const char *const protos[] = { "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "sctp" };
static const char *const flags[] = { "tcp-fin", "tcp-syn", "tcp-rst", "tcp-push", "tcp-ack",
				     "tcp-urg", "tcp-ece", "tcp-cwr" };
static const char *const bases[] = { "ip", "ip6", "tcp", "udp", "icmp", "icmp6" };
static const char *const ops[] = { "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>" };
static const char *const rels[] = { "==", "!=", ">", "<", ">=", "<=" };
static const unsigned int ports[] = { 0, 9, 22, 53, 80, 443, 1024, 40000, 65535 };

static void arith(struct in *in, struct out *o, int depth)
{
	unsigned int c = take(in, depth > 2 ? 4 : 8);

	switch (c) {
	case 0:
		put(o, "%u", take(in, 0) % 70);
		break;
	case 1:
		put(o, "len");
		break;
	case 2:
		put(o, "%s[%u]", bases[take(in, 6)], take(in, 72));
		break;
	case 3: {
		static const int sizes[] = { 1, 2, 4 };

		put(o, "%s[%u:%d]", bases[take(in, 6)], take(in, 72), sizes[take(in, 3)]);
		break;
	}
	case 4:
		put(o, "(");
		arith(in, o, depth + 1);
		put(o, " %s ", ops[take(in, 10)]);
		arith(in, o, depth + 1);
		put(o, ")");
		break;
	case 5:
		put(o, "%s[", bases[take(in, 6)]);
		arith(in, o, depth + 1);
		put(o, "]");
		break;
	case 6:
		put(o, "-");
		arith(in, o, depth + 1);
		break;
	default:
		put(o, "0x%x", take(in, 0) << (take(in, 4) * 8));
		break;
	}
}

static void prim(struct in *in, struct out *o, int depth)
{
	static const char *const dirs[] = { "", "src ", "dst ", "src or dst " };
	unsigned int a, b;

	switch (take(in, 12)) {
	case 0:
		put(o, "%s", protos[take(in, 7)]);
		break;
	case 1:
		put(o, "%shost %s", dirs[take(in, 4)], hosts[take(in, 8)]);
		break;
	case 2:
		put(o, "%snet %s", dirs[take(in, 4)], nets[take(in, 8)]);
		break;
	case 3:
		a = take(in, 3);
		put(o, "%s%sport %u", a == 0 ? "tcp " : a == 1 ? "udp " : "", dirs[take(in, 3)],
		    ports[take(in, 9)]);
		break;
	case 4:
		a = ports[take(in, 9)];
		b = ports[take(in, 9)];
		put(o, "%sportrange %u-%u", dirs[take(in, 3)], a < b ? a : b, a < b ? b : a);
		break;
	case 5:
		put(o, "%sproto %u", take(in, 3) == 0 ? "ip " : take(in, 2) ? "ip6 " : "",
		    take(in, 0) % 140);
		break;
	case 6:
		put(o, "len %s %u", rels[take(in, 6)], take(in, 0) * 8);
		break;
	case 7:
		put(o, "%s %u", take(in, 2) ? "less" : "greater", take(in, 0) * 4);
		break;
	case 8:
		put(o, "tcp[tcpflags] & (%s|%s) != 0", flags[take(in, 8)], flags[take(in, 8)]);
		break;
	case 9:
		put(o, "%s multicast", take(in, 2) ? "ip" : "ip6");
		break;
	default:
		arith(in, o, depth);
		put(o, " %s ", rels[take(in, 6)]);
		arith(in, o, depth);
		break;
	}
}

static void expr(struct in *in, struct out *o, int depth)
{
	switch (depth > 3 ? 0 : take(in, 5)) {
	case 0:
	case 1:
		prim(in, o, depth);
		break;
	case 2:
		put(o, "not ");
		expr(in, o, depth + 1);
		break;
	default:
		put(o, "(");
		expr(in, o, depth + 1);
		put(o, take(in, 2) ? " and " : " or ");
		expr(in, o, depth + 1);
		put(o, ")");
		break;
	}
}

/* Templates: IPv4 TCP SYN with options, IPv4 UDP, IPv4 ICMP echo, IPv4
 * later fragment, IPv6 TCP, IPv6 hop-by-hop + UDP, IPv6 ICMPv6 echo. */
static const uint8_t t_v4tcp[] = {
	0x45, 0x10, 0, 52, 0x42, 0x42, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x9c, 0x40, 0, 80, 1, 2, 3, 4, 0, 0, 0, 0, 0x80, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0 };
static const uint8_t t_v4udp[] = {
	0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 53,
	0xc8, 0x22, 0, 53, 0, 16, 0, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
static const uint8_t t_v4icmp[] = {
	0x45, 0, 0, 28, 0, 2, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 8, 8, 8, 8,
	8, 0, 0, 0, 0x12, 0x34, 0, 1 };
static const uint8_t t_v4frag[] = {
	0x45, 0, 0, 28, 0, 3, 0x20, 0xb9, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0, 0x50, 0, 0x35, 0, 8, 0, 0 };
static const uint8_t t_v6tcp[] = {
	0x60, 0, 0, 0, 0, 20, 6, 64,
	0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x9c, 0x40, 1, 0xbb, 1, 2, 3, 4, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0 };
static const uint8_t t_v6hopudp[] = {
	0x60, 0, 0, 0, 0, 20, 0, 64,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	17, 0, 1, 4, 0, 0, 0, 0, 0x9c, 0x40, 0, 53, 0, 12, 0, 0, 'x', 'y', 'z', 'w' };
static const uint8_t t_v6icmp[] = {
	0x60, 0, 0, 0, 0, 8, 58, 255,
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
	0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	128, 0, 0, 0, 0, 1, 0, 1 };

static const struct {
	const uint8_t *b;
	size_t len;
} templates[] = {
	{ t_v4tcp, sizeof(t_v4tcp) }, { t_v4udp, sizeof(t_v4udp) },
	{ t_v4icmp, sizeof(t_v4icmp) }, { t_v4frag, sizeof(t_v4frag) },
	{ t_v6tcp, sizeof(t_v6tcp) }, { t_v6hopudp, sizeof(t_v6hopudp) },
	{ t_v6icmp, sizeof(t_v6icmp) },
};
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

static void compare(const struct pc_pktfilter *f, const struct bpf_insn *prog, size_t n,
		    const uint8_t *pkt, uint32_t len, const char *expr_text)
{
	int want = pc_pktfilter_match(f, pkt, len, len);

	/* the whole packet linear (direct reads), part of it, none of it */
	for (uint32_t linear = len; ; linear /= 3) {
		int got = ei_run(prog, n, pkt, len, linear);

		if (got != want) {
			fprintf(stderr, "'%s' on a %u-byte packet (%u linear): libpcap %d, "
				"translated %d\n", expr_text, len, linear, want, got);
			__builtin_trap();
		}
		if (!linear)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct out o = { .len = 0 };
	struct pc_pktfilter *f = NULL;
	const struct pc_cbpf_insn *cbpf;
	struct bpf_insn *prog = NULL;
	uint8_t pkt[256];
	size_t ncbpf, n, i, t, at, len;
	char err[512];

	o.s[0] = 0;
	expr(&in, &o, 0);
	if (pc_pktfilter_new(&f, o.s, 262144, err, sizeof(err)))
		return 0; /* libpcap refuses it: nothing to compare */
	pc_pktfilter_cbpf(f, &cbpf, &ncbpf);
	if (pc_bpfconv(cbpf, ncbpf, 3, 1, &prog, &n, err, sizeof(err))) {
		/* only backward jumps (protochain) and reads of unwritten
		 * scratch words (an optimizer slip) may be refused */
		if (!strstr(err, "backward") && !strstr(err, "scratch word")) {
			fprintf(stderr, "'%s': %s\n", o.s, err);
			__builtin_trap();
		}
		pc_pktfilter_free(f);
		return 0;
	}
	for (i = 0; i < NTEMPLATES; i++)
		compare(f, prog, n, templates[i].b, templates[i].len, o.s);
	/* the rest of the input over a template, cut somewhere */
	t = take(&in, NTEMPLATES);
	memcpy(pkt, templates[t].b, templates[t].len);
	memset(pkt + templates[t].len, 0, sizeof(pkt) - templates[t].len);
	at = take(&in, 80);
	for (i = at; i < sizeof(pkt) && in.n; i++)
		pkt[i] ^= take(&in, 0);
	len = take(&in, 0);
	len = len < 200 ? len % (templates[t].len + 1) : i;
	compare(f, prog, n, pkt, len, o.s);
	free(prog);
	pc_pktfilter_free(f);
	return 0;
}
