/* Loads, configures and attaches pidcap's eBPF programs (skeleton from
 * the programs under bpf/), chooses hooks by probing the running kernel, seeds the
 * owners of sockets that already exist, and drains the ring buffer.
 * Not for decoding or output: records go to the caller's callback. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture/ebpf.h"
#include "lib/clock.h"
#include "capture/kfilter.h"
#include "packet/pktfilter.h"
#include "proc/procinfo.h"
#include "pidcap.skel.h"
#include "pidcap_compat.skel.h"

/* The programs are built twice from the same sources: with kfuncs
 * (kernel 6.2 and later) and without (PC_COMPAT). One table per build. */
struct variant {
	const char *name;
	const char *const *kfuncs; /* the kernel must have all of these */
	void *(*open)(void);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*obj)(void *skel);
	struct pc_settings *(*settings)(void *skel);
};

#define DEFINE_VARIANT(skel)                                                    \
	static void *skel##_open_any(void) { return skel##__open(); }           \
	static int skel##_load_any(void *s) { return skel##__load(s); }         \
	static void skel##_destroy_any(void *s) { skel##__destroy(s); }         \
	static struct bpf_object *skel##_obj(void *s) { return ((struct skel *)s)->obj; } \
	static struct pc_settings *skel##_settings(void *s)                     \
	{                                                                       \
		return (struct pc_settings *)&((struct skel *)s)->rodata->settings; \
	}
DEFINE_VARIANT(pidcap_bpf)
DEFINE_VARIANT(pidcap_compat_bpf)

static const char *const full_kfuncs[] = { "bpf_cast_to_kern_ctx", "bpf_rdonly_cast", NULL };
static const char *const no_kfuncs[] = { NULL };

static const struct variant variants[] = {
	{ "full", full_kfuncs, pidcap_bpf_open_any, pidcap_bpf_load_any, pidcap_bpf_destroy_any,
	  pidcap_bpf_obj, pidcap_bpf_settings },
	{ "compat", no_kfuncs, pidcap_compat_bpf_open_any, pidcap_compat_bpf_load_any,
	  pidcap_compat_bpf_destroy_any, pidcap_compat_bpf_obj, pidcap_compat_bpf_settings },
};

struct pc_ebpf {
	const struct variant *variant;
	void *skel;
	struct bpf_object *obj;
	struct bpf_map *events, *counters, *filter_pids, *flows, *flows_fold, *cgroup_verdicts;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks;
	int cgroup_fd;
	pc_record_fn fn;
	void *ctx;
	char method[1024];
	unsigned int skipped;   /* bits of optional_progs not loaded or attached */
	unsigned int unused;    /* of those, substitutes not needed (not a loss) */
	unsigned int renamed;   /* hooks this kernel has under another name */
	int filter_on;          /* filter_pids in use: swept of exited pids */
	int (*cgroup_match)(void *ctx, uint64_t cgroup_id); /* the cgroup filter */
	void *cgroup_ctx;
	uint64_t cgroup_filtered; /* packets the cgroup filter dropped here */
	uint64_t last_sweep_ns;
	struct pc_pktfilter *kf; /* the filter expression, for the kernel */
	int kf_off;             /* run it in user space: kf_why says why */
	int kf_fds[2];
	char kf_why[512];
	char filter_where[600];
};

#define URING_LOSS "the first packets an io_uring request sends after a hand-over may name " \
		   "the previous one"

/* Programs pidcap runs without when the kernel lacks their hook or refuses
 * them, and what the user loses then. Every other program is the core:
 * packets (cgroup_skb) and the owner hooks that run in the owner's context
 * (cgroup sock_create, post_bind, connect, sendmsg, recvmsg). */
static const struct optional_prog {
	const char *name;
	const char *loss;
} optional_progs[] = {
	{ "pc_egress_sender", "the first packets a socket's new holder sends may name the "
			      "previous one" },
	/* the substitutes for pc_egress_sender, loaded only without it */
	{ "pc_sys_enter", "no socket syscall names its caller before it sends" },
	{ "pc_uring_submit", URING_LOSS },
	{ "pc_uring_submit_sqe", URING_LOSS }, /* its name before 6.3 */
	{ "pc_seed", "sockets opened before start have no owner until first used" },
	{ "pc_send_length", "a socket's new holder is named only once it sends" },
	{ "pc_recv_length", "a socket's new holder is named only once it sends" },
	{ "pc_sockops", "handshake packets of accepted connections name the listening "
			"process" },
	{ "pc_sock_release", "an old socket's seeded owner may outlive it until TCP close" },
	{ "pc_sock_state", "an old socket's seeded owner may outlive it until its release" },
	{ "pc_exec", "programs are named from /proc: short-lived ones may show only their "
		     "command name" },
	{ "pc_fork", "children forked after start are not followed by --pid and -- CMD" },
	{ "pc_exit", "exited processes are forgotten later" },
};
/* What pc_egress_sender's substitute costs and misses. */
#define SYS_ENTER_INSTEAD                                                          \
	"pc_sys_enter and pc_uring_submit name socket users instead, at a cost to "     \
	"every syscall of every process"
#define N_OPTIONAL (sizeof(optional_progs) / sizeof(optional_progs[0]))
_Static_assert(N_OPTIONAL <= 32, "skipped is a 32-bit mask");

static int optional_index(const char *name)
{
	size_t i;

	for (i = 0; i < N_OPTIONAL; i++)
		if (!strcmp(optional_progs[i].name, name))
			return (int)i;
	return -1;
}
#define OPT_BIT(name) (1u << optional_index(name))
#define SUBSTITUTES (OPT_BIT("pc_sys_enter") | OPT_BIT("pc_uring_submit") | \
		     OPT_BIT("pc_uring_submit_sqe"))

/* Core hooks whose work an optional program does as well, on every
 * datagram: left out while that program loads (each costs about 80 ns a
 * datagram), loaded again in a build where it is refused. */
static const struct superseded {
	const char *name, *by;
} superseded[] = {
	/* the sender of every UDP packet is named as it leaves */
	{ "pc_sendmsg4", "pc_egress_sender" },
	{ "pc_sendmsg6", "pc_egress_sender" },
	/* after every receive, not only those that ask for the address */
	{ "pc_recvmsg4", "pc_recv_length" },
	{ "pc_recvmsg6", "pc_recv_length" },
};

static int libbpf_verbose;
static char failed_prog[64]; /* last program libbpf could not load */

/* libbpf's messages, verifier logs included, only with -vv: errors are
 * reported by pidcap in one line. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512], name[64];
	va_list copy;

	(void)level;
	va_copy(copy, ap);
	vsnprintf(line, sizeof(line), fmt, copy); /* enough for the prefix */
	va_end(copy);
	if (sscanf(line, "libbpf: prog '%63[^']': failed to load", name) == 1 ||
	    sscanf(line, "libbpf: prog '%63[^']': BPF program load failed", name) == 1)
		snprintf(failed_prog, sizeof(failed_prog), "%s", name);
	if (libbpf_verbose < 2)
		return 0;
	return vfprintf(stderr, fmt, ap); /* whole, verifier logs included */
}

/* CAP_* bits that loading, reading kernel memory and attaching to a
 * cgroup need. */
static const struct {
	int bit;
	const char *name;
} needed_caps[] = {
	{ 12, "CAP_NET_ADMIN" },
	{ 21, "CAP_SYS_ADMIN" },
	{ 38, "CAP_PERFMON" },
	{ 39, "CAP_BPF" },
};

static int check_privileges(char *errbuf, size_t errlen)
{
	char line[256], missing[128] = "";
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "r");
	size_t i;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	for (i = 0; i < sizeof(needed_caps) / sizeof(needed_caps[0]); i++) {
		if (eff & (1ULL << needed_caps[i].bit))
			continue;
		if (*missing)
			strcat(missing, ", ");
		strcat(missing, needed_caps[i].name);
	}
	if (!*missing)
		return 0;
	snprintf(errbuf, errlen,
		 "missing capabilities %s: run pidcap as root (sudo pidcap) "
		 "or grant them (setcap cap_bpf,cap_perfmon,cap_net_admin,cap_sys_admin+ep)",
		 missing);
	return -EPERM;
}

/* Does the running kernel have tracepoint NAME with BTF (tp_btf)? */
static int kernel_has_btf_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type[128];

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) >= 0;
}

static int add_link(struct pc_ebpf *cap, struct bpf_link *link)
{
	struct bpf_link **links;

	links = realloc(cap->links, (cap->nlinks + 1) * sizeof(*links));
	if (!links) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	cap->links = links;
	cap->links[cap->nlinks++] = link;
	return 0;
}

static int attach_prog(struct pc_ebpf *cap, struct bpf_program *prog,
		       char *errbuf, size_t errlen)
{
	enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
	enum bpf_prog_type ptype = bpf_program__type(prog);
	struct bpf_link *link;
	int err;

	if (!bpf_program__autoload(prog) || (ptype == BPF_PROG_TYPE_TRACING && type == BPF_TRACE_ITER) ||
	    pc_kfilter_is_cont(bpf_program__name(prog)))
		return 0;
	if (ptype == BPF_PROG_TYPE_CGROUP_SKB || ptype == BPF_PROG_TYPE_CGROUP_SOCK ||
	    ptype == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || ptype == BPF_PROG_TYPE_SOCK_OPS)
		link = bpf_program__attach_cgroup(prog, cap->cgroup_fd);
	else
		link = bpf_program__attach(prog);
	if (!link) {
		int opt = optional_index(bpf_program__name(prog));

		err = -errno;
		if (opt >= 0) { /* run without it: the start-up line says what is lost */
			cap->skipped |= 1u << opt;
			return 0;
		}
		snprintf(errbuf, errlen, "cannot attach %s (%s): %s", bpf_program__name(prog),
			 bpf_program__section_name(prog), strerror(-err));
		return err;
	}
	return add_link(cap, link);
}

/* Runs the iter/task_file program once: every socket already open gets
 * the process that holds it as owner. */
static int seed_existing_sockets(struct pc_ebpf *cap, char *errbuf, size_t errlen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(cap->obj, "pc_seed");
	struct bpf_link *link;
	char buf[64];
	int fd, err = 0;

	if (!prog || !bpf_program__autoload(prog))
		return 0;
	link = bpf_program__attach_iter(prog, NULL);
	if (!link) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot attach task_file iterator: %s", strerror(-err));
		return err;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot create task_file iterator: %s", strerror(-err));
		goto out;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

/* The caller's verdict on a cgroup id, given to the kernel's cgroup filter
 * unless the caller cannot tell yet (a container whose state files are not
 * written yet): then the kernel keeps asking, packet by packet. Returns 1
 * when the cgroup is in the filter. */
static int settle_cgroup(struct pc_ebpf *cap, uint64_t id)
{
	int match = cap->cgroup_match ? cap->cgroup_match(cap->cgroup_ctx, id) : 0;
	__u8 v = match > 0 ? PC_CG_YES : PC_CG_NO;

	if (match >= 0)
		bpf_map_update_elem(bpf_map__fd(cap->cgroup_verdicts), &id, &v, BPF_ANY);
	return match > 0;
}

/* A packet the kernel's cgroup filter left undecided: in the filter when
 * an undecided owner's or peer's cgroup is. */
static int pending_in_cgroup(struct pc_ebpf *cap, const struct pc_packet *p)
{
	return ((p->flags & PC_PKT_OWNER_CG_PENDING) && settle_cgroup(cap, p->owner.cgroup_id)) ||
	       ((p->flags & PC_PKT_PEER_CG_PENDING) && settle_cgroup(cap, p->peer.cgroup_id));
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct pc_ebpf *cap = ctx;
	const struct pc_packet *p = data;

	if (size >= sizeof(struct pc_cgroup_ask) && p->type == PC_REC_CGROUP) {
		settle_cgroup(cap, ((const struct pc_cgroup_ask *)data)->cgroup_id);
		return 0;
	}
	if (size >= sizeof(*p) && p->type == PC_REC_PACKET &&
	    (p->flags & (PC_PKT_OWNER_CG_PENDING | PC_PKT_PEER_CG_PENDING)) &&
	    !pending_in_cgroup(cap, p)) {
		cap->cgroup_filtered++;
		return 0;
	}
	return cap->fn(cap->ctx, data, size);
}

/* Does this kernel have every kfunc build v needs? */
static int variant_fits(const struct variant *v, const struct btf *vmlinux)
{
	size_t k;

	for (k = 0; v->kfuncs[k]; k++)
		if (btf__find_by_name_kind(vmlinux, v->kfuncs[k], BTF_KIND_FUNC) < 0)
			return 0;
	return 1;
}

/* PIDCAP_BPF_VARIANT (full or compat) forces one build, to test the compat
 * path on new kernels; NULL when it names none. */
static const struct variant *forced_variant(const char *force)
{
	size_t i;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (!strcmp(force, variants[i].name))
			return &variants[i];
	return NULL;
}

static void configure(struct pc_ebpf *cap, const struct pc_capture_opts *o)
{
	struct pc_settings *set = cap->variant->settings(cap->skel);
	struct bpf_program *prog;
	size_t i;

	set->snaplen = o->snaplen;
	set->want_in = o->want_in;
	set->want_out = o->want_out;
	set->filter_pids_on = o->filter_pids;
	cap->filter_on = o->filter_pids;
	set->follow_children = o->follow_children;
	if (o->comm) {
		set->filter_comm_on = 1;
		strncpy(set->filter_comm, o->comm, PC_COMM_LEN - 1);
	}
	set->filter_uid_on = o->uid_set;
	set->filter_uid = o->uid;
	set->filter_cgroup_on = !!o->cgroup_match;
	cap->cgroup_match = o->cgroup_match;
	cap->cgroup_ctx = o->cgroup_match_ctx;
	set->count_mode = o->count_mode;
	set->kfilter_on = cap->kf && !cap->kf_off;
	bpf_object__for_each_program(prog, cap->obj)
		if (pc_kfilter_is_cont(bpf_program__name(prog)))
			bpf_program__set_autoload(prog, set->kfilter_on);
	if (o->ring_bytes) {
		bpf_map__set_max_entries(cap->events, o->ring_bytes);
		/* wake user space well before a small ring (-B) is full */
		if (set->wakeup_bytes > o->ring_bytes / 4)
			set->wakeup_bytes = o->ring_bytes / 4;
	}
	/* pc_sys_enter costs every syscall of every process: only where the
	 * egress hook cannot name senders */
	cap->unused = cap->renamed;
	if (!(cap->skipped & OPT_BIT("pc_egress_sender")))
		cap->unused |= SUBSTITUTES & ~cap->skipped;
	cap->skipped |= cap->unused;
	set->syscall_owners = (cap->skipped & SUBSTITUTES) != SUBSTITUTES;
	for (i = 0; i < N_OPTIONAL; i++) {
		prog = bpf_object__find_program_by_name(cap->obj, optional_progs[i].name);
		if (prog && (cap->skipped & (1u << i)))
			bpf_program__set_autoload(prog, false);
	}
	for (i = 0; i < sizeof(superseded) / sizeof(superseded[0]); i++) {
		prog = bpf_object__find_program_by_name(cap->obj, superseded[i].name);
		if (prog && bpf_object__find_program_by_name(cap->obj, superseded[i].by) &&
		    !(cap->skipped & OPT_BIT(superseded[i].by)))
			bpf_program__set_autoload(prog, false);
	}
}

/* Opens build v afresh (a refused program leaves libbpf's object unusable)
 * and finds its maps. */
static int open_variant(struct pc_ebpf *cap, const struct variant *v,
			const struct pc_capture_opts *o, char *errbuf, size_t errlen)
{
	int err;

	if (cap->skel)
		cap->variant->destroy(cap->skel);
	cap->variant = v;
	cap->skel = v->open();
	if (!cap->skel) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open eBPF object: %s", strerror(-err));
		return err;
	}
	cap->obj = v->obj(cap->skel);
	cap->events = bpf_object__find_map_by_name(cap->obj, "events");
	cap->counters = bpf_object__find_map_by_name(cap->obj, "counters");
	cap->filter_pids = bpf_object__find_map_by_name(cap->obj, "filter_pids");
	cap->flows = bpf_object__find_map_by_name(cap->obj, "flows");
	cap->flows_fold = bpf_object__find_map_by_name(cap->obj, "flows_fold");
	cap->cgroup_verdicts = bpf_object__find_map_by_name(cap->obj, "cgroup_verdicts");
	configure(cap, o);
	return 0;
}

/* The first program of the object that PIDCAP_BPF_REJECT names, or NULL. */
static struct bpf_program *env_rejected(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (bpf_program__autoload(prog) && pc_bpf_rejected_by_env(bpf_program__name(prog)))
			return prog;
	return NULL;
}

/* Loads build v. A refused optional program is left out and the rest
 * loaded again; a refused core program fails the build, naming it. */
static int load_variant(struct pc_ebpf *cap, const struct variant *v,
			const struct pc_capture_opts *o, unsigned int absent, char *errbuf,
			size_t errlen)
{
	struct bpf_program *bad;
	const char *name;
	int err, opt, simulated = 0;

	cap->skipped = absent;
	cap->kf_off = 0;
	for (;;) {
		err = open_variant(cap, v, o, errbuf, errlen);
		if (err)
			return err;
		failed_prog[0] = 0;
		bad = env_rejected(cap->obj);
		simulated = bad != NULL;
		err = bad ? -EACCES : cap->variant->load(cap->skel);
		if (!err)
			return 0;
		if (!bad && failed_prog[0])
			bad = bpf_object__find_program_by_name(cap->obj, failed_prog);
		name = bad ? bpf_program__name(bad) : NULL;
		if (name && pc_kfilter_is_cont(name) && !cap->kf_off) {
			/* the filter then runs in user space */
			cap->kf_off = 1;
			snprintf(cap->kf_why, sizeof(cap->kf_why),
				 "the kernel refused %s: %s%s", name, strerror(-err),
				 simulated ? " (PIDCAP_BPF_REJECT names it)" : "");
			continue;
		}
		opt = name ? optional_index(name) : -1;
		if (opt < 0 || (cap->skipped & (1u << opt)))
			break;
		cap->skipped = (cap->skipped & ~cap->unused) | 1u << opt;
	}
	if (name)
		snprintf(errbuf, errlen,
			 "the kernel refused eBPF program %s (%s) of the %s build: %s (%s)",
			 name, bpf_program__section_name(bad), v->name, strerror(-err),
			 simulated ? "PIDCAP_BPF_REJECT names it" :
				     "pidcap -vv shows the verifier's reason");
	else
		snprintf(errbuf, errlen, "cannot load the %s eBPF build: %s (pidcap -vv shows why)",
			 v->name, strerror(-err));
	return err;
}

/* Hooks this kernel does not have at all: left out before loading. */
static unsigned int absent_hooks(const struct btf *vmlinux)
{
	static const char *const tp[][2] = {
		{ "pc_send_length", "sock_send_length" },
		{ "pc_recv_length", "sock_recv_length" },
		{ "pc_sock_state", "inet_sock_set_state" },
		{ "pc_uring_submit", "io_uring_submit_req" },
		{ "pc_uring_submit_sqe", "io_uring_submit_sqe" },
	};
	unsigned int absent = 0;
	size_t i;

	for (i = 0; i < sizeof(tp) / sizeof(tp[0]); i++)
		if (!kernel_has_btf_tracepoint(vmlinux, tp[i][1]))
			absent |= 1u << optional_index(tp[i][0]);
	return absent;
}

/* Of a hook renamed between kernels, the name this kernel lacks: not a
 * loss when it has the other. */
static unsigned int renamed_hooks(unsigned int absent)
{
	unsigned int req = OPT_BIT("pc_uring_submit"), sqe = OPT_BIT("pc_uring_submit_sqe");

	if ((absent & (req | sqe)) == (req | sqe))
		return 0;
	return absent & (req | sqe);
}

/* The start-up line: build, hooks in use and, for each program left out,
 * what the user loses (each loss once). */
static void describe(struct pc_ebpf *cap)
{
	size_t i, k, len;
	int dup;

	unsigned int lost = cap->skipped & ~cap->unused;

	len = snprintf(cap->method, sizeof(cap->method),
		       "%s eBPF build: owners from cgroup sock hooks%s%s%s%s; packets from cgroup_skb",
		       cap->variant->name,
		       (cap->skipped & OPT_BIT("pc_egress_sender")) ? "" : ", sending packets",
		       (cap->skipped & OPT_BIT("pc_sys_enter")) ? "" :
		       (cap->skipped & OPT_BIT("pc_uring_submit")) &&
				       (cap->skipped & OPT_BIT("pc_uring_submit_sqe")) ?
			       ", socket syscalls (sys_enter)" :
								      ", socket syscalls (sys_enter) and io_uring",
		       (cap->skipped & (OPT_BIT("pc_send_length") | OPT_BIT("pc_recv_length"))) ?
			       "" : ", sock_send/recv_length",
		       (cap->skipped & OPT_BIT("pc_seed")) ? "" : ", a socket iterator");
	for (i = 0; i < N_OPTIONAL && len < sizeof(cap->method); i++) {
		if (!(lost & (1u << i)))
			continue;
		dup = 0;
		for (k = 0; k < i; k++)
			if ((lost & (1u << k)) &&
			    !strcmp(optional_progs[k].loss, optional_progs[i].loss))
				dup = 1;
		len += snprintf(cap->method + len, sizeof(cap->method) - len, "; without %s%s",
				optional_progs[i].name, dup ? "" : ": ");
		if (!dup && len < sizeof(cap->method))
			len += snprintf(cap->method + len, sizeof(cap->method) - len, "%s",
					(1u << i) == OPT_BIT("pc_egress_sender") &&
							!(cap->skipped & OPT_BIT("pc_sys_enter")) ?
						SYS_ENTER_INSTEAD :
						optional_progs[i].loss);
	}
}

/* The build whose kfuncs this kernel has, then the builds after it (compat
 * last) when a core program is refused. */
static int load_programs(struct pc_ebpf *cap, const struct pc_capture_opts *o, char *errbuf,
			 size_t errlen)
{
	const char *force = getenv("PIDCAP_BPF_VARIANT");
	struct btf *vmlinux = btf__load_vmlinux_btf();
	char first[512] = "";
	unsigned int absent;
	size_t i;
	int err = -ENOENT, tried = 0;

	if (!vmlinux) {
		err = -errno ? -errno : -ENOENT;
		snprintf(errbuf, errlen, "cannot read kernel BTF: %s", strerror(-err));
		return err;
	}
	absent = absent_hooks(vmlinux);
	cap->renamed = renamed_hooks(absent);
	if (force && *force && !forced_variant(force)) {
		btf__free(vmlinux);
		snprintf(errbuf, errlen, "PIDCAP_BPF_VARIANT='%s' is not a build of the eBPF "
			 "programs (full or compat)", force);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *v = &variants[i];

		if (force && *force ? v != forced_variant(force) : !variant_fits(v, vmlinux))
			continue;
		err = load_variant(cap, v, o, absent, errbuf, errlen);
		if (!err)
			break;
		if (!tried++)
			snprintf(first, sizeof(first), "%s", errbuf);
	}
	btf__free(vmlinux);
	if (err && tried > 1 && strcmp(first, errbuf)) {
		char both[1024];

		snprintf(both, sizeof(both), "%s; %s", first, errbuf);
		snprintf(errbuf, errlen, "%s", both);
	}
	return err;
}

/* The filter expression into the kernel, before anything is attached;
 * where the kernel refuses it, user space filters and the start-up line
 * says why. */
static void install_filter(struct pc_ebpf *cap, const struct pc_capture_opts *o)
{
	if (!cap->kf) {
		cap->filter_where[0] = 0;
		return;
	}
	if (!cap->kf_off && pc_kfilter_install(cap->obj, cap->kf, o->verbose, cap->kf_fds,
					       cap->kf_why, sizeof(cap->kf_why)))
		cap->kf_off = 1;
	if (cap->kf_off)
		snprintf(cap->filter_where, sizeof(cap->filter_where), "filter in user space (%s)",
			 cap->kf_why);
	else
		snprintf(cap->filter_where, sizeof(cap->filter_where), "filter in the kernel");
}

int pc_ebpf_open(struct pc_ebpf **out, const struct pc_capture_opts *o,
		     pc_record_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	struct pc_ebpf *cap = NULL;
	struct bpf_program *prog, *sender;
	char cgroot[4096];
	size_t i;
	int err;

	*out = NULL;
	err = check_privileges(errbuf, errlen);
	if (err)
		return err;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(errbuf, errlen,
			 "kernel BTF (/sys/kernel/btf/vmlinux) is missing: this kernel was built "
			 "without CONFIG_DEBUG_INFO_BTF; use a kernel with BTF (5.8 or later)");
		return -ENOTSUP;
	}
	err = pc_find_cgroup2("/proc", cgroot, sizeof(cgroot));
	if (err) {
		snprintf(errbuf, errlen,
			 "no cgroup v2 mount found in /proc/self/mountinfo: mount one "
			 "(mount -t cgroup2 none /sys/fs/cgroup)");
		return err;
	}
	libbpf_verbose = o->verbose;
	libbpf_set_print(libbpf_log);

	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		err = -ENOMEM;
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	cap->cgroup_fd = -1;
	cap->kf_fds[0] = cap->kf_fds[1] = -1;
	cap->fn = fn;
	cap->ctx = ctx;
	cap->cgroup_fd = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cap->cgroup_fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open cgroup v2 root %s: %s", cgroot, strerror(-err));
		goto fail;
	}
	if (o->filter) {
		err = pc_pktfilter_new(&cap->kf, o->filter, 65535, errbuf, errlen);
		if (err)
			goto fail;
	}
	err = load_programs(cap, o, errbuf, errlen);
	if (err)
		goto fail;
	install_filter(cap, o);
	for (i = 0; i < o->npids; i++) {
		err = pc_ebpf_add_pid(cap, o->pids[i]);
		if (err) {
			snprintf(errbuf, errlen, "cannot add pid %u to the filter: %s",
				 o->pids[i], strerror(-err));
			goto fail;
		}
	}
	cap->rb = ring_buffer__new(bpf_map__fd(cap->events), handle_record, cap, NULL);
	if (!cap->rb) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot create ring buffer: %s", strerror(-err));
		goto fail;
	}
	/* the sender is named before pc_egress reads the owner: cgroup
	 * programs of one hook run in the order they were attached */
	sender = bpf_object__find_program_by_name(cap->obj, "pc_egress_sender");
	err = sender ? attach_prog(cap, sender, errbuf, errlen) : 0;
	if (err)
		goto fail;
	bpf_object__for_each_program(prog, cap->obj) {
		if (prog == sender)
			continue;
		err = attach_prog(cap, prog, errbuf, errlen);
		if (err)
			goto fail;
	}
	if (seed_existing_sockets(cap, errbuf, errlen))
		cap->skipped |= 1u << optional_index("pc_seed");
	describe(cap);
	*out = cap;
	return 0;
fail:
	pc_ebpf_close(cap);
	return err;
}

void pc_ebpf_close(struct pc_ebpf *cap)
{
	size_t i;

	if (!cap)
		return;
	for (i = 0; i < cap->nlinks; i++)
		bpf_link__destroy(cap->links[i]);
	free(cap->links);
	ring_buffer__free(cap->rb);
	if (cap->skel)
		cap->variant->destroy(cap->skel);
	for (i = 0; i < 2; i++)
		if (cap->kf_fds[i] >= 0)
			close(cap->kf_fds[i]);
	pc_pktfilter_free(cap->kf);
	if (cap->cgroup_fd >= 0)
		close(cap->cgroup_fd);
	free(cap);
}

int pc_ebpf_fd(const struct pc_ebpf *cap)
{
	return ring_buffer__epoll_fd(cap->rb);
}

/* Once a second with a process filter: exited pids the kernel marked leave
 * the filter at the second sweep that sees them (their sockets' last
 * packets, FIN after exit, still match in between). */
static void sweep_pids(struct pc_ebpf *cap)
{
	int fd = bpf_map__fd(cap->filter_pids);
	uint32_t key, next, *prev = NULL, gone[256];
	uint64_t now = pc_clock_ns(CLOCK_MONOTONIC);
	size_t n = 0, i;
	__u8 v, swept = PC_FILTER_SWEPT;

	if (!cap->filter_on || now - cap->last_sweep_ns < 1000000000ULL)
		return;
	cap->last_sweep_ns = now;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (v == PC_FILTER_EXITED)
			bpf_map_update_elem(fd, &key, &swept, BPF_EXIST);
		else if (v == PC_FILTER_SWEPT && n < sizeof(gone) / sizeof(gone[0]))
			gone[n++] = key; /* deleted after the walk: deleting restarts it */
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &gone[i]);
}

int pc_ebpf_consume(struct pc_ebpf *cap)
{
	sweep_pids(cap);
	return ring_buffer__consume(cap->rb);
}

int pc_ebpf_counters(const struct pc_ebpf *cap, uint64_t out[PC_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(cap->counters);
	uint64_t *vals;
	__u32 key;
	int cpu, err = 0;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (key = 0; key < PC_CNT_MAX; key++) {
		out[key] = 0;
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++)
			out[key] += vals[cpu];
	}
	out[PC_CNT_FILTERED] += cap->cgroup_filtered;
	free(vals);
	return err;
}

int pc_ebpf_add_pid(struct pc_ebpf *cap, uint32_t pid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(cap->filter_pids), &pid, &one, BPF_ANY))
		return -errno;
	return 0;
}

int pc_ebpf_flows_fd(const struct pc_ebpf *cap)
{
	return bpf_map__fd(cap->flows);
}

int pc_ebpf_flows_fold_fd(const struct pc_ebpf *cap)
{
	return cap->flows_fold ? bpf_map__fd(cap->flows_fold) : -1;
}

const char *pc_ebpf_method(const struct pc_ebpf *cap)
{
	return cap->method;
}

int pc_ebpf_filter_where(const struct pc_ebpf *cap, const char **where)
{
	*where = cap->filter_where;
	return cap->kf && !cap->kf_off;
}

