/* SPDX-License-Identifier: MIT */
/* Shared by the persistence tests: a reproducible stream, a driver, temp dirs. */
#define _GNU_SOURCE

#include "helpers.h"

#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>

#define MAX_EXIT_FNS 8

static void (*exit_fns[MAX_EXIT_FNS])(void);
static unsigned nexit_fns;
static char tmpdir[4096];

static void run_exit_fns(void)
{
	/* Last registered first, like atexit(); each runs once. */
	while (nexit_fns > 0)
		exit_fns[--nexit_fns]();
}

static void on_signal(int sig)
{
	/*
	 * Cleanup here is not async-signal-safe in general, but the test is
	 * dying anyway and a left-over mount is worse than the risk.
	 */
	run_exit_fns();
	signal(sig, SIG_DFL);
	raise(sig);
}

void t_on_exit(void (*fn)(void))
{
	static bool installed;

	if (!installed) {
		installed = true;
		atexit(run_exit_fns);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGALRM, on_signal);
	}
	if (nexit_fns == MAX_EXIT_FNS) {
		fprintf(stderr, "too many exit functions\n");
		abort();
	}
	exit_fns[nexit_fns++] = fn;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tmpdir(void)
{
	if (tmpdir[0])
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	tmpdir[0] = '\0';
}

const char *t_tmpdir(void)
{
	const char *base = getenv("PERSIST_TEST_DIR");

	if (tmpdir[0])
		return tmpdir;
	if (!base || !base[0])
		base = "/var/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/dbcap-persist-XXXXXX", base);
	if (!mkdtemp(tmpdir))
		t_fail(__FILE__, __LINE__, "mkdtemp", "%s: %s", tmpdir, strerror(errno));
	t_on_exit(remove_tmpdir);
	return tmpdir;
}

uint64_t t_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t stream_word(uint64_t seed, uint64_t index)
{
	uint64_t s = seed ^ (index * 0xd1342543de82ef95u);

	return t_rand(&s);
}

void stream_fill(uint64_t seed, uint64_t pos, unsigned char *dst, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t at = pos + i;
		uint64_t w = stream_word(seed, at / 8);
		unsigned b;

		for (b = (unsigned)(at % 8); b < 8 && i < len; b++, i++)
			dst[i] = (unsigned char)(w >> (8 * b));
	}
}

bool file_matches_stream(const char *path, uint64_t seed, uint64_t len, bool exact)
{
	static unsigned char got[1 << 16], want[1 << 16];
	uint64_t pos = 0;
	struct stat st;
	bool ok = true;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if ((exact && (uint64_t)st.st_size != len) || (uint64_t)st.st_size < len) {
		fprintf(stderr, "%s: %lld bytes, expected %s%" PRIu64 "\n", path,
			(long long)st.st_size, exact ? "" : "at least ", len);
		ok = false;
	}
	while (ok && pos < len) {
		size_t n = len - pos < sizeof(got) ? (size_t)(len - pos) : sizeof(got);
		ssize_t r = pread(fd, got, n, (off_t)pos);
		size_t i;

		if (r != (ssize_t)n) {
			fprintf(stderr, "%s: short read at %" PRIu64 "\n", path, pos);
			ok = false;
			break;
		}
		stream_fill(seed, pos, want, n);
		if (memcmp(got, want, n) != 0) {
			for (i = 0; got[i] == want[i]; i++)
				;
			fprintf(stderr, "%s: byte %" PRIu64 " is 0x%02x, expected 0x%02x\n", path,
				pos + i, got[i], want[i]);
			ok = false;
		}
		pos += n;
	}
	close(fd);
	return ok;
}

void driver_init(struct driver *d, uint64_t seed, size_t arena_size)
{
	memset(d, 0, sizeof(*d));
	d->seed = seed;
	d->arena_size = arena_size;
	d->arena = aligned_alloc(4096, arena_size);
	d->fifo_cap = 1024;
	d->fifo = calloc(d->fifo_cap, sizeof(*d->fifo));
	CHECK(d->arena && d->fifo);
	d->regions[0].iov_base = d->arena;
	d->regions[0].iov_len = arena_size / 2;
	d->regions[1].iov_base = d->arena + arena_size / 2;
	d->regions[1].iov_len = arena_size - arena_size / 2;
}

void driver_free(struct driver *d)
{
	free(d->arena);
	free(d->fifo);
}

static void *cookie_of(uint64_t seq)
{
	return (void *)(uintptr_t)(seq + 1);
}

int driver_reap(struct driver *d, bool wait)
{
	void *cookies[16];
	int n, i;

	n = persist_reap(d->p, cookies, 16, wait);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		struct outstanding *o = &d->fifo[d->fifo_head];

		CHECK(d->fifo_len > 0);
		if (cookies[i] != cookie_of(o->seq))
			t_fail(__FILE__, __LINE__, "append order", "cookie %p came back, expected %p",
			       cookies[i], cookie_of(o->seq));
		/* Poison the memory: a write still reading it would show in the file. */
		memset(d->arena + o->off, 0xa5, o->len);
		d->fifo_head = (d->fifo_head + 1) % d->fifo_cap;
		d->fifo_len--;
		d->cookies_back++;
	}
	return 0;
}

/* Where len bytes fit in the arena now, or -1. */
static long arena_place(const struct driver *d, size_t len)
{
	size_t head;

	if (d->fifo_len == 0)
		return 0;
	if (d->fifo_len == d->fifo_cap)
		return -1;
	head = d->fifo[d->fifo_head].off;
	if (d->arena_tail > head || (d->arena_tail == head && d->fifo_len == 0)) {
		if (d->arena_size - d->arena_tail >= len)
			return (long)d->arena_tail;
		return len < head ? 0 : -1;
	}
	return d->arena_tail + len < head ? (long)d->arena_tail : -1;
}

int driver_append(struct driver *d, size_t len)
{
	struct outstanding *o;
	size_t half = d->arena_size / 2;
	long at;
	int region, err;

	CHECK(len > 0 && len < d->arena_size / 2);
	while ((at = arena_place(d, len)) < 0) {
		err = driver_reap(d, true);
		if (err)
			return err;
	}
	stream_fill(d->seed, d->appended, d->arena + at, len);
	/* A chunk straddling the two regions is appended with region -1. */
	if ((size_t)at + len <= half)
		region = 0;
	else if ((size_t)at >= half)
		region = 1;
	else
		region = -1;
	o = &d->fifo[(d->fifo_head + d->fifo_len) % d->fifo_cap];
	o->off = (size_t)at;
	o->len = len;
	o->seq = d->next_seq;
	err = persist_append(d->p, d->arena + at, len, region, cookie_of(d->next_seq));
	if (err)
		return err;
	d->fifo_len++;
	d->next_seq++;
	d->arena_tail = (size_t)at + len;
	d->appended += len;
	return 0;
}

void driver_start(struct driver *d, struct persist_opts *o, const struct io_case *c,
		  const char *path, uint64_t seed)
{
	driver_init(d, seed, ARENA);
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->engine = c->engine;
	o->direct = c->direct;
	o->depth = c->depth;
	o->slot_size = c->slot_size;
	o->regions = d->regions;
	o->nregions = 2;
}

bool driver_opened(struct driver *d, const struct io_case *c, int err, const char *msg)
{
	if (err == -EINVAL && c->direct == IO_ON) {
		printf("%-22s not run: %s\n", c->name, msg);
		driver_free(d);
		return false;
	}
	if (err)
		fprintf(stderr, "%s\n", msg);
	CHECK_INT(err, 0);
	return true;
}

bool t_cap_set(int cap, bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	unsigned word = (unsigned)cap / 32, bit = 1u << ((unsigned)cap % 32);

	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	if (on && !(data[word].permitted & bit))
		return false;
	if (on)
		data[word].effective |= bit;
	else
		data[word].effective &= ~bit;
	return syscall(SYS_capset, &hdr, data) == 0;
}
