/* The fallback backend's processes: the pid filter set (--pid, -- CMD and
 * its children), the details an owner record needs (read from /proc into
 * the owner rules), and the proc connector's fork/exec/exit/comm events and
 * sock_diag's destroy notifications, fed to the owner rules and queued as
 * records. Not for parsing the events (procconn.c, sockdiag.c) or for
 * packets (backend_queue.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "proc/cgroups.h"
#include "fallback/backend_state.h"

/* ---- the pid filter set (--pid, -- CMD and its children) ---- */

/* Exited members stay this long (their last packets wait up to 300 ms for
 * an owner), unless a fork reuses the pid first. */
#define PID_KEEP_NS (2000ULL * 1000000)
#define PID_LIVE ((void *)1)

int pb_in_set(const struct pc_pcapback *b, uint32_t pid)
{
	return pc_htab_get(&b->pids, pid) != NULL;
}

int pc_pcapback_add_pid(struct pc_pcapback *b, uint32_t pid)
{
	return pc_htab_put(&b->pids, pid, PID_LIVE);
}

static void pid_exited(struct pc_pcapback *b, uint32_t pid, uint64_t now)
{
	if (pb_in_set(b, pid))
		pc_htab_put(&b->pids, pid, (void *)(uintptr_t)(now | 1));
}

/* Once a second: members that exited PID_KEEP_NS ago leave. */
void pb_sweep_pids(struct pc_pcapback *b, uint64_t now)
{
	size_t i;

	if (now - b->last_pid_sweep < 1000000000ULL)
		return;
	b->last_pid_sweep = now;
	for (i = 0; i < b->pids.cap; i++) {
		uintptr_t v = (uintptr_t)b->pids.slots[i].val;

		if (v > 1 && now - v > PID_KEEP_NS) {
			pc_htab_del_at(&b->pids, i);
			i--; /* a later entry may have moved here */
		}
	}
}

/* ---- process details for owner records ---- */

static uint64_t born_ns(const struct pc_pcapback *b, uint64_t starttime)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t boot;

	if (!starttime || hz <= 0)
		return 0;
	/* rounded up by one tick: never earlier than the real start */
	boot = (starttime + 1) * (1000000000ULL / hz);
	return boot > (uint64_t)b->boot_to_mono ? boot - b->boot_to_mono : 1;
}

/* Reads what an owner record and the filters need about pid. */
int pb_read_info(struct pc_pcapback *b, uint32_t pid, struct pc_procfd_info *pi)
{
	struct pc_owner_info info;

	if (pc_procfd_read_info(PROC, pid, pi))
		return -ESRCH;
	memset(&info, 0, sizeof(info));
	memcpy(info.comm, pi->comm, sizeof(info.comm));
	info.uid = pi->uid;
	info.uid_known = pi->has_uid;
	if (pi->cgroup[0] && b->cgroot[0])
		pc_cgroup2_dir_id(b->cgroot, pi->cgroup, &info.cgroup_id);
	pc_owners_process(b->own, pid, pi->ppid, born_ns(b, pi->starttime));
	pc_owners_set_info(b->own, pid, &info);
	return 0;
}

/* ---- process events ---- */

static void queue_task_event(struct pc_pcapback *b, uint8_t type, uint32_t pid, uint32_t ppid,
			     uint64_t ts, uint64_t now)
{
	struct qent *e = pb_enqueue(b, sizeof(struct pc_task_event), 0, now);
	struct pc_task_event *te;
	const struct pc_owner_info *info;

	if (!e)
		return;
	te = (struct pc_task_event *)e->rec;
	te->type = type;
	te->pid = pid;
	te->ppid = ppid;
	te->ts_ns = ts;
	info = pc_owners_info(b->own, type == PC_REC_FORK ? ppid : pid);
	if (info) {
		memcpy(te->comm, info->comm, sizeof(te->comm));
		te->uid = info->uid;
	}
}

static void queue_exec(struct pc_pcapback *b, uint32_t pid, uint64_t ts, uint64_t now)
{
	struct pc_procfd_info pi;
	const struct pc_owner_info *info;
	struct pc_exec *ex;
	struct qent *e;
	size_t used;

	if (pb_read_info(b, pid, &pi))
		return; /* gone already: the process cache keeps what it knew */
	e = pb_enqueue(b, sizeof(*ex), 0, now);
	if (!e)
		return;
	ex = (struct pc_exec *)e->rec;
	ex->type = PC_REC_EXEC;
	ex->pid = pid;
	ex->ppid = pi.ppid;
	ex->uid = pi.has_uid ? pi.uid : UINT32_MAX;
	ex->ts_ns = ts;
	info = pc_owners_info(b->own, pid);
	ex->cgroup_id = info ? info->cgroup_id : 0;
	memcpy(ex->comm, pi.comm, sizeof(ex->comm));
	pc_procfd_read_exec(PROC, pid, ex->filename, sizeof(ex->filename), ex->args,
			    sizeof(ex->args), &used);
	ex->args_len = used;
}

void pb_on_proc_event(void *ctx, const struct pc_procconn_event *ev)
{
	struct pc_pcapback *b = ctx;
	uint64_t now = pc_clock_ns(CLOCK_MONOTONIC);

	switch (ev->what) {
	case PC_PROCCONN_FORK:
		if (ev->pid != ev->tgid)
			return; /* a thread: same process, same files */
		pc_owners_fork(b->own, ev->ppid, ev->pid, ev->ts_ns);
		if (b->follow_children && pb_in_set(b, ev->ppid))
			pc_pcapback_add_pid(b, ev->pid);
		else /* the pid of an exited member, reused */
			pc_htab_del(&b->pids, ev->pid);
		queue_task_event(b, PC_REC_FORK, ev->pid, ev->ppid, ev->ts_ns, now);
		break;
	case PC_PROCCONN_EXEC:
		pc_owners_exec(b->own, ev->tgid, ev->ts_ns);
		queue_exec(b, ev->tgid, ev->ts_ns, now);
		break;
	case PC_PROCCONN_EXIT:
		if (ev->pid != ev->tgid)
			return;
		pc_owners_exit(b->own, ev->pid, ev->ts_ns);
		pid_exited(b, ev->pid, now);
		queue_task_event(b, PC_REC_EXIT, ev->pid, ev->ppid, ev->ts_ns, now);
		break;
	case PC_PROCCONN_COMM:
		if (ev->pid == ev->tgid)
			pc_owners_set_comm(b->own, ev->tgid, ev->comm);
		break;
	}
}

int pb_on_destroy(void *ctx, const struct pc_sock *sk)
{
	struct pc_pcapback *b = ctx;

	pc_owners_socket_gone(b->own, sk->cookie, pc_clock_ns(CLOCK_MONOTONIC));
	return 0;
}
