/* The owner tables' processes: fork, exec and exit events (birth and exit
 * times, the last forks and children's events of each pid) and the owner
 * details kept with each pid. Not for deciding who held a socket
 * (owner_rules.c) or for reading /proc (the caller does, procfd.c). */
#include <stdlib.h>
#include <string.h>
#include "fallback/owner_tables.h"

struct pid_ent *ow_pid_find(const struct pc_owners *o, uint32_t pid)
{
	return (struct pid_ent *)ow_tab_first(&o->pids, pid);
}

struct pid_ent *ow_pid_get(struct pc_owners *o, uint32_t pid)
{
	struct pid_ent *p = ow_pid_find(o, pid);

	if (p || !pid)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->info_stale = 1;
	ow_tab_add(&o->pids, &p->h, pid);
	return p;
}

static void remember(uint64_t *ring, unsigned int *n, uint64_t ts)
{
	ring[*n % NHIST] = ts;
	(*n)++;
}

void pc_owners_fork(struct pc_owners *o, uint32_t ppid, uint32_t pid, uint64_t ts_ns)
{
	struct pid_ent *parent = ow_pid_get(o, ppid), *child = ow_pid_get(o, pid);

	if (parent) {
		parent->forked[parent->nforks % NHIST] = pid;
		remember(parent->forks, &parent->nforks, ts_ns);
	}
	if (child) {
		ow_young_add(o, pid);
		child->ppid = ppid;
		child->born_ns = ts_ns;
		child->exit_ns = 0;
		child->nforks = child->nchildren = 0;
		child->info_set = 0;
		child->info_stale = 1;
		if (parent && parent->info_set) { /* a fork runs its parent's program */
			child->info = parent->info;
			child->info_set = 1;
		}
	}
}

static void child_event(struct pc_owners *o, struct pid_ent *p, uint64_t ts_ns)
{
	struct pid_ent *parent = p && p->ppid ? ow_pid_find(o, p->ppid) : NULL;

	if (parent)
		remember(parent->children, &parent->nchildren, ts_ns);
}

void pc_owners_exec(struct pc_owners *o, uint32_t pid, uint64_t ts_ns)
{
	struct pid_ent *p = ow_pid_get(o, pid);

	if (!p)
		return;
	p->info_stale = 1; /* new comm, maybe new uid */
	ow_young_add(o, pid);
	child_event(o, p, ts_ns); /* close-on-exec sockets of its parent's are gone */
}

void pc_owners_exit(struct pc_owners *o, uint32_t pid, uint64_t ts_ns)
{
	struct pid_ent *p = ow_pid_get(o, pid);

	if (!p)
		return;
	p->exit_ns = ts_ns ? ts_ns : 1;
	child_event(o, p, ts_ns);
}

void pc_owners_process(struct pc_owners *o, uint32_t pid, uint32_t ppid, uint64_t born_ns)
{
	struct pid_ent *p = ow_pid_get(o, pid);

	if (!p)
		return;
	if (!p->ppid)
		p->ppid = ppid;
	if (!p->born_ns)
		p->born_ns = born_ns;
}

int pc_owners_info_wanted(struct pc_owners *o, uint32_t pid)
{
	struct pid_ent *p = ow_pid_find(o, pid);

	return !p || p->info_stale;
}

void pc_owners_set_info(struct pc_owners *o, uint32_t pid, const struct pc_owner_info *info)
{
	struct pid_ent *p = ow_pid_get(o, pid);

	if (!p)
		return;
	p->info = *info;
	p->info.comm[15] = 0;
	p->info_set = 1;
	p->info_stale = 0;
}

const struct pc_owner_info *pc_owners_info(struct pc_owners *o, uint32_t pid)
{
	struct pid_ent *p = ow_pid_find(o, pid);

	return p && p->info_set ? &p->info : NULL;
}

void pc_owners_set_comm(struct pc_owners *o, uint32_t pid, const char *comm)
{
	struct pid_ent *p = ow_pid_find(o, pid);

	if (p && p->info_set) {
		strncpy(p->info.comm, comm, sizeof(p->info.comm) - 1);
		p->info.comm[sizeof(p->info.comm) - 1] = 0;
	}
}
