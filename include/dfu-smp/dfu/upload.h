/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image upload engine: sends a file to the device's image manager (image group, upload
 * command) over an SMP client, sans I/O.
 *
 * Each request carries as much of the file as fits the largest request the link and the device
 * take, computed from its real encoding. The first request (offset 0) carries the total length,
 * the image number, the SHA-256 of the file and, when asked, the upgrade-only flag; a device
 * that already holds part of the same upload answers with its offset and the upload resumes
 * there. The device's offset always wins: the engine carries on from whatever offset the device
 * answers with, forwards or backwards. Up to `window` requests are on the link at once. An
 * answer names all the device has: a chunk whose own answer was lost is acknowledged by a later
 * one, and its slot takes the next chunk at once. An answer behind its chunk shows a lost
 * request (the device writes nothing past a gap): the engine sends again from the device's
 * offset at once, the window full. Only when no answer comes at all does it wait for a timeout
 * (the request sent again after its measured round trip, with retries) and then resend from
 * the last acknowledged offset with a smaller window.
 */
#ifndef DFU_SMP_UPLOAD_H
#define DFU_SMP_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/smp/client.h>

/** Most requests the engine keeps on the link. */
#define DFU_SMP_UPLOAD_WINDOW_MAX 16u

/**
 * A chunk's answer is waited for at least this long past the longest round trip measured
 * before it is sent again (the wait is the smoothed round trip and four times its variation,
 * or twice the longest, whichever is longer, and this at least): a device may stall once
 * for a flash page erase (85 to 90 ms on nRF52 and nRF53 parts) where none was measured yet.
 */
#define DFU_SMP_UPLOAD_RTO_STALL_MS 100u

/**
 * Most data bytes per request to a device that does not tell its buffers: older MCUmgr
 * servers decode `data` into a fixed 512-byte buffer and answer a longer one with `rc` 3.
 * Such an answer to a longer chunk makes the engine send the same offset again at this size.
 */
#define DFU_SMP_UPLOAD_DATA_UNKNOWN 512u

/** What to upload and how. Zero fields take the defaults. */
struct dfu_smp_upload_config {
	const uint8_t *data;    /**< the file; must stay valid until the upload ends */
	size_t size;
	const uint8_t *sha;     /**< SHA-256 of the file (32 bytes), or NULL */
	uint32_t image;         /**< target image number */
	bool upgrade;           /**< ask the device to refuse an image not newer than its own */
	size_t max_request;     /**< largest request message, SMP header included (required) */
	size_t max_chunk;       /**< most data bytes per request; 0: as many as fit */
	unsigned window;        /**< requests on the link at once; default 1 */
	uint32_t timeout_ms;    /**< per request; default 5000 */
	/** for the first request, while the device erases its slot; default
	 * DFU_SMP_UPLOAD_FIRST_TIMEOUT_MS */
	uint32_t first_timeout_ms;
	/**
	 * for links that lose messages (UDP, serial), not 0: a request whose answer is lost is
	 * sent again, timeout_ms / (retries + 1) apart; once chunks have been answered, sooner:
	 * after what their round trips say (DFU_SMP_UPLOAD_RTO_STALL_MS past the longest at least), then twice as long
	 * each time, within the same timeout_ms in all. 0 where nothing is lost.
	 */
	uint8_t retries;
	/** times in a row a missing answer is recovered from before giving up; default 4 */
	unsigned max_recoveries;
};

/** What the link and the device take, as learned from them (MCUmgr parameters, probing). */
struct dfu_smp_upload_limits {
	size_t max_request;   /**< the longest request both take, SMP header included */
	bool have_params;     /**< the device told its SMP buffers */
	uint32_t buf_count;
	unsigned window_max;  /**< requests the link lets wait at the device at once; 0: any */
};

/**
 * Tune an upload to the link and the device: requests as long as both take (the device's
 * buf_size when it reassembles, one write otherwise: @p limits says which), and buf_count - 1
 * of them on the link at once (at most limits->window_max), the last buffer being the one
 * answers go out in. A device that does not tell its buffers gets one request at a time, with
 * at most DFU_SMP_UPLOAD_DATA_UNKNOWN data bytes in each. Fields @p cfg already sets (max_request,
 * max_chunk, window: overrides for experiments) are kept.
 */
DFU_SMP_API void dfu_smp_upload_tune(struct dfu_smp_upload_config *cfg,
				     const struct dfu_smp_upload_limits *limits);

/** Progress, reported after each answer that moves the device's offset. */
struct dfu_smp_upload_progress {
	uint64_t offset;     /**< bytes the device has */
	uint64_t total;
	uint64_t elapsed_ms; /**< since the start */
	double rate_bps;     /**< bytes per second moved in this session */
	uint64_t eta_ms;     /**< time left at that rate, 0 when unknown */
};

/** How an upload ended. */
/** The first request's wait when the config gives none: the slot's erase (60 s). */
#define DFU_SMP_UPLOAD_FIRST_TIMEOUT_MS 60000u

struct dfu_smp_upload_result {
	uint64_t size;
	uint64_t resumed_at;   /**< the device already had this many bytes at the start */
	uint64_t data_sent;    /**< data bytes sent, resends included */
	uint32_t requests;     /**< upload requests sent */
	uint32_t recoveries;   /**< times a missing answer made it resend */
	/** chunks whose own answer was lost, acknowledged by a later answer (not sent again) */
	uint32_t covered;
	uint64_t elapsed_ms;
	bool has_match;
	bool match;            /**< the device's check of the written image against the SHA-256 */
	/** with -EREMOTEIO or -EBADMSG: what the device said (a closed reply, for describing) */
	struct dfu_smp_mgmt_reply reply;
	char message[200];     /**< a one-line reason for any other failure */
};

struct dfu_smp_upload;

/** Callbacks of an upload; @p user is dfu_smp_upload_start()'s. */
struct dfu_smp_upload_ops {
	/** Progress (may be NULL). */
	void (*progress)(void *user, const struct dfu_smp_upload_progress *progress);
	/**
	 * The end: 0 when the device has every byte (and did not report a mismatch); otherwise
	 * -EREMOTEIO (device error), -EBADMSG (malformed answer, or the device reports that the
	 * written image does not match), -ETIMEDOUT, -ENOTCONN, -EMSGSIZE (a request cannot
	 * carry the image header), -EPROTO (the device's offset is impossible or does not move).
	 */
	void (*done)(void *user, int err, const struct dfu_smp_upload_result *result);
};

/** One request on the link (private). */
struct dfu_smp_upload_slot {
	struct dfu_smp_upload *up;
	struct dfu_smp_request req;
	uint64_t off;
	size_t len;
	uint64_t sent_ms;     /* when it was handed to the client */
	bool busy;
};

/** The engine. Caller-allocated; fields are private. */
struct dfu_smp_upload {
	struct dfu_smp_client *client;
	struct dfu_smp_upload_config cfg;
	const struct dfu_smp_upload_ops *ops;
	void *user;
	struct dfu_smp_upload_slot slots[DFU_SMP_UPLOAD_WINDOW_MAX];
	unsigned window;
	uint64_t next_off;    /* next byte to send */
	uint64_t acked;       /* the device's offset */
	uint64_t start_ms;
	bool started;         /* the device answered the first request */
	bool first_waiting; /* a first request is on the link: nothing else until it is answered */
	size_t first_len;     /* the first request's message, SMP header included */
	bool running;
	unsigned client_window; /* the client's window before the upload, put back at its end */
	unsigned recoveries;  /* in a row, without progress */
	unsigned stalls;      /* answers in a row that did not move the offset */
	uint32_t srtt_ms;     /* the smoothed round trip of a chunk answered at once; 0: none yet */
	uint32_t rttvar_ms;   /* ... and its variation */
	uint32_t rtt_max_ms;  /* ... and the longest */
	unsigned rtt_samples; /* ... of how many, counted up to a few */
	struct dfu_smp_upload_result result;
};

/**
 * Start uploading through @p client, whose window the engine sets to its own (and lowers when
 * it recovers from a lost answer) until the upload ends or is aborted, when it puts back the
 * window the client had. @p buf holds the requests' messages: at least
 * min(window, DFU_SMP_UPLOAD_WINDOW_MAX) * max_request bytes, kept until the end.
 * @return 0 (the end comes through ops->done, possibly before this returns), or -EINVAL for a
 *         bad configuration or a buffer too small.
 */
DFU_SMP_API int dfu_smp_upload_start(struct dfu_smp_upload *up, struct dfu_smp_client *client,
		     const struct dfu_smp_upload_config *cfg, uint8_t *buf, size_t buf_len,
		     const struct dfu_smp_upload_ops *ops, void *user);

/**
 * Stop: requests on the link are cancelled and the client's window is put back; ops->done is
 * not called. Does nothing once the upload has ended.
 */
DFU_SMP_API void dfu_smp_upload_abort(struct dfu_smp_upload *up);

#endif /* DFU_SMP_UPLOAD_H */
