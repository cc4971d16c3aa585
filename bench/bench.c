/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp-bench: uploads an image to the simulated device on every profile with three
 * strategies, in virtual time, and compares each with the bound (the best time any client
 * could reach on that link and device); then the client stack's own CPU time and heap use.
 *
 *   dfu-smp-bench IMAGE JSON_OUT
 *
 * Results are the same on every run: the simulation is deterministic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../sim/profile.h"
#include "../sim/serial_link.h"
#include "cpu.h"
#include "fleet.h"
#include "run.h"

static const char *const profile_names[] = {
	"phone-fast", "phone-fast-no-erase", "linux-default", "legacy", "zephyr-default",
};

static const char *const strategies[] = { "naive", "reassembly", "auto" };

static const char *const serial_strategies[] = { "unpaced", "baud-paced", "adaptive" };

/* The serial table: every serial profile with every strategy, against its bound. */
static json_t *serial_table(const uint8_t *image, size_t size, const uint8_t sha[32], int *status)
{
	json_t *profiles = json_object();
	const struct sim_serial_profile *list;
	size_t count;

	list = sim_serial_profiles(&count);
	printf("\nserial (console framing unless the profile says), virtual time\n\n");
	printf("%-17s %-10s %8s %7s %8s %10s %9s %12s\n", "profile", "strategy", "seconds", "kB/s",
	       "bound s", "efficiency", "window", "lost lines/requests");
	for (size_t i = 0; i < count; i++) {
		const struct sim_serial_profile *p = &list[i];
		struct sim_serial_bound bound;
		double bound_s;
		json_t *entry = json_object();

		sim_serial_bound(p, size, &bound);
		bound_s = (double)bound.bound_us / 1e6;
		json_object_set_new(entry, "bound",
				    json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:s}", "seconds",
					      bound_s, "wire_seconds", (double)bound.wire_us / 1e6,
					      "stall_seconds", (double)bound.stall_us / 1e6,
					      "device_seconds", (double)bound.device_us / 1e6,
					      "flash_seconds", (double)bound.flash_us / 1e6,
					      "framed_bytes", (json_int_t)bound.framed_bytes,
					      "request_size", (json_int_t)bound.request_size,
					      "summary", p->summary));
		for (size_t s = 0; s < sizeof(serial_strategies) / sizeof(serial_strategies[0]);
		     s++) {
			struct bench_serial_result r;
			char lost[40];

			if (bench_serial_run(p->name, serial_strategies[s], image, size, sha, &r) !=
			    0) {
				*status = 1;
			}
			snprintf(lost, sizeof(lost), "%u/%u", (unsigned)r.units_lost,
				 (unsigned)r.unanswered);
			if (r.moved) {
				printf("%-17s %-10s %8.2f %7.1f %8.2f %10.2f %9u %12s\n", p->name,
				       serial_strategies[s], r.seconds,
				       (double)size / r.seconds / 1000.0, bound_s,
				       bound_s / r.seconds, r.window, lost);
			} else {
				printf("%-17s %-10s %8s %7s %8.2f %10s %9u %12s  (failed after "
				       "%.1f s: %s)\n", p->name, serial_strategies[s], "-", "-",
				       bound_s, "-", r.window, lost, r.seconds, r.why);
			}
			json_object_set_new(
				entry, serial_strategies[s],
				json_pack("{s:b, s:f, s:o, s:f, s:o, s:I, s:I, s:I, s:I, s:I, s:I, "
					  "s:I, s:I, s:s}",
					  "moved", r.moved, "seconds", r.seconds, "rate_kBps",
					  r.moved ? json_real((double)size / r.seconds / 1000.0)
						  : json_null(),
					  "bound_seconds", bound_s, "efficiency",
					  r.moved ? json_real(bound_s / r.seconds) : json_null(),
					  "requests", (json_int_t)r.requests, "sent",
					  (json_int_t)r.sent, "unanswered",
					  (json_int_t)r.unanswered, "lines", (json_int_t)r.units,
					  "lines_lost", (json_int_t)r.units_lost, "dropped",
					  (json_int_t)r.dropped, "request_size",
					  (json_int_t)r.request_size, "window",
					  (json_int_t)r.window, "why", r.why));
		}
		printf("%-17s bound: wire %.2f s + erase stalls %.2f s, device %.2f s (flash %.2f s)\n",
		       "", (double)bound.wire_us / 1e6, (double)bound.stall_us / 1e6,
		       (double)bound.device_us / 1e6, (double)bound.flash_us / 1e6);
		json_object_set_new(profiles, p->name, entry);
	}
	return profiles;
}

static const char *const loss_profiles[] = { "phone-fast", "linux-default" };

static const unsigned loss_every[] = { 0, 50, 20, 10 };

/* The loss table: the tuned upload with every Nth answer lost, against the same run without. */
static json_t *loss_table(const uint8_t *image, size_t size, const uint8_t sha[32], int *status)
{
	json_t *profiles = json_object();

	printf("\nlost answers (1 in N lost, resent as on UDP), virtual time\n\n");
	printf("%-20s %8s %9s %9s %9s %9s %8s\n", "profile", "lost", "seconds", "kB/s",
	       "of no loss", "requests", "covered");
	for (size_t i = 0; i < sizeof(loss_profiles) / sizeof(loss_profiles[0]); i++) {
		json_t *entry = json_object();
		double clean_s = 0;

		for (size_t k = 0; k < sizeof(loss_every) / sizeof(loss_every[0]); k++) {
			struct bench_result r;
			char lost[16] = "none", key[16] = "none";

			if (bench_run_lossy(loss_profiles[i], image, size, sha, loss_every[k], &r) !=
			    0 || !r.moved) {
				*status = 1;
				continue;
			}
			if (loss_every[k]) {
				snprintf(lost, sizeof(lost), "1/%u", loss_every[k]);
				snprintf(key, sizeof(key), "1_in_%u", loss_every[k]);
			} else {
				clean_s = r.seconds;
			}
			printf("%-20s %8s %9.2f %9.1f %9.2f %9u %8u\n", loss_profiles[i], lost,
			       r.seconds, (double)size / r.seconds / 1000.0,
			       clean_s > 0 ? clean_s / r.seconds : 0.0, (unsigned)r.requests,
			       (unsigned)r.covered);
			json_object_set_new(entry, key,
					    json_pack("{s:f, s:f, s:f, s:I, s:I, s:I}", "seconds",
						      r.seconds, "rate_kBps",
						      (double)size / r.seconds / 1000.0,
						      "of_no_loss",
						      clean_s > 0 ? clean_s / r.seconds : 0.0,
						      "requests", (json_int_t)r.requests, "covered",
						      (json_int_t)r.covered, "recoveries",
						      (json_int_t)r.recoveries));
		}
		json_object_set_new(profiles, loss_profiles[i], entry);
	}
	return profiles;
}

static const char *const fleet_profiles[] = { "phone-fast", "linux-default" };

static const unsigned fleet_sizes[] = { 1, 2, 4, 8, 16 };

/*
 * The fleet table: N devices upgraded at once behind one central, against the bound (every
 * device's link time summed, or one device's flash time) and against N upgrades one after
 * another (N times one device's time).
 */
static json_t *fleet_table(const char *image_path, size_t size, int *status)
{
	json_t *profiles = json_object();

	printf("\nfleet: N devices upgraded at once behind one central (dfu-smp upgrade on each, "
	       "tools/fleet.c), virtual time\n\n");
	printf("%-14s %7s %9s %8s %10s %9s %8s %10s %9s %8s %7s\n", "profile", "devices",
	       "upload s", "bound s", "efficiency", "serial s", "speedup", "upgrade s", "serial s",
	       "speedup", "lost");
	for (size_t i = 0; i < sizeof(fleet_profiles) / sizeof(fleet_profiles[0]); i++) {
		json_t *entry = json_object();
		double one_upload = 0, one_upgrade = 0;

		for (size_t k = 0; k < sizeof(fleet_sizes) / sizeof(fleet_sizes[0]); k++) {
			unsigned n = fleet_sizes[k];
			struct bench_fleet_result r;
			double serial_upload, serial_upgrade;
			char key[16];

			if (bench_fleet_run(fleet_profiles[i], image_path, size, n, &r) != 0 ||
			    r.ok != n) {
				printf("%-14s %7u  failed: %u of %u upgraded (%s)\n", fleet_profiles[i],
				       n, r.ok, n, r.why);
				*status = 1;
				continue;
			}
			if (n == 1) {
				one_upload = r.upload_seconds;
				one_upgrade = r.upgrade_seconds;
			}
			serial_upload = one_upload * n;
			serial_upgrade = one_upgrade * n;
			printf("%-14s %7u %9.2f %8.2f %10.2f %9.2f %7.1fx %10.2f %9.2f %7.1fx %7llu\n",
			       fleet_profiles[i], n, r.upload_seconds, r.bound_seconds,
			       r.bound_seconds / r.upload_seconds, serial_upload,
			       serial_upload / r.upload_seconds, r.upgrade_seconds, serial_upgrade,
			       serial_upgrade / r.upgrade_seconds, (unsigned long long)r.lost_events);
			if (k + 1 == sizeof(fleet_sizes) / sizeof(fleet_sizes[0])) {
				printf("%-14s bound: air %.2f s a device (its own link: %.2f s), "
				       "flash %.2f s\n", "", r.air_seconds, r.link_seconds,
				       r.flash_seconds);
			}
			snprintf(key, sizeof(key), "%u", n);
			json_object_set_new(
				entry, key,
				json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
					  "s:f, s:I}",
					  "devices", (json_int_t)n, "upload_seconds", r.upload_seconds,
					  "link_seconds", r.link_seconds, "air_seconds", r.air_seconds,
					  "flash_seconds", r.flash_seconds,
					  "bound_seconds", r.bound_seconds, "efficiency",
					  r.bound_seconds / r.upload_seconds, "serial_upload_seconds",
					  serial_upload, "upload_speedup",
					  serial_upload / r.upload_seconds, "upgrade_seconds",
					  r.upgrade_seconds, "serial_upgrade_seconds", serial_upgrade,
					  "upgrade_speedup", serial_upgrade / r.upgrade_seconds,
					  "lost_events", (json_int_t)r.lost_events));
		}
		json_object_set_new(profiles, fleet_profiles[i], entry);
	}
	return profiles;
}

static json_t *result_json(const struct bench_result *r, double bound_s, double naive_s)
{
	if (!r->moved) {
		return json_pack("{s:n, s:n, s:f, s:n, s:n, s:s}", "seconds", "rate_kBps",
				 "bound_seconds", bound_s, "efficiency", "speedup", "why", r->why);
	}
	return json_pack("{s:f, s:f, s:f, s:f, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "seconds",
			 r->seconds, "rate_kBps", 0.0, "bound_seconds", bound_s, "efficiency",
			 bound_s / r->seconds, "speedup",
			 naive_s > 0 ? json_real(naive_s / r->seconds) : json_null(), "air_bytes",
			 (json_int_t)r->air_bytes, "requests", (json_int_t)r->requests,
			 "recoveries", (json_int_t)r->recoveries, "dropped",
			 (json_int_t)r->dropped, "request_size", (json_int_t)r->request_size,
			 "window", (json_int_t)r->window);
}

static int load(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0) {
		if (f) {
			fclose(f);
		}
		return -1;
	}
	rewind(f);
	*data = malloc((size_t)n);
	*size = (size_t)n;
	if (!*data || fread(*data, 1, *size, f) != *size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	json_t *doc, *profiles, *serial, *loss, *fleet;
	uint8_t *image, sha[32];
	unsigned int sha_len;
	struct cpu_result cpu;
	size_t size;
	int status = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: dfu-smp-bench IMAGE JSON_OUT\n");
		return 2;
	}
	if (load(argv[1], &image, &size) != 0) {
		fprintf(stderr, "dfu-smp-bench: cannot read %s\n", argv[1]);
		return 1;
	}
	EVP_Digest(image, size, sha, &sha_len, EVP_sha256(), NULL);
	profiles = json_object();
	printf("%zu-byte image %s, virtual time\n\n", size, argv[1]);
	printf("%-20s %-10s %9s %9s %9s %10s %8s %8s %7s\n", "profile", "strategy", "seconds",
	       "kB/s", "bound s", "efficiency", "speedup", "request", "window");
	for (size_t i = 0; i < sizeof(profile_names) / sizeof(profile_names[0]); i++) {
		const struct sim_profile *p = sim_profile_find(profile_names[i]);
		struct sim_bound bound;
		json_t *entry = json_object();
		double naive_s = 0;

		sim_profile_bound(p, size, &bound);
		json_object_set_new(entry, "bound",
				    json_pack("{s:f, s:f, s:f, s:I, s:s}", "seconds",
					      (double)bound.bound_us / 1e6, "link_seconds",
					      (double)bound.link_us / 1e6, "flash_seconds",
					      (double)bound.flash_us / 1e6, "request_size",
					      (json_int_t)bound.request_size, "summary",
					      p->summary));
		for (size_t s = 0; s < sizeof(strategies) / sizeof(strategies[0]); s++) {
			double bound_s = (double)bound.bound_us / 1e6;
			struct bench_result r;
			json_t *rj;

			if (bench_run(p->name, strategies[s], image, size, sha, 0, &r) != 0) {
				status = 1;
			}
			if (s == 0 && r.moved) {
				naive_s = r.seconds;
			}
			rj = result_json(&r, bound_s, naive_s);
			if (r.moved) {
				json_object_set_new(rj, "rate_kBps",
						    json_real((double)size / r.seconds / 1000.0));
				char speedup[16] = "-";

				if (naive_s > 0) {
					snprintf(speedup, sizeof(speedup), "%.1fx",
						 naive_s / r.seconds);
				}
				printf("%-20s %-10s %9.2f %9.1f %9.2f %10.2f %8s %8zu %7u\n",
				       p->name, strategies[s], r.seconds,
				       (double)size / r.seconds / 1000.0, bound_s,
				       bound_s / r.seconds, speedup, r.request_size, r.window);
			} else {
				printf("%-20s %-10s %9s %9s %9.2f %10s %8s %8zu %7u  (%s)\n",
				       p->name, strategies[s], "-", "-", bound_s, "-", "-",
				       r.request_size, r.window,
				       "cannot move data: a request cannot carry the "
				       "image header");
			}
			json_object_set_new(entry, strategies[s], rj);
		}
		printf("%-20s bound: link %.2f s, flash %.2f s\n", "", (double)bound.link_us / 1e6,
		       (double)bound.flash_us / 1e6);
		json_object_set_new(profiles, p->name, entry);
	}

	loss = loss_table(image, size, sha, &status);
	serial = serial_table(image, size, sha, &status);
	fleet = fleet_table(argv[1], size, &status);
	if (cpu_benchmark(&cpu) != 0) {
		status = 1;
	}
	printf("\nclient stack on a link of no delay: %.2f ms of CPU per MiB, %.2f heap "
	       "allocations per request (%u requests of %zu bytes, %.1f MiB)\n",
	       cpu.ms_per_mib, cpu.allocs_per_request, cpu.requests, cpu.request_size, cpu.mib);
	doc = json_pack("{s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:{s:f, s:f, s:I, s:I, s:f}}",
			"image", argv[1], "size", (json_int_t)size, "time", "virtual", "profiles",
			profiles, "loss", loss, "serial", serial, "fleet", fleet, "cpu",
			"ms_per_mib", cpu.ms_per_mib, "allocs_per_request", cpu.allocs_per_request,
			"requests", (json_int_t)cpu.requests, "request_size",
			(json_int_t)cpu.request_size, "mib", cpu.mib);
	if (json_dump_file(doc, argv[2], JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		fprintf(stderr, "dfu-smp-bench: cannot write %s\n", argv[2]);
		status = 1;
	} else {
		printf("written to %s\n", argv[2]);
	}
	json_decref(doc);
	free(image);
	return status;
}
