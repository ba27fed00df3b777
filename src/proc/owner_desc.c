/* Builds the description of an owner from a record and the process cache,
 * the same lookups in the same order for every output. Not for output
 * limits or escaping: each output cuts and escapes its own copy. */
#include <stdio.h>
#include <string.h>
#include "proc/owner_desc.h"

void pc_owner_describe(struct pc_procs *procs, const struct pc_owner *ow, int valid,
		       uint64_t now_ns, unsigned int what, struct pc_owner_desc *d)
{
	const struct pc_proc *p = NULL;
	const struct pc_container *c;
	const char *s;

	/* no memset: the strings are read only where their have_ flag says */
	d->known = d->have_exe = d->have_cmdline = d->have_cgroup = d->have_user = 0;
	d->have_container = 0;
	d->exited = d->uid_unknown = 0;
	d->comm[0] = 0;
	if (!valid || !ow->pid)
		return;
	d->known = 1;
	d->pid = ow->pid;
	d->tid = ow->tid;
	d->uid = ow->uid;
	memcpy(d->comm, ow->comm, PC_COMM_LEN);
	d->comm[PC_COMM_LEN] = 0;
	if (!procs)
		return;
	if (what & PC_DESC_PROCESS) {
		if (what & PC_DESC_CACHE_COMM)
			p = pc_procs_get(procs, ow->pid, d->comm[0] ? d->comm : NULL, now_ns);
		else
			p = pc_procs_get(procs, ow->pid, d->comm, now_ns);
	}
	if (p) {
		if ((what & PC_DESC_CACHE_COMM) && !d->comm[0])
			snprintf(d->comm, sizeof(d->comm), "%.*s", (int)sizeof(p->comm), p->comm);
		if (p->exe)
			d->have_exe = snprintf(d->exe, sizeof(d->exe), "%s", p->exe) >= 0;
		if (p->cmdline)
			d->have_cmdline =
				snprintf(d->cmdline, sizeof(d->cmdline), "%s", p->cmdline) >= 0;
		d->exited = p->exited;
	}
	if (what & PC_DESC_CGROUP) {
		s = pc_cgroup_path(procs, ow->cgroup_id);
		if (s)
			d->have_cgroup = snprintf(d->cgroup, sizeof(d->cgroup), "%s", s) >= 0;
	}
	if (what & PC_DESC_USER) {
		s = pc_user_name(procs, ow->uid);
		if (s)
			d->have_user = snprintf(d->user, sizeof(d->user), "%s", s) >= 0;
	}
	if (what & PC_DESC_CONTAINER) {
		/* a counting row has no cgroup id: the process's then */
		c = pc_container_of(procs, ow->cgroup_id ? ow->cgroup_id : p ? p->cgroup_id : 0);
		if (c) {
			d->ct = *c;
			d->have_container = 1;
		}
	}
}
