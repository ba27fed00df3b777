/* clock_gettime in nanoseconds and the offsets between clocks. Not for
 * timers or for the kernel's timestamps themselves. */
#include "lib/clock.h"

uint64_t pc_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * PC_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

int64_t pc_clock_offset_ns(clockid_t to, clockid_t from)
{
	uint64_t f = pc_clock_ns(from);

	return (int64_t)(pc_clock_ns(to) - f);
}

double pc_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t real_minus_mono(void)
{
	return pc_clock_offset_ns(CLOCK_REALTIME, CLOCK_MONOTONIC);
}

int64_t pc_wallclock_offset(struct pc_wallclock *w, uint64_t mono_now_ns)
{
	if (!w->read_at_ns || mono_now_ns - w->read_at_ns >= PC_WALLCLOCK_EVERY_NS ||
	    mono_now_ns < w->read_at_ns) {
		w->offset_ns = (w->read ? w->read : real_minus_mono)();
		w->read_at_ns = mono_now_ns ? mono_now_ns : 1;
	}
	return w->offset_ns;
}
