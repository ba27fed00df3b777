/* The one description of a packet's owner (or peer): the kernel record's
 * ids and comm plus what the process cache says (exe, cmdline, cgroup path,
 * user name, container), copied out. Used by the printer, -w files, top and the
 * exporter. Not for formatting or escaping: strings are raw bytes. */
#ifndef PIDCAP_OWNER_DESC_H
#define PIDCAP_OWNER_DESC_H

#include <stdint.h>
#include "proc/container.h"
#include "proc/procinfo.h"
#include "records.h"

#define PC_DESC_STR_MAX (PC_CMDLINE_MAX + 1) /* exe, cmdline, cgroup, with NUL */
#define PC_DESC_USER_MAX 256

/* What to look up besides the record's ids and comm (or-ed). */
#define PC_DESC_PROCESS 1u    /* exe, cmdline, exited: the process cache */
#define PC_DESC_CGROUP 2u     /* cgroup path of the record's cgroup id */
#define PC_DESC_USER 4u       /* user name of the record's uid */
#define PC_DESC_CONTAINER 16u /* container and pod of the record's cgroup id (with
			       * PC_DESC_PROCESS and no id: the process's) */
#define PC_DESC_ALL (PC_DESC_PROCESS | PC_DESC_CGROUP | PC_DESC_USER | PC_DESC_CONTAINER)
/* The record's comm may be empty (a counting row): then it is no hint for
 * the cache, and the cache's comm is used. */
#define PC_DESC_CACHE_COMM 8u

struct pc_owner_desc {
	int known;                /* 0: no process (then nothing else is set) */
	uint32_t pid, tid, uid;
	char comm[PC_COMM_LEN + 1];
	int have_exe, have_cmdline, have_cgroup, have_user;
	int have_container;       /* in a container or a pod: ct is set */
	int exited;               /* the cache saw it exit */
	int uid_unknown;          /* a file that did not record the uid */
	/* read only where their have_ flag says: not cleared */
	char exe[PC_DESC_STR_MAX];
	char cmdline[PC_DESC_STR_MAX];
	char cgroup[PC_DESC_STR_MAX];
	char user[PC_DESC_USER_MAX];
	struct pc_container ct;
};

/* Fills d from ow (valid: the record has this owner at all) and, when
 * procs is not NULL, from the cache as `what` asks, in one order for every
 * caller: process, cgroup, user, container. now_ns: monotonic, for the cache. */
void pc_owner_describe(struct pc_procs *procs, const struct pc_owner *ow, int valid,
		       uint64_t now_ns, unsigned int what, struct pc_owner_desc *d);

#endif
