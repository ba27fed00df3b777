/* Unit tests for src/pcapfile/capfile_read.c: files written by pcapng_write.c read
 * back field by field, foreign pcap/pcapng layouts (both byte orders, link
 * types), and the exact error for each kind of corrupt or hostile file.
 * Not for printing lines (tests/golden) or the writer's bytes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile/capfile_read.h"
#include "pcapfile/pcapng_write.h"
#include "pcapng_pkt.h"
#include "unit.h"

/* ---- a byte builder in either byte order ---- */
struct buf {
	uint8_t p[4096];
	size_t n;
	int be;
};

static void b8(struct buf *b, uint8_t v)
{
	if (b->n < sizeof(b->p))
		b->p[b->n++] = v;
}

static void b16(struct buf *b, uint16_t v)
{
	b8(b, b->be ? v >> 8 : v & 0xff);
	b8(b, b->be ? v & 0xff : v >> 8);
}

static void b32(struct buf *b, uint32_t v)
{
	if (b->be) {
		b16(b, v >> 16);
		b16(b, v & 0xffff);
	} else {
		b16(b, v & 0xffff);
		b16(b, v >> 16);
	}
}

static void bytes(struct buf *b, const void *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b8(b, ((const uint8_t *)d)[i]);
}

static void pad(struct buf *b)
{
	while (b->n % 4)
		b8(b, 0);
}

static void bopt(struct buf *b, uint16_t code, const void *d, uint16_t n)
{
	b16(b, code);
	b16(b, n);
	bytes(b, d, n);
	pad(b);
}

static void opt32(struct buf *b, uint16_t code, uint32_t v)
{
	b16(b, code);
	b16(b, 4);
	b32(b, v);
}

/* Starts a block; end_block() fills both lengths. */
static size_t begin_block(struct buf *b, uint32_t type)
{
	size_t at = b->n;

	b32(b, type);
	b32(b, 0);
	return at;
}

static void end_block(struct buf *b, size_t at)
{
	uint32_t len = (uint32_t)(b->n - at + 4);
	size_t save = b->n;

	b->n = at + 4;
	b32(b, len);
	b->n = save;
	b32(b, len);
}

static void shb(struct buf *b, const char *appl)
{
	size_t at = begin_block(b, 0x0A0D0D0A);

	b32(b, 0x1A2B3C4D);
	b16(b, 1);
	b16(b, 0);
	b32(b, 0xffffffff);
	b32(b, 0xffffffff);
	if (appl) {
		bopt(b, 4, appl, (uint16_t)strlen(appl));
		b32(b, 0);
	}
	end_block(b, at);
}

static void idb(struct buf *b, uint16_t linktype, const char *name, int tsresol)
{
	size_t at = begin_block(b, 1);
	uint8_t r = (uint8_t)tsresol;

	b16(b, linktype);
	b16(b, 0);
	b32(b, 262144);
	if (name)
		bopt(b, 2, name, (uint16_t)strlen(name));
	if (tsresol >= 0)
		bopt(b, 9, &r, 1);
	b32(b, 0);
	end_block(b, at);
}

static const uint8_t ip4_udp[28] = {
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x02, 0x30, 0x39, 0x00, 0x35,
	0x00, 0x08, 0x00, 0x00,
};

/* An EPB; proc/eproc >= 0 add options 0x8001/0x8003. */
static void epb_procs(struct buf *b, uint32_t ifid, uint64_t ts, const void *frame, uint32_t n,
		      const char *comment, int64_t proc, int64_t eproc)
{
	size_t at = begin_block(b, 6);

	b32(b, ifid);
	b32(b, (uint32_t)(ts >> 32));
	b32(b, (uint32_t)ts);
	b32(b, n);
	b32(b, n + 100);
	bytes(b, frame, n);
	pad(b);
	if (comment)
		bopt(b, 1, comment, (uint16_t)strlen(comment));
	if (proc >= 0)
		opt32(b, 0x8001, (uint32_t)proc);
	if (eproc >= 0)
		opt32(b, 0x8003, (uint32_t)eproc);
	b32(b, 0);
	end_block(b, at);
}

static void epb(struct buf *b, uint32_t ifid, uint64_t ts, const void *frame, uint32_t n,
		const char *comment)
{
	epb_procs(b, ifid, ts, frame, n, comment, -1, -1);
}

/* ---- reading ---- */
struct got {
	int n;
	struct pc_packet rec[4];
	uint8_t first_ip_byte[4];
	int dir_known[4];
	int meta[4];
	char comm[4][17];
	char cmdline[4][64];
	uint32_t pid[4], tid[4], peer_pid[4];
	char peer_comm[4][17];
	int stop_after;
};

static int collect(void *ctx, const struct pc_capfile_pkt *p)
{
	struct got *g = ctx;

	if (g->n < 4) {
		g->rec[g->n] = *p->rec;
		g->first_ip_byte[g->n] = p->rec->caplen ? p->ip[0] : 0;
		g->dir_known[g->n] = p->dir_known;
		g->meta[g->n] = p->meta != NULL;
		if (p->meta) {
			snprintf(g->comm[g->n], 17, "%.16s", p->meta->owner.comm);
			snprintf(g->cmdline[g->n], 64, "%.63s", p->meta->owner.cmdline);
			g->pid[g->n] = p->meta->owner.known ? p->meta->owner.pid : 0;
			g->tid[g->n] = p->meta->owner.tid;
			g->peer_pid[g->n] = p->meta->peer.known ? p->meta->peer.pid : 0;
			snprintf(g->peer_comm[g->n], 17, "%.16s", p->meta->peer.comm);
		}
	}
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

static char err[512];
static struct pc_capfile_stats st;

static int read_mem(const void *data, size_t n, struct got *g)
{
	FILE *f = fmemopen((void *)data, n ? n : 1, "rb");
	int ret;

	if (!n) { /* fmemopen wants a size: read an empty stream instead */
		fclose(f);
		f = fopen("/dev/null", "rb");
	}
	memset(g, 0, offsetof(struct got, stop_after));
	ret = pc_capfile_read(f, collect, g, &st, err, sizeof(err));
	fclose(f);
	return ret;
}

static const struct pc_pcapng_section sec = { "x86_64", "Linux", "pidcap 0.1.0" };

TEST(pidcap_file_round_trip)
{
	struct pc_packet *rec = calloc(1, sizeof(*rec) + sizeof(ip4_udp));
	struct pc_pcapng_w *w = NULL;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	struct got g = { 0 };

	rec->dir = PC_DIR_OUT;
	rec->ifindex = 7;
	rec->len = 1000;
	rec->caplen = sizeof(ip4_udp);
	rec->netns = 4026531840u;
	rec->l3proto = 0x0800;
	strcpy(rec->ifname, "veth0");
	memcpy(rec->data, ip4_udp, sizeof(ip4_udp));
	CHECK_EQ_INT(pc_pcapng_w_new(&w, f, &sec, 65536), 0);
	CHECK_EQ_INT(pkt(w, rec, 1700000000123456789ull, 42, 43,
					 "pid=42 tid=43 comm=cu\\x20rl uid=7 cmdline=a\\x20b "
					 "peer_pid=9 peer_tid=9 peer_comm=srv segs=3"), 0);
	rec->dir = PC_DIR_IN;
	CHECK_EQ_INT(pkt(w, rec, 5, 0, 0, "owner=none"), 0);
	fflush(f);
	CHECK_EQ_INT(read_mem(mem, memlen, &g), 0);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(st.format, PC_CAPFILE_PCAPNG);
	CHECK_EQ_INT(st.pidcap_section, 1);
	CHECK_EQ_INT(g.rec[0].ts_ns, 1700000000123456789ull);
	CHECK_EQ_INT(g.rec[0].dir, PC_DIR_OUT);
	CHECK_EQ_INT(g.dir_known[0], 1);
	CHECK_EQ_INT(g.rec[0].ifindex, 7);
	CHECK_EQ_INT(g.rec[0].len, 1000);
	CHECK_EQ_INT(g.rec[0].caplen, sizeof(ip4_udp));
	CHECK_EQ_INT(g.rec[0].netns, 4026531840u);
	CHECK_EQ_INT(g.rec[0].l3proto, 0x0800);
	CHECK_EQ_INT(g.rec[0].gso_segs, 3);
	CHECK_EQ_STR(g.rec[0].ifname, "veth0");
	CHECK_EQ_INT(g.first_ip_byte[0], 0x45);
	CHECK_EQ_INT(g.rec[0].flags, PC_PKT_OWNER | PC_PKT_PEER);
	CHECK_EQ_INT(g.rec[0].owner.pid, 42);
	CHECK_EQ_INT(g.rec[0].owner.tid, 43);
	CHECK_EQ_INT(g.rec[0].owner.uid, 7);
	CHECK_EQ_INT(g.rec[0].peer.pid, 9);
	CHECK_EQ_STR(g.comm[0], "cu rl");
	CHECK_EQ_STR(g.cmdline[0], "a b");
	CHECK_EQ_INT(g.rec[1].dir, PC_DIR_IN);
	CHECK_EQ_INT(g.meta[1], 1);
	CHECK_EQ_INT(g.rec[1].flags, 0);
	CHECK_EQ_INT(g.rec[1].gso_segs, 1);
	pc_pcapng_w_free(w);
	fclose(f);
	free(mem);
	free(rec);
}

/* pidcap's process blocks without comments: owner from 0x8001, thread
 * from option 8, peer from 0x8003; a renamed process gets a new block. */
TEST(process_blocks_round_trip)
{
	struct pc_packet *rec = calloc(1, sizeof(*rec) + sizeof(ip4_udp));
	struct pc_pcapng_pkt o = { .comment_len = -1 };
	uint32_t curl, srv, again, renamed;
	struct pc_pcapng_w *w = NULL;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	struct got g = { 0 };

	rec->dir = PC_DIR_OUT;
	rec->caplen = rec->len = sizeof(ip4_udp);
	rec->l3proto = 0x0800;
	strcpy(rec->ifname, "lo");
	memcpy(rec->data, ip4_udp, sizeof(ip4_udp));
	CHECK_EQ_INT(pc_pcapng_w_new(&w, f, &sec, 65536), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 4821, "cu rl\x01", &curl), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 912, "nginx", &srv), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 4821, "cu rl\x01", &again), 0);
	CHECK_EQ_INT(curl, 0);
	CHECK_EQ_INT(srv, 1);
	CHECK_EQ_INT(again, 0);
	o.pid = 4821;
	o.tid = 4822;
	o.proc = curl;
	o.eproc = srv;
	CHECK_EQ_INT(pc_pcapng_w_packet(w, rec, 1, &o), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 4821, "bash", &renamed), 0);
	CHECK_EQ_INT(renamed, 2);
	o.proc = renamed;
	o.eproc = PC_PCAPNG_NO_PROC;
	CHECK_EQ_INT(pc_pcapng_w_packet(w, rec, 2, &o), 0);
	pc_pcapng_w_free(w);
	fflush(f);
	CHECK_EQ_INT(read_mem(mem, memlen, &g), 0);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.meta[0], 1);
	CHECK_EQ_INT(g.pid[0], 4821);
	CHECK_EQ_INT(g.tid[0], 4822);
	CHECK_EQ_STR(g.comm[0], "cu rl\x01"); /* escaped in the file, raw again here */
	CHECK_EQ_INT(g.peer_pid[0], 912);
	CHECK_EQ_STR(g.peer_comm[0], "nginx");
	CHECK_EQ_STR(g.comm[1], "bash");
	CHECK_EQ_INT(g.peer_pid[1], 0);
	fclose(f);
	free(mem);
	free(rec);
}

/* A macOS tcpdump -k file (big-endian here): DPIBs with names longer than
 * comm, 0x8001 names the owner, 0x8003 (Apple's "effective" process) is no
 * peer; bad references are errors with their offset. */
TEST(foreign_process_blocks)
{
	uint8_t frame[4 + sizeof(ip4_udp)] = { 2, 0, 0, 0 }; /* NULL: AF_INET */
	struct buf b = { .be = 1 };
	struct got g = { 0 };
	size_t at;

	memcpy(frame + 4, ip4_udp, sizeof(ip4_udp));
	shb(&b, "tcpdump");
	idb(&b, 0, "en0", -1);
	at = begin_block(&b, 0x80000001);
	b32(&b, 77);
	bopt(&b, 2, "com.apple.WebKit.Networking", 27);
	bopt(&b, 4, "0123456789abcdef", 16);
	b32(&b, 0);
	end_block(&b, at);
	at = begin_block(&b, 0x80000001);
	b32(&b, 78);
	b32(&b, 0); /* no name */
	end_block(&b, at);
	epb_procs(&b, 0, 1, frame, sizeof(frame), NULL, 0, 1);
	CHECK_EQ_INT(read_mem(b.p, b.n, &g), 0);
	CHECK_EQ_INT(g.n, 1);
	CHECK_EQ_INT(g.pid[0], 77);
	CHECK_EQ_STR(g.comm[0], "com.apple.WebKit");
	CHECK_EQ_INT(g.peer_pid[0], 0);

	/* an index past the blocks read so far */
	b.n = 0;
	shb(&b, "tcpdump");
	idb(&b, 0, "en0", -1);
	epb_procs(&b, 0, 1, frame, sizeof(frame), NULL, 3, -1);
	CHECK_EQ_INT(read_mem(b.p, b.n, &g), -EINVAL);
	CHECK(strstr(err, "names process block 3, but the section has 0") != NULL);
	CHECK(strstr(err, "offset ") == err);
	/* a process block too short for its pid */
	b.n = 0;
	shb(&b, "tcpdump");
	at = begin_block(&b, 0x80000001);
	end_block(&b, at);
	CHECK_EQ_INT(read_mem(b.p, b.n, &g), -EINVAL);
	CHECK(strstr(err, "shorter than the 16-byte minimum") != NULL);
}

TEST(foreign_pcapng_big_endian_link_types)
{
	static const uint8_t eth[14] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00 };
	static const uint8_t arp[14] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06 };
	static const uint8_t vlan[18] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0, 5, 0x08, 0x00 };
	uint8_t frame[64];
	struct buf b = { .be = 1 };
	struct got g = { 0 };
	size_t at;

	shb(&b, "Dumpcap (Wireshark) 4.0");
	idb(&b, 1, "eth0", 0x89); /* if_tsresol 2^-9 */
	idb(&b, 0, "null", -1);   /* microseconds by default */
	memcpy(frame, eth, 14);
	memcpy(frame + 14, ip4_udp, sizeof(ip4_udp));
	epb(&b, 0, 1024, frame, 14 + sizeof(ip4_udp), "someone else's comment");
	memcpy(frame, arp, 14);
	epb(&b, 0, 1, frame, 14 + 28, NULL); /* ARP: skipped */
	at = begin_block(&b, 0x0BAD);        /* custom block: skipped */
	b32(&b, 12345);
	end_block(&b, at);
	memcpy(frame, vlan, 18);
	memcpy(frame + 18, ip4_udp, sizeof(ip4_udp));
	epb(&b, 0, 2048, frame, 18 + sizeof(ip4_udp), NULL);
	frame[0] = 0; frame[1] = 0; frame[2] = 0; frame[3] = 2; /* AF_INET, this (BE) order */
	memcpy(frame + 4, ip4_udp, sizeof(ip4_udp));
	epb(&b, 1, 3000000, frame, 4 + sizeof(ip4_udp), NULL);
	CHECK_EQ_INT(read_mem(b.p, b.n, &g), 0);
	CHECK_EQ_INT(g.n, 3);
	CHECK_EQ_INT(st.skipped, 1);
	CHECK_EQ_INT(st.pidcap_section, 0);
	CHECK_EQ_INT(g.rec[0].ts_ns, 2000000000ull); /* 1024 / 512 s */
	CHECK_EQ_INT(g.meta[0], 0);
	CHECK_EQ_INT(g.dir_known[0], 0);
	CHECK_EQ_STR(g.rec[0].ifname, "eth0");
	CHECK_EQ_INT(g.rec[0].len, 100 + sizeof(ip4_udp));
	CHECK_EQ_INT(g.first_ip_byte[1], 0x45);
	CHECK_EQ_INT(g.rec[1].caplen, sizeof(ip4_udp));
	CHECK_EQ_INT(g.rec[2].ts_ns, 3000000000ull);
	CHECK_EQ_INT(g.first_ip_byte[2], 0x45);
	CHECK_EQ_STR(g.rec[2].ifname, "null");
}

static void pcap_header(struct buf *b, uint32_t magic, uint32_t linktype)
{
	b32(b, magic);
	b16(b, 2);
	b16(b, 4);
	b32(b, 0);
	b32(b, 0);
	b32(b, 262144);
	b32(b, linktype);
}

static void pcap_rec(struct buf *b, uint32_t sec, uint32_t frac, const void *d, uint32_t n)
{
	b32(b, sec);
	b32(b, frac);
	b32(b, n);
	b32(b, n);
	bytes(b, d, n);
}

TEST(pcap_orders_and_resolutions)
{
	static const uint8_t sll[16] = { 0, 4, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00 };
	uint8_t frame[64];
	int be, nano;

	for (be = 0; be < 2; be++) {
		for (nano = 0; nano < 2; nano++) {
			struct buf b = { .be = be };
			struct got g = { 0 };

			pcap_header(&b, nano ? 0xa1b23c4d : 0xa1b2c3d4, 113);
			memcpy(frame, sll, 16);
			memcpy(frame + 16, ip4_udp, sizeof(ip4_udp));
			pcap_rec(&b, 10, 5, frame, 16 + sizeof(ip4_udp));
			CHECK_EQ_INT(read_mem(b.p, b.n, &g), 0);
			CHECK_EQ_INT(st.format, PC_CAPFILE_PCAP);
			CHECK_EQ_INT(g.n, 1);
			CHECK_EQ_INT(g.rec[0].ts_ns, 10000000000ull + (nano ? 5 : 5000));
			CHECK_EQ_INT(g.rec[0].dir, PC_DIR_OUT); /* SLL packet type 4 */
			CHECK_EQ_INT(g.dir_known[0], 1);
			CHECK_EQ_INT(g.first_ip_byte[0], 0x45);
			CHECK_EQ_STR(g.rec[0].ifname, "");
		}
	}
}

TEST(callback_stops)
{
	struct buf b = { 0 };
	struct got g = { .stop_after = 2 };
	int i;

	pcap_header(&b, 0xa1b2c3d4, 101);
	for (i = 0; i < 5; i++)
		pcap_rec(&b, 1, 0, ip4_udp, sizeof(ip4_udp));
	CHECK_EQ_INT(read_mem(b.p, b.n, &g), PC_CAPFILE_STOPPED);
	CHECK_EQ_INT(g.n, 2);
}

/* ---- errors: each file and the exact message ---- */

static void expect(const struct buf *b, int want_ret, int want_n, const char *want_err)
{
	struct got g = { 0 };
	int ret = read_mem(b->p, b->n, &g);

	CHECK_EQ_INT(ret, want_ret);
	CHECK_EQ_INT(g.n, want_n);
	CHECK_EQ_STR(err, want_err);
}

TEST(errors_magic_and_headers)
{
	struct buf b = { 0 };

	expect(&b, -EINVAL, 0, "offset 0: empty file, not a pcap or pcapng file");
	bytes(&b, "\x7f" "ELF", 4);
	expect(&b, -EINVAL, 0, "offset 0: not a pcap or pcapng file (magic bytes 7f 45 4c 46)");
	b.n = 0;
	bytes(&b, "\x0a\x0d", 2);
	expect(&b, -EINVAL, 0, "offset 0: file too short for a magic number, not a pcap or pcapng file");
	b.n = 0;
	pcap_header(&b, 0xa1b2c3d4, 1);
	b.n = 10;
	expect(&b, PC_CAPFILE_TRUNCATED, 0,
	       "offset 0: file ends inside the 24-byte pcap file header (10 of 24 bytes): "
	       "the last packet may be lost");
	b.n = 0;
	b32(&b, 0xa1b2c3d4);
	b16(&b, 3);
	b16(&b, 0);
	b.n = 24;
	expect(&b, -EINVAL, 0, "offset 4: pcap version 3.0 is not supported (want 2.x)");
	b.n = 0;
	shb(&b, NULL);
	b.p[8] = 0x12;
	expect(&b, -EINVAL, 0,
	       "offset 8: byte-order magic 0x1a2b3c12 is neither 0x1a2b3c4d nor 0x4d3c2b1a");
	b.n = 0;
	shb(&b, NULL);
	b.p[12] = 2;
	expect(&b, -EINVAL, 0, "offset 12: pcapng version 2.0 is not supported (want 1.x)");
}

TEST(errors_block_lengths)
{
	struct buf b = { 0 };
	size_t base;

	shb(&b, NULL); /* 28 bytes */
	base = b.n;
	b32(&b, 1);
	b32(&b, 8);
	b32(&b, 8);
	expect(&b, -EINVAL, 0, "offset 28: block length 8 is shorter than the 12-byte minimum");
	b.n = base;
	b32(&b, 1);
	b32(&b, 0); /* a zero length must not loop */
	expect(&b, -EINVAL, 0, "offset 28: block length 0 is shorter than the 12-byte minimum");
	b.n = base;
	b32(&b, 1);
	b32(&b, 22);
	expect(&b, -EINVAL, 0, "offset 28: block length 22 is not a multiple of 4");
	b.n = base;
	b32(&b, 1);
	b32(&b, 0xfffffff0);
	expect(&b, -EINVAL, 0,
	       "offset 28: block length 4294967280 is larger than the 16777216-byte limit");
	b.n = base;
	b32(&b, 0x12345); /* unknown type, trailing length disagrees */
	b32(&b, 16);
	b32(&b, 0);
	b32(&b, 20);
	expect(&b, -EINVAL, 0, "offset 40: trailing block length 20 differs from the leading 16");
	b.n = 0;
	b32(&b, 0x0A0D0D0A);
	b32(&b, 24);
	b32(&b, 0x1A2B3C4D);
	b.n = 24;
	expect(&b, -EINVAL, 0,
	       "offset 0: section header block of 24 bytes is shorter than the 28-byte minimum");
}

TEST(errors_inside_blocks)
{
	struct buf b = { 0 };
	size_t at, base;

	shb(&b, NULL);
	base = b.n;
	epb(&b, 0, 0, ip4_udp, sizeof(ip4_udp), NULL);
	expect(&b, -EINVAL, 0, "offset 36: packet on interface 0, but the section describes 0 interfaces");
	b.n = base;
	idb(&b, 101, "x", -1);
	base = b.n; /* 28 + 32 = 60 */
	at = begin_block(&b, 6);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 9); /* caplen 9, but the block holds 4 */
	b32(&b, 9);
	b32(&b, 0);
	end_block(&b, at);
	expect(&b, -EINVAL, 0, "offset 80: captured length 9 runs past the end of its 36-byte block");
	b.n = base;
	at = begin_block(&b, 6);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 0);
	b16(&b, 1); /* comment of 200 bytes in a 4-byte space */
	b16(&b, 200);
	end_block(&b, at);
	expect(&b, -EINVAL, 0,
	       "offset 88: option 1 of 200 bytes runs past the end of its block (0 bytes left)");
	b.n = 0;
	shb(&b, NULL);
	at = begin_block(&b, 1);
	b16(&b, 1);
	b16(&b, 0);
	b32(&b, 0);
	bopt(&b, 9, "\x7f", 1);
	b32(&b, 0);
	end_block(&b, at);
	expect(&b, -EINVAL, 0, "offset 44: if_tsresol 0x7f is not supported");
	b.n = 0;
	shb(&b, NULL);
	at = begin_block(&b, 3);
	b32(&b, 4);
	end_block(&b, at);
	expect(&b, -EINVAL, 0, "offset 28: simple packet block before any interface description");
}

TEST(truncated_last_block_keeps_earlier_packets)
{
	struct buf b = { 0 };
	size_t whole;

	shb(&b, NULL);
	idb(&b, 101, "x", -1);
	epb(&b, 0, 0, ip4_udp, sizeof(ip4_udp), NULL);
	epb(&b, 0, 0, ip4_udp, sizeof(ip4_udp), NULL);
	whole = b.n;
	epb(&b, 0, 0, ip4_udp, sizeof(ip4_udp), NULL);
	b.n -= 10;
	expect(&b, PC_CAPFILE_TRUNCATED, 2,
	       "offset 188: file ends inside a block (54 of 64 bytes): the last packet may be lost");
	b.n = whole + 5;
	expect(&b, PC_CAPFILE_TRUNCATED, 2,
	       "offset 188: file ends inside a block header (5 of 8 bytes): the last packet may be lost");
	b.n = 0;
	pcap_header(&b, 0xa1b2c3d4, 101);
	pcap_rec(&b, 1, 0, ip4_udp, sizeof(ip4_udp));
	pcap_rec(&b, 1, 0, ip4_udp, sizeof(ip4_udp));
	b.n -= 1;
	expect(&b, PC_CAPFILE_TRUNCATED, 1,
	       "offset 68: file ends inside a record (43 of 44 bytes): the last packet may be lost");
	b.n = 0;
	pcap_header(&b, 0xa1b2c3d4, 101);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 0x7fffffff);
	b32(&b, 0x7fffffff);
	expect(&b, -EINVAL, 0,
	       "offset 24: captured length 2147483647 is larger than the 16777216-byte limit");
}

int main(void)
{
	RUN(pidcap_file_round_trip);
	RUN(process_blocks_round_trip);
	RUN(foreign_process_blocks);
	RUN(foreign_pcapng_big_endian_link_types);
	RUN(pcap_orders_and_resolutions);
	RUN(callback_stops);
	RUN(errors_magic_and_headers);
	RUN(errors_block_lengths);
	RUN(errors_inside_blocks);
	RUN(truncated_last_block_keeps_earlier_packets);
	return UNIT_DONE();
}
