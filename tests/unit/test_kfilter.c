/* Equivalence of the in-kernel filter and libpcap: a corpus of filter
 * expressions, each translated (packet/bpfconv.c) and run on a capture set
 * of IPv4/IPv6 packets (extension headers, fragments, TCP/UDP/ICMP/ICMPv6,
 * truncated ones) in the kernel (BPF_PROG_TEST_RUN of the program that
 * capture/kfilter.c loads) and in tests/unit/ebpf_interp.h; both must
 * accept exactly the packets pcap_offline_filter accepts. Needs root. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "capture/kfilter.h"
#include "packet/bpfconv.h"
#include "packet/pktfilter.h"
#include "ebpf_interp.h"
#include "unit.h"

#define MAXPKT 1600

struct pkt {
	const char *name;
	uint8_t b[MAXPKT];
	uint32_t len;
};

static struct pkt pkts[96];
static size_t npkts;

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

/* L4 header at p; returns its length. */
static uint32_t l4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags,
		   uint32_t payload)
{
	switch (proto) {
	case 6:
		be16(p, sport);
		be16(p + 2, dport);
		be32(p + 4, 0x01020304);
		be32(p + 8, flags & 0x10 ? 0x0a0b0c0d : 0);
		p[12] = flags == 0x02 ? 0x80 : 0x50; /* SYN with 12 bytes of options */
		p[13] = flags;
		be16(p + 14, 65535);
		if (flags == 0x02) {
			memcpy(p + 20, "\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x00\x00", 12);
			memcpy(p + 32, "GET / HTTP/1.1\r\n", payload < 16 ? payload : 16);
			return 32;
		}
		memcpy(p + 20, "GET / HTTP/1.1\r\n", payload < 16 ? payload : 16);
		return 20;
	case 17:
		be16(p, sport);
		be16(p + 2, dport);
		be16(p + 4, 8 + payload);
		return 8;
	case 1:
	case 58:
		p[0] = sport; /* type */
		p[1] = dport; /* code */
		be16(p + 4, 0x1234);
		be16(p + 6, 1);
		return 8;
	}
	return 0;
}

static struct pkt *add(const char *name)
{
	struct pkt *p = &pkts[npkts++];

	memset(p, 0, sizeof(*p));
	p->name = name;
	return p;
}

/* IPv4: ihl 5 or 6 (options), frag = flags and offset field. */
static struct pkt *ip4(const char *name, uint32_t src, uint32_t dst, uint8_t proto,
		       uint16_t sport, uint16_t dport, uint8_t flags, uint32_t payload, int ihl,
		       uint16_t frag)
{
	struct pkt *p = add(name);
	uint32_t h = ihl * 4, l;

	p->b[0] = 0x40 | ihl;
	p->b[1] = 0x10;
	p->b[8] = 64;
	p->b[9] = proto;
	be16(p->b + 4, 0x4242);
	be16(p->b + 6, frag);
	be32(p->b + 12, src);
	be32(p->b + 16, dst);
	if (ihl > 5)
		memset(p->b + 20, 1, h - 20); /* NOP options */
	l = (frag & 0x1fff) ? 0 : l4(p->b + h, proto, sport, dport, flags, payload);
	if (frag & 0x1fff) /* later fragment: data that looks like ports */
		be32(p->b + h, 0x00500035);
	p->len = h + l + payload;
	be16(p->b + 2, p->len);
	return p;
}

/* IPv6 with extension headers exts[] (next header values) before proto. */
static struct pkt *ip6(const char *name, const char *src, const char *dst, const uint8_t *exts,
		       int nexts, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags,
		       uint32_t payload, uint16_t fragoff)
{
	struct pkt *p = add(name);
	uint32_t off = 40, l = 0;
	int i;

	p->b[0] = 0x60;
	p->b[7] = 64;
	memcpy(p->b + 8, src, 16);
	memcpy(p->b + 24, dst, 16);
	p->b[6] = nexts ? exts[0] : proto;
	for (i = 0; i < nexts; i++) {
		uint8_t next = i + 1 < nexts ? exts[i + 1] : proto;

		p->b[off] = next;
		if (exts[i] == 44) { /* fragment: offset in 8-byte units, M */
			be16(p->b + off + 2, fragoff);
			be32(p->b + off + 4, 0xabcd);
			off += 8;
		} else {
			p->b[off + 1] = 0; /* 8 bytes: PadN */
			p->b[off + 2] = 1;
			p->b[off + 3] = 4;
			off += 8;
		}
	}
	if (!(fragoff & 0xfff8))
		l = l4(p->b + off, proto, sport, dport, flags, payload);
	p->len = off + l + payload;
	be16(p->b + 4, p->len - 40);
	return p;
}

static struct pkt *cut(const char *name, const struct pkt *from, uint32_t len)
{
	struct pkt *p = add(name);

	memcpy(p->b, from->b, MAXPKT);
	p->len = len;
	return p;
}

#define A(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
static const char V6_A[16] = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01";
static const char V6_B[16] = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02";
static const char V6_LO[16] = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01";
static const char V6_LL[16] = "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x07";
static const char V6_MC[16] = "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\x01";
static const char V6_SN[16] = "\xff\x02\0\0\0\0\0\0\0\0\0\x01\xff\0\0\x02";

static void build_capture_set(void)
{
	static const uint8_t hop[] = { 0 }, rt[] = { 43 }, dst[] = { 60 }, frag[] = { 44 },
			     hop_dst[] = { 0, 60 }, hop_frag[] = { 0, 44 };
	struct pkt *t4, *u4, *t6, *o4, *h6;

	t4 = ip4("v4 tcp syn", A(10, 0, 0, 1), A(10, 0, 0, 2), 6, 40000, 80, 0x02, 0, 5, 0x4000);
	ip4("v4 tcp psh-ack payload", A(192, 168, 1, 10), A(10, 1, 2, 3), 6, 443, 51000, 0x18, 100, 5, 0x4000);
	ip4("v4 tcp fin-ack", A(10, 0, 0, 2), A(10, 0, 0, 1), 6, 80, 40000, 0x11, 0, 5, 0x4000);
	ip4("v4 tcp rst", A(10, 0, 0, 2), A(10, 0, 0, 1), 6, 22, 40001, 0x04, 0, 5, 0);
	ip4("v4 tcp urg ece cwr", A(10, 9, 9, 9), A(10, 0, 0, 1), 6, 1024, 2048, 0xe0, 10, 5, 0);
	ip4("v4 tcp ack", A(172, 16, 0, 1), A(172, 16, 0, 2), 6, 22, 60000, 0x10, 0, 5, 0x4000);
	u4 = ip4("v4 udp dns", A(127, 0, 0, 1), A(127, 0, 0, 53), 17, 51234, 53, 0, 40, 5, 0);
	ip4("v4 udp 9 flood", A(127, 0, 0, 1), A(127, 0, 0, 1), 17, 40000, 9, 0, 36, 5, 0x4000);
	ip4("v4 udp 1500", A(10, 0, 0, 1), A(10, 0, 0, 2), 17, 5000, 5001, 0, 1472, 5, 0);
	ip4("v4 udp bcast", A(10, 0, 0, 1), A(255, 255, 255, 255), 17, 68, 67, 0, 300, 5, 0);
	ip4("v4 udp mcast", A(10, 0, 0, 1), A(224, 0, 0, 251), 17, 5353, 5353, 0, 20, 5, 0);
	ip4("v4 icmp echo", A(10, 0, 0, 1), A(8, 8, 8, 8), 1, 8, 0, 0, 56, 5, 0);
	ip4("v4 icmp reply", A(8, 8, 8, 8), A(10, 0, 0, 1), 1, 0, 0, 0, 56, 5, 0);
	ip4("v4 icmp unreach", A(10, 0, 0, 2), A(10, 0, 0, 1), 1, 3, 3, 0, 28, 5, 0);
	o4 = ip4("v4 options tcp", A(10, 0, 0, 1), A(10, 0, 0, 2), 6, 40002, 80, 0x18, 30, 6, 0);
	ip4("v4 options 15 udp", A(10, 0, 0, 1), A(10, 0, 0, 2), 17, 53, 53, 0, 10, 15, 0);
	ip4("v4 frag first udp", A(10, 0, 0, 1), A(10, 0, 0, 2), 17, 53, 9, 0, 100, 5, 0x2000);
	ip4("v4 frag middle", A(10, 0, 0, 1), A(10, 0, 0, 2), 17, 0, 0, 0, 100, 5, 0x2000 | 185);
	ip4("v4 frag last tcp", A(10, 0, 0, 1), A(10, 0, 0, 2), 6, 0, 0, 0, 60, 5, 370);
	ip4("v4 gre", A(10, 0, 0, 1), A(10, 0, 0, 2), 47, 0, 0, 0, 24, 5, 0);
	ip4("v4 sctp", A(10, 0, 0, 1), A(10, 0, 0, 2), 132, 0, 0, 0, 24, 5, 0);
	ip4("v4 proto 0", A(0, 0, 0, 0), A(0, 0, 0, 0), 0, 0, 0, 0, 4, 5, 0);
	ip4("v4 ttl 64 tcp 0 0", A(10, 0, 0, 1), A(10, 0, 0, 2), 6, 0, 0, 0x00, 0, 5, 0);
	cut("v4 tcp cut at 30", t4, 30);
	cut("v4 tcp cut at 34", t4, 34);
	cut("v4 tcp cut at 20", t4, 20);
	cut("v4 cut at 10", t4, 10);
	cut("v4 cut at 1", t4, 1);
	cut("v4 udp cut at 22", u4, 22);
	cut("v4 udp cut at 27", u4, 27);
	cut("v4 options cut at 23", o4, 23);
	cut("empty", t4, 0);

	t6 = ip6("v6 tcp syn", V6_A, V6_B, NULL, 0, 6, 40000, 443, 0x02, 0, 0);
	ip6("v6 tcp ack payload", V6_B, V6_A, NULL, 0, 6, 443, 40000, 0x18, 200, 0);
	ip6("v6 tcp rst", V6_B, V6_A, NULL, 0, 6, 80, 40000, 0x14, 0, 0);
	ip6("v6 udp dns lo", V6_LO, V6_LO, NULL, 0, 17, 40000, 53, 0, 30, 0);
	ip6("v6 udp 9", V6_A, V6_B, NULL, 0, 17, 40000, 9, 0, 18, 0);
	ip6("v6 icmp6 echo", V6_A, V6_B, NULL, 0, 58, 128, 0, 0, 56, 0);
	ip6("v6 icmp6 reply", V6_B, V6_A, NULL, 0, 58, 129, 0, 0, 56, 0);
	ip6("v6 icmp6 ns", V6_LL, V6_SN, NULL, 0, 58, 135, 0, 0, 16, 0);
	ip6("v6 icmp6 ra mcast", V6_LL, V6_MC, NULL, 0, 58, 134, 0, 0, 8, 0);
	h6 = ip6("v6 hop-by-hop udp", V6_A, V6_B, hop, 1, 17, 40000, 53, 0, 20, 0);
	ip6("v6 routing tcp", V6_A, V6_B, rt, 1, 6, 40000, 80, 0x02, 0, 0);
	ip6("v6 dstopts tcp", V6_A, V6_B, dst, 1, 6, 40000, 22, 0x18, 10, 0);
	ip6("v6 hop dstopts icmp6", V6_A, V6_B, hop_dst, 2, 58, 128, 0, 0, 8, 0);
	ip6("v6 frag first udp", V6_A, V6_B, frag, 1, 17, 53, 9, 0, 100, 1);
	ip6("v6 frag later udp", V6_A, V6_B, frag, 1, 17, 0, 0, 0, 100, 185 << 3);
	ip6("v6 hop frag tcp", V6_A, V6_B, hop_frag, 2, 6, 40000, 80, 0x02, 0, 1);
	ip6("v6 no next", V6_A, V6_B, NULL, 0, 59, 0, 0, 0, 0, 0);
	ip6("v6 ll tcp", V6_LL, V6_LL, NULL, 0, 6, 22, 22, 0x10, 0, 0);
	cut("v6 cut at 20", t6, 20);
	cut("v6 cut at 40", t6, 40);
	cut("v6 tcp cut at 53", t6, 53);
	cut("v6 hop cut at 44", h6, 44);
	cut("v6 hop cut at 50", h6, 50);

	/* neither IPv4 nor IPv6 */
	memset(add("version 0")->b, 0, 40);
	pkts[npkts - 1].len = 40;
	memset(add("version 5")->b, 0x55, 60);
	pkts[npkts - 1].len = 60;
}

/* The corpus: at least 150 expressions that libpcap compiles for packets
 * starting at the IP header. */
static const char *const exprs[] = {
	/* everything and nothing */
	"", "ip or ip6 or not ip", "len >= 0", "1 == 1", "0 == 0 and 1 != 0", "ip or not ip",
	"len > 100000", "greater 100000", "len < 0", "ip[0] & 0xf0 == 0x70",
	"ip[0] == 0x99", "ip6[0] == 0",
	/* protocols */
	"ip", "ip6", "tcp", "udp", "icmp", "icmp6", "not ip", "not tcp", "not ip6",
	"ip and tcp", "ip6 and udp", "ip6 and not icmp6", "icmp or icmp6", "tcp or udp",
	"not (tcp or udp)", "not not tcp", "sctp", "ip6 and tcp",
	/* proto */
	"proto 6", "ip proto 17", "ip proto \\udp", "ip proto \\tcp", "ip6 proto 58",
	"ip6 proto 6", "ip proto 47", "proto 132", "ip proto 1 or ip6 proto 58",
	"ip6 proto 0", "ip6 proto 44", "ip6 proto 43", "ip6 proto 60", "ip6 proto 59",
	"ip proto 0", "proto 17 and not ip6",
	/* host */
	"host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.2", "host 2001:db8::1",
	"src host ::1", "dst host ff02::1", "host 127.0.0.1 or host ::1", "not host 10.0.0.1",
	"host 10.0.0.1 and host 10.0.0.2", "src host 10.0.0.1 and dst port 80",
	"dst host 255.255.255.255", "host fe80::7", "src or dst host 10.0.0.2",
	"ip6 host 2001:db8::2", "ip host 127.0.0.53", "host 8.8.8.8 and icmp",
	/* net */
	"net 10.0.0.0/8", "net 192.168.0.0/16", "src net 10.0.0.0/24", "dst net 224.0.0.0/4",
	"net 2001:db8::/32", "net fe80::/10", "net ff00::/8", "net 0.0.0.0/0", "net ::/0",
	"net 10.0.0.0 mask 255.0.0.0", "net 127", "dst net 127.0.0.0/8 and udp",
	"src net 2001:db8::/64", "not net 10.0.0.0/8", "net 172.16.0.0/12 or net 192.168.0.0/16",
	"dst net ff02::1:ff00:0/104",
	/* port */
	"port 80", "tcp port 80", "udp port 53", "src port 40000", "dst port 443", "port 9",
	"udp dst port 9", "tcp src port 443", "port 53 and ip6", "not port 22",
	"ip6 and tcp port 443", "port 0", "port 53 or port 80", "udp port 9 and ip",
	"tcp dst port 22", "port 5353", "sctp port 80",
	/* portrange */
	"portrange 1-1024", "tcp portrange 40000-50000", "udp portrange 50-60",
	"src portrange 1-100", "dst portrange 443-443", "portrange 65535-65535",
	"ip6 and portrange 20-80", "not portrange 1-1023",
	/* tcp flags */
	"tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"tcp[tcpflags] & tcp-rst != 0", "tcp[tcpflags] & tcp-fin != 0",
	"tcp[tcpflags] == tcp-ack", "tcp[13] & 0x40 != 0",
	"tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0", "tcp[tcpflags] & tcp-push != 0",
	"tcp[tcpflags] & tcp-urg != 0", "ip6 proto 6 and ip6[53] & 2 != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src net 10.0.0.0/8",
	/* ip[...] arithmetic */
	"ip[0] & 0xf > 5", "ip[2:2] > 100", "ip[8] == 64", "ip[1] & 0xfc == 0x10",
	"ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0", "ip[2:2] - ((ip[0] & 0xf) << 2) > 20",
	"ip[9] + 1 == 7", "ip[9] * 2 == 34", "ip[9] / 2 == 8", "ip[9] % 5 == 1",
	"ip[12:4] == 0x0a000001", "ip[16:4] & 0xffffff00 == 0x0a000000", "ip[9] ^ 0xff == 0xf9",
	"ip[9] | 0x10 == 0x11", "ip[0] >> 4 == 4", "ip[0] << 1 == 0x8a", "- ip[9] + 6 == 0",
	"ip[0:4] & ip[4:4] != 0", "ip[2:2] / ip[9] > 3", "len / (ip[8] - 64) > 0",
	"ip[2:2] % (ip[8] - 64) == 0", "ip[0] << (ip[9] - 1) != 0",
	"ip[0] >> (ip[8] - 30) == 0", "ip[ip[0] & 0xf] == 0", "ip[len - 1] == 0", "ip[len] == 0",
	"ip[65535] == 0", "ip[4000] == 0", "ip[1500:4] == 0", "ip[20:4] = 0x9c400050",
	"ip[6:2] & 0x3fff != 0 and udp", "ip[2:2] == len", "ip[9] - ip[8] > 0",
	"ip[8] * ip[9] == 1088", "ip[9] & ip[8] == 0", "ip[9] | ip[8] == 70",
	"ip[9] ^ ip[8] == 70", "ip[0] << ip[9] == 0", "ip[0] >> ip[9] == 0",
	"ip[9] % ip[8] == 6", "ip[12:2] == 0x7f00",
	/* ip6[...] */
	"ip6[6] == 17", "ip6[0] >> 4 == 6", "ip6[4:2] > 20", "ip6[40] == 128", "ip6[7] == 64",
	"ip6[8:4] == 0x20010db8", "ip6[6] == 0 and ip6[40] == 17", "ip6[len - 1] != 1",
	"ip6[48] & 0xf0 == 0x50", "ip6[40:2] == 0x8000",
	/* tcp[...] udp[...] icmp[...] */
	"tcp[0:2] == 80", "tcp[2:2] > 1024", "tcp[12] >> 4 > 5", "tcp[4:4] != 0",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "tcp[20] == 2", "tcp[100] == 0",
	"tcp[tcp[12] >> 4] > 0", "udp[0:2] == 53", "udp[2:2] == 9", "udp[4:2] > 20",
	"udp[8] == 0", "icmp[0] == 8", "icmp[icmptype] == icmp-echo",
	"icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
	"icmp[icmpcode] == 3", "icmp6[0] == 128", "icmp6[0] == 135 or icmp6[0] == 134",
	"icmp6[icmp6type] == icmp6-echo",
	/* len */
	"len > 100", "len < 60", "len == 84", "len >= 1500", "less 64", "greater 1000",
	"len - 20 > 40", "len * 2 > 200", "len & 1 == 1", "len <= 40 and ip6",
	/* combinations */
	"tcp and port 80 or udp and port 53", "(host 10.0.0.1 or host 10.0.0.2) and not port 22",
	"ip and (tcp[tcpflags] & tcp-syn != 0 or udp port 9)", "(ip6 or ip) and len > 0",
	"tcp port 80 and (tcp[tcpflags] & tcp-syn != 0) and len < 100",
	"not (host 10.0.0.1 and port 80)", "udp and not port 53 and not port 9",
	"ip multicast", "ip6 multicast", "ip6 protochain 6", "ip protochain 17",
	"icmp or (udp and dst port 9) or (tcp and src port 443)",
};

#define NEXPRS (sizeof(exprs) / sizeof(exprs[0]))

/* The kernel side: a program array whose slot 0 holds a program that
 * returns 0, so that a filter program's test run returns 0 exactly when
 * it tail-called (accepted) and 1 when it did not. */
struct kernel {
	int map_fd, cont_fd;
};

static int kernel_open(struct kernel *k)
{
	struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint32_t zero = 0;

	/* a program array's programs share one attach type (kernel 6.18) */
	k->map_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "kf_test", 4, 4, 1, NULL);
	if (k->map_fd < 0)
		return -errno;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_CGROUP_INET_EGRESS);

	k->cont_fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "kf_cont", "GPL", ret0, 2, &opts);
	if (k->cont_fd < 0)
		return -errno;
	if (bpf_map_update_elem(k->map_fd, &zero, &k->cont_fd, BPF_ANY))
		return -errno;
	return 0;
}

static int have_kernel;
static struct kernel kern;
static unsigned int translated, refused, kernel_runs;

TEST(kernel_available)
{
	CHECK(have_kernel || getenv("PIDCAP_UNIT_NO_KERNEL"));
}

/* 1 accepted, 0 rejected, -1 error; the packet goes behind an Ethernet
 * header, which the test run takes off as the stack would. */
static int kernel_run(int prog_fd, const struct pkt *p)
{
	uint8_t frame[14 + MAXPKT] = { 0 };
	int v = p->len ? p->b[0] >> 4 : 4;

	/* the test run wants the whole IP header its protocol names; an IP
	 * packet shorter than that never reaches cgroup_skb anyway: such
	 * packets go as a local experimental protocol */
	if (p->len < (v == 6 ? 40u : 20u))
		be16(frame + 12, 0x88b5);
	else
		be16(frame + 12, v == 6 ? 0x86dd : 0x0800);
	memcpy(frame + 14, p->b, p->len);
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = 14 + p->len,
			    .repeat = 1);

		if (bpf_prog_test_run_opts(prog_fd, &t)) {
			fprintf(stderr, "test run of '%s': %s\n", p->name, strerror(errno));
			return -1;
		}
		return t.retval == 0;
	}
}

TEST(equivalence)
{
	size_t e, i;
	char err[512];

	for (e = 0; e < NEXPRS; e++) {
		struct pc_pktfilter *f = NULL;
		const struct pc_cbpf_insn *cbpf;
		struct bpf_insn *prog = NULL;
		size_t ncbpf, n;
		int fd = -1;

		if (pc_pktfilter_new(&f, exprs[e], 262144, err, sizeof(err))) {
			fprintf(stderr, "corpus: %s\n", err);
			CHECK(!"every expression of the corpus compiles");
			continue;
		}
		pc_pktfilter_cbpf(f, &cbpf, &ncbpf);
		if (pc_bpfconv(cbpf, ncbpf, 99, 0, &prog, &n, err, sizeof(err))) {
			/* only protochain's backward jumps are refused */
			if (!strstr(exprs[e], "protochain")) {
				fprintf(stderr, "'%s': %s\n", exprs[e], err);
				CHECK(!"translated");
			}
			refused++;
			pc_pktfilter_free(f);
			continue;
		}
		translated++;
		if (have_kernel) {
			fd = pc_kfilter_load(f, kern.map_fd, 0, 1, 2, err, sizeof(err));
			if (fd < 0) {
				fprintf(stderr, "'%s': %s\n", exprs[e], err);
				CHECK(!"the kernel loads the program");
			}
		}
		for (i = 0; i < npkts; i++) {
			const struct pkt *p = &pkts[i];
			int want = pc_pktfilter_match(f, p->b, p->len, p->len);
			/* all linear (direct reads), 21 bytes linear (both), none (the
			 * helper alone) */
			static const uint32_t linear[] = { MAXPKT, 21, 0 };

			for (size_t l = 0; l < 3; l++) {
				int got = ei_run(prog, n, p->b, p->len, linear[l]);

				if (got != want) {
					fprintf(stderr, "'%s' on '%s' (%u linear): libpcap %d, "
						"translated %d\n", exprs[e], p->name, linear[l],
						want, got);
					CHECK(!"interpreter agrees with libpcap");
				}
			}
			if (fd >= 0) {
				int got = kernel_run(fd, p);

				kernel_runs++;
				if (got != want) {
					fprintf(stderr, "'%s' on '%s': libpcap %d, kernel %d\n",
						exprs[e], p->name, want, got);
					CHECK(!"kernel agrees with libpcap");
				}
			}
		}
		if (fd >= 0)
			close(fd);
		free(prog);
		pc_pktfilter_free(f);
	}
	CHECK(translated >= 150);
	if (have_kernel)
		CHECK(kernel_runs == translated * npkts);
}

/* Hand-made classic programs libpcap does not emit: a division by a zero
 * X, shifts by 32 and more, scratch memory, X
 * loads (MSH, indirect); and two that libpcap 1.10 cannot run (it runs
 * them off their end), which reject as newer libpcap does. */
TEST(handmade)
{
	static const struct pc_cbpf_insn progs[][10] = {
		{ { 0x00, 0, 0, 7 }, { 0x01, 0, 0, 0 }, { 0x3c, 0, 0, 0 }, { 0x16, 0, 0, 0 } },
		{ { 0x00, 0, 0, 1 }, { 0x01, 0, 0, 33 }, { 0x6c, 0, 0, 0 }, { 0x16, 0, 0, 0 } },
		{ { 0x00, 0, 0, 0x80 }, { 0x01, 0, 0, 32 }, { 0x7c, 0, 0, 0 }, { 0x16, 0, 0, 0 } },
		{ { 0x20, 0, 0, 0 }, { 0x02, 0, 0, 3 }, { 0x00, 0, 0, 0 }, { 0x61, 0, 0, 3 },
		  { 0x87, 0, 0, 0 }, { 0x1d, 0, 1, 0 }, { 0x06, 0, 0, 1 }, { 0x06, 0, 0, 0 } },
		{ { 0x00, 0, 0, 0 }, { 0x02, 0, 0, 5 }, { 0x61, 0, 0, 5 }, { 0x87, 0, 0, 0 },
		  { 0x15, 1, 0, 0 }, { 0x06, 0, 0, 0 }, { 0x07, 0, 0, 0 }, { 0x50, 0, 0, 0 },
		  { 0x16, 0, 0, 0 } },
		{ { 0xb1, 0, 0, 0 }, { 0x48, 0, 0, 2 }, { 0x45, 0, 1, 0xffff }, { 0x06, 0, 0, 1 },
		  { 0x06, 0, 0, 0 } },
		{ { 0x80, 0, 0, 0 }, { 0x07, 0, 0, 0 }, { 0x40, 0, 0, 0xfffffffe }, { 0x16, 0, 0, 0 } },
	};
	static const size_t lens[] = { 4, 4, 4, 8, 9, 5, 4 };
	/* ldb [0] and nothing after; ldb [0], jeq #0x45 jt 0 jf 200, ret #1 */
	static const struct pc_cbpf_insn off_end[] = { { 0x30, 0, 0, 0 } },
					 far[] = { { 0x30, 0, 0, 0 }, { 0x15, 0, 200, 0x45 },
						   { 0x06, 0, 0, 1 } };
	struct bpf_insn *prog = NULL;
	size_t p, i, n;
	char err[256];

	for (p = 0; p < sizeof(lens) / sizeof(lens[0]); p++) {
		if (pc_bpfconv(progs[p], lens[p], 99, 0, &prog, &n, err, sizeof(err))) {
			fprintf(stderr, "handmade %zu: %s\n", p, err);
			CHECK(!"translated");
			continue;
		}
		for (i = 0; i < npkts; i++) {
			int want = pc_pktfilter_match_cbpf(progs[p], lens[p], pkts[i].b,
							   pkts[i].len, pkts[i].len);

			if (ei_run(prog, n, pkts[i].b, pkts[i].len, MAXPKT) != want ||
			    ei_run(prog, n, pkts[i].b, pkts[i].len, 3) != want) {
				fprintf(stderr, "handmade %zu on '%s': libpcap %d\n", p,
					pkts[i].name, want);
				CHECK(!"interpreter agrees with libpcap");
			}
		}
		free(prog);
	}
	CHECK_EQ_INT(pc_bpfconv(off_end, 1, 99, 0, &prog, &n, err, sizeof(err)), 0);
	for (i = 0; i < npkts; i++)
		CHECK_EQ_INT(ei_run(prog, n, pkts[i].b, pkts[i].len, MAXPKT), 0);
	free(prog);
	CHECK_EQ_INT(pc_bpfconv(far, 3, 99, 0, &prog, &n, err, sizeof(err)), 0);
	for (i = 0; i < npkts; i++)
		CHECK_EQ_INT(ei_run(prog, n, pkts[i].b, pkts[i].len, MAXPKT),
			     pkts[i].len > 0 && pkts[i].b[0] == 0x45);
	free(prog);
}

/* What it refuses: backward jumps, unknown opcodes, constant division
 * by 0, shifts of 32 or more, a scratch word read before a write. */
TEST(refusals)
{
	static const struct pc_cbpf_insn back[] = { { 0x05, 0, 0, 0xffffffff }, { 0x06, 0, 0, 1 } },
					 bad[] = { { 0xff, 0, 0, 0 }, { 0x06, 0, 0, 1 } },
					 div0[] = { { 0x34, 0, 0, 0 }, { 0x16, 0, 0, 0 } },
					 sh32[] = { { 0x64, 0, 0, 32 }, { 0x16, 0, 0, 0 } },
					 /* M[1] written on one path only, then read */
					 unset[] = { { 0x30, 0, 0, 0 }, { 0x15, 0, 1, 0x45 },
						     { 0x02, 0, 0, 1 }, { 0x60, 0, 0, 1 },
						     { 0x16, 0, 0, 0 } };
	struct bpf_insn *prog = NULL;
	size_t n;
	char err[256];

	CHECK_EQ_INT(pc_bpfconv(back, 2, 1, 0, &prog, &n, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "backward") != NULL);
	CHECK_EQ_INT(pc_bpfconv(bad, 2, 1, 0, &prog, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(pc_bpfconv(div0, 2, 1, 0, &prog, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(pc_bpfconv(sh32, 2, 1, 0, &prog, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(pc_bpfconv(unset, 5, 1, 0, &prog, &n, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "M[1]") != NULL);
	CHECK_EQ_INT(pc_bpfconv(back, 0, 1, 0, &prog, &n, err, sizeof(err)), -EINVAL);
	CHECK(prog == NULL);
}

/* PIDCAP_BPF_REJECT=pc_filter acts as the kernel's refusal. */
TEST(reject_by_env)
{
	struct pc_pktfilter *f = NULL;
	char err[512];

	if (!have_kernel)
		return;
	CHECK_EQ_INT(pc_pktfilter_new(&f, "udp port 9", 256, err, sizeof(err)), 0);
	setenv("PIDCAP_BPF_REJECT", "pc_exec,pc_filter", 1);
	CHECK_EQ_INT(pc_kfilter_load(f, kern.map_fd, 0, 1, 0, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, "the kernel refused the generated program") != NULL);
	unsetenv("PIDCAP_BPF_REJECT");
	pc_pktfilter_free(f);
}

int main(void)
{
	int err;

	build_capture_set();
	err = kernel_open(&kern);
	have_kernel = !err;
	if (!have_kernel) {
		/* make check runs as root: a kernel that cannot test-run is a
		 * failure there, not a skip */
		fprintf(stderr, "test_kfilter: cannot test-run eBPF programs (%s)%s\n",
			strerror(-err), getenv("PIDCAP_UNIT_NO_KERNEL") ? "" :
			"; PIDCAP_UNIT_NO_KERNEL=1 runs the rest");
	}
	RUN(kernel_available);
	RUN(equivalence);
	RUN(handmade);
	RUN(refusals);
	RUN(reject_by_env);
	fprintf(stderr, "test_kfilter: %zu expressions (%u translated, %u refused) x %zu packets, "
		"%u kernel test runs\n", NEXPRS, translated, refused, npkts, kernel_runs);
	return UNIT_DONE();
}
