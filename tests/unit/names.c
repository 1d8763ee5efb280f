/* SPDX-License-Identifier: MIT */
/* Description: layout and policy names round-trip through parse/name; dbuf_strerror() knows every result. */
#include "common.h"

#include <string.h>

int main(void)
{
	static const struct { enum dbuf_layout v; const char *name; } layouts[] = {
		{DBUF_LAYOUT_PER_WRITER, "per-writer"},
		{DBUF_LAYOUT_SHARED, "shared"},
		{DBUF_LAYOUT_MUTEX, "mutex"},
	};
	static const struct { enum dbuf_on_full v; const char *name; } policies[] = {
		{DBUF_ON_FULL_DROP, "drop"},
		{DBUF_ON_FULL_WAIT, "wait"},
	};
	static const char *const bad[] = {"", "Shared", "per_writer", "perwriter", "mutex ",
					  " drop", "waiting", "x"};
	static const int results[] = {DBUF_OK, DBUF_EFULL, DBUF_ETOOBIG, DBUF_EZERO,
				      DBUF_ECLOSED, DBUF_EAGAIN, DBUF_ENODATA, -ENOMEM};
	const size_t nres = sizeof(results) / sizeof(results[0]);

	t_name = "names";
	for (size_t i = 0; i < 3; i++) {
		enum dbuf_layout l = (enum dbuf_layout)99;
		CHECK_STR(dbuf_layout_name(layouts[i].v), layouts[i].name);
		CHECK_RES(dbuf_layout_parse(layouts[i].name, &l), 0);
		CHECK_EQ(l, layouts[i].v);
		CHECK_RES(dbuf_layout_parse(dbuf_layout_name(l), &l), 0);
		CHECK_EQ(l, layouts[i].v);
	}
	for (size_t i = 0; i < 2; i++) {
		enum dbuf_on_full p = (enum dbuf_on_full)99;
		CHECK_STR(dbuf_on_full_name(policies[i].v), policies[i].name);
		CHECK_RES(dbuf_on_full_parse(policies[i].name, &p), 0);
		CHECK_EQ(p, policies[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum dbuf_layout l = DBUF_LAYOUT_MUTEX;
		enum dbuf_on_full p = DBUF_ON_FULL_WAIT;
		CHECK_RES(dbuf_layout_parse(bad[i], &l), -EINVAL);
		CHECK_EQ(l, DBUF_LAYOUT_MUTEX); /* untouched on failure */
		CHECK_RES(dbuf_on_full_parse(bad[i], &p), -EINVAL);
		CHECK_EQ(p, DBUF_ON_FULL_WAIT);
	}
	/* Policy names are not layout names, and the other way round. */
	enum dbuf_layout l;
	enum dbuf_on_full p;
	CHECK_RES(dbuf_layout_parse("drop", &l), -EINVAL);
	CHECK_RES(dbuf_on_full_parse("shared", &p), -EINVAL);
	/* Out-of-range values still give a printable string. */
	CHECK(dbuf_layout_name((enum dbuf_layout)7) != NULL);
	CHECK(dbuf_on_full_name((enum dbuf_on_full)7) != NULL);

	/* Every result has its own non-empty text; unknown ones share another. */
	CHECK_STR(dbuf_strerror(DBUF_OK), "ok");
	const char *unknown = dbuf_strerror(-9999);
	CHECK(unknown != NULL);
	CHECK_STR(dbuf_strerror(12345), unknown);
	for (size_t i = 0; i < nres; i++) {
		const char *a = dbuf_strerror(results[i]);
		CHECK(a != NULL && a[0] != '\0');
		if (strcmp(a, unknown) == 0)
			t_fail(__FILE__, __LINE__, "known result",
			       "dbuf_strerror(%d) is the unknown text \"%s\"", results[i], a);
		for (size_t j = 0; j < i; j++)
			if (strcmp(a, dbuf_strerror(results[j])) == 0)
				t_fail(__FILE__, __LINE__, "distinct texts",
				       "dbuf_strerror(%d) == dbuf_strerror(%d) == \"%s\"",
				       results[i], results[j], a);
	}
	return T_EXIT_PASS;
}
