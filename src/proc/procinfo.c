/* Process information cache keyed by pid: filled from /proc and from
 * kernel exec/fork/exit events, expiry of exited processes, and caches of
 * user names and cgroup v2 paths. Not for parsing /proc contents
 * (procparse.c), walking the cgroup2 mount (cgroups.c) or output. */
#include "lib/clock.h"
#include "lib/file.h"
#include "lib/htab.h"
#include "proc/procinfo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PC_PROC_READ_MAX 4096     /* bytes read of stat, status, cgroup */
#define PC_SWEEP_PER_CALL 256     /* live entries checked per expire call */
#define PC_USERS_MAX 4096         /* user cache is cleared past this */
#define PC_CGROUPS_MAX 65536      /* cgroup cache is cleared past this */


_Static_assert(PC_PROC_READ_MAX <= PC_CMDLINE_MAX, "load_proc buffer");

/* ---- files ---- */

/* ---- the cache ---- */

enum pc_state {
	PC_ST_NEG,  /* nothing known: a remembered miss */
	PC_ST_HINT, /* only a comm (from a record or a fork of an unknown) */
	PC_ST_FULL, /* read from /proc or built from exec/fork events */
};

struct pc_entry {
	struct pc_proc pub;
	int state;
	int tried;           /* NEG/HINT: /proc was tried at seen_ns */
	int miss_err;        /* and failed with this */
	uint64_t seen_ns;
	int refreshed;       /* FULL: a comm mismatch refresh at refresh_ns */
	uint64_t refresh_ns;
	char last_hint[16];  /* the comm that caused the last refresh */
	uint64_t starttime;  /* from stat, tells a reused pid; 0 unknown */
};

struct pc_user {
	char *name; /* NULL: no such user */
};

struct pc_cgroup {
	char *path;
};

struct pc_procs {
	char *proc_root;
	char *cg_root;          /* NULL when unknown */
	struct pc_htab procs;   /* pid -> struct pc_entry */
	struct pc_htab users;   /* uid -> struct pc_user */
	struct pc_htab cgroups; /* cgroup id -> struct pc_cgroup */
	struct pc_containers *cts; /* by cgroup id */
	uint64_t netns;            /* of proc_root/self, 0: not read yet */
	uint64_t (*clock)(void);
	int cg_walked;
	uint64_t cg_walk_ns;
	size_t sweep_pos;
};

static uint64_t pc_mono_ns(void)
{
	return pc_clock_ns(CLOCK_MONOTONIC);
}

static int within_sec(uint64_t now, uint64_t then)
{
	return now >= then && now - then < PC_NS_PER_SEC;
}

int pc_procs_new(struct pc_procs **out, const char *proc_root,
		 const char *cgroup2_root)
{
	char found[PATH_MAX];
	struct pc_procs *p;
	size_t n = 0;
	int err = 0;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	p->clock = pc_mono_ns;
	p->proc_root = strdup(proc_root ? proc_root : "/proc");
	if (!p->proc_root) {
		err = -ENOMEM;
		goto out;
	}
	err = pc_containers_new(&p->cts, "");
	if (err)
		goto out;
	if (!cgroup2_root &&
	    !pc_find_cgroup2(p->proc_root, found, sizeof(found)))
		cgroup2_root = found;
	if (cgroup2_root) {
		p->cg_root = strdup(cgroup2_root);
		if (!p->cg_root) {
			err = -ENOMEM;
			goto out;
		}
		n = strlen(p->cg_root);
		while (n > 1 && p->cg_root[n - 1] == '/')
			p->cg_root[--n] = '\0';
	}
	*out = p;
	p = NULL;
out:
	pc_procs_free(p);
	return err;
}

void pc_procs_set_clock(struct pc_procs *p, uint64_t (*now_ns)(void))
{
	p->clock = now_ns ? now_ns : pc_mono_ns;
}

static void entry_free(struct pc_entry *e)
{
	if (!e)
		return;
	free(e->pub.exe);
	free(e->pub.cmdline);
	free(e);
}

/* Forgets everything but the pid. */
static void entry_reset(struct pc_entry *e)
{
	uint32_t pid = e->pub.pid;

	free(e->pub.exe);
	free(e->pub.cmdline);
	memset(e, 0, sizeof(*e));
	e->pub.pid = pid;
	e->pub.uid = UINT32_MAX;
	e->state = PC_ST_NEG;
}

static void users_clear(struct pc_procs *p)
{
	struct pc_user *u;
	size_t i;

	for (i = 0; i < p->users.cap; i++) {
		u = p->users.slots[i].val;
		if (u) {
			free(u->name);
			free(u);
			p->users.slots[i].val = NULL;
		}
	}
	p->users.len = 0;
}

static void cgroups_clear(struct pc_procs *p)
{
	struct pc_cgroup *c;
	size_t i;

	for (i = 0; i < p->cgroups.cap; i++) {
		c = p->cgroups.slots[i].val;
		if (c) {
			free(c->path);
			free(c);
			p->cgroups.slots[i].val = NULL;
		}
	}
	p->cgroups.len = 0;
}

void pc_procs_free(struct pc_procs *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->procs.cap; i++)
		entry_free(p->procs.slots[i].val);
	free(p->procs.slots);
	users_clear(p);
	free(p->users.slots);
	cgroups_clear(p);
	free(p->cgroups.slots);
	pc_containers_free(p->cts);
	free(p->proc_root);
	free(p->cg_root);
	free(p);
}

static struct pc_entry *entry_new(struct pc_procs *p, uint32_t pid)
{
	struct pc_entry *e;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pub.pid = pid;
	e->pub.uid = UINT32_MAX;
	e->state = PC_ST_NEG;
	if (pc_htab_put(&p->procs, pid, e)) {
		free(e);
		return NULL;
	}
	return e;
}

/* Remembers id -> path (relative to the cgroup2 root). Best effort. */
static void cg_remember(struct pc_procs *p, uint64_t id, const char *rel)
{
	struct pc_cgroup *c;
	char *path;

	c = pc_htab_get(&p->cgroups, id);
	if (c && strcmp(c->path, rel) == 0)
		return;
	path = strdup(rel);
	if (!path)
		return;
	if (c) {
		free(c->path);
		c->path = path;
		return;
	}
	if (p->cgroups.len >= PC_CGROUPS_MAX)
		cgroups_clear(p);
	c = malloc(sizeof(*c));
	if (!c || pc_htab_put(&p->cgroups, id, c)) {
		free(c);
		free(path);
		return;
	}
	c->path = path;
}

/* pc_cgroup2_walk's callback: ctx is the struct pc_procs. */
static void cg_visit(void *ctx, uint64_t id, const char *rel)
{
	cg_remember(ctx, id, rel);
}

/* What /proc says about a pid; exe and cmdline are owned. */
struct pc_load {
	struct pc_stat_fields st;
	uint32_t uid;
	char comm[16];
	char *exe;
	char *cmdline;
	uint64_t cgroup_id;
};

static void load_cgroup(struct pc_procs *p, int dfd, struct pc_load *ld)
{
	char buf[PC_PROC_READ_MAX], rel[PATH_MAX];
	uint64_t id;
	size_t n = 0;

	if (!p->cg_root || pc_read_at(dfd, "cgroup", buf, sizeof(buf), &n) ||
	    pc_parse_cgroup_file(buf, n, rel, sizeof(rel)) ||
	    pc_cgroup2_dir_id(p->cg_root, rel, &id))
		return;
	ld->cgroup_id = id;
	cg_remember(p, id, rel);
}

/* An exec event in a cgroup not known yet (a container that just
 * started): its path from proc_root/PID/cgroup, so that no packet waits
 * for the next walk of the mount (at most one a second). On the event
 * path, once per new cgroup. */
static void learn_cgroup(struct pc_procs *p, uint32_t pid, uint64_t cgroup_id)
{
	struct pc_load ld = { .cgroup_id = 0 };
	char path[PATH_MAX];
	int dfd;

	if (!p->cg_root || pc_htab_get(&p->cgroups, cgroup_id) ||
	    snprintf(path, sizeof(path), "%s/%u", p->proc_root, pid) >= (int)sizeof(path))
		return;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	load_cgroup(p, dfd, &ld);
	close(dfd);
}

static int load_proc(struct pc_procs *p, uint32_t pid, struct pc_load *ld)
{
	char path[PATH_MAX], buf[PC_CMDLINE_MAX];
	struct pc_status_fields sf;
	ssize_t r;
	size_t n = 0;
	int dfd = -1, err;

	memset(ld, 0, sizeof(*ld));
	ld->uid = UINT32_MAX;
	if (snprintf(path, sizeof(path), "%s/%u", p->proc_root, pid) >=
	    (int)sizeof(path)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	/* One directory fd: every file comes from the same process even if
	 * the pid is reused meanwhile (the old files then fail). */
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		goto out;
	}
	err = pc_read_at(dfd, "stat", buf, PC_PROC_READ_MAX, &n);
	if (err)
		goto out;
	err = pc_parse_stat(buf, n, &ld->st);
	if (!err && ld->st.pid != pid)
		err = -EINVAL;
	if (err)
		goto out;
	memcpy(ld->comm, ld->st.comm, sizeof(ld->comm));
	if (!pc_read_at(dfd, "comm", buf, PC_PROC_READ_MAX, &n) && n) {
		if (buf[n - 1] == '\n')
			n--;
		if (n)
			pc_copy_comm(ld->comm, buf, n);
	}
	if (!pc_read_at(dfd, "status", buf, PC_PROC_READ_MAX, &n) &&
	    !pc_parse_status(buf, n, &sf))
		ld->uid = sf.uid;
	r = readlinkat(dfd, "exe", path, sizeof(path));
	if (r > 0 && (size_t)r < sizeof(path))
		ld->exe = strndup(path, r);
	if (!pc_read_at(dfd, "cmdline", buf, sizeof(buf), &n))
		ld->cmdline = pc_join_args(buf, n);
	load_cgroup(p, dfd, ld);
out:
	if (dfd >= 0)
		close(dfd);
	return err;
}

/* Moves what was loaded into e. */
static void apply_load(struct pc_entry *e, struct pc_load *ld)
{
	int same = e->state == PC_ST_FULL && !e->pub.exited &&
		   (!e->starttime || e->starttime == ld->st.starttime);

	memcpy(e->pub.comm, ld->comm, sizeof(e->pub.comm));
	free(e->pub.exe);
	e->pub.exe = ld->exe;
	ld->exe = NULL;
	free(e->pub.cmdline);
	e->pub.cmdline = ld->cmdline;
	ld->cmdline = NULL;
	e->pub.ppid = ld->st.ppid;
	if (ld->uid != UINT32_MAX || !same)
		e->pub.uid = ld->uid;
	if (ld->cgroup_id || !same)
		e->pub.cgroup_id = ld->cgroup_id;
	e->starttime = ld->st.starttime;
	e->state = PC_ST_FULL;
}

/* Fills or refreshes e from /proc. A refresh ignores a zombie, whose exe
 * and cmdline are gone: what the entry has is better. */
static int try_load(struct pc_procs *p, struct pc_entry *e, uint64_t now,
		    int refresh)
{
	struct pc_load ld;
	int err, zombie;

	err = load_proc(p, e->pub.pid, &ld);
	if (err)
		goto out;
	zombie = ld.st.state == 'Z' || ld.st.state == 'X';
	if (zombie && refresh) {
		err = -ESRCH;
		goto out;
	}
	apply_load(e, &ld);
	if (!zombie) {
		e->pub.exited = 0;
		e->pub.exit_ts_ns = 0;
	} else if (!e->pub.exited) {
		e->pub.exited = 1;
		e->pub.exit_ts_ns = now;
	}
out:
	free(ld.exe);
	free(ld.cmdline);
	return err;
}

static void mark_gone(struct pc_entry *e, uint64_t now)
{
	if (!e->pub.exited) {
		e->pub.exited = 1;
		e->pub.exit_ts_ns = now;
	}
}

/* A comm that differs from the cached one may mean an exec we missed:
 * read /proc again, once per new comm and at most once a second (thread
 * names differ from the process comm all the time). */
static void maybe_refresh(struct pc_procs *p, struct pc_entry *e,
			  const char *hint, uint64_t now)
{
	if (!hint || !strncmp(hint, e->pub.comm, PC_COMM_MAX) ||
	    !strncmp(hint, e->last_hint, PC_COMM_MAX))
		return;
	if (e->refreshed && within_sec(now, e->refresh_ns))
		return;
	pc_copy_comm(e->last_hint, hint, strnlen(hint, PC_COMM_MAX));
	e->refreshed = 1;
	e->refresh_ns = now;
	if (try_load(p, e, now, 1) == -ENOENT)
		mark_gone(e, now);
}

static struct pc_entry *lookup(struct pc_procs *p, uint32_t pid,
			       const char *hint, uint64_t now)
{
	struct pc_entry *e;
	int err;

	if (hint && !hint[0])
		hint = NULL;
	e = pc_htab_get(&p->procs, pid);
	if (!e) {
		e = entry_new(p, pid);
		if (!e)
			return NULL;
	}
	if (e->state == PC_ST_FULL ||
	    (e->state == PC_ST_HINT && e->pub.exited)) {
		maybe_refresh(p, e, hint, now);
		return e;
	}
	if (e->tried && within_sec(now, e->seen_ns)) {
		err = e->miss_err; /* a remembered miss */
	} else {
		e->tried = 1;
		e->seen_ns = now;
		err = try_load(p, e, now, 0);
		e->miss_err = err;
	}
	if (err && hint && e->state == PC_ST_NEG)
		e->state = PC_ST_HINT;
	if (err == -ENOENT && e->state == PC_ST_HINT)
		mark_gone(e, now);
	if (e->state == PC_ST_HINT && !e->pub.comm[0] && hint)
		pc_copy_comm(e->pub.comm, hint, strnlen(hint, PC_COMM_MAX));
	return e;
}

const struct pc_proc *pc_procs_get(struct pc_procs *p, uint32_t pid,
				   const char *comm_hint, uint64_t now_ns)
{
	struct pc_entry *e;

	if (!p || !pid)
		return NULL;
	e = lookup(p, pid, comm_hint, now_ns);
	return e && e->state != PC_ST_NEG ? &e->pub : NULL;
}

const struct pc_proc *pc_procs_find(struct pc_procs *p, uint32_t pid)
{
	struct pc_entry *e = p ? pc_htab_get(&p->procs, pid) : NULL;

	return e && e->state != PC_ST_NEG ? &e->pub : NULL;
}

size_t pc_procs_count(const struct pc_procs *p)
{
	return p ? p->procs.len : 0;
}

/* ---- kernel events ---- */

void pc_procs_exec(struct pc_procs *p, uint32_t pid, uint32_t ppid,
		   uint32_t uid, const char *comm, const char *filename,
		   const char *args, size_t args_len, uint64_t cgroup_id)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct pc_entry *e;
	ssize_t r = -1;

	if (!p || !pid)
		return;
	e = pc_htab_get(&p->procs, pid);
	if (!e)
		e = entry_new(p, pid);
	if (!e)
		return;
	if (e->state != PC_ST_FULL || e->pub.exited)
		entry_reset(e); /* nothing of a reused pid's owner is kept */
	e->state = PC_ST_FULL;
	e->refreshed = 0;
	e->last_hint[0] = '\0';
	if (comm)
		pc_copy_comm(e->pub.comm, comm, strnlen(comm, PC_COMM_MAX));
	free(e->pub.exe);
	e->pub.exe = NULL;
	if (snprintf(path, sizeof(path), "%s/%u/exe", p->proc_root, pid) <
	    (int)sizeof(path))
		r = readlink(path, link, sizeof(link));
	if (r > 0 && (size_t)r < sizeof(link))
		e->pub.exe = strndup(link, r);
	else if (filename && filename[0])
		e->pub.exe = strndup(filename, PATH_MAX);
	free(e->pub.cmdline);
	e->pub.cmdline = args ? pc_join_args(args, args_len) : NULL;
	if (ppid)
		e->pub.ppid = ppid;
	e->pub.uid = uid;
	if (cgroup_id) {
		e->pub.cgroup_id = cgroup_id;
		learn_cgroup(p, pid, cgroup_id);
	}
}

void pc_procs_fork(struct pc_procs *p, uint32_t pid, uint32_t ppid,
		   const char *comm)
{
	struct pc_entry *e, *parent;

	if (!p || !pid)
		return;
	e = pc_htab_get(&p->procs, pid);
	if (e && e->state == PC_ST_FULL && !e->pub.exited) {
		/* Already read from /proc, maybe after its exec: newer. */
		if (!e->pub.ppid)
			e->pub.ppid = ppid;
		return;
	}
	parent = ppid && ppid != pid ? pc_htab_get(&p->procs, ppid) : NULL;
	if (parent && parent->state == PC_ST_NEG)
		parent = NULL;
	if (e)
		entry_reset(e);
	else
		e = entry_new(p, pid);
	if (!e)
		return;
	e->pub.ppid = ppid;
	if (comm && comm[0])
		pc_copy_comm(e->pub.comm, comm, strnlen(comm, PC_COMM_MAX));
	else if (parent)
		memcpy(e->pub.comm, parent->pub.comm, sizeof(e->pub.comm));
	if (!parent || parent->state != PC_ST_FULL) {
		e->state = PC_ST_HINT; /* read /proc on the first lookup */
		return;
	}
	e->state = PC_ST_FULL;
	e->pub.uid = parent->pub.uid;
	e->pub.cgroup_id = parent->pub.cgroup_id;
	if (parent->pub.exe)
		e->pub.exe = strdup(parent->pub.exe);
	if (parent->pub.cmdline)
		e->pub.cmdline = strdup(parent->pub.cmdline);
}

void pc_procs_exit(struct pc_procs *p, uint32_t pid, uint64_t ts_ns)
{
	struct pc_entry *e;

	if (!p || !pid)
		return;
	e = pc_htab_get(&p->procs, pid);
	if (!e || e->state == PC_ST_NEG)
		return;
	e->pub.exited = 1;
	e->pub.exit_ts_ns = ts_ns;
}

/* ---- expiry and seeding ---- */

static int entry_expired(const struct pc_entry *e, uint64_t now,
			 uint64_t keep)
{
	if (e->state == PC_ST_NEG)
		return !within_sec(now, e->seen_ns) && now >= e->seen_ns;
	return e->pub.exited && now >= e->pub.exit_ts_ns &&
	       now - e->pub.exit_ts_ns > keep;
}

/* Checks a few live entries round robin: a lost exit event must not keep
 * an entry forever. */
static void sweep(struct pc_procs *p, uint64_t now)
{
	struct pc_htab *h = &p->procs;
	size_t scanned, checked = 0;
	char path[PATH_MAX];
	struct pc_entry *e;
	struct stat st;

	for (scanned = 0; scanned < h->cap && checked < PC_SWEEP_PER_CALL;
	     scanned++) {
		e = h->slots[p->sweep_pos++ & (h->cap - 1)].val;
		if (!e || e->state == PC_ST_NEG || e->pub.exited)
			continue;
		checked++;
		if (snprintf(path, sizeof(path), "%s/%u", p->proc_root,
			     e->pub.pid) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) && errno == ENOENT)
			mark_gone(e, now);
	}
}

void pc_procs_expire(struct pc_procs *p, uint64_t now_ns, uint64_t keep_ns)
{
	struct pc_htab *h;
	struct pc_entry *e;
	size_t i = 0;

	if (!p)
		return;
	h = &p->procs;
	while (i < h->cap) {
		e = h->slots[i].val;
		if (e && entry_expired(e, now_ns, keep_ns)) {
			pc_htab_del_at(h, i);
			entry_free(e);
			continue; /* slot i may hold a shifted entry now */
		}
		i++;
	}
	sweep(p, now_ns);
}


int pc_procs_scan(struct pc_procs *p, uint64_t now_ns)
{
	struct pc_entry *e;
	struct dirent *de;
	uint32_t pid;
	DIR *d;
	int err = 0;

	d = opendir(p->proc_root);
	if (!d) {
		err = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		if (pc_parse_pid_name(de->d_name, &pid))
			continue;
		e = pc_htab_get(&p->procs, pid);
		if (e && e->state == PC_ST_FULL && !e->pub.exited)
			continue;
		if (e)
			e->tried = 0;
		lookup(p, pid, NULL, now_ns);
	}
	closedir(d);
out:
	return err;
}

/* ---- users ---- */

/* Returns 0 and *name (NULL when there is no such user), or an error that
 * is worth retrying later. */
static int lookup_user(uint32_t uid, char **name)
{
	struct passwd pw, *res = NULL;
	size_t size = 1024;
	char *buf = NULL, *nb;
	int err;

	*name = NULL;
	for (;;) {
		nb = realloc(buf, size);
		if (!nb) {
			err = -ENOMEM;
			goto out;
		}
		buf = nb;
		err = -getpwuid_r(uid, &pw, buf, size, &res);
		if (err != -ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (err)
		goto out;
	if (res && res->pw_name) {
		*name = strdup(res->pw_name);
		if (!*name)
			err = -ENOMEM;
	}
out:
	free(buf);
	return err;
}

const char *pc_user_name(struct pc_procs *p, uint32_t uid)
{
	struct pc_user *u;
	char *name;

	if (!p || uid == UINT32_MAX)
		return NULL;
	u = pc_htab_get(&p->users, uid);
	if (u)
		return u->name;
	if (lookup_user(uid, &name))
		return NULL;
	if (p->users.len >= PC_USERS_MAX)
		users_clear(p);
	u = malloc(sizeof(*u));
	if (!u || pc_htab_put(&p->users, uid, u)) {
		free(u);
		free(name);
		return NULL;
	}
	u->name = name;
	return name;
}

/* ---- cgroups ---- */

const char *pc_cgroup_path(struct pc_procs *p, uint64_t cgroup_id)
{
	char rel[PATH_MAX];
	struct pc_cgroup *c;
	uint64_t now;

	if (!p || !cgroup_id)
		return NULL;
	c = pc_htab_get(&p->cgroups, cgroup_id);
	if (c)
		return c->path;
	if (!p->cg_root)
		return NULL;
	/* one cgroup by its handle (a container just started), else a walk */
	if (!pc_cgroup2_id_path(p->cg_root, cgroup_id, rel, sizeof(rel))) {
		cg_remember(p, cgroup_id, rel);
		c = pc_htab_get(&p->cgroups, cgroup_id);
		if (c)
			return c->path;
	}
	now = p->clock();
	if (p->cg_walked && within_sec(now, p->cg_walk_ns))
		return NULL;
	p->cg_walked = 1;
	p->cg_walk_ns = now;
	pc_cgroup2_walk(p->cg_root, cg_visit, p);
	c = pc_htab_get(&p->cgroups, cgroup_id);
	return c ? c->path : NULL;
}

int pc_cgroup_id(struct pc_procs *p, const char *path, uint64_t *id)
{
	char rel[PATH_MAX];
	int err = -ENOENT;

	if (!p || !p->cg_root || !path)
		goto out;
	err = pc_cgroup2_path_id(p->cg_root, path, rel, sizeof(rel), id);
	if (err)
		goto out;
	cg_remember(p, *id, rel);
out:
	return err;
}

/* ---- containers ---- */

uint64_t pc_procs_netns(struct pc_procs *p)
{
	char path[PATH_MAX];
	struct stat st;

	if (!p)
		return 0;
	if (!p->netns && snprintf(path, sizeof(path), "%s/self/ns/net", p->proc_root) <
				 (int)sizeof(path) && !stat(path, &st))
		p->netns = st.st_ino;
	return p->netns;
}

int pc_procs_set_state_root(struct pc_procs *p, const char *root)
{
	struct pc_containers *cts;
	int err = pc_containers_new(&cts, root);

	if (err)
		return err;
	pc_containers_free(p->cts);
	p->cts = cts;
	return 0;
}

const struct pc_container *pc_container_of(struct pc_procs *p, uint64_t cgroup_id)
{
	if (!p || !cgroup_id)
		return NULL;
	return pc_containers_get(p->cts, cgroup_id, pc_cgroup_path(p, cgroup_id), p->clock());
}

int pc_container_cgroup_id(struct pc_procs *p, const char *want, int pod, uint64_t *id)
{
	char rel[PATH_MAX];
	int err;

	if (!p || !p->cg_root)
		return -ENOENT;
	err = pc_containers_find(p->cts, p->cg_root, want, pod, rel, sizeof(rel));
	if (err)
		return err;
	return pc_cgroup_id(p, rel, id);
}
