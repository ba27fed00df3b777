/* Counting mode's set-up, record handling and updates, the same for
 * pidcap top and the exporter. Not for the event loops, the screen or
 * HTTP (top.c, exporter.c), nor for the flow table itself (flowtab.c). */
#include <errno.h>
#include <stdio.h>
#include "cmd/counting.h"

/* Ring buffer records: process events feed the cache; packet records come
 * only from the fallback, which has no flows map, and are counted here. */
static int on_record(void *ctx, const void *rec, size_t size)
{
	struct pc_counting *c = ctx;
	uint32_t pid;

	if (*(const uint8_t *)rec == PC_REC_PACKET) {
		if (c->ft)
			pc_flowtab_add_packet(c->ft, rec, size);
		return 0;
	}
	pid = pc_session_proc_event(c->procs, rec, size);
	if (pid && c->ft)
		pc_flowtab_exited(c->ft, pid);
	return 0;
}

void pc_counting_init(struct pc_counting *c)
{
	*c = (struct pc_counting){ 0 };
	pc_session_init(&c->ses);
}

/* The kernel counts a process whose cgroup the cgroup filter had not
 * answered for yet: kept only when the answer was yes (or is unknown). */
static int keep_process(void *ctx, uint32_t pid)
{
	struct pc_counting *c = ctx;
	const struct pc_proc *p = pc_procs_find(c->procs, pid);

	return !p || !p->cgroup_id || pc_session_cgroup_wanted(&c->ses, p->cgroup_id) != 0;
}

int pc_counting_open(struct pc_counting *c, const struct pc_options *opt,
		     unsigned int keep_intervals, char *err, size_t errlen)
{
	struct pc_capture_opts co = { 0 };
	int ret;

	ret = pc_procs_new(&c->procs, "/proc", NULL);
	if (ret) {
		snprintf(err, errlen, "cannot create the process cache");
		return ret;
	}
	pc_procs_scan(c->procs, pc_now_ns());
	co.want_in = co.want_out = 1;
	co.snaplen = 0;
	co.count_mode = 1;
	co.verbose = opt->verbose;
	ret = pc_session_setup(&c->ses, opt, c->procs, &co, err, errlen);
	if (ret)
		return ret;
	ret = pc_capture_open(&c->cap, &co, on_record, c, err, errlen);
	if (ret)
		return ret;
	c->filter_where = "";
	if (opt->filter) {
		const char *where;

		if (!pc_capture_filter_where(c->cap, &where)) {
			snprintf(err, errlen, "%s: the counters are the kernel's, so the "
				 "expression must run there", where);
			return -ENOTSUP;
		}
		c->filter_where = ", filter in the kernel";
	}
	ret = pc_flowtab_new(&c->ft, pc_capture_flows_fd(c->cap),
			     pc_capture_flows_fold_fd(c->cap), keep_intervals);
	if (ret) {
		snprintf(err, errlen, "cannot create the flow table: out of memory");
		return ret;
	}
	if (opt->cgroup || opt->container || opt->pod)
		pc_flowtab_set_keep(c->ft, keep_process, c);
	c->last_expire_ns = pc_now_ns();
	return 0;
}

int pc_counting_update(struct pc_counting *c, uint64_t now, uint64_t idle_ns)
{
	int err;

	if (pc_capture_consume(c->cap) < 0)
		return -EIO;
	err = pc_flowtab_update(c->ft, now, idle_ns);
	if (err)
		return err;
	c->interval = c->last_update_ns ? (now - c->last_update_ns) / 1e9 : 0;
	c->last_update_ns = now;
	return 0;
}

void pc_counting_expire(struct pc_counting *c, uint64_t now, uint64_t keep_ns)
{
	if (now - c->last_expire_ns < 1000000000ULL)
		return;
	pc_procs_expire(c->procs, now, keep_ns);
	c->last_expire_ns = now;
}

int pc_counting_exit_code(const struct pc_counting *c, const struct pc_options *opt)
{
	int code = pc_session_exit_code(&c->ses);

	return opt->cmd && code >= 0 ? code : 0;
}

void pc_counting_close(struct pc_counting *c)
{
	pc_flowtab_free(c->ft);
	c->ft = NULL;
	pc_capture_close(c->cap); /* detached before waiting for CMD */
	c->cap = NULL;
	pc_session_close(&c->ses);
	pc_procs_free(c->procs);
	c->procs = NULL;
}
