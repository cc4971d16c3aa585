/*
 * A connection to a device, whatever carries it: the SMP client on top, the transport and
 * the event loop below. `--conn` strings select the kind:
 *   sim          the built-in simulated device over a simulated BLE link (virtual time)
 */
#ifndef PORTS_CONN_H
#define PORTS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../smp/client.h"

/** How to connect; zero fields take the defaults. */
struct conn_options {
	uint16_t mtu;        /**< BLE: the ATT MTU to ask for (23..517); default 517 */
	uint32_t timeout_ms; /**< response timeout per request; default 10 s */
	int verbose;         /**< log each write and notification to stderr */
	/** sim: host directory keeping the simulated device's state across runs, or NULL */
	const char *sim_state;
};

/** What crossed the link so far, for logs and tests. */
struct conn_stats {
	uint64_t writes;        /**< transport units sent (BLE writes, datagrams, serial packets) */
	uint64_t notifications; /**< transport units received */
	uint64_t bytes_out;     /**< SMP bytes sent */
	uint64_t bytes_in;      /**< SMP bytes received */
	uint16_t mtu;           /**< BLE: the ATT MTU in use; 0 elsewhere */
};

struct conn;

/** What each kind of connection provides. */
struct conn_ops {
	/** Run the event loop until @p done(@p arg) is true. @return 0 or a negative errno. */
	int (*run)(struct conn *conn, bool (*done)(void *arg), void *arg);
	/** Explain @p err from a request of @p request_len bytes, in one line. */
	void (*explain)(struct conn *conn, int err, size_t request_len, char *out, size_t cap);
	void (*stats)(struct conn *conn, struct conn_stats *out);
	void (*close)(struct conn *conn);
};

/** A connection; made by conn_open(), freed by conn_close(). */
struct conn {
	const struct conn_ops *ops;
	struct smp_client *client;
};

/**
 * Connect as @p spec says.
 * @return 0 with *@p out set; -EINVAL when @p spec is not a valid connection string (a usage
 *         error); another negative errno when connecting failed. @p why gets a one-line reason.
 */
int conn_open(const char *spec, const struct conn_options *opt, struct conn **out, char *why,
	      size_t why_cap);

/** Close and free @p conn. */
void conn_close(struct conn *conn);

/** The SMP client of @p conn. */
struct smp_client *conn_client(struct conn *conn);

/** Run the event loop until @p done(@p arg). @return 0 or a negative errno. */
int conn_run(struct conn *conn, bool (*done)(void *arg), void *arg);

/**
 * Send @p req and wait for its answer. The response's payload is copied to @p rsp_buf
 * (@p cap bytes) and described by @p rsp. @p req's callback is set by this call.
 * @return 0, or the request's error (-ETIMEDOUT, -EMSGSIZE, ...; -ENOBUFS if the response
 *         does not fit @p rsp_buf).
 */
int conn_transact(struct conn *conn, struct smp_request *req, uint8_t *rsp_buf, size_t cap,
		  struct smp_client_rsp *rsp);

/** What crossed the link so far. */
void conn_stats(struct conn *conn, struct conn_stats *out);

/** Explain @p err from a request of @p request_len bytes on @p conn, in one line. */
void conn_explain(struct conn *conn, int err, size_t request_len, char *out, size_t cap);

/* Each kind of connection. */
int conn_sim_open(const char *arg, const struct conn_options *opt, struct conn **out, char *why,
		  size_t why_cap);

#endif /* PORTS_CONN_H */
