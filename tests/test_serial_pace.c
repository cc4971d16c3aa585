/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The serial pacer (dfu-smp/smp/serial_pace.h): lines go at once while buffers are believed free, no
 * more than the learned count while the device handles a request, the count grows after a run
 * of answers that it held back and shrinks on a loss, the baud rate counts only when given,
 * and requests are pipelined as far as the device's SMP buffers take them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dfu-smp/smp/serial_pace.h>

#define LINE 128u

/* Lines of all the requests queued so far, as the caller's queue holds them. */
static uint32_t queued;

/* A pacer for @p cfg with a clean picture at time 0, nothing queued. */
static void setup(struct dfu_smp_serial_pace *p, const struct dfu_smp_serial_pace_config *cfg)
{
	dfu_smp_serial_pace_init(p, cfg);
	queued = 0;
	dfu_smp_serial_pace_reset(p, 0);
}

/* Queues a request with the pacer, and its lines in the count above. */
static int request(struct dfu_smp_serial_pace *p, uint8_t seq, unsigned lines, uint64_t now)
{
	int err = dfu_smp_serial_pace_request(p, seq, lines, now);

	if (err == 0) {
		queued += lines;
	}
	return err;
}

/* Lines queued and not yet written: what the caller has to write. */
static bool to_write(const struct dfu_smp_serial_pace *p)
{
	return dfu_smp_serial_pace_stats(p)->lines < queued;
}

/* Writes every line queued that the pacer lets go at @p now: how many. */
static unsigned send_ready(struct dfu_smp_serial_pace *p, uint64_t now)
{
	unsigned n = 0;

	while (to_write(p) && dfu_smp_serial_pace_next_us(p, now) <= now) {
		dfu_smp_serial_pace_line_sent(p, LINE, now);
		n++;
	}
	return n;
}

/*
 * @p count requests of @p lines lines, one after another, each answered @p busy_us after its
 * last line went, the next one queued all along (as a pipelining client does) and its lines
 * written whenever the pacer lets them go; with @p lost, the last one gets no answer and is
 * sent again after a timeout. Starts from a clean picture at *@p now. @return the most lines
 * written between a request's last line and its answer.
 */
static unsigned run_requests(struct dfu_smp_serial_pace *p, unsigned count, unsigned lines,
			     uint64_t busy_us, bool lost, uint64_t *now)
{
	uint32_t base;
	unsigned most = 0;

	dfu_smp_serial_pace_reset(p, *now);
	base = dfu_smp_serial_pace_stats(p)->lines;
	queued = base;
	assert_int_equal(request(p, 0, lines, *now), 0);
	for (unsigned i = 0; i < count; i++) {
		uint64_t end;
		unsigned beyond;

		assert_int_equal(request(p, (uint8_t)(i + 1u), lines, *now), 0);
		while (dfu_smp_serial_pace_stats(p)->lines - base < (i + 1u) * lines) {
			uint64_t next = dfu_smp_serial_pace_next_us(p, *now);

			assert_true(next != UINT64_MAX);
			if (next > *now) {
				*now = next;
			} else {
				dfu_smp_serial_pace_line_sent(p, LINE, *now);
			}
		}
		end = *now + busy_us;
		for (;;) {
			uint64_t next = dfu_smp_serial_pace_next_us(p, *now);

			if (next > end || !to_write(p)) {
				break;
			}
			if (next > *now) {
				*now = next;
			} else {
				dfu_smp_serial_pace_line_sent(p, LINE, *now);
			}
		}
		*now = end;
		beyond = dfu_smp_serial_pace_stats(p)->lines - base - (i + 1u) * lines;
		most = beyond > most ? beyond : most;
		if (lost && i + 1u == count) {
			*now += 3000000u; /* a timeout, then the same request again */
			assert_int_equal(request(p, (uint8_t)i, lines, *now), 0);
		} else {
			dfu_smp_serial_pace_answer(p, (uint8_t)i, *now);
		}
	}
	return most;
}

/*
 * While the device hands lines on, a UART takes lines at once into every free buffer (its baud
 * rate spaces their bytes); a port without one keeps a buffer free for the moment the device
 * is late, as the device takes one line at a time anyway.
 */
static void lines_go_at_once_while_buffers_are_free(void **state)
{
	struct dfu_smp_serial_pace_config uart = { .baud = 1000000u };
	struct dfu_smp_serial_pace_config usb = { 0 };
	struct dfu_smp_serial_pace p;
	uint64_t wire = (LINE * 10u * 1000000u + 1000000u - 1u) / 1000000u;

	(void)state;
	setup(&p, &uart);
	dfu_smp_serial_pace_reset(&p, 1000);
	assert_int_equal(dfu_smp_serial_pace_lines(&p), DFU_SMP_SERIAL_PACE_LINES_START);
	assert_int_equal(request(&p, 1, 5, 1000), 0);
	/* two lines at once, the third when the first is believed handed on */
	assert_int_equal(send_ready(&p, 1000), 2);
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 1000),
			 1000 + wire + DFU_SMP_SERIAL_PACE_LINE_US_START);

	setup(&p, &usb);
	dfu_smp_serial_pace_reset(&p, 1000);
	assert_int_equal(request(&p, 1, 5, 1000), 0);
	/* one line, the next when it is believed handed on, one at a time */
	assert_int_equal(send_ready(&p, 1000), 1);
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 1000),
			 1000 + DFU_SMP_SERIAL_PACE_LINE_US_START);
	assert_int_equal(send_ready(&p, 1000 + DFU_SMP_SERIAL_PACE_LINE_US_START), 1);
}

static void never_more_than_the_buffers_while_the_device_is_busy(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .buf_count = 4 };
	struct dfu_smp_serial_pace p;
	uint64_t now = 0;
	uint32_t before;
	unsigned most;

	(void)state;
	setup(&p, &cfg);
	most = run_requests(&p, 3, 5, 50000u, false, &now);
	assert_int_equal(most, 2); /* 2 buffers: 2 lines of the next, however long it is busy */

	/* a request of 2 lines, and one of 5 behind it: 2 of those while the first is handled,
	 * nothing more until its answer */
	dfu_smp_serial_pace_reset(&p, now);
	before = dfu_smp_serial_pace_stats(&p)->lines;
	queued = before;
	assert_int_equal(request(&p, 7, 2, now), 0);
	assert_int_equal(request(&p, 8, 5, now), 0);
	while (to_write(&p) && dfu_smp_serial_pace_next_us(&p, now) <= now + 100000u) {
		uint64_t next = dfu_smp_serial_pace_next_us(&p, now);

		now = next > now ? next : now;
		send_ready(&p, now);
	}
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->lines - before, 2u + 2u);
	assert_int_equal(send_ready(&p, now + 1000000u), 0);
	dfu_smp_serial_pace_answer(&p, 7, now + 1000000u);
	/* both handed on after the answer; then one at a time, a buffer kept free */
	assert_int_equal(send_ready(&p, now + 1000000u + 2u * DFU_SMP_SERIAL_PACE_LINE_US_START),
			 1);
}

/* Requests of many lines, answered late: the count held lines back, and it grows; a loss
 * takes it back to the last count that lost nothing, and it grows no more. */
static void the_burst_grows_after_answers_and_shrinks_on_a_loss(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .baud = 1000000u, .buf_count = 4 };
	struct dfu_smp_serial_pace p;
	uint64_t now = 0;
	unsigned grown;

	(void)state;
	setup(&p, &cfg);
	/* the line time learns down first, then the count grows */
	run_requests(&p, 8u * DFU_SMP_SERIAL_PACE_RUN, 20, 60000u, false, &now);
	grown = dfu_smp_serial_pace_lines(&p);
	assert_true(grown > DFU_SMP_SERIAL_PACE_LINES_START);
	assert_true(dfu_smp_serial_pace_stats(&p)->grew > 0);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 0);
	assert_true(dfu_smp_serial_pace_line_us(&p) < DFU_SMP_SERIAL_PACE_LINE_US_START);

	/* the count just grown lost a request: back to the one before */
	run_requests(&p, DFU_SMP_SERIAL_PACE_RUN, 20, 60000u, false, &now);
	grown = dfu_smp_serial_pace_lines(&p);
	run_requests(&p, 1, 20, 60000u, true, &now);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 1);
	assert_true(dfu_smp_serial_pace_lines(&p) < grown);
	grown = dfu_smp_serial_pace_lines(&p);
	run_requests(&p, 4u * DFU_SMP_SERIAL_PACE_RUN, 20, 60000u, false, &now);
	assert_int_equal(dfu_smp_serial_pace_lines(&p), grown);
}

/* Answers that come at once: lines never wait on the count, so it does not grow. */
static void no_growth_where_it_would_not_pay(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .buf_count = 4 };
	struct dfu_smp_serial_pace p;
	uint64_t now = 0;

	(void)state;
	setup(&p, &cfg);
	run_requests(&p, 8u * DFU_SMP_SERIAL_PACE_RUN, 5, 20000u, false, &now);
	assert_int_equal(dfu_smp_serial_pace_lines(&p), DFU_SMP_SERIAL_PACE_LINES_START);
	assert_int_equal(dfu_smp_serial_pace_line_us(&p), DFU_SMP_SERIAL_PACE_LINE_US_MIN);
}

/* A loss at a count that lost nothing before: one buffer fewer, twice the line time. */
static void a_loss_slows_the_lines(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .buf_count = 4 };
	struct dfu_smp_serial_pace p;
	uint64_t now = 0;

	(void)state;
	setup(&p, &cfg);
	run_requests(&p, 1, 5, 20000u, true, &now);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 1);
	assert_int_equal(dfu_smp_serial_pace_lines(&p), 1);
	assert_int_equal(dfu_smp_serial_pace_line_us(&p), 2u * DFU_SMP_SERIAL_PACE_LINE_US_START);
}

/* A later answer while an earlier request waits: the earlier one was lost. */
static void an_answer_out_of_order_is_a_loss(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .buf_count = 4, .lines = 8 };
	struct dfu_smp_serial_pace p;

	(void)state;
	setup(&p, &cfg);
	assert_int_equal(request(&p, 1, 2, 0), 0);
	assert_int_equal(request(&p, 2, 2, 0), 0);
	assert_int_equal(send_ready(&p, 0), 4);
	dfu_smp_serial_pace_answer(&p, 2, 10000);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 1);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->answers, 1);
	/* --serial-lines fixes the count: a loss leaves it */
	assert_int_equal(dfu_smp_serial_pace_lines(&p), 8);
	dfu_smp_serial_pace_answer(&p, 1, 10001); /* late: ignored */
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->answers, 1);
}

/* With a baud rate a line is freed only after its bytes left; without one, at once. */
static void the_baud_rate_counts_only_when_given(void **state)
{
	struct dfu_smp_serial_pace_config uart = { .baud = 115200u };
	struct dfu_smp_serial_pace_config usb = { 0 };
	struct dfu_smp_serial_pace p;
	/* 128 bytes at 115200 baud: 11112 us */
	uint64_t wire = (LINE * 10u * 1000000u + 115200u - 1u) / 115200u;

	(void)state;
	setup(&p, &uart);
	assert_int_equal(request(&p, 1, 5, 0), 0);
	assert_int_equal(send_ready(&p, 0), 2);
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 0),
			 wire + DFU_SMP_SERIAL_PACE_LINE_US_START);

	setup(&p, &usb);
	assert_int_equal(request(&p, 1, 5, 0), 0);
	assert_int_equal(send_ready(&p, 0), 1);
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 0), DFU_SMP_SERIAL_PACE_LINE_US_START);

	/* a device the host schedules frees a line no sooner than its delay */
	usb.scheduled = true;
	setup(&p, &usb);
	assert_int_equal(request(&p, 1, 5, 0), 0);
	assert_int_equal(send_ready(&p, 0), 2);
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 0), DFU_SMP_SERIAL_PACE_SCHEDULED_US);
}

/* Complete requests at once: as many as the SMP buffers take while one is handled. */
static void requests_pipeline_as_far_as_the_buffers_go(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .lines = 32, .buf_count = 4 };
	struct dfu_smp_serial_pace p;

	(void)state;
	setup(&p, &cfg);
	assert_int_equal(dfu_smp_serial_pace_window(&p), 4);
	for (uint8_t seq = 0; seq < 4; seq++) {
		assert_int_equal(request(&p, seq, 2, 0), 0);
	}
	/* three whole (buf_count - 1), and the fourth but its last line */
	assert_int_equal(send_ready(&p, 0), 7);
	dfu_smp_serial_pace_answer(&p, 0, 50000);
	assert_int_equal(send_ready(&p, 50000), 1);

	dfu_smp_serial_pace_set_buf_count(&p, 0); /* unknown: one at a time */
	assert_int_equal(dfu_smp_serial_pace_window(&p), 1);
}

/* Requests of many lines learn as fast as many requests of a few: a run ends after
 * DFU_SMP_SERIAL_PACE_RUN_LINES lines answered, before DFU_SMP_SERIAL_PACE_RUN answers. */
static void long_requests_learn_after_fewer_answers(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .buf_count = 4 };
	struct dfu_smp_serial_pace p;
	uint64_t now = 0;
	unsigned answers = DFU_SMP_SERIAL_PACE_RUN_LINES / 32u + 1u;

	(void)state;
	setup(&p, &cfg);
	assert_true(answers < DFU_SMP_SERIAL_PACE_RUN);
	run_requests(&p, answers, 32, 20000u, false, &now);
	assert_int_equal(dfu_smp_serial_pace_line_us(&p), DFU_SMP_SERIAL_PACE_LINE_US_START / 2u);
}

/* The count grows when the lines it holds back cost the device a little of every request
 * (1/DFU_SMP_SERIAL_PACE_WORTH, over the runs since it last changed), and not when they cost it
 * only on an occasional request (a slow flash erase now and then). */
static void the_count_grows_on_a_small_steady_cost_only(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .buf_count = 4 };
	struct dfu_smp_serial_pace p;
	uint64_t now = 0;

	(void)state;
	setup(&p, &cfg);
	/* 10 lines a request, 2 buffers: 8 lines wait for each answer, 8 x 100 us of a request
	 * of about 11 ms: 7 %, over 1/DFU_SMP_SERIAL_PACE_WORTH */
	run_requests(&p, 16u * DFU_SMP_SERIAL_PACE_RUN, 10, 10000u, false, &now);
	assert_true(dfu_smp_serial_pace_lines(&p) > DFU_SMP_SERIAL_PACE_LINES_START);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 0);

	/* 5 lines a request: 3 wait, 300 us of 20 ms, 1.5 %: no probe */
	setup(&p, &cfg);
	now = 0;
	run_requests(&p, 16u * DFU_SMP_SERIAL_PACE_RUN, 5, 20000u, false, &now);
	assert_int_equal(dfu_smp_serial_pace_lines(&p), DFU_SMP_SERIAL_PACE_LINES_START);
}

/* A raw message or COBS frame goes in pieces of DFU_SMP_SERIAL_PACE_PIECE bytes. */
static void frames_go_in_pieces_of_a_buffer(void **state)
{
	(void)state;
	assert_int_equal(dfu_smp_serial_pace_pieces(1), 1);
	assert_int_equal(dfu_smp_serial_pace_pieces(DFU_SMP_SERIAL_PACE_PIECE), 1);
	assert_int_equal(dfu_smp_serial_pace_pieces(3u * DFU_SMP_SERIAL_PACE_PIECE - 4u), 3);
	assert_int_equal(dfu_smp_serial_pace_piece(380), DFU_SMP_SERIAL_PACE_PIECE);
	assert_int_equal(dfu_smp_serial_pace_piece(124), 124);
}

/* Writes every line queued, each when the pacer lets it go, from *@p now on. */
static void write_queued(struct dfu_smp_serial_pace *p, uint64_t *now)
{
	while (to_write(p)) {
		uint64_t next = dfu_smp_serial_pace_next_us(p, *now);

		*now = next > *now ? next : *now;
		dfu_smp_serial_pace_line_sent(p, LINE, *now);
	}
}

/* One request of @p lines lines, written whole from @p sent, answered at @p answered. */
static void exchange(struct dfu_smp_serial_pace *p, uint8_t seq, unsigned lines, uint64_t sent,
		     uint64_t answered)
{
	uint64_t now = sent;

	assert_int_equal(request(p, seq, lines, now), 0);
	write_queued(p, &now);
	dfu_smp_serial_pace_answer(p, seq, answered > now ? answered : now);
}

/*
 * A device behind a pseudo-terminal is believed to read on ticks of its own (lines held
 * DFU_SMP_SERIAL_PACE_SCHEDULED_US) until its first two answers, to one-line requests, come within
 * DFU_SMP_SERIAL_PACE_PROMPT_US: then it is paced from the longer of the two, without the delay.
 */
static void a_pseudo_terminal_device_that_answers_at_once_is_not_held(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { .scheduled = true };
	struct dfu_smp_serial_pace p;

	(void)state;
	setup(&p, &cfg);
	exchange(&p, 1, 1, 0, 400);
	exchange(&p, 2, 1, 1000, 1300);
	assert_int_equal(dfu_smp_serial_pace_line_us(&p), 400);
	assert_int_equal(request(&p, 3, 5, 2000), 0);
	assert_int_equal(send_ready(&p, 2000), 1); /* as a USB device: a buffer kept free */
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 2000), 2000 + 400);

	/* native_sim answers its first request after a tick: it stays held */
	setup(&p, &cfg);
	exchange(&p, 1, 1, 0, 10000);
	exchange(&p, 2, 1, 20000, 20300);
	assert_int_equal(request(&p, 3, 5, 50000), 0);
	assert_int_equal(send_ready(&p, 50000), 2);
	assert_int_equal(dfu_smp_serial_pace_next_us(&p, 50000),
			 50000 + DFU_SMP_SERIAL_PACE_SCHEDULED_US);

	/* nor does one whose first request had more lines than one */
	setup(&p, &cfg);
	exchange(&p, 1, 3, 0, 300);
	exchange(&p, 2, 1, 100000, 100300);
	exchange(&p, 3, 1, 200000, 200300);
	assert_int_equal(request(&p, 4, 5, 300000), 0);
	assert_int_equal(send_ready(&p, 300000), 2);
	assert_true(dfu_smp_serial_pace_next_us(&p, 300000) >=
		    300000 + DFU_SMP_SERIAL_PACE_SCHEDULED_US);
}

/*
 * A request sent again alone (nothing behind it) was lost by the pacing only if it had more
 * lines than the buffers and such requests were answered before (the first of an upload may
 * just wait for an erase): then the line time doubles, the buffer count stays, and the line
 * time may shrink again after the next runs, to a quarter more than the time that lost.
 */
static void a_lone_request_lost_slows_the_lines_only(void **state)
{
	struct dfu_smp_serial_pace_config cfg = { 0 };
	struct dfu_smp_serial_pace p;
	uint32_t before;
	uint64_t t = 0;

	(void)state;
	setup(&p, &cfg);
	/* the first long request is sent again: no loss (an erase) */
	assert_int_equal(request(&p, 1, 5, t), 0);
	t += 100000;
	write_queued(&p, &t);
	t += 3000000;
	assert_int_equal(dfu_smp_serial_pace_request(&p, 1, 5, t), 0);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 0);
	queued = dfu_smp_serial_pace_stats(&p)->lines + 5u;
	write_queued(&p, &t);
	dfu_smp_serial_pace_answer(&p, 1, t + 1000);
	/* after long requests were answered (runs of them: the line time came down), a lone
	 * one sent again is a loss */
	for (uint8_t seq = 2; seq < 42; seq++) {
		t += 100000;
		exchange(&p, seq, 5, t, t + 50000);
	}
	before = dfu_smp_serial_pace_line_us(&p);
	assert_true(before < DFU_SMP_SERIAL_PACE_LINE_US_START / 4u);
	t += 100000;
	assert_int_equal(request(&p, 50, 5, t), 0);
	write_queued(&p, &t);
	t += 300000;
	assert_int_equal(dfu_smp_serial_pace_request(&p, 50, 5, t), 0);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 1);
	assert_int_equal(dfu_smp_serial_pace_line_us(&p), 2u * before);
	assert_int_equal(dfu_smp_serial_pace_lines(&p), DFU_SMP_SERIAL_PACE_LINES_START);
	/* sent once more, still unanswered: the same loss, not another */
	queued = dfu_smp_serial_pace_stats(&p)->lines + 5u;
	write_queued(&p, &t);
	t += 300000;
	assert_int_equal(dfu_smp_serial_pace_request(&p, 50, 5, t), 0);
	assert_int_equal(dfu_smp_serial_pace_stats(&p)->losses, 1);
	queued = dfu_smp_serial_pace_stats(&p)->lines + 5u;
	write_queued(&p, &t);
	dfu_smp_serial_pace_answer(&p, 50, t + 50000);
	/* runs of answers halve the line time again, down to a margin above what lost */
	for (uint8_t seq = 51; seq < 91; seq++) {
		t += 100000;
		exchange(&p, seq, 5, t, t + 50000);
	}
	assert_int_equal(dfu_smp_serial_pace_line_us(&p), before + before / 4u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_go_at_once_while_buffers_are_free),
		cmocka_unit_test(never_more_than_the_buffers_while_the_device_is_busy),
		cmocka_unit_test(the_burst_grows_after_answers_and_shrinks_on_a_loss),
		cmocka_unit_test(no_growth_where_it_would_not_pay),
		cmocka_unit_test(a_loss_slows_the_lines),
		cmocka_unit_test(an_answer_out_of_order_is_a_loss),
		cmocka_unit_test(the_baud_rate_counts_only_when_given),
		cmocka_unit_test(requests_pipeline_as_far_as_the_buffers_go),
		cmocka_unit_test(long_requests_learn_after_fewer_answers),
		cmocka_unit_test(the_count_grows_on_a_small_steady_cost_only),
		cmocka_unit_test(frames_go_in_pieces_of_a_buffer),
		cmocka_unit_test(a_pseudo_terminal_device_that_answers_at_once_is_not_held),
		cmocka_unit_test(a_lone_request_lost_slows_the_lines_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
