// sources: src/proc/container.c src/proc/cgroups.c src/proc/procparse.c
// sources: src/lib/file.c src/lib/htab.c
// libs: -ljansson
/* libFuzzer target for the container state-file readers and the cgroup
 * path parser of src/proc/container.c: every input goes through the OCI,
 * Docker and podman readers and, as a path, the cgroup parser; fields stay
 * NUL-terminated. Not for the cache (unit tests do that). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/container.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void check_fields(const struct pc_container *c)
{
	check(strnlen(c->id, sizeof(c->id)) < sizeof(c->id));
	check(strnlen(c->name, sizeof(c->name)) < sizeof(c->name));
	check(strnlen(c->image, sizeof(c->image)) < sizeof(c->image));
	check(strnlen(c->pod, sizeof(c->pod)) < sizeof(c->pod));
	check(strnlen(c->pod_ns, sizeof(c->pod_ns)) < sizeof(c->pod_ns));
	check(strnlen(c->pod_uid, sizeof(c->pod_uid)) < sizeof(c->pod_uid));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc_container c;
	char *path;

	memset(&c, 0, sizeof(c));
	memset(c.id, 'a', PC_CT_ID_LEN);
	pc_container_parse_oci((const char *)data, size, &c);
	pc_container_parse_docker((const char *)data, size, &c);
	pc_container_parse_podman((const char *)data, size, &c);
	check_fields(&c);

	path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = 0;
	if (!pc_container_parse_cgroup(path, &c)) {
		check(c.id[0] || c.pod_uid[0]);
		check(c.ct_end <= strlen(path) && c.pod_end <= strlen(path));
		check(!c.id[0] || strlen(c.id) == PC_CT_ID_LEN);
	}
	check_fields(&c);
	free(path);
	return 0;
}
