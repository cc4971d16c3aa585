/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Faults injected into the simulated device's answers, by answer number: what a lossy or
 * misbehaving link or device does to an answer (lose it, hold it back, send it twice, swap it
 * with the next, damage a byte, send an earlier answer instead, answer with an error, or go
 * away for a while). A plan is a list of `KIND@N[xCOUNT][:ARG]` specs (dfu-smp-sim --fault):
 * the answers N to N+COUNT-1 (counted from 1, every answer the device sends) get KIND. The
 * plan only says what to do; the transport glue does it.
 */
#ifndef SIM_FAULT_H
#define SIM_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What happens to one answer. */
enum sim_fault_kind {
	SIM_FAULT_NONE,
	SIM_FAULT_DROP,    /**< lost */
	SIM_FAULT_DELAY,   /**< sent ARG ms later (default 500), the answers after it not held */
	SIM_FAULT_DUP,     /**< sent twice */
	SIM_FAULT_REORDER, /**< held back and sent after the next answer */
	SIM_FAULT_CORRUPT, /**< one byte changed (which one follows from N) */
	SIM_FAULT_STALE,   /**< the previous answer is sent again instead of this one */
	SIM_FAULT_ERROR,   /**< answered with the SMP error `rc` ARG (default 1) instead */
	SIM_FAULT_OUTAGE,  /**< the device's link goes away for ARG ms (default 2000) from here */
};

/** One fault of a plan. */
struct sim_fault {
	enum sim_fault_kind kind;
	uint32_t first; /**< the first answer it applies to, from 1 */
	uint32_t count; /**< how many answers from there */
	uint32_t arg;   /**< milliseconds or rc, as the kind says */
};

#define SIM_FAULT_MAX 16

/** The faults of a run. Caller-allocated; zeroed means none. */
struct sim_fault_plan {
	struct sim_fault faults[SIM_FAULT_MAX];
	size_t n;
};

/**
 * Add the fault @p spec (`KIND@N[xCOUNT][:ARG]`, KIND one of drop delay dup reorder corrupt
 * stale error outage) to @p plan. @return 0; -EINVAL with @p why (@p why_cap bytes) saying
 * what is wrong with it; -ENOSPC when the plan is full.
 */
int sim_fault_add(struct sim_fault_plan *plan, const char *spec, char *why, size_t why_cap);

/** The fault answer @p n (from 1) gets: the first of the plan that covers it, or NONE. */
struct sim_fault sim_fault_for(const struct sim_fault_plan *plan, uint32_t n);

/** The name of a kind, as in a spec. */
const char *sim_fault_name(enum sim_fault_kind kind);

/**
 * Damage one byte of @p msg (@p len bytes, not 0) for answer @p n: the byte chosen and the
 * change made follow from @p n alone, so a run is the same every time.
 */
void sim_fault_corrupt(uint8_t *msg, size_t len, uint32_t n);

/**
 * Write into @p out (@p cap bytes, at least 9 + 8) the SMP error answer @p rc to the request
 * whose answer header is @p answer (8 bytes): the same header, its length set, and the CBOR
 * map {"rc": rc}. @return its length.
 */
size_t sim_fault_error_answer(const uint8_t *answer, uint32_t rc, uint8_t *out, size_t cap);

#endif /* SIM_FAULT_H */
