/* Command line of pidcap: one table gives getopt_long its options, --help
 * its text and each plain option its field and bounds. Not for acting on
 * options: live.c, top.c and exporter.c do that. */
#ifndef PIDCAP_OPTIONS_H
#define PIDCAP_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PIDCAP_VERSION "0.1.0"

enum pc_mode {
	PC_MODE_CAPTURE,  /* pidcap [options] [expression] */
	PC_MODE_TOP,      /* pidcap top [options] */
	PC_MODE_EXPORTER, /* pidcap exporter [options] */
};

struct pc_options {
	enum pc_mode mode;
	char **ifaces;          /* -i, repeatable; none = all */
	size_t nifaces;
	int numeric;            /* -n: accepted; pidcap never resolves names */
	long count;             /* -c, 0 = unlimited */
	uint32_t snaplen;       /* -s */
	uint64_t buffer_bytes;  /* -B, in bytes; 0 = the default */
	uint64_t hold_bytes;    /* --hold-buffer, in bytes */
	const char *run_as;     /* -Z: the user after set-up (and of -- CMD) */
	int snaplen_set;
	int want_in, want_out;  /* -Q */
	int verbose;            /* -v, repeatable */
	int list_ifaces;        /* -D */
	int json;               /* --json */
	uint32_t *pids;         /* --pid, repeatable */
	size_t npids;
	char *comm;             /* --comm */
	int uid_set;
	uint32_t uid;           /* --uid */
	char *cgroup;           /* --cgroup */
	char *container;        /* --container NAME|ID-prefix */
	char *pod;              /* --pod NAME */
	char *filter;           /* pcap expression from the trailing arguments */
	char **cmd;             /* after "--": command to start and follow */
	char *write_file;       /* -w FILE ("-" = stdout): pcapng */
	char *read_file;        /* -r FILE ("-" = stdin): pcap or pcapng */
	uint64_t rotate_bytes;  /* -C, in millions of bytes; 0 = no size rotation */
	uint32_t ring_files;    /* -W */
	uint32_t rotate_secs;   /* -G */
	int print;              /* --print: also print packets with -w */
	int no_comments;        /* --no-comments: -w without the per-packet comment */
	double delay;           /* top -d: seconds between refreshes */
	long iterations;        /* top -n: refreshes, 0 = unlimited */
	int batch;              /* top --batch */
	char *listen;           /* exporter --listen ADDR:PORT */
	int by_exe;             /* exporter --by-exe */
	int by_container;       /* top, exporter --by-container */
	uint32_t grace_secs;    /* exporter --grace */
	int backend;            /* --backend: enum pc_backend (capture/capture.h) */
	int quiet;              /* -q */
	int link;               /* -e */
	int tstamp;             /* -t count: 1 none, 2 epoch, 3 delta, 4 date, 5 since first */
	int hex, hexascii, ascii; /* -x, -X, -A counts (2: with the link header) */
	int linebuf;            /* -l */
	int number;             /* -# */
	int flush_write;        /* -U */
	char *filter_file;      /* -F */
	int nano;               /* --time-stamp-precision=nano */
	int help, version;
};

/* Parses argv; argv[1] "top" or "exporter" selects the mode. Returns 0,
 * or -EINVAL with a message in err (a usage error: exit 2). */
int pc_options_parse(struct pc_options *o, int argc, char **argv, char *err, size_t errlen);
/* --help text of one mode. */
void pc_options_usage(FILE *f, enum pc_mode mode);
void pc_options_free(struct pc_options *o);

#endif
