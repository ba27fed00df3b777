/* Test client for the hand-over cases of tests/e2e/workload.py: a parent
 * connects and talks a little, forks, and the child then talks only
 * through io_uring (inline or IOSQE_ASYNC, on io_uring's worker threads)
 * or splice() from a pipe, so that no read/write/send/recv syscall of the
 * child touches the socket. Not for servers: the peer is workload.py's.
 *
 * handover MODE PROTO ADDR PORT PARENT_BYTES CHILD_BYTES RESP_BYTES ROUNDS
 *   MODE   uring | uring-async | splice
 *   PROTO  tcp: the parent sends PARENT_BYTES, the child CHILD_BYTES, then
 *          reads RESP_BYTES (the server reads everything, then answers);
 *          udp: parent and child each do lock-step datagram rounds (one
 *          round for the parent, ROUNDS for the child) of PARENT_BYTES /
 *          CHILD_BYTES out and RESP_BYTES back.
 * Prints one JSON line: {"parent":P,"child":C,"child_tids":[...],
 * "local":["addr",port]}; exits 0 when every byte went as planned. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 16384

static void die(const char *what)
{
	fprintf(stderr, "handover: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void fill(char *buf, size_t n)
{
	static const char unit[] = "pidcap e2e payload ";

	for (size_t i = 0; i < n; i++)
		buf[i] = unit[i % (sizeof(unit) - 1)];
}

/* One io_uring send or receive of up to len bytes, waited for. */
static int uring_io(struct io_uring *ring, int fd, char *buf, size_t len, int send, int async)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return -EBUSY;
	if (send)
		io_uring_prep_send(sqe, fd, buf, len, 0);
	else
		io_uring_prep_recv(sqe, fd, buf, len, 0);
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	res = io_uring_submit(ring);
	if (res < 0)
		return res;
	res = io_uring_wait_cqe(ring, &cqe);
	if (res < 0)
		return res;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

struct child_io {
	const char *mode;
	struct io_uring ring;
	int pipe[2];
};

/* Sends len bytes the child's way: io_uring or splice from a pipe. */
static int child_send(struct child_io *io, int fd, char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		size_t part = len - done < CHUNK ? len - done : CHUNK;

		if (!strcmp(io->mode, "splice")) {
			if (write(io->pipe[1], buf + done, part) != (ssize_t)part)
				return -1;
			n = splice(io->pipe[0], NULL, fd, NULL, part, 0);
		} else {
			n = uring_io(&io->ring, fd, buf + done, part, 1, !strcmp(io->mode, "uring-async"));
		}
		if (n <= 0)
			return -1;
		if (!strcmp(io->mode, "splice") && (size_t)n != part)
			return -1; /* the rest would stay in the pipe */
		done += n;
	}
	return 0;
}

/* Receives exactly len bytes (TCP) or one datagram of len bytes (UDP). */
static int child_recv(struct child_io *io, int fd, char *buf, size_t len, int dgram)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (!strcmp(io->mode, "splice"))
			n = read(fd, buf + done, len - done); /* splice() does not read sockets here */
		else
			n = uring_io(&io->ring, fd, buf + done, len - done, 0,
				     !strcmp(io->mode, "uring-async"));
		if (n <= 0)
			return -1;
		done += n;
		if (dgram)
			return done == len ? 0 : -1;
	}
	return 0;
}

static void print_tids(FILE *out)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int first = 1;

	fputc('[', out);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fprintf(out, "%s%s", first ? "" : ",", e->d_name);
		first = 0;
	}
	fputc(']', out);
	if (d)
		closedir(d);
}

static int run_child(const char *mode, int fd, int udp, size_t child_bytes, size_t resp,
		     int rounds, char *buf, char *rbuf, int report)
{
	struct child_io io = { .mode = mode };
	int r;

	if (!strcmp(mode, "splice")) {
		if (pipe(io.pipe))
			die("pipe");
	} else if (io_uring_queue_init(8, &io.ring, 0)) {
		die("io_uring_queue_init");
	}
	for (r = 0; r < (udp ? rounds : 1); r++) {
		if (child_send(&io, fd, buf, child_bytes))
			die("child send");
		if (child_recv(&io, fd, rbuf, resp, udp))
			die("child receive");
	}
	if (report != -1) {
		FILE *out = fdopen(report, "w");

		fprintf(out, "%d ", getpid());
		print_tids(out); /* io_uring's workers are threads of this process */
		fclose(out);
	}
	if (strcmp(mode, "splice"))
		io_uring_queue_exit(&io.ring);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 }, local;
	socklen_t slen, llen = sizeof(local);
	size_t parent_bytes, child_bytes, resp, big;
	int fd, udp, rounds, report[2], status;
	char *buf, *rbuf, addr[64], line[4096] = "";
	pid_t child;
	ssize_t n;

	if (argc != 9) {
		fprintf(stderr, "usage: handover uring|uring-async|splice tcp|udp ADDR PORT "
				"PARENT_BYTES CHILD_BYTES RESP_BYTES ROUNDS\n");
		return 2;
	}
	udp = !strcmp(argv[2], "udp");
	parent_bytes = strtoul(argv[5], NULL, 10);
	child_bytes = strtoul(argv[6], NULL, 10);
	resp = strtoul(argv[7], NULL, 10);
	rounds = atoi(argv[8]);
	if (strchr(argv[3], ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(atoi(argv[4]));
		inet_pton(AF_INET6, argv[3], &a->sin6_addr);
		slen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(atoi(argv[4]));
		inet_pton(AF_INET, argv[3], &a->sin_addr);
		slen = sizeof(*a);
	}
	big = parent_bytes > child_bytes ? parent_bytes : child_bytes;
	buf = malloc(big + 1);
	rbuf = malloc(resp + 1);
	if (!buf || !rbuf)
		die("malloc");
	fill(buf, big);
	fd = socket(ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, slen))
		die("connect");
	/* the parent uses the socket first: it is the recorded owner */
	if (send(fd, buf, parent_bytes, 0) != (ssize_t)parent_bytes)
		die("parent send");
	if (udp && recv(fd, rbuf, resp, 0) != (ssize_t)resp)
		die("parent receive");
	if (pipe(report))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(report[0]);
		return run_child(argv[1], fd, udp, child_bytes, resp, rounds, buf, rbuf, report[1]);
	}
	close(report[1]);
	n = read(report[0], line, sizeof(line) - 1);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	if (n <= 0)
		return 1;
	line[n] = 0;
	if (getsockname(fd, (struct sockaddr *)&local, &llen))
		die("getsockname");
	if (local.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&local)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&local)->sin6_addr, addr, sizeof(addr));
	printf("{\"parent\":%d,\"child\":%.*s,\"child_tids\":%s,\"local\":[\"%s\",%u]}\n",
	       getpid(), (int)strcspn(line, " "), line, line + strcspn(line, " ") + 1, addr,
	       ntohs(local.ss_family == AF_INET ? ((struct sockaddr_in *)&local)->sin_port :
						  ((struct sockaddr_in6 *)&local)->sin6_port));
	close(fd);
	return 0;
}
