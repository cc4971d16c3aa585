/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `--conn serial:PATH[@BAUD][?framing=console|raw|cobs]`: SMP on a serial port (a UART, USB
 * CDC-ACM, a pseudo-terminal), in raw mode, 115200 baud unless told otherwise, with the console
 * framing of smp/serial.c unless told otherwise. Console output between frames (logs, a shell
 * prompt) is skipped.
 *
 * framing=raw (smp/raw.c) sends bare SMP messages, framing=cobs (smp/cobs.c) COBS frames, each
 * in pieces of DFU_SMP_SERIAL_PACE_PIECE bytes (a device receive buffer each) that the pacer below
 * lets go as it does console lines. A half-received raw
 * answer is dropped once nothing more of it came for RAW_RX_TIMEOUT_MS (when the next bytes
 * come), so an answer damaged on the wire cannot swallow the next one.
 *
 * Requests go out as lines of at most serial_line_max bytes, each when the pacer of
 * dfu-smp/smp/serial_pace.h lets it go: a Zephyr device keeps only a few receive line buffers (2 by
 * default) and frees none while it handles a request; the pacer learns how many it has and how
 * fast it hands lines on (--serial-lines fixes the count instead), and pipelines requests as
 * far as the device's SMP buffers take them. The baud rate counts only on a real UART: a
 * pseudo-terminal and a USB CDC-ACM port (port_kind()) take bytes as fast as they
 * come. A damaged frame is dropped by the device without an answer: requests are sent again
 * (conn->retries). The port stays open through a device reset; if it hangs up (a USB device
 * re-enumerating), reconnecting opens it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <dfu-smp/smp/cobs.h>
#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/raw.h>
#include <dfu-smp/smp/serial.h>
#include <dfu-smp/smp/serial_pace.h>
#include <dfu-smp/ports/conn.h>
#include <dfu-smp/ports/loop.h>

#define BAUD_DEFAULT 115200ul
#define TRIES_DEFAULT 3u
/* Zephyr's default SMP buffer (NETBUF_SIZE), until the device says its own. */
#define BUF_SIZE_UNKNOWN 384u
/* A port that hung up is tried again after pauses growing from the first to the longest. */
#define REOPEN_PAUSE_FIRST_MS 250u
#define REOPEN_PAUSE_MAX_MS 1000u
/* framing=raw: a part answer with nothing more for this long is dropped. */
#define RAW_RX_TIMEOUT_MS 500u
/* Requests in the transmit queue remembered, to find one sent again before it went out. */
#define TX_REQS 8u

/* What is behind the port, as far as pacing goes. */
enum port_kind {
	PORT_UART,    /* a real UART: the baud rate limits */
	PORT_USB,     /* USB CDC-ACM: a device of its own, no baud rate */
	PORT_PTY,     /* a pseudo-terminal: a program on this host, run when scheduled */
};

static const char *const port_kind_names[] = {
	"a UART, the baud rate counts", "USB CDC-ACM, no baud rate",
	"a pseudo-terminal, no baud rate",
};

enum framing {
	FRAMING_CONSOLE,
	FRAMING_RAW,
	FRAMING_COBS,
};

static const char *const framing_names[] = { "console", "raw", "cobs" };

struct conn_serial {
	struct dfu_smp_conn conn;
	struct dfu_smp_client client;
	struct dfu_smp_port_fd pfd;
	char *path;
	unsigned long baud;
	enum framing framing;
	speed_t speed;
	struct termios saved;   /* the port's settings before, put back at close */
	bool saved_ok;
	size_t line_max;
	enum port_kind link;
	struct dfu_smp_serial_pace pace;
	size_t max_request;
	struct dfu_smp_serial_decoder dec;    /* framing=console */
	struct dfu_smp_raw_decoder raw_dec;   /* framing=raw */
	struct dfu_smp_cobs_decoder cobs_dec; /* framing=cobs */
	uint32_t drops;         /* damaged frames and packets seen so far */
	uint64_t rx_bytes;      /* bytes read from the port, framed or not */

	/* transmit: whole packets as lines, paced */
	uint8_t *tx;
	size_t tx_cap;
	size_t tx_head;         /* next byte to write */
	size_t tx_line;         /* where the line being written starts */
	size_t tx_len;          /* bytes queued */
	size_t tx_frame_left;   /* raw, COBS: bytes of the frame at tx_head not yet written */
	/* the last requests queued: where each starts in tx (one at tx_head or later: not begun) */
	struct {
		size_t start;
		uint8_t hdr[DFU_SMP_HDR_SIZE]; /* its header: the same again is the same request */
	} tx_reqs[TX_REQS];
	unsigned tx_req_count;
	bool tx_full;           /* the port took no more: POLLOUT wakes the writing */

	uint8_t rx[4096];
	uint8_t msg[DFU_SMP_MSG_MAX + 2u]; /* the longest message any framing takes, and a CRC */
};

_Static_assert(offsetof(struct conn_serial, conn) == 0, "conn_self() needs conn first");

static const struct {
	unsigned long baud;
	speed_t speed;
} bauds[] = {
	{ 1200, B1200 },	{ 2400, B2400 },       { 4800, B4800 },	  { 9600, B9600 },
	{ 19200, B19200 },	{ 38400, B38400 },
#ifdef B57600
	{ 57600, B57600 },
#endif
#ifdef B115200
	{ 115200, B115200 },
#endif
#ifdef B230400
	{ 230400, B230400 },
#endif
#ifdef B460800
	{ 460800, B460800 },
#endif
#ifdef B921600
	{ 921600, B921600 },
#endif
#ifdef B1000000
	{ 1000000, B1000000 },
#endif
#ifdef B2000000
	{ 2000000, B2000000 },
#endif
#ifdef B3000000
	{ 3000000, B3000000 },
#endif
#ifdef B4000000
	{ 4000000, B4000000 },
#endif
};

/*
 * What is behind the open port @p fd. Its device number names it in sysfs,
 * /sys/dev/char/MAJOR:MINOR (the same as /sys/class/tty/NAME): a pseudo-terminal has none
 * there (devpts puts none) and another virtual terminal no `device` link; a USB CDC-ACM port's
 * `device/driver` is cdc_acm; anything else is a UART. On a UART the baud rate limits; on the
 * others the bytes go as fast as the host writes them, whatever baud rate is set. A port sysfs
 * says nothing of counts as a UART, the safe guess.
 */
static enum port_kind port_kind(int fd)
{
	char dir[64], path[96], target[256];
	struct stat st;
	const char *driver;
	ssize_t n;

	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		return PORT_UART;
	}
	snprintf(dir, sizeof(dir), "/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	if (access("/sys/dev/char", F_OK) != 0) {
		return PORT_UART; /* no sysfs: nothing known */
	}
	snprintf(path, sizeof(path), "%s/device", dir);
	if (access(dir, F_OK) != 0 || access(path, F_OK) != 0) {
		return PORT_PTY; /* a pseudo-terminal (or another virtual terminal) */
	}
	snprintf(path, sizeof(path), "%s/device/driver", dir);
	n = readlink(path, target, sizeof(target) - 1u);
	if (n <= 0) {
		return PORT_UART;
	}
	target[n] = '\0';
	driver = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	return strcmp(driver, "cdc_acm") == 0 ? PORT_USB : PORT_UART;
}

/* ---- the port ---- */

static void hang_up(struct conn_serial *cs, int err)
{
	dfu_smp_conn_logf(&cs->conn, "%s hung up: %s", cs->path, strerror(-err));
	close(cs->pfd.fd);
	cs->pfd.fd = -1;
	cs->tx_head = cs->tx_line = cs->tx_len = cs->tx_frame_left = 0;
	cs->tx_req_count = 0;
	cs->tx_full = false;
	cs->pfd.deadline_us = 0;
	dfu_smp_serial_pace_reset(&cs->pace, dfu_smp_port_now_us());
	dfu_smp_client_transport_error(&cs->client, -ENOTCONN);
	dfu_smp_client_transport_ready(&cs->client); /* what is queued fails when sent */
}

/* Raw mode with POSIX calls (what cfmakeraw() does), 8N1, no flow control. */
static int open_port(struct conn_serial *cs, char *why, size_t why_cap)
{
	struct termios t;
	int fd = open(cs->path, O_RDWR | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int err = errno;

		snprintf(why, why_cap, "cannot open %s: %s", cs->path, strerror(err));
		return -err;
	}
	if (!isatty(fd) || tcgetattr(fd, &t) != 0) {
		snprintf(why, why_cap, "%s is not a serial port", cs->path);
		close(fd);
		return -ENOTTY;
	}
	if (!cs->saved_ok) {
		cs->saved = t;
		cs->saved_ok = true;
	}
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
				  IXOFF | INPCK);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB);
	t.c_cflag |= CS8 | CREAD | CLOCAL;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (cfsetispeed(&t, cs->speed) != 0 || cfsetospeed(&t, cs->speed) != 0 ||
	    tcsetattr(fd, TCSANOW, &t) != 0) {
		snprintf(why, why_cap, "cannot set %s to raw mode at %lu baud: %s", cs->path,
			 cs->baud, strerror(errno));
		close(fd);
		return -EIO;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	tcflush(fd, TCIOFLUSH); /* what the device said before is no answer to us */
	dfu_smp_serial_decoder_reset(&cs->dec);
	dfu_smp_raw_decoder_reset(&cs->raw_dec);
	dfu_smp_cobs_decoder_reset(&cs->cobs_dec);
	dfu_smp_serial_pace_reset(&cs->pace, dfu_smp_port_now_us());
	cs->pfd.fd = fd;
	cs->pfd.events = POLLIN;
	return 0;
}

/* The raw message or COBS frame that starts the @p avail bytes at @p p: its length. */
static size_t frame_len(enum framing framing, const uint8_t *p, size_t avail)
{
	const uint8_t *z;

	if (framing == FRAMING_RAW) {
		size_t len = avail >= DFU_SMP_HDR_SIZE
				     ? DFU_SMP_HDR_SIZE + ((size_t)p[2] << 8 | p[3])
				     : avail;

		return len < avail ? len : avail;
	}
	z = memchr(p, 0x00, avail);
	return z ? (size_t)(z - p) + 1u : avail;
}

/*
 * Writes what the pacer allows now: the console framing line by line, raw and COBS frames
 * piece by piece (DFU_SMP_SERIAL_PACE_PIECE bytes), each when the pacer lets it go (one begun is
 * finished at once). Asks for POLLOUT while the port is full.
 */
static void tx_write(struct conn_serial *cs)
{
	bool console = cs->framing == FRAMING_CONSOLE;

	cs->pfd.deadline_us = 0;
	cs->tx_full = false;
	while (cs->pfd.fd >= 0 && cs->tx_head < cs->tx_len) {
		size_t end;
		ssize_t n;

		if (cs->tx_head == cs->tx_line) {
			uint64_t now = dfu_smp_port_now_us();
			uint64_t next = dfu_smp_serial_pace_next_us(&cs->pace, now);

			if (next > now) {
				/* until then (on_ready() with no events), or an answer */
				cs->pfd.deadline_us = next == UINT64_MAX ? 0 : next;
				break;
			}
		}
		if (console) {
			const uint8_t *nl =
				memchr(cs->tx + cs->tx_head, '\n', cs->tx_len - cs->tx_head);

			end = nl ? (size_t)(nl - cs->tx) + 1u : cs->tx_len;
		} else {
			if (cs->tx_head == cs->tx_line && !cs->tx_frame_left) {
				cs->tx_frame_left = frame_len(cs->framing, cs->tx + cs->tx_head,
							      cs->tx_len - cs->tx_head);
			}
			end = cs->tx_line + dfu_smp_serial_pace_piece(cs->tx_frame_left);
		}
		n = write(cs->pfd.fd, cs->tx + cs->tx_head, end - cs->tx_head);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				hang_up(cs, -errno);
				return;
			}
			cs->tx_full = true; /* at a line's start too: only POLLOUT says when */
			break;
		}
		cs->tx_head += (size_t)n;
		if (cs->tx_head == end) {
			dfu_smp_serial_pace_line_sent(&cs->pace, end - cs->tx_line,
						      dfu_smp_port_now_us());
			if (!console) {
				cs->tx_frame_left -= end - cs->tx_line;
			}
			cs->tx_line = end;
		}
	}
	if (cs->tx_head == cs->tx_len) {
		cs->tx_head = cs->tx_line = cs->tx_len = cs->tx_frame_left = 0;
		cs->tx_req_count = 0;
		dfu_smp_client_transport_ready(&cs->client); /* a send() said -EAGAIN: room again */
	}
	cs->pfd.events = POLLIN;
	if (cs->tx_head < cs->tx_len && !cs->pfd.deadline_us &&
	    (cs->tx_head != cs->tx_line || cs->tx_full)) {
		cs->pfd.events |= POLLOUT;
	}
}

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct conn_serial *cs = ctx;

	dfu_smp_conn_packet_logf(&cs->conn, "received %zu bytes", len);
	cs->conn.stats.notifications++;
	cs->conn.stats.bytes_in += len;
	if (len >= DFU_SMP_HDR_SIZE) {
		dfu_smp_serial_pace_answer(&cs->pace, msg[6], dfu_smp_port_now_us());
	}
	dfu_smp_client_receive(&cs->client, msg, len);
	if (cs->tx_head < cs->tx_len) {
		tx_write(cs); /* the answer may let lines go that waited for it */
	}
}

static void log_drops(struct conn_serial *cs)
{
	const struct dfu_smp_serial_stats *st = dfu_smp_serial_decoder_stats(&cs->dec);
	uint32_t drops = st->crc_errors + st->bad_frames + st->oversize + st->truncated;

	if (cs->framing == FRAMING_RAW) {
		const struct dfu_smp_raw_stats *rs = dfu_smp_raw_decoder_stats(&cs->raw_dec);

		if (rs->timeouts + rs->oversize != cs->drops) {
			dfu_smp_conn_logf(&cs->conn,
					  "dropped damaged input (so far: %u cut short, %u too "
					  "long)",
					  (unsigned)rs->timeouts, (unsigned)rs->oversize);
			cs->drops = rs->timeouts + rs->oversize;
		}
		return;
	}
	if (cs->framing == FRAMING_COBS) {
		const struct dfu_smp_cobs_stats *ks = dfu_smp_cobs_decoder_stats(&cs->cobs_dec);

		drops = ks->crc_errors + ks->bad_frames + ks->oversize;
		if (drops != cs->drops) {
			dfu_smp_conn_logf(&cs->conn,
					  "dropped damaged input (so far: %u bad CRC, %u bad "
					  "frames, %u too long)",
					  (unsigned)ks->crc_errors, (unsigned)ks->bad_frames,
					  (unsigned)ks->oversize);
			cs->drops = drops;
		}
		return;
	}
	if (drops != cs->drops) {
		dfu_smp_conn_logf(&cs->conn,
				  "dropped damaged input (so far: %u bad CRC, %u bad frames, "
				  "%u too long, %u cut short)",
				  (unsigned)st->crc_errors, (unsigned)st->bad_frames,
				  (unsigned)st->oversize, (unsigned)st->truncated);
		cs->drops = drops;
	}
}

/* @p n bytes read into cs->rx, to the framing's decoder. */
static void feed(struct conn_serial *cs, size_t n)
{
	switch (cs->framing) {
	case FRAMING_RAW:
		dfu_smp_raw_decoder_feed(&cs->raw_dec, cs->rx, n, dfu_smp_port_now_ms());
		break;
	case FRAMING_COBS:
		dfu_smp_cobs_decoder_feed(&cs->cobs_dec, cs->rx, n);
		break;
	default:
		dfu_smp_serial_decoder_feed(&cs->dec, cs->rx, n);
		break;
	}
}

static void on_ready(void *ctx, short revents)
{
	struct conn_serial *cs = ctx;

	if ((revents & POLLOUT) || (revents == 0 && cs->pfd.deadline_us)) {
		tx_write(cs); /* room in the port, or a pause in sending is over */
	}
	while (cs->pfd.fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(cs->pfd.fd, cs->rx, sizeof(cs->rx));

		if (n > 0) {
			cs->rx_bytes += (uint64_t)n;
			feed(cs, (size_t)n);
			log_drops(cs);
		} else if (n == 0) {
			hang_up(cs, -EPIPE);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else if (errno != EINTR) {
			hang_up(cs, -errno);
		}
	}
}

/* The request of header @p hdr waits in the transmit queue, no byte of it written yet. */
static bool queued_unsent(const struct conn_serial *cs, const uint8_t *hdr)
{
	for (unsigned i = 0; i < cs->tx_req_count; i++) {
		if (cs->tx_reqs[i].start >= cs->tx_head &&
		    memcmp(cs->tx_reqs[i].hdr, hdr, DFU_SMP_HDR_SIZE) == 0) {
			return true;
		}
	}
	return false;
}

/* A request queued at @p start of tx; the oldest one is forgotten when that many are. */
static void remember_request(struct conn_serial *cs, size_t start, const uint8_t *hdr)
{
	if (cs->tx_req_count == TX_REQS) {
		memmove(cs->tx_reqs, cs->tx_reqs + 1, (TX_REQS - 1u) * sizeof(cs->tx_reqs[0]));
		cs->tx_req_count--;
	}
	cs->tx_reqs[cs->tx_req_count].start = start;
	memcpy(cs->tx_reqs[cs->tx_req_count].hdr, hdr, DFU_SMP_HDR_SIZE);
	cs->tx_req_count++;
}

static int transport_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct conn_serial *cs = ctx;
	struct dfu_smp_serial_encoder enc;
	size_t need = dfu_smp_serial_lines(len, cs->line_max) * cs->line_max;
	size_t start;
	int n;

	if (cs->framing == FRAMING_RAW) {
		need = len;
	} else if (cs->framing == FRAMING_COBS) {
		need = DFU_SMP_COBS_FRAME_MAX(len);
	}

	if (cs->pfd.fd < 0) {
		return -ENOTCONN;
	}
	if (len > cs->max_request) {
		return -EMSGSIZE;
	}
	if (queued_unsent(cs, msg)) {
		/* sent again before its bytes even left (a port paced slower than the tries):
		 * those go, once; a second copy behind them would only hold up what follows */
		dfu_smp_conn_packet_logf(&cs->conn, "%zu bytes still queued, not queued again", len);
		return 0;
	}
	if (cs->tx_cap - cs->tx_len < need) {
		return -EAGAIN; /* sent once the queue has drained */
	}
	start = cs->tx_len;
	if (cs->framing == FRAMING_RAW) {
		if (dfu_smp_raw_msg_len(msg, len) < 0) {
			return -EINVAL;
		}
		memcpy(cs->tx + cs->tx_len, msg, len);
		cs->tx_len += len;
		dfu_smp_serial_pace_request(&cs->pace, msg[6], dfu_smp_serial_pace_pieces(len),
					dfu_smp_port_now_us());
		dfu_smp_conn_packet_logf(&cs->conn, "sent %zu bytes", len);
	} else if (cs->framing == FRAMING_COBS) {
		n = dfu_smp_cobs_frame(msg, len, cs->tx + cs->tx_len, cs->tx_cap - cs->tx_len);
		if (n < 0) {
			return n;
		}
		cs->tx_len += (size_t)n;
		dfu_smp_serial_pace_request(&cs->pace, msg[6],
					    dfu_smp_serial_pace_pieces((size_t)n),
					    dfu_smp_port_now_us());
		dfu_smp_conn_packet_logf(&cs->conn, "sent %zu bytes in a frame of %d", len, n);
	} else {
		dfu_smp_serial_encoder_init(&enc, msg, len, cs->line_max);
		while ((n = dfu_smp_serial_encoder_next(&enc, cs->tx + cs->tx_len,
						    cs->tx_cap - cs->tx_len)) > 0) {
			cs->tx_len += (size_t)n;
		}
		dfu_smp_serial_pace_request(&cs->pace, msg[6],
					    (unsigned)dfu_smp_serial_lines(len, cs->line_max),
					    dfu_smp_port_now_us());
		dfu_smp_conn_packet_logf(&cs->conn, "sent %zu bytes in %zu lines", len,
				 dfu_smp_serial_lines(len, cs->line_max));
	}
	remember_request(cs, start, msg);
	cs->conn.stats.writes++;
	cs->conn.stats.bytes_out += len;
	tx_write(cs);
	return 0;
}

static size_t transport_max_size(void *ctx)
{
	return ((struct conn_serial *)ctx)->max_request;
}

/* ---- the connection ---- */

static bool serial_sending(struct dfu_smp_conn *conn)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);

	return cs->tx_head < cs->tx_len;
}

static int serial_run_until(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg,
			    uint64_t limit_ms)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);

	return dfu_smp_port_loop_run(&cs->client, &cs->pfd, 1, done, arg, limit_ms);
}

/*
 * @p max cut to whole batches of the pacer's receive line buffers. A pseudo-terminal's device
 * takes a batch of lines each time it runs: a request whose last batch is short costs as
 * long as a full one, for less data (5 lines in 2-line batches take 3, 4 lines take 2).
 */
static size_t whole_batches(const struct conn_serial *cs, size_t max)
{
	size_t batch = dfu_smp_serial_pace_lines(&cs->pace);
	size_t lines = dfu_smp_serial_lines(max, cs->line_max);

	if (cs->link != PORT_PTY || batch < 2u || lines <= batch || lines % batch == 0) {
		return max;
	}
	lines -= lines % batch;
	while (max > DFU_SMP_HDR_SIZE && dfu_smp_serial_lines(max, cs->line_max) > lines) {
		max--;
	}
	return max;
}

static void serial_set_device_limits(struct dfu_smp_conn *conn,
				     const struct dfu_smp_session_limits *limits)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);

	cs->max_request = dfu_smp_serial_msg_max(limits->have_params ? limits->buf_size
								  : BUF_SIZE_UNKNOWN);
	dfu_smp_serial_pace_set_buf_count(&cs->pace, limits->have_params ? limits->buf_count : 0);
	if (cs->max_request <= DFU_SMP_HDR_SIZE) {
		cs->max_request =
			dfu_smp_serial_msg_max(BUF_SIZE_UNKNOWN); /* no buffer is that small */
	}
	cs->conn.request_best = cs->framing == FRAMING_CONSOLE ? whole_batches(cs, cs->max_request)
							       : 0;
}

/* The port hung up (a USB device re-enumerating): open it again once it is back. */
static int serial_reconnect(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why,
			    size_t why_cap)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);
	uint64_t limit = dfu_smp_port_now_ms() + timeout_ms;
	uint32_t pause = REOPEN_PAUSE_FIRST_MS;

	while (cs->pfd.fd < 0) {
		uint64_t now;
		int err = open_port(cs, why, why_cap);

		if (!err) {
			dfu_smp_conn_logf(&cs->conn, "%s is back", cs->path);
			break;
		}
		now = dfu_smp_port_now_ms();
		if (now >= limit) {
			return err;
		}
		/* the whole time given: the last pause ends with it */
		dfu_smp_port_loop_run(&cs->client, &cs->pfd, 1, dfu_smp_port_loop_never, NULL,
				      now + pause < limit ? now + pause : limit);
		pause = pause * 2u < REOPEN_PAUSE_MAX_MS ? pause * 2u : REOPEN_PAUSE_MAX_MS;
	}
	return 0;
}

/* No answer in the raw or COBS framing within the timeout, @p sent times. */
static void explain_silence(const struct conn_serial *cs, double timeout, unsigned sent,
			    char *out, size_t cap)
{
	const char *name = framing_names[cs->framing];
	uint32_t got, damaged;
	int n;

	if (cs->framing == FRAMING_RAW) {
		const struct dfu_smp_raw_stats *rs = dfu_smp_raw_decoder_stats(&cs->raw_dec);

		got = rs->messages;
		damaged = rs->timeouts + rs->oversize;
	} else {
		const struct dfu_smp_cobs_stats *ks = dfu_smp_cobs_decoder_stats(&cs->cobs_dec);

		got = ks->frames;
		damaged = ks->crc_errors + ks->bad_frames + ks->oversize;
	}
	n = snprintf(out, cap, "no answer on %s within %.1f s (sent %u times at %lu baud with "
		     "framing=%s; see --timeout, --tries)", cs->path, timeout, sent, cs->baud,
		     name);
	if (got == 0 && damaged == 0 && cs->rx_bytes == 0 && n > 0 && (size_t)n < cap) {
		snprintf(out + n, cap - (size_t)n, "; nothing came back at all: the port may not "
			 "carry MCUmgr's %s framing (framing=console, raw or cobs; another port)",
			 name);
	} else if (got == 0 && damaged == 0 && n > 0 && (size_t)n < cap) {
		snprintf(out + n, cap - (size_t)n, "; %llu bytes came back but no whole message",
			 (unsigned long long)cs->rx_bytes);
	} else if (damaged && n > 0 && (size_t)n < cap) {
		snprintf(out + n, cap - (size_t)n, "; %u damaged frames came back and were dropped",
			 (unsigned)damaged);
	}
}

static void serial_explain(struct dfu_smp_conn *conn, int err, size_t request_len, char *out,
			   size_t cap)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);
	const struct dfu_smp_serial_stats *st = dfu_smp_serial_decoder_stats(&cs->dec);
	double timeout = (double)dfu_smp_conn_timeout_ms(conn) / 1000.0;
	unsigned sent = conn->retries + 1u;
	uint32_t damaged;
	int n;

	switch (err) {
	case -EMSGSIZE:
		if (conn->limits_known && conn->limits.have_params) {
			snprintf(
				out, cap,
				"request of %zu bytes is larger than the device takes over "
				"serial (%zu bytes: its SMP buffer of %u bytes less %u of framing)",
				request_len, cs->max_request, (unsigned)conn->limits.buf_size,
				DFU_SMP_SERIAL_OVERHEAD);
		} else {
			snprintf(
				out, cap,
				"request of %zu bytes is larger than the device takes over "
				"serial (%zu bytes: it does not say its SMP buffer size, so Zephyr's "
				"default %u less %u of framing is assumed)",
				request_len, cs->max_request, BUF_SIZE_UNKNOWN,
				DFU_SMP_SERIAL_OVERHEAD);
		}
		break;
	case -ETIMEDOUT:
		if (cs->framing != FRAMING_CONSOLE) {
			explain_silence(cs, timeout, sent, out, cap);
			break;
		}
		n = snprintf(out, cap, "no answer on %s within %.1f s (sent %u times at %lu baud; "
			     "see --timeout, --tries, --serial-line-max, --serial-lines)", cs->path,
			     timeout, sent, cs->baud);
		damaged = st->crc_errors + st->bad_frames + st->oversize + st->truncated;
		if (st->packets == 0 && damaged == 0 && n > 0 && (size_t)n < cap) {
			/* nothing framed ever came back: maybe nothing here speaks the framing */
			snprintf(out + n, cap - (size_t)n, "; no SMP frame came back at all: the "
				 "port may not carry MCUmgr's console framing (a raw UART or the "
				 "shell transport, a console without MCUmgr, another port)");
		} else if (damaged && n > 0 && (size_t)n < cap) {
			snprintf(out + n, cap - (size_t)n, "; %u damaged frames came back and were "
				 "dropped (%u bad CRC, %u bad frames, %u too long, %u cut short)",
				 (unsigned)damaged, (unsigned)st->crc_errors,
				 (unsigned)st->bad_frames, (unsigned)st->oversize,
				 (unsigned)st->truncated);
		}
		break;
	case -ENOTCONN:
		snprintf(out, cap, "%s hung up: the device went away", cs->path);
		break;
	default:
		snprintf(out, cap, "%s: %s", cs->path, strerror(-err));
		break;
	}
}

static bool serial_connected(struct dfu_smp_conn *conn)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);

	return cs->pfd.fd >= 0;
}

static void serial_close(struct dfu_smp_conn *conn)
{
	struct conn_serial *cs = dfu_smp_conn_self(conn);

	dfu_smp_client_cancel_all(&cs->client, -ECANCELED);
	if (cs->pfd.fd >= 0) {
		if (cs->saved_ok) {
			tcsetattr(cs->pfd.fd, TCSANOW, &cs->saved);
		}
		close(cs->pfd.fd);
	}
	free(cs->tx);
	free(cs->path);
	free(cs);
}

static const struct dfu_smp_conn_ops serial_ops = {
	.name = "serial",
	.sending = serial_sending,
	.run_until = serial_run_until,
	.explain = serial_explain,
	.set_device_limits = serial_set_device_limits,
	.reconnect = serial_reconnect,
	.connected = serial_connected,
	.close = serial_close,
};

/* ?framing=NAME at @p q (NULL: none): the framing. @return 0 or -EINVAL. */
static int parse_query(struct conn_serial *cs, const char *q)
{
	static const char key[] = "?framing=";

	cs->framing = FRAMING_CONSOLE;
	if (!q) {
		return 0;
	}
	if (strncmp(q, key, sizeof(key) - 1u) != 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(framing_names) / sizeof(framing_names[0]); i++) {
		if (strcmp(q + sizeof(key) - 1u, framing_names[i]) == 0) {
			cs->framing = (enum framing)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * PATH[@BAUD][?framing=NAME]: the path, the speed, the framing. @return 0, or -EINVAL with
 * *@p what saying which part is wrong.
 */
static int parse_arg(struct conn_serial *cs, const char *arg, const char **what)
{
	const char *q = strrchr(arg, '?');
	size_t rest = q ? (size_t)(q - arg) : strlen(arg);
	const char *at = NULL;
	size_t len = rest;

	for (size_t i = 0; i < rest; i++) {
		if (arg[i] == '@') {
			at = arg + i; /* the last one */
		}
	}
	*what = "";
	if (parse_query(cs, q) != 0) {
		*what = "the framing must be ?framing=console, raw or cobs";
		return -EINVAL;
	}
	cs->baud = BAUD_DEFAULT;
	if (at) {
		char *end;

		len = (size_t)(at - arg);
		cs->baud = strtoul(at + 1, &end, 10);
		if (at + 1 == arg + rest || end != arg + rest) {
			*what = "the baud rate after '@' must be a number";
			return -EINVAL;
		}
	}
	cs->speed = (speed_t)-1;
	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++) {
		if (bauds[i].baud == cs->baud) {
			cs->speed = bauds[i].speed;
		}
	}
	if (len == 0) {
		*what = "the PATH is missing";
		return -EINVAL;
	}
	if (cs->speed == (speed_t)-1) {
		*what = "the baud rate is no standard one";
		return -EINVAL;
	}
	cs->path = malloc(len + 1);
	if (!cs->path) {
		return -ENOMEM;
	}
	memcpy(cs->path, arg, len);
	cs->path[len] = '\0';
	return 0;
}

int dfu_smp_conn_serial_open(const char *arg, const struct dfu_smp_conn_options *opt,
			     struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	struct dfu_smp_client_config client_cfg = dfu_smp_conn_client_config(opt);
	struct dfu_smp_transport transport = {
		.send = transport_send,
		.max_size = transport_max_size,
	};
	struct conn_serial *cs = calloc(1, sizeof(*cs));
	const char *what = "";
	int err;

	if (!cs) {
		snprintf(why, why_cap, "out of memory");
		return -ENOMEM;
	}
	cs->pfd = (struct dfu_smp_port_fd){ .fd = -1, .ready = on_ready, .ctx = cs };
	cs->line_max =
		opt->serial_line_max ? opt->serial_line_max : DFU_SMP_SERIAL_LINE_MAX_DEFAULT;
	err = parse_arg(cs, arg, &what);
	if (err == -EINVAL) {
		snprintf(why, why_cap, "bad serial port 'serial:%s': %s%suse "
			 "serial:PATH[@BAUD][?framing=console|raw|cobs] with a standard baud rate "
			 "(9600, 115200, 1000000...)", arg, what, what[0] ? "; " : "");
	} else if (!err && cs->line_max < DFU_SMP_SERIAL_LINE_MIN) {
		snprintf(why, why_cap, "serial lines need at least %u bytes",
			 DFU_SMP_SERIAL_LINE_MIN);
		err = -EINVAL;
	}
	if (!err) {
		/* the console framing's lines take more room than a raw or COBS frame */
		cs->tx_cap =
			dfu_smp_serial_lines(DFU_SMP_SERIAL_MSG_MAX, cs->line_max) * cs->line_max;
		cs->tx = malloc(cs->tx_cap);
		if (!cs->tx) {
			err = -ENOMEM;
		}
	}
	if (err == -ENOMEM) {
		snprintf(why, why_cap, "out of memory");
	}
	if (err) {
		serial_close(&cs->conn);
		return err;
	}
	cs->max_request = dfu_smp_serial_msg_max(BUF_SIZE_UNKNOWN);
	dfu_smp_serial_decoder_init(&cs->dec, cs->msg, DFU_SMP_SERIAL_MSG_MAX + 2u, 0, on_message,
				    cs);
	dfu_smp_raw_decoder_init(&cs->raw_dec, cs->msg, DFU_SMP_MSG_MAX, RAW_RX_TIMEOUT_MS,
				 on_message, cs);
	dfu_smp_cobs_decoder_init(&cs->cobs_dec, cs->msg, sizeof(cs->msg), on_message, cs);
	transport.ctx = cs;
	dfu_smp_client_init(&cs->client, &transport, &client_cfg);
	dfu_smp_client_process(&cs->client,
			       dfu_smp_port_now_ms()); /* its clock is the monotonic one */
	dfu_smp_conn_init(&cs->conn, &serial_ops, &cs->client, opt);
	cs->conn.retries = (uint8_t)((opt->tries ? opt->tries : TRIES_DEFAULT) - 1u);
	/* raw and COBS pieces go as the pacer says, as many requests as the device's SMP buffers
	 * take (the upload engine tunes itself to them); console lines one request at a time: with
	 * more, a loss on a loaded host (a line read late, three at once) counts against the
	 * buffers and the line time for good, and an upload to a pseudo-terminal has been seen to
	 * slow to 50 ms a line */
	cs->conn.window_max = cs->framing == FRAMING_CONSOLE ? 1u : 0u;
	{
		struct dfu_smp_serial_pace_config pc = { .baud = (uint32_t)cs->baud,
						     .lines = opt->serial_lines };

		dfu_smp_serial_pace_init(&cs->pace, &pc);
	}
	cs->conn.link_stays_up = true;
	err = open_port(cs, why, why_cap);
	if (err) {
		serial_close(&cs->conn);
		return err;
	}
	cs->link = port_kind(cs->pfd.fd);
	if (cs->link != PORT_UART) {
		struct dfu_smp_serial_pace_config pc = { .lines = opt->serial_lines,
						     .scheduled = cs->link == PORT_PTY };

		dfu_smp_serial_pace_init(&cs->pace, &pc);
	}
	if (cs->framing == FRAMING_CONSOLE) {
		dfu_smp_conn_logf(&cs->conn,
				  "%s open at %lu baud (%s), lines of %zu bytes, %s%u receive "
				  "line buffers",
				  cs->path, cs->baud, port_kind_names[cs->link], cs->line_max,
				  opt->serial_lines ? "" : "learning from ",
				  dfu_smp_serial_pace_lines(&cs->pace));
	} else {
		dfu_smp_conn_logf(&cs->conn, "%s open at %lu baud, framing=%s", cs->path, cs->baud,
			    framing_names[cs->framing]);
	}
	*out = &cs->conn;
	return 0;
}
