/* The curses screen of pidcap top. A frame is erase() + every line +
 * refresh() once (no clear(), so no flicker); keys are read without
 * blocking when the loop sees stdin readable or a resize interrupted it.
 * Process strings are escaped (\xNN) before they reach the terminal.
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
#include "cmd/topview.h"

#define MAX_EXPANDED 64
#define MAX_CONN_LINES 100 /* connections listed per expanded process */
#define FILTER_MAX 64

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
	int has_sel;
	uint32_t sel_pid;
	size_t sel_index;           /* where the selection was: kept if its pid goes */
	uint32_t expanded[MAX_EXPANDED];
	size_t nexpanded;
	char filter[FILTER_MAX];
	char edit[FILTER_MAX];
	int editing;
	size_t scroll;              /* first process shown */
	double delay;
	size_t *order;              /* rows shown, sorted */
	size_t norder, ordercap;
	struct pc_row_info *info;   /* scratch */
};

int pc_topview_open(struct pc_topview **out, double delay)
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
	free(v->info);
	free(v);
}

int pc_topview_paused(const struct pc_topview *v)
{
	return v->paused;
}

static int is_expanded(const struct pc_topview *v, uint32_t pid)
{
	size_t i;

	for (i = 0; i < v->nexpanded; i++)
		if (v->expanded[i] == pid)
			return 1;
	return 0;
}

static void set_expanded(struct pc_topview *v, uint32_t pid, int on)
{
	size_t i;

	for (i = 0; i < v->nexpanded; i++)
		if (v->expanded[i] == pid)
			break;
	if (on && i == v->nexpanded && v->nexpanded < MAX_EXPANDED)
		v->expanded[v->nexpanded++] = pid;
	else if (!on && i < v->nexpanded)
		v->expanded[i] = v->expanded[--v->nexpanded];
}

static const char *row_name(const struct pc_proc_row *r)
{
	return r->pid ? r->comm : "(no process)";
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
	const struct pc_topview *v = ctx;
	const struct pc_proc_row *x = &v->d.rows[*(const size_t *)a];
	const struct pc_proc_row *y = &v->d.rows[*(const size_t *)b];
	double kx = 0, ky = 0;
	int c;

	switch (v->sort) {
	case SORT_RATE:
		kx = x->t.tx_rate + x->t.rx_rate, ky = y->t.tx_rate + y->t.rx_rate;
		break;
	case SORT_SENT:
		kx = x->t.tx_rate, ky = y->t.tx_rate;
		break;
	case SORT_RECV:
		kx = x->t.rx_rate, ky = y->t.rx_rate;
		break;
	case SORT_TOTAL:
		kx = (double)(x->t.tx_bytes + x->t.rx_bytes);
		ky = (double)(y->t.tx_bytes + y->t.rx_bytes);
		break;
	case SORT_NAME:
		c = strcasecmp(row_name(x), row_name(y));
		if (c)
			return c;
		break;
	case SORT_PID:
		break;
	}
	if (kx != ky) /* amounts: largest first */
		return kx > ky ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int matches(const struct pc_topview *v, const struct pc_proc_row *r)
{
	char comm[PC_COMM_LEN + 1];

	if (!v->filter[0])
		return 1;
	snprintf(comm, sizeof(comm), "%.*s", PC_COMM_LEN, row_name(r));
	return strcasestr(comm, v->filter) != NULL;
}

/* Which rows, in which order; keeps the selection on its pid. */
static void arrange(struct pc_topview *v)
{
	size_t i;

	v->norder = 0;
	if (v->ordercap < v->d.nrows) {
		size_t *o = realloc(v->order, v->d.nrows * sizeof(*o));

		if (!o)
			return;
		v->order = o;
		v->ordercap = v->d.nrows;
	}
	for (i = 0; i < v->d.nrows; i++)
		if (matches(v, &v->d.rows[i]))
			v->order[v->norder++] = i;
	qsort_r(v->order, v->norder, sizeof(*v->order), cmp_rows, v);
	if (!v->norder) {
		v->has_sel = 0;
		return;
	}
	if (v->has_sel)
		for (i = 0; i < v->norder; i++)
			if (v->d.rows[v->order[i]].pid == v->sel_pid) {
				v->sel_index = i;
				return;
			}
	if (v->sel_index >= v->norder)
		v->sel_index = v->norder - 1;
	v->has_sel = 1;
	v->sel_pid = v->d.rows[v->order[v->sel_index]].pid;
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

static void draw_process(struct pc_topview *v, int y, const struct pc_proc_row *r, int selected)
{
	char line[1024], pid[16], user[64], comm[80], cmd[512], tx[16], rx[16], txt[16], rxt[16],
		pk[16], ct[80];
	int userw, progw, ctw;
	attr_t attr = A_NORMAL;

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
	amount(tx, sizeof(tx), v, r->t.tx_rate);
	amount(rx, sizeof(rx), v, r->t.rx_rate);
	amount(txt, sizeof(txt), v, (double)r->t.tx_bytes);
	amount(rxt, sizeof(rxt), v, (double)r->t.rx_bytes);
	pc_fmt_count(pk, sizeof(pk), r->t.tx_packets + r->t.rx_packets);
	snprintf(line, sizeof(line), "%c%6s %-*.*s %-*.*s %-*.*s %7s %7s %7s %7s %7s %s%s",
		 is_expanded(v, r->pid) ? '-' : (r->nconns ? '+' : ' '), pid, userw, userw, user,
		 progw, progw, comm, ctw, ctw, ct, tx, rx, txt, rxt, pk,
		 r->exited ? "[exited] " : "", cmd);
	if (r->exited)
		attr |= A_DIM;
	if (selected)
		attr |= A_REVERSE;
	attrset(attr);
	mvaddnstr(y, 0, line, COLS);
	if (selected) /* the bar spans the screen */
		for (int x = (int)strlen(line); x < COLS; x++)
			mvaddch(y, x, ' ');
	attrset(A_NORMAL);
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
		"  Up/Down, PgUp/PgDn, Home/End       select a process",
		"  Enter  expand / collapse the selected process's connections",
		"  Right  expand          Left  collapse",
		"  /      filter by name (type, Enter; Esc cancels; empty clears)",
		"  b      bytes / bits            u   units: auto, K, M",
		"  space  pause / resume          h ? this help",
		"  q      quit",
		"",
		"Rates are per second over the last interval; totals since start.",
		"Bytes are on the wire (IP headers included); K = 1024 bytes or",
		"1000 bits. 'exited' rows are processes gone, kept a few intervals.",
		"",
		"Press any key to return.",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]) && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, lines[i], COLS);
}

/* Lines a process takes on screen. */
static size_t process_lines(const struct pc_topview *v, const struct pc_proc_row *r)
{
	size_t n = 1;

	if (is_expanded(v, r->pid))
		n += r->nconns > MAX_CONN_LINES ? MAX_CONN_LINES + 1 : (r->nconns ? r->nconns : 1);
	return n;
}

static void draw_frame(struct pc_topview *v)
{
	char line[512], tx[16], rx[16], txt[16], rxt[16], pk[16], clock[16], lim[160];
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
	snprintf(line, sizeof(line), "pidcap top  %s  every %gs  sort: %s  %zu processes  %s%s%s%s",
		 clock, v->delay, sort_names[v->sort], v->norder, v->bits ? "bits" : "bytes",
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
	/* scroll so that the selected process (and its first lines) show */
	if (v->scroll > v->sel_index)
		v->scroll = v->sel_index;
	for (;;) {
		for (used = 0, i = v->scroll; i <= v->sel_index && i < v->norder; i++)
			used += i == v->sel_index ? 1 : process_lines(v, &v->d.rows[v->order[i]]);
		if (used <= (size_t)avail || v->scroll >= v->sel_index)
			break;
		v->scroll++;
	}
	y = 3;
	for (i = v->scroll; i < v->norder && y < 3 + avail; i++) {
		const struct pc_proc_row *r = &v->d.rows[v->order[i]];
		size_t c;

		draw_process(v, y++, r, v->has_sel && i == v->sel_index);
		if (!is_expanded(v, r->pid))
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
			  "q quit  h help  s/r/t/T/p/n sort  Enter expand  / filter  b bits  u units  space pause",
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
	if (!v->norder)
		return;
	if (idx < 0)
		idx = 0;
	if (idx >= (long)v->norder)
		idx = (long)v->norder - 1;
	v->sel_index = (size_t)idx;
	v->sel_pid = v->d.rows[v->order[idx]].pid;
	v->has_sel = 1;
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
			set_expanded(v, v->sel_pid, !is_expanded(v, v->sel_pid));
		break;
	case KEY_RIGHT:
	case 'l':
		if (v->has_sel)
			set_expanded(v, v->sel_pid, 1);
		break;
	case KEY_LEFT:
		if (v->has_sel)
			set_expanded(v, v->sel_pid, 0);
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
