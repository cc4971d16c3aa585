/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `--conn udp:HOST[:PORT]`: SMP over UDP (transports.md (c)), one SMP message per datagram, to
 * port 1337 unless told otherwise. The socket is connected to the device, so answers are taken
 * from its address only and a closed port is reported (ICMP port unreachable).
 *
 * A lost datagram is only a missing answer: requests are sent again (conn->retries), which is
 * safe even for uploads, since each carries its offset. After a reset the device session waits
 * for the device with echoes (dfu-smp/dfu/session.h).
 *
 * A refusal (ICMP port unreachable, or host or network unreachable) before the device ever
 * answered means no SMP server listens there, and fails the request. Once the device has
 * answered, it means the device went away (it crashed, was power-cycled or restarted): the
 * link counts as down, the session asks for it back, and reconnecting sends echoes until the
 * device answers again, within the time the session gives.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/ports/conn.h>
#include <dfu-smp/ports/loop.h>
#include <dfu-smp/smp/header.h>

#define UDP_PORT_DEFAULT "1337"
/* Zephyr's CONFIG_MCUMGR_TRANSPORT_UDP_MTU default: a longer datagram is cut, answered rc 9. */
#define UDP_MTU 1500u
#define TRIES_DEFAULT 3u
/* Reconnecting: an echo, then a wait for its answer growing from the first to the longest. */
#define PROBE_WAIT_FIRST_MS 100u
#define PROBE_WAIT_MAX_MS 1000u

struct conn_udp {
	struct dfu_smp_conn conn;
	struct dfu_smp_client client;
	struct dfu_smp_port_fd pfd;
	size_t max_request; /* UDP_MTU, or the device's buffer when smaller */
	bool answered;      /* the device answered at least once */
	bool away;          /* since then, a datagram was refused: the device is gone for now */
	int refusal;        /* the errno that said so */
	char name[320];     /* "udp:HOST:PORT", for messages */
	uint8_t rx[DFU_SMP_MSG_MAX + 1];
};

_Static_assert(offsetof(struct conn_udp, conn) == 0, "conn_self() needs conn first");

/* The socket's errors that say nothing listens at the address now. */
static bool is_refusal(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH ||
	       err == EHOSTDOWN || err == ENETDOWN;
}

/*
 * A send or receive failed with @p err (an errno). A refusal after the device answered: it went
 * away, and the link counts as down until reconnecting finds it again (dfu_smp_conn's
 * connected() is false). @return true when that is what @p err says.
 */
static bool device_went_away(struct conn_udp *cu, int err)
{
	if (!cu->answered || !is_refusal(err)) {
		return false;
	}
	if (!cu->away) {
		dfu_smp_conn_logf(&cu->conn, "%s: %s: the device went away; waiting for it",
				  cu->name, strerror(err));
	}
	cu->away = true;
	cu->refusal = err;
	return true;
}

static void on_readable(void *ctx, short revents)
{
	struct conn_udp *cu = ctx;

	(void)revents;
	for (;;) {
		ssize_t n = recv(cu->pfd.fd, cu->rx, sizeof(cu->rx), 0);

		if (n >= 0) {
			cu->answered = true;
			dfu_smp_conn_packet_logf(&cu->conn, "received %zd bytes", n);
			cu->conn.stats.notifications++;
			cu->conn.stats.bytes_in += (uint64_t)n;
			dfu_smp_client_receive(&cu->client, cu->rx, (size_t)n);
			continue;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int err = errno;

			if (device_went_away(cu, err)) {
				return;
			}
			/* an ICMP error for an earlier datagram: what waits will not be answered */
			dfu_smp_conn_logf(&cu->conn, "%s", strerror(err));
			dfu_smp_client_transport_error(&cu->client, -err);
		}
		return;
	}
}

static int transport_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct conn_udp *cu = ctx;
	ssize_t n;

	if (len > cu->max_request) {
		return -EMSGSIZE;
	}
	do {
		n = send(cu->pfd.fd, msg, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && device_went_away(cu, errno)) {
		return -ENOTCONN;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		return -errno;
	}
	/* a datagram the host could not queue is lost like one lost on the way: tried again */
	if (n < 0) {
		dfu_smp_conn_logf(&cu->conn, "could not send %zu bytes: %s", len, strerror(errno));
	} else {
		dfu_smp_conn_packet_logf(&cu->conn, "sent %zu bytes", len);
	}
	cu->conn.stats.writes++;
	cu->conn.stats.bytes_out += len;
	return 0;
}

static size_t transport_max_size(void *ctx)
{
	return ((struct conn_udp *)ctx)->max_request;
}

/* ---- the connection ---- */

static int udp_run_until(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg,
			 uint64_t limit_ms)
{
	struct conn_udp *cu = dfu_smp_conn_self(conn);

	return dfu_smp_port_loop_run(&cu->client, &cu->pfd, 1, done, arg, limit_ms);
}

static void udp_set_device_limits(struct dfu_smp_conn *conn,
				  const struct dfu_smp_session_limits *limits)
{
	struct conn_udp *cu = dfu_smp_conn_self(conn);

	cu->max_request = limits->have_params && limits->buf_size < UDP_MTU ? limits->buf_size
									    : UDP_MTU;
}

/* An echo request of a sequence number of its own, to see whether the device is back. */
static size_t make_probe(uint8_t *buf, size_t cap)
{
	struct dfu_smp_request req;
	struct dfu_smp_hdr hdr;

	dfu_smp_request_init(&req, buf, cap);
	if (dfu_smp_mgmt_os_echo(&req, "up?") != 0) {
		return 0;
	}
	hdr = (struct dfu_smp_hdr){ .op = req.op, .version = 1, .len = (uint16_t)req.len, .group = req.group,
				    .seq = 0xff, .id = req.id };
	dfu_smp_hdr_encode(&hdr, buf);
	return DFU_SMP_HDR_SIZE + req.len;
}

/*
 * The device went away: an echo, then a wait for any datagram from it, each wait longer, until
 * one comes or @p timeout_ms has passed. What comes is dropped (it answers no request).
 */
static int udp_reconnect(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why, size_t why_cap)
{
	struct conn_udp *cu = dfu_smp_conn_self(conn);
	uint64_t limit = dfu_smp_port_now_ms() + timeout_ms;
	uint32_t wait = PROBE_WAIT_FIRST_MS;
	uint8_t probe[64];
	size_t probe_len = make_probe(probe, sizeof(probe));

	while (cu->away) {
		uint64_t now = dfu_smp_port_now_ms();
		uint64_t until = now + wait < limit ? now + wait : limit;
		struct pollfd p = { .fd = cu->pfd.fd, .events = POLLIN };

		if (now >= limit) {
			snprintf(why, why_cap, "%s did not answer again within %.1f s (%s)", cu->name,
				 (double)timeout_ms / 1000.0, strerror(cu->refusal));
			return -EHOSTUNREACH;
		}
		if (send(cu->pfd.fd, probe, probe_len, 0) < 0 && errno != EINTR &&
		    !is_refusal(errno) && errno != EAGAIN && errno != ENOBUFS) {
			snprintf(why, why_cap, "%s: %s", cu->name, strerror(errno));
			return -errno;
		}
		/* the whole wait, whether the socket reports a refusal at once or nothing */
		while ((now = dfu_smp_port_now_ms()) < until && cu->away) {
			if (dfu_smp_port_poll(&p, 1, until * 1000u) > 0 &&
			    recv(cu->pfd.fd, cu->rx, sizeof(cu->rx), 0) >= 0) {
				cu->away = false;
			}
		}
		wait = wait * 2u < PROBE_WAIT_MAX_MS ? wait * 2u : PROBE_WAIT_MAX_MS;
	}
	dfu_smp_conn_logf(conn, "%s answers again", cu->name);
	return 0;
}

static void udp_explain(struct dfu_smp_conn *conn, int err, size_t request_len, char *out,
			size_t cap)
{
	struct conn_udp *cu = dfu_smp_conn_self(conn);
	uint32_t timeout = dfu_smp_conn_timeout_ms(conn);

	switch (err) {
	case -EMSGSIZE:
		snprintf(out, cap, "request of %zu bytes is larger than %s takes (%zu bytes: %s)",
			 request_len, cu->name, cu->max_request,
			 cu->max_request < UDP_MTU ? "the device's SMP buffer"
						   : "Zephyr's UDP datagram limit");
		break;
	case -ETIMEDOUT:
		snprintf(out, cap, "no answer from %s within %.1f s (sent %u times; see "
			 "--timeout and --tries)", cu->name, (double)timeout / 1000.0,
			 conn->retries + 1u);
		break;
	case -ECONNREFUSED:
		snprintf(out, cap, "%s refused the request (ICMP port unreachable): no SMP server "
			 "listens there", cu->name);
		break;
	default:
		snprintf(out, cap, "%s: %s", cu->name, strerror(-err));
		break;
	}
}

static bool udp_connected(struct dfu_smp_conn *conn)
{
	return !((struct conn_udp *)dfu_smp_conn_self(conn))->away;
}

static void udp_close(struct dfu_smp_conn *conn)
{
	struct conn_udp *cu = dfu_smp_conn_self(conn);

	dfu_smp_client_cancel_all(&cu->client, -ECANCELED);
	if (cu->pfd.fd >= 0) {
		close(cu->pfd.fd);
	}
	free(cu);
}

static const struct dfu_smp_conn_ops udp_ops = {
	.name = "udp",
	.run_until = udp_run_until,
	.explain = udp_explain,
	.set_device_limits = udp_set_device_limits,
	.reconnect = udp_reconnect,
	.connected = udp_connected,
	.close = udp_close,
};

/* Splits HOST[:PORT], [IPV6]:PORT or a bare IPv6 address. @return 0 or -EINVAL. */
static int split_host_port(const char *arg, char *host, size_t host_cap, const char **port,
			   char *why, size_t why_cap)
{
	const char *end, *colon = strchr(arg, ':'), *spec = arg;
	size_t len;

	*port = UDP_PORT_DEFAULT;
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || (end[1] != '\0' && end[1] != ':')) {
			return -EINVAL;
		}
		arg++;
		if (end[1] == ':') {
			*port = end + 2;
		}
	} else if (colon && !strchr(colon + 1, ':')) {
		end = colon;
		*port = colon + 1;
	} else {
		end = arg + strlen(arg); /* no port, or an IPv6 address without brackets */
	}
	len = (size_t)(end - arg);
	if (len == 0 || len >= host_cap) {
		return -EINVAL;
	}
	memcpy(host, arg, len);
	host[len] = '\0';
	len = strspn(*port, "0123456789");
	if (len == 0 || (*port)[len] != '\0' || len > 5 || atol(*port) < 1 ||
	    atol(*port) > 65535) {
		snprintf(why, why_cap, "bad UDP address 'udp:%s': the port must be a number from 1 "
			 "to 65535, got '%s'", spec, *port);
		return -EINVAL;
	}
	return 0;
}

/* A non-blocking UDP socket connected to the first address of @p host that takes it. */
static int connect_socket(const char *host, const char *port, char *why, size_t why_cap)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list, *ai;
	int fd = -1, err = 0, gai;

	gai = getaddrinfo(host, port, &hints, &list);
	if (gai != 0) {
		snprintf(why, why_cap, "cannot resolve '%s': %s", host, gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(list);
	if (fd < 0) {
		snprintf(why, why_cap, "cannot reach %s port %s over UDP: %s", host, port,
			 strerror(err));
		return -err;
	}
	return fd;
}

int dfu_smp_conn_udp_open(const char *arg, const struct dfu_smp_conn_options *opt,
			  struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	struct dfu_smp_client_config client_cfg = dfu_smp_conn_client_config(opt);
	struct dfu_smp_transport transport = {
		.send = transport_send,
		.max_size = transport_max_size,
	};
	struct conn_udp *cu;
	const char *port;
	char host[256];
	int fd;

	why[0] = '\0';
	if (split_host_port(arg, host, sizeof(host), &port, why, why_cap) != 0) {
		if (!why[0]) {
			snprintf(why, why_cap,
				 "bad UDP address 'udp:%s': use udp:HOST[:PORT], with "
				 "an IPv6 address in brackets before a port (udp:[::1]:1337)%s",
				 arg, arg[0] ? "" : "; the HOST is missing");
		}
		return -EINVAL;
	}
	fd = connect_socket(host, port, why, why_cap);
	if (fd < 0) {
		return fd;
	}
	cu = calloc(1, sizeof(*cu));
	if (!cu) {
		close(fd);
		snprintf(why, why_cap, "out of memory");
		return -ENOMEM;
	}
	snprintf(cu->name, sizeof(cu->name), strchr(host, ':') ? "udp:[%s]:%s" : "udp:%s:%s",
		 host, port);
	cu->max_request = UDP_MTU;
	cu->pfd = (struct dfu_smp_port_fd){
		.fd = fd, .events = POLLIN, .ready = on_readable, .ctx = cu
	};
	transport.ctx = cu;
	dfu_smp_client_init(&cu->client, &transport, &client_cfg);
	dfu_smp_client_process(&cu->client,
			       dfu_smp_port_now_ms()); /* its clock is the monotonic one */
	dfu_smp_conn_init(&cu->conn, &udp_ops, &cu->client, opt);
	cu->conn.retries = (uint8_t)((opt->tries ? opt->tries : TRIES_DEFAULT) - 1u);
	cu->conn.link_stays_up = true;
	*out = &cu->conn;
	return 0;
}
