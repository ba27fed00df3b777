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
#include "lib/escape.h"
#include "lib/strbuf.h"
#include "cmd/print.h"
#include "proc/owner_desc.h"
#include "proc/procinfo.h"
#include "pcapfile/pcapng_comment.h"

/* Longest line: every string below is bounded (exe 511, cmdline 1023,
 * cgroup 511, user 63 bytes) and escaping grows a byte to 6 at most. */
#define PC_LINE_MAX 32768

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

static void put_text_str(struct pc_sb *o, const char *s, int space_too)
{
	if (o->len + 1 < o->cap)
		o->len += pc_escape_text(o->buf + o->len, o->cap - o->len, s, strlen(s), space_too);
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
}

/* detail: also exe, cmdline, cgroup and user (JSON owner, -v). */
static void resolve(struct pc_printer *pr, const struct pc_owner *ow, int valid, uint64_t now,
		    int detail, struct pc_owner_desc *w)
{
	/* a plain text line names comm[pid] only: skip the cache */
	pc_owner_describe(pr->procs, ow, valid, now, detail ? PC_DESC_ALL : 0, w);
	clip(w);
}

static void put_who_text(struct pc_sb *o, const struct pc_owner_desc *w)
{
	put_text_str(o, w->comm, 0);
	pc_sb_puts(o, "[");
	put_u(o, w->pid);
	pc_sb_puts(o, "]");
}

static void put_who_detail(struct pc_sb *o, const char *prefix, const struct pc_owner_desc *w)
{
	if (w->tid) /* 0: the thread is not known (the fallback backend) */
		pc_sb_printf(o, " %stid=%u", prefix, w->tid);
	if (!w->uid_unknown)
		pc_sb_printf(o, " %suid=%u", prefix, w->uid);
	if (w->have_user) {
		pc_sb_printf(o, "(");
		put_text_str(o, w->user, 1);
		pc_sb_printf(o, ")");
	}
	if (w->have_exe) {
		pc_sb_printf(o, " %sexe=", prefix);
		put_text_str(o, w->exe, 1);
	}
	if (w->have_cmdline) {
		pc_sb_printf(o, " %scmdline=", prefix);
		put_text_str(o, w->cmdline, 1);
	}
	if (w->have_cgroup) {
		pc_sb_printf(o, " %scgroup=", prefix);
		put_text_str(o, w->cgroup, 1);
	}
}

static void format_text(struct pc_printer *pr, const struct pc_packet *rec,
			const struct pc_decoded *d, int ok, const struct pc_owner_desc *own,
			const struct pc_owner_desc *peer, struct pc_sb *o)
{
	int64_t real = (int64_t)rec->ts_ns + pr->mono_to_real_ns;
	time_t sec = real / 1000000000;
	static time_t last_sec = -1;
	static struct tm tm;
	char a[64], b[64], l4[256];

	if (sec != last_sec) { /* localtime once a second, not per packet */
		localtime_r(&sec, &tm);
		last_sec = sec;
	}
	put_u0(o, tm.tm_hour, 2);
	pc_sb_puts(o, ":");
	put_u0(o, tm.tm_min, 2);
	pc_sb_puts(o, ":");
	put_u0(o, tm.tm_sec, 2);
	pc_sb_puts(o, ".");
	put_u0(o, (real % 1000000000) / 1000, 6);
	pc_sb_puts(o, " ");
	put_text_str(o, rec->ifname[0] ? rec->ifname : "?", 1);
	pc_sb_puts(o, rec->dir == PC_DIR_OUT ? " Out " : " In  ");
	if (!ok) {
		pc_sb_printf(o, "%s truncated, length %u", rec->l3proto == 0x86DD ? "IP6" : "IP",
			     rec->len);
	} else {
		pc_sb_puts(o, d->family == AF_INET6 ? "IP6 " : "IP ");
		pc_sb_puts(o, pc_addr_str(d, 1, a, sizeof(a)));
		if (d->has_ports) {
			pc_sb_puts(o, ".");
			put_u(o, d->sport);
		}
		pc_sb_puts(o, " > ");
		pc_sb_puts(o, pc_addr_str(d, 0, b, sizeof(b)));
		if (d->has_ports) {
			pc_sb_puts(o, ".");
			put_u(o, d->dport);
		}
		pc_sb_puts(o, ": ");
		pc_sb_puts(o, pc_l4_summary(d, l4, sizeof(l4)));
	}
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
					"\"cgroup\":null");
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
}

/* The owner's JSON keys (pid ... cgroup) for the last few owners: escaping
 * exe, cmdline and cgroup is most of a JSON line's cost, and packets come
 * from few processes at a time. An entry lives 1 s, so that what the
 * process cache learns later (exec, exe) shows within a second. */
#define WHO_SLOTS 8
#define WHO_TEXT_MAX 16384 /* > 6 * (511 + 1023 + 511 + 63) + keys */
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
		format_text(pr, rec, &d, ok, &own, &peer, &o);
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
	clip(w);
}

/* Removes n bytes at pos from the formatted line. */
static void cut(struct pc_sb *o, size_t pos, size_t n)
{
	if (pos + n > o->len)
		return;
	memmove(o->buf + pos, o->buf + pos + n, o->len - pos - n + 1);
	o->len -= n;
}

size_t pc_format_packet_meta(struct pc_printer *pr, const struct pc_packet *rec,
			     const struct pc_meta *m, unsigned int flags, char *buf, size_t len)
{
	struct pc_sb o = {.buf = buf, .cap = len};
	static struct pc_owner_desc own, peer;
	struct pc_decoded d;
	const char *p;
	size_t n;
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
	format_text(pr, rec, &d, ok, &own, &peer, &o);
	pr->verbose = verbose;
	if (flags & PC_FMT_NO_PROCESS) {
		/* format_text ends with the process part of two unknown ends */
		p = rec->dir == PC_DIR_OUT ? "  (no process)" : "  -> (no process)";
		n = strlen(p);
		if (o.len >= n && !strcmp(buf + o.len - n, p))
			cut(&o, o.len - n, n);
	}
	if (flags & PC_FMT_NO_DIR) {
		/* "TIME IFACE In  IP..." (time and escaped ifname hold no space) */
		p = strchr(buf, ' ');
		p = p ? strchr(p + 1, ' ') : NULL;
		if (p && (!strncmp(p + 1, "In  ", 4) || !strncmp(p + 1, "Out ", 4)))
			cut(&o, (size_t)(p + 1 - buf), 4);
	}
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
