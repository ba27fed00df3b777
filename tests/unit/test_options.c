/* Unit tests of src/cmd/options.c: defaults, every option, the "--" split
 * between expression and command, every usage error and --help's text.
 * Not for acting on options (cmd/live.c): only what the parser fills in. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/options.h"
#include "unit.h"

/* argv arrays are NULL-terminated like a real one, since o.cmd points
 * into argv and is handed to execvp as is. */
#define ARGV(...) ((char *[]){ "pidcap", __VA_ARGS__, NULL })
#define ARGC(v) argc_of(v)

static int argc_of(char **v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

static char err[256];

static int parse(struct pc_options *o, char **argv)
{
	err[0] = '\0';
	return pc_options_parse(o, argc_of(argv), argv, err, sizeof(err));
}

/* Parses argv, expecting a usage error with exactly msg; frees. */
static void expect_error(char **argv, const char *msg, int line)
{
	struct pc_options o;
	int r = parse(&o, argv);

	if (r != -EINVAL || strcmp(err, msg)) {
		fprintf(stderr, "%s:%d: parse gave %d \"%s\", want -EINVAL \"%s\"\n", __FILE__,
			line, r, err, msg);
		unit_failed_checks++;
	}
	pc_options_free(&o);
}
#define EXPECT_ERROR(msg, ...) expect_error(ARGV(__VA_ARGS__), msg, __LINE__)

TEST(defaults)
{
	char *argv[] = { "pidcap", NULL };
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK_EQ_INT(o.snaplen, 262144);
	CHECK_EQ_INT(o.snaplen_set, 0);
	CHECK_EQ_INT(o.want_in, 1);
	CHECK_EQ_INT(o.want_out, 1);
	CHECK_EQ_INT(o.count, 0);
	CHECK_EQ_INT(o.nifaces, 0);
	CHECK(o.ifaces == NULL);
	CHECK_EQ_INT(o.numeric, 0);
	CHECK_EQ_INT(o.verbose, 0);
	CHECK_EQ_INT(o.list_ifaces, 0);
	CHECK_EQ_INT(o.json, 0);
	CHECK_EQ_INT(o.npids, 0);
	CHECK(o.comm == NULL);
	CHECK_EQ_INT(o.uid_set, 0);
	CHECK(o.cgroup == NULL);
	CHECK(o.filter == NULL);
	CHECK(o.cmd == NULL);
	CHECK_EQ_INT(o.help, 0);
	CHECK_EQ_INT(o.version, 0);
	pc_options_free(&o);
}

TEST(every_option)
{
	char **argv = ARGV("-i", "eth0", "-n", "-c", "5", "-s", "100", "-Q", "in", "-v", "-v",
			   "-D", "--json", "--pid", "42", "--comm", "curl", "--uid", "1000",
			   "--cgroup", "/system.slice", "-i", "lo", "--pid", "7", "tcp", "port",
			   "80");
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK_EQ_INT(o.nifaces, 2);
	if (o.nifaces == 2) {
		CHECK_EQ_STR(o.ifaces[0], "eth0");
		CHECK_EQ_STR(o.ifaces[1], "lo");
		/* copies, not pointers into argv */
		CHECK(o.ifaces[0] != argv[2]);
	}
	CHECK_EQ_INT(o.numeric, 1);
	CHECK_EQ_INT(o.count, 5);
	CHECK_EQ_INT(o.snaplen, 100);
	CHECK_EQ_INT(o.snaplen_set, 1);
	CHECK_EQ_INT(o.want_in, 1);
	CHECK_EQ_INT(o.want_out, 0);
	CHECK_EQ_INT(o.verbose, 2);
	CHECK_EQ_INT(o.list_ifaces, 1);
	CHECK_EQ_INT(o.json, 1);
	CHECK_EQ_INT(o.npids, 2);
	if (o.npids == 2) {
		CHECK_EQ_INT(o.pids[0], 42);
		CHECK_EQ_INT(o.pids[1], 7);
	}
	CHECK_EQ_STR(o.comm, "curl");
	CHECK_EQ_INT(o.uid_set, 1);
	CHECK_EQ_INT(o.uid, 1000);
	CHECK_EQ_STR(o.cgroup, "/system.slice");
	CHECK_EQ_STR(o.filter, "tcp port 80");
	CHECK(o.cmd == NULL);
	pc_options_free(&o);
	/* after free: zeroed, and a second free is harmless */
	CHECK(o.ifaces == NULL && o.pids == NULL && o.filter == NULL);
	pc_options_free(&o);
}

TEST(grouped_and_attached)
{
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, ARGV("-vvvn", "-c10", "-ieth1", "-Qout", "--pid=9",
				    "--comm=nginx")), 0);
	CHECK_EQ_INT(o.verbose, 3);
	CHECK_EQ_INT(o.numeric, 1);
	CHECK_EQ_INT(o.count, 10);
	CHECK_EQ_INT(o.nifaces, 1);
	if (o.nifaces)
		CHECK_EQ_STR(o.ifaces[0], "eth1");
	CHECK_EQ_INT(o.want_in, 0);
	CHECK_EQ_INT(o.want_out, 1);
	CHECK_EQ_INT(o.npids, 1);
	if (o.npids)
		CHECK_EQ_INT(o.pids[0], 9);
	CHECK_EQ_STR(o.comm, "nginx");
	pc_options_free(&o);
}

TEST(directions)
{
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, ARGV("-Q", "out")), 0);
	CHECK(!o.want_in && o.want_out);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-Q", "in")), 0);
	CHECK(o.want_in && !o.want_out);
	pc_options_free(&o);
	/* the last -Q wins */
	CHECK_EQ_INT(parse(&o, ARGV("-Q", "in", "-Q", "inout")), 0);
	CHECK(o.want_in && o.want_out);
	pc_options_free(&o);
}

TEST(number_limits)
{
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, ARGV("-s", "0")), 0);
	CHECK_EQ_INT(o.snaplen, 262144);
	CHECK_EQ_INT(o.snaplen_set, 1);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-s", "262144")), 0);
	CHECK_EQ_INT(o.snaplen, 262144);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-s", "1")), 0);
	CHECK_EQ_INT(o.snaplen, 1);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-c", "4294967295")), 0);
	CHECK_EQ_INT(o.count, 4294967295LL);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-c", "1")), 0);
	CHECK_EQ_INT(o.count, 1);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("--uid", "0")), 0);
	CHECK_EQ_INT(o.uid_set, 1);
	CHECK_EQ_INT(o.uid, 0);
	pc_options_free(&o);
	/* 4294967295 is (uid_t)-1, "no uid": not a uid one can run as */
	CHECK_EQ_INT(parse(&o, ARGV("--uid", "4294967294")), 0);
	CHECK_EQ_INT(o.uid, 4294967294LL);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("--pid", "2147483647")), 0);
	CHECK_EQ_INT(o.npids, 1);
	if (o.npids)
		CHECK_EQ_INT(o.pids[0], 2147483647);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("--comm", "123456789012345")), 0);
	CHECK_EQ_STR(o.comm, "123456789012345");
	pc_options_free(&o);
	/* repeated --comm / --cgroup: the last wins, the first is freed */
	CHECK_EQ_INT(parse(&o, ARGV("--comm", "a", "--comm", "b", "--cgroup", "/x", "--cgroup",
				    "/y")), 0);
	CHECK_EQ_STR(o.comm, "b");
	CHECK_EQ_STR(o.cgroup, "/y");
	pc_options_free(&o);
}

TEST(expression_and_command)
{
	struct pc_options o;
	char **argv;

	/* expression only: joined with single spaces */
	CHECK_EQ_INT(parse(&o, ARGV("tcp", "port", "443", "and", "host", "1.2.3.4")), 0);
	CHECK_EQ_STR(o.filter, "tcp port 443 and host 1.2.3.4");
	CHECK(o.cmd == NULL);
	pc_options_free(&o);
	/* one quoted argument */
	CHECK_EQ_INT(parse(&o, ARGV("-n", "udp and port 53")), 0);
	CHECK_EQ_STR(o.filter, "udp and port 53");
	pc_options_free(&o);

	/* pidcap -- cmd -x: -x belongs to cmd */
	argv = ARGV("--", "cmd", "-x");
	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK(o.filter == NULL);
	CHECK(o.cmd == &argv[2]);
	if (o.cmd) {
		CHECK_EQ_STR(o.cmd[0], "cmd");
		CHECK_EQ_STR(o.cmd[1], "-x");
		CHECK(o.cmd[2] == NULL);
	}
	CHECK_EQ_INT(o.verbose, 0);
	pc_options_free(&o);

	/* pidcap tcp port 80 -- cmd */
	argv = ARGV("tcp", "port", "80", "--", "cmd");
	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK_EQ_STR(o.filter, "tcp port 80");
	CHECK(o.cmd == &argv[5]);
	if (o.cmd) {
		CHECK_EQ_STR(o.cmd[0], "cmd");
		CHECK(o.cmd[1] == NULL);
	}
	pc_options_free(&o);

	/* options, expression, command with options of its own (even
	 * pidcap's letters and a second "--") */
	argv = ARGV("-v", "--json", "udp", "--", "dig", "-c", "1", "-v", "--", "x");
	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK_EQ_INT(o.verbose, 1);
	CHECK_EQ_INT(o.json, 1);
	CHECK_EQ_INT(o.count, 0);
	CHECK_EQ_STR(o.filter, "udp");
	if (o.cmd) {
		CHECK_EQ_STR(o.cmd[0], "dig");
		CHECK_EQ_STR(o.cmd[1], "-c");
		CHECK_EQ_STR(o.cmd[2], "1");
		CHECK_EQ_STR(o.cmd[3], "-v");
		CHECK_EQ_STR(o.cmd[4], "--");
		CHECK_EQ_STR(o.cmd[5], "x");
		CHECK(o.cmd[6] == NULL);
	} else {
		CHECK(o.cmd != NULL);
	}
	pc_options_free(&o);

	/* options then "--" then the command: no expression */
	argv = ARGV("-c", "3", "--", "sleep", "1");
	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK_EQ_INT(o.count, 3);
	CHECK(o.filter == NULL);
	CHECK(o.cmd == &argv[4]);
	pc_options_free(&o);
}

TEST(help_and_version)
{
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, ARGV("--help")), 0);
	CHECK_EQ_INT(o.help, 1);
	CHECK_EQ_INT(o.version, 0);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("--version")), 0);
	CHECK_EQ_INT(o.version, 1);
	CHECK_EQ_INT(o.help, 0);
	pc_options_free(&o);
	/* --help after other options, with an expression and a command */
	CHECK_EQ_INT(parse(&o, ARGV("-i", "eth0", "--help", "tcp", "--", "x")), 0);
	CHECK_EQ_INT(o.help, 1);
	pc_options_free(&o);
	/* --help wins over a later bad option: it returns at once */
	CHECK_EQ_INT(parse(&o, ARGV("--help", "-c", "zero")), 0);
	CHECK_EQ_INT(o.help, 1);
	pc_options_free(&o);
}

TEST(usage_errors)
{
	EXPECT_ERROR("unknown option '-k'", "-k");
	EXPECT_ERROR("unknown option '-k'", "-vk");
	EXPECT_ERROR("unknown option '--bogus'", "--bogus");
	EXPECT_ERROR("unknown option '--bogus=1'", "--bogus=1");

	EXPECT_ERROR("invalid packet count '0' for -c: want a number >= 1", "-c", "0");
	EXPECT_ERROR("invalid packet count '-1' for -c: want a number >= 1", "-c", "-1");
	EXPECT_ERROR("invalid packet count '' for -c: want a number >= 1", "-c", "");
	EXPECT_ERROR("invalid packet count '12x' for -c: want a number >= 1", "-c", "12x");
	EXPECT_ERROR("invalid packet count '4294967296' for -c: want a number >= 1", "-c",
		     "4294967296");
	EXPECT_ERROR("invalid packet count '99999999999999999999999' for -c: want a number >= 1",
		     "-c", "99999999999999999999999");
	EXPECT_ERROR("invalid snaplen '262145' for -s: want 0 to 262144 (0 = 262144)", "-s",
		     "262145");
	EXPECT_ERROR("invalid snaplen '-5' for -s: want 0 to 262144 (0 = 262144)", "-s", "-5");
	EXPECT_ERROR("invalid snaplen 'big' for -s: want 0 to 262144 (0 = 262144)", "-s", "big");
	EXPECT_ERROR("invalid direction 'both' for -Q: want in, out or inout", "-Q", "both");
	EXPECT_ERROR("invalid direction 'IN' for -Q: want in, out or inout", "-Q", "IN");
	EXPECT_ERROR("invalid direction '' for -Q: want in, out or inout", "-Q", "");
	EXPECT_ERROR("invalid pid '0' for --pid: want a number >= 1", "--pid", "0");
	EXPECT_ERROR("invalid pid '2147483648' for --pid: want a number >= 1", "--pid",
		     "2147483648");
	EXPECT_ERROR("invalid pid 'init' for --pid: want a number >= 1", "--pid", "init");
	EXPECT_ERROR("invalid pid '' for --pid: want a number >= 1", "--pid=");
	EXPECT_ERROR("invalid uid '4294967295' for --uid: want a number", "--uid", "4294967295");
	EXPECT_ERROR("invalid uid 'root' for --uid: want a number", "--uid", "root");
	EXPECT_ERROR("invalid uid '-1' for --uid: want a number", "--uid", "-1");
	EXPECT_ERROR("invalid --comm '': a command name has 1 to 15 characters", "--comm", "");
	EXPECT_ERROR("invalid --comm '1234567890123456': a command name has 1 to 15 characters",
		     "--comm", "1234567890123456");

	EXPECT_ERROR("'--' must be followed by a command to run", "--");
	EXPECT_ERROR("'--' must be followed by a command to run", "tcp", "--");
	EXPECT_ERROR("'--' must be followed by a command to run", "-v", "--");
}

/* Regression (was a bug): src/cmd/options.c:175 builds optstring "+i:nc:s:Q:vD" without a ':'
 * after the '+', so getopt_long returns '?' (not ':') for a missing
 * argument, and the "case ':'" at line 358 is dead: "-c" at the end is
 * reported as "unknown option '-c'", "--pid" as "unknown option '--pid'". */
TEST(missing_argument)
{
	EXPECT_ERROR("option '-i' needs an argument", "-i");
	EXPECT_ERROR("option '-c' needs an argument", "-c");
	EXPECT_ERROR("option '-s' needs an argument", "-v", "-s");
	EXPECT_ERROR("option '-Q' needs an argument", "-Q");
	EXPECT_ERROR("option '--pid' needs an argument", "--pid");
	EXPECT_ERROR("option '--comm' needs an argument", "--comm");
	EXPECT_ERROR("option '--uid' needs an argument", "--uid");
	EXPECT_ERROR("option '--cgroup' needs an argument", "--cgroup");
}

/* What is known about a missing argument today: it is a usage error that
 * names the option (the wording is the bug above). */
TEST(missing_argument_is_an_error)
{
	static const char *opts[] = { "-i", "-c", "-s", "-Q", "--pid", "--comm", "--uid",
				      "--cgroup" };
	struct pc_options o;
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char *argv[] = { "pidcap", (char *)opts[i], NULL };

		CHECK_EQ_INT(parse(&o, argv), -EINVAL);
		CHECK(strstr(err, opts[i]) != NULL);
		pc_options_free(&o);
	}
}

/* Regression (was a bug): src/cmd/options.c:191 resets getopt with optind = 1, not 0 (glibc's
 * full reset): after a parse that failed in the middle of a group of
 * letters ("-kv"), getopt keeps its pointer into the old argv and the next
 * parse reads "v" from it (verbose 1, when only "-n" was given). Only
 * matters when parsing twice (tests, fuzzers), but then getopt reads
 * memory the caller may have freed (glibc is not instrumented: ASan does
 * not see it). */
TEST(reparse_after_error_in_group)
{
	struct pc_options o;
	char *argv1[] = { "pidcap", "-kv", NULL };
	char *argv2[] = { "pidcap", "-n", NULL };

	CHECK_EQ_INT(parse(&o, argv1), -EINVAL);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, argv2), 0);
	CHECK_EQ_INT(o.verbose, 0);
	CHECK_EQ_INT(o.numeric, 1);
	pc_options_free(&o);
}

/* Regression (was a bug): src/cmd/options.c:371 takes argv[optind - 1] == "--" for getopt's
 * end-of-options marker even when that "--" was the argument of the last
 * option, so one argv element is used twice: "pidcap -i -- tcp" gives
 * interface "--" AND starts the command "tcp" (expected: interface "--"
 * and expression "tcp", as getopt parsed it; or a usage error). */
TEST(option_argument_dashes_is_not_the_separator)
{
	struct pc_options o;
	char **argv = ARGV("-i", "--", "tcp");

	CHECK_EQ_INT(parse(&o, argv), 0);
	CHECK_EQ_INT(o.nifaces, 1);
	CHECK(o.cmd == NULL);
	CHECK_EQ_STR(o.filter, "tcp");
	pc_options_free(&o);
}

/* Errors after options that allocated: pc_options_free must release all
 * of it (LeakSanitizer fails the binary otherwise). */
TEST(free_partial)
{
	struct pc_options o;

	CHECK_EQ_INT(parse(&o, ARGV("-i", "eth0", "-i", "eth1", "--pid", "1", "--comm", "x",
				    "--cgroup", "/a", "-c", "zero")), -EINVAL);
	CHECK(o.nifaces == 2 && o.npids == 1 && o.comm && o.cgroup);
	pc_options_free(&o);
	CHECK(o.ifaces == NULL && o.comm == NULL && o.cgroup == NULL && o.pids == NULL);

	CHECK_EQ_INT(parse(&o, ARGV("-i", "eth0", "--comm", "ok", "--bogus")), -EINVAL);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-i", "eth0", "tcp", "--")), -EINVAL);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("--cgroup", "/a", "--comm", "0123456789abcdefg")), -EINVAL);
	pc_options_free(&o);
	CHECK_EQ_INT(parse(&o, ARGV("-i", "lo", "--help")), 0);
	pc_options_free(&o);

	/* a zeroed struct that was never parsed */
	memset(&o, 0, sizeof(o));
	pc_options_free(&o);
}

TEST(small_error_buffer)
{
	struct pc_options o;
	char small[8];
	char **argv = ARGV("-Q", "sideways");

	memset(small, 'X', sizeof(small));
	CHECK_EQ_INT(pc_options_parse(&o, argc_of(argv), argv, small, sizeof(small)), -EINVAL);
	CHECK_EQ_INT(strnlen(small, sizeof(small)), 7);
	CHECK_EQ_STR(small, "invalid");
	pc_options_free(&o);
}

static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	pc_options_usage(f, PC_MODE_CAPTURE);
	fclose(f);
	return buf;
}

/* Finds the help line of an option: "  LEFT   help". */
static const char *usage_line(const char *usage, const char *left)
{
	char needle[64];
	const char *p;

	snprintf(needle, sizeof(needle), "\n  %s ", left);
	p = strstr(usage, needle);
	return p ? p + 1 : NULL;
}

TEST(usage)
{
	static const char *lefts[] = {
		"-i IFACE", "-n", "-c COUNT", "-s SNAPLEN", "-Q in|out|inout", "-v", "-D",
		"--json", "--pid PID", "--comm NAME", "--uid UID", "--cgroup PATH", "--help",
		"--version",
	};
	char *u = usage_text();
	size_t i;

	CHECK(u != NULL);
	if (!u)
		return;
	CHECK(!strncmp(u, "Usage: pidcap [options] [pcap filter expression]\n",
		       strlen("Usage: pidcap [options] [pcap filter expression]\n")));
	CHECK(strstr(u, "pidcap [options] [expression] -- COMMAND [ARGS...]\n") != NULL);
	for (i = 0; i < sizeof(lefts) / sizeof(lefts[0]); i++) {
		const char *l = usage_line(u, lefts[i]);

		if (!l) {
			fprintf(stderr, "%s:%d: usage has no line for %s\n", __FILE__, __LINE__,
				lefts[i]);
			unit_failed_checks++;
			continue;
		}
		/* every option has a help text after its column */
		CHECK(strchr(l, '\n') - l > 26);
	}
	/* after "Options:", only option lines: "  -X ARG    help" */
	{
		const char *p = strstr(u, "\n\nOptions:\n");
		size_t lines = 0;

		CHECK(p != NULL);
		for (p = p ? p + 11 : ""; *p; p = strchr(p, '\n') + 1) {
			CHECK(!strncmp(p, "  -", 3));
			CHECK(strchr(p, '\n') != NULL);
			if (!strchr(p, '\n'))
				break;
			lines++;
		}
		CHECK(lines >= sizeof(lefts) / sizeof(lefts[0]));
	}
	CHECK(u[strlen(u) - 1] == '\n');
	free(u);
}

/* Regression (was a bug): src/cmd/options.c (the help of -s, its error) says the default
 * snapshot length is 262144, but cmd/live.c captures
 * PRINT_SNAPLEN (256) bytes when -s is not given (as the README says),
 * 262144 only with -w, and caps every snaplen at 65536: no run
 * ever copies 262144 bytes. */
TEST(usage_snaplen_default_matches_main)
{
	char *u = usage_text();
	const char *l = u ? usage_line(u, "-s SNAPLEN") : NULL;

	CHECK(l != NULL);
	if (l)
		CHECK(strstr(l, "256") != NULL && strstr(l, "default 262144") == NULL);
	free(u);
}

/* --container and --pod: strings, in every mode, one cgroup filter only. */
TEST(container_filters)
{
	struct pc_options o;
	char err[256];

	CHECK_EQ_INT(pc_options_parse(&o, 3, (char *[]){ "pidcap", "--container", "web", NULL },
				      err, sizeof(err)), 0);
	CHECK_EQ_STR(o.container, "web");
	pc_options_free(&o);
	CHECK_EQ_INT(pc_options_parse(&o, 4, (char *[]){ "pidcap", "top", "--pod", "shop", NULL },
				      err, sizeof(err)), 0);
	CHECK_EQ_STR(o.pod, "shop");
	pc_options_free(&o);
	CHECK_EQ_INT(pc_options_parse(&o, 5, (char *[]){ "pidcap", "--container", "web", "--pod",
						    "shop", NULL }, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "use one of them") != NULL);
	pc_options_free(&o);
	CHECK_EQ_INT(pc_options_parse(&o, 5, (char *[]){ "pidcap", "--cgroup", "/", "--container",
						    "a1", NULL }, err, sizeof(err)), -EINVAL);
	pc_options_free(&o);
	CHECK_EQ_INT(pc_options_parse(&o, 3, (char *[]){ "pidcap", "--container", "", NULL },
				      err, sizeof(err)), -EINVAL);
	pc_options_free(&o);
}

/* --by-container: top and the exporter; not a capture option. */
TEST(by_container_modes)
{
	struct pc_options o;
	char err[256];

	CHECK_EQ_INT(pc_options_parse(&o, 4, (char *[]){ "pidcap", "top", "--by-container", "--batch",
						    NULL }, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.by_container, 1);
	CHECK_EQ_INT(o.batch, 1);
	pc_options_free(&o);
	CHECK_EQ_INT(pc_options_parse(&o, 3, (char *[]){ "pidcap", "exporter", "--by-container",
						    NULL }, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.by_container, 1);
	pc_options_free(&o);
	CHECK(pc_options_parse(&o, 2, (char *[]){ "pidcap", "--by-container", NULL }, err,
			       sizeof(err)) != 0);
	pc_options_free(&o);
}

int main(void)
{
	RUN(defaults);
	RUN(every_option);
	RUN(grouped_and_attached);
	RUN(directions);
	RUN(number_limits);
	RUN(expression_and_command);
	RUN(help_and_version);
	RUN(usage_errors);
	RUN(missing_argument);
	RUN(missing_argument_is_an_error);
	RUN(reparse_after_error_in_group);
	RUN(option_argument_dashes_is_not_the_separator);
	RUN(free_partial);
	RUN(small_error_buffer);
	RUN(usage);
	RUN(by_container_modes);
	RUN(usage_snaplen_default_matches_main);
	RUN(container_filters);
	return UNIT_DONE();
}
