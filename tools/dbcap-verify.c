/* SPDX-License-Identifier: MIT */
/*
 * dbcap-verify: checks a synthetic capture file against its statistics.
 *
 *   dbcap-verify [-v] CAPTURE STATS.json
 *   dbcap-verify --crash SEED MIN MAX CAPTURE.pcapng
 *   dbcap-verify --audit DIR | STATS.json [DIR]
 *
 * Re-derives every block from (seed, writer, sequence) and checks:
 *  - the file is well formed pcapng: one section, one interface per writer,
 *    every block complete, nothing after the last block; or (--format pcap)
 *    a nanosecond pcap of link type USER0, nothing but complete records;
 *  - every record's payload is exactly what the writer generated, its length
 *    is the one its sequence number implies, its interface is its writer
 *    (pcapng);
 *  - per writer, sequence numbers strictly increase, and the numbers missing
 *    equal that writer's counted drops (plus its share of blocks lost to an
 *    I/O error, which in total must equal the counted io_error drops);
 *  - record count, payload bytes, file size and the exact size histogram
 *    equal the statistics, and generated = persisted + dropped.
 * Exit 0 only if all hold; 1 if a check fails; 2 if a file cannot be read.
 *
 * --crash checks a file left by a killed dbcap (no statistics): it must be
 * complete blocks, every record exactly as generated, per-writer sequences
 * increasing; only a torn last block is allowed, and it must not parse as a
 * block.  Prints "complete records: N" for comparison with tshark/capinfos.
 *
 * A rotating run's files (dbcap -C/-G): CAPTURE may be their concatenation
 * (mergecap -a): every record is checked as above; the file size is then the
 * files' business, which --audit checks.
 *
 * --audit checks a rotating run's files and their SHA-256 digests (--digest):
 *  - DIR: every FILE.sha256 in DIR names a file whose digest it holds, and
 *    the chain holds: each sidecar's "previous" digest is the digest of the
 *    file numbered one lower; a number missing between two present files is
 *    a file removed out of order (-W and --min-free remove the oldest only).
 *  - STATS.json: every file of run.rotation.files that is not removed exists
 *    in DIR (default: -w's directory) with the size and digest listed, and
 *    each entry's prev_sha256 is its predecessor's sha256.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/format/pcap.h"
#include "../src/format/pcapng.h"
#include "../src/source/synth.h"

#define MAX_WRITERS 256
#define MAX_SIZE 65535

static int failures;
static int verbose;

#define FAIL(...)                                          \
	do {                                               \
		if (failures++ < 20) {                     \
			fprintf(stderr, "dbcap-verify: "); \
			fprintf(stderr, __VA_ARGS__);      \
			fputc('\n', stderr);               \
		}                                          \
	} while (0)

#define CHECK_EQ(what, got, want)                                                      \
	do {                                                                           \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                 \
		if (g_ != w_)                                                          \
			FAIL("%s: file has %" PRIu64 ", stats say %" PRIu64, what, g_, w_); \
	} while (0)

struct writer_seen {
	uint64_t records, bytes;
	uint64_t next_seq;  /* last seq + 1 */
	uint64_t generated, drops;
};

/*
 * cJSON reads every JSON number as a double, which holds an integer exactly
 * only below 2^53: 9007199254740993 reads as ...992.  A counter at or past
 * 2^53 could compare equal to a different count, so it is refused.
 */
#define EXACT_LIMIT 9007199254740992.0 /* 2^53 */

/* The counter item (an integer 0..2^53-1); else a failure naming what, and 0. */
static uint64_t exact(const cJSON *item, const char *what)
{
	if (!cJSON_IsNumber(item)) {
		FAIL("stats: %s is missing or not a number", what);
		return 0;
	}
	double v = item->valuedouble;
	if (!(v >= 0 && v < EXACT_LIMIT) || v != (double)(uint64_t)v) {
		FAIL("stats: %s is %.17g: not an integer in 0..2^53-1, the range a JSON "
		     "number read as a double holds exactly; cannot check it",
		     what, v);
		return 0;
	}
	return (uint64_t)v;
}

/* The counter at path "a.b.c" under obj, exactly (see exact()). */
static uint64_t num(const cJSON *obj, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const cJSON *cur = obj;
	for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save))
		cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	return exact(cur, path);
}

static cJSON *load_json(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "dbcap-verify: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *text = malloc((size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "dbcap-verify: %s: cannot read\n", path);
		fclose(f);
		free(text);
		return NULL;
	}
	text[n] = 0;
	fclose(f);
	cJSON *j = cJSON_Parse(text);
	free(text);
	if (!j)
		fprintf(stderr, "dbcap-verify: %s: not valid JSON\n", path);
	return j;
}

/* Maps the whole capture read-only; NULL (after a message) on failure. */
static const uint8_t *map_file(const char *path, size_t *size)
{
	static const uint8_t empty[1];
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "dbcap-verify: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	*size = (size_t)sb.st_size;
	const uint8_t *map = *size ? mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0) : empty;
	close(fd); /* the mapping stays */
	if (map == MAP_FAILED) {
		fprintf(stderr, "dbcap-verify: %s: mmap: %s\n", path, strerror(errno));
		return NULL;
	}
	return map;
}

/* Crash mode: see the top of the file. */
static int crash_check(uint64_t seed, uint32_t bmin, uint32_t bmax, const char *path)
{
	size_t size = 0;
	const uint8_t *map = map_file(path, &size);
	if (!map)
		return 2;
	static uint64_t next_seq[MAX_WRITERS];
	static int seen[MAX_WRITERS];
	uint64_t records = 0;
	size_t off = 0;
	while (off < size) {
		uint32_t type, total, trailer;
		if (size - off < 12)
			break;
		memcpy(&type, map + off, 4);
		memcpy(&total, map + off + 4, 4);
		if (total < 12 || total % 4 || total > size - off)
			break;
		memcpy(&trailer, map + off + total - 4, 4);
		if (trailer != total)
			break;
		if (type == PCAPNG_EPB) {
			uint32_t caplen, iface, writer;
			uint64_t seq;
			memcpy(&iface, map + off + 8, 4);
			memcpy(&caplen, map + off + 20, 4);
			const uint8_t *data = map + off + PCAPNG_EPB_HEADER;
			if (pcapng_epb_size(caplen) != total || caplen < SYNTH_HEADER) {
				FAIL("record %" PRIu64 ": bad length", records);
				break;
			}
			synth_parse(data, &writer, &seq);
			if (writer >= MAX_WRITERS || writer != iface ||
			    caplen != synth_size(seed, writer, seq, bmin, bmax) ||
			    !synth_check(seed, data, caplen))
				FAIL("record %" PRIu64 " at %zu: not a generated block", records, off);
			else if (seen[writer] && seq < next_seq[writer])
				FAIL("writer %u: sequence %" PRIu64 " repeated or reordered", writer, seq);
			else {
				seen[writer] = 1;
				next_seq[writer] = seq + 1;
			}
			records++;
		} else if (type != PCAPNG_SHB && type != PCAPNG_IDB) {
			FAIL("offset %zu: block type 0x%x", off, type);
		}
		off += total;
	}
	/* What is left must be a torn block: shorter than its own length says. */
	if (off < size) {
		uint32_t total = 0;
		if (size - off >= 8)
			memcpy(&total, map + off + 4, 4);
		if (size - off >= 8 && (total < 12 || total % 4 || total <= size - off))
			FAIL("offset %zu: %zu bytes that are neither a block nor a torn block", off,
			     size - off);
	}
	printf("complete records: %" PRIu64 "\n", records);
	printf("torn tail bytes: %zu\n", size - off);
	return failures ? 1 : 0;
}

static struct writer_seen ws[MAX_WRITERS];
static uint64_t sizes[MAX_SIZE + 1];
static uint64_t seed;
static uint32_t bmin, bmax;
static unsigned nwriters;

/*
 * One record's payload against what its writer generated.  iface: the
 * pcapng interface it is on (its writer), or -1 (pcap: none).
 */
static void check_block(uint64_t records, const uint8_t *data, uint32_t caplen, int64_t iface)
{
	uint32_t writer;
	uint64_t seq;

	synth_parse(data, &writer, &seq);
	if (writer >= nwriters || (iface >= 0 && writer != iface)) {
		FAIL("record %" PRIu64 ": writer %u on interface %" PRId64, records, writer, iface);
	} else {
		struct writer_seen *w = &ws[writer];
		if (w->records && seq < w->next_seq)
			FAIL("writer %u: sequence %" PRIu64 " after %" PRIu64
			     " (duplicate or reordered)", writer, seq, w->next_seq - 1);
		if (caplen != synth_size(seed, writer, seq, bmin, bmax))
			FAIL("writer %u seq %" PRIu64 ": length %u, generated %u", writer,
			     seq, caplen, synth_size(seed, writer, seq, bmin, bmax));
		else if (!synth_check(seed, data, caplen))
			FAIL("writer %u seq %" PRIu64 ": payload corrupted", writer, seq);
		w->records++;
		w->bytes += caplen;
		w->next_seq = seq + 1;
	}
	sizes[caplen <= MAX_SIZE ? caplen : MAX_SIZE]++;
}

/* A pcap file (--format pcap): the header, then nothing but complete records. */
static void walk_pcap(const uint8_t *map, size_t size, bool nano, uint64_t *records,
		      uint64_t *bytes)
{
	uint64_t off = PCAPF_FILE_HEADER;
	uint32_t linktype;

	memcpy(&linktype, map + 20, 4);
	if (linktype != PCAPNG_LINKTYPE_USER0 || !nano)
		FAIL("pcap header: link type %u (want %u), %s time stamps (want nano)", linktype,
		     PCAPNG_LINKTYPE_USER0, nano ? "nano" : "micro");
	while (off < size) {
		uint32_t h[4];
		if (size - off < PCAPF_REC_HEADER) {
			FAIL("offset %" PRIu64 ": %zu trailing bytes, not a record", off, size - off);
			break;
		}
		memcpy(h, map + off, sizeof(h));
		if (h[2] != h[3] || h[2] < SYNTH_HEADER || h[2] > size - off - PCAPF_REC_HEADER) {
			FAIL("record %" PRIu64 " at %" PRIu64 ": bad lengths %u/%u", *records, off,
			     h[2], h[3]);
			break;
		}
		check_block(*records, map + off + PCAPF_REC_HEADER, h[2], -1);
		(*records)++;
		*bytes += h[2];
		off += PCAPF_REC_HEADER + h[2];
	}
}

/* A pcapng file: walk every block by hand: the file must be nothing but complete blocks. */
static void walk_pcapng(const uint8_t *map, size_t size, uint64_t *records_out,
			uint64_t *bytes_out, uint64_t *shbs_out, uint64_t *idbs_out)
{
	uint64_t records = 0, bytes = 0, idbs = 0, shbs = 0, off = 0;

	while (off < size) {
		uint32_t type, total, trailer;
		if (size - off < 12) {
			FAIL("offset %" PRIu64 ": %zu trailing bytes, not a block", off, size - off);
			break;
		}
		memcpy(&type, map + off, 4);
		memcpy(&total, map + off + 4, 4);
		if (total < 12 || total % 4 || total > size - off) {
			FAIL("offset %" PRIu64 ": bad block length %u", off, total);
			break;
		}
		memcpy(&trailer, map + off + total - 4, 4);
		if (trailer != total) {
			FAIL("offset %" PRIu64 ": trailing length %u != %u", off, trailer, total);
			break;
		}
		const uint8_t *b = map + off;
		if (type == PCAPNG_SHB) {
			uint32_t bom;
			memcpy(&bom, b + 8, 4);
			if (off != 0 || bom != PCAPNG_BOM)
				FAIL("offset %" PRIu64 ": unexpected section header", off);
			shbs++;
		} else if (type == PCAPNG_IDB) {
			uint16_t lt;
			memcpy(&lt, b + 8, 2);
			if (lt != PCAPNG_LINKTYPE_USER0)
				FAIL("interface %" PRIu64 ": link type %u, want %u", idbs, lt,
				     PCAPNG_LINKTYPE_USER0);
			if (records)
				FAIL("interface description after records");
			idbs++;
		} else if (type == PCAPNG_EPB) {
			uint32_t iface, caplen, origlen;
			memcpy(&iface, b + 8, 4);
			memcpy(&caplen, b + 20, 4);
			memcpy(&origlen, b + 24, 4);
			if (pcapng_epb_size(caplen) != total || caplen != origlen ||
			    caplen < SYNTH_HEADER) {
				FAIL("record %" PRIu64 " at %" PRIu64 ": bad lengths %u/%u in %u",
				     records, off, caplen, origlen, total);
				off += total;
				continue;
			}
			check_block(records, b + PCAPNG_EPB_HEADER, caplen, iface);
			records++;
			bytes += caplen;
		} else {
			FAIL("offset %" PRIu64 ": unexpected block type 0x%x", off, type);
		}
		off += total;
	}
	*records_out = records;
	*bytes_out = bytes;
	*shbs_out = shbs;
	*idbs_out = idbs;
}

/* The SHA-256 of a file, in hex.  0, or -1 (message given) when it cannot be read. */
static int file_sha256(const char *path, char hex[65], uint64_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[1 << 16];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*size = 0;
	if (fd < 0 || !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		FAIL("%s: %s", path, fd < 0 ? strerror(errno) : "cannot start SHA-256");
		if (fd >= 0)
			close(fd);
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	close(fd);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return n < 0 ? -1 : 0;
}

struct sidecar {
	uint64_t seq;
	char prev[65], digest[65], name[NAME_MAX + 1];
};

static int by_seq(const void *a, const void *b)
{
	const struct sidecar *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* --audit DIR: the sidecars, the files they name, and the chain between them. */
static int audit_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct sidecar *sc = NULL;
	size_t n = 0, cap = 0;
	char path[PATH_MAX];

	if (!d) {
		fprintf(stderr, "dbcap-verify: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 8 || strcmp(e->d_name + len - 7, ".sha256") != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			sc = realloc(sc, cap * sizeof(*sc));
			if (!sc)
				return 2;
		}
		struct sidecar *s = &sc[n];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f || fscanf(f, "# dbcap file %" SCNu64 " previous %64s\n%64s  %255[^\n]", &s->seq,
				 s->prev, s->digest, s->name) != 4) {
			FAIL("%s: not a dbcap sidecar", path);
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		if (strcmp(s->prev, "none") == 0)
			s->prev[0] = '\0';
		n++;
	}
	closedir(d);
	qsort(sc, n, sizeof(*sc), by_seq);
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		uint64_t size;

		snprintf(path, sizeof(path), "%s/%s", dir, sc[i].name);
		if (file_sha256(path, hex, &size) == 0 && strcmp(hex, sc[i].digest) != 0)
			FAIL("%s: SHA-256 %s, its sidecar says %s (altered)", path, hex, sc[i].digest);
		if (i == 0)
			continue;
		if (sc[i].seq != sc[i - 1].seq + 1)
			FAIL("files %" PRIu64 " to %" PRIu64 " are missing between %s and %s (removed "
			     "out of order)", sc[i - 1].seq + 1, sc[i].seq - 1, sc[i - 1].name, sc[i].name);
		else if (strcmp(sc[i].prev, sc[i - 1].digest) != 0)
			FAIL("%s: the chain says the previous file's SHA-256 is %s, %s's sidecar says %s "
			     "(replaced)", sc[i].name, sc[i].prev[0] ? sc[i].prev : "none", sc[i - 1].name,
			     sc[i - 1].digest);
	}
	printf("dbcap-verify: --audit %s: %zu files: %s\n", dir, n, failures ? "FAILED" : "ok");
	free(sc);
	return failures ? 1 : 0;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --audit STATS.json [DIR]: the files the statistics list, on the disk, and their chain. */
static int audit_stats(const char *stats_path, const char *dir_arg)
{
	cJSON *st = load_json(stats_path);
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	const char *prev = NULL;
	size_t count = 0;

	if (!st)
		return 2;
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(st, "run");
	const cJSON *rot = cJSON_GetObjectItemCaseSensitive(run, "rotation");
	const char *out = jstr(run, "output");
	if (!cJSON_IsObject(rot) || !out) {
		fprintf(stderr, "dbcap-verify: %s: not a rotating run (run.rotation is null)\n",
			stats_path);
		return 2;
	}
	if (dir_arg) {
		snprintf(dir, sizeof(dir), "%s", dir_arg);
	} else {
		snprintf(dir, sizeof(dir), "%s", out);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = slash == dir ? dir[1] = '\0', '/' : '\0';
		else
			snprintf(dir, sizeof(dir), ".");
	}
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rot, "files")) {
		const char *name = jstr(f, "name"), *state = jstr(f, "state");
		const char *digest = jstr(f, "sha256"), *p = jstr(f, "prev_sha256");

		count++;
		if (!name || !state) {
			FAIL("%s: a file without a name or state", stats_path);
			continue;
		}
		if (count > 1 && (p ? !prev || strcmp(p, prev) != 0 : prev != NULL))
			FAIL("%s: prev_sha256 %s, the file before it has %s (chain broken)", name,
			     p ? p : "null", prev ? prev : "null");
		prev = digest;
		if (strcmp(state, "removed") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (strcmp(state, "writing") == 0)
			continue; /* a periodic document: not complete yet */
		char hex[65];
		uint64_t size;
		struct stat sb;
		if (stat(path, &sb) < 0) {
			FAIL("%s: %s (listed as %s)", path, strerror(errno), state);
			continue;
		}
		if (file_sha256(path, hex, &size) < 0)
			continue;
		CHECK_EQ(name, size, num(f, "bytes"));
		if (digest && strcmp(hex, digest) != 0)
			FAIL("%s: SHA-256 %s, the statistics say %s (altered)", path, hex, digest);
	}
	printf("dbcap-verify: --audit %s: %zu files: %s\n", stats_path, count,
	       failures ? "FAILED" : "ok");
	cJSON_Delete(st);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int argi = 1;
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "--audit") == 0) {
		struct stat sb;
		if (stat(argv[2], &sb) == 0 && S_ISDIR(sb.st_mode) && argc == 3)
			return audit_dir(argv[2]);
		return audit_stats(argv[2], argc == 4 ? argv[3] : NULL);
	}
	if (argc == 6 && strcmp(argv[1], "--crash") == 0)
		return crash_check(strtoull(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0),
				   (uint32_t)strtoul(argv[4], NULL, 0), argv[5]);
	if (argi < argc && strcmp(argv[argi], "-v") == 0) {
		verbose = 1;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: dbcap-verify [-v] CAPTURE.pcapng STATS.json\n"
				"       dbcap-verify --crash SEED MIN MAX CAPTURE.pcapng\n"
				"       dbcap-verify --audit DIR | STATS.json [DIR]\n");
		return 2;
	}
	const char *cap_path = argv[argi], *stats_path = argv[argi + 1];
	cJSON *st = load_json(stats_path);
	if (!st)
		return 2;

	size_t size = 0;
	const uint8_t *map = map_file(cap_path, &size);
	if (!map)
		return 2;

	seed = num(st, "run.config.seed");
	bmin = (uint32_t)num(st, "run.config.block_min_bytes");
	bmax = (uint32_t)num(st, "run.config.block_max_bytes");
	nwriters = (unsigned)num(st, "run.config.writers");
	const cJSON *jw = cJSON_GetObjectItemCaseSensitive(st, "writers");
	if (nwriters < 1 || nwriters > MAX_WRITERS || cJSON_GetArraySize(jw) != (int)nwriters) {
		FAIL("stats: writers array does not match run.config.writers (%u)", nwriters);
		return 1;
	}

	uint64_t records = 0, bytes = 0, idbs = 0, shbs = 0;
	bool nano;

	if (size >= PCAPF_FILE_HEADER && pcapf_header_ok(map, &nano)) {
		/* --format pcap: no interfaces; each block's header names its writer. */
		walk_pcap(map, size, nano, &records, &bytes);
		shbs = 1;
		idbs = nwriters;
	} else {
		walk_pcapng(map, size, &records, &bytes, &shbs, &idbs);
	}
	if (shbs != 1)
		FAIL("%" PRIu64 " section headers, want 1", shbs);
	CHECK_EQ("interfaces", idbs, nwriters);

	/* Against the statistics. */
	CHECK_EQ("records", records, num(st, "totals.persisted_blocks"));
	CHECK_EQ("payload bytes", bytes, num(st, "totals.persisted_bytes"));
	/* A rotating run's files may come concatenated: their sizes are --audit's to check. */
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(st, "run"), "rotation")))
		CHECK_EQ("file size", size, num(st, "totals.file_bytes"));

	/* Committed but not in the file: lost to a write error, or left by an aborted drain. */
	uint64_t lost_io = num(st, "totals.dropped.io_error") + num(st, "totals.dropped.aborted");
	uint64_t missing_total = 0;
	for (unsigned i = 0; i < nwriters; i++) {
		const cJSON *w = cJSON_GetArrayItem(jw, (int)i);
		uint64_t generated = num(w, "generated_blocks");
		uint64_t drops = num(w, "dropped.full") + num(w, "dropped.too_big") +
				 num(w, "dropped.zero") + num(w, "dropped.closed");
		struct writer_seen *s = &ws[i];
		if (s->next_seq > generated)
			FAIL("writer %u: sequence %" PRIu64 " beyond %" PRIu64 " generated", i,
			     s->next_seq - 1, generated);
		uint64_t missing = generated - s->records;
		if (lost_io == 0 && missing != drops)
			FAIL("writer %u: %" PRIu64 " sequence numbers missing, %" PRIu64
			     " drops counted", i, missing, drops);
		if (missing < drops)
			FAIL("writer %u: fewer missing (%" PRIu64 ") than dropped (%" PRIu64 ")", i,
			     missing, drops);
		else
			missing_total += missing - drops;
		if (verbose)
			printf("writer %u: %" PRIu64 " records, %" PRIu64 " bytes, %" PRIu64
			       " generated, %" PRIu64 " dropped\n",
			       i, s->records, s->bytes, generated, drops);
	}
	CHECK_EQ("blocks lost to I/O errors or an aborted drain", missing_total, lost_io);

	/* The exact size histogram. */
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st, "block_sizes"), "counts");
	static uint64_t want_sizes[MAX_SIZE + 1];
	const cJSON *pair;
	cJSON_ArrayForEach(pair, counts) {
		uint64_t sz = exact(cJSON_GetArrayItem(pair, 0), "block_sizes.counts[][0]");
		uint64_t n = exact(cJSON_GetArrayItem(pair, 1), "block_sizes.counts[][1]");
		if (sz <= MAX_SIZE)
			want_sizes[sz] = n;
	}
	for (unsigned sz = 0; sz <= MAX_SIZE; sz++)
		if (sizes[sz] != want_sizes[sz])
			FAIL("size %u: %" PRIu64 " records in the file, stats say %" PRIu64, sz,
			     sizes[sz], want_sizes[sz]);

	/* Reconciliation as the stats state it. */
	uint64_t gen = num(st, "reconciliation.generated_blocks");
	uint64_t per = num(st, "reconciliation.persisted_blocks");
	uint64_t drp = num(st, "reconciliation.dropped_blocks");
	if (gen != per + drp)
		FAIL("reconciliation: generated %" PRIu64 " != persisted %" PRIu64 " + dropped %" PRIu64,
		     gen, per, drp);
	const cJSON *cons = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st, "reconciliation"), "consistent");
	if (!cJSON_IsTrue(cons))
		FAIL("reconciliation: consistent is not true");

	printf("dbcap-verify: %s: %" PRIu64 " records, %" PRIu64 " payload bytes, %u writers: %s\n",
	       cap_path, records, bytes, nwriters, failures ? "FAILED" : "ok");
	if (failures > 20)
		fprintf(stderr, "dbcap-verify: (%d more failures not shown)\n", failures - 20);
	cJSON_Delete(st);
	return failures ? 1 : 0;
}
