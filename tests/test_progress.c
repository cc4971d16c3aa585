/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The progress display (tools/progress.h) on a fake clock, written to memory: the terminal's
 * line fits 40, 80 and 200 columns, is redrawn at most every PROGRESS_REDRAW_MS and at 100%,
 * the rate is smoothed and the time left follows it; not on a terminal, a line per tenth; the
 * phase lines, notes and renames; quiet prints nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../tools/progress.h"

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

static const char *out_text(struct out *o)
{
	fflush(o->f);
	return o->buf;
}

static void out_close(struct out *o)
{
	fclose(o->f);
	free(o->buf);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + strlen(what), what)) {
		n++;
	}
	return n;
}

/* The longest run of characters between '\r' or '\n', escape sequences not counted. */
static size_t widest(const char *s)
{
	size_t best = 0, cur = 0;

	for (; *s; s++) {
		if (*s == '\r' || *s == '\n') {
			cur = 0;
		} else if (*s == '\033') {
			while (*s && *s != 'K') {
				s++;
			}
			if (!*s) {
				break;
			}
		} else if (++cur > best) {
			best = cur;
		}
	}
	return best;
}

/* An upload of @p total bytes at @p bps, an update every @p step_ms, from t = 1000 ms. */
static void run_upload(struct progress *p, uint64_t total, uint64_t bps, uint64_t step_ms)
{
	uint64_t t = 1000, done = 0;

	progress_transfer(p, "uploading", 0, total, t);
	while (done < total) {
		t += step_ms;
		done += bps * step_ms / 1000u;
		if (done > total) {
			done = total;
		}
		progress_update(p, done, total, t);
	}
	progress_end(p, t, true);
}

static void test_bar_fits_every_width(void **state)
{
	static const unsigned widths[] = { 40, 80, 200 };
	(void)state;

	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct progress p;
		char line[PROGRESS_LINE_MAX];
		size_t len;
		struct out o;

		out_open(&o);
		progress_init(&p, o.f, true, widths[i], false);
		progress_transfer(&p, "uploading", 0, 491520, 0);
		progress_update(&p, 245760, 491520, 8000);
		len = progress_format_bar(&p, widths[i], line, sizeof(line));
		assert_int_equal(len, strlen(line));
		assert_true(len <= widths[i] - 1);
		assert_non_null(strstr(line, "uploading"));
		assert_non_null(strstr(line, " 50%"));
		if (widths[i] >= 80) {
			/* everything, and a bar */
			assert_non_null(strstr(line, "240.0/480.0 KiB"));
			assert_non_null(strstr(line, "30.7 kB/s"));
			assert_non_null(strstr(line, "ETA 0:08"));
			assert_non_null(strchr(line, '['));
		} else {
			/* no room for a bar: the numbers stay */
			assert_null(strchr(line, '['));
			assert_non_null(strstr(line, "ETA 0:08"));
		}
		if (widths[i] == 200) {
			assert_true(len < 200 - 1); /* the bar has a most */
		}
		run_upload(&p, 491520, 30000, 50);
		assert_true(widest(out_text(&o)) <= widths[i] - 1);
		out_close(&o);
	}
}

static void test_narrow_terminal_truncates(void **state)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 12, false);
	progress_transfer(&p, "downloading", 0, 1000000, 0);
	progress_update(&p, 500000, 1000000, 5000);
	assert_int_equal(progress_format_bar(&p, 12, line, sizeof(line)), 11);
	progress_end(&p, 6000, true);
	assert_true(widest(out_text(&o)) <= 11);
	out_close(&o);
}

static void test_redraws_at_most_ten_a_second_and_at_the_end(void **state)
{
	struct progress p;
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 80, false);
	/* 20 s, an update every 5 ms: 4000 updates */
	run_upload(&p, 600000, 30000, 5);
	/* the draw at the start, one per 100 ms at most, the one at 100%, the phase's line */
	assert_true(count(out_text(&o), "\r") <= 1 + 20000 / PROGRESS_REDRAW_MS + 1 + 1);
	assert_true(count(out_text(&o), "\r") >= 20000 / PROGRESS_REDRAW_MS);
	assert_non_null(strstr(out_text(&o), "100% 585.9/585.9 KiB"));
	/* one newline: the phase's line; every draw erases what follows it */
	assert_int_equal(count(out_text(&o), "\n"), 1);
	assert_int_equal(count(out_text(&o), "\r"), count(out_text(&o), "\033[K"));
	assert_non_null(strstr(out_text(&o), "\ruploading    585.9 KiB in 20.0 s (30.0 kB/s)"
					     "\033[K\n"));
	out_close(&o);
}

static void test_rate_is_smoothed_and_eta_follows(void **state)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];
	uint64_t t = 0, done = 0;
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 80, false);
	progress_transfer(&p, "uploading", 0, 10000000, t);
	assert_true(progress_rate(&p) == 0.0);
	progress_format_bar(&p, 80, line, sizeof(line));
	assert_non_null(strstr(line, "-- kB/s"));
	assert_non_null(strstr(line, "ETA --:--"));
	/* 10 s at 100 kB/s */
	while (t < 10000) {
		t += 100;
		done += 10000;
		progress_update(&p, done, 10000000, t);
	}
	assert_true(progress_rate(&p) > 99000.0 && progress_rate(&p) < 101000.0);
	progress_format_bar(&p, 80, line, sizeof(line));
	assert_non_null(strstr(line, "100.0 kB/s"));
	assert_non_null(strstr(line, "ETA 1:30")); /* 9 MB left */
	/* a stall of one sample does not take the rate to zero: it eases down */
	t += 250;
	progress_update(&p, done, 10000000, t);
	assert_true(progress_rate(&p) > 80000.0 && progress_rate(&p) < 100000.0);
	/* the rate halves: the smoothed one gets there within a few seconds */
	for (int i = 0; i < 100; i++) {
		t += 100;
		done += 5000;
		progress_update(&p, done, 10000000, t);
	}
	assert_true(progress_rate(&p) > 50000.0 && progress_rate(&p) < 60000.0);
	progress_end(&p, t, true);
	out_close(&o);
}

static void test_eta_past_an_hour(void **state)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 200, false);
	progress_transfer(&p, "uploading", 0, 100000000, 0);
	progress_update(&p, 10000, 100000000, 1000); /* 10 kB/s, 99.99 MB left */
	progress_format_bar(&p, 200, line, sizeof(line));
	assert_non_null(strstr(line, "ETA 2:46:39"));
	progress_end(&p, 1000, false);
	assert_non_null(strstr(out_text(&o), "9.8 of 97656.2 KiB in 1.0 s (10.0 kB/s), stopped"));
	out_close(&o);
}

static void test_plain_lines_when_not_a_terminal(void **state)
{
	struct progress p;
	struct out o;
	const char *s;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, false, 80, false);
	progress_phase(&p, "connecting", 0);
	progress_phase(&p, "checking", 300);
	progress_phase(&p, "checking", 400); /* the same phase goes on */
	progress_phase(&p, "erasing", 500);
	run_upload(&p, 600000, 30000, 5);
	progress_phase(&p, "resetting", 30000);
	progress_phase(&p, "rebooting", 30100);
	progress_end(&p, 33600, true);
	s = out_text(&o);
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\033'));
	assert_int_equal(count(s, "\n"), 3 + 9 + 1 + 2);
	assert_int_equal(count(s, " bytes ("), 9); /* 10% .. 90% */
	assert_non_null(strstr(s, "connecting   0.3 s\nchecking     0.2 s\nerasing      0.5 s\n"));
	assert_non_null(
		strstr(s, "uploading    60000 of 600000 bytes (10%), 30.0 kB/s, ETA 0:18\n"));
	assert_non_null(strstr(s, "uploading    585.9 KiB in 20.0 s (30.0 kB/s)\n"));
	assert_non_null(strstr(s, "resetting    0.1 s\nrebooting    3.5 s\n"));
	out_close(&o);
}

static void test_resumed_transfer_counts_from_its_start(void **state)
{
	struct progress p;
	struct out o;
	const char *s;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, false, 80, false);
	progress_transfer(&p, "uploading", 500000, 1000000, 0);
	progress_update(&p, 750000, 1000000, 10000);
	progress_update(&p, 1000000, 1000000, 20000);
	progress_end(&p, 20000, true);
	s = out_text(&o);
	/* no line for the tenths it started past; the rate of what moved */
	assert_int_equal(count(s, " bytes ("), 1); /* the tenths it passed: 70% only */
	assert_non_null(strstr(s, "uploading    750000 of 1000000 bytes (75%)"));
	assert_non_null(strstr(s, "976.6 KiB in 20.0 s (25.0 kB/s)\n"));
	out_close(&o);
}

static void test_note_keeps_the_line_on_a_terminal(void **state)
{
	struct progress p;
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 80, false);
	progress_phase(&p, "resetting", 0);
	progress_note(&p, "the link was lost during %s; reconnecting", "reset");
	progress_end(&p, 1500, false);
	assert_string_equal(out_text(&o), "\rresetting    ...\033[K"
					  "\r\033[Kthe link was lost during reset; reconnecting\n"
					  "\rresetting    ...\033[K"
					  "\rresetting    stopped after 1.5 s\033[K\n");
	out_close(&o);
}

static void test_break_leaves_the_line_for_an_error(void **state)
{
	struct progress p;
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 80, false);
	progress_phase(&p, "marking", 0);
	progress_break();
	progress_end(&p, 100, false); /* forgotten: nothing */
	assert_string_equal(out_text(&o), "\rmarking      ...\033[K\n");
	out_close(&o);
}

static void test_rename_keeps_the_start(void **state)
{
	struct progress p;
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, false, 80, false);
	progress_phase(&p, "erasing", 1000);
	assert_false(progress_rename(&p, "marking", "checking"));
	assert_true(progress_rename(&p, "erasing", "checking"));
	progress_end(&p, 3000, true);
	assert_false(progress_rename(&p, "checking", "erasing")); /* none runs */
	progress_transfer(&p, "uploading", 0, 10, 3000);
	assert_false(progress_rename(&p, "uploading", "checking"));
	progress_update(&p, 10, 10, 3000);
	progress_end(&p, 3000, true);
	assert_string_equal(out_text(&o), "checking     2.0 s\nuploading    0.0 KiB in 0.0 s\n");
	out_close(&o);
}

static void test_quiet_prints_nothing(void **state)
{
	struct progress p;
	struct out o;
	(void)state;

	out_open(&o);
	progress_init(&p, o.f, true, 80, true);
	progress_phase(&p, "connecting", 0);
	run_upload(&p, 100000, 30000, 10);
	progress_note(&p, "a note");
	progress_end(&p, 9000, true);
	assert_int_equal(strlen(out_text(&o)), 0);
	out_close(&o);
}

static void test_width_from_columns_when_not_a_terminal(void **state)
{
	FILE *f = tmpfile();
	(void)state;

	assert_non_null(f);
	setenv("COLUMNS", "132", 1);
	assert_int_equal(progress_width(fileno(f)), 132);
	setenv("COLUMNS", "wide", 1);
	assert_int_equal(progress_width(fileno(f)), 80);
	unsetenv("COLUMNS");
	assert_int_equal(progress_width(fileno(f)), 80);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_fits_every_width),
		cmocka_unit_test(test_narrow_terminal_truncates),
		cmocka_unit_test(test_redraws_at_most_ten_a_second_and_at_the_end),
		cmocka_unit_test(test_rate_is_smoothed_and_eta_follows),
		cmocka_unit_test(test_eta_past_an_hour),
		cmocka_unit_test(test_plain_lines_when_not_a_terminal),
		cmocka_unit_test(test_resumed_transfer_counts_from_its_start),
		cmocka_unit_test(test_note_keeps_the_line_on_a_terminal),
		cmocka_unit_test(test_break_leaves_the_line_for_an_error),
		cmocka_unit_test(test_rename_keeps_the_start),
		cmocka_unit_test(test_quiet_prints_nothing),
		cmocka_unit_test(test_width_from_columns_when_not_a_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
