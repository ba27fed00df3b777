/* The curses screen of pidcap top. A frame is erase() + every line +
 * refresh() once (no clear(), so no flicker); keys are read without
 * blocking when the loop sees stdin readable or a resize interrupted it.
 * Lines are items: processes, or container groups (topgroup.c) with the
 * processes of the expanded ones beneath. Process strings are escaped
 * (\xNN) before they reach the terminal.
 * Not for counting, the event loop (top.c) or batch output (topfmt.c). */
#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "lib/escape.h"
#include "cmd/topfmt.h"
#include "cmd/topgroup.h"
#include "cmd/topview.h"

#define MAX_EXPANDED 64
#define MAX_CONN_LINES 100 /* connections listed per expanded process */
#define FILTER_MAX 64
#define KEY_LEN (PC_CT_ID_LEN + 2) /* an item's identity: "p" pid, or "c" container id */

enum sort_key { SORT_RATE, SORT_SENT, SORT_RECV, SORT_TOTAL, SORT_PID, SORT_NAME };

static const char *const sort_names[] = {
	"total rate", "sent rate", "received rate", "cumulative total", "pid", "name",
};

struct pc_topview {
	struct pc_topview_data d;
	int have_data;
	enum sort_key sort;
	int bits;
	enum pc_unit unit;
	int paused, help;
	int grouped;                /* a line per container, its processes on expanding */
	int has_sel;
	char sel_key[KEY_LEN];
	size_t sel_index;           /* where the selection was: kept if its item goes */
	char expanded[MAX_EXPANDED][KEY_LEN];
	size_t nexpanded;
	char filter[FILTER_MAX];
	char edit[FILTER_MAX];
	int editing;
	size_t scroll;              /* first item shown */
	double delay;
	size_t *order;              /* rows that pass the filter, sorted */
	size_t norder, ordercap;
	struct pc_top_groups groups; /* grouped: of the rows in order, sorted */
	struct item {
		size_t idx;         /* into d.rows, or groups.g */
		int group, depth;   /* depth 1: a process under its container */
	} *items;                   /* the selectable lines, in screen order */
	size_t nitems, itemcap;
	struct pc_row_info *info;   /* scratch */
};

int pc_topview_open(struct pc_topview **out, double delay, int grouped)
{
	struct pc_topview *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->info = malloc(sizeof(*v->info));
	if (!v->info) {
		free(v);
		return -ENOMEM;
	}
	v->delay = delay;
	v->grouped = grouped;
	if (!initscr()) {
		free(v->info);
		free(v);
		return -ENOTTY;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	*out = v;
	return 0;
}

void pc_topview_close(struct pc_topview *v)
{
	if (!v)
		return;
	endwin();
	free(v->order);
	free(v->items);
	pc_top_groups_free(&v->groups);
	free(v->info);
	free(v);
}

int pc_topview_paused(const struct pc_topview *v)
{
	return v->paused;
}

static void item_key(const struct pc_topview *v, const struct item *it, char *key)
{
	if (it->group)
		snprintf(key, KEY_LEN, "c%s", v->groups.g[it->idx].ct.id);
	else
		snprintf(key, KEY_LEN, "p%" PRIu32, v->d.rows[it->idx].pid);
}

static size_t find_expanded(const struct pc_topview *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->nexpanded; i++)
		if (!strcmp(v->expanded[i], key))
			break;
	return i;
}

static int is_expanded(const struct pc_topview *v, const struct item *it)
{
	char key[KEY_LEN];

	item_key(v, it, key);
	return find_expanded(v, key) < v->nexpanded;
}

static void set_expanded(struct pc_topview *v, const struct item *it, int on)
{
	char key[KEY_LEN];
	size_t i;

	item_key(v, it, key);
	i = find_expanded(v, key);
	if (on && i == v->nexpanded && v->nexpanded < MAX_EXPANDED)
		memcpy(v->expanded[v->nexpanded++], key, KEY_LEN);
	else if (!on && i < v->nexpanded)
		memcpy(v->expanded[i], v->expanded[--v->nexpanded], KEY_LEN);
}

static const char *row_name(const struct pc_proc_row *r)
{
	return r->pid ? r->comm : "(no process)";
}

/* The amount sort key k orders by (largest first); 0 for pid and name. */
static double sort_amount(enum sort_key k, const struct pc_traffic *t)
{
	switch (k) {
	case SORT_RATE:
		return t->tx_rate + t->rx_rate;
	case SORT_SENT:
		return t->tx_rate;
	case SORT_RECV:
		return t->rx_rate;
	case SORT_TOTAL:
		return (double)(t->tx_bytes + t->rx_bytes);
	case SORT_PID:
	case SORT_NAME:
		break;
	}
	return 0;
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
	const struct pc_topview *v = ctx;
	const struct pc_proc_row *x = &v->d.rows[*(const size_t *)a];
	const struct pc_proc_row *y = &v->d.rows[*(const size_t *)b];
	double kx = sort_amount(v->sort, &x->t), ky = sort_amount(v->sort, &y->t);
	int c;

	if (v->sort == SORT_NAME && (c = strcasecmp(row_name(x), row_name(y))))
		return c;
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Groups as rows: by name their label, by pid their lowest pid (a group's
 * rows come sorted), by amount their sums. */
static int cmp_groups(const void *a, const void *b, void *ctx)
{
	const struct pc_topview *v = ctx;
	const struct pc_top_group *x = a, *y = b;
	double kx = sort_amount(v->sort, &x->t), ky = sort_amount(v->sort, &y->t);
	uint32_t px = v->d.rows[x->rows[0]].pid, py = v->d.rows[y->rows[0]].pid;
	int c;

	if (v->sort == SORT_NAME &&
	    (c = strcasecmp(pc_top_group_label(x), pc_top_group_label(y))))
		return c;
	if (v->sort == SORT_PID && px != py)
		return px < py ? -1 : 1;
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return strcmp(x->ct.id, y->ct.id);
}

static int matches(const struct pc_topview *v, const struct pc_proc_row *r)
{
	char comm[PC_COMM_LEN + 1];

	if (!v->filter[0])
		return 1;
	snprintf(comm, sizeof(comm), "%.*s", PC_COMM_LEN, row_name(r));
	return strcasestr(comm, v->filter) != NULL;
}

/* Room for n elements of size in *p (capacity *cap). Returns 0 or -ENOMEM. */
static int reserve(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n <= *cap)
		return 0;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static void push_item(struct pc_topview *v, size_t idx, int group, int depth)
{
	v->items[v->nitems++] = (struct item){ .idx = idx, .group = group, .depth = depth };
}

/* The items: the rows that pass the filter, sorted, or their groups with
 * the rows of the expanded ones beneath. */
static void list_items(struct pc_topview *v)
{
	size_t i, j;

	v->norder = v->nitems = 0;
	if (reserve((void **)&v->order, &v->ordercap, v->d.nrows + 1, sizeof(*v->order)) ||
	    reserve((void **)&v->items, &v->itemcap, 2 * v->d.nrows + 1, sizeof(*v->items)))
		return;
	for (i = 0; i < v->d.nrows; i++)
		if (matches(v, &v->d.rows[i]))
			v->order[v->norder++] = i;
	qsort_r(v->order, v->norder, sizeof(*v->order), cmp_rows, v);
	if (!v->grouped) {
		for (i = 0; i < v->norder; i++)
			push_item(v, v->order[i], 0, 0);
		return;
	}
	if (pc_top_group_procs(&v->groups, v->d.rows, v->order, v->norder, v->d.procs,
			       v->d.now_ns))
		return;
	qsort_r(v->groups.g, v->groups.n, sizeof(*v->groups.g), cmp_groups, v);
	for (i = 0; i < v->groups.n; i++) {
		push_item(v, i, 1, 0);
		if (is_expanded(v, &v->items[v->nitems - 1]))
			for (j = 0; j < v->groups.g[i].nrows; j++)
				push_item(v, v->groups.g[i].rows[j], 0, 1);
	}
}

/* Which items, in which order; keeps the selection on its item. */
static void arrange(struct pc_topview *v)
{
	char key[KEY_LEN];
	size_t i;

	list_items(v);
	if (!v->nitems) {
		v->has_sel = 0;
		return;
	}
	if (v->has_sel)
		for (i = 0; i < v->nitems; i++) {
			item_key(v, &v->items[i], key);
			if (!strcmp(key, v->sel_key)) {
				v->sel_index = i;
				return;
			}
		}
	if (v->sel_index >= v->nitems)
		v->sel_index = v->nitems - 1;
	v->has_sel = 1;
	item_key(v, &v->items[v->sel_index], v->sel_key);
}

static void amount(char *dst, size_t n, const struct pc_topview *v, double bytes)
{
	pc_fmt_amount(dst, n, bytes, v->bits, v->unit);
}

static void escaped(char *dst, size_t n, const char *s)
{
	pc_escape_text(dst, n, s, strlen(s), 0);
}

/* Column widths that fit the terminal; COMMAND takes what is left. */
static void widths(int *userw, int *progw, int *ctw)
{
	*userw = COLS >= 100 ? 8 : 6;
	*progw = COLS >= 100 ? 15 : 12;
	*ctw = COLS >= 100 ? 12 : 9;
}

/* A line in attr; the selected one in reverse video across the screen. */
static void put_line(int y, const char *line, attr_t attr, int selected)
{
	if (selected)
		attr |= A_REVERSE;
	attrset(attr);
	mvaddnstr(y, 0, line, COLS);
	if (selected) /* the bar spans the screen */
		for (int x = (int)strlen(line); x < COLS; x++)
			mvaddch(y, x, ' ');
	attrset(A_NORMAL);
}

/* The five amount columns: SENT/s RECV/s SENT RECV PACKETS. */
static void amounts(char *dst, size_t n, const struct pc_topview *v, const struct pc_traffic *t)
{
	char tx[16], rx[16], txt[16], rxt[16], pk[16];

	amount(tx, sizeof(tx), v, t->tx_rate);
	amount(rx, sizeof(rx), v, t->rx_rate);
	amount(txt, sizeof(txt), v, (double)t->tx_bytes);
	amount(rxt, sizeof(rxt), v, (double)t->rx_bytes);
	pc_fmt_count(pk, sizeof(pk), t->tx_packets + t->rx_packets);
	snprintf(dst, n, "%7s %7s %7s %7s %7s", tx, rx, txt, rxt, pk);
}

/* A container group: its label in the CONTAINER column, the number of its
 * processes in PROGRAM, its name, id and pod in COMMAND; bold. */
static void draw_group(struct pc_topview *v, int y, const struct item *it, int selected)
{
	const struct pc_top_group *g = &v->groups.g[it->idx];
	char line[1024], label[80], procs[32], desc[768], name[256], pod[256], am[96];
	int userw, progw, ctw;

	widths(&userw, &progw, &ctw);
	escaped(label, sizeof(label), pc_top_group_label(g));
	snprintf(procs, sizeof(procs), "%zu process%s", g->nrows, g->nrows == 1 ? "" : "es");
	if (!g->ct.id[0]) {
		snprintf(desc, sizeof(desc), "processes outside containers");
	} else {
		escaped(name, sizeof(name), g->ct.name[0] ? g->ct.name : "?");
		escaped(pod, sizeof(pod), g->ct.pod);
		snprintf(desc, sizeof(desc), "container %s id %.12s%s%s", name, g->ct.id,
			 pod[0] ? " pod " : "", pod);
	}
	amounts(am, sizeof(am), v, &g->t);
	snprintf(line, sizeof(line), "%c%6s %-*s %-*.*s %-*.*s %s %s",
		 is_expanded(v, it) ? '-' : '+', "", userw, "", progw, progw, procs, ctw, ctw,
		 label, am, desc);
	put_line(y, line, g->nexited == g->nrows ? A_BOLD | A_DIM : A_BOLD, selected);
}

/* A process; under its container (depth 1) its name indented. */
static void draw_process(struct pc_topview *v, int y, const struct item *it, int selected)
{
	const struct pc_proc_row *r = &v->d.rows[it->idx];
	char line[1024], pid[16], user[64], comm[80], prog[96], cmd[512], am[96], ct[80];
	int userw, progw, ctw;

	widths(&userw, &progw, &ctw);
	pc_row_info(v->d.procs, r, v->d.now_ns, v->info);
	if (r->pid) {
		snprintf(pid, sizeof(pid), "%" PRIu32, r->pid);
		if (v->info->have_user)
			escaped(user, sizeof(user), v->info->user);
		else
			snprintf(user, sizeof(user), "%" PRIu32, r->uid);
		escaped(comm, sizeof(comm), v->info->comm[0] ? v->info->comm : "?");
		escaped(cmd, sizeof(cmd), v->info->have_cmdline ? v->info->cmdline : "");
		escaped(ct, sizeof(ct), v->info->ct_label[0] ? v->info->ct_label : "-");
	} else {
		snprintf(ct, sizeof(ct), "-");
		snprintf(pid, sizeof(pid), "-");
		snprintf(user, sizeof(user), "-");
		snprintf(comm, sizeof(comm), "(no process)");
		snprintf(cmd, sizeof(cmd), "kernel-generated packets, no socket owner");
	}
	amounts(am, sizeof(am), v, &r->t);
	snprintf(prog, sizeof(prog), "%*s%s", 2 * it->depth, "", comm);
	snprintf(line, sizeof(line), "%c%6s %-*.*s %-*.*s %-*.*s %s %s%s",
		 is_expanded(v, it) ? '-' : (r->nconns ? '+' : ' '), pid, userw, userw, user, progw,
		 progw, prog, ctw, ctw, ct, am, r->exited ? "[exited] " : "", cmd);
	put_line(y, line, r->exited ? A_DIM : A_NORMAL, selected);
}

static void draw_conn(struct pc_topview *v, int y, const struct pc_proc_row *r,
		      const struct pc_conn *c)
{
	char line[512], proto[8], l[64], rm[64], tx[16], rx[16];
	uint64_t window = (uint64_t)(v->d.interval * 1e9);
	int active;

	if (!window)
		window = (uint64_t)(v->delay * 1e9);
	active = c->last_ns && v->d.now_ns >= c->last_ns && v->d.now_ns - c->last_ns <= window;
	pc_fmt_endpoint(l, sizeof(l), c->key.family, c->key.proto, c->key.laddr, c->key.lport);
	pc_fmt_endpoint(rm, sizeof(rm), c->key.family, c->key.proto, c->key.raddr, c->key.rport);
	amount(tx, sizeof(tx), v, c->t.tx_rate);
	amount(rx, sizeof(rx), v, c->t.rx_rate);
	snprintf(line, sizeof(line), "      %-5s %-6s %7s %7s  %s -> %s",
		 pc_fmt_proto(c->key.proto, proto, sizeof(proto)), active ? "active" : "idle", tx,
		 rx, l, rm);
	attrset(r->exited ? A_DIM : A_NORMAL);
	mvaddnstr(y, 0, line, COLS);
	attrset(A_NORMAL);
}

static void draw_help(void)
{
	static const char *const lines[] = {
		"pidcap top: bandwidth per process, counted in the kernel",
		"",
		"  s      sort by sent rate           r   sort by received rate",
		"  t      sort by total rate          T   sort by cumulative total",
		"  p      sort by pid                 n   sort by name",
		"  Up/Down, PgUp/PgDn, Home/End       select a line",
		"  Enter  expand / collapse: a process's connections, a container's processes",
		"  Right  expand          Left  collapse (under a container: it)",
		"  c      group by container / a line per process",
		"  /      filter by name (type, Enter; Esc cancels; empty clears)",
		"  b      bytes / bits            u   units: auto, K, M",
		"  space  pause / resume          h ? this help",
		"  q      quit",
		"",
		"Rates are per second over the last interval; totals since start.",
		"Bytes are on the wire (IP headers included); K = 1024 bytes or",
		"1000 bits. 'exited' rows are processes gone, kept a few intervals.",
		"Grouped, '(host)' sums the processes outside containers (and the",
		"traffic no process owns); the filter keeps the matching processes.",
		"",
		"Press any key to return.",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]) && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, lines[i], COLS);
}

/* Lines an item takes on screen: a process's connections too. */
static size_t item_lines(const struct pc_topview *v, const struct item *it)
{
	size_t n;

	if (it->group || !is_expanded(v, it))
		return 1;
	n = v->d.rows[it->idx].nconns;
	return 1 + (n > MAX_CONN_LINES ? MAX_CONN_LINES + 1 : (n ? n : 1));
}

static void draw_frame(struct pc_topview *v)
{
	char line[512], tx[16], rx[16], txt[16], rxt[16], pk[16], clock[16], lim[160], n[64];
	int userw, progw, ctw, y, avail;
	time_t now = time(NULL);
	struct tm tm;
	size_t i, used;

	erase();
	if (v->help) {
		draw_help();
		refresh();
		return;
	}
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	if (v->grouped)
		snprintf(n, sizeof(n), "%zu processes in %zu groups", v->norder, v->groups.n);
	else
		snprintf(n, sizeof(n), "%zu processes", v->norder);
	snprintf(line, sizeof(line), "pidcap top  %s  every %gs  sort: %s  %s  %s%s%s%s", clock,
		 v->delay, sort_names[v->sort], n, v->bits ? "bits" : "bytes",
		 v->unit == PC_UNIT_K ? " K" : v->unit == PC_UNIT_M ? " M" : "",
		 v->paused ? "  [PAUSED]" : "", v->filter[0] ? "  filter: " : "");
	mvaddnstr(0, 0, line, COLS);
	if (v->filter[0]) {
		char f[FILTER_MAX * 4];

		escaped(f, sizeof(f), v->filter);
		addnstr(f, COLS - (int)strlen(line) > 0 ? COLS - (int)strlen(line) : 0);
	}
	if (v->d.status[0]) {
		attron(A_BOLD);
		addstr("  ");
		addstr(v->d.status);
		attroff(A_BOLD);
	}
	amount(tx, sizeof(tx), v, v->d.totals.tx_rate);
	amount(rx, sizeof(rx), v, v->d.totals.rx_rate);
	amount(txt, sizeof(txt), v, (double)v->d.totals.tx_bytes);
	amount(rxt, sizeof(rxt), v, (double)v->d.totals.rx_bytes);
	pc_fmt_count(pk, sizeof(pk), v->d.totals.tx_packets + v->d.totals.rx_packets);
	snprintf(line, sizeof(line), "Total: sent %s/s  received %s/s   sent %s  received %s  packets %s",
		 tx, rx, txt, rxt, pk);
	pc_fmt_limits(lim, sizeof(lim), &v->d.limits);
	if (lim[0]) {
		size_t len = strlen(line);

		snprintf(line + len, sizeof(line) - len, "   %s", lim);
	}
	mvaddnstr(1, 0, line, COLS);
	widths(&userw, &progw, &ctw);
	snprintf(line, sizeof(line), " %6s %-*s %-*s %-*s %7s %7s %7s %7s %7s %s", "PID", userw,
		 "USER", progw, "PROGRAM", ctw, "CONTAINER", "SENT/s", "RECV/s", "SENT", "RECV",
		 "PACKETS", "COMMAND");
	attron(A_BOLD | A_UNDERLINE);
	mvaddnstr(2, 0, line, COLS);
	attroff(A_BOLD | A_UNDERLINE);

	avail = LINES - 4; /* title, totals, header, key line */
	if (avail < 1)
		avail = 1;
	/* scroll so that the selected item (and its first lines) show */
	if (v->scroll > v->sel_index)
		v->scroll = v->sel_index;
	for (;;) {
		for (used = 0, i = v->scroll; i <= v->sel_index && i < v->nitems; i++)
			used += i == v->sel_index ? 1 : item_lines(v, &v->items[i]);
		if (used <= (size_t)avail || v->scroll >= v->sel_index)
			break;
		v->scroll++;
	}
	y = 3;
	for (i = v->scroll; i < v->nitems && y < 3 + avail; i++) {
		const struct item *it = &v->items[i];
		const struct pc_proc_row *r;
		size_t c;

		if (it->group) {
			draw_group(v, y++, it, v->has_sel && i == v->sel_index);
			continue;
		}
		r = &v->d.rows[it->idx];
		draw_process(v, y++, it, v->has_sel && i == v->sel_index);
		if (!is_expanded(v, it))
			continue;
		if (!r->nconns && y < 3 + avail)
			mvaddnstr(y++, 0, "      (no connections)", COLS);
		for (c = 0; c < r->nconns && c < MAX_CONN_LINES && y < 3 + avail; c++)
			draw_conn(v, y++, r, &r->conns[c]);
		if (r->nconns > MAX_CONN_LINES && y < 3 + avail) {
			snprintf(line, sizeof(line), "      ... %zu more connections",
				 r->nconns - MAX_CONN_LINES);
			mvaddnstr(y++, 0, line, COLS);
		}
	}
	if (v->editing) {
		char f[FILTER_MAX * 4];

		escaped(f, sizeof(f), v->edit);
		snprintf(line, sizeof(line), "Filter by name: %s_", f);
		mvaddnstr(LINES - 1, 0, line, COLS);
	} else {
		attron(A_REVERSE);
		mvaddnstr(LINES - 1, 0,
			  "q quit  h help  s/r/t/T/p/n sort  Enter expand  c containers  / filter  b bits  u units  space pause",
			  COLS);
		attroff(A_REVERSE);
	}
	refresh();
}

void pc_topview_draw(struct pc_topview *v, const struct pc_topview_data *d)
{
	v->d = *d;
	v->have_data = 1;
	arrange(v);
	draw_frame(v);
}

static void select_at(struct pc_topview *v, long idx)
{
	if (!v->nitems)
		return;
	if (idx < 0)
		idx = 0;
	if (idx >= (long)v->nitems)
		idx = (long)v->nitems - 1;
	v->sel_index = (size_t)idx;
	item_key(v, &v->items[idx], v->sel_key);
	v->has_sel = 1;
}

/* Left: collapses the selected item, or the container a process is under
 * (then selected). */
static void collapse(struct pc_topview *v)
{
	size_t i = v->sel_index;

	if (is_expanded(v, &v->items[i]) || !v->items[i].depth) {
		set_expanded(v, &v->items[i], 0);
		return;
	}
	while (i > 0 && !v->items[i].group)
		i--;
	set_expanded(v, &v->items[i], 0);
	select_at(v, (long)i);
}

/* c: grouped or not; the selection goes to the selected process's
 * container, or to the selected container's first process. */
static void toggle_grouped(struct pc_topview *v)
{
	const struct item *it = v->has_sel ? &v->items[v->sel_index] : NULL;

	if (it && it->group) {
		v->sel_key[0] = 0;
		if (v->groups.g[it->idx].nrows)
			snprintf(v->sel_key, sizeof(v->sel_key), "p%" PRIu32,
				 v->d.rows[v->groups.g[it->idx].rows[0]].pid);
	} else if (it) {
		pc_row_info(v->d.procs, &v->d.rows[it->idx], v->d.now_ns, v->info);
		snprintf(v->sel_key, sizeof(v->sel_key), "c%s",
			 v->d.rows[it->idx].pid ? v->info->ct_id : "");
	}
	v->grouped = !v->grouped;
	v->scroll = 0;
}

/* A key while typing the filter. */
static void filter_key(struct pc_topview *v, int ch)
{
	size_t len = strlen(v->edit);

	if (ch == 27) {
		v->editing = 0;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		memcpy(v->filter, v->edit, sizeof(v->filter));
		v->editing = 0;
		v->scroll = v->sel_index = 0;
		v->has_sel = 0;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			v->edit[len - 1] = 0;
	} else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(v->edit)) {
		v->edit[len] = (char)ch;
		v->edit[len + 1] = 0;
	}
}

/* Returns 1 for q. */
static int key(struct pc_topview *v, int ch)
{
	long page = LINES > 5 ? LINES - 5 : 1;

	if (v->editing) {
		filter_key(v, ch);
		return 0;
	}
	if (v->help && ch != 'q' && ch != KEY_RESIZE) {
		v->help = 0;
		return 0;
	}
	switch (ch) {
	case 'q':
		return 1;
	case 's': v->sort = SORT_SENT; break;
	case 'r': v->sort = SORT_RECV; break;
	case 't': v->sort = SORT_RATE; break;
	case 'T': v->sort = SORT_TOTAL; break;
	case 'p': v->sort = SORT_PID; break;
	case 'n': v->sort = SORT_NAME; break;
	case 'b': v->bits = !v->bits; break;
	case 'c': toggle_grouped(v); break;
	case 'u': v->unit = (v->unit + 1) % PC_UNIT_COUNT; break;
	case ' ': v->paused = !v->paused; break;
	case 'h':
	case '?':
		v->help = 1;
		break;
	case '/':
		v->editing = 1;
		memcpy(v->edit, v->filter, sizeof(v->edit));
		break;
	case KEY_UP:
	case 'k':
		select_at(v, (long)v->sel_index - 1);
		break;
	case KEY_DOWN:
	case 'j':
		select_at(v, (long)v->sel_index + 1);
		break;
	case KEY_PPAGE:
		select_at(v, (long)v->sel_index - page);
		break;
	case KEY_NPAGE:
		select_at(v, (long)v->sel_index + page);
		break;
	case KEY_HOME:
		select_at(v, 0);
		break;
	case KEY_END:
		select_at(v, (long)v->norder - 1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (v->has_sel)
			set_expanded(v, &v->items[v->sel_index],
				     !is_expanded(v, &v->items[v->sel_index]));
		break;
	case KEY_RIGHT:
	case 'l':
		if (v->has_sel)
			set_expanded(v, &v->items[v->sel_index], 1);
		break;
	case KEY_LEFT:
		if (v->has_sel)
			collapse(v);
		break;
	}
	return 0;
}

int pc_topview_input(struct pc_topview *v)
{
	int ch, redraw = 0;

	while ((ch = getch()) != ERR) {
		if (key(v, ch))
			return PC_VIEW_QUIT;
		redraw = 1;
	}
	if (redraw && v->have_data) {
		arrange(v);
		draw_frame(v);
	}
	return 0;
}
