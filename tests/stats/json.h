/* SPDX-License-Identifier: MIT */
/* Looking values up in a parsed statistics document by path ("totals.dropped.full", "writers.1.id"). */
#ifndef DBCAP_TEST_JSON_H
#define DBCAP_TEST_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/* The item at path, or NULL (printing the path) when it is missing. */
cJSON *jget(const cJSON *root, const char *path);
/* The number at path; NaN (and a message) when it is missing or not a number. */
double jnum(const cJSON *root, const char *path);
/* The string at path; NULL when it is JSON null; "<missing>" when it is absent or not a string. */
const char *jstr(const cJSON *root, const char *path);
/* 1 true, 0 false, -1 null, -2 anything else. */
int jbool(const cJSON *root, const char *path);

#endif
