/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/ports/log.h>

#include <stdio.h>

#include <dfu-smp/ports/loop.h>

void dfu_smp_port_vlogf(uint64_t t_us, const char *who, const char *fmt, va_list ap)
{
	fprintf(stderr, "[%10.3f ms] %s: ", (double)t_us / 1000.0, who);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void dfu_smp_port_logf(const struct dfu_smp_port_log *log, const char *fmt, ...)
{
	va_list ap;

	if (!log->verbose) {
		return;
	}
	va_start(ap, fmt);
	dfu_smp_port_vlogf(dfu_smp_port_now_us() - log->t0_us, log->who, fmt, ap);
	va_end(ap);
}
