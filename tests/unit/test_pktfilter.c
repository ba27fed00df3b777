/* Unit tests of src/packet/pktfilter.c: tcpdump expressions compiled by libpcap
 * against IPv4/IPv6 TCP/UDP/ICMP packets built here byte by byte (packets
 * start at the IP header). Not for libpcap's grammar itself. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>

#include "packet/pktfilter.h"
#include "unit.h"

struct pkt {
	uint8_t b[256];
	uint32_t len;
};

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

/* L4 headers: TCP (20 bytes, flags), UDP (8), ICMP echo (8). */
static uint32_t tcp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	memset(p, 0, 20);
	be16(p, sport);
	be16(p + 2, dport);
	be32(p + 4, 1000);
	be32(p + 8, flags & 0x10 ? 2000 : 0);
	p[12] = 5 << 4;
	p[13] = flags;
	be16(p + 14, 512);
	return 20;
}

static uint32_t udp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t payload)
{
	memset(p, 0, 8);
	be16(p, sport);
	be16(p + 2, dport);
	be16(p + 4, 8 + payload);
	return 8;
}

static uint32_t icmp_echo(uint8_t *p, uint8_t type)
{
	memset(p, 0, 8);
	p[0] = type;
	be16(p + 4, 5);
	be16(p + 6, 1);
	return 8;
}

/* IPv4 header with addresses a.b.c.d as uint32_t, then l4 of l4len bytes
 * and payload zero bytes. */
static void ip4(struct pkt *k, uint8_t proto, uint32_t src, uint32_t dst, const uint8_t *l4,
		uint32_t l4len, uint32_t payload)
{
	uint8_t *p = k->b;

	memset(k, 0, sizeof(*k));
	p[0] = 0x45;
	be16(p + 2, 20 + l4len + payload);
	be16(p + 4, 0x1234);
	be16(p + 6, 0x4000); /* DF */
	p[8] = 64;
	p[9] = proto;
	be32(p + 12, src);
	be32(p + 16, dst);
	memcpy(p + 20, l4, l4len);
	k->len = 20 + l4len + payload;
}

static void ip6(struct pkt *k, uint8_t proto, uint8_t slast, uint8_t dlast, const uint8_t *l4,
		uint32_t l4len, uint32_t payload)
{
	uint8_t *p = k->b;

	memset(k, 0, sizeof(*k));
	p[0] = 0x60;
	be16(p + 4, l4len + payload);
	p[6] = proto;
	p[7] = 64;
	/* 2001:db8::slast > 2001:db8::dlast */
	be16(p + 8, 0x2001);
	be16(p + 10, 0x0db8);
	p[23] = slast;
	be16(p + 24, 0x2001);
	be16(p + 26, 0x0db8);
	p[39] = dlast;
	memcpy(p + 40, l4, l4len);
	k->len = 40 + l4len + payload;
}

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static struct pc_pktfilter *compile(const char *expr)
{
	struct pc_pktfilter *f = NULL;
	char err[256] = "";

	if (pc_pktfilter_new(&f, expr, 262144, err, sizeof(err))) {
		fprintf(stderr, "cannot compile '%s': %s\n", expr, err);
		unit_failed_checks++;
		return NULL;
	}
	return f;
}

/* 1 if expr matches k (whole packet captured) */
static int match(const char *expr, const struct pkt *k)
{
	struct pc_pktfilter *f = compile(expr);
	int r;

	if (!f)
		return -1;
	r = pc_pktfilter_match(f, k->b, k->len, k->len);
	pc_pktfilter_free(f);
	return r;
}

/* A fixed set of packets, each against every expression of the table. */
enum { T4_443, T4_443_REV, T4_80, T4_OTHERHOST, T4_ACK, U4_53, I4_ECHO, T6_443, U6_1500, I6_ECHO,
       NPKTS };

static struct pkt pkts[NPKTS];

static void build_packets(void)
{
	uint8_t l4[64];
	uint32_t n;

	n = tcp_hdr(l4, 40000, 443, 0x02); /* SYN */
	ip4(&pkts[T4_443], 6, A(10, 0, 0, 5), A(1, 2, 3, 4), l4, n, 0);
	n = tcp_hdr(l4, 443, 40000, 0x12); /* SYN-ACK */
	ip4(&pkts[T4_443_REV], 6, A(1, 2, 3, 4), A(10, 0, 0, 5), l4, n, 0);
	n = tcp_hdr(l4, 40000, 80, 0x02);
	ip4(&pkts[T4_80], 6, A(10, 0, 0, 5), A(1, 2, 3, 4), l4, n, 0);
	n = tcp_hdr(l4, 40000, 443, 0x02);
	ip4(&pkts[T4_OTHERHOST], 6, A(10, 0, 0, 5), A(1, 2, 3, 5), l4, n, 0);
	n = tcp_hdr(l4, 40000, 443, 0x18); /* PSH ACK */
	ip4(&pkts[T4_ACK], 6, A(10, 0, 0, 5), A(1, 2, 3, 4), l4, n, 100);
	n = udp_hdr(l4, 5353, 53, 12);
	ip4(&pkts[U4_53], 17, A(10, 0, 0, 5), A(9, 9, 9, 9), l4, n, 12);
	n = icmp_echo(l4, 8);
	ip4(&pkts[I4_ECHO], 1, A(10, 0, 0, 5), A(1, 2, 3, 4), l4, n, 56);
	n = tcp_hdr(l4, 40000, 443, 0x02);
	ip6(&pkts[T6_443], 6, 1, 2, l4, n, 0);
	n = udp_hdr(l4, 1500, 9999, 4);
	ip6(&pkts[U6_1500], 17, 1, 2, l4, n, 4);
	n = icmp_echo(l4, 128);
	ip6(&pkts[I6_ECHO], 58, 1, 2, l4, n, 56);
}

static const struct {
	const char *expr;
	const char *want; /* one character per packet, in enum order */
} table[] = {
	/*                                        T4 T4r 80 oh ack U4 I4 T6 U6 I6 */
	{ "tcp port 443 and host 1.2.3.4", "11001" "00000" },
	{ "tcp", "11111" "00100" },
	{ "udp", "00000" "10010" },
	{ "ip", "11111" "11000" },
	{ "ip6", "00000" "00111" },
	{ "icmp", "00000" "01000" },
	{ "icmp6", "00000" "00001" },
	{ "tcp port 443", "11011" "00100" },
	{ "port 53", "00000" "10000" },
	{ "portrange 400-500", "11011" "00100" },
	{ "portrange 1000-2000", "00000" "00010" },
	{ "portrange 1-52", "00000" "00000" },
	{ "not tcp", "00000" "11011" },
	{ "not port 443", "00100" "11011" },
	{ "src host 1.2.3.4", "01000" "00000" },
	{ "dst host 1.2.3.4", "10101" "01000" },
	{ "src host 10.0.0.5", "10111" "11000" },
	{ "host 2001:db8::1", "00000" "00111" },
	{ "dst host 2001:db8::1", "00000" "00000" },
	{ "src net 10.0.0.0/8", "10111" "11000" },
	{ "tcp[tcpflags] & tcp-syn != 0", "11110" "00000" },
	{ "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "10110" "00000" },
	{ "tcp[tcpflags] & tcp-push != 0", "00001" "00000" },
	{ "icmp[icmptype] == icmp-echo", "00000" "01000" },
	{ "ip6 and udp dst port 9999", "00000" "00010" },
	{ "less 41", "11110" "10000" },
	{ "greater 100", "00001" "00001" },
	{ "udp or icmp or icmp6", "00000" "11011" },
};

TEST(table)
{
	size_t i, j;

	build_packets();
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct pc_pktfilter *f = compile(table[i].expr);

		if (!f)
			continue;
		CHECK_EQ_INT(strlen(table[i].want), NPKTS);
		for (j = 0; j < NPKTS; j++) {
			int got = pc_pktfilter_match(f, pkts[j].b, pkts[j].len, pkts[j].len);
			int want = table[i].want[j] == '1';

			if (got != want) {
				fprintf(stderr, "%s:%d: '%s' on packet %zu: got %d, want %d\n",
					__FILE__, __LINE__, table[i].expr, j, got, want);
				unit_failed_checks++;
			}
		}
		pc_pktfilter_free(f);
	}
}

TEST(null_filter_matches_everything)
{
	size_t j;

	build_packets();
	for (j = 0; j < NPKTS; j++)
		CHECK_EQ_INT(pc_pktfilter_match(NULL, pkts[j].b, pkts[j].len, pkts[j].len), 1);
	CHECK_EQ_INT(pc_pktfilter_match(NULL, NULL, 0, 0), 1);
	pc_pktfilter_free(NULL);
}

/* The message libpcap itself gives for expr on a raw-IP handle. */
static void pcap_message(const char *expr, char *buf, size_t len)
{
	pcap_t *dead = pcap_open_dead(DLT_RAW, 262144);
	struct bpf_program prog;

	buf[0] = '\0';
	if (!dead)
		return;
	if (pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		snprintf(buf, len, "%s", pcap_geterr(dead));
	else
		pcap_freecode(&prog);
	pcap_close(dead);
}

TEST(compile_errors)
{
	static const char *bad[] = {
		"tcp port",              /* syntax error */
		"tcp port 99999",        /* port out of range */
		"net 10.0.0.0/33",       /* bad mask */
		"ether host 1:2:3:4:5:6", /* no link layer on raw IP */
		"portrange 10-",         /* syntax error */
		"tcp and and udp",       /* syntax error */
		"tcp[tcpflags] & tcp-syn !=",
		"(",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pc_pktfilter *f = (struct pc_pktfilter *)&f; /* not NULL */
		char err[512], lib[PCAP_ERRBUF_SIZE + 8], want[1024];

		memset(err, 0, sizeof(err));
		pcap_message(bad[i], lib, sizeof(lib));
		CHECK(lib[0] != '\0');
		CHECK_EQ_INT(pc_pktfilter_new(&f, bad[i], 262144, err, sizeof(err)), -EINVAL);
		CHECK(f == NULL);
		if (f && f != (struct pc_pktfilter *)&f)
			pc_pktfilter_free(f);
		snprintf(want, sizeof(want), "invalid filter '%s': %s", bad[i], lib);
		CHECK_EQ_STR(err, want);
	}
}

TEST(compile_error_small_buffer)
{
	struct pc_pktfilter *f;
	char err[16];

	memset(err, 'X', sizeof(err));
	CHECK_EQ_INT(pc_pktfilter_new(&f, "tcp port", 262144, err, sizeof(err)), -EINVAL);
	CHECK(f == NULL);
	CHECK_EQ_INT(strnlen(err, sizeof(err)), 15);
	CHECK_EQ_STR(err, "invalid filter ");
}

TEST(empty_expression_matches_everything)
{
	struct pc_pktfilter *f = compile("");
	size_t j;

	build_packets();
	if (!f)
		return;
	for (j = 0; j < NPKTS; j++)
		CHECK_EQ_INT(pc_pktfilter_match(f, pkts[j].b, pkts[j].len, pkts[j].len), 1);
	pc_pktfilter_free(f);
}

/* Bytes past caplen are not there: a filter that needs them rejects the
 * packet instead of reading them. */
TEST(caplen_and_wirelen)
{
	struct pc_pktfilter *syn = compile("tcp[tcpflags] & tcp-syn != 0");
	struct pc_pktfilter *port = compile("tcp dst port 443");
	struct pc_pktfilter *big = compile("greater 1000");
	struct pkt *k = &pkts[T4_443];
	uint8_t *copy;
	uint32_t cut;

	build_packets();
	if (!syn || !port || !big)
		goto out;
	for (cut = 0; cut <= k->len; cut++) {
		/* exactly cut bytes on the heap: ASan catches a read past them */
		copy = malloc(cut ? cut : 1);
		if (!copy)
			break;
		memcpy(copy, k->b, cut);
		CHECK_EQ_INT(pc_pktfilter_match(syn, copy, cut, k->len), cut >= 34);
		CHECK_EQ_INT(pc_pktfilter_match(port, copy, cut, k->len), cut >= 24);
		free(copy);
	}
	/* length tests use the wire length, not caplen */
	CHECK_EQ_INT(pc_pktfilter_match(big, k->b, 40, 1500), 1);
	CHECK_EQ_INT(pc_pktfilter_match(big, k->b, 40, 40), 0);
out:
	pc_pktfilter_free(syn);
	pc_pktfilter_free(port);
	pc_pktfilter_free(big);
}

TEST(ip_options_and_fragments)
{
	uint8_t l4[20];
	struct pkt k;
	uint32_t n = tcp_hdr(l4, 40000, 443, 0x02);

	/* IHL 6: 4 bytes of options (NOPs) before TCP */
	memset(&k, 0, sizeof(k));
	ip4(&k, 6, A(10, 0, 0, 5), A(1, 2, 3, 4), l4, 0, 0);
	k.b[0] = 0x46;
	memset(k.b + 20, 1, 4);
	memcpy(k.b + 24, l4, n);
	k.len = 24 + n;
	be16(k.b + 2, k.len);
	CHECK_EQ_INT(match("tcp port 443", &k), 1);
	CHECK_EQ_INT(match("tcp[tcpflags] & tcp-syn != 0", &k), 1);
	CHECK_EQ_INT(match("port 40000", &k), 1);

	/* a non-first fragment: its bytes are not a TCP header */
	ip4(&k, 6, A(10, 0, 0, 5), A(1, 2, 3, 4), l4, n, 0);
	be16(k.b + 6, 0x2000 | 185); /* MF, offset 1480 */
	CHECK_EQ_INT(match("tcp", &k), 1);
	CHECK_EQ_INT(match("tcp port 443", &k), 0);
	CHECK_EQ_INT(match("ip[6:2] & 0x1fff != 0", &k), 1);
}

int main(void)
{
	RUN(table);
	RUN(null_filter_matches_everything);
	RUN(compile_errors);
	RUN(compile_error_small_buffer);
	RUN(empty_expression_matches_everything);
	RUN(caplen_and_wirelen);
	RUN(ip_options_and_fragments);
	return UNIT_DONE();
}
