/* Names the container and pod of a cgroup: the cgroup path layouts of
 * podman, Docker, containerd, CRI-O and Kubernetes, the runtimes' state
 * files (JSON, untrusted: parsed with jansson) and a cache per cgroup id.
 * Not for the cgroup paths themselves (cgroups.c, procinfo.c) or output. */
#include "proc/container.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/file.h"
#include "lib/htab.h"
#include "proc/cgroups.h"

#define CT_STATE_MAX (1u << 20)       /* config.json, config.v2.json */
#define CT_LIST_MAX (16u << 20)       /* podman's containers.json */
#define CT_CACHE_MAX 65536            /* entries; the cache is cleared past it */
#define CT_RECHECK_NS 1000000000ull   /* mtimes looked at, at most this often */
#define CT_FILES 3

/* ---- cgroup paths ---- */

static int is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != PC_CT_ID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int has_prefix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && !memcmp(s, p, l);
}

/* A pod uid as Kubernetes writes it: hex and '-' (systemd: '_'), 1..63. */
static int take_pod_uid(const char *s, size_t n, struct pc_container *c)
{
	size_t i;

	if (!n || n >= sizeof(c->pod_uid))
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '_')
			ch = '-';
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-'))
			return 0;
		c->pod_uid[i] = ch;
	}
	c->pod_uid[n] = 0;
	return 1;
}

/* One path component s[0..n) after prev (the previous one, pn bytes):
 * the runtime of a container id in it, or PC_RT_NONE. */
static enum pc_runtime ct_component(const char *s, size_t n, const char *prev, size_t pn,
				    int in_kubepods, const char **id)
{
	static const struct {
		const char *prefix;
		enum pc_runtime rt;
	} pre[] = {
		{ "libpod-", PC_RT_PODMAN },
		{ "docker-", PC_RT_DOCKER },
		{ "cri-containerd-", PC_RT_CONTAINERD },
		{ "crio-", PC_RT_CRIO },
	};
	size_t i, l;

	if (n > 6 && !memcmp(s + n - 6, ".scope", 6))
		n -= 6;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		l = strlen(pre[i].prefix);
		if (has_prefix(s, n, pre[i].prefix) && is_hex64(s + l, n - l)) {
			*id = s + l;
			return pre[i].rt;
		}
	}
	if (!is_hex64(s, n))
		return PC_RT_NONE;
	*id = s;
	if (pn == 6 && !memcmp(prev, "docker", 6))
		return PC_RT_DOCKER;
	if (pn == 13 && !memcmp(prev, "libpod_parent", 13))
		return PC_RT_PODMAN;
	if (in_kubepods && has_prefix(prev, pn, "pod"))
		return PC_RT_CRI;
	return PC_RT_NONE;
}

/* A pod component: kubepods[-qos]-pod<uid>.slice or, below kubepods,
 * pod<uid>. */
static int pod_component(const char *s, size_t n, int in_kubepods, struct pc_container *c)
{
	const char *p;

	if (has_prefix(s, n, "kubepods") && n > 6 && !memcmp(s + n - 6, ".slice", 6)) {
		n -= 6;
		p = memmem(s, n, "-pod", 4);
		if (!p)
			return 0;
		p += 4;
		return take_pod_uid(p, n - (size_t)(p - s), c);
	}
	if (in_kubepods && has_prefix(s, n, "pod"))
		return take_pod_uid(s + 3, n - 3, c);
	return 0;
}

int pc_container_parse_cgroup(const char *path, struct pc_container *c)
{
	const char *s = path, *e, *prev = "", *id;
	size_t n, pn = 0;
	int in_kubepods = 0;
	enum pc_runtime rt;

	memset(c, 0, sizeof(*c));
	while (*s) {
		while (*s == '/')
			s++;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (!n)
			break;
		if (has_prefix(s, n, "kubepods"))
			in_kubepods = 1;
		if (pod_component(s, n, in_kubepods, c))
			c->pod_end = (size_t)(e - path);
		rt = ct_component(s, n, prev, pn, in_kubepods, &id);
		if (rt != PC_RT_NONE) {
			/* the deepest one: podman's libpod-ID.scope/container
			 * keeps the id of the scope */
			c->runtime = rt;
			memcpy(c->id, id, PC_CT_ID_LEN);
			c->id[PC_CT_ID_LEN] = 0;
			c->ct_end = (size_t)(e - path);
		}
		prev = s;
		pn = n;
		s = e;
	}
	return c->id[0] || c->pod_uid[0] ? 0 : -ENOENT;
}

/* ---- state files ---- */

/* Copies a JSON string into an empty field, cut to fit. */
static void take(char *dst, size_t cap, json_t *v, size_t skip_slash)
{
	const char *s = json_string_value(v);

	if (!s || dst[0])
		return;
	if (skip_slash && s[0] == '/')
		s++;
	snprintf(dst, cap, "%s", s);
}

#define TAKE(field, v) take(c->field, sizeof(c->field), (v), 0)

static json_t *load(const char *buf, size_t len)
{
	json_error_t err;

	return json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
}

/* The Kubernetes labels, as CRI annotations or Docker labels. */
static void kube_labels(json_t *o, struct pc_container *c)
{
	if (!json_is_object(o))
		return;
	TAKE(pod, json_object_get(o, "io.kubernetes.pod.name"));
	TAKE(pod, json_object_get(o, "io.kubernetes.cri.sandbox-name"));
	TAKE(pod_ns, json_object_get(o, "io.kubernetes.pod.namespace"));
	TAKE(pod_ns, json_object_get(o, "io.kubernetes.cri.sandbox-namespace"));
	TAKE(name, json_object_get(o, "io.kubernetes.container.name"));
	TAKE(name, json_object_get(o, "io.kubernetes.cri.container-name"));
	TAKE(image, json_object_get(o, "io.kubernetes.cri.image-name"));
	TAKE(image, json_object_get(o, "io.kubernetes.cri-o.ImageName"));
	TAKE(pod_uid, json_object_get(o, "io.kubernetes.pod.uid"));
	TAKE(pod_uid, json_object_get(o, "io.kubernetes.cri.sandbox-uid"));
}

int pc_container_parse_oci(const char *buf, size_t len, struct pc_container *c)
{
	json_t *root = load(buf, len);

	if (!json_is_object(root)) {
		json_decref(root);
		return -EINVAL;
	}
	kube_labels(json_object_get(root, "annotations"), c);
	json_decref(root);
	return 0;
}

int pc_container_parse_docker(const char *buf, size_t len, struct pc_container *c)
{
	json_t *root = load(buf, len), *cfg;

	if (!json_is_object(root)) {
		json_decref(root);
		return -EINVAL;
	}
	cfg = json_object_get(root, "Config");
	if (json_is_object(cfg))
		kube_labels(json_object_get(cfg, "Labels"), c);
	/* a Kubernetes container's own name first, then Docker's */
	take(c->name, sizeof(c->name), json_object_get(root, "Name"), 1);
	if (json_is_object(cfg))
		TAKE(image, json_object_get(cfg, "Image"));
	json_decref(root);
	return 0;
}

int pc_container_parse_podman(const char *buf, size_t len, struct pc_container *c)
{
	json_t *root = load(buf, len), *ent, *meta;
	const char *id, *m;
	int err = -ENOENT;
	size_t i;

	if (!json_is_array(root)) {
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(root, i, ent) {
		id = json_string_value(json_object_get(ent, "id"));
		if (!id || strcmp(id, c->id))
			continue;
		TAKE(name, json_array_get(json_object_get(ent, "names"), 0));
		/* metadata is JSON inside a string */
		m = json_string_value(json_object_get(ent, "metadata"));
		meta = m ? load(m, strlen(m)) : NULL;
		if (json_is_object(meta)) {
			TAKE(name, json_object_get(meta, "name"));
			TAKE(image, json_object_get(meta, "image-name"));
		}
		json_decref(meta);
		err = 0;
		break;
	}
	json_decref(root);
	return err;
}

/* ---- the cache ---- */

struct ct_entry {
	struct pc_container c;
	int is_ct;
	uint64_t checked_ns;
	int64_t stamp[CT_FILES]; /* mtime (ns) of each state file, -1: absent */
};

struct pc_containers {
	char *root;
	struct pc_htab tab; /* cgroup id -> struct ct_entry */
};

typedef int ct_parse_fn(const char *buf, size_t len, struct pc_container *c);

struct ct_file {
	const char *fmt; /* root, id */
	size_t max;
	ct_parse_fn *parse;
};

/* The state files of a runtime, in the order they are read (earlier ones
 * fill a field first). */
static const struct ct_file *ct_files(enum pc_runtime rt)
{
	static const struct ct_file podman[] = {
		{ "%s/var/lib/containers/storage/overlay-containers/containers.json", CT_LIST_MAX,
		  pc_container_parse_podman },
		{ "%s/var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ NULL, 0, NULL },
	};
	static const struct ct_file docker[] = {
		{ "%s/var/lib/docker/containers/%s/config.v2.json", CT_STATE_MAX,
		  pc_container_parse_docker },
		{ NULL, 0, NULL },
	};
	static const struct ct_file containerd[] = {
		{ "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ "%s/run/containerd/io.containerd.runtime.v2.task/moby/%s/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ NULL, 0, NULL },
	};
	static const struct ct_file crio[] = {
		{ "%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ "%s/var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ NULL, 0, NULL },
	};
	static const struct ct_file cri[] = {
		{ "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ "%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
		  CT_STATE_MAX, pc_container_parse_oci },
		{ NULL, 0, NULL },
	};

	switch (rt) {
	case PC_RT_PODMAN:
		return podman;
	case PC_RT_DOCKER:
		return docker;
	case PC_RT_CONTAINERD:
		return containerd;
	case PC_RT_CRIO:
		return crio;
	case PC_RT_CRI:
		return cri;
	default:
		return NULL;
	}
}

static int ct_path(const struct pc_containers *cs, const struct ct_file *f, const char *id,
		   char *buf, size_t len)
{
	int n = snprintf(buf, len, f->fmt, cs->root, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The mtimes of e's state files; returns whether they differ from e's. */
static int ct_stamp(const struct pc_containers *cs, const struct ct_entry *e, int64_t *stamp)
{
	const struct ct_file *f = ct_files(e->c.runtime);
	char path[PATH_MAX];
	struct stat st;
	int i, changed = 0;

	for (i = 0; i < CT_FILES; i++) {
		stamp[i] = -1;
		if (f && f[i].fmt && !ct_path(cs, &f[i], e->c.id, path, sizeof(path)) &&
		    !stat(path, &st))
			stamp[i] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		if (f && !f[i].fmt)
			f = NULL;
		changed |= stamp[i] != e->stamp[i];
	}
	return changed;
}

/* Reads e's state files afresh, over the fields of the path only. */
static void ct_read(const struct pc_containers *cs, struct ct_entry *e)
{
	const struct ct_file *f = ct_files(e->c.runtime);
	char path[PATH_MAX], *buf;
	size_t len;

	e->c.name[0] = e->c.image[0] = e->c.pod[0] = e->c.pod_ns[0] = 0;
	for (; f && f->fmt && e->c.id[0]; f++) {
		if (ct_path(cs, f, e->c.id, path, sizeof(path)) ||
		    pc_read_alloc(path, f->max, &buf, &len))
			continue;
		f->parse(buf, len, &e->c);
		free(buf);
	}
}

int pc_containers_new(struct pc_containers **out, const char *root)
{
	struct pc_containers *cs = calloc(1, sizeof(*cs));

	*out = NULL;
	if (!cs)
		return -ENOMEM;
	cs->root = strdup(root ? root : "");
	if (!cs->root) {
		free(cs);
		return -ENOMEM;
	}
	*out = cs;
	return 0;
}

static void ct_clear(struct pc_containers *cs)
{
	size_t i;

	for (i = 0; i < cs->tab.cap; i++) {
		free(cs->tab.slots[i].val);
		cs->tab.slots[i].val = NULL;
	}
	cs->tab.len = 0;
}

void pc_containers_free(struct pc_containers *cs)
{
	if (!cs)
		return;
	ct_clear(cs);
	free(cs->tab.slots);
	free(cs->root);
	free(cs);
}

const struct pc_container *pc_containers_get(struct pc_containers *cs, uint64_t cgroup_id,
					     const char *cgroup_path, uint64_t now_ns)
{
	struct ct_entry *e;
	int64_t stamp[CT_FILES];

	if (!cs || !cgroup_id)
		return NULL;
	e = pc_htab_get(&cs->tab, cgroup_id);
	if (!e) {
		if (!cgroup_path)
			return NULL; /* not remembered: the path may come later */
		if (cs->tab.len >= CT_CACHE_MAX)
			ct_clear(cs);
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->is_ct = !pc_container_parse_cgroup(cgroup_path, &e->c);
		if (e->is_ct) {
			ct_stamp(cs, e, e->stamp);
			ct_read(cs, e);
		}
		e->checked_ns = now_ns;
		if (pc_htab_put(&cs->tab, cgroup_id, e)) {
			free(e);
			return NULL;
		}
	} else if (e->is_ct && now_ns - e->checked_ns >= CT_RECHECK_NS) {
		e->checked_ns = now_ns;
		if (ct_stamp(cs, e, stamp)) {
			memcpy(e->stamp, stamp, sizeof(stamp));
			ct_read(cs, e);
		}
	}
	return e->is_ct ? &e->c : NULL;
}

/* ---- finding a container by name or id ---- */

struct ct_find {
	struct pc_containers *cs;
	const char *want;
	int pod;
	char name_rel[PATH_MAX], id_rel[PATH_MAX];
	int by_name, by_id; /* matches: by_id counts different ids */
	char id[PC_CT_ID_LEN + 1];
};

static void ct_find_visit(void *ctx, uint64_t id, const char *rel)
{
	struct ct_find *f = ctx;
	const struct pc_container *c = pc_containers_get(f->cs, id, rel, 0);

	if (!c)
		return;
	if (f->pod) {
		if (c->pod_end && !f->by_name && !strcmp(c->pod, f->want)) {
			snprintf(f->name_rel, sizeof(f->name_rel), "%.*s", (int)c->pod_end, rel);
			f->by_name = 1;
		}
		return;
	}
	if (!c->ct_end)
		return;
	if (!f->by_name && !strcmp(c->name, f->want)) {
		snprintf(f->name_rel, sizeof(f->name_rel), "%.*s", (int)c->ct_end, rel);
		f->by_name = 1;
	}
	/* the same container's sub-cgroups are no second match */
	if (!strncmp(c->id, f->want, strlen(f->want)) && strcmp(c->id, f->id)) {
		snprintf(f->id_rel, sizeof(f->id_rel), "%.*s", (int)c->ct_end, rel);
		memcpy(f->id, c->id, sizeof(f->id));
		f->by_id++;
	}
}

int pc_containers_find(struct pc_containers *cs, const char *cgroup2_root, const char *want,
		       int pod, char *rel, size_t rellen)
{
	struct ct_find *f;
	const char *src = NULL;
	int err;

	if (!want || !want[0] || !cgroup2_root)
		return -ENOENT;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cs = cs;
	f->want = want;
	f->pod = pod;
	err = pc_cgroup2_walk(cgroup2_root, ct_find_visit, f);
	if (err)
		goto out;
	/* a name wins over an id prefix */
	if (f->by_name)
		src = f->name_rel;
	else if (f->by_id == 1)
		src = f->id_rel;
	err = src ? 0 : f->by_id > 1 ? -EEXIST : -ENOENT;
	if (!err && snprintf(rel, rellen, "%s", src) >= (int)rellen)
		err = -ENAMETOOLONG;
out:
	free(f);
	return err;
}

int pc_container_wanted(const struct pc_container *c, const char *want, int pod)
{
	if (pod) {
		if (c->pod[0])
			return !strcmp(c->pod, want);
		return c->pod_uid[0] ? -1 : 0;
	}
	if (!c->id[0])
		return 0;
	if (!strncmp(c->id, want, strlen(want)) || !strcmp(c->name, want))
		return 1;
	return c->name[0] ? 0 : -1;
}
