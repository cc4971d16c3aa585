/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway HOST:PORT IMAGE: upgrades the firmware of the device that serves SMP over UDP at
 * HOST:PORT with the MCUboot image file IMAGE (upload, test boot, reset, confirm once the device
 * runs it), the way a program with its own I/O embeds libdfu-smp.
 *
 * The program owns everything that touches the system: one UDP socket and one poll() loop, the
 * clock, the file. The library's device session (dfu-smp/dfu/session.h) and SMP client
 * (dfu-smp/smp/client.h) are sans I/O: the program hands them each datagram it receives and the
 * time, sends what the client asks to send, and sleeps in poll() until the session's next
 * deadline. Build it against an installed library with
 *   cc -std=c11 gateway.c $(pkg-config --cflags --libs dfu-smp) -o gateway
 * Exit status: 0 when the device runs the new image (confirmed, or already running it), 1
 * otherwise, 2 for bad arguments.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <dfu-smp/dfu-smp.h>

/* Zephyr's default CONFIG_MCUMGR_TRANSPORT_UDP_MTU: the longest datagram a device reads. */
#define GATEWAY_UDP_MTU 1500u

struct gateway {
	int fd;
	bool blocked;          /* the socket was full: wait for POLLOUT */
	size_t max_request;    /* the longest request to send: the MTU, or the device's buffer */
	struct dfu_smp_client client;
	struct dfu_smp_session session;
	bool done;
	int err;
	enum dfu_smp_upgrade_outcome outcome;
	char message[320];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the transport: what the SMP client sends goes out as one datagram ---- */

static int transport_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct gateway *g = ctx;
	ssize_t n = send(g->fd, msg, len, 0);

	if (n >= 0) {
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		g->blocked = true; /* the client waits for dfu_smp_client_transport_ready() */
		return -EAGAIN;
	}
	return -errno;
}

static size_t transport_max_size(void *ctx)
{
	return ((struct gateway *)ctx)->max_request;
}

/* ---- the session's callbacks ---- */

static void on_device_limits(void *user, const struct dfu_smp_session_limits *limits)
{
	struct gateway *g = user;

	g->max_request = limits->have_params && limits->buf_size < GATEWAY_UDP_MTU
				 ? limits->buf_size
				 : GATEWAY_UDP_MTU;
}

static const char *step_name(enum dfu_smp_upgrade_step step)
{
	switch (step) {
	case DFU_SMP_UPGRADE_STEP_READ_STATE: return "read the image state";
	case DFU_SMP_UPGRADE_STEP_CHECK_SIZE: return "check the slot size";
	case DFU_SMP_UPGRADE_STEP_UPLOAD: return "upload";
	case DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD: return "check the upload";
	case DFU_SMP_UPGRADE_STEP_MARK: return "mark for a test boot";
	case DFU_SMP_UPGRADE_STEP_RESET: return "reset";
	case DFU_SMP_UPGRADE_STEP_RECONNECT: return "wait for the device";
	case DFU_SMP_UPGRADE_STEP_CHECK_BOOT: return "check the image runs";
	case DFU_SMP_UPGRADE_STEP_CONFIRM: return "confirm";
	case DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM: return "check the confirmation";
	case DFU_SMP_UPGRADE_STEP_PROBE_SIZE: return "probe the request size";
	case DFU_SMP_UPGRADE_STEP_BOOT_MODE: return "ask the boot mode";
	}
	return "?";
}

static void on_step(void *user, enum dfu_smp_upgrade_step step, const char *detail)
{
	(void)user;
	printf("%s: %s\n", step_name(step), detail ? detail : "...");
	fflush(stdout);
}

static void on_done(void *user, int err, const struct dfu_smp_session_result *result)
{
	struct gateway *g = user;

	g->done = true;
	g->err = err;
	g->outcome = result->upgrade.outcome;
	snprintf(g->message, sizeof(g->message), "%s", result->message);
}

static const char *outcome_name(enum dfu_smp_upgrade_outcome outcome)
{
	switch (outcome) {
	case DFU_SMP_UPGRADE_CONFIRMED: return "confirmed";
	case DFU_SMP_UPGRADE_TESTING: return "testing";
	case DFU_SMP_UPGRADE_PENDING: return "pending";
	case DFU_SMP_UPGRADE_ALREADY_RUNNING: return "already running";
	case DFU_SMP_UPGRADE_ROLLED_BACK: return "rolled back";
	case DFU_SMP_UPGRADE_FAILED: return "failed";
	case DFU_SMP_UPGRADE_UP_TO_DATE: return "up to date";
	}
	return "?";
}

/* ---- the program's own I/O ---- */

/* Reads the whole of @p path into a new buffer. @return 0, or -errno. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		return -errno;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *bigger = realloc(buf, cap ? cap * 2 : 65536);

			if (!bigger) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = bigger;
			cap = cap ? cap * 2 : 65536;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0) {
			break;
		}
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*data = buf;
	*size = len;
	return 0;
}

/* A non-blocking UDP socket connected to "HOST:PORT" ("[v6]:PORT" for IPv6). @return fd or -1. */
static int open_socket(const char *addr)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t hlen;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res, *ai;
	int fd = -1, rc;

	if (!colon || colon == addr || !colon[1]) {
		fprintf(stderr, "gateway: '%s' is not HOST:PORT\n", addr);
		return -1;
	}
	hlen = (size_t)(colon - addr);
	if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		fprintf(stderr, "gateway: host name too long\n");
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "gateway: %s: %s\n", addr, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			break;
		}
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "gateway: %s: %s\n", addr, strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		fprintf(stderr, "gateway: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Every datagram waiting on the socket, to the SMP client. */
static void receive_all(struct gateway *g)
{
	static uint8_t rx[65536];

	for (;;) {
		ssize_t n = recv(g->fd, rx, sizeof(rx), 0);

		if (n >= 0) {
			dfu_smp_client_receive(&g->client, rx, (size_t)n);
		} else if (errno == EINTR) {
			continue;
		} else {
			/*
			 * Nothing more to read, or an ICMP error for an earlier datagram (the
			 * device's port was closed while it reset): the requests waiting will not
			 * be answered; the client's retries and the session's waits carry on.
			 */
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				dfu_smp_client_transport_error(&g->client, -errno);
			}
			return;
		}
	}
}

/* The loop: poll() until the session's next deadline or a datagram, then feed the session. */
static void run(struct gateway *g)
{
	while (!g->done) {
		uint64_t deadline = dfu_smp_session_deadline(&g->session);
		uint64_t now = now_ms();
		int timeout = -1;
		struct pollfd pfd = { .fd = g->fd, .events = POLLIN | (g->blocked ? POLLOUT : 0) };

		if (deadline != UINT64_MAX) {
			timeout = deadline <= now ? 0 : deadline - now > 60000 ? 60000
									 : (int)(deadline - now);
		}
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "gateway: poll: %s\n", strerror(errno));
			dfu_smp_session_abort(&g->session);
			break;
		}
		if (pfd.revents & POLLOUT) {
			g->blocked = false;
			dfu_smp_client_transport_ready(&g->client);
		}
		if (pfd.revents & (POLLIN | POLLERR)) {
			receive_all(g);
		}
		dfu_smp_session_process(&g->session, now_ms());
	}
}

int main(int argc, char **argv)
{
	static struct gateway g;
	static struct dfu_smp_image img;
	uint8_t *data = NULL, *buf;
	size_t size = 0, buf_len;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: gateway HOST:PORT IMAGE\n");
		return 2;
	}
	printf("libdfu-smp %s\n", dfu_smp_version());
	err = read_file(argv[2], &data, &size);
	if (err) {
		fprintf(stderr, "gateway: %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	if (dfu_smp_image_parse(&img, data, size) != 0) {
		fprintf(stderr, "gateway: %s: %s\n", argv[2], img.message);
		free(data);
		return 1;
	}
	g.fd = open_socket(argv[1]);
	if (g.fd < 0) {
		free(data);
		return 1;
	}
	g.max_request = GATEWAY_UDP_MTU;

	/* The client's clock is the program's: the monotonic one, in milliseconds. */
	const struct dfu_smp_transport transport = {
		.send = transport_send,
		.max_size = transport_max_size,
		.ctx = &g,
	};
	dfu_smp_client_init(&g.client, &transport, NULL);
	dfu_smp_client_process(&g.client, now_ms());

	/* UDP: the link stays up while the device resets; lost datagrams are sent again. */
	const struct dfu_smp_session_config cfg = { .link_stays_up = true, .retries = 3 };
	static const struct dfu_smp_session_ops ops = {
		.set_device_limits = on_device_limits,
		.step = on_step,
		.done = on_done,
	};
	dfu_smp_session_init(&g.session, &g.client, &cfg, &ops, &g);

	struct dfu_smp_upgrade_image image;
	struct dfu_smp_upgrade_config up = {
		.images = &image,
		.count = 1,
		.mode = DFU_SMP_UPGRADE_TEST_THEN_CONFIRM,
	};

	dfu_smp_upgrade_image_set(&image, &img, 0, argv[2]);
	buf_len = DFU_SMP_UPGRADE_REQUEST_BUF + DFU_SMP_UPLOAD_WINDOW_MAX * GATEWAY_UDP_MTU;
	buf = malloc(buf_len);
	err = buf ? dfu_smp_session_upgrade(&g.session, &up, buf, buf_len) : -ENOMEM;
	if (err == 0) {
		run(&g);
		err = g.err;
	}
	if (err == 0) {
		printf("upgraded: %s\n", outcome_name(g.outcome));
	} else {
		fprintf(stderr, "gateway: upgrade failed (%s): %s\n", strerror(-err),
			g.message[0] ? g.message : outcome_name(g.outcome));
	}
	close(g.fd);
	free(buf);
	free(data);
	return err == 0 ? 0 : 1;
}
