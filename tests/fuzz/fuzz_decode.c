// sources: src/packet/decode.c
/* libFuzzer target for src/packet/decode.c: arbitrary bytes as an IP packet, then
 * the summary and address formatters, with invariants checked by trapping.
 * Not for escaping (fuzz_escape.c) or link-layer input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "packet/decode.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void one(const uint8_t *data, uint32_t size, uint32_t wirelen)
{
	struct pc_decoded d;
	char sum[256], addr[46];
	size_t small;
	char *buf;
	int rc;

	rc = pc_decode_ip(data, size, wirelen, &d);
	check(rc == 0 || rc == -EINVAL);
	check(rc == 0 ? (d.family == AF_INET || d.family == AF_INET6) :
			d.family == 0);
	check(d.payload >= -1);
	if (d.payload >= 0)
		check((uint64_t)d.payload + d.l4_off <= d.ip_len);

	pc_l4_summary(&d, sum, sizeof(sum));
	check(strlen(sum) < sizeof(sum));
	check(pc_addr_str(&d, 1, addr, sizeof(addr)) != NULL);
	check(pc_addr_str(&d, 0, addr, sizeof(addr)) != NULL);
	check(pc_proto_name(d.proto) != NULL);

	/* exact-size heap buffers so ASan sees any overrun */
	small = size % 48 + 1;
	buf = malloc(small);
	if (!buf)
		return;
	pc_l4_summary(&d, buf, small);
	check(strlen(buf) < small);
	pc_addr_str(&d, 1, buf, small);
	check(strlen(buf) < small);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t n = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;

	one(data, n, n);
	one(data, n, 0);
	one(data, n, UINT32_MAX);
	return 0;
}
