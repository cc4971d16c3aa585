/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device session, sans I/O: what a client does with one device beyond single requests,
 * over any link and under any event loop.
 *
 *   - It learns what the device and the link take: the device's MCUmgr parameters (SMP buffer
 *     size and count; a device without them is "unknown") and, on links where that buffer is
 *     longer than one write, whether the device reassembles a request split across writes (an
 *     echo just longer than one write: answered means yes, DFU_SMP_MGMT_ERR_ECORRUPT or silence no).
 *   - It runs an image upload (dfu/upload.c) or a whole upgrade (dfu/upgrade.c) with requests
 *     tuned to those limits.
 *   - On a device in MCUboot's serial recovery (dfu_smp_upgrade_is_recovery(): an upload reads the
 *     image state first, an upgrade finds it in its own first read) it checks the request size
 *     before uploading, with an echo that long: any answer, even `rc` 8, says it goes through;
 *     silence halves it, down to DFU_SMP_UPGRADE_RECOVERY_MIN_REQUEST, as such a bootloader may
 *     report a buf_size larger than it holds. Each try is a DFU_SMP_UPGRADE_STEP_PROBE_SIZE step.
 *   - When the upgrade resets the device, it waits for the device to go and come back: on links
 *     that drop when the device resets (BLE), until the link drops, then the owner reconnects;
 *     on links that stay up (UDP, serial), about half a second, then echoes with growing waits
 *     until one is answered. An answer from before the reset never counts: each echo has a
 *     sequence number of its own.
 *   - When the link is lost, it asks the owner to reconnect (a bounded number of times) and
 *     carries on from where the device stands: an upload resumes at the device's offset, an
 *     upgrade reads the image state again.
 *   - It can be aborted at any step: its requests are cancelled, nothing more is sent.
 *
 * The owner does the I/O, as for the SMP client: it runs the client's transport, calls
 * dfu_smp_session_process() whenever dfu_smp_session_deadline() says so, and reports the link with
 * dfu_smp_session_link_up() and dfu_smp_session_link_down(). The link-specific knobs (splitting
 * requests across writes, sizing requests by the device's buffer) reach the owner through
 * struct dfu_smp_session_ops. The session never blocks: after each call it waits for the owner's
 * loop; no callback is relied on to run inside a submit.
 */
#ifndef DFU_SMP_SESSION_H
#define DFU_SMP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/dfu/upgrade.h>
#include <dfu-smp/dfu/upload.h>

/** Times a lost link is reconnected before a job is given up, unless configured. */
#define DFU_SMP_SESSION_RECONNECTS_DEFAULT 3u
/** How long each reconnection may take, unless configured. */
#define DFU_SMP_SESSION_RECONNECT_TIMEOUT_MS 60000u
/** How long a device may take to reset and come back, unless configured. */
#define DFU_SMP_SESSION_REBOOT_TIMEOUT_MS 60000u
/**
 * The longest single write the reassembly probe handles (an ATT MTU of 517 less the 3 bytes of
 * a write's header): a link whose writes are longer is taken to need no reassembly.
 */
#define DFU_SMP_SESSION_WRITE_MAX 514u

/** What the device and the link take. */
struct dfu_smp_session_limits {
	bool have_params;     /**< the device answered MCUmgr parameters */
	uint32_t buf_size;    /**< its SMP buffer, header included (when have_params) */
	uint32_t buf_count;   /**< its SMP buffers (when have_params) */
	size_t max_request;   /**< the longest request message both take */
	bool reassembly;      /**< requests longer than one write go out split across writes */
};

/** The session's settings; zero fields take the defaults. */
struct dfu_smp_session_config {
	/**
	 * The link stays up while the device resets (UDP, serial): its return is waited for with
	 * echoes. Otherwise (BLE) the link drops when the device resets and the owner reconnects.
	 */
	bool link_stays_up;
	/** the wait for each request; 0: the client's default */
	uint32_t timeout_ms;
	/**
	 * times a request is sent again within its wait when its answer is lost (for links that
	 * lose messages: UDP, serial); a reset is never sent twice
	 */
	uint8_t retries;
	/** requests the link lets wait at the device at once, whatever its buffers; 0: any */
	unsigned window_max;
	/** lost links reconnected per job; 0: DFU_SMP_SESSION_RECONNECTS_DEFAULT */
	unsigned max_reconnects;
	/** the wait for each reconnection; 0: DFU_SMP_SESSION_RECONNECT_TIMEOUT_MS */
	uint32_t reconnect_timeout_ms;
	/** the wait for a device to reset and come back; 0: DFU_SMP_SESSION_REBOOT_TIMEOUT_MS */
	uint32_t reboot_timeout_ms;
	/** the wait for the reassembly probe's answer; 0: 3 s, or timeout_ms when shorter */
	uint32_t probe_timeout_ms;
};

/** Why the session asks the owner to reconnect. */
enum dfu_smp_session_reconnect {
	DFU_SMP_SESSION_RECONNECT_LOST, /**< the link was lost in the middle of a job */
	DFU_SMP_SESSION_RECONNECT_RESET, /**< the device reset (BLE), or the link dropped while it did */
};

/** How a job ended. */
struct dfu_smp_session_result {
	enum dfu_smp_upgrade_step step;   /**< the step it ended in (upload for an upload) */
	bool aborted;                 /**< ended by dfu_smp_session_abort() */
	unsigned reconnects;          /**< lost links reconnected during the job */
	/** what the device and the link take, when known (always after a successful job) */
	bool limits_known;
	struct dfu_smp_session_limits limits;
	/** dfu_smp_session_upgrade(): the upgrade's own result (outcome, upload, running image) */
	struct dfu_smp_upgrade_result upgrade;
	/** dfu_smp_session_upload(): the upload's own result */
	struct dfu_smp_upload_result upload;
	/** the device was in MCUboot's serial recovery: the bootloader wrote slot 0 itself */
	bool recovery;
	/** serial recovery: the request size checked last (the one uploaded with, on success) */
	size_t max_request;
	/** with -EREMOTEIO or -EBADMSG: what the device said (a closed reply, for describing) */
	struct dfu_smp_mgmt_reply reply;
	/**
	 * the link was lost in the middle of the job and did not come back within the wait for
	 * it (reconnect_timeout_ms); message says how long that was
	 */
	bool link_not_back;
	char message[320];            /**< a one-line reason when it failed */
};

/** Callbacks; @p user is dfu_smp_session_init()'s. */
struct dfu_smp_session_ops {
	/**
	 * The longest request message the link takes in one unit now (after set_reassembly, the
	 * longest it takes split). NULL: dfu_smp_client_max_size() of the session's client.
	 */
	size_t (*max_size)(void *user);
	/**
	 * Split requests up to @p max bytes across writes (the device reassembles them); 0 turns
	 * it off. NULL where a request is always one unit: no probe is made.
	 */
	void (*set_reassembly)(void *user, size_t max);
	/**
	 * Size requests by what the device takes from now on (@p limits->have_params, buf_size);
	 * called once its parameters are known, and with have_params false after it has rebooted
	 * into firmware that may take other sizes (the link's defaults apply). May be NULL.
	 */
	void (*set_device_limits)(void *user, const struct dfu_smp_session_limits *limits);
	/**
	 * Get the link back within @p timeout_ms (@p why says why the session asks), then call
	 * dfu_smp_session_link_up(), or dfu_smp_session_link_down() if it cannot: once per call. NULL: a
	 * lost link ends the job, and on links that drop when the device resets an upgrade waits
	 * only for the link to come back on its own (dfu_smp_session_link_up()).
	 */
	void (*reconnect)(void *user, enum dfu_smp_session_reconnect why, uint32_t timeout_ms);
	/** An upgrade step starts; @p detail says what it does (may be NULL). May be NULL. */
	void (*step)(void *user, enum dfu_smp_upgrade_step step, const char *detail);
	/** Upload progress. May be NULL. */
	void (*progress)(void *user, const struct dfu_smp_upload_progress *progress);
	/**
	 * The job ended: 0, or a negative errno: -ECANCELED aborted (result->aborted; or, for an
	 * upgrade, rolled back: result->upgrade.outcome), the errors of dfu_smp_upgrade_ops.done and
	 * dfu_smp_upload_ops.done, -ENOTCONN or -ENXIO when the link was lost and could not be got back,
	 * and for learning the limits, the error of the parameters request (-ETIMEDOUT...).
	 * @p result is valid during the call.
	 */
	void (*done)(void *user, int err, const struct dfu_smp_session_result *result);
};

/** The session. Caller-allocated; fields are private. */
struct dfu_smp_session {
	struct dfu_smp_client *client;
	struct dfu_smp_session_config cfg;
	const struct dfu_smp_session_ops *ops;
	void *user;
	int job;
	int phase;
	int resume;           /* the phase a lost link interrupted */
	bool link_up;
	bool starting;        /* inside a start call: the end waits for dfu_smp_session_process() */
	bool ended;           /* an end waits for dfu_smp_session_process() */
	int end_err;
	bool req_busy;
	bool engine_started;
	bool tuned;
	bool recovery_checked; /* an upload knows whether serial recovery answers */
	bool limits_known;
	struct dfu_smp_session_limits limits;
	enum dfu_smp_session_reconnect reconnect_why;
	bool reconnect_asked;
	unsigned reconnects;
	enum dfu_smp_upgrade_step step;
	uint64_t now_ms;
	uint64_t timer_ms;    /* UINT64_MAX: none */
	uint64_t reboot_limit_ms;
	uint64_t lost_ms;        /* when the link was last lost in the middle of a job */
	uint32_t echo_wait_ms;
	struct dfu_smp_request req;
	uint8_t buf[DFU_SMP_HDR_SIZE + DFU_SMP_SESSION_WRITE_MAX + 8];
	char text[DFU_SMP_SESSION_WRITE_MAX + 1];
	struct dfu_smp_upload_config upload_cfg;
	struct dfu_smp_upgrade_config upgrade_cfg;
	uint8_t *job_buf;
	size_t job_buf_len;
	union {
		struct dfu_smp_upload upload;
		struct dfu_smp_upgrade upgrade;
	} engine;
	struct dfu_smp_session_result result;
};

/**
 * Set up @p s to work through @p client (not owned; it must outlive the session). @p cfg may
 * be NULL (the defaults); @p ops (kept, with done set) and @p user are the owner's. The link
 * is taken to be up. Learned limits are kept across jobs, until the device reboots.
 */
DFU_SMP_API void dfu_smp_session_init(struct dfu_smp_session *s, struct dfu_smp_client *client,
				      const struct dfu_smp_session_config *cfg,
				      const struct dfu_smp_session_ops *ops, void *user);

/**
 * Learn what the device and the link take (see the top of this file); ops->set_device_limits
 * and ops->set_reassembly hear of it, dfu_smp_session_limits() and ops->done's result hold it.
 * @return 0 (the end comes through ops->done, never from inside this call); -EBUSY while
 *         another job runs.
 */
DFU_SMP_API int dfu_smp_session_learn_limits(struct dfu_smp_session *s);

/**
 * Upload an image: the limits are learned first if not known yet, the image state is read (on
 * MCUboot's serial recovery the request size is checked, and the upload goes to slot 0:
 * result->recovery), then @p cfg (copied; its
 * data must stay valid until the end) is tuned to them (dfu_smp_upload_tune(); its max_request,
 * max_chunk and window, when set, are kept; timeout_ms and retries, when 0, are the
 * session's) and fitted to @p buf (@p buf_len bytes, kept until the end: fewer requests at
 * once, or shorter ones, when it cannot hold window * max_request). A lost link is reconnected
 * and the upload resumes where the device stands.
 * @return 0 (the end comes through ops->done, never from inside this call); -EBUSY while
 *         another job runs; -EINVAL for a missing argument.
 */
DFU_SMP_API int dfu_smp_session_upload(struct dfu_smp_session *s,
				       const struct dfu_smp_upload_config *cfg, uint8_t *buf,
				       size_t buf_len);

/**
 * The whole upgrade of dfu/upgrade.c: as dfu_smp_session_upload() for the limits and cfg->upload
 * (cfg->timeout_ms and cfg->retries, when 0, are the session's too), then the reboot is waited
 * for as the link requires, and a lost link is reconnected and the upgrade carried on from what
 * the device reports (dfu_smp_upgrade_resume()). @p buf holds DFU_SMP_UPGRADE_REQUEST_BUF bytes, then
 * the upload's requests.
 * @return 0 (the end comes through ops->done, never from inside this call); -EBUSY while
 *         another job runs; -EINVAL for a missing argument or a buffer too small.
 */
DFU_SMP_API int dfu_smp_session_upgrade(struct dfu_smp_session *s,
					const struct dfu_smp_upgrade_config *cfg, uint8_t *buf,
					size_t buf_len);

/**
 * The owner reconnected as asked (ops->reconnect), or the link came back on its own. Callbacks
 * may run from inside this call (the job goes on).
 */
DFU_SMP_API void dfu_smp_session_link_up(struct dfu_smp_session *s);

/**
 * The link is down: it dropped (@p err, e.g. -ENOTCONN), or a reconnection asked for failed
 * (@p err, and @p why: one line saying why, or NULL). Every request still on the link ends
 * with @p err, as dfu_smp_client_transport_error() does; callbacks may run from inside this call.
 */
DFU_SMP_API void dfu_smp_session_link_down(struct dfu_smp_session *s, int err, const char *why);

/**
 * Abort the job at whatever step it is: its requests are cancelled and nothing more is sent
 * (an upgrade confirms nothing it has not already been told to); ops->done reports
 * -ECANCELED with result->aborted, from inside this call. Does nothing when no job runs.
 */
DFU_SMP_API void dfu_smp_session_abort(struct dfu_smp_session *s);

/**
 * Give the session (and its client, through dfu_smp_client_process()) the time @p now_ms, on the
 * client's clock: timeouts and waits that are due run, a job's end found inside a start call
 * is reported.
 */
DFU_SMP_API void dfu_smp_session_process(struct dfu_smp_session *s, uint64_t now_ms);

/**
 * When dfu_smp_session_process() must next be called: the earliest of the session's waits and
 * dfu_smp_client_deadline(); UINT64_MAX if nothing waits.
 */
DFU_SMP_API uint64_t dfu_smp_session_deadline(const struct dfu_smp_session *s);

/** The step the job is in, or ended in (an upload's is DFU_SMP_UPGRADE_STEP_UPLOAD). */
DFU_SMP_API enum dfu_smp_upgrade_step dfu_smp_session_step(const struct dfu_smp_session *s);

/** True while a job runs (from its start until ops->done). */
DFU_SMP_API bool dfu_smp_session_busy(const struct dfu_smp_session *s);

/** What the device and the link take, or NULL until learned (and again after a reboot). */
DFU_SMP_API const struct dfu_smp_session_limits *dfu_smp_session_limits(
	const struct dfu_smp_session *s);

#endif /* DFU_SMP_SESSION_H */
