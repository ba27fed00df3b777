/* udpflood: the packet-rate load of pidcap's benchmark. "send" pushes small
 * UDP datagrams to 127.0.0.1 as fast as it can for a bounded time and count;
 * "sink" drains them. Not a traffic generator for anything but loopback.
 *
 *   udpflood send -p PORT [-t SECONDS] [-n PACKETS] [-s BYTES] [-b BATCH] [-q]
 *       prints "sent=N errors=N seconds=S" when done; -q numbers the
 *       datagrams in their first 4 payload bytes (big-endian), so that a
 *       filter such as `udp[8:4] % 100 == 0` picks 1 % of them
 *   udpflood sink [-t SECONDS]
 *       prints "port=P" once bound, "received=N seconds=S" at the end
 *       (after SECONDS or on SIGTERM/SIGINT)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_SIZE 1472
#define MAX_SECONDS 600

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpflood send -p PORT [-t SECONDS] [-n PACKETS] [-s BYTES] [-b BATCH] [-q]\n"
			"       udpflood sink [-t SECONDS]\n");
	return 2;
}

/* The next sequence number into each datagram of the batch. */
static void number(char bufs[][MAX_SIZE], int n, unsigned long long first)
{
	for (int i = 0; i < n; i++) {
		uint32_t seq = htonl((uint32_t)(first + i));

		memcpy(bufs[i], &seq, sizeof(seq));
	}
}

static int do_send(int port, double seconds, unsigned long long max_packets, int size, int batch,
		   int seq)
{
	static char bufs[MAX_BATCH][MAX_SIZE];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned long long sent = 0, errors = 0;
	double start, end, elapsed;
	int fd, i;

	memset(bufs, 'u', sizeof(bufs));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		fprintf(stderr, "udpflood: cannot connect a UDP socket to 127.0.0.1:%d: %s\n", port,
			strerror(errno));
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = (size_t)size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now();
	end = start + seconds;
	while (!stop && sent < max_packets) {
		unsigned long long left = max_packets - sent;
		int n;

		if (seq)
			number(bufs, batch, sent);
		n = sendmmsg(fd, msgs, left < (unsigned)batch ? (unsigned)left : (unsigned)batch, 0);

		if (n < 0) {
			if (errno != ENOBUFS && errno != ECONNREFUSED && errno != EAGAIN &&
			    errno != EINTR) {
				fprintf(stderr, "udpflood: sendmmsg: %s\n", strerror(errno));
				break;
			}
			errors++;
		} else {
			sent += n;
		}
		if (now() >= end)
			break;
	}
	elapsed = now() - start;
	printf("sent=%llu errors=%llu seconds=%.6f\n", sent, errors, elapsed);
	close(fd);
	return 0;
}

static int do_sink(double seconds)
{
	static char bufs[MAX_BATCH][64];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in me = { .sin_family = AF_INET };
	socklen_t len = sizeof(me);
	unsigned long long received = 0;
	double start, end;
	int fd, i, rcvbuf = 4 << 20;

	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) ||
	    getsockname(fd, (struct sockaddr *)&me, &len)) {
		fprintf(stderr, "udpflood: cannot bind a UDP socket on 127.0.0.1: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("port=%d\n", ntohs(me.sin_port));
	fflush(stdout);
	start = now();
	end = start + seconds;
	while (!stop && now() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n = recvmmsg(fd, msgs, MAX_BATCH, MSG_DONTWAIT, NULL);

		if (n > 0)
			received += n;
		else
			poll(&p, 1, 100);
	}
	printf("received=%llu seconds=%.6f\n", received, now() - start);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long max_packets = 1ULL << 40;
	double seconds = 5;
	int port = 0, size = 64, batch = 32, seq = 0, c;
	struct sigaction sa = { .sa_handler = on_signal };

	if (argc < 2)
		return usage();
	optind = 2;
	while ((c = getopt(argc, argv, "p:t:n:s:b:q")) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'n': max_packets = strtoull(optarg, NULL, 10); break;
		case 's': size = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'q': seq = 1; break;
		default: return usage();
		}
	}
	if (!(seconds > 0 && seconds <= MAX_SECONDS) || size < (seq ? 4 : 1) || size > MAX_SIZE || batch < 1 ||
	    batch > MAX_BATCH || max_packets < 1) {
		fprintf(stderr, "udpflood: want 0 < SECONDS <= %d, 1 <= BYTES <= %d, 1 <= BATCH <= %d\n",
			MAX_SECONDS, MAX_SIZE, MAX_BATCH);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!strcmp(argv[1], "send")) {
		if (port < 1 || port > 65535)
			return usage();
		return do_send(port, seconds, max_packets, size, batch, seq);
	}
	if (!strcmp(argv[1], "sink"))
		return do_sink(seconds);
	return usage();
}
