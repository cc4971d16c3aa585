/* SPDX-License-Identifier: Apache-2.0 */
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum sim_fault_kind kind;
	uint32_t arg; /* its default */
	uint32_t arg_max;
} kinds[] = {
	{ "drop", SIM_FAULT_DROP, 0, 0 },
	{ "delay", SIM_FAULT_DELAY, 500, 600000 },
	{ "dup", SIM_FAULT_DUP, 0, 0 },
	{ "reorder", SIM_FAULT_REORDER, 0, 0 },
	{ "corrupt", SIM_FAULT_CORRUPT, 0, 0 },
	{ "stale", SIM_FAULT_STALE, 0, 0 },
	{ "error", SIM_FAULT_ERROR, 1, 255 },
	{ "outage", SIM_FAULT_OUTAGE, 2000, 600000 },
};

const char *sim_fault_name(enum sim_fault_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].kind == kind) {
			return kinds[i].name;
		}
	}
	return "none";
}

/* A decimal number of [@p min, @p max] at *@p s, which is moved past it. */
static bool number(const char **s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (**s < '0' || **s > '9') {
		return false;
	}
	errno = 0;
	v = strtoul(*s, &end, 10);
	if (errno || v < min || v > max) {
		return false;
	}
	*s = end;
	*out = (uint32_t)v;
	return true;
}

int sim_fault_add(struct sim_fault_plan *plan, const char *spec, char *why, size_t why_cap)
{
	const char *at = strchr(spec, '@');
	size_t name_len = at ? (size_t)(at - spec) : strlen(spec);
	struct sim_fault f = { .kind = SIM_FAULT_NONE, .count = 1 };
	uint32_t arg_max = 0;
	const char *s;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].name) == name_len && strncmp(kinds[i].name, spec, name_len) == 0) {
			f.kind = kinds[i].kind;
			f.arg = kinds[i].arg;
			arg_max = kinds[i].arg_max;
		}
	}
	if (f.kind == SIM_FAULT_NONE) {
		snprintf(why, why_cap, "'%s': the kind is one of drop, delay, dup, reorder, corrupt, "
			 "stale, error, outage", spec);
		return -EINVAL;
	}
	s = at ? at + 1 : "";
	if (!number(&s, 1, UINT32_MAX, &f.first)) {
		snprintf(why, why_cap, "'%s': give the first answer it applies to, from 1: "
			 "KIND@N[xCOUNT][:ARG]", spec);
		return -EINVAL;
	}
	if (*s == 'x' && (s++, !number(&s, 1, 1000000, &f.count))) {
		snprintf(why, why_cap, "'%s': xCOUNT takes a count from 1 to 1000000", spec);
		return -EINVAL;
	}
	if (*s == ':' && (s++, !arg_max || !number(&s, 0, arg_max, &f.arg))) {
		snprintf(why, why_cap, arg_max ? "'%s': :ARG takes a number from 0 to %u"
					       : "'%s': this kind takes no :ARG",
			 spec, (unsigned)arg_max);
		return -EINVAL;
	}
	if (*s) {
		snprintf(why, why_cap, "'%s': unexpected '%s' (KIND@N[xCOUNT][:ARG])", spec, s);
		return -EINVAL;
	}
	if (plan->n >= SIM_FAULT_MAX) {
		snprintf(why, why_cap, "at most %d faults", SIM_FAULT_MAX);
		return -ENOSPC;
	}
	plan->faults[plan->n++] = f;
	return 0;
}

struct sim_fault sim_fault_for(const struct sim_fault_plan *plan, uint32_t n)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct sim_fault *f = &plan->faults[i];

		if (n >= f->first && n - f->first < f->count) {
			return *f;
		}
	}
	return (struct sim_fault){ .kind = SIM_FAULT_NONE };
}

void sim_fault_corrupt(uint8_t *msg, size_t len, uint32_t n)
{
	uint32_t h = n * 2654435761u; /* Knuth's multiplicative hash: spreads consecutive n */

	msg[(h >> 8) % len] ^= (uint8_t)(1u + (h >> 24) % 255u);
}

size_t sim_fault_error_answer(const uint8_t *answer, uint32_t rc, uint8_t *out, size_t cap)
{
	/* {"rc": rc}: a map of one pair, the text key "rc", an unsigned integer */
	static const uint8_t map_rc[] = { 0xa1, 0x62, 'r', 'c' };
	size_t body = sizeof(map_rc) + (rc < 24 ? 1u : 2u);

	if (cap < 8 + body) {
		return 0;
	}
	memcpy(out, answer, 8);
	out[2] = (uint8_t)(body >> 8);
	out[3] = (uint8_t)body;
	memcpy(out + 8, map_rc, sizeof(map_rc));
	if (rc < 24) {
		out[8 + sizeof(map_rc)] = (uint8_t)rc;
	} else {
		out[8 + sizeof(map_rc)] = 0x18;
		out[9 + sizeof(map_rc)] = (uint8_t)rc;
	}
	return 8 + body;
}
