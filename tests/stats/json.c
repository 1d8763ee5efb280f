/* SPDX-License-Identifier: MIT */
/* Looking values up in a parsed statistics document by path. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *jget(const cJSON *root, const char *path)
{
	char key[128];
	const cJSON *item = root;
	const char *p = path;

	while (item && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		p += n + (p[n] == '.');
		if (cJSON_IsArray(item)) {
			char *end;
			long i = strtol(key, &end, 10);
			item = *end ? NULL : cJSON_GetArrayItem(item, (int)i);
		} else {
			item = cJSON_GetObjectItemCaseSensitive(item, key);
		}
	}
	if (!item)
		fprintf(stderr, "no %s in the document\n", path);
	return (cJSON *)item;
}

double jnum(const cJSON *root, const char *path)
{
	const cJSON *item = jget(root, path);
	if (!cJSON_IsNumber(item)) {
		if (item)
			fprintf(stderr, "%s is not a number\n", path);
		return NAN;
	}
	return item->valuedouble;
}

const char *jstr(const cJSON *root, const char *path)
{
	const cJSON *item = jget(root, path);
	if (cJSON_IsNull(item))
		return NULL;
	return cJSON_IsString(item) ? item->valuestring : "<missing>";
}

int jbool(const cJSON *root, const char *path)
{
	const cJSON *item = jget(root, path);
	if (cJSON_IsNull(item))
		return -1;
	if (cJSON_IsBool(item))
		return cJSON_IsTrue(item) ? 1 : 0;
	return -2;
}
