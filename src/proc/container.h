/* Containers and pods: which container (podman, Docker, containerd, CRI-O)
 * or Kubernetes pod a cgroup v2 path belongs to, and its name, image and
 * pod labels from the runtime's own state files, cached per cgroup id.
 * Not for escaping (strings are raw bytes) or for finding cgroup paths. */
#ifndef PIDCAP_CONTAINER_H
#define PIDCAP_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

enum pc_runtime {
	PC_RT_NONE = 0,
	PC_RT_PODMAN,
	PC_RT_DOCKER,
	PC_RT_CONTAINERD,
	PC_RT_CRIO,
	PC_RT_CRI, /* kubepods cgroupfs layout: containerd or CRI-O */
};

#define PC_CT_ID_LEN 64

struct pc_container {
	enum pc_runtime runtime;
	char id[PC_CT_ID_LEN + 1]; /* "" when only a pod is known */
	char pod_uid[64];          /* "" outside Kubernetes */
	char name[256];
	char image[512];
	char pod[256];
	char pod_ns[256];
	/* length of the path up to the container's / the pod's component
	 * (0 when there is none): the cgroups to filter on */
	size_t ct_end, pod_end;
};

/* Fills c (cleared first) from a cgroup path relative to the cgroup2 root.
 * Returns 0 when the path is a container's or a pod's, -ENOENT else. */
int pc_container_parse_cgroup(const char *path, struct pc_container *c);

/* State-file readers over untrusted bytes: each fills only the fields the
 * file has and a caller's empty ones. Returns 0 or -EINVAL. */
/* An OCI config.json: the CRI annotations (containerd, CRI-O). */
int pc_container_parse_oci(const char *buf, size_t len, struct pc_container *c);
/* Docker's config.v2.json: Name, Config.Image, Config.Labels. */
int pc_container_parse_docker(const char *buf, size_t len, struct pc_container *c);
/* containers/storage's containers.json (podman): names[0] and the image
 * name in metadata of the entry whose id is c->id; -ENOENT without one. */
int pc_container_parse_podman(const char *buf, size_t len, struct pc_container *c);

/* For --container and --pod (pod != 0), is c the one wanted: the
 * container named want or whose id starts with want, or any container of
 * the pod named want? Returns 1, 0, or -1 when it cannot tell yet (the
 * runtime has not written the name down). */
int pc_container_wanted(const struct pc_container *c, const char *want, int pod);

struct pc_containers;

/* root: prefix of the runtimes' state directories ("" for the real ones,
 * a fixture tree in tests). Returns 0 or -ENOMEM. */
int pc_containers_new(struct pc_containers **out, const char *root);
void pc_containers_free(struct pc_containers *cs);

/* The container of cgroup_id whose path is cgroup_path (NULL: unknown),
 * NULL when none. A new id parses the path and reads the state files; a
 * known one re-reads them when their mtimes changed, checked at most once
 * a second. The pointer stays valid until the next call. */
const struct pc_container *pc_containers_get(struct pc_containers *cs, uint64_t cgroup_id,
					     const char *cgroup_path, uint64_t now_ns);

/* For --container and --pod: walks cgroup2_root for the container whose
 * name is want or whose id starts with want (pod: the pod named want, its
 * pod cgroup) and copies its cgroup path (relative) into rel. Returns 0,
 * -ENOENT (none), -EEXIST (an id prefix matching several) or
 * -ENAMETOOLONG. */
int pc_containers_find(struct pc_containers *cs, const char *cgroup2_root, const char *want,
		       int pod, char *rel, size_t rellen);

#endif
