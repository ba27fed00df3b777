/* syscalls: the syscall-bound load of pidcap's benchmark (case "syscall"). A
 * process that never touches the network and only makes cheap syscalls, to
 * measure what pidcap's eBPF programs cost the rest of the host. Not a
 * general syscall benchmark.
 *
 *   syscalls [-n CALLS] [-t SECONDS]
 *       calls getppid() CALLS times (default 5,000,000), or until SECONDS
 *       (default 30) have passed, and prints
 *       "calls=N seconds=S ns_per_call=X"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_CALLS 1000000000LL
#define MAX_SECONDS 600
#define CHECK_EVERY 65536 /* calls between two looks at the clock */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: syscalls [-n CALLS] [-t SECONDS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	long long calls = 5000000, done = 0;
	double seconds = 30, start, elapsed;
	int c;

	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		switch (c) {
		case 'n':
			calls = atoll(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (calls < 1 || calls > MAX_CALLS || !(seconds > 0 && seconds <= MAX_SECONDS)) {
		fprintf(stderr, "syscalls: want 1 <= CALLS <= %lld, 0 < SECONDS <= %d\n", MAX_CALLS,
			MAX_SECONDS);
		return 2;
	}

	start = now();
	while (done < calls) {
		long long n = calls - done < CHECK_EVERY ? calls - done : CHECK_EVERY;

		/* syscall() and not getppid(): a libc may cache it one day. */
		for (long long i = 0; i < n; i++)
			syscall(SYS_getppid);
		done += n;
		if (now() - start > seconds)
			break;
	}
	elapsed = now() - start;
	printf("calls=%lld seconds=%.6f ns_per_call=%.2f\n", done, elapsed, 1e9 * elapsed / done);
	return 0;
}
