/* Unit tests for src/pcapfile/capout.c: tcpdump's capture file names for -C, -W and
 * -G, and the process of a packet when no process cache is at hand.
 * Not for writing or rotating real files (tests/e2e/test_capfile.py). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile/capout.h"
#include "unit.h"

static const char *name(const char *pattern, int use_strftime, time_t t, uint32_t n, uint32_t ring)
{
	static char buf[256];

	if (pc_capout_name(buf, sizeof(buf), pattern, use_strftime, t, n, ring))
		return "(error)";
	return buf;
}

TEST(names_like_tcpdump)
{
	CHECK_EQ_STR(name("x.pcapng", 0, 0, 0, 0), "x.pcapng");
	CHECK_EQ_STR(name("x.pcapng", 0, 0, 1, 0), "x.pcapng1");
	CHECK_EQ_STR(name("x.pcapng", 0, 0, 12, 0), "x.pcapng12");
	/* -W 3: one digit, counting from 0, wrapping */
	CHECK_EQ_STR(name("x", 0, 0, 0, 3), "x0");
	CHECK_EQ_STR(name("x", 0, 0, 2, 3), "x2");
	CHECK_EQ_STR(name("x", 0, 0, 3, 3), "x0");
	/* -W 10 still one digit, -W 11 two */
	CHECK_EQ_STR(name("x", 0, 0, 9, 10), "x9");
	CHECK_EQ_STR(name("x", 0, 0, 1, 11), "x01");
	CHECK_EQ_STR(name("x", 0, 0, 10, 11), "x10");
	/* -W 1: always the name itself */
	CHECK_EQ_STR(name("x", 0, 0, 5, 1), "x");
	/* a '%' is only an escape with strftime */
	CHECK_EQ_STR(name("a%Hb", 0, 0, 0, 0), "a%Hb");
}

TEST(names_with_strftime)
{
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_EQ_STR(name("cap-%Y%m%d-%H%M%S.pcapng", 1, 1700000000, 0, 0),
		     "cap-20231114-221320.pcapng");
	CHECK_EQ_STR(name("cap-%H%M%S", 1, 1700000000, 2, 0), "cap-2213202");
	CHECK_EQ_STR(name("%p", 1, 0, 0, 0), "AM");
	{
		char small[8];

		CHECK_EQ_INT(pc_capout_name(small, sizeof(small), "12345678", 0, 0, 0, 0),
			     -ENAMETOOLONG);
		CHECK_EQ_INT(pc_capout_name(small, sizeof(small), "", 1, 0, 0, 0), -EINVAL);
	}
}

TEST(meta_without_cache)
{
	struct pc_packet *rec = calloc(1, sizeof(*rec));
	static struct pc_meta m;

	rec->flags = PC_PKT_OWNER | PC_PKT_OWNER_LISTENER;
	rec->owner.pid = 10;
	rec->owner.tid = 11;
	rec->owner.uid = 12;
	memcpy(rec->owner.comm, "0123456789abcdef", 16); /* no NUL in the record */
	rec->peer.pid = 99; /* not valid: no PC_PKT_PEER */
	rec->gso_segs = 4;
	pc_meta_from_procs(&m, rec, NULL, 0);
	CHECK_EQ_INT(m.owner.known, 1);
	CHECK_EQ_INT(m.owner.pid, 10);
	CHECK_EQ_INT(m.owner.tid, 11);
	CHECK_EQ_INT(m.owner.uid, 12);
	CHECK_EQ_STR(m.owner.comm, "0123456789abcdef");
	CHECK_EQ_INT(m.owner.has_exe, 0);
	CHECK_EQ_INT(m.peer.known, 0);
	CHECK_EQ_INT(m.segs, 4);
	CHECK_EQ_INT(m.listener, 1);
	free(rec);
}

int main(void)
{
	RUN(names_like_tcpdump);
	RUN(names_with_strftime);
	RUN(meta_without_cache);
	return UNIT_DONE();
}
