/* SPDX-License-Identifier: MIT */
/*
 * copy-floor: the least a program can do to copy a file through user
 * memory, for tools/bench-replay.sh (BENCHMARKS.md, "Replay": the floor).
 *
 *   copy-floor read|mmap IN OUT [DELTA]
 *
 * read: read() pieces of 1 MiB + DELTA bytes into one buffer and write()
 * each; mmap: map IN, memcpy each piece into the buffer, write() it.  One
 * thread, no parsing: what dbcap's replay would cost without its buffer,
 * dissection and second thread.  DELTA (default 0, may be negative) moves
 * the writes off 1 MiB file offsets, which decides the page cache's folio
 * size on the way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int put_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5 || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "mmap") != 0)) {
		fprintf(stderr, "usage: copy-floor read|mmap IN OUT [DELTA]\n");
		return 2;
	}
	long delta = argc == 5 ? strtol(argv[4], NULL, 10) : 0;
	size_t piece = (size_t)((1L << 20) + delta);
	int in = open(argv[2], O_RDONLY | O_CLOEXEC);
	int out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char *buf = malloc(piece);
	struct stat st;

	if (in < 0 || out < 0 || !buf || fstat(in, &st) < 0 || delta <= -(1L << 20)) {
		perror("copy-floor");
		return 1;
	}
	if (argv[1][0] == 'r') {
		ssize_t n;

		while ((n = read(in, buf, piece)) > 0)
			if (put_all(out, buf, (size_t)n) < 0)
				goto failed;
		if (n < 0)
			goto failed;
	} else if (st.st_size > 0) {
		size_t size = (size_t)st.st_size;
		const char *map = mmap(NULL, size, PROT_READ, MAP_SHARED, in, 0);

		if (map == MAP_FAILED)
			goto failed;
		for (size_t off = 0; off < size; off += piece) {
			size_t n = size - off < piece ? size - off : piece;

			memcpy(buf, map + off, n);
			if (put_all(out, buf, n) < 0)
				goto failed;
		}
		munmap((void *)map, size);
	}
	free(buf);
	return close(out) < 0 ? 1 : 0;
failed:
	perror("copy-floor");
	return 1;
}
