/* Clocks in nanoseconds: the one reader of clock_gettime for pidcap.
 * CLOCK_MONOTONIC is the clock of the kernel's timestamps. Not for timers
 * (timerfd, in the event loops) or formatting times. */
#ifndef PIDCAP_CLOCK_H
#define PIDCAP_CLOCK_H

#include <stdint.h>
#include <time.h>

#define PC_NS_PER_SEC 1000000000ULL

/* The clock id in nanoseconds. */
uint64_t pc_clock_ns(clockid_t id);
/* clock `to` minus clock `from`, read back to back: add it to a time of
 * `from` to get one of `to` (CLOCK_REALTIME - CLOCK_MONOTONIC: wall time
 * of a kernel timestamp). */
int64_t pc_clock_offset_ns(clockid_t to, clockid_t from);
/* The wall-clock time of monotonic (kernel) timestamps, following steps of
 * the wall clock (settimeofday, NTP, a resume from suspend): the offset
 * CLOCK_REALTIME - CLOCK_MONOTONIC is read again once a second of
 * monotonic time. Zero-initialise; `read` replaces the clock (tests). */
#define PC_WALLCLOCK_EVERY_NS PC_NS_PER_SEC
struct pc_wallclock {
	int64_t offset_ns;
	uint64_t read_at_ns;
	int64_t (*read)(void);
};
/* Add the result to a monotonic time of about mono_now_ns. */
int64_t pc_wallclock_offset(struct pc_wallclock *w, uint64_t mono_now_ns);
/* Wall clock in seconds. */
double pc_wall_s(void);

#endif
