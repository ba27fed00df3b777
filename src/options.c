/* Parses pidcap's command line from a single option table, which also
 * prints --help. tcpdump's letters where the meaning is the same.
 * Not for validating against the system (interfaces, pids): main.c does. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

enum {
	OPT_JSON = 256,
	OPT_PID,
	OPT_COMM,
	OPT_UID,
	OPT_CGROUP,
	OPT_HELP,
	OPT_VERSION,
	OPT_PRINT,
};

static const struct pc_opt {
	const char *name; /* long name or NULL */
	int has_arg;
	int val;          /* short letter or OPT_* */
	const char *arg;
	const char *help;
} table[] = {
	{ NULL, 1, 'i', "IFACE", "capture on IFACE only (repeatable; default: all)" },
	{ NULL, 0, 'n', NULL, "do not resolve names (pidcap never does; for tcpdump habits)" },
	{ NULL, 1, 'c', "COUNT", "exit after COUNT packets" },
	{ NULL, 1, 's', "SNAPLEN", "copy at most SNAPLEN bytes of each packet (default 262144)" },
	{ NULL, 1, 'Q', "in|out|inout", "direction to capture (default inout)" },
	{ NULL, 0, 'v', NULL, "more detail per packet: tid, user, exe, cmdline, cgroup; -vv: also kernel logs" },
	{ NULL, 0, 'D', NULL, "list the interfaces pidcap can capture on and exit" },
	{ NULL, 1, 'w', "FILE", "write packets to pcapng FILE ('-': stdout) instead of printing them" },
	{ NULL, 1, 'r', "FILE", "read packets from pcap/pcapng FILE ('-': stdin) instead of capturing" },
	{ NULL, 1, 'C', "SIZE", "with -w: start a new file (FILE1, FILE2...) past SIZE million bytes" },
	{ NULL, 1, 'W', "COUNT", "with -C: reuse COUNT files in a ring; with -G: stop after COUNT files" },
	{ NULL, 1, 'G', "SECONDS", "with -w: start a new file every SECONDS (FILE may hold strftime %-escapes)" },
	{ "print", 0, OPT_PRINT, NULL, "with -w: print the packets too" },
	{ "json", 0, OPT_JSON, NULL, "one JSON object per packet per line" },
	{ "pid", 1, OPT_PID, "PID", "only packets of process PID (repeatable)" },
	{ "comm", 1, OPT_COMM, "NAME", "only packets of processes whose command name is NAME" },
	{ "uid", 1, OPT_UID, "UID", "only packets of processes running as UID" },
	{ "cgroup", 1, OPT_CGROUP, "PATH", "only packets of processes in cgroup v2 PATH" },
	{ "help", 0, OPT_HELP, NULL, "show this help and exit" },
	{ "version", 0, OPT_VERSION, NULL, "show the version and exit" },
};

#define NOPTS (sizeof(table) / sizeof(table[0]))

void pc_options_usage(FILE *f)
{
	char left[64];
	size_t i;

	fprintf(f, "Usage: pidcap [options] [pcap filter expression]\n"
		   "       pidcap [options] [expression] -- COMMAND [ARGS...]\n"
		   "Shows every packet with the process that sent or received it.\n"
		   "With -- COMMAND, starts COMMAND and captures only it and its descendants.\n\n"
		   "Options:\n");
	for (i = 0; i < NOPTS; i++) {
		const struct pc_opt *t = &table[i];

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
	char shortopts[2 * NOPTS + 2], *p = shortopts;
	size_t i, nlong = 0;
	uint32_t v;
	int c, rest, dashes = -1;

	memset(o, 0, sizeof(*o));
	o->snaplen = 262144;
	o->want_in = o->want_out = 1;
	*p++ = '+'; /* stop at the first non-option: the expression or "--" */
	for (i = 0; i < NOPTS; i++) {
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
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (add_string(&o->ifaces, &o->nifaces, optarg))
				goto nomem;
			break;
		case 'n':
			o->numeric = 1;
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
	if (rest > 1 && !strcmp(argv[rest - 1], "--"))
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
	memset(o, 0, sizeof(*o));
}
