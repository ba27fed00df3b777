/* cgroup v2 on the file system: finding the mount point, and resolving a
 * cgroup id (the inode number of its directory) to its path and back.
 * Not for caching the answers: procinfo.c remembers them (pc_cgroup_path). */
#ifndef PIDCAP_CGROUPS_H
#define PIDCAP_CGROUPS_H

#include <stdint.h>
#include <stddef.h>

/* Paths "relative to the cgroup2 root" below look like "/" for the root
 * itself and "/system.slice/x.service" for the others. root is the cgroup2
 * mount point without trailing slashes ("/" stays "/"). */

/* Finds the cgroup2 mount point in proc_root/self/mountinfo.
 * Returns 0, -ENOENT, -ENAMETOOLONG or the errno of reading the file. */
int pc_find_cgroup2(const char *proc_root, char *buf, size_t len);

/* Called by pc_cgroup2_walk for each cgroup: its id and relative path. */
typedef void pc_cgroup2_visit_fn(void *ctx, uint64_t id, const char *rel);

/* Visits the root and every directory below it on the same file system,
 * depth and count bounded, without following symlinks. Returns 0 or the
 * negative errno of opening the root; unreadable subdirectories are
 * skipped. */
int pc_cgroup2_walk(const char *root, pc_cgroup2_visit_fn *visit, void *ctx);

/* Id of root + rel (rel starts with '/', as in /proc/PID/cgroup) when it
 * is a directory. Returns 0, -ENAMETOOLONG, -ENOTDIR or the errno of
 * stat. */
int pc_cgroup2_dir_id(const char *root, const char *rel, uint64_t *id);

/* For the --cgroup filter: the id of path (absolute under root, or
 * relative to it) and its canonical relative form in rel; ".." refused.
 * It must be a directory of the cgroup2 file system itself. Returns 0 or
 * -ENOENT. */
int pc_cgroup2_path_id(const char *root, const char *path, char *rel,
		       size_t rellen, uint64_t *id);

/* Path of the cgroup with this id, relative to root, through its file
 * handle (cgroup v2 exports directories by id): one cgroup, no walk.
 * Needs CAP_DAC_READ_SEARCH. Returns 0, -ESTALE (no such cgroup now),
 * -EXDEV (not below root), -ENAMETOOLONG or another negative errno. */
int pc_cgroup2_id_path(const char *root, uint64_t id, char *rel, size_t rellen);

/* Is the relative path the cgroup top ("/a/b", trailing slashes allowed)
 * or below it? */
int pc_cgroup_under(const char *path, const char *top);

#endif
