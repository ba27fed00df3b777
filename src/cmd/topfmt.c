/* pidcap top's text that needs no curses: amounts in units, protocols,
 * endpoints, process details of a row, and the --batch snapshots as text
 * or JSON lines. Every process string is escaped before it is written.
 * Not for the event loop (top.c) or the screen (topview.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/escape.h"
#include "proc/owner_desc.h"
#include "proc/procinfo.h"
#include "cmd/topfmt.h"

#define TEXT_CMDLINE_MAX 200 /* bytes of a command line in --batch text */

static void scaled(char *dst, size_t n, double v, const char *suffix)
{
	if (!*suffix || v >= 100)
		snprintf(dst, n, "%.0f%s", v, suffix);
	else
		snprintf(dst, n, "%.1f%s", v, suffix);
}

void pc_fmt_amount(char *dst, size_t n, double bytes, int bits, enum pc_unit unit)
{
	static const char *const byte_sfx[] = { "", "K", "M", "G", "T", "P" };
	static const char *const bit_sfx[] = { "b", "kb", "Mb", "Gb", "Tb", "Pb" };
	const char *const *sfx = bits ? bit_sfx : byte_sfx;
	double base = bits ? 1000 : 1024, v = bits ? bytes * 8 : bytes;
	int i = 0;

	if (!(v >= 0))
		v = 0;
	if (unit == PC_UNIT_K || unit == PC_UNIT_M) {
		i = unit == PC_UNIT_K ? 1 : 2;
		scaled(dst, n, v / (i == 1 ? base : base * base), sfx[i]);
		if (strlen(dst) <= 7)
			return;
		i = 0; /* too wide for the column: scale it */
	}
	while (v >= base && i < 5) {
		v /= base;
		i++;
	}
	if (i == 0)
		snprintf(dst, n, "%.0f%s", v, bits ? "b" : "");
	else
		scaled(dst, n, v, sfx[i]);
}

void pc_fmt_count(char *dst, size_t n, uint64_t count)
{
	if (count <= 9999999)
		snprintf(dst, n, "%" PRIu64, count);
	else if (count < 1000000000ULL)
		snprintf(dst, n, "%.1fM", count / 1e6);
	else
		snprintf(dst, n, "%.1fG", count / 1e9);
}

const char *pc_fmt_proto(uint8_t proto, char *buf, size_t n)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmp6";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	}
	snprintf(buf, n, "%u", proto);
	return buf;
}

int pc_proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

void pc_fmt_addr(char *dst, size_t n, uint8_t family, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	snprintf(dst, n, "%s", buf);
}

void pc_fmt_endpoint(char *dst, size_t n, uint8_t family, uint8_t proto, const uint8_t *addr,
		     uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	pc_fmt_addr(a, sizeof(a), family, addr);
	if (!pc_proto_has_ports(proto))
		snprintf(dst, n, "%s", a);
	else if (family == 6)
		snprintf(dst, n, "[%s]:%u", a, port);
	else
		snprintf(dst, n, "%s:%u", a, port);
}

void pc_row_info(struct pc_procs *procs, const struct pc_proc_row *row, uint64_t now_ns,
		 struct pc_row_info *out)
{
	static struct pc_owner_desc d;
	struct pc_owner ow = { .pid = row->pid, .uid = row->uid };
	const char *s;

	memset(out, 0, sizeof(*out));
	memcpy(out->comm, row->comm, PC_COMM_LEN);
	memcpy(ow.comm, row->comm, PC_COMM_LEN);
	pc_owner_describe(procs, &ow, 1, now_ns,
			  PC_DESC_PROCESS | PC_DESC_USER | PC_DESC_CACHE_COMM | PC_DESC_CONTAINER, &d);
	if (d.known) {
		memcpy(out->comm, d.comm, sizeof(out->comm));
		if (d.have_exe)
			out->have_exe = snprintf(out->exe, sizeof(out->exe), "%s", d.exe) >= 0;
		if (d.have_cmdline)
			out->have_cmdline =
				snprintf(out->cmdline, sizeof(out->cmdline), "%s", d.cmdline) >= 0;
		if (d.have_user)
			out->have_user = snprintf(out->user, sizeof(out->user), "%s", d.user) >= 0;
		if (d.have_container && d.ct.id[0]) {
			memcpy(out->ct_id, d.ct.id, sizeof(out->ct_id));
			snprintf(out->ct_name, sizeof(out->ct_name), "%s", d.ct.name);
			snprintf(out->ct_label, sizeof(out->ct_label), "%.*s",
				 d.ct.name[0] ? (int)sizeof(out->ct_label) : 12,
				 d.ct.name[0] ? d.ct.name : d.ct.id);
			snprintf(out->ct_pod, sizeof(out->ct_pod), "%s", d.ct.pod);
		}
	}
	out->exe_name = out->comm;
	if (out->have_exe) {
		s = strrchr(out->exe, '/');
		s = s ? s + 1 : out->exe;
		/* " (deleted)" of a replaced binary is not part of the name */
		if (*s)
			out->exe_name = s;
	}
}

struct group_ctx {
	struct pc_procs *procs;
	uint64_t now_ns;
	struct pc_row_info *info;
};

static void row_container(void *ctx, const struct pc_proc_row *row, struct pc_ct_ident *ct)
{
	struct group_ctx *c = ctx;

	pc_row_info(c->procs, row, c->now_ns, c->info);
	memcpy(ct->id, c->info->ct_id, sizeof(ct->id));
	memcpy(ct->name, c->info->ct_name, sizeof(ct->name));
	memcpy(ct->label, c->info->ct_label, sizeof(ct->label));
	memcpy(ct->pod, c->info->ct_pod, sizeof(ct->pod));
}

int pc_top_group_procs(struct pc_top_groups *gs, const struct pc_proc_row *rows,
		       const size_t *which, size_t n, struct pc_procs *procs, uint64_t now_ns)
{
	struct group_ctx c = { .procs = procs, .now_ns = now_ns };
	int err;

	c.info = malloc(sizeof(*c.info));
	if (!c.info) {
		gs->n = 0;
		return -ENOMEM;
	}
	err = pc_top_group(gs, rows, which, n, row_container, &c);
	free(c.info);
	return err;
}

static void text_str(FILE *f, const char *s, int space_too)
{
	char buf[4 * 4097 + 1];

	pc_escape_text(buf, sizeof(buf), s, strlen(s), space_too);
	fputs(buf, f);
}

static void json_str(FILE *f, const char *s, int have)
{
	static char buf[6 * 4097 + 1];

	if (!have) {
		fputs("null", f);
		return;
	}
	pc_escape_json(buf, sizeof(buf), s, strlen(s));
	fprintf(f, "\"%s\"", buf);
}

static void utc_time(char *dst, size_t n, double ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(dst, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((ts - (double)t) * 1000));
}

void pc_limits_get(struct pc_limits *l, const struct pc_flowtab *t, const uint64_t *counters)
{
	struct pc_flowtab_stats st;

	pc_flowtab_stats(t, &st);
	l->folded = st.folded + st.evicted;
	l->evicted = st.evicted + st.full;
	l->map_full = counters[PC_CNT_FLOWS_FULL];
	l->uncounted = counters[PC_CNT_FLOWS_LOST];
}

void pc_fmt_limits(char *dst, size_t n, const struct pc_limits *l)
{
	char a[16], b[16];

	*dst = 0;
	if (!l->evicted && !l->map_full && !l->uncounted)
		return;
	pc_fmt_count(a, sizeof(a), l->evicted);
	pc_fmt_count(b, sizeof(b), l->map_full);
	snprintf(dst, n, "flow limits: %s evicted, %s packets per process only", a, b);
	if (l->uncounted) {
		size_t len = strlen(dst);

		pc_fmt_count(a, sizeof(a), l->uncounted);
		snprintf(dst + len, n - len, ", %s uncounted", a);
	}
}

/* The header line (ngroups: of the container groups, SIZE_MAX: none) and
 * the limits line of a text snapshot. */
static void text_head(FILE *f, const struct pc_snapshot *s, size_t ngroups)
{
	const struct pc_traffic *t = s->totals;
	char when[64];

	utc_time(when, sizeof(when), s->ts);
	fprintf(f,
		"%s interval %.2f s: sent %.0f B/s, received %.0f B/s; total sent %" PRIu64
		" B, received %" PRIu64 " B, %" PRIu64 " packets; %zu processes",
		when, s->interval, t->tx_rate, t->rx_rate, t->tx_bytes, t->rx_bytes,
		t->tx_packets + t->rx_packets, s->nrows);
	if (ngroups != SIZE_MAX)
		fprintf(f, " in %zu groups", ngroups);
	fputc('\n', f);
	if (s->limits) {
		char lim[160];

		pc_fmt_limits(lim, sizeof(lim), s->limits);
		if (lim[0])
			fprintf(f, "%s\n", lim);
	}
}

/* The pids of a group, comma-separated (traffic of no process left out),
 * cut with "..." past max bytes; "-" when there are none. */
static void group_pids(char *dst, size_t max, const struct pc_top_group *g,
		       const struct pc_proc_row *rows)
{
	size_t i, len = 0;

	*dst = 0;
	for (i = 0; i < g->nrows; i++) {
		uint32_t pid = rows[g->rows[i]].pid;

		if (!pid)
			continue;
		if (len + 12 > max - 4) {
			strcpy(dst + len, "...");
			return;
		}
		len += (size_t)snprintf(dst + len, max - len, "%s%" PRIu32, len ? "," : "", pid);
	}
	if (!len)
		strcpy(dst, "-");
}

/* One line per container group: CONTAINER ID POD amounts PIDS. */
static void text_groups(FILE *f, const struct pc_snapshot *s)
{
	struct pc_top_groups gs = { 0 };
	char pids[TEXT_CMDLINE_MAX + 1];
	size_t i;

	if (pc_top_group_procs(&gs, s->rows, NULL, s->nrows, s->procs, s->now_ns))
		return;
	text_head(f, s, gs.n);
	fprintf(f, "CONTAINER ID POD SENT/s RECV/s SENT RECV PACKETS PIDS\n");
	for (i = 0; i < gs.n; i++) {
		const struct pc_top_group *g = &gs.g[i];

		text_str(f, pc_top_group_label(g), 1);
		fprintf(f, " %.12s ", g->ct.id[0] ? g->ct.id : "-");
		text_str(f, g->ct.pod[0] ? g->ct.pod : "-", 1);
		group_pids(pids, sizeof(pids), g, s->rows);
		fprintf(f, " %.0f %.0f %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", g->t.tx_rate,
			g->t.rx_rate, g->t.tx_bytes, g->t.rx_bytes, g->t.tx_packets + g->t.rx_packets,
			pids);
	}
	fputc('\n', f);
	pc_top_groups_free(&gs);
}

void pc_snapshot_text(FILE *f, const struct pc_snapshot *s)
{
	struct pc_row_info *info;
	size_t i;

	if (s->by_container) {
		text_groups(f, s);
		return;
	}
	info = malloc(sizeof(*info));
	if (!info)
		return;
	text_head(f, s, SIZE_MAX);
	fprintf(f, "PID USER COMM SENT/s RECV/s SENT RECV PACKETS STATE CONTAINER COMMAND\n");
	for (i = 0; i < s->nrows; i++) {
		const struct pc_proc_row *r = &s->rows[i];

		pc_row_info(s->procs, r, s->now_ns, info);
		if (!r->pid) {
			fputs("- - (no process)", f);
		} else {
			fprintf(f, "%" PRIu32 " ", r->pid);
			if (info->have_user)
				text_str(f, info->user, 1);
			else
				fprintf(f, "%" PRIu32, r->uid);
			fputc(' ', f);
			text_str(f, info->comm[0] ? info->comm : "?", 1);
		}
		fprintf(f, " %.0f %.0f %" PRIu64 " %" PRIu64 " %" PRIu64 " %s ", r->t.tx_rate,
			r->t.rx_rate, r->t.tx_bytes, r->t.rx_bytes, r->t.tx_packets + r->t.rx_packets,
			r->exited ? "exited" : "running");
		text_str(f, info->ct_label[0] ? info->ct_label : "-", 1);
		fputc(' ', f);
		if (info->have_cmdline && strlen(info->cmdline) > TEXT_CMDLINE_MAX)
			strcpy(info->cmdline + TEXT_CMDLINE_MAX - 3, "...");
		text_str(f, info->have_cmdline ? info->cmdline : "-", 0);
		fputc('\n', f);
	}
	fputc('\n', f);
	free(info);
}

static void json_traffic(FILE *f, const struct pc_traffic *t)
{
	fprintf(f,
		"\"tx_bytes\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx_payload\":%" PRIu64
		",\"rx_payload\":%" PRIu64 ",\"tx_packets\":%" PRIu64 ",\"rx_packets\":%" PRIu64
		",\"tx_rate\":%.1f,\"rx_rate\":%.1f,\"tx_packet_rate\":%.1f,\"rx_packet_rate\":%.1f",
		t->tx_bytes, t->rx_bytes, t->tx_payload, t->rx_payload, t->tx_packets, t->rx_packets,
		t->tx_rate, t->rx_rate, t->tx_pkt_rate, t->rx_pkt_rate);
}

static void json_conn(FILE *f, const struct pc_conn *c, const struct pc_snapshot *s)
{
	char proto[8], a[INET6_ADDRSTRLEN];
	int ports = pc_proto_has_ports(c->key.proto);
	uint64_t window = (uint64_t)(s->interval * 1e9);

	fprintf(f, "{\"proto\":\"%s\",", pc_fmt_proto(c->key.proto, proto, sizeof(proto)));
	pc_fmt_addr(a, sizeof(a), c->key.family, c->key.laddr);
	fprintf(f, "\"family\":%u,\"local\":\"%s\",", c->key.family == 6 ? 6 : 4, a);
	fprintf(f, ports ? "\"lport\":%u," : "\"lport\":null,", c->key.lport);
	pc_fmt_addr(a, sizeof(a), c->key.family, c->key.raddr);
	fprintf(f, "\"remote\":\"%s\",", a);
	fprintf(f, ports ? "\"rport\":%u," : "\"rport\":null,", c->key.rport);
	fprintf(f, c->key.netns ? "\"netns\":%u," : "\"netns\":null,", c->key.netns);
	fprintf(f, "\"active\":%s,",
		c->last_ns && s->now_ns - c->last_ns <= (window ? window : 1000000000ULL) ? "true" :
											     "false");
	json_traffic(f, &c->t);
	fputc('}', f);
}

/* The keys every JSON snapshot starts with: ts, interval, totals, limits. */
static void json_head(FILE *f, const struct pc_snapshot *s)
{
	fprintf(f, "{\"ts\":%.6f,\"interval\":%.3f,\"totals\":{", s->ts, s->interval);
	json_traffic(f, s->totals);
	fputc('}', f);
	if (s->limits)
		fprintf(f,
			",\"limits\":{\"folded\":%" PRIu64 ",\"evicted\":%" PRIu64
			",\"map_full_packets\":%" PRIu64 ",\"uncounted_packets\":%" PRIu64 "}",
			s->limits->folded, s->limits->evicted, s->limits->map_full,
			s->limits->uncounted);
}

/* "containers": one object per group, the host group's names null. */
static void json_groups(FILE *f, const struct pc_snapshot *s)
{
	struct pc_top_groups gs = { 0 };
	size_t i, j;
	int any;

	if (pc_top_group_procs(&gs, s->rows, NULL, s->nrows, s->procs, s->now_ns))
		return;
	json_head(f, s);
	fputs(",\"containers\":[", f);
	for (i = 0; i < gs.n; i++) {
		const struct pc_top_group *g = &gs.g[i];

		fputs(i ? ",{\"container_id\":" : "{\"container_id\":", f);
		json_str(f, g->ct.id, g->ct.id[0]);
		fputs(",\"container_name\":", f);
		json_str(f, g->ct.name, g->ct.name[0]);
		fputs(",\"pod\":", f);
		json_str(f, g->ct.pod, g->ct.pod[0]);
		fputc(',', f);
		json_traffic(f, &g->t);
		fputs(",\"pids\":[", f);
		for (j = 0, any = 0; j < g->nrows; j++) {
			uint32_t pid = s->rows[g->rows[j]].pid;

			if (pid)
				fprintf(f, any++ ? ",%" PRIu32 : "%" PRIu32, pid);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
	pc_top_groups_free(&gs);
}

void pc_snapshot_json(FILE *f, const struct pc_snapshot *s)
{
	struct pc_row_info *info;
	size_t i, j;

	if (s->by_container) {
		json_groups(f, s);
		return;
	}
	info = malloc(sizeof(*info));
	if (!info)
		return;
	json_head(f, s);
	fputs(",\"processes\":[", f);
	for (i = 0; i < s->nrows; i++) {
		const struct pc_proc_row *r = &s->rows[i];

		pc_row_info(s->procs, r, s->now_ns, info);
		if (i)
			fputc(',', f);
		if (r->pid)
			fprintf(f, "{\"pid\":%" PRIu32 ",\"uid\":%" PRIu32 ",\"comm\":", r->pid, r->uid);
		else
			fputs("{\"pid\":null,\"uid\":null,\"comm\":", f);
		json_str(f, info->comm, r->pid && info->comm[0]);
		fputs(",\"user\":", f);
		json_str(f, info->user, info->have_user);
		fputs(",\"exe\":", f);
		json_str(f, info->exe, info->have_exe);
		fputs(",\"cmdline\":", f);
		json_str(f, info->cmdline, info->have_cmdline);
		fputs(",\"container_id\":", f);
		json_str(f, info->ct_id, info->ct_id[0]);
		fputs(",\"container_name\":", f);
		json_str(f, info->ct_name, info->ct_name[0]);
		fprintf(f, ",\"exited\":%s,", r->exited ? "true" : "false");
		json_traffic(f, &r->t);
		fputs(",\"connections\":[", f);
		for (j = 0; j < r->nconns; j++) {
			if (j)
				fputc(',', f);
			json_conn(f, &r->conns[j], s);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
	free(info);
}
