// sources: src/fallback/sockdiag.c src/fallback/procconn.c src/fallback/procfd.c
// sources: src/proc/procparse.c src/packet/linkhdr.c src/lib/file.c src/fallback/netlink.c
/* libFuzzer target for the fallback backend's parsers of kernel bytes:
 * sock_diag replies and destroy notifications (src/fallback/sockdiag.c), proc
 * connector events (src/fallback/procconn.c), /proc/PID/fd link targets
 * (src/fallback/procfd.c) and libpcap's link-layer headers (src/packet/linkhdr.c). The
 * first byte picks the parser; invariants are checked by trapping.
 * Not for the I/O around them. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <pcap/dlt.h>
#include "packet/linkhdr.h"
#include "fallback/procconn.h"
#include "fallback/procfd.h"
#include "fallback/sockdiag.h"

static size_t seen;

static int on_sock(void *ctx, const struct pc_sock *sk)
{
	(void)ctx;
	if (sk->family != 2 && sk->family != 10) /* AF_INET, AF_INET6 only */
		__builtin_trap();
	seen++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_EN10MB, DLT_RAW,
				    DLT_NULL, DLT_IPV4 };
	struct pc_procconn_event ev;
	struct pc_linkhdr lh;
	uint8_t copy[65536];
	uint32_t inode;
	int r;

	if (size < 1 || size - 1 > sizeof(copy))
		return 0;
	/* an exact-size heap-like copy: ASan sees any read past the end */
	memcpy(copy, data + 1, size - 1);
	size--;
	switch (data[0] % 4) {
	case 0:
		seen = 0;
		r = pc_sockdiag_parse(copy, size, on_sock, NULL);
		if (r > PC_SOCKDIAG_DONE || r < -4095)
			__builtin_trap();
		break;
	case 1:
		r = pc_procconn_parse(copy, size, &ev);
		if (!r && (ev.what < PC_PROCCONN_FORK || ev.what > PC_PROCCONN_COMM ||
			   ev.comm[15] != 0))
			__builtin_trap();
		break;
	case 2:
		if (!pc_procfd_parse_link((const char *)copy, size, &inode) && !inode)
			__builtin_trap();
		break;
	case 3:
		r = pc_linkhdr_parse(dlts[size % 6], copy, size, &lh);
		if (!r && (lh.off > size || (lh.l3proto != 0x0800 && lh.l3proto != 0x86DD)))
			__builtin_trap();
		break;
	}
	return 0;
}
