/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pacing of SMP requests sent as lines to a device's serial transport, learning as it goes.
 *
 * A Zephyr device takes each line it receives into one of a few receive line buffers (2 by
 * default, CONFIG_UART_MCUMGR_RX_BUF_COUNT; the device never says how many) and its
 * SMP thread frees a buffer once it has handed the line on. A line whose first byte arrives
 * while every buffer is taken is dropped, and with it the request it belongs to. While the
 * thread handles a whole request (writes flash, sends the answer) it frees none: between a
 * request's last line and its answer, no more lines may arrive than the device has buffers.
 *
 * The pacer keeps a picture of the device's buffers: each line written takes one, from the time
 * it is written; outside a request's handling a line is believed freed line_us after it arrived
 * (after its bytes left at the baud rate, with one; at once without: a pseudo-terminal, USB
 * CDC-ACM) and after the lines before it; a line written after a request's last line stays
 * taken until that request's answer. A line may go when fewer lines than the learned buffer
 * count are taken (one fewer while the device hands lines on, unless a baud rate or a
 * scheduled device's ticks space them: a buffer kept for the moment the device is late), and a
 * request's last line only while fewer complete requests than the device's SMP buffers allow
 * wait for their answers (buf_count - 1: one is an answer's).
 *
 * A scheduled device (a program behind a pseudo-terminal, struct dfu_smp_serial_pace_config) is
 * believed to read its input on ticks of its own until it proves otherwise: when its first two
 * answers are both to one-line requests and both come within DFU_SMP_SERIAL_PACE_PROMPT_US of the
 * line, it reads its input at once (another simulator) and is paced as a USB device is, from
 * the longest of those two times per line.
 *
 * What it learns, after each run of DFU_SMP_SERIAL_PACE_RUN answers (or of answers to
 * DFU_SMP_SERIAL_PACE_RUN_LINES lines, whichever comes first): the time a device needs per line
 * starts at DFU_SMP_SERIAL_PACE_LINE_US_START and halves after each run, down to what lost
 * nothing; then the buffer count, which starts at 2 (Zephyr's default), doubles when over the
 * runs since it last changed the lines it held back while the device was busy cost
 * 1/DFU_SMP_SERIAL_PACE_WORTH of the time, on at least a quarter of the answers (a steady cost,
 * not an occasional long flash erase that no count would cover), never past a count that lost.
 * A lost request (sent again after a timeout while lines went or waited behind it, or of more
 * lines than the buffers where such requests were answered before; passed over by a later
 * answer: a serial device answers in order; or unanswered for
 * DFU_SMP_SERIAL_PACE_ANSWER_US while lines waited) takes them back: a count just grown to the one
 * before, for good; otherwise one buffer fewer and the line time doubled, never again below;
 * a request lost alone doubles the line time, which the next runs may halve again down to a
 * quarter above the time that lost (at most the time first assumed, or a prompt device's).
 *
 * No clock and no I/O: the caller says what it wrote and what came back, with `now` in
 * microseconds from any fixed origin, and asks when the next line may go.
 */
#ifndef DFU_SMP_SERIAL_PACE_H
#define DFU_SMP_SERIAL_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>

/** The most receive line buffers the pacer ever assumes (and lines it keeps track of). */
#define DFU_SMP_SERIAL_PACE_LINES_MAX 64u
/** The most requests it keeps track of at once. */
#define DFU_SMP_SERIAL_PACE_REQUESTS_MAX 8u
/** The buffer count it starts from: Zephyr's default. */
#define DFU_SMP_SERIAL_PACE_LINES_START 2u
/** The device's time per line it starts from, and the least and most it assumes (µs). */
#define DFU_SMP_SERIAL_PACE_LINE_US_START 3000u
#define DFU_SMP_SERIAL_PACE_LINE_US_MIN 100u
#define DFU_SMP_SERIAL_PACE_LINE_US_MAX 50000u
/** A scheduled device's (see struct dfu_smp_serial_pace_config) delay before it frees a line (µs). */
#define DFU_SMP_SERIAL_PACE_SCHEDULED_US 25000u
/** ... halved after this many runs of answers without a loss (down to none). */
#define DFU_SMP_SERIAL_PACE_SCHEDULED_RUNS 4u
/** A scheduled device answering its first two one-line requests this fast (µs) reads at once. */
#define DFU_SMP_SERIAL_PACE_PROMPT_US 2000u
/** A request written whole and unanswered for this long (µs) is given up. */
#define DFU_SMP_SERIAL_PACE_ANSWER_US 2000000u
/** Answers in a row, without a loss, before it speeds up. */
#define DFU_SMP_SERIAL_PACE_RUN 8u
/**
 * ... or this many lines of answered requests, whichever comes first: each line that went
 * without a loss is as good a sign as an answer, so requests of many lines learn as fast.
 */
#define DFU_SMP_SERIAL_PACE_RUN_LINES 64u
/**
 * A raw message or COBS frame goes in pieces of this many bytes, each paced as a line: the
 * receive buffer of Zephyr's UART transport (CONFIG_UART_MCUMGR_RX_BUF_SIZE) and of MCUboot's
 * serial recovery (BOOT_MAX_LINE_INPUT_LEN) by default, so that a piece takes one buffer.
 */
#define DFU_SMP_SERIAL_PACE_PIECE 128u
/** More buffers are tried only when lines held back cost 1/DFU_SMP_SERIAL_PACE_WORTH of a run. */
#define DFU_SMP_SERIAL_PACE_WORTH 20u

/** How the port is. */
struct dfu_smp_serial_pace_config {
	uint32_t baud;      /**< bits per second of a real UART (10 a byte); 0: none limits */
	uint16_t lines;     /**< the device's receive line buffers, fixed; 0: learn them */
	uint16_t buf_count; /**< the device's SMP buffers; 0: unknown (one request at a time) */
	/**
	 * The device is a program the host's scheduler runs (behind a pseudo-terminal: Zephyr's
	 * native_sim, an emulator): it reads its input only when it runs, on its own ticks, so a
	 * line is believed freed no sooner than DFU_SMP_SERIAL_PACE_SCHEDULED_US after it arrived (or
	 * after the answer it waited for), lines in parallel; that delay halves after every
	 * DFU_SMP_SERIAL_PACE_SCHEDULED_RUNS runs of answers, and a loss doubles it for good.
	 */
	bool scheduled;
};

/** What the pacer saw. */
struct dfu_smp_serial_pace_stats {
	uint32_t lines;     /**< lines written */
	uint32_t answers;   /**< answers to requests it knew */
	uint32_t losses;    /**< requests it took for lost */
	uint32_t grew;      /**< times it raised the buffer count */
};

/** A line written and not yet believed freed. */
struct dfu_smp_serial_pace_line {
	uint64_t free_us;   /* when it is believed freed; UINT64_MAX: after an answer */
	bool last;          /* the last line of its request */
};

/** A request known to the pacer. */
struct dfu_smp_serial_pace_req {
	uint8_t seq;
	uint16_t lines_left; /* lines not yet written */
	uint64_t last_us;    /* when its last line was written */
	uint16_t lines;      /* its lines */
};

/** The pacer. Caller-allocated; fields are private. */
struct dfu_smp_serial_pace {
	struct dfu_smp_serial_pace_config cfg;
	struct dfu_smp_serial_pace_line held[DFU_SMP_SERIAL_PACE_LINES_MAX];
	unsigned held_head, held_count;
	struct dfu_smp_serial_pace_req reqs[DFU_SMP_SERIAL_PACE_REQUESTS_MAX];
	unsigned req_count;      /* oldest first: complete ones (lines_left 0), then the rest */
	uint64_t thread_us;      /* the device's thread is done with the lines so far; MAX: busy */
	uint64_t wire_us;        /* the bytes written so far have left the port (a baud rate) */
	unsigned bufs;           /* receive line buffers assumed */
	unsigned bufs_good;      /* the last count that lost nothing */
	unsigned ceiling;        /* a count that lost a request: never again; 0: none yet */
	uint32_t line_us;        /* the device's time per line assumed */
	uint32_t line_us_floor;  /* ... never again below (a loss) */
	uint32_t delay_us;       /* a line is freed no sooner than this after it arrived */
	uint32_t delay_floor_us; /* ... never again below (a loss) */
	unsigned delay_runs;     /* runs since it last shrank */
	bool paced_answered;     /* a request of more lines than its buffers was answered */
	bool resent;             /* a request was sent again since the last answer ... */
	uint8_t resent_seq;      /* ... this one (backed off for once) */
	unsigned first_answers;  /* a scheduled device's answers so far, up to the two that tell */
	uint32_t prompt_us;      /* ... the longest time it took to answer a one-line request */
	unsigned run;            /* answers since the last change or loss */
	unsigned idle_answers;   /* ... after which the device (and the wire) waited for lines */
	uint64_t run_us;         /* ... since when */
	uint64_t idle_us;        /* ... the device's time waiting for lines held back */
	uint64_t wire_idle_us;   /* ... the wire's, with a baud rate */
	uint64_t stall_us;       /* since then lines wait for an answer; 0: none */
	uint64_t refill_us;      /* since then the device waits for lines that waited; 0: none */
	struct dfu_smp_serial_pace_stats stats;
	uint32_t run_lines;      /* lines of the answers since the last change or loss */
	uint64_t settled_us;     /* runs since the count or the line time last changed: time */
	uint64_t settled_idle_us; /* ... and idle time, as idle_us/wire_idle_us count it */
};

/**
 * Set up @p pace for a port as @p cfg says (copied; the learning starts over).
 */
DFU_SMP_API void dfu_smp_serial_pace_init(struct dfu_smp_serial_pace *pace,
					  const struct dfu_smp_serial_pace_config *cfg);

/**
 * The device's SMP buffer count, once it has said it (0: unknown). @p pace: the pacer.
 */
DFU_SMP_API void dfu_smp_serial_pace_set_buf_count(struct dfu_smp_serial_pace *pace,
						   uint16_t buf_count);

/**
 * Forget every line and request in flight (the port was reopened, the device reset); what was
 * learned stays. @p now_us: the time.
 */
DFU_SMP_API void dfu_smp_serial_pace_reset(struct dfu_smp_serial_pace *pace, uint64_t now_us);

/**
 * A request of @p lines lines with sequence number @p seq was queued to be written. The same
 * @p seq as a request written whole and still unanswered means that one was lost (it is sent
 * again): the pacer backs off. @return 0, or -ENOBUFS when it keeps track of as many requests
 * as it can (the caller sends it anyway, unpaced by its answer).
 */
DFU_SMP_API int dfu_smp_serial_pace_request(struct dfu_smp_serial_pace *pace, uint8_t seq,
					    unsigned lines, uint64_t now_us);

/**
 * When the next line may be written (of the requests queued, or any other: a line the pacer
 * was not told of is paced by the buffers alone): @p now_us or earlier for now, or a later
 * time to wait until (an answer may come sooner).
 */
DFU_SMP_API uint64_t dfu_smp_serial_pace_next_us(struct dfu_smp_serial_pace *pace, uint64_t now_us);

/**
 * The next line, @p len bytes, has been written whole at @p now_us (for a line not the
 * pacer's, e.g. of a request it could not keep track of, it is counted all the same).
 */
DFU_SMP_API void dfu_smp_serial_pace_line_sent(struct dfu_smp_serial_pace *pace, size_t len,
					       uint64_t now_us);

/**
 * An answer with sequence number @p seq came at @p now_us. Requests written whole before it
 * and still unanswered were lost (a device answers in order): the pacer backs off. An answer
 * to no request it knows (a late one to an earlier try) is ignored.
 */
DFU_SMP_API void dfu_smp_serial_pace_answer(struct dfu_smp_serial_pace *pace, uint8_t seq,
					    uint64_t now_us);

/**
 * Requests a caller may keep queued at once: those the device's SMP buffers take while it
 * handles one (buf_count - 1, at least 1), and one more written in part meanwhile.
 */
DFU_SMP_API unsigned dfu_smp_serial_pace_window(const struct dfu_smp_serial_pace *pace);

/**
 * The pieces a raw message or COBS frame of @p len bytes goes in (DFU_SMP_SERIAL_PACE_PIECE bytes
 * each, the last one the rest): what to tell dfu_smp_serial_pace_request() as its lines.
 */
DFU_SMP_API unsigned dfu_smp_serial_pace_pieces(size_t len);

/**
 * The bytes of the next piece to write of a frame with @p left bytes not yet written.
 */
DFU_SMP_API size_t dfu_smp_serial_pace_piece(size_t left);

/** The receive line buffers the pacer assumes now. */
DFU_SMP_API unsigned dfu_smp_serial_pace_lines(const struct dfu_smp_serial_pace *pace);

/** The device's time per line it assumes now, in µs. */
DFU_SMP_API uint32_t dfu_smp_serial_pace_line_us(const struct dfu_smp_serial_pace *pace);

/** What it saw so far. */
DFU_SMP_API const struct dfu_smp_serial_pace_stats *dfu_smp_serial_pace_stats(
	const struct dfu_smp_serial_pace *pace);

#endif /* DFU_SMP_SERIAL_PACE_H */
