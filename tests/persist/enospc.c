/* SPDX-License-Identifier: MIT */
/* A full filesystem: -ENOSPC is sticky, and the file's first durable bytes are the stream's. */
#define _GNU_SOURCE

#include "helpers.h"

#include <sys/mount.h>
#include <sys/wait.h>

static char tmpfs_dir[4200], ext4_dir[4200], ext4_img[4200];

static void unmount(const char *dir)
{
	if (umount2(dir, 0) < 0 && errno == EBUSY)
		umount2(dir, MNT_DETACH);
}

static void unmount_tmpfs(void)
{
	unmount(tmpfs_dir);
}

static void unmount_ext4(void)
{
	/* mount -o loop sets the loop device to detach itself on unmount. */
	unmount(ext4_dir);
	unlink(ext4_img);
}

static void run(const char *dir, const struct io_case *c, uint64_t seed, uint64_t limit)
{
	struct persist_opts o;
	struct io_report rep;
	struct driver d;
	struct stat st;
	uint64_t rng = seed, durable = ~0ull, before, appended;
	char path[4400], msg[512];
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s.out", dir, c->name);
	driver_start(&d, &o, c, path, seed);
	err = persist_open(&o, &d.p, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "%s\n", msg);
	CHECK_INT(err, 0);

	while (d.appended < limit) {
		err = driver_append(&d, 1 + t_rand(&rng) % 100000);
		if (!err && t_rand(&rng) % 2)
			err = driver_reap(&d, false);
		if (err)
			break;
	}
	if (!err)
		err = persist_write_tail(d.p);
	CHECK_INT(err, -ENOSPC);
	/* Sticky: every later call says the same and submits nothing. */
	persist_report(d.p, &rep);
	CHECK_INT(driver_append(&d, 10), -ENOSPC);
	CHECK_INT(driver_reap(&d, false), -ENOSPC);
	CHECK_INT(driver_reap(&d, true), -ENOSPC);
	CHECK_INT(persist_write_tail(d.p), -ENOSPC);
	persist_report(d.p, &rep);
	CHECK_INT(rep.error, -ENOSPC);
	CHECK_STR(rep.error_op, "write");
	before = persist_durable(d.p);
	/*
	 * The append that failed may have copied (and written) part of its
	 * chunk, so persist counts more than the driver does.
	 */
	appended = persist_appended(d.p);
	CHECK(appended >= d.appended);
	printf("%-18s %s direct=%d appended=%" PRIu64 " durable=%" PRIu64 " writes=%" PRIu64
	       " short=%" PRIu64 "\n",
	       c->name, rep.engine, rep.direct, appended, before, rep.submissions,
	       rep.short_writes);

	CHECK_INT(persist_close(d.p, &durable), -ENOSPC);
	CHECK_EQ(durable, before);
	CHECK(durable > 0);
	CHECK_LE(durable, appended);
	CHECK(stat(path, &st) == 0);
	CHECK_LE(durable, st.st_size);
	CHECK(file_matches_stream(path, seed, durable, false));
	CHECK(unlink(path) == 0);
	driver_free(&d);
}

static const struct io_case tmpfs_cases[] = {
	{ "tmpfs-auto", IO_ENGINE_URING, IO_AUTO, 4, 0 },
	{ "tmpfs-buffered", IO_ENGINE_URING, IO_OFF, 4, 0 },
	{ "tmpfs-pwrite", IO_ENGINE_PWRITE, IO_OFF, 2, 0 },
};

static const struct io_case ext4_cases[] = {
	{ "ext4-direct", IO_ENGINE_URING, IO_ON, 4, 0 },
	{ "ext4-direct-d2", IO_ENGINE_URING, IO_ON, 2, 0 },
	{ "ext4-buffered", IO_ENGINE_URING, IO_OFF, 4, 0 },
	{ "ext4-pwrite-direct", IO_ENGINE_PWRITE, IO_ON, 2, 0 },
};

static int sh(const char *cmd)
{
	int st = system(cmd);

	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static void ext4_part(void)
{
	char cmd[9000];
	unsigned i;

	snprintf(ext4_img, sizeof(ext4_img), "%s/ext4.img", t_tmpdir());
	snprintf(ext4_dir, sizeof(ext4_dir), "%s/ext4", t_tmpdir());
	CHECK(mkdir(ext4_dir, 0755) == 0);
	snprintf(cmd, sizeof(cmd), "truncate -s 8M '%s' && mkfs.ext4 -q -F '%s' >/dev/null 2>&1",
		 ext4_img, ext4_img);
	if (sh(cmd) != 0) {
		printf("ext4: not run (no truncate/mkfs.ext4)\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "mount -o loop '%s' '%s'", ext4_img, ext4_dir);
	if (sh(cmd) != 0) {
		printf("ext4: not run (no loop mount)\n");
		unlink(ext4_img);
		return;
	}
	t_on_exit(unmount_ext4);
	for (i = 0; i < sizeof(ext4_cases) / sizeof(ext4_cases[0]); i++)
		run(ext4_dir, &ext4_cases[i], 300 + i, 64u << 20);
}

int main(void)
{
	unsigned i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s/tmpfs", t_tmpdir());
	CHECK(mkdir(tmpfs_dir, 0755) == 0);
	if (mount("tmpfs", tmpfs_dir, "tmpfs", 0, "size=2m,mode=0755") < 0) {
		if (errno == EPERM)
			t_skip("mounting a tmpfs needs CAP_SYS_ADMIN");
		t_fail(__FILE__, __LINE__, "mount tmpfs", "%s: %s", tmpfs_dir, strerror(errno));
	}
	t_on_exit(unmount_tmpfs);
	for (i = 0; i < sizeof(tmpfs_cases) / sizeof(tmpfs_cases[0]); i++)
		run(tmpfs_dir, &tmpfs_cases[i], 200 + i, 64u << 20);
	ext4_part();
	return 0;
}
