/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two simulated connections on one virtual clock and one central's radio (sim/conn.h's sched,
 * central and wait), driven by a wait() that runs the shared clock: uploads to both at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/dfu/upload.h>
#include <dfu-smp/ports/conn.h>
#include "../sim/central.h"
#include "../sim/conn.h"
#include "../sim/profile.h"

#define IMAGE SHARED_DIR "/testdata/mcuboot/02-ecdsa-p256.bin"
#define REQUEST 2475u /* the profile's SMP buffer, reassembled from writes */
#define WINDOW 3u     /* one buffer less than the device has */

struct shared {
	struct sim_sched sched;
	struct sim_central central;
	unsigned waits;  /* calls of wait() */
};

/* The owner of the clock: runs it event by event until done() or the limit. */
static int step_wait(void *ctx, bool (*done)(void *arg), void *arg, uint64_t limit_us)
{
	struct shared *sh = ctx;

	sh->waits++;
	while (!done(arg)) {
		uint64_t t = sim_sched_next(&sh->sched);

		if (t == UINT64_MAX || t > limit_us) {
			if (limit_us != UINT64_MAX) {
				sim_sched_run_until(&sh->sched, limit_us);
			}
			return -ETIMEDOUT;
		}
		sim_sched_run_until(&sh->sched, t);
	}
	return 0;
}

struct upload {
	struct sim_conn_config sim;
	struct dfu_smp_conn *conn;
	struct dfu_smp_upload up;
	uint8_t buf[WINDOW * REQUEST];
	bool done;
	int err;
	uint64_t end_ms;
};

static uint8_t *image;
static size_t image_size;

static int load(void **state)
{
	FILE *f = fopen(IMAGE, "rb");

	(void)state;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	image_size = (size_t)ftell(f);
	rewind(f);
	image = malloc(image_size);
	assert_non_null(image);
	assert_int_equal(fread(image, 1, image_size, f), image_size);
	fclose(f);
	return 0;
}

static int unload(void **state)
{
	(void)state;
	free(image);
	return 0;
}

static void ended(void *user, int err, const struct dfu_smp_upload_result *result)
{
	struct upload *u = user;

	(void)result;
	u->done = true;
	u->err = err;
	u->end_ms = dfu_smp_conn_now_ms(u->conn);
}

static const struct dfu_smp_upload_ops ops = { NULL, ended };

/* Connects @p u to a fresh device of @p profile, on @p sh's clock and central (NULL: its own). */
static void open_device(struct upload *u, const char *profile, struct shared *sh)
{
	struct dfu_smp_conn_options opt = { .timeout_ms = 10000 };
	char why[200];

	memset(u, 0, sizeof(*u));
	sim_profile_apply(sim_profile_find(profile), &u->sim.dev, &u->sim.gatt, &u->sim.link);
	if (sh) {
		u->sim.central = &sh->central;
		u->sim.wait = step_wait;
		u->sim.wait_ctx = sh;
	}
	if (sim_conn_open(&u->sim, &opt, &u->conn, why, sizeof(why)) != 0) {
		fail_msg("%s", why);
	}
	u->conn->ops->set_reassembly(u->conn, REQUEST);
}

static void start_upload(struct upload *u)
{
	const struct dfu_smp_upload_config cfg = {
		.data = image, .size = image_size, .max_request = REQUEST, .window = WINDOW,
	};

	assert_int_equal(dfu_smp_upload_start(&u->up, dfu_smp_conn_client(u->conn), &cfg, u->buf,
					      sizeof(u->buf), &ops, u),
			 0);
	/* its first requests go out: from then on the clock carries it */
	dfu_smp_client_process(dfu_smp_conn_client(u->conn), dfu_smp_conn_now_ms(u->conn));
}

static bool upload_done(void *arg)
{
	return ((struct upload *)arg)->done;
}

static bool both_done(void *arg)
{
	struct upload *u = arg;

	return u[0].done && u[1].done;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/* One upload on a clock of its own, as before: its virtual milliseconds. */
static uint64_t alone_ms(const char *profile)
{
	struct upload u;
	uint64_t start;

	open_device(&u, profile, NULL);
	start = dfu_smp_conn_now_ms(u.conn);
	start_upload(&u);
	assert_int_equal(dfu_smp_conn_run(u.conn, upload_done, &u), 0);
	assert_int_equal(u.err, 0);
	dfu_smp_conn_close(u.conn);
	return u.end_ms - start;
}

/*
 * Uploads to two devices of @p profile at once on one clock and radio; each takes between
 * @p low and @p high times one upload alone.
 */
static void two_uploads_at_once(const char *profile, double low, double high)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct upload *u = calloc(2, sizeof(*u));
	uint64_t start, alone = alone_ms(profile);

	assert_non_null(sh);
	assert_non_null(u);
	sim_sched_init(&sh->sched);
	sim_central_init(&sh->central, &sh->sched, NULL);
	open_device(&u[0], profile, sh);
	open_device(&u[1], profile, sh);
	assert_true(sh->waits > 0); /* connecting (MTU exchange, discovery) waited through it */
	start = dfu_smp_conn_now_ms(u[0].conn);
	assert_int_equal(dfu_smp_conn_now_ms(u[1].conn), start);
	start_upload(&u[0]);
	start_upload(&u[1]);
	/* waiting on one connection runs the clock for both */
	assert_int_equal(dfu_smp_conn_run(u[0].conn, both_done, u), 0);
	assert_int_equal(u[0].err, 0);
	assert_int_equal(u[1].err, 0);
	for (int i = 0; i < 2; i++) {
		double ratio = (double)(u[i].end_ms - start) / (double)alone;

		if (ratio < low || ratio > high) {
			fail_msg("%s: device %d took %.2f times one alone, not %.2f to %.2f", profile,
				 i, ratio, low, high);
		}
	}
	assert_true(sim_central_stats(&sh->central)->events > 0);
	dfu_smp_conn_close(u[0].conn);
	dfu_smp_conn_close(u[1].conn);
	sim_sched_free(&sh->sched);
	free(u);
	free(sh);
}

/* The flash is what takes the time: the two devices write theirs at once. */
static void two_flash_bound_uploads_overlap(void **state)
{
	(void)state;
	two_uploads_at_once("phone-fast", 0.95, 1.25);
}

/* The air is what takes the time: the two links share it, half each. */
static void two_link_bound_uploads_share_the_radio(void **state)
{
	(void)state;
	two_uploads_at_once("phone-fast-no-erase", 1.7, 2.2);
}

static void a_wait_ends_at_its_limit_on_the_shared_clock(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct upload *u = calloc(2, sizeof(*u));
	uint64_t limit_ms;

	(void)state;
	assert_non_null(sh);
	assert_non_null(u);
	sim_sched_init(&sh->sched);
	sim_central_init(&sh->central, &sh->sched, NULL);
	open_device(&u[0], "phone-fast", sh);
	open_device(&u[1], "phone-fast", sh);
	limit_ms = dfu_smp_conn_now_ms(u[0].conn) + 5000;
	assert_int_equal(dfu_smp_conn_run_until(u[1].conn, never, NULL, limit_ms), -ETIMEDOUT);
	assert_int_equal(dfu_smp_conn_now_ms(u[0].conn), limit_ms);
	assert_int_equal(sim_sched_next(&sh->sched), UINT64_MAX); /* nothing left behind */
	dfu_smp_conn_close(u[0].conn);
	dfu_smp_conn_close(u[1].conn);
	sim_sched_free(&sh->sched);
	free(u);
	free(sh);
}

static void a_central_on_another_clock_is_refused(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct sim_sched other;
	struct sim_conn_config sim = { 0 };
	struct dfu_smp_conn_options opt = { .timeout_ms = 10000 };
	struct dfu_smp_conn *conn = NULL;
	char why[200] = "";

	(void)state;
	assert_non_null(sh);
	sim_sched_init(&sh->sched);
	sim_sched_init(&other);
	sim_central_init(&sh->central, &sh->sched, NULL);
	sim.central = &sh->central;
	sim.sched = &other;
	sim.wait = step_wait;
	sim.wait_ctx = sh;
	assert_int_equal(sim_conn_open(&sim, &opt, &conn, why, sizeof(why)), -EINVAL);
	assert_null(conn);
	assert_non_null(strstr(why, "clock"));
	sim_sched_free(&other);
	sim_sched_free(&sh->sched);
	free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_flash_bound_uploads_overlap),
		cmocka_unit_test(two_link_bound_uploads_share_the_radio),
		cmocka_unit_test(a_wait_ends_at_its_limit_on_the_shared_clock),
		cmocka_unit_test(a_central_on_another_clock_is_refused),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
