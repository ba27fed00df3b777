/* Unit tests for src/pcapfile/pcapng_write.c: the exact bytes of the SHB, IDB and EPB
 * for a known record (expected bytes computed independently, little-endian
 * host), one IDB per (netns, ifname), rotation restart, bad input.
 * Not for reading files back (test_capfile_read.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile/pcapng_write.h"
#include "pcapng_pkt.h"
#include "unit.h"

static const uint8_t want_shb[76] = {
	0x0a, 0x0d, 0x0d, 0x0a, 0x4c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a,
	0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x02, 0x00, 0x06, 0x00, 0x78, 0x38, 0x36, 0x5f, 0x36, 0x34, 0x00, 0x00,
	0x03, 0x00, 0x09, 0x00, 0x4c, 0x69, 0x6e, 0x75, 0x78, 0x20, 0x36, 0x2e,
	0x31, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0c, 0x00, 0x70, 0x69, 0x64, 0x63,
	0x61, 0x70, 0x20, 0x30, 0x2e, 0x31, 0x2e, 0x30, 0x00, 0x00, 0x00, 0x00,
	0x4c, 0x00, 0x00, 0x00,
};
static const uint8_t want_idb[60] = {
	0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x14, 0x01, 0x00, 0x00,
	0x14, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x6c, 0x6f, 0x00, 0x00,
	0x03, 0x00, 0x10, 0x00, 0x6e, 0x65, 0x74, 0x6e, 0x73, 0x20, 0x34, 0x30,
	0x32, 0x36, 0x35, 0x33, 0x31, 0x38, 0x33, 0x33, 0x09, 0x00, 0x01, 0x00,
	0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
};
static const uint8_t want_epb[136] = {
	0x06, 0x00, 0x00, 0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xfe, 0x9c, 0x97, 0x17, 0x15, 0xcd, 0x85, 0x3d, 0x30, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x30, 0x39, 0x00, 0x35,
	0x00, 0x08, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x08, 0x00, 0xd5, 0x12, 0x00, 0x00, 0xd6, 0x12, 0x00, 0x00,
	0x01, 0x00, 0x1b, 0x00, 0x70, 0x69, 0x64, 0x3d, 0x34, 0x38, 0x32, 0x31,
	0x20, 0x74, 0x69, 0x64, 0x3d, 0x34, 0x38, 0x32, 0x32, 0x20, 0x63, 0x6f,
	0x6d, 0x6d, 0x3d, 0x63, 0x75, 0x72, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x88, 0x00, 0x00, 0x00,
};

static const uint8_t udp_ip[28] = {
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x30, 0x39, 0x00, 0x35,
	0x00, 0x08, 0x00, 0x00,
};

static const struct pc_pcapng_section sec = { "x86_64", "Linux 6.1", "pidcap 0.1.0" };

static struct pc_packet *make_rec(const char *ifname, uint32_t netns)
{
	struct pc_packet *rec = calloc(1, sizeof(*rec) + sizeof(udp_ip));

	rec->type = PC_REC_PACKET;
	rec->dir = PC_DIR_OUT;
	rec->ifindex = 1;
	rec->len = sizeof(udp_ip);
	rec->caplen = sizeof(udp_ip);
	rec->netns = netns;
	rec->gso_segs = 1;
	rec->l3proto = 0x0800;
	snprintf(rec->ifname, sizeof(rec->ifname), "%s", ifname);
	memcpy(rec->data, udp_ip, sizeof(udp_ip));
	return rec;
}

/* Compares got[off..) with want, reporting the first differing byte. */
static int same(const char *what, const uint8_t *got, size_t gotlen, size_t off,
		const uint8_t *want, size_t wantlen)
{
	size_t i;

	if (off + wantlen > gotlen) {
		fprintf(stderr, "%s: output too short (%zu < %zu)\n", what, gotlen, off + wantlen);
		return 0;
	}
	for (i = 0; i < wantlen; i++) {
		if (got[off + i] != want[i]) {
			fprintf(stderr, "%s: byte %zu is 0x%02x, want 0x%02x\n", what, i, got[off + i],
				want[i]);
			return 0;
		}
	}
	return 1;
}

static int little_endian(void)
{
	uint16_t one = 1;

	return *(uint8_t *)&one == 1;
}

TEST(exact_bytes)
{
	struct pc_packet *rec = make_rec("lo", 4026531833u);
	struct pc_pcapng_w *w = NULL;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);

	CHECK(little_endian()); /* the expected bytes are little-endian */
	CHECK_EQ_INT(pc_pcapng_w_new(&w, f, &sec, 65536), 0);
	CHECK_EQ_INT(pc_pcapng_w_bytes(w), sizeof(want_shb));
	CHECK_EQ_INT(pkt(w, rec, 1700000000123456789ull, 4821, 4822,
					 "pid=4821 tid=4822 comm=curl"), 0);
	fflush(f);
	CHECK_EQ_INT(memlen, sizeof(want_shb) + sizeof(want_idb) + sizeof(want_epb));
	CHECK(same("shb", (uint8_t *)mem, memlen, 0, want_shb, sizeof(want_shb)));
	CHECK(same("idb", (uint8_t *)mem, memlen, sizeof(want_shb), want_idb, sizeof(want_idb)));
	CHECK(same("epb", (uint8_t *)mem, memlen, sizeof(want_shb) + sizeof(want_idb), want_epb,
		   sizeof(want_epb)));
	pc_pcapng_w_free(w);
	fclose(f);
	free(mem);
	free(rec);
}

/* A Darwin Process Information Block as Wireshark 4.6 reads it: type
 * 0x80000001, length, pid, option 2 (name, escaped), end of options. */
TEST(process_block_bytes)
{
	static const uint8_t want_dpib[36] = {
		0x01, 0x00, 0x00, 0x80, 36, 0, 0, 0, 0x90, 0x03, 0, 0, /* pid 912 */
		2, 0, 9, 0, 'n', 'g', '\\', 'x', '0', '1', 'n', 'x', '!', 0, 0, 0,
		0, 0, 0, 0, 36, 0, 0, 0,
	};
	struct pc_pcapng_w *w = NULL;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	uint32_t i1, i2;

	CHECK(little_endian());
	CHECK_EQ_INT(pc_pcapng_w_new(&w, f, &sec, 65536), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 912, "ng\x01nx!", &i1), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 912, "ng\x01nx!", &i2), 0);
	fflush(f);
	CHECK_EQ_INT(i1, 0);
	CHECK_EQ_INT(i2, 0);
	CHECK_EQ_INT(memlen, sizeof(want_shb) + sizeof(want_dpib));
	CHECK(same("dpib", (uint8_t *)mem, memlen, sizeof(want_shb), want_dpib, sizeof(want_dpib)));
	/* a new file starts its indexes again and repeats the block */
	CHECK_EQ_INT(pc_pcapng_w_restart(w, f), 0);
	CHECK_EQ_INT(pc_pcapng_w_process(w, 912, "ng\x01nx!", &i1), 0);
	CHECK_EQ_INT(i1, 0);
	pc_pcapng_w_free(w);
	fclose(f);
	free(mem);
}

/* Block types in order, walking total lengths (little-endian). */
static int block_types(const uint8_t *p, size_t len, uint32_t *types, int max)
{
	size_t off = 0;
	uint32_t t, l;
	int n = 0;

	while (off + 8 <= len && n < max) {
		memcpy(&t, p + off, 4);
		memcpy(&l, p + off + 4, 4);
		if (l < 12 || off + l > len)
			return -1;
		types[n++] = t;
		off += l;
	}
	return off == len ? n : -1;
}

TEST(one_idb_per_netns_ifname_and_restart)
{
	struct pc_packet *a = make_rec("lo", 1), *b = make_rec("lo", 2), *c = make_rec("eth0", 1);
	struct pc_pcapng_w *w = NULL;
	char *m1 = NULL, *m2 = NULL;
	size_t l1 = 0, l2 = 0;
	FILE *f1 = open_memstream(&m1, &l1), *f2 = open_memstream(&m2, &l2);
	uint32_t t[16];
	const uint32_t want1[] = { 0x0A0D0D0A, 1, 6, 1, 6, 6, 1, 6, 6 };
	const uint32_t want2[] = { 0x0A0D0D0A, 1, 1, 1, 6 };
	int n, i;

	CHECK_EQ_INT(pc_pcapng_w_new(&w, f1, &sec, 65536), 0);
	CHECK_EQ_INT(pkt(w, a, 1, 1, 1, NULL), 0);
	CHECK_EQ_INT(pkt(w, b, 2, 0, 0, "owner=none"), 0);
	CHECK_EQ_INT(pkt(w, a, 3, 1, 1, NULL), 0);
	CHECK_EQ_INT(pkt(w, c, 4, 1, 1, NULL), 0);
	CHECK_EQ_INT(pkt(w, b, 5, 1, 1, NULL), 0);
	fflush(f1);
	n = block_types((uint8_t *)m1, l1, t, 16);
	CHECK_EQ_INT(n, 9);
	for (i = 0; i < n && i < 9; i++)
		CHECK_EQ_INT(t[i], want1[i]);
	/* a new file: SHB and the three IDBs again, then the packet */
	CHECK_EQ_INT(pc_pcapng_w_restart(w, f2), 0);
	CHECK_EQ_INT(pkt(w, c, 6, 1, 1, NULL), 0);
	fflush(f2);
	CHECK_EQ_INT(pc_pcapng_w_bytes(w), l2);
	n = block_types((uint8_t *)m2, l2, t, 16);
	CHECK_EQ_INT(n, 5);
	for (i = 0; i < n && i < 5; i++)
		CHECK_EQ_INT(t[i], want2[i]);
	pc_pcapng_w_free(w);
	fclose(f1);
	fclose(f2);
	free(m1);
	free(m2);
	free(a);
	free(b);
	free(c);
}

TEST(rejects_bad_input)
{
	struct pc_packet *rec = make_rec("eth0", 1);
	struct pc_pcapng_w *w = NULL;
	char *mem = NULL, *big;
	size_t memlen = 0, before;
	FILE *f = open_memstream(&mem, &memlen);

	CHECK_EQ_INT(pc_pcapng_w_new(&w, f, &sec, 16), 0);
	fflush(f);
	before = memlen;
	/* caplen above the snaplen the IDB announces */
	CHECK_EQ_INT(pkt(w, rec, 1, 1, 1, NULL), -EINVAL);
	pc_pcapng_w_free(w);
	CHECK_EQ_INT(pc_pcapng_w_new(&w, f, &sec, 65536), 0);
	big = malloc(70000);
	memset(big, 'a', 69999);
	big[69999] = 0;
	CHECK_EQ_INT(pkt(w, rec, 1, 1, 1, big), -EINVAL);
	fflush(f);
	CHECK_EQ_INT(memlen, before + sizeof(want_shb)); /* nothing but the SHB */
	pc_pcapng_w_free(w);
	pc_pcapng_w_free(NULL);
	free(big);
	fclose(f);
	free(mem);
	free(rec);
}

TEST(sll2_header)
{
	struct pc_packet *rec = make_rec("eth0", 1);
	uint8_t h[PC_SLL2_HDR_LEN];
	const uint8_t want[PC_SLL2_HDR_LEN] = { 0x86, 0xdd, 0, 0, 0, 0, 0x01, 0x02, 0x00, 0x01, 0x00 };

	rec->dir = PC_DIR_IN;
	rec->l3proto = 0x86DD;
	rec->ifindex = 0x102;
	pc_sll2_header(rec, h);
	CHECK(!memcmp(h, want, sizeof(h)));
	free(rec);
}

int main(void)
{
	RUN(exact_bytes);
	RUN(process_block_bytes);
	RUN(one_idb_per_netns_ifname_and_restart);
	RUN(rejects_bad_input);
	RUN(sll2_header);
	return UNIT_DONE();
}
