/* connstorm: the "many short-lived connections" load of pidcap's benchmark.
 * Forks one process per TCP connection to a loopback server at a fixed rate
 * for a bounded time, and records which pid used which client port.
 * Not a load generator for anything but 127.0.0.1.
 *
 *   connstorm -r PER_SECOND -t SECONDS -o FILE
 *
 * Each child connects, sends 64 bytes, waits for the server to close, closes,
 * appends "PID CLIENT_PORT SERVER_PORT T_CONNECT T_CLOSED\n" to FILE (port 0:
 * it failed; times are CLOCK_REALTIME seconds) and exits. Loopback reuses
 * client ports of TIME_WAIT sockets (tcp_tw_reuse=2), so a port alone does
 * not name a connection: port and time do. At the end prints "started=N ok=N failed=N seconds=S port=P".
 * At most MAX_LIVE children run at once; those still running 10 s after the
 * end are killed (by pid).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RATE 5000
#define MAX_SECONDS 60
#define MAX_LIVE 512
#define PAYLOAD 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { 2, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The server: accept, read to EOF, close. Ends on SIGTERM or after deadline. */
static void serve(int ls, double deadline)
{
	char buf[256];
	struct timeval tv = { 0, 200000 };

	setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!stop && now() < deadline) {
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		set_timeouts(c);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
	_exit(0);
}

static void client(int out, const struct sockaddr_in *server)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char buf[PAYLOAD], line[128];
	double t0 = wall();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0, n;

	memset(buf, 'c', sizeof(buf));
	if (fd >= 0) {
		set_timeouts(fd);
		if (!connect(fd, (const struct sockaddr *)server, sizeof(*server)) &&
		    !getsockname(fd, (struct sockaddr *)&me, &len) &&
		    write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && !shutdown(fd, SHUT_WR)) {
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				;
			if (n == 0)
				port = ntohs(me.sin_port);
		}
		close(fd);
	}
	n = snprintf(line, sizeof(line), "%d %d %d %.6f %.6f\n", getpid(), port,
		     ntohs(server->sin_port), t0, wall());
	if (write(out, line, n) != n)
		_exit(1);
	_exit(port ? 0 : 1);
}

static int reap(pid_t *live, int *nlive, int block, int *ok, int *failed)
{
	int status, i;
	pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);

	if (pid <= 0)
		return 0;
	for (i = 0; i < *nlive && live[i] != pid; i++)
		;
	if (i == *nlive)
		return 1; /* not a client: the server ended early */
	live[i] = live[--*nlive];
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		(*ok)++;
	else
		(*failed)++;
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sockaddr_in server = { .sin_family = AF_INET };
	socklen_t len = sizeof(server);
	static pid_t live[MAX_LIVE];
	int rate = 1000, started = 0, ok = 0, failed = 0, nlive = 0, out, ls, c, i, total;
	double seconds = 10, start, end;
	const char *path = NULL;
	pid_t srv;

	while ((c = getopt(argc, argv, "r:t:o:")) != -1) {
		switch (c) {
		case 'r': rate = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'o': path = optarg; break;
		default: path = NULL; rate = 0; break;
		}
	}
	if (!path || rate < 1 || rate > MAX_RATE || !(seconds > 0 && seconds <= MAX_SECONDS)) {
		fprintf(stderr, "usage: connstorm -r PER_SECOND (1-%d) -t SECONDS (max %d) -o FILE\n",
			MAX_RATE, MAX_SECONDS);
		return 2;
	}
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (out < 0 || ls < 0 || bind(ls, (struct sockaddr *)&server, sizeof(server)) ||
	    listen(ls, 4096) || getsockname(ls, (struct sockaddr *)&server, &len)) {
		fprintf(stderr, "connstorm: cannot open %s or listen on 127.0.0.1: %s\n", path,
			strerror(errno));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	srv = fork();
	if (srv < 0) {
		fprintf(stderr, "connstorm: fork: %s\n", strerror(errno));
		return 1;
	}
	if (srv == 0)
		serve(ls, now() + seconds + 15);
	close(ls);
	total = (int)(rate * seconds);
	start = now();
	end = start + seconds;
	for (i = 0; i < total && !stop && now() < end + 1; i++) {
		pid_t pid;

		sleep_until(start + (double)i / rate);
		while (reap(live, &nlive, 0, &ok, &failed))
			;
		while (nlive >= MAX_LIVE && reap(live, &nlive, 1, &ok, &failed))
			;
		pid = fork();
		if (pid < 0) {
			failed++;
			continue;
		}
		if (pid == 0)
			client(out, &server);
		live[nlive++] = pid;
		started++;
	}
	end = now();
	/* Children have 10 s to finish; then they are killed by pid. */
	while (nlive > 0 && now() < end + 10) {
		if (!reap(live, &nlive, 0, &ok, &failed))
			usleep(10000);
	}
	for (i = 0; i < nlive; i++)
		kill(live[i], SIGKILL);
	while (nlive > 0 && reap(live, &nlive, 1, &ok, &failed))
		;
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	printf("started=%d ok=%d failed=%d seconds=%.6f port=%d\n", started, ok, failed, end - start,
	       ntohs(server.sin_port));
	return 0;
}
