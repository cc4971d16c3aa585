/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/dfu/session.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/os.h>

/* The reassembly probe needs no more than this to be answered or not. */
#define PROBE_TIMEOUT_MS 3000u

/*
 * After a reset on a link that stays up: Zephyr answers, then resets 250 ms later, and some
 * devices wedge on input while they boot; so a pause, then echoes, each waiting longer.
 */
#define REBOOT_SETTLE_MS 500u
#define REBOOT_ECHO_FIRST_MS 250u
#define REBOOT_ECHO_MAX_MS 1000u

enum job {
	JOB_NONE,
	JOB_LIMITS,
	JOB_UPLOAD,
	JOB_UPGRADE,
};

enum phase {
	PHASE_IDLE,
	PHASE_PARAMS,    /* the MCUmgr parameters request is out */
	PHASE_PROBE,     /* the reassembly probe is out */
	PHASE_STATE,     /* before an upload: the image state read (serial recovery?) */
	PHASE_SIZE,      /* serial recovery: an echo of the request size is out */
	PHASE_RUN,       /* the upload or the upgrade runs */
	PHASE_DROP,      /* reset, on a link that drops with it: until it drops */
	PHASE_SETTLE,    /* reset, on a link that stays up: while the device goes */
	PHASE_ECHO,      /* ... an echo asks whether it is back */
	PHASE_PAUSE,     /* ... an echo was refused at once: a pause before the next */
	PHASE_RECONNECT, /* the owner gets the link back (asked once the timer first fires) */
};

static uint64_t now(const struct dfu_smp_session *s)
{
	uint64_t client = dfu_smp_client_now(s->client);

	return client > s->now_ms ? client : s->now_ms;
}

static unsigned seconds(uint32_t ms)
{
	return (unsigned)((ms + 999u) / 1000u);
}

static uint32_t reboot_timeout(const struct dfu_smp_session *s)
{
	return s->cfg.reboot_timeout_ms ? s->cfg.reboot_timeout_ms
					: DFU_SMP_SESSION_REBOOT_TIMEOUT_MS;
}

static uint32_t reconnect_timeout(const struct dfu_smp_session *s)
{
	return s->cfg.reconnect_timeout_ms ? s->cfg.reconnect_timeout_ms
					   : DFU_SMP_SESSION_RECONNECT_TIMEOUT_MS;
}

/* What is left of the wait for the device to come back. */
static uint32_t reboot_left(const struct dfu_smp_session *s)
{
	uint64_t t = now(s);

	/* the limit is a uint32_t wait after a time never later than now */
	return t >= s->reboot_limit_ms ? 0 : (uint32_t)(s->reboot_limit_ms - t);
}

/* What the job is doing, for messages. */
static const char *what(const struct dfu_smp_session *s)
{
	int phase = s->phase == PHASE_RECONNECT ? s->resume : s->phase;

	switch (phase) {
	case PHASE_PARAMS:
		return "the MCUmgr parameters request";
	case PHASE_PROBE:
		return "the reassembly probe";
	case PHASE_STATE:
		return "the image state read";
	case PHASE_SIZE:
		return "the request size check";
	default:
		return dfu_smp_upgrade_step_name(s->step);
	}
}

static bool is_link_loss(int err)
{
	return err == -ENOTCONN || err == -ENXIO;
}

static void finish(struct dfu_smp_session *s, int err)
{
	if (s->job == JOB_NONE) {
		return;
	}
	if (s->req_busy) {
		dfu_smp_client_cancel(s->client, &s->req);
		s->req_busy = false;
	}
	s->job = JOB_NONE;
	s->phase = PHASE_IDLE;
	s->timer_ms = UINT64_MAX;
	s->result.step = s->step;
	s->result.reconnects = s->reconnects;
	s->result.limits_known = s->limits_known;
	s->result.limits = s->limits;
	if (s->starting) {
		s->ended = true; /* reported by the next dfu_smp_session_process() */
		s->end_err = err;
		return;
	}
	s->ops->done(s->user, err, &s->result);
}

/* Ends the job with @p err and a one-line reason. */
static void fail(struct dfu_smp_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->result.message, sizeof(s->result.message), fmt, ap);
	va_end(ap);
	finish(s, err);
}

static void on_own_answer(struct dfu_smp_request *req, int err,
			  const struct dfu_smp_client_rsp *rsp);

/* Sends the session's own request, built in s->req. */
static void send_own(struct dfu_smp_session *s, uint32_t timeout_ms, uint8_t retries)
{
	int err;

	s->req.cb = on_own_answer;
	s->req.user = s;
	s->req.timeout_ms = timeout_ms;
	if (retries) {
		dfu_smp_request_spread(&s->req,
				       timeout_ms ? timeout_ms : DFU_SMP_CLIENT_TIMEOUT_DEFAULT_MS,
				       retries);
	}
	err = dfu_smp_client_submit(s->client, &s->req);
	if (err) {
		fail(s, err, "cannot send %s: %s", what(s), strerror(-err));
		return;
	}
	s->req_busy = true;
}

/* ---- the link ---- */

/* The link is down: ask the owner, from the next dfu_smp_session_process(), to get it back. */
static void ask_reconnect(struct dfu_smp_session *s, enum dfu_smp_session_reconnect why)
{
	s->link_up = false;
	s->resume = why == DFU_SMP_SESSION_RECONNECT_RESET ? PHASE_RUN : s->phase;
	s->phase = PHASE_RECONNECT;
	s->reconnect_why = why;
	s->reconnect_asked = false;
	s->timer_ms = now(s);
}

/* The link was lost in the middle of the job, in phase s->phase. */
static void link_lost(struct dfu_smp_session *s, int err, const char *message)
{
	unsigned max = s->cfg.max_reconnects ? s->cfg.max_reconnects
					     : DFU_SMP_SESSION_RECONNECTS_DEFAULT;

	s->link_up = false;
	if (s->phase == PHASE_PROBE) {
		s->ops->set_reassembly(s->user, 0); /* probed again once the link is back */
	}
	if (!s->ops->reconnect || s->reconnects >= max) {
		if (message) {
			fail(s, err, "%s", message); /* the engine's own words */
		} else {
			fail(s, err, "the link was lost during %s (%s)", what(s), strerror(-err));
		}
		return;
	}
	s->reconnects++;
	s->lost_ms = now(s);
	ask_reconnect(s, DFU_SMP_SESSION_RECONNECT_LOST);
}

/*
 * The link lost in the middle of the job was not got back within the wait for it: the job ends
 * with @p err, saying how long that wait was, and @p why (NULL: nothing more known).
 */
static void not_back(struct dfu_smp_session *s, int err, const char *why)
{
	uint64_t t = now(s);
	uint64_t waited = t > s->lost_ms ? t - s->lost_ms : 0;

	s->result.link_not_back = true;
	fail(s, err, "the link was lost during %s and did not come back within %u s (waited "
	     "%.1f s)%s%s", what(s), seconds(reconnect_timeout(s)), (double)waited / 1000.0,
	     why ? ": " : "", why ? why : "");
}

/* After a reconnection: the link is set up for the device as it was before. */
static void reapply_limits(struct dfu_smp_session *s)
{
	if (!s->limits_known) {
		return;
	}
	if (s->ops->set_device_limits) {
		s->ops->set_device_limits(s->user, &s->limits);
	}
	if (s->ops->set_reassembly && s->limits.reassembly) {
		s->ops->set_reassembly(s->user, s->limits.buf_size);
	}
}

static size_t link_max(const struct dfu_smp_session *s)
{
	return s->ops->max_size ? s->ops->max_size(s->user) : dfu_smp_client_max_size(s->client);
}

/* ---- learning the limits ---- */

static void run(struct dfu_smp_session *s);

static void learn(struct dfu_smp_session *s)
{
	s->phase = PHASE_PARAMS;
	memset(&s->limits, 0, sizeof(s->limits));
	s->limits_known = false;
	dfu_smp_request_init(&s->req, s->buf, sizeof(s->buf));
	(void)dfu_smp_mgmt_os_params(&s->req); /* an empty map: it fits */
	send_own(s, s->cfg.timeout_ms, s->cfg.retries);
}

static void limits_learned(struct dfu_smp_session *s)
{
	size_t link = link_max(s);

	s->limits.max_request = s->limits.have_params && s->limits.buf_size < link
					? s->limits.buf_size
					: link;
	s->limits_known = true;
	if (s->job == JOB_LIMITS) {
		finish(s, 0);
	} else {
		run(s);
	}
}

/*
 * Sends an echo just longer than one write, split in two. A device that reassembles answers
 * it; one that does not reads the first write as a message shorter than its header says
 * (answered with DFU_SMP_MGMT_ERR_ECORRUPT) and drops the second, shorter than a header.
 */
static void probe(struct dfu_smp_session *s, size_t one_write)
{
	uint32_t timeout = s->cfg.probe_timeout_ms;
	size_t len;

	if (!timeout) {
		timeout = s->cfg.timeout_ms && s->cfg.timeout_ms < PROBE_TIMEOUT_MS
				  ? s->cfg.timeout_ms
				  : PROBE_TIMEOUT_MS;
	}
	/* the message must end 1 to 7 bytes into the second write */
	for (len = one_write <= DFU_SMP_SESSION_WRITE_MAX ? one_write : 0; len > 0; len--) {
		memset(s->text, 'r', len);
		s->text[len] = '\0';
		dfu_smp_request_init(&s->req, s->buf, sizeof(s->buf));
		if (dfu_smp_mgmt_os_echo(&s->req, s->text) == 0 &&
		    DFU_SMP_HDR_SIZE + s->req.len <= one_write + 7 &&
		    DFU_SMP_HDR_SIZE + s->req.len > one_write) {
			break;
		}
	}
	if (len == 0 || DFU_SMP_HDR_SIZE + s->req.len > s->limits.buf_size) {
		limits_learned(s); /* no probe fits: one write per request */
		return;
	}
	s->phase = PHASE_PROBE;
	s->ops->set_reassembly(s->user, s->limits.buf_size);
	send_own(s, timeout, 0);
}

static void params_answer(struct dfu_smp_session *s, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_os_params params;
	struct dfu_smp_mgmt_reply reply;
	size_t link;

	if (err) {
		fail(s, err, "the MCUmgr parameters request failed: %s", strerror(-err));
		return;
	}
	/* older devices answer rc 8; anything but parameters means they are unknown */
	if (dfu_smp_mgmt_os_params_decode(rsp, &reply, &params) == 0) {
		s->limits.have_params = true;
		s->limits.buf_size = params.buf_size;
		s->limits.buf_count = params.buf_count;
	}
	dfu_smp_mgmt_reply_close(&reply);
	if (s->ops->set_device_limits) {
		s->ops->set_device_limits(s->user, &s->limits);
	}
	link = link_max(s);
	if (s->limits.have_params && s->limits.buf_size > link && s->ops->set_reassembly) {
		probe(s, link);
		return;
	}
	limits_learned(s);
}

static void probe_answer(struct dfu_smp_session *s, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_reply reply;
	const char *echoed;
	bool ok = false;

	if (!err) {
		ok = dfu_smp_mgmt_os_echo_decode(rsp, &reply, &echoed) == 0 &&
		     strcmp(echoed, s->text) == 0;
		dfu_smp_mgmt_reply_close(&reply);
	}
	if (!ok) {
		s->ops->set_reassembly(s->user, 0);
	}
	s->limits.reassembly = ok;
	limits_learned(s);
}

/* ---- the reboot ---- */

static void reboot_done(struct dfu_smp_session *s)
{
	s->phase = PHASE_RUN;
	s->timer_ms = UINT64_MAX;
	dfu_smp_upgrade_reconnected(&s->engine.upgrade, 0, NULL);
}

/* The device did not come back: the upgrade ends with the reason. */
static void reboot_failed(struct dfu_smp_session *s, int err, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	s->phase = PHASE_RUN;
	s->timer_ms = UINT64_MAX;
	dfu_smp_upgrade_reconnected(&s->engine.upgrade, err, why);
}

/* An echo with a sequence number of its own: only the device as it is now answers it. */
static void echo(struct dfu_smp_session *s)
{
	uint32_t left = reboot_left(s);

	if (left == 0) {
		reboot_failed(s, -EHOSTUNREACH, "the device did not answer within %u s of waiting "
			      "for it to come back", seconds(reboot_timeout(s)));
		return;
	}
	s->phase = PHASE_ECHO;
	dfu_smp_request_init(&s->req, s->buf, sizeof(s->buf));
	(void)dfu_smp_mgmt_os_echo(&s->req, "up?");
	send_own(s, s->echo_wait_ms < left ? s->echo_wait_ms : left, 0);
}

static void echo_answer(struct dfu_smp_session *s, int err)
{
	uint32_t wait = s->echo_wait_ms;
	uint32_t left;

	if (err == 0) {
		reboot_done(s); /* any answer: the device is up */
		return;
	}
	s->echo_wait_ms = wait * 2u < REBOOT_ECHO_MAX_MS ? wait * 2u : REBOOT_ECHO_MAX_MS;
	if (is_link_loss(err)) {
		ask_reconnect(s,
			      DFU_SMP_SESSION_RECONNECT_RESET); /* e.g. a USB port re-enumerating */
		return;
	}
	if (err == -ETIMEDOUT) {
		echo(s);
		return;
	}
	/* refused at once: give it the time it did not take */
	left = reboot_left(s);
	s->phase = PHASE_PAUSE;
	s->timer_ms = now(s) + (wait < left ? wait : left);
}

/* The upgrade's ops->reset: the device accepted the reset. */
static void reboot_start(void *user)
{
	static const struct dfu_smp_session_limits unknown;
	struct dfu_smp_session *s = user;
	uint32_t timeout = reboot_timeout(s);

	s->reboot_limit_ms = now(s) + timeout;
	s->echo_wait_ms = REBOOT_ECHO_FIRST_MS;
	/* the firmware it boots may take other sizes */
	s->limits_known = false;
	if (s->ops->set_reassembly) {
		s->ops->set_reassembly(s->user, 0);
	}
	if (s->ops->set_device_limits) {
		s->ops->set_device_limits(s->user, &unknown);
	}
	if (!s->link_up) {
		ask_reconnect(s, DFU_SMP_SESSION_RECONNECT_RESET);
	} else if (!s->cfg.link_stays_up) {
		s->phase = PHASE_DROP;
		s->timer_ms = s->reboot_limit_ms;
	} else {
		s->phase = PHASE_SETTLE;
		s->timer_ms = now(s) + (timeout < REBOOT_SETTLE_MS ? timeout : REBOOT_SETTLE_MS);
	}
}

/* ---- MCUboot serial recovery ---- */

/* The wait and the tries of the job's own requests. */
static void job_timing(const struct dfu_smp_session *s, uint32_t *timeout_ms, uint8_t *retries)
{
	if (s->job == JOB_UPLOAD) {
		*timeout_ms = s->upload_cfg.timeout_ms;
		*retries = s->upload_cfg.retries;
	} else {
		*timeout_ms = s->upgrade_cfg.timeout_ms;
		*retries = s->upgrade_cfg.retries;
	}
}

static void relay_step(void *user, enum dfu_smp_upgrade_step step, const char *detail);

/* Before an upload: is it the bootloader's serial recovery that answers? */
static void read_state(struct dfu_smp_session *s)
{
	uint32_t timeout;
	uint8_t retries;

	job_timing(s, &timeout, &retries);
	s->phase = PHASE_STATE;
	dfu_smp_request_init(&s->req, s->buf, sizeof(s->buf));
	dfu_smp_mgmt_img_state_read(&s->req);
	send_own(s, timeout, retries);
}

/*
 * Serial recovery: an echo exactly s->result.max_request bytes long, built in the job's buffer
 * (the request, then its text). Any answer, even `rc` 8 from a bootloader built without echo,
 * says the bootloader took a request that long.
 */
static void check_size(struct dfu_smp_session *s)
{
	/* a bootloader entered by a reset may take less on its link than the application did */
	size_t want = s->result.max_request < link_max(s) ? s->result.max_request : link_max(s);
	size_t n = want > DFU_SMP_HDR_SIZE + 16 ? want - DFU_SMP_HDR_SIZE - 16 : 1;
	uint8_t *buf = s->job == JOB_UPLOAD ? s->job_buf : s->job_buf + DFU_SMP_UPGRADE_REQUEST_BUF;
	char *text = (char *)buf + want;
	char detail[64];
	uint32_t timeout;
	uint8_t retries;

	s->result.max_request = want;
	snprintf(detail, sizeof(detail), "an echo of %zu bytes", want);
	relay_step(s, DFU_SMP_UPGRADE_STEP_PROBE_SIZE, detail);
	for (int pass = 0; pass < 3; pass++) {
		memset(text, 'x', n);
		text[n] = '\0';
		dfu_smp_request_init(&s->req, buf, want);
		if (dfu_smp_mgmt_os_echo(&s->req, text) == 0 &&
		    DFU_SMP_HDR_SIZE + s->req.len == want) {
			break;
		}
		if (DFU_SMP_HDR_SIZE + s->req.len < want) {
			n += want - DFU_SMP_HDR_SIZE - s->req.len;
		} else if (n > 1) {
			n--;
		}
	}
	job_timing(s, &timeout, &retries);
	s->phase = PHASE_SIZE;
	send_own(s, timeout, retries);
}

/* The size check ended: @p err 0, requests of s->result.max_request bytes go through. */
static void size_checked(struct dfu_smp_session *s, int err)
{
	if (s->job == JOB_UPGRADE) {
		s->phase = PHASE_RUN;
		dfu_smp_upgrade_size_checked(&s->engine.upgrade, err, s->result.max_request);
		return;
	}
	if (is_link_loss(err)) {
		link_lost(s, err, NULL);
		return;
	}
	if (err) {
		fail(s, err, "the bootloader answers no request of %zu bytes or more: %s",
		     s->result.max_request, strerror(-err));
		return;
	}
	s->recovery_checked = true;
	s->upload_cfg.max_request = s->result.max_request;
	s->step = DFU_SMP_UPGRADE_STEP_UPLOAD;
	run(s);
}

static void size_answer(struct dfu_smp_session *s, int err)
{
	size_t size = s->result.max_request;

	if (err == -ETIMEDOUT && size / 2 >= DFU_SMP_UPGRADE_RECOVERY_MIN_REQUEST) {
		char detail[96];

		snprintf(detail, sizeof(detail), "no answer to a request of %zu bytes: trying %zu",
			 size, size / 2);
		relay_step(s, DFU_SMP_UPGRADE_STEP_PROBE_SIZE, detail);
		s->result.max_request = size / 2;
		check_size(s);
		return;
	}
	size_checked(s, err);
}

static void state_answer(struct dfu_smp_session *s, int err, const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_mgmt_img_state st;
	struct dfu_smp_mgmt_reply reply;

	if (is_link_loss(err)) {
		link_lost(s, err, NULL);
		return;
	}
	if (err) {
		fail(s, err, "%s failed: %s", what(s), strerror(-err));
		return;
	}
	/* a device without the image group's list is no bootloader in recovery */
	s->result.recovery = dfu_smp_mgmt_img_state_decode(rsp, &reply, &st) == 0 &&
			     dfu_smp_upgrade_is_recovery(&st);
	dfu_smp_mgmt_reply_close(&reply);
	if (!s->result.recovery) {
		s->recovery_checked = true;
		run(s);
		return;
	}
	if (!s->result.max_request) {
		s->result.max_request = s->upload_cfg.max_request;
	}
	if (s->job_buf_len < 2 * s->result.max_request) {
		s->result.max_request = s->job_buf_len / 2;
	}
	check_size(s);
}

/* The upgrade's ops->check_size: it found the bootloader's serial recovery. */
static void upgrade_check_size(void *user, size_t max_request)
{
	struct dfu_smp_session *s = user;

	s->result.recovery = true;
	s->result.max_request = max_request;
	check_size(s);
}

/* ---- the engines ---- */

static void relay_progress(void *user, const struct dfu_smp_upload_progress *progress)
{
	struct dfu_smp_session *s = user;

	if (s->ops->progress) {
		s->ops->progress(s->user, progress);
	}
}

static void relay_step(void *user, enum dfu_smp_upgrade_step step, const char *detail)
{
	struct dfu_smp_session *s = user;

	s->step = step;
	if (s->ops->step) {
		s->ops->step(s->user, step, detail);
	}
}

/* The engine ended: a lost link is got back, anything else ends the job. */
static void engine_done(struct dfu_smp_session *s, int err, const char *message,
			const struct dfu_smp_mgmt_reply *reply)
{
	if (is_link_loss(err)) {
		link_lost(s, err, message);
		return;
	}
	s->result.reply = *reply;
	fail(s, err, "%s", message);
}

static void upload_done(void *user, int err, const struct dfu_smp_upload_result *result)
{
	struct dfu_smp_session *s = user;

	s->result.upload = *result;
	engine_done(s, err, result->message, &result->reply);
}

static void upgrade_done(void *user, int err, const struct dfu_smp_upgrade_result *result)
{
	struct dfu_smp_session *s = user;

	s->result.upgrade = *result;
	s->result.recovery = result->recovery;
	s->step = result->step;
	engine_done(s, err, result->message, &result->reply);
}

static const struct dfu_smp_upload_ops upload_ops = { relay_progress, upload_done };
static const struct dfu_smp_upgrade_ops upgrade_ops = { relay_step, relay_progress, reboot_start,
						    upgrade_done, upgrade_check_size };

/* Tunes an upload to the limits and fits it in @p room bytes of buffer. */
static void tune(struct dfu_smp_session *s, struct dfu_smp_upload_config *cfg, size_t room)
{
	const struct dfu_smp_upload_limits limits = {
		.max_request = s->limits.max_request,
		.have_params = s->limits.have_params,
		.buf_count = s->limits.buf_count,
		.window_max = s->cfg.window_max,
	};

	dfu_smp_upload_tune(cfg, &limits);
	if (!cfg->timeout_ms) {
		cfg->timeout_ms = s->cfg.timeout_ms;
	}
	if (!cfg->retries) {
		cfg->retries = s->cfg.retries;
	}
	while (cfg->window > 1 && (size_t)cfg->window * cfg->max_request > room) {
		cfg->window--;
	}
	if (cfg->max_request > room) {
		cfg->max_request = room;
	}
}

/* Starts the engine, or resumes it after a lost link. */
static void run(struct dfu_smp_session *s)
{
	int err;

	s->phase = PHASE_RUN;
	if (!s->tuned) {
		s->tuned = true;
		if (s->job == JOB_UPLOAD) {
			tune(s, &s->upload_cfg, s->job_buf_len);
		} else {
			tune(s, &s->upgrade_cfg.upload,
			     s->job_buf_len - DFU_SMP_UPGRADE_REQUEST_BUF);
		}
	}
	if (s->job == JOB_UPLOAD && !s->recovery_checked) {
		read_state(s);
		return;
	}
	if (s->job == JOB_UPLOAD) {
		err = dfu_smp_upload_start(&s->engine.upload, s->client, &s->upload_cfg, s->job_buf,
				       s->job_buf_len, &upload_ops, s);
	} else if (!s->engine_started) {
		err = dfu_smp_upgrade_start(&s->engine.upgrade, s->client, &s->upgrade_cfg,
					    s->job_buf, s->job_buf_len, &upgrade_ops, s);
		s->engine_started = err == 0;
	} else {
		err = dfu_smp_upgrade_resume(&s->engine.upgrade);
	}
	if (err) {
		fail(s, err, "cannot start the %s: %s", s->job == JOB_UPLOAD ? "upload" : "upgrade",
		     strerror(-err));
	}
}

static void abort_engine(struct dfu_smp_session *s)
{
	if (s->job == JOB_UPLOAD) {
		dfu_smp_upload_abort(&s->engine.upload);
	} else if (s->job == JOB_UPGRADE && s->engine_started) {
		dfu_smp_upgrade_abort(&s->engine.upgrade);
	}
}

/* ---- callbacks ---- */

static void own_answer(struct dfu_smp_session *s, int err, const struct dfu_smp_client_rsp *rsp)
{
	switch (s->phase) {
	case PHASE_PARAMS:
	case PHASE_PROBE:
		if (is_link_loss(err)) {
			link_lost(s, err, NULL);
		} else if (s->phase == PHASE_PARAMS) {
			params_answer(s, err, rsp);
		} else {
			probe_answer(s, err, rsp);
		}
		break;
	case PHASE_ECHO:
		echo_answer(s, err);
		break;
	case PHASE_STATE:
		state_answer(s, err, rsp);
		break;
	case PHASE_SIZE:
		size_answer(s, err);
		break;
	default:
		break;
	}
}

static void on_own_answer(struct dfu_smp_request *req, int err,
			  const struct dfu_smp_client_rsp *rsp)
{
	struct dfu_smp_session *s = req->user;

	s->req_busy = false;
	own_answer(s, err, rsp);
}

static void on_timer(struct dfu_smp_session *s)
{
	switch (s->phase) {
	case PHASE_DROP:
		reboot_failed(s, -ETIMEDOUT, "the device did not reset: the link is still up after "
			      "%u s", seconds(reboot_timeout(s)));
		break;
	case PHASE_SETTLE:
	case PHASE_PAUSE:
		echo(s);
		break;
	case PHASE_RECONNECT:
		if (!s->reconnect_asked) {
			uint32_t timeout = s->reconnect_why == DFU_SMP_SESSION_RECONNECT_RESET
						   ? reboot_left(s)
						   : reconnect_timeout(s);

			s->reconnect_asked = true;
			s->timer_ms = now(s) + timeout;
			if (s->ops->reconnect) {
				s->ops->reconnect(s->user, s->reconnect_why, timeout);
			}
		} else if (s->reconnect_why == DFU_SMP_SESSION_RECONNECT_RESET) {
			reboot_failed(s, -ETIMEDOUT, "it was not back within %u s",
				      seconds(reboot_timeout(s)));
		} else {
			not_back(s, -ENOTCONN, NULL);
		}
		break;
	default:
		break;
	}
}

/* ---- the API ---- */

void dfu_smp_session_init(struct dfu_smp_session *s, struct dfu_smp_client *client,
			  const struct dfu_smp_session_config *cfg,
			  const struct dfu_smp_session_ops *ops, void *user)
{
	memset(s, 0, sizeof(*s));
	s->client = client;
	if (cfg) {
		s->cfg = *cfg;
	}
	s->ops = ops;
	s->user = user;
	s->link_up = true;
	s->timer_ms = UINT64_MAX;
	s->now_ms = dfu_smp_client_now(client);
}

/* Sets up a job; @return 0 or -EBUSY. */
static int begin(struct dfu_smp_session *s, enum job job)
{
	if (dfu_smp_session_busy(s)) {
		return -EBUSY;
	}
	memset(&s->result, 0, sizeof(s->result));
	memset(&s->engine, 0, sizeof(s->engine));
	s->result.upgrade.outcome = DFU_SMP_UPGRADE_FAILED;
	s->job = job;
	s->step = job == JOB_UPLOAD ? DFU_SMP_UPGRADE_STEP_UPLOAD : DFU_SMP_UPGRADE_STEP_READ_STATE;
	s->reconnects = 0;
	s->tuned = false;
	s->engine_started = false;
	s->recovery_checked = false;
	s->timer_ms = UINT64_MAX;
	return 0;
}

/* Runs the job's first step; an end found meanwhile waits for dfu_smp_session_process(). */
static void go(struct dfu_smp_session *s, bool learn_first)
{
	s->starting = true;
	if (learn_first) {
		learn(s);
	} else {
		run(s);
	}
	s->starting = false;
}

int dfu_smp_session_learn_limits(struct dfu_smp_session *s)
{
	int err = begin(s, JOB_LIMITS);

	if (!err) {
		go(s, true);
	}
	return err;
}

int dfu_smp_session_upload(struct dfu_smp_session *s, const struct dfu_smp_upload_config *cfg,
			   uint8_t *buf, size_t buf_len)
{
	int err;

	if (!cfg || !cfg->data || !buf || buf_len <= DFU_SMP_HDR_SIZE) {
		return -EINVAL;
	}
	err = begin(s, JOB_UPLOAD);
	if (!err) {
		s->upload_cfg = *cfg;
		s->job_buf = buf;
		s->job_buf_len = buf_len;
		go(s, !s->limits_known);
	}
	return err;
}

int dfu_smp_session_upgrade(struct dfu_smp_session *s, const struct dfu_smp_upgrade_config *cfg,
			uint8_t *buf, size_t buf_len)
{
	int err;

	if (!cfg || !cfg->images || !cfg->count || !buf ||
	    buf_len <= DFU_SMP_UPGRADE_REQUEST_BUF + DFU_SMP_HDR_SIZE) {
		return -EINVAL;
	}
	err = begin(s, JOB_UPGRADE);
	if (!err) {
		s->upgrade_cfg = *cfg;
		if (!s->upgrade_cfg.timeout_ms) {
			s->upgrade_cfg.timeout_ms = s->cfg.timeout_ms;
		}
		if (!s->upgrade_cfg.retries) {
			s->upgrade_cfg.retries = s->cfg.retries;
		}
		s->job_buf = buf;
		s->job_buf_len = buf_len;
		go(s, !s->limits_known);
	}
	return err;
}

void dfu_smp_session_link_up(struct dfu_smp_session *s)
{
	s->link_up = true;
	if (s->job == JOB_NONE || s->phase != PHASE_RECONNECT) {
		return;
	}
	s->timer_ms = UINT64_MAX;
	if (s->reconnect_why == DFU_SMP_SESSION_RECONNECT_RESET) {
		if (s->cfg.link_stays_up) {
			echo(s); /* the port is back; is the device? */
		} else {
			reboot_done(s);
		}
		return;
	}
	reapply_limits(s);
	if (s->resume == PHASE_PARAMS || s->resume == PHASE_PROBE) {
		learn(s);
	} else {
		run(s);
	}
}

void dfu_smp_session_link_down(struct dfu_smp_session *s, int err, const char *why)
{
	if (s->job == JOB_NONE) {
		s->link_up = false;
		return;
	}
	if (s->phase == PHASE_RECONNECT) {
		if (!s->reconnect_asked) {
			return; /* known: the owner hears of it from the next dfu_smp_session_process() */
		}
		s->timer_ms = UINT64_MAX;
		if (s->reconnect_why == DFU_SMP_SESSION_RECONNECT_RESET) {
			reboot_failed(s, err, "%s", why ? why : strerror(-err));
		} else {
			not_back(s, err, why ? why : strerror(-err));
		}
		return;
	}
	s->link_up = false;
	/* what is on the link is lost; its callbacks say what the job does next */
	dfu_smp_client_transport_error(s->client, err);
	if (s->job == JOB_NONE) {
		return;
	}
	switch (s->phase) {
	case PHASE_PARAMS:
	case PHASE_PROBE:
	case PHASE_ECHO:
	case PHASE_STATE:
	case PHASE_SIZE:
		if (s->req_busy) { /* not sent yet */
			dfu_smp_client_cancel(s->client, &s->req);
			s->req_busy = false;
			own_answer(s, err, NULL);
		}
		break;
	case PHASE_RUN:
		abort_engine(s); /* nothing of it was on the link */
		link_lost(s, err, NULL);
		break;
	case PHASE_DROP:
	case PHASE_SETTLE:
	case PHASE_PAUSE:
		ask_reconnect(s, DFU_SMP_SESSION_RECONNECT_RESET);
		break;
	default:
		break;
	}
}

void dfu_smp_session_abort(struct dfu_smp_session *s)
{
	if (s->job == JOB_NONE) {
		return;
	}
	if (s->phase == PHASE_PROBE) {
		s->ops->set_reassembly(s->user, 0); /* a probe sets it only with this op */
	}
	abort_engine(s);
	s->result.aborted = true;
	if (s->job == JOB_UPGRADE) {
		s->result.upgrade.outcome = DFU_SMP_UPGRADE_FAILED;
		s->result.upgrade.step = s->step;
	}
	fail(s, -ECANCELED, "aborted during %s", what(s));
}

void dfu_smp_session_process(struct dfu_smp_session *s, uint64_t now_ms)
{
	if (now_ms > s->now_ms) {
		s->now_ms = now_ms;
	}
	dfu_smp_client_process(s->client, now_ms);
	if (s->ended) {
		s->ended = false;
		s->ops->done(s->user, s->end_err, &s->result);
		return;
	}
	if (s->job != JOB_NONE && s->timer_ms <= now(s)) {
		s->timer_ms = UINT64_MAX;
		on_timer(s);
	}
}

uint64_t dfu_smp_session_deadline(const struct dfu_smp_session *s)
{
	uint64_t deadline = dfu_smp_client_deadline(s->client);

	if (s->ended) {
		return now(s);
	}
	return s->timer_ms < deadline ? s->timer_ms : deadline;
}

enum dfu_smp_upgrade_step dfu_smp_session_step(const struct dfu_smp_session *s)
{
	return s->step;
}

bool dfu_smp_session_busy(const struct dfu_smp_session *s)
{
	return s->job != JOB_NONE || s->ended;
}

const struct dfu_smp_session_limits *dfu_smp_session_limits(const struct dfu_smp_session *s)
{
	return s->limits_known ? &s->limits : NULL;
}
