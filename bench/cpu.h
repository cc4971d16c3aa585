/* SPDX-License-Identifier: Apache-2.0 */
/* The client stack's own cost: CPU time and heap allocations per uploaded byte and request. */
#ifndef BENCH_CPU_H
#define BENCH_CPU_H

#include <stddef.h>

/** What the client stack spent. */
struct cpu_result {
	double ms_per_mib;          /**< CPU time per MiB uploaded */
	double allocs_per_request;  /**< heap allocations per upload request */
	unsigned requests;
	size_t request_size;
	double mib;
};

/**
 * Upload a few MiB through the SMP client, the GATT DFU SMP client and the upload engine to a
 * device that answers at once (a link of no delay), counting only the client's CPU time and
 * allocations. @return 0, or -1 if the upload failed.
 */
int cpu_benchmark(struct cpu_result *out);

#endif /* BENCH_CPU_H */
