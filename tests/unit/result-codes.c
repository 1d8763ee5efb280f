/* SPDX-License-Identifier: MIT */
/* Description: the library's own results never equal a -errno, so dbuf_strerror(-EINVAL) from dbuf_create() is not "zero-length block". */
#include "common.h"

#include <string.h>

/* Linux errno values lie in 1..4095 (MAX_ERRNO in the kernel). */
#define T_MAX_ERRNO 4095

int main(void)
{
	static const int own[] = {DBUF_EFULL, DBUF_ETOOBIG, DBUF_EZERO,
				  DBUF_ECLOSED, DBUF_EAGAIN, DBUF_ENODATA};
	struct dbuf_config cfg;
	struct dbuf *db = NULL;

	t_name = "result-codes";
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (own[i] >= -T_MAX_ERRNO)
			t_fail(__FILE__, __LINE__, "outside -errno",
			       "library result %d (%s) is a -errno value", own[i],
			       dbuf_strerror(own[i]));
	}

	/* An invalid configuration is -EINVAL, and its text says so. */
	dbuf_config_init(&cfg);
	cfg.writers = 0;
	CHECK_RES(dbuf_create(&cfg, &db), -EINVAL);
	CHECK(db == NULL);
	CHECK_STR(dbuf_strerror(-EINVAL), strerror(EINVAL));
	CHECK(strcmp(dbuf_strerror(-EINVAL), dbuf_strerror(DBUF_EZERO)) != 0);
	/* Any other -errno reads as the system's text, not as "unknown result". */
	CHECK_STR(dbuf_strerror(-ENOMEM), strerror(ENOMEM));
	CHECK_STR(dbuf_strerror(-EAGAIN), strerror(EAGAIN));
	CHECK(strcmp(dbuf_strerror(-EAGAIN), dbuf_strerror(DBUF_EAGAIN)) != 0);
	return T_EXIT_PASS;
}
