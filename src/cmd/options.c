/* Parses pidcap's command line from a single option table, which also
 * prints --help. tcpdump's letters where the meaning is the same.
 * Not for validating against the system (interfaces, pids): main.c does. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "capture/capture.h"
#include "cmd/options.h"

enum {
	OPT_JSON = 256,
	OPT_PID,
	OPT_COMM,
	OPT_UID,
	OPT_CGROUP,
	OPT_HELP,
	OPT_VERSION,
	OPT_PRINT,
	OPT_BATCH,
	OPT_LISTEN,
	OPT_BY_EXE,
	OPT_GRACE,
	OPT_BACKEND,
};

#define M_CAP (1u << PC_MODE_CAPTURE)
#define M_TOP (1u << PC_MODE_TOP)
#define M_EXP (1u << PC_MODE_EXPORTER)
#define M_ALL (M_CAP | M_TOP | M_EXP)

static const char *const mode_names[] = { "pidcap", "pidcap top", "pidcap exporter" };

static const struct pc_opt {
	const char *name; /* long name or NULL */
	int has_arg;
	int val;          /* short letter or OPT_* */
	const char *arg;
	const char *help;
	unsigned int modes; /* PC_MODE_* bits where the option exists */
} table[] = {
	{ NULL, 1, 'i', "IFACE", "capture on IFACE only (repeatable; default: all)", M_ALL },
	{ NULL, 0, 'n', NULL, "do not resolve names (pidcap never does; for tcpdump habits)", M_CAP },
	{ NULL, 1, 'c', "COUNT", "exit after COUNT packets", M_CAP },
	{ NULL, 1, 's', "SNAPLEN", "bytes copied per packet (default: 256 when printing, all with -w; at most 65536)", M_CAP },
	{ NULL, 1, 'Q', "in|out|inout", "direction to capture (default inout)", M_CAP },
	{ NULL, 0, 'v', NULL, "more detail per packet: tid, user, exe, cmdline, cgroup; -vv: also kernel logs", M_CAP | M_TOP | M_EXP },
	{ NULL, 0, 'D', NULL, "list the interfaces pidcap can capture on and exit", M_CAP },
	{ NULL, 1, 'w', "FILE", "write packets to pcapng FILE ('-': stdout) instead of printing them", M_CAP },
	{ NULL, 1, 'r', "FILE", "read packets from pcap/pcapng FILE ('-': stdin) instead of capturing", M_CAP },
	{ NULL, 1, 'C', "SIZE", "with -w: start a new file (FILE1, FILE2...) past SIZE million bytes", M_CAP },
	{ NULL, 1, 'W', "COUNT", "with -C: reuse COUNT files in a ring; with -G: stop after COUNT files", M_CAP },
	{ NULL, 1, 'G', "SECONDS", "with -w: start a new file every SECONDS (FILE may hold strftime %-escapes)", M_CAP },
	{ "print", 0, OPT_PRINT, NULL, "with -w: print the packets too", M_CAP },
	{ "json", 0, OPT_JSON, NULL, "one JSON object per packet per line", M_CAP | M_TOP },
	{ "pid", 1, OPT_PID, "PID", "only packets of process PID (repeatable)", M_ALL },
	{ "comm", 1, OPT_COMM, "NAME", "only packets of processes whose command name is NAME", M_ALL },
	{ "uid", 1, OPT_UID, "UID", "only packets of processes running as UID", M_ALL },
	{ "cgroup", 1, OPT_CGROUP, "PATH", "only packets of processes in cgroup v2 PATH", M_ALL },
	{ "help", 0, OPT_HELP, NULL, "show this help and exit", M_ALL },
	{ "version", 0, OPT_VERSION, NULL, "show the version and exit", M_ALL },
	{ "backend", 1, OPT_BACKEND, "ebpf|pcap|auto", "capture with eBPF, or libpcap + sock_diag + /proc lookups (fewer packets attributed); auto: eBPF if it loads (default)", M_ALL },
	{ NULL, 1, 'd', "SECONDS", "top: refresh every SECONDS (default 1)", M_TOP },
	{ NULL, 1, 'n', "ITERATIONS", "top: stop after ITERATIONS refreshes", M_TOP },
	{ "batch", 0, OPT_BATCH, NULL, "top: print a text (or --json) snapshot per interval, no curses", M_TOP },
	{ "listen", 1, OPT_LISTEN, "ADDR:PORT", "exporter: serve /metrics here (default 127.0.0.1:9888)", M_EXP },
	{ "by-exe", 0, OPT_BY_EXE, NULL, "exporter: one series per executable, not per pid", M_EXP },
	{ "grace", 1, OPT_GRACE, "SECONDS", "exporter: keep series of exited processes this long (default 300)", M_EXP },
};

#define NOPTS (sizeof(table) / sizeof(table[0]))

void pc_options_usage(FILE *f, enum pc_mode mode)
{
	char left[64];
	size_t i;

	if (mode == PC_MODE_TOP)
		fprintf(f, "Usage: pidcap top [options] [-- COMMAND [ARGS...]]\n"
			   "Live bandwidth per process (counted in the kernel), like nethogs but exact.\n"
			   "Keys: see the help screen (h) in the view.\n\n");
	else if (mode == PC_MODE_EXPORTER)
		fprintf(f, "Usage: pidcap exporter [options]\n"
			   "Serves per-process traffic counters to Prometheus at /metrics.\n\n");
	else
		fprintf(f, "Usage: pidcap [options] [pcap filter expression]\n"
			   "       pidcap [options] [expression] -- COMMAND [ARGS...]\n"
			   "       pidcap top [options]       live bandwidth per process\n"
			   "       pidcap exporter [options]  Prometheus exporter\n"
			   "Shows every packet with the process that sent or received it.\n"
			   "With -- COMMAND, starts COMMAND and captures only it and its descendants.\n\n");
	fprintf(f, "Options:\n");
	for (i = 0; i < NOPTS; i++) {
		const struct pc_opt *t = &table[i];

		if (!(t->modes & (1u << mode)))
			continue;
		if (t->name)
			snprintf(left, sizeof(left), "--%s%s%s", t->name, t->arg ? " " : "",
				 t->arg ? t->arg : "");
		else
			snprintf(left, sizeof(left), "-%c%s%s", t->val, t->arg ? " " : "",
				 t->arg ? t->arg : "");
		fprintf(f, "  %-22s %s\n", left, t->help);
	}
}

static int parse_u32(const char *s, uint32_t *out, uint32_t min, uint32_t max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static char *join_args(char **args, int n)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, args[i]);
	}
	return s;
}

static int add_string(char ***arr, size_t *n, const char *s)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!a)
		return -ENOMEM;
	*arr = a;
	a[*n] = strdup(s);
	if (!a[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int pc_options_parse(struct pc_options *o, int argc, char **argv, char *err, size_t errlen)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 3], *p = shortopts;
	size_t i, nlong = 0;
	uint32_t v;
	int c, rest, dashes = -1;
	const char *last_optarg = NULL;

	memset(o, 0, sizeof(*o));
	o->snaplen = 262144;
	o->want_in = o->want_out = 1;
	o->delay = 1.0;
	o->grace_secs = 300;
	if (argc > 1 && !strcmp(argv[1], "top"))
		o->mode = PC_MODE_TOP;
	else if (argc > 1 && !strcmp(argv[1], "exporter"))
		o->mode = PC_MODE_EXPORTER;
	if (o->mode != PC_MODE_CAPTURE) {
		argc--; /* parse as if the mode word were the program name */
		argv++;
	}
	*p++ = '+'; /* stop at the first non-option: the expression or "--" */
	*p++ = ':'; /* a missing argument is ':', not '?' */
	for (i = 0; i < NOPTS; i++) {
		if (!(table[i].modes & (1u << o->mode)))
			continue;
		if (table[i].name)
			longopts[nlong++] = (struct option){ table[i].name, table[i].has_arg, NULL,
							     table[i].val };
		else {
			*p++ = table[i].val;
			if (table[i].has_arg)
				*p++ = ':';
		}
	}
	*p = 0;
	memset(&longopts[nlong], 0, sizeof(longopts[0]));
	opterr = 0;
	optind = 0; /* glibc: 0 resets getopt fully, for repeated parses */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		last_optarg = optarg;
		switch (c) {
		case 'i':
			if (add_string(&o->ifaces, &o->nifaces, optarg))
				goto nomem;
			break;
		case 'n':
			if (o->mode != PC_MODE_TOP) {
				o->numeric = 1;
				break;
			}
			if (parse_u32(optarg, &v, 1, UINT32_MAX)) {
				snprintf(err, errlen, "invalid iterations '%s' for -n: want a number >= 1", optarg);
				return -EINVAL;
			}
			o->iterations = v;
			break;
		case 'd': {
			char *end;

			errno = 0;
			o->delay = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o->delay >= 0.1 && o->delay <= 3600)) {
				snprintf(err, errlen, "invalid delay '%s' for -d: want seconds from 0.1 to 3600", optarg);
				return -EINVAL;
			}
			break;
		}
		case OPT_BATCH:
			o->batch = 1;
			break;
		case OPT_LISTEN:
			free(o->listen);
			o->listen = strdup(optarg);
			if (!o->listen)
				goto nomem;
			break;
		case OPT_BY_EXE:
			o->by_exe = 1;
			break;
		case OPT_GRACE:
			if (parse_u32(optarg, &v, 0, 86400 * 7)) {
				snprintf(err, errlen, "invalid --grace '%s': want seconds from 0 to 604800", optarg);
				return -EINVAL;
			}
			o->grace_secs = v;
			break;
		case 'c':
			if (parse_u32(optarg, &v, 1, UINT32_MAX)) {
				snprintf(err, errlen, "invalid packet count '%s' for -c: want a number >= 1", optarg);
				return -EINVAL;
			}
			o->count = v;
			break;
		case 's':
			if (parse_u32(optarg, &v, 0, 262144)) {
				snprintf(err, errlen, "invalid snaplen '%s' for -s: want 0 to 262144 (0 = 262144)", optarg);
				return -EINVAL;
			}
			o->snaplen = v ? v : 262144;
			o->snaplen_set = 1;
			break;
		case 'Q':
			if (!strcmp(optarg, "in")) {
				o->want_in = 1, o->want_out = 0;
			} else if (!strcmp(optarg, "out")) {
				o->want_in = 0, o->want_out = 1;
			} else if (!strcmp(optarg, "inout")) {
				o->want_in = o->want_out = 1;
			} else {
				snprintf(err, errlen, "invalid direction '%s' for -Q: want in, out or inout", optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			o->verbose++;
			break;
		case 'D':
			o->list_ifaces = 1;
			break;
		case 'w':
		case 'r':
			if (!*optarg) {
				snprintf(err, errlen, "-%c wants a file name ('-' for std%s)", c,
					 c == 'w' ? "out" : "in");
				return -EINVAL;
			}
			free(c == 'w' ? o->write_file : o->read_file);
			if (c == 'w')
				o->write_file = strdup(optarg);
			else
				o->read_file = strdup(optarg);
			if (!(c == 'w' ? o->write_file : o->read_file))
				goto nomem;
			break;
		case 'C':
			if (parse_u32(optarg, &v, 1, 1000000)) {
				snprintf(err, errlen, "invalid file size '%s' for -C: want 1 to 1000000 (millions of bytes)", optarg);
				return -EINVAL;
			}
			o->rotate_bytes = (uint64_t)v * 1000000;
			break;
		case 'W':
			if (parse_u32(optarg, &v, 1, 1000000)) {
				snprintf(err, errlen, "invalid file count '%s' for -W: want 1 to 1000000", optarg);
				return -EINVAL;
			}
			o->ring_files = v;
			break;
		case 'G':
			if (parse_u32(optarg, &v, 1, 31 * 24 * 3600)) {
				snprintf(err, errlen, "invalid interval '%s' for -G: want 1 to 2678400 seconds", optarg);
				return -EINVAL;
			}
			o->rotate_secs = v;
			break;
		case OPT_PRINT:
			o->print = 1;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_PID: {
			uint32_t *pids;

			if (parse_u32(optarg, &v, 1, INT_MAX)) {
				snprintf(err, errlen, "invalid pid '%s' for --pid: want a number >= 1", optarg);
				return -EINVAL;
			}
			pids = realloc(o->pids, (o->npids + 1) * sizeof(*pids));
			if (!pids)
				goto nomem;
			o->pids = pids;
			o->pids[o->npids++] = v;
			break;
		}
		case OPT_COMM:
			if (!*optarg || strlen(optarg) > 15) {
				snprintf(err, errlen, "invalid --comm '%s': a command name has 1 to 15 characters", optarg);
				return -EINVAL;
			}
			free(o->comm);
			o->comm = strdup(optarg);
			if (!o->comm)
				goto nomem;
			break;
		case OPT_UID:
			if (parse_u32(optarg, &v, 0, UINT32_MAX - 1)) {
				snprintf(err, errlen, "invalid uid '%s' for --uid: want a number", optarg);
				return -EINVAL;
			}
			o->uid_set = 1;
			o->uid = v;
			break;
		case OPT_CGROUP:
			free(o->cgroup);
			o->cgroup = strdup(optarg);
			if (!o->cgroup)
				goto nomem;
			break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "auto")) {
				o->backend = PC_BACKEND_AUTO;
			} else if (!strcmp(optarg, "ebpf")) {
				o->backend = PC_BACKEND_EBPF;
			} else if (!strcmp(optarg, "pcap")) {
				o->backend = PC_BACKEND_PCAP;
			} else {
				snprintf(err, errlen, "invalid --backend '%s': want ebpf, pcap or auto", optarg);
				return -EINVAL;
			}
			break;
		case OPT_HELP:
			o->help = 1;
			return 0;
		case OPT_VERSION:
			o->version = 1;
			return 0;
		case ':':
			snprintf(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt && optopt < 256)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	/* What is left: [expression...] [-- COMMAND ARGS...] */
	rest = optind;
	/* getopt consumed a "--" separator, unless it was an option's argument */
	if (rest > 1 && !strcmp(argv[rest - 1], "--") && argv[rest - 1] != last_optarg)
		dashes = rest - 1;
	for (c = rest; dashes < 0 && c < argc; c++)
		if (!strcmp(argv[c], "--"))
			dashes = c;
	if (dashes >= 0) {
		if (dashes + 1 >= argc) {
			snprintf(err, errlen, "'--' must be followed by a command to run");
			return -EINVAL;
		}
		o->cmd = &argv[dashes + 1];
	}
	if (dashes >= rest || dashes < 0) {
		int end = dashes >= 0 ? dashes : argc;

		if (end > rest) {
			o->filter = join_args(&argv[rest], end - rest);
			if (!o->filter)
				goto nomem;
		}
	}
	if (o->mode != PC_MODE_CAPTURE && o->filter) {
		snprintf(err, errlen, "%s takes no filter expression ('%s')", mode_names[o->mode],
			 o->filter);
		return -EINVAL;
	}
	if ((o->rotate_bytes || o->rotate_secs || o->ring_files) && !o->write_file) {
		snprintf(err, errlen, "-C, -W and -G need -w FILE");
		return -EINVAL;
	}
	if (o->ring_files && !o->rotate_bytes && !o->rotate_secs) {
		snprintf(err, errlen, "-W needs -C or -G");
		return -EINVAL;
	}
	if (o->write_file && !strcmp(o->write_file, "-") &&
	    (o->rotate_bytes || o->rotate_secs || o->print)) {
		snprintf(err, errlen, "-w - writes to stdout: it cannot rotate (-C, -G) or --print");
		return -EINVAL;
	}
	if (o->read_file && (o->write_file || o->cmd)) {
		snprintf(err, errlen, "-r reads a file: it does not go with -w or -- COMMAND");
		return -EINVAL;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void pc_options_free(struct pc_options *o)
{
	size_t i;

	for (i = 0; i < o->nifaces; i++)
		free(o->ifaces[i]);
	free(o->ifaces);
	free(o->pids);
	free(o->comm);
	free(o->cgroup);
	free(o->filter);
	free(o->write_file);
	free(o->read_file);
	free(o->listen);
	memset(o, 0, sizeof(*o));
}
