/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every dfu-smp command shares: the connection, buffers, the exchange of one request,
 * error reporting, and output as text or as one JSON document (--json). The commands are a
 * library of their own, run by cli_run() from two programs: dfu-smp (real devices, through
 * ports/) and dfu-smp-sim (its simulated device, through the hooks of struct cli).
 */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <dfu-smp/dfu/session.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/ports/conn.h>
#include <dfu-smp/smp/client.h>
#include "args.h"

/**
 * Exit statuses; tools/help.c's cli_help_exits describes each for --help, the man page and the
 * README. With --json, a failure is {"error": {"kind": CLI_KIND_*, "code": ..., "message": ...}}.
 */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,  /**< the exchange or the device failed */
	CLI_EXIT_USAGE = 2, /**< the command line is wrong */
	CLI_EXIT_LINK = 3,  /**< the device was not found, the link failed or nothing answered */
	CLI_EXIT_IMAGE = 4, /**< the image file cannot be read or is no valid MCUboot image */
	CLI_EXIT_ROLLED_BACK = 5, /**< after the reset the device went back to the old image */
	CLI_EXIT_ABORTED = 130, /**< interrupted (SIGINT): the run was aborted */
};

/*
 * The kinds of a --json error: "usage", "link" (not found, cannot open, no answer, timeout),
 * "device" (the device answered with an error: code is its name), "image" (the file is no
 * valid image), "rolled-back", "interrupted", "refused" (a check before sending refused it),
 * "failed" (anything else that went wrong in the exchange).
 */
#define CLI_KIND_USAGE "usage"
#define CLI_KIND_LINK "link"
#define CLI_KIND_DEVICE "device"
#define CLI_KIND_IMAGE "image"
#define CLI_KIND_ROLLED_BACK "rolled-back"
#define CLI_KIND_INTERRUPTED "interrupted"
#define CLI_KIND_REFUSED "refused"
#define CLI_KIND_FAILED "failed"

/**
 * The device session of a run (dfu-smp/dfu/session.h), driven by the connection's event loop
 * (tools/session.c): one job at a time, learning the limits, an upload or an upgrade.
 */
struct cli_session {
	struct dfu_smp_session session;
	bool ready;        /**< set up on this run's connection */
	/** for the command running a job: what it hears of (each may be NULL) */
	void (*step)(void *user, enum dfu_smp_upgrade_step step, const char *detail);
	void (*progress)(void *user, const struct dfu_smp_upload_progress *progress);
	/** the link was lost during @p step; it is being got back */
	void (*lost)(void *user, enum dfu_smp_upgrade_step step);
	void *user;
	/** when it becomes non-zero (a signal handler sets it), the job is aborted */
	const volatile sig_atomic_t *stop;
	/** how the last job ended */
	int err;
	struct dfu_smp_session_result result;
	/* private to tools/session.c */
	struct dfu_smp_session_ops ops;
	bool done;
	bool reconnect;
	enum dfu_smp_session_reconnect reconnect_why;
	uint32_t reconnect_ms;
	bool link_up;
	uint64_t limit_ms;
};

/** The kinds of connection dfu-smp knows, for messages. */
#define CLI_CONN_KINDS \
	"udp:HOST[:PORT], serial:PATH[@BAUD][?framing=raw|cobs], ble:ADDRESS or ble:name=NAME"

/** The environment variable naming the connection when --conn is not given. */
#define CLI_CONN_ENV "DFU_SMP_CONN"

/** The program that has the simulated device, for messages. */
#define CLI_SIM_PROGRAM "dfu-smp-sim"

/** The first line of human output on a simulated device (struct cli's simulated). */
#define CLI_SIMULATED_LINE "simulated device (dfu-smp-sim, virtual time)"

struct dfu_smp_upload_result;
struct dfu_smp_image;
struct package;
struct progress;

/** The state of one run of dfu-smp. */
struct cli {
	const char *prog;
	/** --conn, else DFU_SMP_CONN; NULL when neither is given (a command that needs a device
	 * then fails as a usage error) */
	const char *conn_spec;
	const char *what; /**< the command, for messages: "image list" */
	struct dfu_smp_conn_options opt;
	bool json;
	bool quiet; /**< -q: errors only, no progress */
	/** --reboot-timeout: how long a reset device has to come back; 0: 60 s */
	uint32_t reboot_timeout_ms;
	struct dfu_smp_conn *conn;
	struct cli_session session;
	uint8_t *req_buf; /**< DFU_SMP_MSG_MAX bytes */
	uint8_t *rsp_buf; /**< DFU_SMP_MSG_MAX bytes */
	struct dfu_smp_request req;

	/* set by the program before cli_run() */
	/**
	 * Open the connection to the program's own device instead of dfu_smp_conn_open(conn_spec): --conn
	 * and DFU_SMP_CONN are then not taken. Arguments and return as dfu_smp_conn_open()'s, with the
	 * options in cli->opt. NULL for dfu-smp.
	 */
	int (*open)(struct cli *cli, struct dfu_smp_conn **out, char *why, size_t why_cap);
	/**
	 * The device is simulated, and every output says so: human output starts with
	 * CLI_SIMULATED_LINE once connected (stderr lines start with the program's name), and
	 * every JSON document, errors included, has "simulated": true first.
	 */
	bool simulated;
	/**
	 * Add to an upload's result what only the program knows (dfu-smp-sim: how close it came
	 * to its profile's bound): members of the upload's JSON object @p doc, or with @p doc
	 * NULL lines on stdout. NULL for nothing.
	 */
	void (*upload_report)(const struct cli *cli, const struct dfu_smp_upload_result *result,
			      json_t *doc);
	void *user; /**< the program's, for its hooks */

	/* set by a fleet running the command on one of its devices (tools/fleet.c) */
	/**
	 * Told of each phase of a long command and of its transfer (tools/progress.h's watch),
	 * which then prints no progress of its own; NULL for none.
	 */
	void (*watch)(void *user, const struct progress *p);
	void *watch_user;
	/**
	 * When set, the program handles SIGINT: cli_run() and the jobs install no handler, and a
	 * job is aborted once *stop is non-zero.
	 */
	const volatile sig_atomic_t *stop;
	/** upgrade: this package, read and checked once for every device, instead of FILE's */
	const struct package *files;
};

/**
 * One argument or option of a command, for its --help, the man page and the shell completion
 * (tools/help.c, tools/man.c, tools/completion.c).
 */
struct cli_arg {
	const char *name;  /**< "--image" (an option) or "FILE" (an argument) */
	const char *value; /**< what an option takes ("N"); NULL for a flag or an argument */
	const char *help;  /**< what it is, in sentences, not wrapped */
	bool path;         /**< it (or its value) is a local file name */
};

/** One command: `dfu-smp [GROUP] NAME ARGS...`. */
struct cli_command {
	const char *group; /**< "image", ...; NULL for a top-level command */
	const char *name;
	const char *args;  /**< usage of its arguments */
	const char *help;
	int (*run)(struct cli *cli, int argc, char **argv);
	/** its arguments go to the device as text: one that is a global option needs '--' first */
	bool verbatim;
	/** every argument and option in args, described; ended by an entry with a NULL name */
	const struct cli_arg *params;
	/** more about it for its --help and the man page (sentences, not wrapped), or NULL */
	const char *more;
};

/**
 * Run one command line, argv[1..@p argc) (argv[0] is not read): global options, then the
 * command and its arguments (a last --json is the global option; another global option
 * after the command is a usage error; the first '--' after it is taken out and what follows
 * goes to the command as it is). Prints the answer, or why it failed, and closes the
 * connection. @p cli: prog and the program's hooks set, the rest zero.
 * @return the exit status (CLI_EXIT_*).
 */
int cli_run(struct cli *cli, int argc, char **argv);

/** The command lists below, in the order --help shows them, ended by NULL. */
extern const struct cli_command *const cli_tables[];

/** The commands of each file, each list ended by an entry with a NULL name. */
extern const struct cli_command cli_os_commands[];
extern const struct cli_command cli_image_commands[];
extern const struct cli_command cli_stat_commands[];
extern const struct cli_command cli_settings_commands[];
extern const struct cli_command cli_fs_commands[];
extern const struct cli_command cli_shell_commands[];
extern const struct cli_command cli_enum_commands[];
extern const struct cli_command cli_basic_commands[];
extern const struct cli_command cli_raw_commands[];
extern const struct cli_command cli_upgrade_commands[];
extern const struct cli_command cli_inspect_commands[];
extern const struct cli_command cli_fleet_commands[];

struct dfu_smp_mgmt_cbor_writer;

/**
 * The request body of `raw`: write @p json as CBOR with @p w (objects as maps, strings
 * written h'HEX' as byte strings, numbers, booleans and null as themselves).
 * @return 0, or -1 with @p why set to a message for the user (a static string) when the JSON
 *         nests too deeply, a h'...' string holds no hex or memory ran out. Whether it fitted
 *         is the writer's `overflow`.
 */
int cli_raw_to_cbor(struct dfu_smp_mgmt_cbor_writer *w, const json_t *json, const char **why);

/**
 * Print a one-line usage error naming the command, and with --json also
 * {"error": {"kind": "usage", "code": 2, "message": ...}} on stdout. @return CLI_EXIT_USAGE.
 */
int cli_usage(struct cli *cli, const char *fmt, ...);

/**
 * Print a one-line failure ("dfu-smp: image list: ..."), and with --json also
 * {"error": {"kind": "failed", "code": 1, "message": ...}} on stdout. @return CLI_EXIT_FAIL.
 */
int cli_fail(struct cli *cli, const char *fmt, ...);

/**
 * cli_fail() with the exit status @p status and the JSON error's kind @p kind (CLI_KIND_*;
 * its code is @p status). @return @p status.
 */
int cli_fail_as(struct cli *cli, int status, const char *kind, const char *fmt, ...);

/**
 * The exit status and kind (CLI_KIND_*) of a failure of the link or the exchange with the
 * negative errno @p err: -EMSGSIZE and -E2BIG (a request the link or the device cannot take)
 * are refusals (CLI_EXIT_FAIL), anything else a failed link (CLI_EXIT_LINK).
 */
int cli_link_status(int err, const char **kind);

/** A fresh request on the CLI's buffer, for a mgmt/ builder. */
struct dfu_smp_request *cli_request(struct cli *cli);

/**
 * Build failed (the request does not fit an SMP message): report it. @return CLI_EXIT_FAIL.
 */
int cli_too_large(struct cli *cli);

/**
 * Requests up to this many bytes fit every device: Zephyr's default SMP buffer (384) less the
 * serial framing. Before a longer one goes out, the device's own limit is learnt.
 */
#define CLI_REQUEST_FITS_ANY 380u

/**
 * Connect if needed and learn, once, what the device and the link take (the device session's
 * dfu_smp_session_learn_limits(); kept in cli->conn->limits too).
 * @return 0 with *@p limits set, or an exit status after reporting why it failed.
 */
int cli_limits(struct cli *cli, const struct dfu_smp_session_limits **limits);

/**
 * Connect if needed and make the device session ready for a job (cli->session.session):
 * set up on the connection, its clock brought to now, the last job's end forgotten.
 * @return 0, or an exit status after reporting why it failed.
 */
int cli_session_begin(struct cli *cli);

/**
 * Run the job just started on cli->session.session to its end, the connection's event loop
 * pumping it: reconnect when it asks, tell it when the link drops, abort it when
 * *cli->session.stop becomes non-zero. The end is in cli->session.err and .result.
 */
void cli_session_run(struct cli *cli);

/**
 * Connect if needed, send @p req and wait for its answer (in cli->rsp_buf). A request longer
 * than CLI_REQUEST_FITS_ANY or than one write waits until the device's limits are known, so
 * that one it cannot take is refused with its limit named (and one that goes out split across
 * writes, where the device reassembles, is sent); a version 1 request the device refuses is
 * sent again as version 2.
 * @return 0, or an exit status after reporting why it failed.
 */
int cli_exchange(struct cli *cli, struct dfu_smp_request *req, struct dfu_smp_client_rsp *rsp);

/**
 * cli_exchange() for a request that keeps the device at work a while (an erase, a reset):
 * sent once, never again (a second erase starts over, a second reset resets again), and
 * waited for @p wait_ms, at least --timeout. A timeout says the device may still be at work.
 * @return 0, or an exit status after reporting why it failed.
 */
int cli_exchange_once(struct cli *cli, struct dfu_smp_request *req, struct dfu_smp_client_rsp *rsp,
		      uint32_t wait_ms);

/**
 * An erase is waited for as long as a slow flash takes, this many ms a 4 KiB page (nRF52840
 * takes 85 ms, nRF5340 88 ms; some parts of other makers take 200 ms and more)...
 */
#define CLI_ERASE_MS_PER_PAGE DFU_SMP_UPGRADE_ERASE_MS_PER_PAGE

/** ...and never less than this (60 s: a slot of 960 KiB), where the size is not known. */
#define CLI_ERASE_WAIT_MIN_MS 60000u

/** How long an erase of @p bytes (0: unknown) is waited for (see CLI_ERASE_MS_PER_PAGE). */
uint32_t cli_erase_wait_ms(uint64_t bytes);

/**
 * Send the request in cli->req for a command whose answer carries nothing but its outcome:
 * on success print @p done (text) or @p doc (JSON; stolen either way).
 * @return 0 or an exit status after reporting why it failed.
 */
int cli_simple(struct cli *cli, const char *done, json_t *doc);

/** cli_simple() with the request sent once and waited for @p wait_ms (cli_exchange_once()). */
int cli_simple_once(struct cli *cli, uint32_t wait_ms, const char *done, json_t *doc);

/**
 * Connect if needed (a usage error when no connection was given). On a simulated device, the
 * human output's first line says so. @return 0 or an exit status after reporting why.
 */
int cli_connect(struct cli *cli);

/**
 * Report a decoder's failure: the device's error (name, code, explanation) or what was
 * malformed; with --json also as {"error": {...}} on stdout. @return CLI_EXIT_FAIL.
 */
int cli_reply_failed(struct cli *cli, const struct dfu_smp_mgmt_reply *reply);

/** cli_reply_failed() with @p context (e.g. "during upload") added to the line, or NULL. */
int cli_reply_failed_in(struct cli *cli, const struct dfu_smp_mgmt_reply *reply,
			const char *context);

/** The --json error object ({"kind": "device", "code": ...}) of the device's error @p reply. */
json_t *cli_reply_error_json(const struct dfu_smp_mgmt_reply *reply);

/**
 * cli_reply_failed_in() where the command knows better what the device's error means here:
 * @p instead (NULL: the error's own explanation) is said, followed by the error's name and rc.
 */
int cli_reply_failed_say(struct cli *cli, const struct dfu_smp_mgmt_reply *reply,
			 const char *instead, const char *context);

/**
 * Print @p doc (stolen) as the run's JSON document; on a simulated device with
 * "simulated": true first (a document that is no object goes under "value").
 * @return CLI_EXIT_OK.
 */
int cli_print_json(struct cli *cli, json_t *doc);

/**
 * Read the whole file @p path into memory the caller frees.
 * @return 0, or a negative errno (errno's meaning) after which *data is NULL.
 */
int cli_read_file(const char *path, uint8_t **data, size_t *size);

/**
 * Read the image file @p path (cli_read_file()), saying why it cannot be read: a directory, a
 * missing file. @return 0 with *@p data (the caller frees it) and *@p size set, or
 * CLI_EXIT_IMAGE after reporting why (*@p data NULL).
 */
int cli_read_image(struct cli *cli, const char *path, uint8_t **data, size_t *size);

/**
 * Check the image @p data (@p size bytes, named @p name in messages) offline as MCUboot would
 * take it (dfu_smp_image_parse() into @p img, which borrows @p data) and, with @p key (a PEM
 * file's path, or NULL), its signature. @return 0, or CLI_EXIT_IMAGE (CLI_EXIT_USAGE for an
 * unreadable key) after saying why, ending with "nothing was sent".
 */
int cli_check_image(struct cli *cli, const char *name, const uint8_t *data, size_t size,
		    const char *key, struct dfu_smp_image *img);

/**
 * What an image file that does not parse is instead, with what to give: an Intel HEX file
 * (':' first) or an ELF file; NULL when it is neither. A static string.
 */
const char *cli_image_format_hint(const uint8_t *data, size_t size);

/** Bytes as lower-case hex, NUL-terminated in @p out (2 * @p n + 1 bytes). */
void cli_hex(const uint8_t *data, size_t n, char *out);

/** Bytes as a JSON hex string. */
json_t *cli_json_hex(const uint8_t *data, size_t n);

/** Parse hex (even length, no prefix) into @p out. @return the byte count, or -1. */
long cli_parse_hex(const char *hex, uint8_t *out, size_t cap);


/** True when @p data is printable UTF-8-ish text (no control bytes but tab/newline). */
bool cli_is_text(const uint8_t *data, size_t n);

#endif /* TOOLS_CLI_H */
