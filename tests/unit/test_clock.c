/* Unit tests of src/lib/clock.c: the wall-clock offset of monotonic
 * timestamps follows a step of the wall clock within a second, with an
 * injected clock. Not for the clocks themselves. */
#include "lib/clock.h"
#include "unit.h"

static int64_t fake_offset;
static int reads;

static int64_t fake_read(void)
{
	reads++;
	return fake_offset;
}

TEST(follows_a_step_within_a_second)
{
	struct pc_wallclock w = { .read = fake_read };
	uint64_t t = 5 * PC_NS_PER_SEC;

	fake_offset = 1000 * (int64_t)PC_NS_PER_SEC;
	CHECK_EQ_INT(pc_wallclock_offset(&w, t), fake_offset);
	fake_offset += 3600 * (int64_t)PC_NS_PER_SEC; /* the wall clock jumps an hour */
	/* within the second: the old offset, read once */
	CHECK_EQ_INT(pc_wallclock_offset(&w, t + PC_NS_PER_SEC / 2),
		     1000 * (int64_t)PC_NS_PER_SEC);
	CHECK_EQ_INT(reads, 1);
	/* a second later: the new one */
	CHECK_EQ_INT(pc_wallclock_offset(&w, t + PC_NS_PER_SEC), fake_offset);
	CHECK_EQ_INT(reads, 2);
	/* and a step back */
	fake_offset -= 7200 * (int64_t)PC_NS_PER_SEC;
	CHECK_EQ_INT(pc_wallclock_offset(&w, t + 2 * PC_NS_PER_SEC + 1), fake_offset);
}

TEST(real_clock)
{
	struct pc_wallclock w = { 0 };
	uint64_t mono = pc_clock_ns(CLOCK_MONOTONIC);
	int64_t off = pc_wallclock_offset(&w, mono);
	int64_t real = (int64_t)pc_clock_ns(CLOCK_REALTIME);

	/* mono + offset is now, within a tenth of a second */
	CHECK((int64_t)mono + off - real < (int64_t)PC_NS_PER_SEC / 10);
	CHECK(real - ((int64_t)mono + off) < (int64_t)PC_NS_PER_SEC / 10);
}

int main(void)
{
	RUN(follows_a_step_within_a_second);
	RUN(real_clock);
	return UNIT_DONE();
}
