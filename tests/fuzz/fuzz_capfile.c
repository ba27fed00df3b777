// sources: src/pcapfile/capfile_read.c src/pcapfile/pcapng_comment.c src/cmd/print.c
// sources: src/packet/linkhdr.c src/packet/decode.c src/pcapfile/pcapng_write.c
// sources: src/packet/nd_ip.c src/packet/nd_tcp.c src/packet/nd_udp.c src/packet/nd_icmp.c
// sources: src/packet/nd_icmp6.c src/packet/nd_dns.c
// sources: src/lib/escape.c src/lib/clock.c src/lib/file.c src/lib/htab.c src/lib/strbuf.c
// sources: src/proc/procinfo.c src/proc/owner_desc.c src/proc/procparse.c src/proc/cgroups.c
// sources: src/proc/container.c
// libs: -ljansson
/* libFuzzer target for src/pcapfile/capfile_read.c: arbitrary bytes as a pcap or
 * pcapng file, every packet then formatted as text and JSON lines from the
 * file's process info (comments, Darwin process blocks and their 0x8001/
 * 0x8003 references, option 8: the -r path), with invariants checked by
 * trapping.
 * Not for the writer or the live printer. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcapfile/capfile_read.h"
#include "cmd/print.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static int on_packet(void *ctx, const struct pc_capfile_pkt *p)
{
	static char line[8192];
	struct pc_printer pr = { .out = NULL };
	unsigned int flags;
	size_t n;

	(void)ctx;
	check(p->rec && p->ip == p->rec->data);
	check(p->rec->caplen <= PC_CAPFILE_MAX_BLOCK);
	check(p->rec->len >= p->rec->caplen);
	check(p->rec->ifname[PC_IFNAME_LEN - 1] == 0);
	if (p->meta) { /* names from comments or process blocks stay in comm */
		check(p->meta->owner.comm[PC_COMM_LEN] == 0 && p->meta->peer.comm[PC_COMM_LEN] == 0);
		check(!(p->rec->flags & PC_PKT_OWNER) || p->rec->owner.pid);
	}
	for (flags = 0; flags < 4; flags++) {
		pr.json = flags & 1;
		pr.verbose = flags >> 1;
		n = pc_format_packet_meta(&pr, p->rec, p->meta, flags, line, sizeof(line));
		check(n < sizeof(line) && strlen(line) == n);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc_capfile_stats st;
	char err[256];
	FILE *f;
	int ret;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	ret = pc_capfile_read(f, on_packet, NULL, &st, err, sizeof(err));
	check(ret == 0 || ret == PC_CAPFILE_TRUNCATED || ret == -EINVAL || ret == -ENOMEM);
	check(ret == 0 || err[0]);
	check(strlen(err) < sizeof(err));
	fclose(f);
	return 0;
}
