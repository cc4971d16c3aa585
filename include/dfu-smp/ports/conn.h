/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection to a device, whatever carries it: the SMP client on top, the transport and
 * the event loop below. dfu_smp_conn_open() makes the real ones, as `--conn` strings select:
 *   udp:HOST[:PORT]     SMP over UDP, one message per datagram (port 1337 by default);
 *                       an IPv6 address with a port goes in brackets: udp:[::1]:1337
 *   serial:PATH[@BAUD]  SMP console framing on a serial port (115200 baud by default)
 *   ble:ADDRESS         a BLE device through BlueZ (D-Bus), by address (AA:BB:CC:DD:EE:FF)
 *   ble:name=NAME       ... or by the name it advertises
 * Other kinds (a device modelled in this process) provide struct dfu_smp_conn_ops of their own.
 *
 * Each kind's own struct begins with its struct dfu_smp_conn (C11 6.7.2.1: a pointer to a struct,
 * converted, points to its first member and back): dfu_smp_conn_self() turns the one into the other.
 */
#ifndef DFU_SMP_PORTS_CONN_H
#define DFU_SMP_PORTS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/dfu/session.h>
#include <dfu-smp/smp/client.h>

/** How to connect; zero fields take the defaults. */
struct dfu_smp_conn_options {
	uint16_t mtu;        /**< BLE: the ATT MTU to ask for (23..517); default 517 */
	uint32_t timeout_ms; /**< response timeout per request; default 10 s */
	int verbose;         /**< 1: log the steps to stderr; 2: also each packet */
	/** Protocol version to send: 0 (version 2, following the device down to 1), 1 or 2. */
	uint8_t smp_version;
	/**
	 * UDP, serial: times a request is sent in all when no answer comes, every try within
	 * timeout_ms; 0 for the default 3
	 */
	uint8_t tries;
	/** serial: longest line, marker and newline included; 0 for the default 127 */
	uint16_t serial_line_max;
	/** serial: lines the device buffers, sent back to back before a pause; 0 for 2 */
	uint16_t serial_lines;
	/** BLE: the BlueZ adapter to use (hci0, hci1...); NULL for the first one */
	const char *adapter;
};

/** What crossed the link so far, for logs and tests. */
struct dfu_smp_conn_stats {
	uint64_t writes;        /**< transport units sent (BLE writes, datagrams, serial packets) */
	uint64_t notifications; /**< transport units received */
	uint64_t bytes_out;     /**< SMP bytes sent */
	uint64_t bytes_in;      /**< SMP bytes received */
	uint16_t mtu;           /**< BLE: the ATT MTU in use; 0 elsewhere */
	/** bytes on air both ways, every packet's overhead included, where the link is modelled
	 * and knows them; 0 elsewhere */
	uint64_t air_bytes;
	/** requests the device dropped for want of a buffer, where the device is modelled and
	 * says so; 0 elsewhere */
	uint32_t device_dropped;
};

struct dfu_smp_conn;

/** What each kind of connection provides. */
struct dfu_smp_conn_ops {
	/** The kind, as -v log lines name it ("udp", "serial", "ble"...). */
	const char *name;
	/**
	 * Run the event loop until @p done(@p arg) is true. @return 0 or a negative errno.
	 * NULL: run_until() without a limit, stopping with -ETIMEDOUT once nothing is left that
	 * could make @p done true (the client has nothing waiting and sending() is false).
	 */
	int (*run)(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg);
	/**
	 * True while bytes the client handed over still wait to go out on the link; NULL where
	 * a send leaves nothing behind.
	 */
	bool (*sending)(struct dfu_smp_conn *conn);
	/**
	 * Run the event loop until @p done(@p arg) is true or this connection's clock reaches
	 * @p limit_ms, serving the link all the while, even when no request waits.
	 * @return 0 when done, -ETIMEDOUT at the limit, or another negative errno.
	 */
	int (*run_until)(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg,
			 uint64_t limit_ms);
	/** Explain @p err from a request of @p request_len bytes, in one line. */
	void (*explain)(struct dfu_smp_conn *conn, int err, size_t request_len, char *out,
			size_t cap);
	/**
	 * Add what only the kind knows to @p out, which holds struct dfu_smp_conn's stats already (the
	 * ATT MTU, a modelled link's air bytes...); NULL where there is nothing to add.
	 */
	void (*stats)(struct dfu_smp_conn *conn, struct dfu_smp_conn_stats *out);
	/**
	 * BLE: split requests up to @p max bytes across writes (the device reassembles them);
	 * 0 turns it off. NULL where a request is always one unit.
	 */
	void (*set_reassembly)(struct dfu_smp_conn *conn, size_t max);
	/**
	 * The device's MCUmgr parameters are known (@p limits->have_params, buf_size): size
	 * requests by them from now on. NULL where the link alone decides.
	 */
	void (*set_device_limits)(struct dfu_smp_conn *conn,
				  const struct dfu_smp_session_limits *limits);
	/**
	 * Get the link back: BLE: if it is still up, first wait (within @p timeout_ms) until it
	 * drops, as it does when a device resets; then find the device, connect and set the link
	 * up as the first time, retrying with growing pauses until @p timeout_ms has passed.
	 * Serial: open the port again if it hung up. UDP: when datagrams were refused after the
	 * device had answered (it went away), send echoes until it answers again within
	 * @p timeout_ms; otherwise nothing to do. Whether the device answers is otherwise the
	 * device session's business (dfu-smp/dfu/session.h).
	 * @return 0, or a negative errno with @p why set.
	 */
	int (*reconnect)(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why, size_t why_cap);
	/** True while the link is up. */
	bool (*connected)(struct dfu_smp_conn *conn);
	/**
	 * The current time on this connection's clock (virtual for a modelled link), in
	 * microseconds; NULL for the wall clock (dfu_smp_port_now_us()).
	 */
	uint64_t (*now_us)(struct dfu_smp_conn *conn);
	void (*close)(struct dfu_smp_conn *conn);
};

/** A connection; made by dfu_smp_conn_open(), freed by dfu_smp_conn_close(). Set up by dfu_smp_conn_init(). */
struct dfu_smp_conn {
	const struct dfu_smp_conn_ops *ops;
	struct dfu_smp_client *client;
	struct dfu_smp_conn_options opt;
	/** what crossed the link so far: the kind counts into it */
	struct dfu_smp_conn_stats stats;
	/** when the connection was made, on its clock (dfu_smp_conn_now_us()): -v lines count from it */
	uint64_t t0_us;
	/** what the device and the link take, once learned (tools/ learns them) */
	bool limits_known;
	struct dfu_smp_session_limits limits;
	/** the link stays up while the device resets (UDP, serial); BLE drops it */
	bool link_stays_up;
	/** lossy links: times dfu_smp_conn_transact() sends a request again when no answer comes */
	uint8_t retries;
	/** requests the link lets wait at the device at once, whatever its buffers; 0: no limit */
	unsigned window_max;
	/**
	 * the size of request the link carries best, below the largest it takes (uploads are cut
	 * to it: whole batches of lines on a pseudo-terminal); 0: the largest
	 */
	size_t request_best;
};

/**
 * Connect as @p spec says.
 * @return 0 with *@p out set; -EINVAL when @p spec is not a valid connection string (a usage
 *         error); another negative errno when connecting failed. @p why gets a one-line reason.
 */
DFU_SMP_API int dfu_smp_conn_open(const char *spec, const struct dfu_smp_conn_options *opt,
				  struct dfu_smp_conn **out, char *why, size_t why_cap);

/** Close and free @p conn. */
DFU_SMP_API void dfu_smp_conn_close(struct dfu_smp_conn *conn);

/** The SMP client of @p conn. */
DFU_SMP_API struct dfu_smp_client *dfu_smp_conn_client(struct dfu_smp_conn *conn);

/** Run the event loop until @p done(@p arg). @return 0 or a negative errno. */
DFU_SMP_API int dfu_smp_conn_run(struct dfu_smp_conn *conn, bool (*done)(void *arg), void *arg);

/** See struct dfu_smp_conn_ops.run_until. */
DFU_SMP_API int dfu_smp_conn_run_until(struct dfu_smp_conn *conn, bool (*done)(void *arg),
				       void *arg, uint64_t limit_ms);

/**
 * Send @p req and wait for its answer. The response's payload is copied to @p rsp_buf
 * (@p cap bytes) and described by @p rsp. @p req's callback is set by this call. On lossy
 * links (conn->retries) a request that sets no retries of its own is sent up to
 * conn->retries more times, its timeout shared evenly between the tries.
 * @return 0, or the request's error (-ETIMEDOUT, -EMSGSIZE, ...; -ENOBUFS if the response
 *         does not fit @p rsp_buf).
 */
DFU_SMP_API int dfu_smp_conn_transact(struct dfu_smp_conn *conn, struct dfu_smp_request *req,
				      uint8_t *rsp_buf, size_t cap, struct dfu_smp_client_rsp *rsp);

/**
 * dfu_smp_conn_transact() with @p req's own timeout and retries only: never sent again because the
 * link is lossy, for a request that must not reach the device twice unawares.
 */
DFU_SMP_API int dfu_smp_conn_transact_once(struct dfu_smp_conn *conn, struct dfu_smp_request *req,
					   uint8_t *rsp_buf, size_t cap,
					   struct dfu_smp_client_rsp *rsp);

/** What crossed the link so far. */
DFU_SMP_API void dfu_smp_conn_stats(struct dfu_smp_conn *conn, struct dfu_smp_conn_stats *out);

/**
 * Explain @p err from a request of @p request_len bytes on @p conn, in one line, in @p out (of
 * @p cap bytes). A timeout also says how many messages came back that answered nothing asked
 * (malformed, or for another request), since they show the device did speak.
 */
DFU_SMP_API void dfu_smp_conn_explain(struct dfu_smp_conn *conn, int err, size_t request_len,
				      char *out, size_t cap);

/** See struct dfu_smp_conn_ops.reconnect. */
DFU_SMP_API int dfu_smp_conn_reconnect(struct dfu_smp_conn *conn, uint32_t timeout_ms, char *why,
				       size_t why_cap);

/**
 * True while bytes handed to @p conn still wait to go out on the link (a serial port pacing
 * its lines): the link has work of its own though no request may be timing yet.
 */
DFU_SMP_API bool dfu_smp_conn_sending(struct dfu_smp_conn *conn);

/** True while the link is up. */
DFU_SMP_API bool dfu_smp_conn_connected(struct dfu_smp_conn *conn);

/** The connection's clock in ms (virtual time on a modelled link). */
DFU_SMP_API uint64_t dfu_smp_conn_now_ms(struct dfu_smp_conn *conn);

/** The connection's clock in microseconds (virtual time on a modelled link). */
DFU_SMP_API uint64_t dfu_smp_conn_now_us(struct dfu_smp_conn *conn);

/** How long a request waits for its answer: --timeout, or the client's default. */
DFU_SMP_API uint32_t dfu_smp_conn_timeout_ms(const struct dfu_smp_conn *conn);

/* ---- for the kinds of connection ---- */

/**
 * The kind's own struct that @p conn begins: each kind's struct has its struct dfu_smp_conn as its
 * first member, so the pointer converts both ways.
 * @return @p conn, as a pointer to its kind's struct.
 */
DFU_SMP_API void *dfu_smp_conn_self(struct dfu_smp_conn *conn);

/** The SMP client's configuration @p opt asks for (timeout, protocol version). */
DFU_SMP_API struct dfu_smp_client_config dfu_smp_conn_client_config(
	const struct dfu_smp_conn_options *opt);

/**
 * Set up @p conn, the first member of a kind's struct: its @p ops, the SMP @p client it
 * drives (caller-owned, already initialised), a copy of @p opt, zero stats, and the time it
 * starts from (@p ops' clock, which must be ready to read).
 */
DFU_SMP_API void dfu_smp_conn_init(struct dfu_smp_conn *conn, const struct dfu_smp_conn_ops *ops,
				   struct dfu_smp_client *client,
				   const struct dfu_smp_conn_options *opt);

/**
 * With -v (@p conn->opt.verbose at least 1), log one line on stderr (dfu-smp/ports/log.h): the time
 * since the connection was made, the kind's name, then @p fmt formatted as printf() does.
 */
DFU_SMP_API void dfu_smp_conn_logf(struct dfu_smp_conn *conn, const char *fmt, ...);

/**
 * dfu_smp_conn_logf() for a packet sent or received, logged with -vv only (@p conn->opt.verbose at
 * least 2): -v logs the steps.
 */
void dfu_smp_conn_packet_logf(struct dfu_smp_conn *conn, const char *fmt, ...);

/**
 * A device told to reset answers first and drops the link a little later: run @p conn until
 * its link is down, by @p limit_ms on its clock. Does nothing when the link is down already.
 * @return 0; -ETIMEDOUT with @p why saying that the link was still up after @p timeout_ms.
 */
DFU_SMP_API int dfu_smp_conn_await_drop(struct dfu_smp_conn *conn, uint64_t limit_ms,
					uint32_t timeout_ms, char *why, size_t why_cap);

/* Each kind of connection. */
DFU_SMP_API int dfu_smp_conn_udp_open(const char *arg, const struct dfu_smp_conn_options *opt,
				      struct dfu_smp_conn **out, char *why, size_t why_cap);
DFU_SMP_API int dfu_smp_conn_serial_open(const char *arg, const struct dfu_smp_conn_options *opt,
					 struct dfu_smp_conn **out, char *why, size_t why_cap);
DFU_SMP_API int dfu_smp_conn_ble_open(const char *arg, const struct dfu_smp_conn_options *opt,
				      struct dfu_smp_conn **out, char *why, size_t why_cap);

#endif /* DFU_SMP_PORTS_CONN_H */
