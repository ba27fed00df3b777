/* Formats packet records: text lines in tcpdump's spirit plus the
 * processes ("curl[4821] -> nginx[912]"), or one JSON object per line.
 * Every untrusted string (comm, exe, cmdline, cgroup, ifname) is escaped.
 * Not for reading records or deciding what to print. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "packet/decode.h"
#include "packet/nd.h"
#include "lib/escape.h"
#include "lib/strbuf.h"
#include "cmd/print.h"
#include "proc/owner_desc.h"
#include "proc/procinfo.h"
#include "pcapfile/pcapng_comment.h"
#include "pcapfile/pcapng_write.h"

/* Longest line: every string below is bounded (exe 511, cmdline 1023,
 * cgroup 511, user 63 bytes) and escaping grows a byte to 6 at most. */
#define PC_LINE_MAX 65536

static void put_u(struct pc_sb *o, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	*--p = 0;
	do
		*--p = '0' + v % 10;
	while (v /= 10);
	pc_sb_puts(o, p);
}

/* v as exactly `digits` digits, zero-padded. */
static void put_u0(struct pc_sb *o, uint64_t v, int digits)
{
	char tmp[24];

	tmp[digits] = 0;
	while (digits--) {
		tmp[digits] = '0' + v % 10;
		v /= 10;
	}
	pc_sb_puts(o, tmp);
}

static void put_u_or_null(struct pc_sb *o, uint64_t v, int known)
{
	if (known)
		put_u(o, v);
	else
		pc_sb_puts(o, "null");
}

static void put_json_str(struct pc_sb *o, const char *s)
{
	if (!s) {
		pc_sb_printf(o, "null");
		return;
	}
	pc_sb_printf(o, "\"");
	if (o->len + 1 < o->cap)
		o->len += pc_escape_json(o->buf + o->len, o->cap - o->len - 1, s, strlen(s));
	pc_sb_printf(o, "\"");
}

/* A string that is null when unknown or empty. */
static void put_json_opt(struct pc_sb *o, int have, const char *s)
{
	put_json_str(o, have && s[0] ? s : NULL);
}

static void put_text_str(struct pc_sb *o, const char *s, int space_too)
{
	if (o->len + 1 < o->cap)
		o->len += pc_escape_text(o->buf + o->len, o->cap - o->len, s, strlen(s), space_too);
}

/* A name or command line for a person: in double quotes when it holds a
 * space (kept as a space) or a quote; controls and bad bytes escaped. */
static void put_readable(struct pc_sb *o, const char *s)
{
	if (!strpbrk(s, " \"")) {
		put_text_str(o, s, 0);
		return;
	}
	pc_sb_puts(o, "\"");
	put_text_str(o, s, PC_ESC_QUOTED);
	pc_sb_puts(o, "\"");
}

/* The owner as the printer shows it: the description (proc/owner_desc.h)
 * cut to what a line holds (exe 511, cmdline 1023, cgroup 511, user 63
 * bytes; WHO_TEXT_MAX and PC_LINE_MAX assume these). */

static void cut_to(char *s, size_t max)
{
	if (strnlen(s, max + 1) > max)
		s[max] = 0;
}

static void clip(struct pc_owner_desc *w)
{
	if (w->have_exe)
		cut_to(w->exe, 511);
	if (w->have_cmdline)
		cut_to(w->cmdline, 1023);
	if (w->have_cgroup)
		cut_to(w->cgroup, 511);
	if (w->have_user)
		cut_to(w->user, 63);
	if (w->have_container) {
		cut_to(w->ct.name, 127);
		cut_to(w->ct.image, 255);
		cut_to(w->ct.pod, 127);
		cut_to(w->ct.pod_ns, 63);
	}
}

/* detail: also exe, cmdline, cgroup and user (JSON owner, -v); the
 * container always (the text line's "@name"). */
static void resolve(struct pc_printer *pr, const struct pc_owner *ow, int valid, uint64_t now,
		    int detail, struct pc_owner_desc *w)
{
	/* a plain text line names comm[pid] only: skip the cache */
	pc_owner_describe(pr->procs, ow, valid, now, detail ? PC_DESC_ALL : PC_DESC_CONTAINER, w);
	clip(w);
}

static void put_who_text(struct pc_sb *o, const struct pc_owner_desc *w)
{
	put_readable(o, w->comm);
	pc_sb_puts(o, "[");
	put_u(o, w->pid);
	pc_sb_puts(o, "]");
	/* "@name", or the short id of a container without a name */
	if (w->have_container && w->ct.id[0]) {
		pc_sb_puts(o, "@");
		if (w->ct.name[0])
			put_text_str(o, w->ct.name, 1);
		else
			pc_sb_printf(o, "%.12s", w->ct.id);
	}
}

static void put_kv(struct pc_sb *o, const char *prefix, const char *key, const char *v)
{
	if (!v[0])
		return;
	pc_sb_printf(o, " %s%s=", prefix, key);
	put_readable(o, v);
}

static void put_who_detail(struct pc_sb *o, const char *prefix, const struct pc_owner_desc *w)
{
	if (w->tid) /* 0: the thread is not known (the fallback backend) */
		pc_sb_printf(o, " %stid=%u", prefix, w->tid);
	if (!w->uid_unknown)
		pc_sb_printf(o, " %suid=%u", prefix, w->uid);
	if (w->have_user) {
		pc_sb_printf(o, "(");
		put_readable(o, w->user);
		pc_sb_printf(o, ")");
	}
	if (w->have_exe) {
		pc_sb_printf(o, " %sexe=", prefix);
		put_readable(o, w->exe);
	}
	if (w->have_cmdline) {
		pc_sb_printf(o, " %scmdline=", prefix);
		put_readable(o, w->cmdline);
	}
	if (w->have_cgroup) {
		pc_sb_printf(o, " %scgroup=", prefix);
		put_readable(o, w->cgroup);
	}
	if (w->have_container) {
		if (w->ct.id[0])
			pc_sb_printf(o, " %scontainer_id=%.12s", prefix, w->ct.id);
		put_kv(o, prefix, "container_name", w->ct.name);
		put_kv(o, prefix, "container_image", w->ct.image);
		put_kv(o, prefix, "pod", w->ct.pod);
		put_kv(o, prefix, "pod_namespace", w->ct.pod_ns);
	}
}

static void put_frac(struct pc_printer *pr, struct pc_sb *o, int64_t ns)
{
	pc_sb_puts(o, ".");
	if (pr->nano)
		put_u0(o, ns % 1000000000, 9);
	else
		put_u0(o, (ns % 1000000000) / 1000, 6);
}

static void put_hms(struct pc_printer *pr, struct pc_sb *o, int h, int m, int s, int64_t ns)
{
	put_u0(o, h, 2);
	pc_sb_puts(o, ":");
	put_u0(o, m, 2);
	pc_sb_puts(o, ":");
	put_u0(o, s, 2);
	put_frac(pr, o, ns);
}

/* The time stamp as tcpdump's -t forms print it, with its space. */
static void put_time(struct pc_printer *pr, struct pc_sb *o, int64_t real)
{
	time_t sec = real / 1000000000;
	static time_t last_sec = -1;
	static struct tm tm;
	int64_t d, r;

	if (pr->number)
		pc_sb_printf(o, "%5llu  ", (unsigned long long)++pr->count);
	if (pr->tstamp == 1)
		return;
	if (!pr->first_ns)
		pr->first_ns = pr->prev_ns = real;
	if (pr->tstamp == 2) {
		put_u(o, (uint64_t)sec);
		put_frac(pr, o, real);
	} else if (pr->tstamp == 3 || pr->tstamp == 5) {
		/* tcpdump subtracts time stamps of its precision */
		r = pr->nano ? 1 : 1000;
		d = (real / r - (pr->tstamp == 3 ? pr->prev_ns : pr->first_ns) / r) * r;
		pc_sb_puts(o, d < 0 ? "-" : " ");
		if (d < 0)
			d = -d;
		put_hms(pr, o, (int)(d / 3600000000000LL), (int)(d / 60000000000LL % 60),
			(int)(d / 1000000000 % 60), d);
	} else {
		if (sec != last_sec) { /* localtime once a second, not per packet */
			localtime_r(&sec, &tm);
			last_sec = sec;
		}
		if (pr->tstamp == 4)
			pc_sb_printf(o, "%04d-%02d-%02d ", tm.tm_year + 1900, tm.tm_mon + 1,
				     tm.tm_mday);
		put_hms(pr, o, tm.tm_hour, tm.tm_min, tm.tm_sec, real);
	}
	pr->prev_ns = real;
	pc_sb_puts(o, " ");
}

/* -x/-X/-A: the bytes of the packet (from the link header when doubled,
 * the SLL2 header pidcap writes to files), as tcpdump dumps them. */
static void put_dump(struct pc_printer *pr, const struct pc_packet *rec, struct pc_sb *o)
{
	uint8_t sll2[PC_SLL2_HDR_LEN];
	const uint8_t *p;
	int lvl = pr->hexascii ? pr->hexascii : pr->hex ? pr->hex : pr->ascii;
	uint32_t i, hdr = lvl > 1 ? PC_SLL2_HDR_LEN : 0, n = hdr + rec->caplen, off = 0;
	char hexs[64], asc[20];
	size_t hl = 0, al = 0;

	pc_sll2_header(rec, sll2);
	for (i = 0; i < n; i++) {
		p = i < hdr ? &sll2[i] : &rec->data[i - hdr];
		if (pr->hexascii) {
			hl += snprintf(hexs + hl, sizeof(hexs) - hl, i % 2 ? "%02x" : " %02x", *p);
			asc[al++] = *p > 0x20 && *p < 0x7f ? (char)*p : '.';
			if (al == 16) {
				asc[al] = 0;
				pc_sb_printf(o, "\n\t0x%04x: %-40s  %s", off, hexs, asc);
				off += 16;
				hl = al = 0;
				hexs[0] = 0;
			}
		} else if (pr->hex) {
			if (i % 16 == 0)
				pc_sb_printf(o, "\n\t0x%04x: ", i);
			pc_sb_printf(o, i % 2 ? "%02x" : " %02x", *p);
		} else {
			if (i == 0)
				pc_sb_puts(o, "\n");
			if (*p == '\r') {
				if (i + 1 < n && (i + 1 < hdr ? sll2[i + 1] : rec->data[i + 1 - hdr]) != '\n')
					pc_sb_puts(o, ".");
			} else if ((*p > 0x20 && *p < 0x7f) || *p == '\t' || *p == ' ' || *p == '\n') {
				pc_sb_printf(o, "%c", *p);
			} else {
				pc_sb_puts(o, ".");
			}
		}
	}
	if (pr->hexascii && al) {
		asc[al] = 0;
		pc_sb_printf(o, "\n\t0x%04x: %-40s  %s", off, hexs, asc);
	}
}

static struct pc_nd_tcpseq *tcp_seqs;

/* The link part of -e, as tcpdump -e prints LINUX_SLL2 (what pidcap
 * writes to files): interface index and protocol. */
static void put_link(struct pc_sb *o, const struct pc_packet *rec)
{
	int v6 = rec->l3proto == 0x86DD || (rec->caplen && rec->data[0] >> 4 == 6);

	pc_sb_printf(o, "ifindex %u ethertype %s (0x%04x), length %u: ", rec->ifindex,
		     v6 ? "IPv6" : "IPv4", v6 ? 0x86DD : 0x0800, rec->len + 20);
}

static void put_process(struct pc_printer *pr, const struct pc_packet *rec,
			const struct pc_owner_desc *own, const struct pc_owner_desc *peer,
			struct pc_sb *o);

/* "eth0@web": an interface of another network namespace than pidcap's,
 * named for the container of the packet's owner (live only: a file's
 * namespaces are not this host's). */
static void put_if_container(struct pc_printer *pr, const struct pc_packet *rec,
			     const struct pc_owner_desc *own, struct pc_sb *o)
{
	if (!pr->procs || !own->known || !own->have_container || !own->ct.id[0] ||
	    !rec->netns || rec->netns == pc_procs_netns(pr->procs))
		return;
	pc_sb_puts(o, "@");
	if (own->ct.name[0])
		put_text_str(o, own->ct.name, 1);
	else
		pc_sb_printf(o, "%.12s", own->ct.id);
}

static void format_text(struct pc_printer *pr, const struct pc_packet *rec, unsigned int flags,
			const struct pc_owner_desc *own, const struct pc_owner_desc *peer,
			struct pc_sb *o)
{
	int64_t real = (int64_t)rec->ts_ns + pr->mono_to_real_ns;
	struct pc_nd nd = { .o = o, .vflag = pr->verbose, .qflag = pr->quiet, .eflag = pr->link };
	size_t ifstart;

	put_time(pr, o, real);
	/* tcpdump's columns: the interface in 5, the direction in 3 */
	ifstart = o->len;
	put_text_str(o, rec->ifname[0] ? rec->ifname : "?", 1);
	put_if_container(pr, rec, own, o);
	while (o->len < ifstart + 5 && pc_sb_room(o))
		pc_sb_puts(o, " ");
	if (!(flags & PC_FMT_NO_DIR))
		pc_sb_puts(o, rec->dir == PC_DIR_OUT ? " Out " : " In  ");
	else
		pc_sb_puts(o, " ");
	if (pr->link)
		put_link(o, rec);
	/* one table for the run, as tcpdump keeps it (NULL: absolute numbers) */
	if (!tcp_seqs)
		tcp_seqs = pc_nd_tcpseq_new();
	nd.seqs = tcp_seqs;
	pc_nd_ip_print(&nd, rec->data, rec->caplen, rec->len);
	if (!(flags & PC_FMT_NO_PROCESS))
		put_process(pr, rec, own, peer, o);
	if (pr->hex || pr->hexascii || pr->ascii)
		put_dump(pr, rec, o);
}

/* pidcap's suffix: "  sender -> receiver", whichever side is local. */
static void put_process(struct pc_printer *pr, const struct pc_packet *rec,
			const struct pc_owner_desc *own, const struct pc_owner_desc *peer,
			struct pc_sb *o)
{
	pc_sb_printf(o, "  ");
	/* sender -> receiver, whichever side is local */
	if (rec->dir == PC_DIR_OUT) {
		if (own->known)
			put_who_text(o, own);
		else
			pc_sb_printf(o, "(no process)");
		if (peer->known) {
			pc_sb_printf(o, " -> ");
			put_who_text(o, peer);
		}
	} else {
		if (peer->known) {
			put_who_text(o, peer);
			pc_sb_printf(o, " ");
		}
		pc_sb_printf(o, "-> ");
		if (own->known)
			put_who_text(o, own);
		else
			pc_sb_printf(o, "(no process)");
	}
	if (rec->flags & PC_PKT_GUESS)
		pc_sb_printf(o, " (guess)");
	if (pr->verbose) {
		if (own->known)
			put_who_detail(o, "", own);
		if (peer->known)
			put_who_detail(o, "peer_", peer);
		if (rec->gso_segs > 1)
			pc_sb_printf(o, " segs=%u", rec->gso_segs);
	}
}

static void put_json_who(struct pc_sb *o, const char *prefix, const struct pc_owner_desc *w,
			 int full)
{
	if (!w->known) {
		pc_sb_printf(o, ",\"%spid\":null,\"%stid\":null,\"%scomm\":null", prefix, prefix,
			     prefix);
		if (full)
			pc_sb_printf(o, ",\"uid\":null,\"user\":null,\"exe\":null,\"cmdline\":null,"
					"\"cgroup\":null,\"container_id\":null,"
					"\"container_name\":null,\"container_image\":null,"
					"\"pod\":null,\"pod_namespace\":null");
		return;
	}
	pc_sb_puts(o, ",\"");
	pc_sb_puts(o, prefix);
	pc_sb_puts(o, "pid\":");
	put_u(o, w->pid);
	pc_sb_puts(o, ",\"");
	pc_sb_puts(o, prefix);
	pc_sb_puts(o, "tid\":");
	put_u_or_null(o, w->tid, w->tid != 0);
	pc_sb_puts(o, ",\"");
	pc_sb_puts(o, prefix);
	pc_sb_puts(o, "comm\":");
	put_json_str(o, w->comm);
	if (!full)
		return;
	if (w->uid_unknown)
		pc_sb_puts(o, ",\"uid\":null,\"user\":");
	else
		pc_sb_printf(o, ",\"uid\":%u,\"user\":", w->uid);
	put_json_str(o, w->have_user ? w->user : NULL);
	pc_sb_printf(o, ",\"exe\":");
	put_json_str(o, w->have_exe ? w->exe : NULL);
	pc_sb_printf(o, ",\"cmdline\":");
	put_json_str(o, w->have_cmdline ? w->cmdline : NULL);
	pc_sb_printf(o, ",\"cgroup\":");
	put_json_str(o, w->have_cgroup ? w->cgroup : NULL);
	pc_sb_puts(o, ",\"container_id\":");
	put_json_opt(o, w->have_container, w->ct.id);
	pc_sb_puts(o, ",\"container_name\":");
	put_json_opt(o, w->have_container, w->ct.name);
	pc_sb_puts(o, ",\"container_image\":");
	put_json_opt(o, w->have_container, w->ct.image);
	pc_sb_puts(o, ",\"pod\":");
	put_json_opt(o, w->have_container, w->ct.pod);
	pc_sb_puts(o, ",\"pod_namespace\":");
	put_json_opt(o, w->have_container, w->ct.pod_ns);
}

/* The owner's JSON keys (pid ... cgroup) for the last few owners: escaping
 * exe, cmdline and cgroup is most of a JSON line's cost, and packets come
 * from few processes at a time. An entry lives 1 s, so that what the
 * process cache learns later (exec, exe) shows within a second. */
#define WHO_SLOTS 8
#define WHO_TEXT_MAX 20480 /* > 6 * (511 + 1023 + 511 + 63 + 64 + 127 + 255 + 127 + 63) + keys */
#define WHO_MAX_AGE_NS 1000000000ULL

struct who_slot {
	const struct pc_procs *procs;
	struct pc_owner owner;
	int valid;              /* PC_PKT_OWNER was set */
	uint64_t made_ns;
	char text[WHO_TEXT_MAX];
};

static struct who_slot who_slots[WHO_SLOTS];

static struct who_slot *who_slot_of(const struct pc_packet *rec)
{
	return &who_slots[(rec->owner.pid * 2654435761u ^ rec->owner.tid) % WHO_SLOTS];
}

static struct who_slot *who_cached(const struct pc_printer *pr, const struct pc_packet *rec,
				   uint64_t now_ns)
{
	struct who_slot *slot = who_slot_of(rec);
	int valid = !!(rec->flags & PC_PKT_OWNER);

	if (!slot->made_ns || slot->procs != pr->procs || slot->valid != valid ||
	    now_ns - slot->made_ns > WHO_MAX_AGE_NS ||
	    memcmp(&slot->owner, &rec->owner, sizeof(rec->owner)))
		return NULL;
	return slot;
}

static struct who_slot *who_store(const struct pc_printer *pr, const struct pc_packet *rec,
				  const struct pc_owner_desc *own, uint64_t now_ns)
{
	struct who_slot *slot = who_slot_of(rec);
	struct pc_sb o = {.buf = slot->text, .cap = sizeof(slot->text)};

	slot->text[0] = 0;
	put_json_who(&o, "", own, 1);
	slot->procs = pr->procs;
	slot->owner = rec->owner;
	slot->valid = !!(rec->flags & PC_PKT_OWNER);
	slot->made_ns = now_ns ? now_ns : 1;
	return slot;
}

static void format_json(struct pc_printer *pr, const struct pc_packet *rec,
			const struct pc_decoded *d, int ok, const char *owner_keys,
			const struct pc_owner_desc *peer, struct pc_sb *o)
{
	int64_t real = (int64_t)rec->ts_ns + pr->mono_to_real_ns;
	char a[64];

	pc_sb_puts(o, "{\"ts\":");
	put_u(o, real / 1000000000);
	pc_sb_puts(o, ".");
	put_u0(o, (real % 1000000000) / 1000, 6);
	pc_sb_puts(o, ",\"ifname\":");
	put_json_str(o, rec->ifname[0] ? rec->ifname : NULL);
	pc_sb_puts(o, rec->dir == PC_DIR_OUT ? ",\"dir\":\"out\",\"proto\":"
					     : ",\"dir\":\"in\",\"proto\":");
	if (ok) {
		put_json_str(o, pc_proto_name(d->proto));
		pc_sb_puts(o, ",\"src\":\"");
		pc_sb_puts(o, pc_addr_str(d, 1, a, sizeof(a)));
		pc_sb_puts(o, "\",\"sport\":");
		put_u_or_null(o, d->sport, d->has_ports);
		pc_sb_puts(o, ",\"dst\":\"");
		pc_sb_puts(o, pc_addr_str(d, 0, a, sizeof(a)));
		pc_sb_puts(o, "\",\"dport\":");
		put_u_or_null(o, d->dport, d->has_ports);
		pc_sb_puts(o, ",\"len\":");
		put_u(o, d->ip_len);
		pc_sb_puts(o, ",\"payload\":");
		put_u_or_null(o, d->payload, d->payload >= 0);
	} else {
		pc_sb_printf(
			o,
			"null,\"src\":null,\"sport\":null,\"dst\":null,\"dport\":null,\"len\":%u,"
			"\"payload\":null",
			rec->len);
	}
	pc_sb_puts(o, owner_keys); /* made by put_json_who */
	put_json_who(o, "peer_", peer, 0);
	pc_sb_puts(o, ",\"segs\":");
	put_u(o, rec->gso_segs);
	pc_sb_puts(o, ",\"netns\":");
	put_u_or_null(o, rec->netns, rec->netns != 0);
	if (pr->verbose && rec->flags & (PC_PKT_OWNER_LISTENER | PC_PKT_PEER_LISTENER))
		pc_sb_printf(o, ",\"listener_owner\":true");
	if (rec->flags & PC_PKT_GUESS)
		pc_sb_printf(o, ",\"guess\":true");
	pc_sb_printf(o, "}");
}

size_t pc_format_packet(struct pc_printer *pr, const struct pc_packet *rec, uint64_t now_ns,
			char *buf, size_t len)
{
	struct pc_sb o = {.buf = buf, .cap = len};
	static struct pc_owner_desc own, peer;
	struct pc_decoded d;
	int ok;

	if (!len)
		return 0;
	buf[0] = 0;
	ok = pc_decode_ip(rec->data, rec->caplen, rec->len, &d) == 0;
	/* JSON names the peer by pid, tid and comm only */
	resolve(pr, &rec->peer, rec->flags & PC_PKT_PEER, now_ns, !pr->json && pr->verbose, &peer);
	if (pr->json) {
		struct who_slot *slot = who_cached(pr, rec, now_ns);

		if (!slot) {
			resolve(pr, &rec->owner, rec->flags & PC_PKT_OWNER, now_ns, 1, &own);
			slot = who_store(pr, rec, &own, now_ns);
		}
		format_json(pr, rec, &d, ok, slot->text, &peer, &o);
	} else {
		resolve(pr, &rec->owner, rec->flags & PC_PKT_OWNER, now_ns, pr->verbose, &own);
		format_text(pr, rec, 0, &own, &peer, &o);
	}
	return o.len;
}

void pc_print_packet(struct pc_printer *pr, const struct pc_packet *rec, uint64_t now_ns)
{
	static char line[PC_LINE_MAX];
	size_t n = pc_format_packet(pr, rec, now_ns, line, sizeof(line) - 1);

	line[n++] = '\n';
	fwrite(line, 1, n, pr->out);
}

/* The process of one end as the file recorded it; the same truncation as
 * resolve() so that lines read back equal the live ones. */
static void resolve_meta(const struct pc_meta_who *mw, struct pc_owner_desc *w)
{
	w->known = w->have_exe = w->have_cmdline = w->have_cgroup = w->have_user = 0;
	w->have_container = 0;
	w->exited = 0;
	w->uid_unknown = 0;
	w->pid = w->tid = w->uid = 0;
	w->comm[0] = 0;
	if (!mw || !mw->known || !mw->pid)
		return;
	w->known = 1;
	w->pid = mw->pid;
	w->tid = mw->tid;
	w->uid = mw->uid;
	w->uid_unknown = !mw->has_uid;
	snprintf(w->comm, sizeof(w->comm), "%s", mw->comm);
	if (mw->has_exe)
		w->have_exe = snprintf(w->exe, sizeof(w->exe), "%s", mw->exe) >= 0;
	if (mw->has_cmdline)
		w->have_cmdline = snprintf(w->cmdline, sizeof(w->cmdline), "%s", mw->cmdline) >= 0;
	if (mw->has_cgroup)
		w->have_cgroup = snprintf(w->cgroup, sizeof(w->cgroup), "%s", mw->cgroup) >= 0;
	if (mw->has_user)
		w->have_user = snprintf(w->user, sizeof(w->user), "%s", mw->user) >= 0;
	if (mw->has_container) {
		w->have_container = 1;
		w->ct = mw->ct;
	}
	clip(w);
}

size_t pc_format_packet_meta(struct pc_printer *pr, const struct pc_packet *rec,
			     const struct pc_meta *m, unsigned int flags, char *buf, size_t len)
{
	struct pc_sb o = {.buf = buf, .cap = len};
	static struct pc_owner_desc own, peer;
	struct pc_decoded d;
	const char *p;
	int ok, verbose = pr->verbose;

	if (!len)
		return 0;
	buf[0] = 0;
	ok = pc_decode_ip(rec->data, rec->caplen, rec->len, &d) == 0;
	resolve_meta(m && !(flags & PC_FMT_NO_PROCESS) ? &m->owner : NULL, &own);
	resolve_meta(m && !(flags & PC_FMT_NO_PROCESS) ? &m->peer : NULL, &peer);
	if (pr->json) {
		static char owner_keys[WHO_TEXT_MAX];
		struct pc_sb ko = {.buf = owner_keys, .cap = sizeof(owner_keys)};

		owner_keys[0] = 0;
		put_json_who(&ko, "", &own, 1);
		format_json(pr, rec, &d, ok, owner_keys, &peer, &o);
		/* the ifname before it is escaped, so this is the real key */
		p = strstr(buf, ",\"dir\":\"in\",");
		if (flags & PC_FMT_NO_DIR && p)
			memcpy(buf + (p - buf) + 7, "null", 4); /* as long as "in" */
		return o.len;
	}
	if (flags & PC_FMT_NO_PROCESS)
		pr->verbose = 0; /* nothing to detail */
	format_text(pr, rec, flags, &own, &peer, &o);
	pr->verbose = verbose;
	return o.len;
}

void pc_print_packet_meta(struct pc_printer *pr, const struct pc_packet *rec,
			  const struct pc_meta *m, unsigned int flags)
{
	static char line[PC_LINE_MAX];
	size_t n = pc_format_packet_meta(pr, rec, m, flags, line, sizeof(line) - 1);

	line[n++] = '\n';
	fwrite(line, 1, n, pr->out);
}
