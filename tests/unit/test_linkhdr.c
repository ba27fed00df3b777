/* Unit tests for src/packet/linkhdr.c, the one link-layer stripper of the
 * fallback and the file reader: VLAN depth, DLT_NULL/LOOP in both byte
 * orders, SLL direction. Not for the IP layer (test_decode.c). */
#include <errno.h>
#include <stdint.h>
#include <pcap/dlt.h>

#include "packet/linkhdr.h"
#include "unit.h"

static const uint8_t ip4[20] = { 0x45 };

TEST(vlan_depth_up_to_four)
{
	uint8_t f[14 + 5 * 4 + sizeof(ip4)] = { 0 };
	struct pc_linkhdr lh;
	int tags, i;

	for (tags = 0; tags <= 5; tags++) {
		uint32_t off = 12;

		for (i = 0; i < tags; i++, off += 4) {
			f[off] = i % 2 ? 0x81 : 0x88; /* 802.1Q and 802.1ad */
			f[off + 1] = i % 2 ? 0x00 : 0xa8;
		}
		f[off] = 0x08;
		f[off + 1] = 0x00;
		memcpy(f + off + 2, ip4, sizeof(ip4));
		if (tags <= 4) {
			CHECK_EQ_INT(pc_linkhdr_parse(DLT_EN10MB, f, off + 2 + sizeof(ip4), &lh), 0);
			CHECK_EQ_INT(lh.off, 14 + 4 * tags);
			CHECK_EQ_INT(lh.l3proto, 0x0800);
		} else {
			CHECK_EQ_INT(pc_linkhdr_parse(DLT_EN10MB, f, off + 2 + sizeof(ip4), &lh),
				     -EINVAL);
		}
	}
}

TEST(null_and_loop_address_family)
{
	uint8_t f[4 + sizeof(ip4)];
	struct pc_linkhdr lh;

	memcpy(f + 4, ip4, sizeof(ip4));
	/* AF_INET, little-endian (as written on x86) and big-endian */
	memcpy(f, "\x02\x00\x00\x00", 4);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_NULL, f, sizeof(f), &lh), 0);
	CHECK_EQ_INT(lh.off, 4);
	CHECK_EQ_INT(lh.l3proto, 0x0800);
	memcpy(f, "\x00\x00\x00\x02", 4);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_LOOP, f, sizeof(f), &lh), 0);
	CHECK_EQ_INT(lh.l3proto, 0x0800);
	/* AF_INET6 of Linux, FreeBSD, macOS, OpenBSD: the family decides,
	 * not the version nibble */
	memcpy(f, "\x1e\x00\x00\x00", 4);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_NULL, f, sizeof(f), &lh), 0);
	CHECK_EQ_INT(lh.l3proto, 0x86DD);
	memcpy(f, "\x00\x00\x00\x0a", 4);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_NULL, f, sizeof(f), &lh), 0);
	CHECK_EQ_INT(lh.l3proto, 0x86DD);
	/* not IP: skipped even though the next byte looks like IPv4 */
	memcpy(f, "\x07\x00\x00\x00", 4);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_NULL, f, sizeof(f), &lh), -EINVAL);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_NULL, f, 3, &lh), -EINVAL);
}

TEST(sll_direction_and_unknown_types)
{
	uint8_t f[20 + sizeof(ip4)] = { 0 };
	struct pc_linkhdr lh;

	f[1] = 4; /* PACKET_OUTGOING */
	f[14] = 0x86;
	f[15] = 0xDD;
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_LINUX_SLL, f, 16, &lh), 0);
	CHECK_EQ_INT(lh.pkttype, PC_PKTTYPE_OUTGOING);
	CHECK_EQ_INT(lh.l3proto, 0x86DD);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_LINUX_SLL, f, 15, &lh), -EINVAL);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_RAW, ip4, sizeof(ip4), &lh), 0);
	CHECK_EQ_INT(lh.pkttype, PC_PKTTYPE_UNKNOWN);
	CHECK_EQ_INT(pc_linkhdr_parse(DLT_IEEE802_11, f, sizeof(f), &lh), -ENOTSUP);
}

int main(void)
{
	RUN(vlan_depth_up_to_four);
	RUN(null_and_loop_address_family);
	RUN(sll_direction_and_unknown_types);
	return UNIT_DONE();
}
