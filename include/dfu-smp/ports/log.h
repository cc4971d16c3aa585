/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The -v log: one line per event on stderr, "[    12.345 ms] who: what happened", the time
 * counted from when the one logging began (a connection made, a program started; virtual time
 * on a modelled link). Connections log through dfu_smp_conn_logf() (conn.h); a program's own parts
 * (a device server, a D-Bus service) through a struct dfu_smp_port_log.
 */
#ifndef DFU_SMP_PORTS_LOG_H
#define DFU_SMP_PORTS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** Who logs, whether it does, and since when; set by the owner. */
struct dfu_smp_port_log {
	bool verbose;      /**< false: dfu_smp_port_logf() writes nothing */
	const char *who;   /**< the name each line gives after the time */
	uint64_t t0_us;    /**< the monotonic time (dfu_smp_port_now_us()) the lines count from */
};

/**
 * Write one line on stderr: the time @p t_us (microseconds since the log began), @p who, then
 * @p fmt formatted with @p ap as vprintf() does, and a newline.
 */
DFU_SMP_API void dfu_smp_port_vlogf(uint64_t t_us, const char *who, const char *fmt, va_list ap);

/** If @p log->verbose, one line as dfu_smp_port_vlogf() writes it, timed by the monotonic clock. */
DFU_SMP_API void dfu_smp_port_logf(const struct dfu_smp_port_log *log, const char *fmt, ...);

#endif /* DFU_SMP_PORTS_LOG_H */
