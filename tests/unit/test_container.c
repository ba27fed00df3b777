/* Unit tests of src/proc/container.c: every cgroup path layout (podman,
 * Docker systemd/cgroupfs, containerd, CRI-O, Kubernetes systemd/cgroupfs),
 * the state files in tests/fixtures/containers, the cache's refresh on a
 * changed mtime, the lookup by name or id, and what --container, --pod and
 * --cgroup match. Run from the repository root. */
#include "proc/cgroups.h"
#include "proc/container.h"
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define FIX "tests/fixtures/containers"
#define ID(x) x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x
#define IDA ID("a1")
#define IDB ID("b2")
#define IDC ID("c3")
#define IDD ID("d4")
#define SEC 1000000000ull

static struct pc_container c;

static int parse(const char *path)
{
	return pc_container_parse_cgroup(path, &c);
}

TEST(podman_paths)
{
	const char *p = "/libpod_parent/libpod-" IDA;

	CHECK_EQ_INT(parse(p), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_PODMAN);
	CHECK_EQ_STR(c.id, IDA);
	CHECK_EQ_INT(c.ct_end, strlen(p));
	CHECK_EQ_INT(c.pod_end, 0);
	/* systemd cgroup manager: a scope with a sub-cgroup */
	CHECK_EQ_INT(parse("/machine.slice/libpod-" IDA ".scope/container"), 0);
	CHECK_EQ_STR(c.id, IDA);
	CHECK_EQ_INT(c.ct_end, strlen("/machine.slice/libpod-" IDA ".scope"));
	CHECK_EQ_INT(parse("/libpod_parent/" IDA), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_PODMAN);
	/* conmon is not the container */
	CHECK_EQ_INT(parse("/libpod_parent/conmon"), -ENOENT);
	CHECK_EQ_INT(parse("/machine.slice/libpod-conmon-" IDA ".scope"), -ENOENT);
}

TEST(docker_paths)
{
	CHECK_EQ_INT(parse("/system.slice/docker-" IDB ".scope"), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_DOCKER);
	CHECK_EQ_STR(c.id, IDB);
	CHECK_EQ_INT(parse("/docker/" IDB), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_DOCKER);
	CHECK_EQ_STR(c.id, IDB);
	CHECK_EQ_INT(parse("/docker"), -ENOENT);
	CHECK_EQ_INT(parse("/system.slice/docker.service"), -ENOENT);
}

TEST(cri_paths)
{
	const char *sd = "/kubepods.slice/kubepods-burstable.slice/"
			 "kubepods-burstable-pod1b2c3d4e_0000_4a4a_8b8b_123456789abc.slice";

	CHECK_EQ_INT(parse("/system.slice/cri-containerd-" IDC ".scope"), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_CONTAINERD);
	CHECK_EQ_STR(c.id, IDC);
	CHECK_EQ_INT(parse("/system.slice/crio-" IDD ".scope"), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_CRIO);
	CHECK_EQ_INT(parse("/system.slice/crio-conmon-" IDD ".scope"), -ENOENT);

	/* Kubernetes, systemd driver: the pod slice, then the container */
	CHECK_EQ_INT(parse(sd), 0);
	CHECK_EQ_STR(c.id, "");
	CHECK_EQ_STR(c.pod_uid, "1b2c3d4e-0000-4a4a-8b8b-123456789abc");
	CHECK_EQ_INT(c.pod_end, strlen(sd));
	CHECK_EQ_INT(parse("/kubepods.slice/kubepods-burstable.slice/"
			   "kubepods-burstable-pod1b2c3d4e_0000_4a4a_8b8b_123456789abc.slice/"
			   "cri-containerd-" IDC ".scope"), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_CONTAINERD);
	CHECK_EQ_STR(c.id, IDC);
	CHECK_EQ_INT(c.pod_end, strlen(sd));
	CHECK_EQ_INT(parse("/kubepods.slice/kubepods-pod99aa88bb_1111_4222_8333_444455556666.slice/"
			   "crio-" IDD ".scope"), 0);
	CHECK_EQ_STR(c.pod_uid, "99aa88bb-1111-4222-8333-444455556666");
	CHECK_EQ_INT(c.runtime, PC_RT_CRIO);
	CHECK_EQ_INT(parse("/kubepods.slice/kubepods-besteffort.slice/"
			   "kubepods-besteffort-pod99aa88bb_1111_4222_8333_444455556666.slice/"
			   "docker-" IDB ".scope"), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_DOCKER);

	/* Kubernetes, cgroupfs driver */
	CHECK_EQ_INT(parse("/kubepods/burstable/pod1b2c3d4e-0000-4a4a-8b8b-123456789abc/" IDC), 0);
	CHECK_EQ_INT(c.runtime, PC_RT_CRI);
	CHECK_EQ_STR(c.id, IDC);
	CHECK_EQ_STR(c.pod_uid, "1b2c3d4e-0000-4a4a-8b8b-123456789abc");
	CHECK_EQ_INT(c.pod_end, strlen("/kubepods/burstable/pod1b2c3d4e-0000-4a4a-8b8b-123456789abc"));
	CHECK_EQ_INT(parse("/kubepods/pod99aa88bb-1111-4222-8333-444455556666/" IDD), 0);
	CHECK_EQ_STR(c.id, IDD);
	CHECK_EQ_INT(parse("/kubepods/besteffort"), -ENOENT);
	CHECK_EQ_INT(parse("/kubepods.slice"), -ENOENT);
}

TEST(not_containers)
{
	CHECK_EQ_INT(parse("/"), -ENOENT);
	CHECK_EQ_INT(parse(""), -ENOENT);
	CHECK_EQ_INT(parse("/user.slice/user-0.slice/session-1.scope"), -ENOENT);
	/* a 64-hex name under an unknown parent, a short id, upper case */
	CHECK_EQ_INT(parse("/foo/" IDA), -ENOENT);
	CHECK_EQ_INT(parse("/docker/abc123"), -ENOENT);
	CHECK_EQ_INT(parse("/docker/" ID("A1")), -ENOENT);
	CHECK_EQ_INT(parse("/podfoo/" IDA), -ENOENT);
	CHECK_EQ_INT(parse("/libpod_parent/libpod-" IDA "0"), -ENOENT);
}

static int read_fix(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n + 1);
	*len = fread(*buf, 1, (size_t)n, f);
	fclose(f);
	return 0;
}

TEST(state_files)
{
	char *b;
	size_t n;

	memset(&c, 0, sizeof(c));
	strcpy(c.id, IDA);
	CHECK_EQ_INT(read_fix(FIX "/var/lib/containers/storage/overlay-containers/containers.json",
			      &b, &n), 0);
	CHECK_EQ_INT(pc_container_parse_podman(b, n, &c), 0);
	CHECK_EQ_STR(c.name, "web");
	CHECK_EQ_STR(c.image, "localhost/pidcap-busybox:latest");
	memset(&c, 0, sizeof(c));
	strcpy(c.id, IDB);
	CHECK_EQ_INT(pc_container_parse_podman(b, n, &c), -ENOENT);
	free(b);

	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(read_fix(FIX "/var/lib/docker/containers/" IDB "/config.v2.json", &b, &n), 0);
	CHECK_EQ_INT(pc_container_parse_docker(b, n, &c), 0);
	CHECK_EQ_STR(c.name, "api");
	CHECK_EQ_STR(c.image, "nginx:1.25");
	CHECK_EQ_STR(c.pod, "");
	free(b);

	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(read_fix(FIX "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" IDC
				  "/config.json", &b, &n), 0);
	CHECK_EQ_INT(pc_container_parse_oci(b, n, &c), 0);
	CHECK_EQ_STR(c.name, "frontend");
	CHECK_EQ_STR(c.image, "registry.k8s.io/frontend:v2");
	CHECK_EQ_STR(c.pod, "shop-7d9f8-x2x4q");
	CHECK_EQ_STR(c.pod_ns, "prod");
	free(b);

	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(read_fix(FIX "/run/containers/storage/overlay-containers/" IDD
				  "/userdata/config.json", &b, &n), 0);
	CHECK_EQ_INT(pc_container_parse_oci(b, n, &c), 0);
	CHECK_EQ_STR(c.name, "db");
	CHECK_EQ_STR(c.image, "docker.io/library/postgres:16");
	CHECK_EQ_STR(c.pod, "db-0");
	CHECK_EQ_STR(c.pod_ns, "data");
	free(b);
}

TEST(bad_state)
{
	static const char *bad[] = { "", "{", "[1,2", "nul", "{\"a\":1,\"a\":2}", "\"x\"" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		CHECK_EQ_INT(pc_container_parse_oci(bad[i], strlen(bad[i]), &c), -EINVAL);
		CHECK_EQ_INT(pc_container_parse_docker(bad[i], strlen(bad[i]), &c), -EINVAL);
		CHECK_EQ_INT(pc_container_parse_podman(bad[i], strlen(bad[i]), &c), -EINVAL);
	}
	/* wrong types are ignored, long strings cut */
	memset(&c, 0, sizeof(c));
	{
		const char *t = "{\"Name\":5,\"Config\":[]}";

		CHECK_EQ_INT(pc_container_parse_docker(t, strlen(t), &c), 0);
	}
	CHECK_EQ_STR(c.name, "");
	{
		char big[2000];

		memset(big, 0, sizeof(big));
		strcpy(big, "{\"Name\":\"/");
		memset(big + 10, 'x', 1500);
		strcpy(big + 1510, "\"}");
		memset(&c, 0, sizeof(c));
		CHECK_EQ_INT(pc_container_parse_docker(big, strlen(big), &c), 0);
		CHECK_EQ_INT(strlen(c.name), sizeof(c.name) - 1);
	}
}

TEST(cache)
{
	struct pc_containers *cs;
	const struct pc_container *p;

	CHECK_EQ_INT(pc_containers_new(&cs, FIX), 0);
	p = pc_containers_get(cs, 10, "/libpod_parent/libpod-" IDA, SEC);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ_STR(p->name, "web");
		CHECK_EQ_STR(p->image, "localhost/pidcap-busybox:latest");
	}
	p = pc_containers_get(cs, 11, "/system.slice/docker-" IDB ".scope", SEC);
	CHECK(p && !strcmp(p->name, "api"));
	p = pc_containers_get(cs, 12, "/kubepods/burstable/pod1b2c3d4e-0000-4a4a-8b8b-123456789abc/" IDC,
			      SEC);
	CHECK(p && !strcmp(p->name, "frontend") && !strcmp(p->pod, "shop-7d9f8-x2x4q"));
	p = pc_containers_get(cs, 13, "/system.slice/crio-" IDD ".scope", SEC);
	CHECK(p && !strcmp(p->pod, "db-0") && !strcmp(p->pod_ns, "data"));
	CHECK(pc_containers_get(cs, 14, "/user.slice", SEC) == NULL);
	/* known ids need no path */
	CHECK(pc_containers_get(cs, 10, NULL, SEC) != NULL);
	CHECK(pc_containers_get(cs, 15, NULL, SEC) == NULL);
	pc_containers_free(cs);
	pc_containers_free(NULL);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A renamed container (docker rename) is seen once its mtime changes. */
TEST(refresh_on_mtime)
{
	char dir[] = "/tmp/pidcap-ct-XXXXXX", path[PATH_MAX], file[PATH_MAX];
	struct pc_containers *cs;
	const struct pc_container *p;
	struct timeval tv[2] = { { 1000, 0 }, { 1000, 0 } };

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "mkdir -p %s/var/lib/docker/containers/%s", dir, IDB);
	CHECK_EQ_INT(system(path), 0);
	snprintf(file, sizeof(file), "%s/var/lib/docker/containers/%s/config.v2.json", dir, IDB);
	put(file, "{\"Name\":\"/old\"}");
	utimes(file, tv);
	CHECK_EQ_INT(pc_containers_new(&cs, dir), 0);
	p = pc_containers_get(cs, 7, "/docker/" IDB, SEC);
	CHECK(p && !strcmp(p->name, "old"));
	put(file, "{\"Name\":\"/new\"}");
	/* within a second: not looked at */
	p = pc_containers_get(cs, 7, NULL, SEC + SEC / 2);
	CHECK(p && !strcmp(p->name, "old"));
	p = pc_containers_get(cs, 7, NULL, 3 * SEC);
	CHECK(p && !strcmp(p->name, "new"));
	pc_containers_free(cs);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK_EQ_INT(system(path), 0);
}

TEST(find)
{
	char dir[] = "/tmp/pidcap-cg-XXXXXX", cmd[PATH_MAX * 2], rel[PATH_MAX];
	struct pc_containers *cs;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/libpod_parent/libpod-%s/sub %s/system.slice/docker-%s.scope "
		 "%s/kubepods/burstable/pod1b2c3d4e-0000-4a4a-8b8b-123456789abc/%s "
		 "%s/libpod_parent/libpod-%s",
		 dir, IDA, dir, IDB, dir, IDC, dir, ID("a2"));
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(pc_containers_new(&cs, FIX), 0);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "web", 0, rel, sizeof(rel)), 0);
	CHECK_EQ_STR(rel, "/libpod_parent/libpod-" IDA);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "b2b2b2b2b2b2", 0, rel, sizeof(rel)), 0);
	CHECK_EQ_STR(rel, "/system.slice/docker-" IDB ".scope");
	CHECK_EQ_INT(pc_containers_find(cs, dir, "a1a", 0, rel, sizeof(rel)), 0);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "a", 0, rel, sizeof(rel)), -EEXIST);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "frontend", 0, rel, sizeof(rel)), 0);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "shop-7d9f8-x2x4q", 1, rel, sizeof(rel)), 0);
	CHECK_EQ_STR(rel, "/kubepods/burstable/pod1b2c3d4e-0000-4a4a-8b8b-123456789abc");
	CHECK_EQ_INT(pc_containers_find(cs, dir, "nope", 0, rel, sizeof(rel)), -ENOENT);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "web", 1, rel, sizeof(rel)), -ENOENT);
	CHECK_EQ_INT(pc_containers_find(cs, dir, "web", 0, rel, 5), -ENAMETOOLONG);
	pc_containers_free(cs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ_INT(system(cmd), 0);
}

/* --container / --pod against what is known of a cgroup's container */
TEST(wanted)
{
	struct pc_container w = { .runtime = PC_RT_PODMAN, .id = IDA, .name = "web" };

	CHECK_EQ_INT(pc_container_wanted(&w, "web", 0), 1);
	CHECK_EQ_INT(pc_container_wanted(&w, "a1a1", 0), 1);
	CHECK_EQ_INT(pc_container_wanted(&w, IDA, 0), 1);
	CHECK_EQ_INT(pc_container_wanted(&w, "we", 0), 0);
	CHECK_EQ_INT(pc_container_wanted(&w, "b2", 0), 0);
	CHECK_EQ_INT(pc_container_wanted(&w, "web", 1), 0); /* no pod */
	/* the runtime has not written the name yet: ask again later */
	w.name[0] = 0;
	CHECK_EQ_INT(pc_container_wanted(&w, "web", 0), -1);
	CHECK_EQ_INT(pc_container_wanted(&w, "a1", 0), 1);
	/* a pod's cgroup: no container id; the pod's name may come later */
	memset(&w, 0, sizeof(w));
	strcpy(w.pod_uid, "1b2c3d4e-0000-4a4a-8b8b-123456789abc");
	CHECK_EQ_INT(pc_container_wanted(&w, "shop", 1), -1);
	CHECK_EQ_INT(pc_container_wanted(&w, "shop", 0), 0);
	strcpy(w.pod, "shop");
	CHECK_EQ_INT(pc_container_wanted(&w, "shop", 1), 1);
	CHECK_EQ_INT(pc_container_wanted(&w, "sho", 1), 0);
}

/* --cgroup's "that cgroup or below it" */
TEST(cgroup_under)
{
	CHECK(pc_cgroup_under("/a/b", "/a"));
	CHECK(pc_cgroup_under("/a", "/a/"));
	CHECK(pc_cgroup_under("/a/b/c", "/a/b"));
	CHECK(!pc_cgroup_under("/ab", "/a"));
	CHECK(!pc_cgroup_under("/a", "/a/b"));
	CHECK(pc_cgroup_under("/x", "/"));
	CHECK(pc_cgroup_under("/", "/"));
}

/* A cgroup's path from its id through its file handle, on the real
 * cgroup2 mount (as root, as make check runs) */
TEST(id_path)
{
	char root[PATH_MAX], dir[PATH_MAX + 64], rel[PATH_MAX], want[64];
	struct stat st;

	CHECK_EQ_INT(pc_find_cgroup2("/proc", root, sizeof(root)), 0);
	snprintf(want, sizeof(want), "/pctest-unit-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s%s", strcmp(root, "/") ? root : "", want);
	CHECK_EQ_INT(mkdir(dir, 0755), 0);
	CHECK_EQ_INT(stat(dir, &st), 0);
	CHECK_EQ_INT(pc_cgroup2_id_path(root, st.st_ino, rel, sizeof(rel)), 0);
	CHECK_EQ_STR(rel, want);
	CHECK_EQ_INT(pc_cgroup2_id_path(root, st.st_ino, rel, 4), -ENAMETOOLONG);
	CHECK_EQ_INT(rmdir(dir), 0);
	CHECK_EQ_INT(pc_cgroup2_id_path(root, st.st_ino, rel, sizeof(rel)), -ESTALE);
}

int main(void)
{
	RUN(podman_paths);
	RUN(docker_paths);
	RUN(cri_paths);
	RUN(not_containers);
	RUN(state_files);
	RUN(bad_state);
	RUN(cache);
	RUN(refresh_on_mtime);
	RUN(find);
	RUN(wanted);
	RUN(cgroup_under);
	RUN(id_path);
	return UNIT_DONE();
}
