/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/smp/serial_pace.h>

#include <errno.h>
#include <string.h>

#define BITS_PER_BYTE 10u /* 8N1 */

void dfu_smp_serial_pace_init(struct dfu_smp_serial_pace *pace,
			      const struct dfu_smp_serial_pace_config *cfg)
{
	memset(pace, 0, sizeof(*pace));
	pace->cfg = *cfg;
	if (pace->cfg.lines > DFU_SMP_SERIAL_PACE_LINES_MAX) {
		pace->cfg.lines = DFU_SMP_SERIAL_PACE_LINES_MAX;
	}
	pace->bufs = pace->cfg.lines ? pace->cfg.lines : DFU_SMP_SERIAL_PACE_LINES_START;
	pace->bufs_good = pace->bufs;
	pace->line_us = DFU_SMP_SERIAL_PACE_LINE_US_START;
	pace->line_us_floor = DFU_SMP_SERIAL_PACE_LINE_US_MIN;
	pace->delay_us = pace->cfg.scheduled ? DFU_SMP_SERIAL_PACE_SCHEDULED_US : 0u;
}

/* When a line that reached the device at @p at, after the thread was done at @p thread, is freed. */
static uint64_t freed_at(const struct dfu_smp_serial_pace *pace, uint64_t at, uint64_t thread)
{
	uint64_t t = (at > thread ? at : thread) + pace->line_us;

	return at + pace->delay_us > t ? at + pace->delay_us : t;
}

void dfu_smp_serial_pace_set_buf_count(struct dfu_smp_serial_pace *pace, uint16_t buf_count)
{
	pace->cfg.buf_count = buf_count;
}

void dfu_smp_serial_pace_reset(struct dfu_smp_serial_pace *pace, uint64_t now_us)
{
	pace->held_head = pace->held_count = 0;
	pace->req_count = 0;
	pace->thread_us = now_us;
	pace->wire_us = now_us;
}

/* Complete requests (every line written) waiting for their answers: the first ones. */
static unsigned complete(const struct dfu_smp_serial_pace *pace)
{
	unsigned n = 0;

	while (n < pace->req_count && pace->reqs[n].lines_left == 0) {
		n++;
	}
	return n;
}

static void drop_reqs(struct dfu_smp_serial_pace *pace, unsigned n)
{
	memmove(pace->reqs, pace->reqs + n, (pace->req_count - n) * sizeof(pace->reqs[0]));
	pace->req_count -= n;
}

static void run_start(struct dfu_smp_serial_pace *pace, uint64_t now_us)
{
	pace->run = 0;
	pace->run_lines = 0;
	pace->idle_answers = 0;
	pace->run_us = now_us;
	pace->idle_us = 0;
	pace->wire_idle_us = 0;
	pace->stall_us = 0;
	pace->refill_us = 0;
}

/*
 * A request was lost. Right after the buffer count grew: back to the last count that lost
 * nothing, never to grow again. Otherwise: one buffer fewer, twice the time per line, and
 * never again less. With @p lines_only (a request lost alone: its lines met a moment the
 * device was slow, the count of buffers is not in question) the line time doubles and halves
 * again after the next runs, but never again below a quarter more than the time that lost:
 * the device's line time has jitter, a pace at its very edge loses again and again.
 */
static void back_off(struct dfu_smp_serial_pace *pace, uint64_t now_us, bool lines_only)
{
	uint32_t lost = pace->line_us;
	uint32_t slower = lost * 2u;

	pace->stats.losses++;
	pace->settled_us = pace->settled_idle_us = 0;
	run_start(pace, now_us);
	if (!lines_only && !pace->cfg.lines && pace->bufs > pace->bufs_good) {
		pace->bufs = pace->bufs_good;
		pace->ceiling = pace->bufs + 1u;
		return;
	}
	if (!lines_only && !pace->cfg.lines && pace->bufs > 1u) {
		pace->bufs--;
		pace->bufs_good = pace->bufs;
		pace->ceiling = pace->bufs + 1u;
	}
	pace->line_us =
		slower < DFU_SMP_SERIAL_PACE_LINE_US_MAX ? slower : DFU_SMP_SERIAL_PACE_LINE_US_MAX;
	if (lines_only) {
		/* the lines went too close for the device's jitter: keep a margin from now on,
		 * never above what a line was first believed to take */
		uint32_t margin = lost + lost / 4u;
		uint32_t most = pace->prompt_us && !pace->cfg.scheduled
					? pace->prompt_us
					: DFU_SMP_SERIAL_PACE_LINE_US_START;

		margin = margin < most ? margin : most;
		pace->line_us_floor = margin > pace->line_us_floor ? margin : pace->line_us_floor;
	} else {
		pace->line_us_floor = pace->line_us;
	}
	if (pace->cfg.scheduled) {
		pace->delay_us =
			pace->delay_us ? pace->delay_us * 2u : DFU_SMP_SERIAL_PACE_SCHEDULED_US;
		if (pace->delay_us > DFU_SMP_SERIAL_PACE_LINE_US_MAX) {
			pace->delay_us = DFU_SMP_SERIAL_PACE_LINE_US_MAX;
		}
		pace->delay_floor_us = pace->delay_us;
	}
}

/*
 * A run of answers without a loss: less time per line; more lines at once if, over the runs
 * since the count or the line time last changed, the count held lines back while the device
 * was busy and that cost at least 1/DFU_SMP_SERIAL_PACE_WORTH of the time (the wire idle meanwhile
 * with a baud rate, the device idle for the lines that waited without one), on at least a
 * quarter of the run's answers: a probe that loses costs a timeout.
 */
static void speed_up(struct dfu_smp_serial_pace *pace, uint64_t now_us)
{
	unsigned more = pace->bufs * 2u;
	/* the line time first: until it is as short as it goes, the idle time measured is its */
	uint64_t idle = pace->cfg.baud && pace->wire_idle_us < pace->idle_us ? pace->wire_idle_us
									     : pace->idle_us;
	uint32_t least = pace->line_us_floor;
	bool settled = pace->line_us <= least;
	bool worth;

	if (settled) {
		pace->settled_us += now_us - pace->run_us;
		pace->settled_idle_us += idle;
	}
	worth = settled && pace->settled_us <= pace->settled_idle_us * DFU_SMP_SERIAL_PACE_WORTH &&
		pace->idle_answers * 4u >= pace->run;
	if (!settled || worth) {
		pace->settled_us = pace->settled_idle_us = 0;
	}

	pace->line_us = pace->line_us / 2u > least ? pace->line_us / 2u : least;
	/* a scheduled device's delay: halved only after DFU_SMP_SERIAL_PACE_SCHEDULED_RUNS runs,
	 * so that a short exchange never tries it */
	if (pace->delay_us && ++pace->delay_runs >= DFU_SMP_SERIAL_PACE_SCHEDULED_RUNS) {
		pace->delay_runs = 0;
		pace->delay_us = pace->delay_us / 2u >= DFU_SMP_SERIAL_PACE_LINE_US_MIN
					 ? pace->delay_us / 2u
					 : 0u;
		if (pace->delay_us < pace->delay_floor_us) {
			pace->delay_us = pace->delay_floor_us;
		}
	}
	if (!pace->cfg.lines && worth) {
		if (more > DFU_SMP_SERIAL_PACE_LINES_MAX) {
			more = DFU_SMP_SERIAL_PACE_LINES_MAX;
		}
		if (pace->ceiling && more >= pace->ceiling) {
			more = pace->ceiling - 1u;
		}
		if (more > pace->bufs) {
			pace->bufs_good = pace->bufs;
			pace->bufs = more;
			pace->stats.grew++;
		}
	}
	run_start(pace, now_us);
}

int dfu_smp_serial_pace_request(struct dfu_smp_serial_pace *pace, uint8_t seq, unsigned lines,
			    uint64_t now_us)
{
	unsigned done = complete(pace);

	for (unsigned i = 0; i < done; i++) {
		if (pace->reqs[i].seq != seq) {
			continue;
		}
		/* sent again after a timeout: it, and any before it, got no answer. That is the
		 * pacing's fault if lines went or waited behind it, or if it had more lines than
		 * the buffers and such requests were answered before; otherwise it may just take
		 * long (the first of an upload while the device erases its slot). */
		if (pace->stall_us || pace->req_count > i + 1u) {
			back_off(pace, now_us, false);
		} else if (pace->reqs[i].lines > pace->bufs && pace->paced_answered &&
			   !(pace->resent && pace->resent_seq == seq)) {
			back_off(pace, now_us, true);
		}
		pace->resent = true;
		pace->resent_seq = seq;
		drop_reqs(pace, i + 1u);
		if (complete(pace) == 0) {
			/* the device has long been done with whatever it received */
			pace->held_head = pace->held_count = 0;
			pace->thread_us = now_us;
		}
		break;
	}
	if (pace->req_count >= DFU_SMP_SERIAL_PACE_REQUESTS_MAX || lines == 0) {
		return -ENOBUFS;
	}
	pace->reqs[pace->req_count].seq = seq;
	pace->reqs[pace->req_count].lines = (uint16_t)(lines > UINT16_MAX ? UINT16_MAX : lines);
	pace->reqs[pace->req_count].lines_left = pace->reqs[pace->req_count].lines;
	pace->req_count++;
	return 0;
}

static void handled(struct dfu_smp_serial_pace *pace, uint64_t now_us);

/* Lines believed freed by @p now_us leave the picture. */
static void forget_freed(struct dfu_smp_serial_pace *pace, uint64_t now_us)
{
	while (pace->held_count && pace->held[pace->held_head].free_us <= now_us) {
		pace->held_head = (pace->held_head + 1u) % DFU_SMP_SERIAL_PACE_LINES_MAX;
		pace->held_count--;
	}
}

unsigned dfu_smp_serial_pace_window(const struct dfu_smp_serial_pace *pace)
{
	unsigned at_once = pace->cfg.buf_count > 1u ? pace->cfg.buf_count - 1u : 1u;

	if (!pace->cfg.buf_count) {
		return 1u;
	}
	return at_once + 1u;
}

/*
 * The lines that may be taken at once. While the device hands lines on (not busy with a
 * request) and neither a baud rate nor a scheduled device's ticks space them, one buffer stays
 * free: the thread takes one line at a time anyway, so lines written two at a time gain only
 * the first line's time, and leave no room for the moment the device (or the host carrying
 * the bytes to it) is late.
 */
static unsigned room(const struct dfu_smp_serial_pace *pace)
{
	bool handling = pace->thread_us != UINT64_MAX;
	bool spaced = pace->cfg.baud || pace->cfg.scheduled;

	return handling && !spaced && pace->bufs > 1u ? pace->bufs - 1u : pace->bufs;
}

uint64_t dfu_smp_serial_pace_next_us(struct dfu_smp_serial_pace *pace, uint64_t now_us)
{
	unsigned done = complete(pace);
	unsigned at_once = pace->cfg.buf_count > 1u ? pace->cfg.buf_count - 1u : 1u;

	if (done && now_us >= pace->reqs[0].last_us + DFU_SMP_SERIAL_PACE_ANSWER_US) {
		/* no answer for that long: the request, or its answer, was lost (or the client
		 * gave up on it); that costs a loss only if lines waited for it meanwhile */
		if (pace->stall_us) {
			back_off(pace, now_us, false);
		}
		drop_reqs(pace, 1u);
		handled(pace, now_us);
		done = complete(pace);
	}
	forget_freed(pace, now_us);
	if (pace->held_count >= room(pace)) {
		uint64_t first = pace->held[pace->held_head].free_us;

		if (first == UINT64_MAX && !pace->stall_us) {
			pace->stall_us = now_us; /* the device is busy and every buffer taken */
		}
		if (first != UINT64_MAX) {
			return first;
		}
		return done ? pace->reqs[0].last_us + DFU_SMP_SERIAL_PACE_ANSWER_US : now_us;
	}
	if (done < pace->req_count && pace->reqs[done].lines_left == 1u && done >= at_once) {
		/* it would complete a request no SMP buffer takes yet */
		return pace->reqs[0].last_us + DFU_SMP_SERIAL_PACE_ANSWER_US;
	}
	return now_us;
}

void dfu_smp_serial_pace_line_sent(struct dfu_smp_serial_pace *pace, size_t len, uint64_t now_us)
{
	unsigned done = complete(pace);
	uint64_t arrive = now_us;
	struct dfu_smp_serial_pace_line line = { UINT64_MAX, false };

	forget_freed(pace, now_us);
	pace->stats.lines++;
	if (pace->cfg.baud) {
		uint64_t start = pace->wire_us > now_us ? pace->wire_us : now_us;

		pace->wire_us = start + ((uint64_t)len * BITS_PER_BYTE * 1000000u + pace->cfg.baud -
					 1u) / pace->cfg.baud;
		arrive = pace->wire_us;
	}
	if (pace->thread_us != UINT64_MAX) {
		line.free_us = freed_at(pace, arrive, pace->thread_us);
		pace->thread_us =
			(arrive > pace->thread_us ? arrive : pace->thread_us) + pace->line_us;
	}
	if (done < pace->req_count && --pace->reqs[done].lines_left == 0) {
		if (pace->refill_us) {
			/* the device waited for these lines, until the last arrives */
			pace->idle_us += arrive - pace->refill_us;
			pace->refill_us = 0;
		}
		line.last = true;
		pace->reqs[done].last_us = now_us;
		pace->thread_us = UINT64_MAX; /* it handles the request now, and frees nothing */
	}
	if (pace->held_count < DFU_SMP_SERIAL_PACE_LINES_MAX) {
		pace->held[(pace->held_head + pace->held_count) % DFU_SMP_SERIAL_PACE_LINES_MAX] =
			line;
		pace->held_count++;
	}
}

/*
 * The device is done with the oldest request at @p now_us: it hands on the lines that waited,
 * in order, until one ends a request it then handles.
 */
static void handled(struct dfu_smp_serial_pace *pace, uint64_t now_us)
{
	uint64_t t = now_us;

	pace->thread_us = now_us;
	for (unsigned k = 0; k < pace->held_count; k++) {
		struct dfu_smp_serial_pace_line *line =
			&pace->held[(pace->held_head + k) % DFU_SMP_SERIAL_PACE_LINES_MAX];

		if (line->free_us != UINT64_MAX) {
			continue;
		}
		line->free_us = freed_at(pace, now_us, t);
		t += pace->line_us;
		pace->thread_us = t;
		if (line->last) {
			pace->thread_us = UINT64_MAX;
			break;
		}
	}
	if (complete(pace) > 0 && pace->thread_us != UINT64_MAX) {
		pace->thread_us = UINT64_MAX; /* another request whose lines were all handled */
	}
}

/*
 * A scheduled device's first two answers tell whether it reads its input at once: both to
 * one-line requests, both within DFU_SMP_SERIAL_PACE_PROMPT_US of the line. If so it is paced as a
 * device of its own is, from the longer of the two times per line; if not, it stays scheduled.
 */
static void first_answer(struct dfu_smp_serial_pace *pace,
			 const struct dfu_smp_serial_pace_req *req, uint64_t now_us)
{
	uint64_t took = now_us - req->last_us;

	if (!pace->cfg.scheduled || pace->first_answers >= 2u) {
		return;
	}
	if (req->lines != 1u || took > DFU_SMP_SERIAL_PACE_PROMPT_US) {
		pace->first_answers = 2u; /* told: it is scheduled */
		return;
	}
	if (took > pace->prompt_us) {
		pace->prompt_us = (uint32_t)took;
	}
	if (++pace->first_answers < 2u) {
		return;
	}
	pace->cfg.scheduled = false;
	pace->delay_us = pace->delay_floor_us = 0;
	for (unsigned k = 0; k < pace->held_count; k++) {
		struct dfu_smp_serial_pace_line *line =
			&pace->held[(pace->held_head + k) % DFU_SMP_SERIAL_PACE_LINES_MAX];

		if (line->free_us != UINT64_MAX && line->free_us > now_us) {
			line->free_us = now_us; /* held for ticks it does not have */
		}
	}
	pace->line_us = pace->prompt_us > DFU_SMP_SERIAL_PACE_LINE_US_MIN
				? pace->prompt_us
				: DFU_SMP_SERIAL_PACE_LINE_US_MIN;
}

void dfu_smp_serial_pace_answer(struct dfu_smp_serial_pace *pace, uint8_t seq, uint64_t now_us)
{
	unsigned done = complete(pace), i;
	unsigned lines;

	for (i = 0; i < done && pace->reqs[i].seq != seq; i++) {
	}
	if (i == done) {
		return; /* not one of ours, or a late answer to an earlier try */
	}
	lines = pace->reqs[i].lines;
	first_answer(pace, &pace->reqs[i], now_us);
	if (lines > pace->bufs) {
		pace->paced_answered = true;
	}
	pace->resent = false;
	if (i > 0) {
		back_off(pace, now_us, false); /* those before it were lost */
	}
	drop_reqs(pace, i + 1u);
	if (pace->stall_us) {
		/* lines waited for this answer: with a baud rate, the wire stood idle meanwhile;
		 * and unless another request is complete, the device waits for them now */
		uint64_t from = pace->wire_us > pace->stall_us ? pace->wire_us : pace->stall_us;
		bool waits = complete(pace) == 0;

		if (pace->cfg.baud && now_us > from) {
			pace->wire_idle_us += now_us - from;
		}
		if (waits) {
			pace->refill_us = now_us;
		}
		pace->idle_answers += pace->cfg.baud ? now_us > from && waits : waits;
		pace->stall_us = 0;
	}
	pace->stats.answers++;
	handled(pace, now_us);
	if (pace->run_us == 0 && pace->run == 0) {
		pace->run_us = now_us;
	}
	if (i > 0) {
		return;
	}
	pace->run++;
	pace->run_lines += lines;
	if (pace->run >= DFU_SMP_SERIAL_PACE_RUN ||
	    pace->run_lines >= DFU_SMP_SERIAL_PACE_RUN_LINES) {
		speed_up(pace, now_us);
	}
}

unsigned dfu_smp_serial_pace_pieces(size_t len)
{
	return (unsigned)((len + DFU_SMP_SERIAL_PACE_PIECE - 1u) / DFU_SMP_SERIAL_PACE_PIECE);
}

size_t dfu_smp_serial_pace_piece(size_t left)
{
	return left < DFU_SMP_SERIAL_PACE_PIECE ? left : DFU_SMP_SERIAL_PACE_PIECE;
}

unsigned dfu_smp_serial_pace_lines(const struct dfu_smp_serial_pace *pace)
{
	return pace->bufs;
}

uint32_t dfu_smp_serial_pace_line_us(const struct dfu_smp_serial_pace *pace)
{
	return pace->line_us;
}

const struct dfu_smp_serial_pace_stats *dfu_smp_serial_pace_stats(
	const struct dfu_smp_serial_pace *pace)
{
	return &pace->stats;
}
