/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device session (dfu/session.c) and the upgrade it runs (dfu/upgrade.c) against a scripted
 * device in virtual time: a fake transport answers each request as a small MCUboot device would
 * (image state, upload, slot info, marks, reset and reboot with the swap, parameters, echo,
 * split requests), and a script of rules replaces the answer to the n-th request of a kind
 * (silence, an error rc, garbage, a send error, a lost link, an abort). The test plays the
 * owner: it runs the clock, delivers answers, reconnects when asked and reports the link.
 *
 * Covered: learning the limits (parameters answered, rc 8, silence; the reassembly probe
 * answered, DFU_SMP_MGMT_ERR_ECORRUPT, silence), every step of the upgrade and its failures (request
 * failures and malformed answers at each step, the device not listing the upload, the mark or
 * the confirm, a refused reset, a rollback, a device that does not reset or does not come
 * back), the reboot wait on both kinds of link, a lost link and the resume at each stage, and
 * an abort at each step.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dfu-smp/dfu/session.h>
#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/smp/header.h>

#include "../mgmt/cbor_reader.h"

#define IMAGE_SIZE 6000u
#define LATENCY_MS 5u       /* each answer arrives this long after its request */
#define RESET_DELAY_MS 50u  /* the device resets this long after answering the reset */
#define BOOT_MS 2000u       /* and is back this long after */
#define LIMIT_MS (30u * 60u * 1000u) /* no test runs longer, in virtual time */
#define MAX_EVENTS 64

/* What a request asks. */
enum kind {
	K_PARAMS,
	K_ECHO,
	K_PROBE,   /* an echo longer than one write */
	K_STATE,   /* state read */
	K_MARK,    /* state write with a hash */
	K_CONFIRM, /* state write without one */
	K_SLOTS,
	K_UPLOAD,
	K_RESET,
	K_OTHER,
	K_COUNT,
};

/* What a rule does to the request it matches. */
enum act {
	ACT_SILENT,     /* no answer */
	ACT_RC,         /* {"rc": rc} */
	ACT_GARBAGE,    /* not CBOR */
	ACT_EMPTY_MAP,  /* {} */
	ACT_SEND_ERROR, /* the transport refuses it: -EIO */
	ACT_DROP_LINK,  /* the link drops as it arrives; the device keeps running */
	ACT_ABORT,      /* the owner aborts the job while it is on the link */
	ACT_GROUP_ERR,  /* {"err": {"group": 1, "rc": rc}} */
	ACT_QUIET_DROP, /* answered; then the link drops and nobody notices until a send fails */
	ACT_STALL_DROP, /* the transport takes nothing from this request on; the link drops */
};

struct rule {
	enum kind kind;
	int nth;        /* 1-based, among requests of its kind; 0: every one */
	enum act act;
	int rc;
};

struct slot {
	bool used;
	uint8_t hash[32];
	const char *version;
	bool pending;
	bool permanent;
	bool confirmed;
	bool active;
};

enum ev_type {
	EV_ANSWER,
	EV_RESET,
	EV_BOOTED,
	EV_LINK_UP,
	EV_LINK_FAIL,
	EV_DROP,
	EV_ABORT,
};

struct event {
	bool used;
	uint64_t at;
	enum ev_type type;
	uint8_t *msg;
	size_t len;
	int err;
};

static const uint8_t NEW_HASH[32] = { 0xaa, 0xbb, 0xcc, 1 };
static const uint8_t OLD_HASH[32] = { 0x11, 0x22, 0x33, 2 };
static const uint8_t SHA[32] = { 1, 2, 3 };

static struct world {
	uint64_t now;
	/* the link */
	bool stays_up;          /* UDP/serial: up through a reset */
	bool link_up;
	bool owner_link_up;     /* what the owner last told the session */
	bool owner_first;       /* the owner reports a drop before requests fail */
	size_t one_write;
	size_t reassembly;      /* set by the session */
	int reassembly_calls;
	int device_limits_calls;
	struct dfu_smp_session_limits last_limits;
	/* the owner */
	bool reconnect_fails;
	bool reconnect_ignored; /* asked, never answers */
	int reconnects_asked[2];
	uint32_t last_reconnect_timeout;
	bool abort_on_reconnect;
	bool fail_without_why;  /* a failed reconnection says no more than its errno */
	bool auto_link_up;      /* BLE: the owner reconnects on its own once the device is back */
	bool stalled;           /* the transport takes nothing (-EAGAIN) */
	int steps[64];
	int nsteps;
	int progress_calls;
	/* the device */
	bool up;
	enum { PARAMS_OK, PARAMS_RC8, PARAMS_SILENT } params;
	uint32_t buf_size;
	uint32_t buf_count;
	enum { REASM_YES, REASM_ECORRUPT, REASM_SILENT, REASM_WRONG } reasm;
	struct slot slot[2];
	int64_t image_key;      /* "image" in its state list; -1 leaves it out */
	bool other_image;       /* its state list also has an image 5 */
	bool no_versions;       /* its state list leaves out versions */
	bool short_old_hash;    /* slot 0's hash is 16 bytes */
	bool boot_unconfirmed;  /* a mark for good still boots unconfirmed */
	bool resume_sticky;     /* every fresh upload "resumes" at resume_at */
	bool rollback;          /* the new image crashes before it is confirmed */
	bool self_confirm;      /* the new image confirms itself at boot */
	bool never_back;
	bool forgets_upload;    /* the upload never shows in the state list */
	bool ignores_mark;
	bool ignores_permanent; /* a mark for good is taken as a test */
	bool ignores_confirm;
	bool reset_busy;        /* EBUSY unless forced */
	int reset_rc;           /* refuses the reset with this rc */
	bool reset_ignored;     /* answers, never resets */
	enum { SLOTS_NONE, SLOTS_SIZE, SLOTS_MAX, SLOTS_NO_SIZE } slot_info;
	int64_t slot_size;
	uint64_t off;           /* upload in RAM */
	uint64_t total;
	bool has_upload;
	uint64_t resume_at;     /* the next fresh upload "resumes" here (kept over an erase) */
	int mismatch_once;      /* the next completion reports match false */
	int upload_rc_at;       /* answer the n-th upload request with upload_rc */
	int upload_rc;
	int drop_every_uploads; /* the link drops at every n-th upload request */
	int64_t reboot_at;      /* when the device is back, or -1 */
	/*
	 * MCUboot's serial recovery answers: slot, version and hash only in its list, uploads
	 * into slot 0, v1 `rc` answers, no echo (rc 8), silence for requests longer than
	 * recovery_max; a reset boots the application from slot 0
	 */
	bool recovery;
	size_t recovery_max;
	bool recovery_no_boot;  /* the image in slot 0 does not check: it stays in recovery */
	size_t longest_upload;  /* the longest upload request, header included */
	/* the script */
	struct rule rules[8];
	int nrules;
	int count[K_COUNT];
	bool aborted;
	int sent_after_abort;
	struct event ev[MAX_EVENTS];
	bool in_start;
} W;

static struct dfu_smp_client C;
static struct dfu_smp_session S;
static uint8_t image_data[IMAGE_SIZE];
static uint8_t job_buf[DFU_SMP_UPGRADE_REQUEST_BUF + DFU_SMP_UPLOAD_WINDOW_MAX * 2475];

static struct {
	bool done;
	int err;
	bool in_start;
	struct dfu_smp_session_result result;
} R;

/* ---- events ---- */

static void schedule(uint64_t at, enum ev_type type, const uint8_t *msg, size_t len, int err)
{
	for (int i = 0; i < MAX_EVENTS; i++) {
		if (!W.ev[i].used) {
			W.ev[i] = (struct event){ true, at, type, NULL, len, err };
			if (msg) {
				W.ev[i].msg = malloc(len);
				assert_non_null(W.ev[i].msg);
				memcpy(W.ev[i].msg, msg, len);
			}
			return;
		}
	}
	fail_msg("too many events");
}

static int next_event(void)
{
	int best = -1;

	for (int i = 0; i < MAX_EVENTS; i++) {
		if (W.ev[i].used && (best < 0 || W.ev[i].at < W.ev[best].at)) {
			best = i;
		}
	}
	return best;
}

/* ---- the device ---- */

static struct rule *rule_for(enum kind k, int nth)
{
	for (int i = 0; i < W.nrules; i++) {
		if (W.rules[i].kind == k && (W.rules[i].nth == nth || W.rules[i].nth == 0)) {
			return &W.rules[i];
		}
	}
	return NULL;
}

static void add_rule(enum kind k, int nth, enum act act, int rc)
{
	assert_true(W.nrules < 8);
	W.rules[W.nrules++] = (struct rule){ k, nth, act, rc };
}

static enum kind kind_of(const struct dfu_smp_hdr *hdr, const cbor_item_t *map, size_t len)
{
	if (hdr->group == DFU_SMP_MGMT_GROUP_OS) {
		switch (hdr->id) {
		case DFU_SMP_MGMT_OS_PARAMS:
			return K_PARAMS;
		case DFU_SMP_MGMT_OS_ECHO:
			return len > W.one_write ? K_PROBE : K_ECHO;
		case DFU_SMP_MGMT_OS_RESET:
			return K_RESET;
		default:
			return K_OTHER;
		}
	}
	if (hdr->group == DFU_SMP_MGMT_GROUP_IMAGE) {
		switch (hdr->id) {
		case DFU_SMP_MGMT_IMG_STATE:
			if (hdr->op == DFU_SMP_OP_READ) {
				return K_STATE;
			}
			return map && dfu_smp_mgmt_cbor_find(map, "hash") ? K_MARK : K_CONFIRM;
		case DFU_SMP_MGMT_IMG_SLOT_INFO:
			return K_SLOTS;
		case DFU_SMP_MGMT_IMG_UPLOAD:
			return K_UPLOAD;
		default:
			return K_OTHER;
		}
	}
	return K_OTHER;
}

static void state_list(struct dfu_smp_mgmt_cbor_writer *w)
{
	int n = W.slot[1].used ? 2 : 1;

	if (W.recovery) {
		dfu_smp_mgmt_cbor_map(w, 1);
		dfu_smp_mgmt_cbor_text(w, "images");
		dfu_smp_mgmt_cbor_array(w, (size_t)n);
		for (int i = 0; i < n; i++) {
			dfu_smp_mgmt_cbor_map(w, 3);
			dfu_smp_mgmt_cbor_text(w, "slot");
			dfu_smp_mgmt_cbor_uint(w, (uint64_t)i);
			dfu_smp_mgmt_cbor_text(w, "version");
			dfu_smp_mgmt_cbor_text(w, W.slot[i].version);
			dfu_smp_mgmt_cbor_text(w, "hash");
			dfu_smp_mgmt_cbor_bytes(w, W.slot[i].hash, 32);
		}
		return;
	}
	dfu_smp_mgmt_cbor_map(w, 1);
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array(w, (size_t)n + (W.other_image ? 1u : 0u));
	if (W.other_image) { /* another image's slot, active */
		dfu_smp_mgmt_cbor_map(w, 4);
		dfu_smp_mgmt_cbor_text(w, "image");
		dfu_smp_mgmt_cbor_uint(w, 5);
		dfu_smp_mgmt_cbor_text(w, "slot");
		dfu_smp_mgmt_cbor_uint(w, 1);
		dfu_smp_mgmt_cbor_text(w, "hash");
		dfu_smp_mgmt_cbor_bytes(w, NEW_HASH, 32);
		dfu_smp_mgmt_cbor_text(w, "active");
		dfu_smp_mgmt_cbor_bool(w, true);
	}
	for (int i = 0; i < n; i++) {
		const struct slot *s = &W.slot[i];
		bool short_hash = W.short_old_hash && memcmp(s->hash, OLD_HASH, 32) == 0;

		dfu_smp_mgmt_cbor_map(w, (W.image_key >= 0 ? 8u : 7u) - (W.no_versions ? 1u : 0u));
		if (W.image_key >= 0) {
			dfu_smp_mgmt_cbor_text(w, "image");
			dfu_smp_mgmt_cbor_uint(w, (uint64_t)W.image_key);
		}
		dfu_smp_mgmt_cbor_text(w, "slot");
		dfu_smp_mgmt_cbor_uint(w, (uint64_t)i);
		if (!W.no_versions) {
			dfu_smp_mgmt_cbor_text(w, "version");
			dfu_smp_mgmt_cbor_text(w, s->version);
		}
		dfu_smp_mgmt_cbor_text(w, "hash");
		dfu_smp_mgmt_cbor_bytes(w, s->hash, short_hash ? 16 : 32);
		dfu_smp_mgmt_cbor_text(w, "pending");
		dfu_smp_mgmt_cbor_bool(w, s->pending);
		dfu_smp_mgmt_cbor_text(w, "confirmed");
		dfu_smp_mgmt_cbor_bool(w, s->confirmed);
		dfu_smp_mgmt_cbor_text(w, "active");
		dfu_smp_mgmt_cbor_bool(w, s->active);
		dfu_smp_mgmt_cbor_text(w, "permanent");
		dfu_smp_mgmt_cbor_bool(w, s->permanent);
	}
}

static void slot_info(struct dfu_smp_mgmt_cbor_writer *w)
{
	dfu_smp_mgmt_cbor_map(w, 1);
	dfu_smp_mgmt_cbor_text(w, "images");
	dfu_smp_mgmt_cbor_array(w, 2);
	/* another image first: skipped */
	dfu_smp_mgmt_cbor_map(w, 2);
	dfu_smp_mgmt_cbor_text(w, "image");
	dfu_smp_mgmt_cbor_uint(w, 7);
	dfu_smp_mgmt_cbor_text(w, "slots");
	dfu_smp_mgmt_cbor_array(w, 0);
	dfu_smp_mgmt_cbor_map(w, W.slot_info == SLOTS_MAX ? 3 : 2);
	dfu_smp_mgmt_cbor_text(w, "image");
	dfu_smp_mgmt_cbor_uint(w, W.image_key >= 0 ? (uint64_t)W.image_key : 0);
	if (W.slot_info == SLOTS_MAX) {
		dfu_smp_mgmt_cbor_text(w, "max_image_size");
		dfu_smp_mgmt_cbor_uint(w, (uint64_t)W.slot_size - 100u);
	}
	dfu_smp_mgmt_cbor_text(w, "slots");
	dfu_smp_mgmt_cbor_array(w, 2);
	for (unsigned i = 0; i < 2; i++) {
		dfu_smp_mgmt_cbor_map(w, W.slot_info == SLOTS_NO_SIZE ? 1 : 2);
		dfu_smp_mgmt_cbor_text(w, "slot");
		dfu_smp_mgmt_cbor_uint(w, i);
		if (W.slot_info != SLOTS_NO_SIZE) {
			dfu_smp_mgmt_cbor_text(w, "size");
			dfu_smp_mgmt_cbor_uint(w, (uint64_t)W.slot_size);
		}
	}
}

/* The upload handler of an image manager; false: no answer. */
static void upload(const cbor_item_t *map, struct dfu_smp_mgmt_cbor_writer *w)
{
	uint64_t off = 0, total = 0;
	const cbor_item_t *data = dfu_smp_mgmt_cbor_find(map, "data");
	size_t n = dfu_smp_mgmt_cbor_string_size(data);

	assert_int_equal(dfu_smp_mgmt_cbor_get_uint(dfu_smp_mgmt_cbor_find(map, "off"), &off), 0);
	if (W.upload_rc_at && W.count[K_UPLOAD] == W.upload_rc_at) {
		dfu_smp_mgmt_cbor_map(w, 1);
		dfu_smp_mgmt_cbor_text(w, "rc");
		dfu_smp_mgmt_cbor_uint(w, (uint64_t)W.upload_rc);
		return;
	}
	if (off == 0) {
		const cbor_item_t *sha = dfu_smp_mgmt_cbor_find(map, "sha");

		assert_int_equal(
			dfu_smp_mgmt_cbor_get_uint(dfu_smp_mgmt_cbor_find(map, "len"), &total), 0);
		if (!(sha && W.has_upload && W.total == total && W.off > 0)) {
			W.total = total;
			W.off = W.resume_at;
			if (!W.resume_sticky) {
				W.resume_at = 0;
			}
			W.has_upload = true;
		}
	}
	if (off == W.off && W.has_upload) {
		W.off += n;
	}
	if (W.has_upload && W.off == W.total) {
		dfu_smp_mgmt_cbor_map(w, 2);
		dfu_smp_mgmt_cbor_text(w, "off");
		dfu_smp_mgmt_cbor_uint(w, W.off);
		dfu_smp_mgmt_cbor_text(w, "match");
		dfu_smp_mgmt_cbor_bool(w, W.mismatch_once == 0);
		if (W.mismatch_once) {
			W.mismatch_once = 0;
			W.has_upload = false;
			return;
		}
		W.has_upload = false;
		if (W.recovery) { /* the bootloader writes slot 0 itself */
			W.slot[0] = (struct slot){ .used = true, .version = "2.0.0" };
			memcpy(W.slot[0].hash, NEW_HASH, 32);
			return;
		}
		W.slot[1] = (struct slot){ .used = true, .version = "2.0.0" };
		memcpy(W.slot[1].hash, W.forgets_upload ? OLD_HASH : NEW_HASH, 32);
		if (W.forgets_upload) {
			W.slot[1].hash[0] = 0x99;
		}
		return;
	}
	dfu_smp_mgmt_cbor_map(w, 1);
	dfu_smp_mgmt_cbor_text(w, "off");
	dfu_smp_mgmt_cbor_uint(w, W.off);
}

static void link_drops(void);

/* The device takes one request; the answer, if any, goes on the link LATENCY_MS later. */
static int fake_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct dfu_smp_hdr hdr;
	cbor_item_t *map;
	struct rule *rule;
	enum kind k;
	uint8_t out[1024];
	struct dfu_smp_mgmt_cbor_writer w;
	char why[100];

	(void)ctx;
	if (W.aborted) {
		W.sent_after_abort++;
	}
	if (!W.link_up) {
		return W.stays_up ? -ENOTCONN : -ENXIO;
	}
	if (W.stalled) {
		return -EAGAIN;
	}
	if (len > (W.reassembly > W.one_write ? W.reassembly : W.one_write)) {
		return -EMSGSIZE;
	}
	assert_int_equal(dfu_smp_hdr_decode(msg, len, &hdr), 0);
	map = dfu_smp_mgmt_cbor_load(msg + DFU_SMP_HDR_SIZE, hdr.len, why, sizeof(why));
	assert_non_null(map);
	k = kind_of(&hdr, map, len);
	W.count[k]++;
	rule = rule_for(k, W.count[k]);
	if (rule && rule->act == ACT_SEND_ERROR) {
		cbor_decref(&map);
		return -EIO;
	}
	if (rule && rule->act == ACT_DROP_LINK) {
		schedule(W.now, EV_DROP, NULL, 0, 0);
	}
	if (rule && rule->act == ACT_ABORT) {
		schedule(W.now + 1, EV_ABORT, NULL, 0, 0);
	}
	if (rule && rule->act == ACT_STALL_DROP) {
		W.stalled = true;
		W.owner_first = true;
		schedule(W.now, EV_DROP, NULL, 0, 0);
		cbor_decref(&map);
		return -EAGAIN;
	}
	if (k == K_UPLOAD && W.drop_every_uploads &&
	    W.count[K_UPLOAD] % W.drop_every_uploads == 0) {
		schedule(W.now, EV_DROP, NULL, 0, 0);
	}
	if (k == K_RESET && rule && rule->act == ACT_DROP_LINK) {
		schedule(W.now, EV_RESET, NULL, 0, 0); /* it resets before the answer leaves */
	}
	if (k == K_UPLOAD && len > W.longest_upload) {
		W.longest_upload = len;
	}
	if (!W.up || (rule && (rule->act == ACT_SILENT || rule->act == ACT_DROP_LINK)) ||
	    (W.recovery && len > W.recovery_max)) {
		cbor_decref(&map);
		return 0;
	}
	dfu_smp_mgmt_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE, sizeof(out) - DFU_SMP_HDR_SIZE);
	if (k == K_PROBE && W.reasm == REASM_WRONG) {
		dfu_smp_mgmt_cbor_map(&w, 1);
		dfu_smp_mgmt_cbor_text(&w, "r");
		dfu_smp_mgmt_cbor_text(&w, "something else");
	} else if (k == K_PROBE && W.reasm != REASM_YES) {
		if (W.reasm == REASM_SILENT) {
			cbor_decref(&map);
			return 0;
		}
		dfu_smp_mgmt_cbor_map(&w, 1); /* the first write, shorter than its header says */
		dfu_smp_mgmt_cbor_text(&w, "rc");
		dfu_smp_mgmt_cbor_uint(&w, DFU_SMP_MGMT_ERR_ECORRUPT);
	} else if (W.recovery && k != K_STATE && k != K_UPLOAD && k != K_RESET &&
		   k != K_PARAMS) {
		dfu_smp_mgmt_cbor_map(&w, 1); /* built without echo; nothing else is there */
		dfu_smp_mgmt_cbor_text(&w, "rc");
		dfu_smp_mgmt_cbor_uint(&w, DFU_SMP_MGMT_ERR_ENOTSUP);
	} else if (rule && rule->act == ACT_RC) {
		dfu_smp_mgmt_cbor_map(&w, 1);
		dfu_smp_mgmt_cbor_text(&w, "rc");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)rule->rc);
	} else if (rule && rule->act == ACT_GARBAGE) {
		static const uint8_t garbage[] = { 0xff, 0xfe };

		dfu_smp_mgmt_cbor_raw(&w, garbage, sizeof(garbage));
	} else if (rule && rule->act == ACT_EMPTY_MAP) {
		dfu_smp_mgmt_cbor_map(&w, 0);
	} else if (rule && rule->act == ACT_GROUP_ERR) {
		dfu_smp_mgmt_cbor_map(&w, 1);
		dfu_smp_mgmt_cbor_text(&w, "err");
		dfu_smp_mgmt_cbor_map(&w, 2);
		dfu_smp_mgmt_cbor_text(&w, "group");
		dfu_smp_mgmt_cbor_uint(&w, hdr.group);
		dfu_smp_mgmt_cbor_text(&w, "rc");
		dfu_smp_mgmt_cbor_uint(&w, (uint64_t)rule->rc);
	} else {
		switch (k) {
		case K_PARAMS:
			if (W.params == PARAMS_SILENT) {
				cbor_decref(&map);
				return 0;
			}
			if (W.params == PARAMS_RC8) {
				dfu_smp_mgmt_cbor_map(&w, 1);
				dfu_smp_mgmt_cbor_text(&w, "rc");
				dfu_smp_mgmt_cbor_uint(&w, DFU_SMP_MGMT_ERR_ENOTSUP);
				break;
			}
			dfu_smp_mgmt_cbor_map(&w, 2);
			dfu_smp_mgmt_cbor_text(&w, "buf_size");
			dfu_smp_mgmt_cbor_uint(&w, W.buf_size);
			dfu_smp_mgmt_cbor_text(&w, "buf_count");
			dfu_smp_mgmt_cbor_uint(&w, W.buf_count);
			break;
		case K_ECHO:
		case K_PROBE: {
			const cbor_item_t *d = dfu_smp_mgmt_cbor_find(map, "d");
			size_t n = dfu_smp_mgmt_cbor_string_size(d);
			char text[600];

			assert_true(n < sizeof(text));
			dfu_smp_mgmt_cbor_string_copy(d, (uint8_t *)text);
			dfu_smp_mgmt_cbor_map(&w, 1);
			dfu_smp_mgmt_cbor_text(&w, "r");
			dfu_smp_mgmt_cbor_text_n(&w, text, n);
			break;
		}
		case K_STATE:
			state_list(&w);
			break;
		case K_MARK:
			if (!W.ignores_mark) {
				const cbor_item_t *c = dfu_smp_mgmt_cbor_find(map, "confirm");

				W.slot[1].pending = true;
				W.slot[1].permanent = c && cbor_get_bool(c) && !W.ignores_permanent;
			}
			state_list(&w);
			break;
		case K_CONFIRM:
			if (!W.ignores_confirm) {
				W.slot[0].confirmed = true;
			}
			state_list(&w);
			break;
		case K_SLOTS:
			if (W.slot_info == SLOTS_NONE) {
				dfu_smp_mgmt_cbor_map(&w, 1);
				dfu_smp_mgmt_cbor_text(&w, "rc");
				dfu_smp_mgmt_cbor_uint(&w, DFU_SMP_MGMT_ERR_ENOTSUP);
			} else {
				slot_info(&w);
			}
			break;
		case K_UPLOAD:
			upload(map, &w);
			break;
		case K_RESET: {
			bool force = dfu_smp_mgmt_cbor_find(map, "force") != NULL;

			if (W.reset_rc || (W.reset_busy && !force)) {
				dfu_smp_mgmt_cbor_map(&w, 1);
				dfu_smp_mgmt_cbor_text(&w, "rc");
				dfu_smp_mgmt_cbor_uint(&w, W.reset_rc ? (uint64_t)W.reset_rc
								      : DFU_SMP_MGMT_ERR_EBUSY);
				break;
			}
			if (W.recovery) {
				dfu_smp_mgmt_cbor_map(&w, 1);
				dfu_smp_mgmt_cbor_text(&w, "rc");
				dfu_smp_mgmt_cbor_uint(&w, 0);
			} else {
				dfu_smp_mgmt_cbor_map(&w, 0);
			}
			if (!W.reset_ignored) {
				schedule(W.now + RESET_DELAY_MS, EV_RESET, NULL, 0, 0);
			}
			break;
		}
		default:
			dfu_smp_mgmt_cbor_map(&w, 1);
			dfu_smp_mgmt_cbor_text(&w, "rc");
			dfu_smp_mgmt_cbor_uint(&w, DFU_SMP_MGMT_ERR_ENOTSUP);
			break;
		}
	}
	cbor_decref(&map);
	assert_false(w.overflow);
	hdr.op = dfu_smp_hdr_rsp_op(hdr.op);
	hdr.len = (uint16_t)w.len;
	dfu_smp_hdr_encode(&hdr, out);
	/* a quiet drop: the answer comes in, and the link is gone right after it */
	schedule(W.now + LATENCY_MS, EV_ANSWER, out, DFU_SMP_HDR_SIZE + w.len,
		 rule && rule->act == ACT_QUIET_DROP);
	return 0;
}

static size_t fake_max(void *ctx)
{
	(void)ctx;
	return W.reassembly > W.one_write ? W.reassembly : W.one_write;
}

/* MCUboot at boot: an unconfirmed test image is reverted; a marked one swapped in. */
static void boot(void)
{
	struct slot old = W.slot[0];

	W.up = true;
	if (W.recovery && W.recovery_no_boot) {
		return;
	}
	if (W.recovery) { /* the application in slot 0 boots */
		W.recovery = false;
		W.slot[0].active = W.slot[0].confirmed = true;
		return;
	}
	if (!W.slot[0].confirmed && W.slot[1].used) {
		W.slot[0] = W.slot[1];
		W.slot[1] = old;
		W.slot[0].active = true;
		W.slot[0].confirmed = true;
		W.slot[1].active = false;
		return;
	}
	if (W.slot[1].used && W.slot[1].pending) {
		struct slot next = W.slot[1];

		next.active = true;
		next.pending = false;
		next.confirmed = (next.permanent && !W.boot_unconfirmed) || W.self_confirm;
		next.permanent = false;
		old.active = false;
		if (W.rollback && !next.confirmed) {
			/* it crashes before confirming itself: the watchdog, the revert */
			W.slot[1] = next;
			W.slot[1].active = false;
			W.slot[0] = old;
			W.slot[0].active = true;
			return;
		}
		W.slot[0] = next;
		W.slot[1] = old;
	}
}

/* The link drops (the device keeps running); the owner hears of it as the CLI would. */
static void link_drops(void)
{
	if (!W.link_up) {
		return;
	}
	W.link_up = false;
	if (W.owner_first && W.owner_link_up) {
		W.owner_link_up = false;
		dfu_smp_session_link_down(&S, -ENOTCONN, NULL);
	}
	dfu_smp_client_transport_error(&C, -ENOTCONN);
	if (W.owner_link_up) {
		W.owner_link_up = false;
		dfu_smp_session_link_down(&S, -ENOTCONN, NULL);
	}
}

static void fire(int i)
{
	struct event e = W.ev[i];

	W.ev[i].used = false;
	W.ev[i].msg = NULL;
	switch (e.type) {
	case EV_ANSWER:
		if (W.link_up) {
			W.link_up = !e.err;
			dfu_smp_client_receive(&C, e.msg, e.len);
		}
		break;
	case EV_RESET:
		W.up = false;
		W.has_upload = false;
		if (!W.stays_up) {
			link_drops();
		}
		W.reboot_at = W.never_back ? -1 : (int64_t)(W.now + BOOT_MS);
		if (!W.never_back) {
			schedule(W.now + BOOT_MS, EV_BOOTED, NULL, 0, 0);
		}
		break;
	case EV_BOOTED:
		boot();
		if (W.auto_link_up && !W.link_up) {
			schedule(W.now + 20, EV_LINK_UP, NULL, 0, 0);
		}
		break;
	case EV_LINK_UP:
		W.link_up = true;
		W.owner_link_up = true;
		dfu_smp_session_link_up(&S);
		break;
	case EV_LINK_FAIL:
		dfu_smp_session_link_down(&S, e.err,
					  W.fail_without_why ? NULL : "no such device found");
		break;
	case EV_DROP:
		link_drops();
		W.stalled = false;
		break;
	case EV_ABORT:
		W.aborted = true;
		dfu_smp_session_abort(&S);
		break;
	}
	free(e.msg);
}

/* ---- the owner ---- */

static void t_set_reassembly(void *user, size_t max)
{
	(void)user;
	W.reassembly = max;
	W.reassembly_calls++;
}

static void t_set_device_limits(void *user, const struct dfu_smp_session_limits *limits)
{
	(void)user;
	W.device_limits_calls++;
	W.last_limits = *limits;
}

static size_t t_max_size(void *user)
{
	(void)user;
	return fake_max(NULL);
}

static void t_reconnect(void *user, enum dfu_smp_session_reconnect why, uint32_t timeout_ms)
{
	(void)user;
	assert_false(W.in_start);
	W.reconnects_asked[why]++;
	W.last_reconnect_timeout = timeout_ms;
	W.owner_link_up = false;
	if (W.abort_on_reconnect) {
		schedule(W.now + 1, EV_ABORT, NULL, 0, 0);
		return;
	}
	if (W.reconnect_ignored) {
		return;
	}
	if (W.reconnect_fails) {
		schedule(W.now + 100, EV_LINK_FAIL, NULL, 0, -EHOSTDOWN);
		return;
	}
	if (W.stays_up || W.up) {
		schedule(W.now + 20, EV_LINK_UP, NULL, 0,
			 0); /* a port open again; a device found */
	} else if (W.reboot_at >= 0 && (uint64_t)W.reboot_at <= W.now + timeout_ms) {
		schedule((uint64_t)W.reboot_at + 20, EV_LINK_UP, NULL, 0, 0);
	} else {
		schedule(W.now + timeout_ms, EV_LINK_FAIL, NULL, 0, -ETIMEDOUT);
	}
}

static void t_step(void *user, enum dfu_smp_upgrade_step step, const char *detail)
{
	(void)user;
	(void)detail;
	assert_true(W.nsteps < 64);
	W.steps[W.nsteps++] = (int)step;
}

static void t_progress(void *user, const struct dfu_smp_upload_progress *p)
{
	(void)user;
	assert_true(p->offset <= p->total);
	W.progress_calls++;
}

static void t_done(void *user, int err, const struct dfu_smp_session_result *result)
{
	(void)user;
	assert_false(R.done); /* once */
	R.done = true;
	R.err = err;
	R.in_start = W.in_start;
	R.result = *result;
}

static const struct dfu_smp_session_ops full_ops = {
	.max_size = t_max_size,
	.set_reassembly = t_set_reassembly,
	.set_device_limits = t_set_device_limits,
	.reconnect = t_reconnect,
	.step = t_step,
	.progress = t_progress,
	.done = t_done,
};

static const struct dfu_smp_session_ops bare_ops = { .done = t_done };

/*
 * One turn of the owner's loop: the clock on to what is due next (a device event, or the
 * session's deadline with @p session, the client's without), the time given to the client,
 * the events due fired, the time given to the session.
 */
static void turn(bool session)
{
	uint64_t t = session ? dfu_smp_session_deadline(&S) : dfu_smp_client_deadline(&C);
	int e = next_event();

	if (e >= 0 && W.ev[e].at < t) {
		t = W.ev[e].at;
	}
	assert_true(t != UINT64_MAX); /* something is always waited for */
	assert_true(t <= LIMIT_MS);
	if (t > W.now) {
		W.now = t;
	}
	dfu_smp_client_process(&C, W.now);
	while (!R.done && (e = next_event()) >= 0 && W.ev[e].at <= W.now) {
		fire(e);
	}
	if (session && !R.done) {
		dfu_smp_session_process(&S, W.now);
	}
}

/* Runs the clock until the job ends. */
static void run(void)
{
	while (!R.done) {
		turn(true);
	}
	assert_false(R.in_start);
}

/* Runs the clock until the reset request has gone out. */
static void run_until_reset(void)
{
	while (!R.done && W.count[K_RESET] == 0) {
		turn(true);
	}
}

/* ---- set-up ---- */

static struct dfu_smp_session_config session_cfg;

static void init_session(const struct dfu_smp_session_ops *ops)
{
	dfu_smp_session_init(&S, &C, &session_cfg, ops, NULL);
}

/* A link that stays up while the device resets (UDP, serial). */
static void link_stays_up(void)
{
	W.stays_up = true;
	session_cfg.link_stays_up = true;
	init_session(&full_ops);
}

static int setup(void **state)
{
	const struct dfu_smp_transport t = { .send = fake_send, .max_size = fake_max };

	(void)state;
	for (int i = 0; i < MAX_EVENTS; i++) {
		free(W.ev[i].msg);
	}
	memset(&W, 0, sizeof(W));
	memset(&R, 0, sizeof(R));
	W.link_up = W.owner_link_up = true;
	W.up = true;
	W.one_write = 244;
	W.params = PARAMS_OK;
	W.buf_size = 2475;
	W.buf_count = 4;
	W.reasm = REASM_YES;
	W.image_key = -1;
	W.slot_info = SLOTS_SIZE;
	W.slot_size = 0x70000;
	W.reboot_at = -1;
	W.slot[0] = (struct slot){ .used = true, .version = "1.0.0", .confirmed = true,
				   .active = true };
	memcpy(W.slot[0].hash, OLD_HASH, 32);
	for (size_t i = 0; i < IMAGE_SIZE; i++) {
		image_data[i] = (uint8_t)(i * 7 + 3);
	}
	dfu_smp_client_init(&C, &t, NULL);
	memset(&session_cfg, 0, sizeof(session_cfg));
	session_cfg.timeout_ms = 1000;
	init_session(&full_ops);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < MAX_EVENTS; i++) {
		free(W.ev[i].msg);
		W.ev[i].msg = NULL;
		W.ev[i].used = false;
	}
	return 0;
}

/* The one image the upgrades install (the scripted device lists it as 2.0.0). */
static struct dfu_smp_upgrade_image test_image;

static struct dfu_smp_upgrade_config upgrade_cfg(enum dfu_smp_upgrade_mode mode)
{
	struct dfu_smp_upgrade_config cfg = { .images = &test_image, .count = 1, .mode = mode };

	test_image = (struct dfu_smp_upgrade_image){
		.data = image_data, .size = IMAGE_SIZE, .hash = NEW_HASH, .hash_len = 32,
		.sha = SHA, .version = { .major = 2 },
	};

	cfg.upload.first_timeout_ms = 2000;
	return cfg;
}

static void start_upgrade(const struct dfu_smp_upgrade_config *cfg)
{
	W.in_start = true;
	assert_int_equal(dfu_smp_session_upgrade(&S, cfg, job_buf, sizeof(job_buf)), 0);
	W.in_start = false;
}

static void upgrade(enum dfu_smp_upgrade_mode mode)
{
	const struct dfu_smp_upgrade_config cfg = upgrade_cfg(mode);

	start_upgrade(&cfg);
	run();
}

static void start_upload(void)
{
	struct dfu_smp_upload_config cfg = { .data = image_data, .size = IMAGE_SIZE, .sha = SHA,
					 .first_timeout_ms = 2000 };

	W.in_start = true;
	assert_int_equal(dfu_smp_session_upload(&S, &cfg, job_buf, sizeof(job_buf)), 0);
	W.in_start = false;
}

static void learn(void)
{
	W.in_start = true;
	assert_int_equal(dfu_smp_session_learn_limits(&S), 0);
	W.in_start = false;
	run();
}

static bool runs_new(bool confirmed)
{
	return memcmp(W.slot[0].hash, NEW_HASH, 32) == 0 && W.slot[0].active &&
	       W.slot[0].confirmed == confirmed;
}

static bool message_has(const char *text)
{
	if (!strstr(R.result.message, text)) {
		print_error("message: '%s', wanted '%s'\n", R.result.message, text);
		return false;
	}
	return true;
}

/* ---- learning the limits ---- */

static void limits_params_and_reassembly_answered(void **state)
{
	(void)state;
	learn();
	assert_int_equal(R.err, 0);
	assert_true(R.result.limits_known);
	assert_true(R.result.limits.have_params);
	assert_int_equal(R.result.limits.buf_size, 2475);
	assert_int_equal(R.result.limits.buf_count, 4);
	assert_true(R.result.limits.reassembly);
	assert_int_equal(R.result.limits.max_request, 2475);
	assert_int_equal(W.reassembly, 2475); /* left on */
	assert_int_equal(W.count[K_PROBE], 1);
	assert_int_equal(W.device_limits_calls, 1);
	assert_non_null(dfu_smp_session_limits(&S));
}

static void limits_probe_answered_ecorrupt_means_no_reassembly(void **state)
{
	(void)state;
	W.reasm = REASM_ECORRUPT;
	learn();
	assert_int_equal(R.err, 0);
	assert_true(R.result.limits.have_params);
	assert_false(R.result.limits.reassembly);
	assert_int_equal(W.reassembly, 0); /* turned off again */
	assert_int_equal(R.result.limits.max_request, 244);
}

static void limits_probe_unanswered_means_no_reassembly(void **state)
{
	(void)state;
	W.reasm = REASM_SILENT;
	learn();
	assert_int_equal(R.err, 0);
	assert_false(R.result.limits.reassembly);
	assert_int_equal(W.reassembly, 0);
	assert_int_equal(R.result.limits.max_request, 244);
	assert_true(W.now >= 1000 && W.now < 1100); /* the probe waited (the request timeout) */
}

static void limits_rc_8_means_unknown(void **state)
{
	(void)state;
	W.params = PARAMS_RC8;
	learn();
	assert_int_equal(R.err, 0);
	assert_false(R.result.limits.have_params);
	assert_int_equal(R.result.limits.max_request, 244);
	assert_int_equal(W.count[K_PROBE], 0);
	assert_int_equal(W.device_limits_calls, 1);
	assert_false(W.last_limits.have_params);
}

static void limits_unanswered_fail(void **state)
{
	(void)state;
	W.params = PARAMS_SILENT;
	learn();
	assert_int_equal(R.err, -ETIMEDOUT);
	assert_true(message_has("parameters request failed"));
	assert_null(dfu_smp_session_limits(&S));
}

static void limits_no_probe_where_one_write_holds_the_buffer(void **state)
{
	(void)state;
	W.one_write = 1500; /* UDP */
	W.buf_size = 1024;
	learn();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.limits.max_request, 1024);
	assert_int_equal(W.count[K_PROBE], 0);
	assert_int_equal(W.reassembly_calls, 0);
}

static void limits_no_probe_without_the_knob_or_on_long_writes(void **state)
{
	(void)state;
	init_session(&bare_ops); /* no set_reassembly: the link cannot split */
	learn();
	assert_int_equal(R.err, 0);
	assert_int_equal(W.count[K_PROBE], 0);
	assert_int_equal(R.result.limits.max_request, 244);

	setup(NULL);
	W.one_write = DFU_SMP_SESSION_WRITE_MAX + 1;
	W.buf_size = 4000;
	learn();
	assert_int_equal(R.err, 0);
	assert_int_equal(W.count[K_PROBE], 0);
	assert_false(R.result.limits.reassembly);

	setup(NULL);
	W.buf_size = 250; /* longer than one write, too short for a probe */
	learn();
	assert_int_equal(R.err, 0);
	assert_int_equal(W.count[K_PROBE], 0);
	assert_int_equal(R.result.limits.max_request, 244);
}

static void limits_learned_again_after_a_lost_link(void **state)
{
	(void)state;
	add_rule(K_PARAMS, 1, ACT_DROP_LINK, 0);
	add_rule(K_PROBE, 1, ACT_DROP_LINK, 0);
	learn();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.reconnects, 2);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_LOST], 2);
	assert_int_equal(W.count[K_PARAMS], 3);
	assert_true(R.result.limits.reassembly);
}

static void limits_lost_link_not_got_back(void **state)
{
	(void)state;
	W.reconnect_fails = true;
	add_rule(K_PARAMS, 1, ACT_DROP_LINK, 0);
	learn();
	assert_int_equal(R.err, -EHOSTDOWN);
	assert_true(message_has("lost during the MCUmgr parameters request and did not come "
				"back within 60 s (waited "));
	assert_true(message_has(" s): no such device found"));
}

static void a_second_job_waits_for_the_first(void **state)
{
	const struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	assert_int_equal(dfu_smp_session_learn_limits(&S), 0);
	assert_true(dfu_smp_session_busy(&S));
	assert_int_equal(dfu_smp_session_learn_limits(&S), -EBUSY);
	assert_int_equal(dfu_smp_session_upgrade(&S, &cfg, job_buf, sizeof(job_buf)), -EBUSY);
	assert_int_equal(dfu_smp_session_upload(&S, &cfg.upload, job_buf, sizeof(job_buf)),
			 -EINVAL);
	{
		const struct dfu_smp_upload_config up = { .data = image_data, .size = IMAGE_SIZE };

		assert_int_equal(dfu_smp_session_upload(&S, &up, job_buf, sizeof(job_buf)), -EBUSY);
	}
	run();
	assert_false(dfu_smp_session_busy(&S));
	assert_int_equal(dfu_smp_session_upgrade(&S, NULL, job_buf, sizeof(job_buf)), -EINVAL);
	assert_int_equal(dfu_smp_session_upgrade(&S, &cfg, job_buf, DFU_SMP_UPGRADE_REQUEST_BUF),
			 -EINVAL);
	/* nothing runs: nothing happens */
	memset(&R, 0, sizeof(R));
	dfu_smp_session_abort(&S);
	dfu_smp_session_link_down(&S, -ENOTCONN, NULL);
	dfu_smp_session_link_up(&S);
	dfu_smp_session_process(&S, W.now);
	assert_false(R.done);
	assert_int_equal(dfu_smp_session_deadline(&S), UINT64_MAX);
}

/* ---- the upgrade ---- */

static void upgrade_over_a_link_that_drops_at_the_reset(void **state)
{
	(void)state;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_true(R.result.upgrade.uploaded);
	assert_true(runs_new(true));
	assert_int_equal(W.count[K_RESET], 1);
	assert_int_equal(W.count[K_MARK], 1);
	assert_int_equal(W.count[K_CONFIRM], 1);
	assert_int_equal(W.count[K_ECHO], 0);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_RESET], 1);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_LOST], 0);
	assert_memory_equal(R.result.upgrade.running_hash, NEW_HASH, 32);
	assert_string_equal(R.result.upgrade.running_version, "2.0.0");
	assert_true(W.progress_calls > 0);
	assert_int_equal(W.steps[W.nsteps - 1], DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM);
	assert_int_equal(dfu_smp_session_step(&S), DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM);
	/* the device rebooted: what it takes is learned again next time */
	assert_null(dfu_smp_session_limits(&S));
	assert_int_equal(W.reassembly, 0);
	assert_false(W.last_limits.have_params);
	assert_true(dfu_smp_client_idle(&C));
}

static void upgrade_over_a_link_that_stays_up(void **state)
{
	(void)state;
	link_stays_up();
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_true(runs_new(true));
	assert_int_equal(W.reconnects_asked[0] + W.reconnects_asked[1], 0);
	/* echoes while it booted, each after the last went unanswered */
	assert_true(W.count[K_ECHO] >= 3);
}

/* ---- MCUboot serial recovery ---- */

/* The bootloader answers on a serial link: one buffer of @p reported bytes, 1024 held. */
static void recovery_device(uint32_t reported)
{
	link_stays_up();
	W.one_write = 2048; /* one unit takes any request */
	W.buf_size = reported;
	W.buf_count = 1;
	W.recovery = true;
	W.recovery_max = 1024;
}

static int steps_of(enum dfu_smp_upgrade_step step)
{
	int n = 0;

	for (int i = 0; i < W.nsteps; i++) {
		n += W.steps[i] == (int)step;
	}
	return n;
}

static void recovery_upgrade_writes_slot_0_and_marks_nothing(void **state)
{
	(void)state;
	recovery_device(1024);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(R.result.upgrade.recovery);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_int_equal(W.count[K_MARK], 0);
	assert_int_equal(W.count[K_CONFIRM], 0);
	assert_int_equal(W.count[K_SLOTS], 0);
	assert_int_equal(W.count[K_RESET], 1);
	assert_false(W.slot[1].used);
	assert_true(runs_new(true)); /* the application booted it from slot 0 */
	assert_true(W.longest_upload <= 1024);
	assert_int_equal(steps_of(DFU_SMP_UPGRADE_STEP_PROBE_SIZE), 1);
	assert_int_equal(W.steps[W.nsteps - 1], DFU_SMP_UPGRADE_STEP_CHECK_BOOT);
}

static void recovery_shrinks_requests_the_bootloader_does_not_answer(void **state)
{
	(void)state;
	recovery_device(4096); /* reports more than it holds */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	/* 2048 bytes (the link's most) unanswered, then 1024 answered */
	assert_int_equal(steps_of(DFU_SMP_UPGRADE_STEP_PROBE_SIZE), 3);
	assert_int_equal(R.result.upgrade.max_request, 1024);
	assert_true(W.longest_upload <= 1024);
	assert_true(W.longest_upload > 512);
	assert_int_equal(W.count[K_UPLOAD] > 0, 1);
}

static void recovery_plain_upload_shrinks_on_silence_and_writes_slot_0(void **state)
{
	(void)state;
	recovery_device(4096); /* reports more than it holds */
	start_upload();
	run();
	assert_int_equal(R.err, 0);
	assert_true(R.result.recovery);
	/* the state read came before any upload request: recovery is known before uploading */
	assert_int_equal(W.count[K_STATE], 1);
	/* 2048 bytes (the link's most) unanswered, then 1024 answered */
	assert_int_equal(steps_of(DFU_SMP_UPGRADE_STEP_PROBE_SIZE), 3);
	assert_int_equal(R.result.max_request, 1024);
	assert_true(W.longest_upload <= 1024);
	assert_true(W.longest_upload > 512);
	assert_int_equal(R.result.upload.size, IMAGE_SIZE);
	assert_memory_equal(W.slot[0].hash, NEW_HASH, 32); /* the bootloader wrote slot 0 */
	assert_false(W.slot[1].used);
	assert_int_equal(W.count[K_RESET], 0);
}

static void plain_upload_to_an_application_is_no_recovery(void **state)
{
	(void)state;
	start_upload();
	run();
	assert_int_equal(R.err, 0);
	assert_false(R.result.recovery);
	assert_int_equal(W.count[K_STATE], 1);
	assert_memory_equal(W.slot[1].hash, NEW_HASH, 32);
}

static void recovery_that_does_not_boot_the_image_fails(void **state)
{
	(void)state;
	recovery_device(1024);
	W.recovery_no_boot = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("still in serial recovery"));
	assert_int_equal(W.count[K_MARK], 0);
}

static void upgrade_with_image_numbers_in_the_state_list(void **state)
{
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	W.image_key = 1;
	test_image.image = 1;
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
}

static void test_only_leaves_it_unconfirmed(void **state)
{
	(void)state;
	upgrade(DFU_SMP_UPGRADE_TEST_ONLY);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_TESTING);
	assert_true(runs_new(false));
	assert_int_equal(W.count[K_CONFIRM], 0);

	/* an image that confirms itself */
	setup(NULL);
	W.self_confirm = true;
	upgrade(DFU_SMP_UPGRADE_TEST_ONLY);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
}

static void confirm_now_needs_no_confirm(void **state)
{
	(void)state;
	upgrade(DFU_SMP_UPGRADE_CONFIRM_NOW);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_true(runs_new(true));
	assert_int_equal(W.count[K_CONFIRM], 0);

	/* a device that lists a mark for good as one for a test: not what was asked, no reset */
	setup(NULL);
	W.ignores_permanent = true;
	upgrade(DFU_SMP_UPGRADE_CONFIRM_NOW);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("as pending and permanent"));
	assert_int_equal(W.count[K_RESET], 0);
}

static void confirm_now_confirms_an_image_booted_for_a_test(void **state)
{
	(void)state;
	/* marked for good, listed so, but booted unconfirmed all the same */
	W.boot_unconfirmed = true;
	upgrade(DFU_SMP_UPGRADE_CONFIRM_NOW);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_int_equal(W.count[K_CONFIRM], 1);
	assert_true(runs_new(true));

	/* already marked for a test (an earlier run's --no-reset), asked for good: not marked
	 * again (Zephyr refuses a second mark: "already pending"), booted, then confirmed */
	setup(NULL);
	W.slot[1] = (struct slot){ .used = true, .version = "2.0.0", .pending = true };
	memcpy(W.slot[1].hash, NEW_HASH, 32);
	upgrade(DFU_SMP_UPGRADE_CONFIRM_NOW);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_int_equal(W.count[K_MARK], 0);
	assert_int_equal(W.count[K_CONFIRM], 1);
	assert_false(R.result.upgrade.uploaded);
	assert_true(runs_new(true));
}

static void no_reset_leaves_it_pending(void **state)
{
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	cfg.no_reset = true;
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_PENDING);
	assert_true(W.slot[1].pending);
	assert_int_equal(W.count[K_RESET], 0);

	/* already pending: nothing sent but the state read */
	memset(&R, 0, sizeof(R));
	memset(W.count, 0, sizeof(W.count));
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_PENDING);
	assert_int_equal(W.count[K_MARK], 0);
	assert_int_equal(W.count[K_UPLOAD], 0);

	/* and a run without --no-reset finishes the job */
	memset(&R, 0, sizeof(R));
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_false(R.result.upgrade.uploaded);
}

static void already_running_confirmed_does_nothing(void **state)
{
	(void)state;
	memcpy(W.slot[0].hash, NEW_HASH, 32);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_ALREADY_RUNNING);
	assert_false(R.result.upgrade.uploaded);
	assert_int_equal(W.count[K_UPLOAD] + W.count[K_MARK] + W.count[K_RESET], 0);
}

static void already_running_unconfirmed_is_confirmed_or_left(void **state)
{
	(void)state;
	memcpy(W.slot[0].hash, NEW_HASH, 32);
	W.slot[0].confirmed = false;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_int_equal(W.count[K_CONFIRM], 1);
	assert_int_equal(W.count[K_RESET], 0);

	setup(NULL);
	memcpy(W.slot[0].hash, NEW_HASH, 32);
	W.slot[0].confirmed = false;
	upgrade(DFU_SMP_UPGRADE_TEST_ONLY);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_TESTING);
	assert_int_equal(W.count[K_CONFIRM], 0);
}

static void already_in_the_secondary_slot_is_not_uploaded(void **state)
{
	(void)state;
	W.slot[1] = (struct slot){ .used = true, .version = "2.0.0" };
	memcpy(W.slot[1].hash, NEW_HASH, 32);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_false(R.result.upgrade.uploaded);
	assert_int_equal(W.count[K_UPLOAD], 0);
	assert_int_equal(W.count[K_SLOTS], 0);
}

static void too_large_an_image_is_refused_before_the_upload(void **state)
{
	(void)state;
	W.slot_size = 4096; /* the slot less the trailer */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EFBIG);
	assert_true(message_has("less MCUboot's trailer"));
	assert_int_equal(W.count[K_UPLOAD], 0);

	setup(NULL);
	W.slot_info = SLOTS_MAX;
	W.slot_size = IMAGE_SIZE + 50; /* max_image_size: 100 less */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EFBIG);
	assert_int_equal(W.count[K_UPLOAD], 0);

	setup(NULL);
	W.slot_size = 16; /* smaller than the trailer */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EFBIG);
}

static void the_first_upload_request_waits_for_the_slots_erase(void **state)
{
	uint64_t start;

	(void)state;
	/* a 4 MiB slot: 1024 pages at 250 ms, 256 s, longer than the config's 2 s */
	W.slot_size = 4u << 20;
	add_rule(K_UPLOAD, 0, ACT_SILENT, 0);
	start = W.now;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -ETIMEDOUT);
	assert_true(W.now - start >= 1024u * DFU_SMP_UPGRADE_ERASE_MS_PER_PAGE);

	/* a slot whose size is not reported: the config's own wait (and the session's ends) */
	setup(NULL);
	W.slot_info = SLOTS_NONE;
	add_rule(K_UPLOAD, 0, ACT_SILENT, 0);
	start = W.now;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -ETIMEDOUT);
	assert_true(W.now - start < 60000u);
}

static void unknown_slot_sizes_and_a_refused_write(void **state)
{
	(void)state;
	W.slot_info = SLOTS_NONE;
	W.upload_rc_at = 2;
	W.upload_rc = DFU_SMP_MGMT_ERR_EUNKNOWN;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_true(message_has("may not fit slot 1"));
	assert_int_equal(R.result.reply.rc, DFU_SMP_MGMT_ERR_EUNKNOWN);

	/* where the slot's size is known, the device's error is reported as it is */
	setup(NULL);
	W.upload_rc_at = 2;
	W.upload_rc = DFU_SMP_MGMT_ERR_EUNKNOWN;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(R.result.reply.kind, DFU_SMP_MGMT_REPLY_RC);
	assert_null(strstr(R.result.message, "may not fit"));
	assert_int_equal(R.result.step, DFU_SMP_UPGRADE_STEP_UPLOAD);
}

static void the_device_not_listing_the_upload(void **state)
{
	(void)state;
	W.forgets_upload = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("does not list the new image in slot 1"));
	assert_int_equal(W.count[K_MARK], 0);
	assert_int_equal(R.result.step, DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD);
}

static void a_resumed_upload_missing_from_the_slot_is_sent_again(void **state)
{
	(void)state;
	/* the device "resumes" an upload it kept in RAM over a slot erased since */
	W.resume_at = 4000;
	W.forgets_upload = true;
	W.mismatch_once = 0;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	/* sent again from 0 (without the sha), once; still not listed: it gives up */
	assert_int_equal(R.err, -EPROTO);
	assert_int_equal(R.result.upgrade.upload.resumed_at, 0);
	assert_true(W.count[K_UPLOAD] > 2);

	/* the same, reported as a mismatch: sent again, and then it is there */
	setup(NULL);
	W.resume_at = 4000;
	W.mismatch_once = 1;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));

	/* a mismatch on an upload that did not resume is the end */
	setup(NULL);
	W.mismatch_once = 1;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EBADMSG);
	assert_int_equal(W.count[K_MARK], 0);
}

static void the_device_not_listing_the_mark(void **state)
{
	(void)state;
	W.ignores_mark = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("does not list the new image as pending; the device was not "
				"reset"));
	assert_int_equal(W.count[K_RESET], 0);
	assert_int_equal(R.result.step, DFU_SMP_UPGRADE_STEP_MARK);
}

static void the_device_not_listing_the_confirm(void **state)
{
	(void)state;
	W.ignores_confirm = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("does not list the new image as running and confirmed"));
	assert_int_equal(R.result.step, DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM);
}

static void a_busy_device_is_reset_by_force(void **state)
{
	(void)state;
	W.reset_busy = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(W.count[K_RESET], 2);
	assert_true(runs_new(true));
}

static void a_refused_reset_ends_it(void **state)
{
	(void)state;
	W.reset_rc = DFU_SMP_MGMT_ERR_EBADSTATE;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_true(message_has("refused to reset"));
	assert_int_equal(R.result.reply.rc, DFU_SMP_MGMT_ERR_EBADSTATE);
	assert_int_equal(W.count[K_CONFIRM], 0);

	/* forced, and still busy */
	setup(NULL);
	W.reset_busy = true;
	W.reset_rc = 0;
	add_rule(K_RESET, 2, ACT_RC, DFU_SMP_MGMT_ERR_EBUSY);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(W.count[K_RESET], 2);

	/* a reset answer that is not SMP */
	setup(NULL);
	add_rule(K_RESET, 1, ACT_GARBAGE, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EBADMSG);
	assert_true(message_has("refused to reset"));

	/* the transport could not send it */
	setup(NULL);
	add_rule(K_RESET, 1, ACT_SEND_ERROR, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EIO);
	assert_true(message_has("the reset request failed"));
}

static void a_reset_answered_by_going_away(void **state)
{
	(void)state;
	/* no answer (it reset first): the silent rule stops the answer, the reset is made here */
	add_rule(K_RESET, 1, ACT_SILENT, 0);
	link_stays_up();
	{
		const struct dfu_smp_upgrade_config cfg =
			upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

		start_upgrade(&cfg);
		run_until_reset();
		schedule(W.now + RESET_DELAY_MS, EV_RESET, NULL, 0, 0);
		run();
	}
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));

	/* the link drops before the answer leaves (BLE) */
	setup(NULL);
	add_rule(K_RESET, 1, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_RESET], 1);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_LOST], 0);
}

static void a_rollback_is_reported_and_not_confirmed(void **state)
{
	(void)state;
	W.rollback = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -ECANCELED);
	assert_false(R.result.aborted);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_ROLLED_BACK);
	assert_true(message_has("rolled back"));
	assert_int_equal(W.count[K_CONFIRM], 0);
	assert_string_equal(R.result.upgrade.running_version, "1.0.0");
}

static void a_device_that_does_not_reset(void **state)
{
	(void)state;
	/* BLE: the link never drops */
	W.reset_ignored = true;
	session_cfg.reboot_timeout_ms = 20000;
	init_session(&full_ops);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTUNREACH);
	assert_true(message_has("the link is still up after 20 s"));
	assert_int_equal(W.count[K_CONFIRM], 0);

	/* UDP: it answers at once, still running the old image with the new one marked */
	setup(NULL);
	W.reset_ignored = true;
	link_stays_up();
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("did not reset"));
	assert_int_equal(W.count[K_CONFIRM], 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_FAILED);
}

static void a_device_that_does_not_come_back(void **state)
{
	(void)state;
	W.never_back = true;
	session_cfg.reboot_timeout_ms = 30000;
	init_session(&full_ops);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTUNREACH);
	assert_true(message_has("did not come back after its reset"));
	assert_true(message_has("no such device found"));
	assert_int_equal(W.count[K_CONFIRM], 0);
	assert_true(W.last_reconnect_timeout <= 30000);

	setup(NULL);
	W.never_back = true;
	session_cfg.reboot_timeout_ms = 30000;
	link_stays_up();
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTUNREACH);
	assert_true(message_has("did not answer within 30 s"));
	/* echoes of 250, 500, then 1000 ms: about one a second */
	assert_true(W.count[K_ECHO] >= 25 && W.count[K_ECHO] <= 33);

	/* BLE, an owner that never answers its reconnection */
	setup(NULL);
	W.never_back = true;
	W.reconnect_ignored = true;
	session_cfg.reboot_timeout_ms = 30000;
	init_session(&full_ops);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTUNREACH);
	assert_true(message_has("not back within 30 s"));
}

static void echoes_refused_at_once_pause_and_a_port_that_hangs_up(void **state)
{
	(void)state;
	link_stays_up();
	add_rule(K_ECHO, 1, ACT_SEND_ERROR, 0); /* e.g. port unreachable while it boots */
	add_rule(K_ECHO, 3, ACT_DROP_LINK, 0);  /* a USB port re-enumerating */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_RESET], 1);
	assert_int_equal(R.result.reconnects, 0); /* not a lost link: part of the reset */

	/* the port hangs up while the device goes (owner told first), and comes back */
	setup(NULL);
	W.owner_first = true;
	link_stays_up();
	add_rule(K_ECHO, 2, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
}

/* One failure of the request of @p kind (its @p nth), and the step it must end in. */
struct step_failure {
	enum kind kind;
	int nth;
	enum act act;
	int err;
	enum dfu_smp_upgrade_step step;
	const char *message;
};

static void every_step_fails_cleanly(void **state)
{
	static const struct step_failure cases[] = {
		{ K_STATE, 1, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_READ_STATE,
		  "the read state request failed" },
		{ K_STATE, 1, ACT_GARBAGE, -EBADMSG, DFU_SMP_UPGRADE_STEP_READ_STATE,
		  "did not answer the read state request with its image list" },
		{ K_STATE, 1, ACT_RC, -EREMOTEIO, DFU_SMP_UPGRADE_STEP_READ_STATE, "image list" },
		{ K_STATE, 1, ACT_SEND_ERROR, -EIO, DFU_SMP_UPGRADE_STEP_READ_STATE,
		  "Input/output error" },
		{ K_SLOTS, 1, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_CHECK_SIZE,
		  "the check size request failed" },
		{ K_UPLOAD, 0, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_UPLOAD,
		  "never answered the first upload request" },
		{ K_UPLOAD, 2, ACT_GARBAGE, -EBADMSG, DFU_SMP_UPGRADE_STEP_UPLOAD, "" },
		{ K_UPLOAD, 1, ACT_SEND_ERROR, -EIO, DFU_SMP_UPGRADE_STEP_UPLOAD,
		  "offset 0 failed" },
		{ K_STATE, 2, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD,
		  "the check upload request failed" },
		{ K_STATE, 2, ACT_EMPTY_MAP, -EBADMSG, DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD,
		  "with its image list" },
		{ K_MARK, 1, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_MARK,
		  "the mark request failed" },
		{ K_MARK, 1, ACT_GARBAGE, -EBADMSG, DFU_SMP_UPGRADE_STEP_MARK,
		  "with its image list" },
		{ K_MARK, 1, ACT_RC, -EREMOTEIO, DFU_SMP_UPGRADE_STEP_MARK, "with its image list" },
		{ K_STATE, 3, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_CHECK_BOOT,
		  "the check boot request failed" },
		{ K_STATE, 3, ACT_GARBAGE, -EBADMSG, DFU_SMP_UPGRADE_STEP_CHECK_BOOT,
		  "with its image list" },
		{ K_CONFIRM, 1, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_CONFIRM,
		  "the confirm request failed" },
		{ K_CONFIRM, 1, ACT_EMPTY_MAP, -EBADMSG, DFU_SMP_UPGRADE_STEP_CONFIRM,
		  "with its image list" },
		{ K_STATE, 4, ACT_SILENT, -ETIMEDOUT, DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM,
		  "the check confirm request failed" },
		{ K_STATE, 4, ACT_GARBAGE, -EBADMSG, DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM,
		  "with its image list" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct step_failure *c = &cases[i];
		bool before_confirm = c->step < DFU_SMP_UPGRADE_STEP_CONFIRM;

		setup(NULL);
		add_rule(c->kind, c->nth, c->act, DFU_SMP_MGMT_ERR_EBADSTATE);
		upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
		if (R.err != c->err || R.result.step != c->step || !message_has(c->message)) {
			fail_msg("case %zu: err %d step %s: %s", i, R.err,
				 dfu_smp_upgrade_step_name(R.result.step), R.result.message);
		}
		assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_FAILED);
		if (before_confirm) {
			assert_int_equal(W.count[K_CONFIRM], 0);
		}
		if (c->step < DFU_SMP_UPGRADE_STEP_RESET) {
			assert_int_equal(W.count[K_RESET], 0);
		}
		assert_true(dfu_smp_client_idle(&C));
		teardown(NULL);
	}
}

static void a_slot_info_answer_of_any_shape_is_no_size(void **state)
{
	(void)state;
	add_rule(K_SLOTS, 1, ACT_GARBAGE, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
}

/* ---- lost links ---- */

static void a_link_lost_during_the_upload_resumes_where_the_device_stands(void **state)
{
	(void)state;
	add_rule(K_UPLOAD, 3, ACT_DROP_LINK, 0); /* lost with the link */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(R.result.reconnects, 1);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_LOST], 1);
	assert_true(R.result.upgrade.upload.resumed_at > 0); /* the upload went on */
	/* split requests: on once learned, on again after the reconnection, off at the reboot */
	assert_int_equal(W.reassembly_calls, 3);
	assert_int_equal(W.reassembly, 0);
}

static void a_link_lost_reported_by_the_owner_first(void **state)
{
	(void)state;
	W.owner_first = true;
	add_rule(K_UPLOAD, 2, ACT_DROP_LINK, 0);
	add_rule(K_STATE, 2, ACT_DROP_LINK, 0); /* the check upload */
	add_rule(K_CONFIRM, 1, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(R.result.reconnects, 3);
}

static void a_link_lost_too_often(void **state)
{
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	W.drop_every_uploads = 2;
	cfg.upload.max_chunk = 200;
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.err, -ENOTCONN);
	assert_int_equal(R.result.reconnects, DFU_SMP_SESSION_RECONNECTS_DEFAULT);
	assert_int_equal(R.result.step, DFU_SMP_UPGRADE_STEP_UPLOAD);
	assert_int_equal(W.count[K_MARK], 0);

	/* without reconnections: the first loss is the end */
	setup(NULL);
	init_session(&bare_ops);
	add_rule(K_STATE, 1, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_true(R.err == -ENOTCONN || R.err == -ENXIO);
	assert_int_equal(R.result.reconnects, 0);

	/* the same, the owner telling first: the job ends inside its call */
	setup(NULL);
	init_session(&bare_ops);
	W.owner_first = true;
	add_rule(K_UPLOAD, 2, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -ENOTCONN);
	assert_true(message_has("offset"));

	setup(NULL);
	init_session(&bare_ops);
	add_rule(K_PARAMS, 1, ACT_DROP_LINK, 0);
	learn();
	assert_int_equal(R.err, -ENOTCONN);
	assert_true(message_has("the link was lost during the MCUmgr parameters request"));
}

static void a_link_not_got_back(void **state)
{
	(void)state;
	W.reconnect_fails = true;
	add_rule(K_UPLOAD, 2, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTDOWN);
	assert_true(message_has("the link was lost during upload and did not come back within 60 s"));
	assert_true(R.result.link_not_back);

	setup(NULL);
	W.reconnect_ignored = true;
	session_cfg.reconnect_timeout_ms = 5000;
	init_session(&full_ops);
	add_rule(K_UPLOAD, 2, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -ENOTCONN);
	assert_true(message_has("did not come back within 5 s (waited 5.0 s)"));
	assert_true(R.result.link_not_back);
	assert_int_equal(W.last_reconnect_timeout, 5000);
}

static void a_link_lost_after_the_reset_goes_on_from_the_boot_check(void **state)
{
	(void)state;
	add_rule(K_STATE, 3, ACT_DROP_LINK, 0); /* the check boot */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	assert_true(runs_new(true));
	assert_int_equal(W.count[K_MARK], 1);
	assert_int_equal(W.count[K_RESET], 1);

	/* confirmed, then lost before the check: it confirms again, harmlessly */
	setup(NULL);
	add_rule(K_STATE, 4, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_CONFIRMED);

	/* a rollback found after a lost link is a rollback: the image is not marked again */
	setup(NULL);
	W.rollback = true;
	add_rule(K_STATE, 3, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -ECANCELED);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_ROLLED_BACK);
	assert_int_equal(W.count[K_MARK], 1);
	assert_int_equal(W.count[K_RESET], 1);
}

static void a_link_lost_before_a_reset_was_sent_resets_once_it_is_back(void **state)
{
	(void)state;
	/* the mark's answer is lost with the link: marked, not reset */
	add_rule(K_MARK, 1, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(W.count[K_MARK], 2); /* marked again: harmless, it is what it was */
}

static void a_plain_upload_survives_a_lost_link(void **state)
{
	(void)state;
	dfu_smp_client_set_window(&C, 2);
	add_rule(K_UPLOAD, 3, ACT_DROP_LINK, 0);
	start_upload();
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.reconnects, 1);
	assert_true(R.result.upload.resumed_at > 0);
	assert_memory_equal(W.slot[1].hash, NEW_HASH, 32);
	assert_int_equal(dfu_smp_client_window(&C), 2); /* as the client had it */
	assert_int_equal(dfu_smp_session_step(&S), DFU_SMP_UPGRADE_STEP_UPLOAD);
}

static void an_upload_is_tuned_and_fitted_to_its_buffer(void **state)
{
	static uint8_t small[3 * 2475];
	struct dfu_smp_upload_config cfg = { .data = image_data, .size = IMAGE_SIZE, .sha = SHA };

	(void)state;
	W.buf_count = 8;
	assert_int_equal(dfu_smp_session_upload(&S, &cfg, small, sizeof(small)), 0);
	run();
	assert_int_equal(R.err, 0);
	assert_true(R.result.upload.requests >= 3);

	/* a window_max keeps it to one at a time */
	setup(NULL);
	session_cfg.window_max = 1;
	init_session(&full_ops);
	start_upload();
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(dfu_smp_client_window(&C), 1);

	/* a buffer shorter than a request: shorter requests */
	setup(NULL);
	assert_int_equal(dfu_smp_session_upload(&S, &cfg, small, 300), 0);
	run();
	assert_int_equal(R.err, 0);
}

static void an_end_found_while_starting_is_reported_later(void **state)
{
	struct dfu_smp_upload_config cfg = { .data = image_data, .size = IMAGE_SIZE, .sha = SHA };
	struct dfu_smp_upgrade_config bad = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	learn(); /* the limits are known: the upgrade starts inside the call */
	memset(&R, 0, sizeof(R));
	test_image.hash_len = 0; /* it ends at once */
	W.in_start = true;
	assert_int_equal(dfu_smp_session_upgrade(&S, &bad, job_buf, sizeof(job_buf)), 0);
	W.in_start = false;
	assert_false(R.done);
	assert_true(dfu_smp_session_busy(&S));
	assert_int_equal(dfu_smp_session_deadline(&S), W.now);
	dfu_smp_session_process(&S, W.now);
	assert_true(R.done);
	assert_int_equal(R.err, -EINVAL);
	assert_true(message_has("cannot start the upgrade"));

	/* an upload reads the image state first (serial recovery?), then ends */
	memset(&R, 0, sizeof(R));
	cfg.max_request = 30; /* cannot carry the image header */
	W.in_start = true;
	assert_int_equal(dfu_smp_session_upload(&S, &cfg, job_buf, sizeof(job_buf)), 0);
	W.in_start = false;
	run();
	assert_int_equal(R.err, -EMSGSIZE);

	memset(&R, 0, sizeof(R));
	cfg.max_request = 0;
	cfg.size = 10; /* shorter than an image header */
	W.in_start = true;
	assert_int_equal(dfu_smp_session_upload(&S, &cfg, job_buf, sizeof(job_buf)), 0);
	W.in_start = false;
	run();
	assert_int_equal(R.err, -EINVAL);
	assert_true(message_has("cannot start the upload"));
}

/* ---- abort ---- */

struct abort_case {
	bool stays_up;
	enum kind kind;   /* abort while this request is on the link */
	int nth;
	int64_t at_ms;    /* or at this time after the reset (0: not) */
	bool on_reconnect;
	bool learn_first;
	enum dfu_smp_upgrade_step step;
};

static void an_abort_at_any_step_cancels_and_confirms_nothing(void **state)
{
	static const struct abort_case cases[] = {
		{ false, K_PARAMS, 1, 0, false, true, DFU_SMP_UPGRADE_STEP_READ_STATE },
		{ false, K_PROBE, 1, 0, false, true, DFU_SMP_UPGRADE_STEP_READ_STATE },
		{ false, K_STATE, 1, 0, false, false, DFU_SMP_UPGRADE_STEP_READ_STATE },
		{ false, K_SLOTS, 1, 0, false, false, DFU_SMP_UPGRADE_STEP_CHECK_SIZE },
		{ false, K_UPLOAD, 2, 0, false, false, DFU_SMP_UPGRADE_STEP_UPLOAD },
		{ false, K_STATE, 2, 0, false, false, DFU_SMP_UPGRADE_STEP_CHECK_UPLOAD },
		{ false, K_MARK, 1, 0, false, false, DFU_SMP_UPGRADE_STEP_MARK },
		{ false, K_RESET, 1, 0, false, false, DFU_SMP_UPGRADE_STEP_RESET },
		{ false, K_COUNT, 0, 10, false, false, DFU_SMP_UPGRADE_STEP_RECONNECT },
		{ false, K_COUNT, 0, 0, true, false, DFU_SMP_UPGRADE_STEP_RECONNECT },
		{ true, K_COUNT, 0, 10, false, false, DFU_SMP_UPGRADE_STEP_RECONNECT },
		{ true, K_ECHO, 1, 0, false, false, DFU_SMP_UPGRADE_STEP_RECONNECT },
		{ false, K_STATE, 3, 0, false, false, DFU_SMP_UPGRADE_STEP_CHECK_BOOT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct abort_case *c = &cases[i];
		const struct dfu_smp_upgrade_config cfg =
			upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

		setup(NULL);
		W.stays_up = c->stays_up;
		session_cfg.link_stays_up = c->stays_up;
		init_session(&full_ops);
		if (c->kind != K_COUNT) {
			add_rule(c->kind, c->nth, ACT_ABORT, 0);
		}
		W.abort_on_reconnect = c->on_reconnect;
		if (!c->learn_first) {
			learn();
			memset(&R, 0, sizeof(R));
		}
		start_upgrade(&cfg);
		if (c->at_ms) {
			/* up to the reset, then the abort a little later */
			run_until_reset();
			schedule(W.now + (uint64_t)c->at_ms, EV_ABORT, NULL, 0, 0);
		}
		run();
		if (R.err != -ECANCELED || !R.result.aborted || R.result.step != c->step) {
			fail_msg("case %zu: err %d step %s: %s", i, R.err,
				 dfu_smp_upgrade_step_name(R.result.step), R.result.message);
		}
		assert_true(message_has("aborted during"));
		assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_FAILED);
		assert_int_equal(W.count[K_CONFIRM], 0);
		assert_int_equal(W.sent_after_abort, 0);
		assert_true(dfu_smp_client_idle(&C));
		assert_false(dfu_smp_session_busy(&S));
		assert_int_equal(dfu_smp_session_deadline(&S), UINT64_MAX);
		assert_int_equal(dfu_smp_client_window(&C), 1);
		if (c->kind == K_PROBE) {
			assert_int_equal(W.reassembly, 0);
		}
		/* what was on the link when it stopped is not waited for, and nothing more goes */
		while (next_event() >= 0) {
			int e = next_event();

			W.now = W.ev[e].at > W.now ? W.ev[e].at : W.now;
			fire(e);
		}
		dfu_smp_session_process(&S, W.now + 100000);
		assert_int_equal(W.sent_after_abort, 0);
		teardown(NULL);
	}
}

static void an_upload_aborted_gives_the_window_back(void **state)
{
	(void)state;
	dfu_smp_client_set_window(&C, 2);
	add_rule(K_UPLOAD, 3, ACT_ABORT, 0);
	start_upload();
	run();
	assert_int_equal(R.err, -ECANCELED);
	assert_true(R.result.aborted);
	assert_true(message_has("aborted during upload"));
	assert_int_equal(dfu_smp_client_window(&C), 2);
	assert_true(dfu_smp_client_idle(&C));
}

/* ---- odd devices, odd owners ---- */

static void state_lists_of_every_shape(void **state)
{
	(void)state;
	W.other_image = true; /* another image's slots are not ours */
	W.no_versions = true;
	W.short_old_hash = true;
	W.slot[0].active = false; /* nothing listed as running */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_string_equal(R.result.upgrade.running_version, "?");

	setup(NULL);
	W.no_versions = true;
	W.rollback = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.result.upgrade.outcome, DFU_SMP_UPGRADE_ROLLED_BACK);
	assert_true(message_has("runs version ?"));

	setup(NULL);
	W.no_versions = true;
	W.reset_ignored = true;
	link_stays_up();
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("runs version ? with the new image still marked"));

	/* slot info without sizes: nothing known, the upload goes */
	setup(NULL);
	W.slot_info = SLOTS_NO_SIZE;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
}

static void device_errors_of_every_kind(void **state)
{
	(void)state;
	add_rule(K_UPLOAD, 2, ACT_GROUP_ERR, 4);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(R.result.reply.kind, DFU_SMP_MGMT_REPLY_GROUP_ERR);

	setup(NULL);
	W.slot_info = SLOTS_NONE;
	W.upload_rc_at = 2;
	W.upload_rc = DFU_SMP_MGMT_ERR_EBADSTATE; /* not the error of a write past the slot's end */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_null(strstr(R.result.message, "may not fit"));

	setup(NULL);
	add_rule(K_RESET, 1, ACT_GROUP_ERR, 2);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EREMOTEIO);
	assert_int_equal(W.count[K_RESET], 1); /* not forced: it was no EBUSY */
	assert_true(message_has("refused to reset"));

	/* a probe answered with another text: no reassembly */
	setup(NULL);
	W.reasm = REASM_WRONG;
	learn();
	assert_int_equal(R.err, 0);
	assert_false(R.result.limits.reassembly);
	assert_int_equal(W.reassembly, 0);

	/* a device that "resumes" every fresh upload: sent again once, then given up */
	setup(NULL);
	W.resume_at = 3000;
	W.resume_sticky = true;
	W.forgets_upload = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("does not list the new image"));
}

static void a_lossy_link_sends_requests_again_within_their_wait(void **state)
{
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	session_cfg.timeout_ms = 0; /* the client's default, shared between the tries */
	session_cfg.retries = 2;
	session_cfg.probe_timeout_ms = 500;
	init_session(&full_ops);
	add_rule(K_PARAMS, 1, ACT_SILENT, 0);
	add_rule(K_STATE, 1, ACT_SILENT, 0);
	add_rule(K_MARK, 1, ACT_SILENT, 0);
	W.reasm = REASM_SILENT;
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(W.count[K_PARAMS], 2);
	assert_int_equal(W.count[K_MARK], 2);
	assert_int_equal(W.count[K_RESET], 1);
	assert_true(runs_new(true));

	/* the caller's own waits and tries are kept */
	setup(NULL);
	session_cfg.retries = 2;
	init_session(&full_ops);
	cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	cfg.timeout_ms = 3000;
	cfg.retries = 1;
	cfg.upload.timeout_ms = 2000;
	cfg.upload.retries = 1;
	add_rule(K_STATE, 1, ACT_SILENT, 0);
	add_rule(K_STATE, 2, ACT_SILENT, 0);
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.err, -ETIMEDOUT);
	assert_int_equal(W.count[K_STATE], 2); /* one more try, not two */
	assert_true(W.now >= 3000 && W.now < 3100); /* within the caller's wait */
}

static void a_link_dropping_before_its_requests_left(void **state)
{
	(void)state;
	/* the transport takes nothing more; the owner reports the drop first */
	add_rule(K_PARAMS, 1, ACT_STALL_DROP, 0);
	learn();
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.reconnects, 1);

	setup(NULL);
	add_rule(K_UPLOAD, 2, ACT_STALL_DROP, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(R.result.reconnects, 1);

	setup(NULL);
	link_stays_up();
	add_rule(K_ECHO, 2, ACT_STALL_DROP, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_RESET], 1);

	/* unnoticed: the next request cannot be sent (-ENXIO) */
	setup(NULL);
	add_rule(K_STATE, 1, ACT_QUIET_DROP, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.reconnects, 1);

	/* BLE: the owner reports the drop at the reset before the request fails */
	setup(NULL);
	W.owner_first = true;
	add_rule(K_RESET, 1, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_RESET], 1);
	assert_int_equal(W.reconnects_asked[DFU_SMP_SESSION_RECONNECT_LOST], 0);

	/* told the link is up while it is: nothing changes */
	setup(NULL);
	{
		const struct dfu_smp_upgrade_config cfg =
			upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

		start_upgrade(&cfg);
		dfu_smp_session_link_up(&S);
		run();
	}
	assert_int_equal(R.err, 0);
	assert_int_equal(R.result.reconnects, 0);
}

static void owners_with_fewer_callbacks(void **state)
{
	static const struct dfu_smp_session_ops reconnect_only = { .reconnect = t_reconnect,
							       .done = t_done };

	(void)state;
	/* no knobs, no logs: a lost link is still got back */
	init_session(&reconnect_only);
	add_rule(K_UPLOAD, 3, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));
	assert_int_equal(W.nsteps, 0);
	assert_int_equal(W.progress_calls, 0);

	/* no reconnection callback: the owner gets the link back on its own after the reset */
	setup(NULL);
	init_session(&bare_ops);
	W.auto_link_up = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, 0);
	assert_true(runs_new(true));

	/* the limits of a device without reassembly, set up again after a lost link */
	setup(NULL);
	W.reasm = REASM_ECORRUPT;
	learn();
	memset(&R, 0, sizeof(R));
	W.reassembly_calls = 0;
	W.device_limits_calls = 0;
	add_rule(K_UPLOAD, 3, ACT_DROP_LINK, 0);
	start_upload();
	run();
	assert_int_equal(R.err, 0);
	assert_int_equal(W.device_limits_calls, 1);
	assert_int_equal(W.reassembly_calls, 0);

	/* the defaults, with no configuration at all */
	setup(NULL);
	dfu_smp_session_init(&S, &C, NULL, &full_ops, NULL);
	learn();
	assert_int_equal(R.err, 0);
}

static void reconnections_as_configured_and_failures_told_by_errno(void **state)
{
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	session_cfg.max_reconnects = 1;
	init_session(&full_ops);
	W.drop_every_uploads = 2;
	cfg.upload.max_chunk = 200;
	start_upgrade(&cfg);
	run();
	assert_int_equal(R.err, -ENOTCONN);
	assert_int_equal(R.result.reconnects, 1);

	setup(NULL);
	W.reconnect_fails = true;
	W.fail_without_why = true;
	add_rule(K_UPLOAD, 2, ACT_DROP_LINK, 0);
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTDOWN);
	assert_true(message_has("did not come back within 60 s (waited "));
	assert_true(message_has(" s): Host is down"));

	setup(NULL);
	W.never_back = true;
	W.reconnect_fails = true;
	W.fail_without_why = true;
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(R.err, -EHOSTUNREACH);
	assert_true(message_has("(Host is down)"));
}

static void a_device_that_does_not_reset_found_after_a_lost_link(void **state)
{
	(void)state;
	W.reset_ignored = true;
	link_stays_up();
	add_rule(K_STATE, 3, ACT_DROP_LINK, 0); /* the check boot */
	upgrade(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	/* the state read again: still marked, so reset again; then it is clear */
	assert_int_equal(R.err, -EPROTO);
	assert_true(message_has("did not reset"));
	assert_int_equal(W.count[K_RESET], 2);
	assert_int_equal(W.count[K_CONFIRM], 0);
}

static void bad_arguments_are_refused(void **state)
{
	struct dfu_smp_upload_config up = { .data = image_data, .size = IMAGE_SIZE };
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	assert_int_equal(dfu_smp_session_upload(&S, NULL, job_buf, sizeof(job_buf)), -EINVAL);
	assert_int_equal(dfu_smp_session_upload(&S, &up, NULL, sizeof(job_buf)), -EINVAL);
	assert_int_equal(dfu_smp_session_upload(&S, &up, job_buf, DFU_SMP_HDR_SIZE), -EINVAL);
	up.data = NULL;
	assert_int_equal(dfu_smp_session_upload(&S, &up, job_buf, sizeof(job_buf)), -EINVAL);
	cfg.images = NULL;
	assert_int_equal(dfu_smp_session_upgrade(&S, &cfg, job_buf, sizeof(job_buf)), -EINVAL);
	cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	cfg.count = 0;
	assert_int_equal(dfu_smp_session_upgrade(&S, &cfg, job_buf, sizeof(job_buf)), -EINVAL);
	cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(dfu_smp_session_upgrade(&S, &cfg, NULL, sizeof(job_buf)), -EINVAL);
	assert_false(dfu_smp_session_busy(&S));
}

static void an_abort_while_learning(void **state)
{
	(void)state;
	add_rule(K_PROBE, 1, ACT_ABORT, 0);
	learn();
	assert_int_equal(R.err, -ECANCELED);
	assert_true(R.result.aborted);
	assert_true(message_has("aborted during the reassembly probe"));
	assert_int_equal(W.reassembly, 0);
	assert_null(dfu_smp_session_limits(&S));
}

/* ---- the upgrade on its own ---- */

static struct dfu_smp_upgrade UP;
static bool up_reset;
static struct {
	bool done;
	int err;
	struct dfu_smp_upgrade_result result;
} UR;

static void up_on_reset(void *user)
{
	(void)user;
	up_reset = true;
}

static void up_on_done(void *user, int err, const struct dfu_smp_upgrade_result *result)
{
	(void)user;
	UR.done = true;
	UR.err = err;
	UR.result = *result;
}

static const struct dfu_smp_upgrade_ops up_ops = { .reset = up_on_reset, .done = up_on_done };

/* The owner of an upgrade alone: once the device is back from its reset, it says so. */
static void run_upgrade_alone(void)
{
	while (!UR.done) {
		if (up_reset && W.up && next_event() < 0) {
			up_reset = false;
			dfu_smp_upgrade_reconnected(&UP, 0, NULL);
			continue;
		}
		turn(false);
	}
}

static void the_upgrade_alone_with_the_fewest_callbacks(void **state)
{
	struct dfu_smp_upgrade_config cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);

	(void)state;
	memset(&UR, 0, sizeof(UR));
	up_reset = false;
	W.stays_up = true;
	W.one_write = 2475;
	cfg.upload.max_request = 1000;
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL), 0);
	/* out of turn: not waiting for a reconnection, and running */
	dfu_smp_upgrade_reconnected(&UP, 0, NULL);
	assert_int_equal(dfu_smp_upgrade_resume(&UP), -EBUSY);
	run_upgrade_alone();
	assert_int_equal(UR.err, 0);
	assert_int_equal(UR.result.outcome, DFU_SMP_UPGRADE_CONFIRMED);
	/* once ended */
	dfu_smp_upgrade_reconnected(&UP, -ETIMEDOUT, NULL);
	dfu_smp_upgrade_abort(&UP);
	assert_true(dfu_smp_client_idle(&C));

	/* the device not back, said only by its errno */
	setup(NULL);
	memset(&UR, 0, sizeof(UR));
	W.stays_up = true;
	W.one_write = 2475;
	cfg.upload.max_request = 1000;
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL), 0);
	while (!up_reset && !UR.done) {
		turn(false);
	}
	dfu_smp_upgrade_reconnected(&UP, -ETIMEDOUT, NULL);
	assert_true(UR.done);
	assert_int_equal(UR.err, -EHOSTUNREACH);
	assert_non_null(strstr(UR.result.message, "(Connection timed out)"));

	/* a buffer that holds no upload request */
	setup(NULL);
	memset(&UR, 0, sizeof(UR));
	cfg.upload.max_request = 2475;
	cfg.upload.window = 4;
	assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf,
					       DFU_SMP_UPGRADE_REQUEST_BUF + 2475, &up_ops, NULL),
			 0);
	run_upgrade_alone();
	assert_int_equal(UR.err, -EINVAL);
	assert_non_null(strstr(UR.result.message, "cannot start the upload"));
}

static void the_upgrade_refuses_bad_arguments(void **state)
{
	const struct dfu_smp_upgrade_config good = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	const struct dfu_smp_upgrade_ops no_reset = { .done = up_on_done };
	const struct dfu_smp_upgrade_ops no_done = { .reset = up_on_reset };
	struct dfu_smp_upgrade_config cfg = good;
	struct dfu_smp_upgrade never;

	(void)state;
	memset(&never, 0, sizeof(never));
	assert_int_equal(dfu_smp_upgrade_resume(&never), -EINVAL);
	dfu_smp_upgrade_abort(&never);
	assert_int_equal(
		dfu_smp_upgrade_start(NULL, &C, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL),
		-EINVAL);
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, NULL, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL),
		-EINVAL);
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, &C, NULL, job_buf, sizeof(job_buf), &up_ops, NULL),
		-EINVAL);
	{
		struct dfu_smp_upgrade_image two[2] = { test_image, test_image };

		cfg.images = two; /* two images of one number */
		cfg.count = 2;
		assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf),
						       &up_ops, NULL),
				 -EINVAL);
	}
	cfg = good;
	test_image.data = NULL;
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL),
		-EINVAL);
	cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	test_image.hash = NULL;
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL),
		-EINVAL);
	cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	test_image.hash_len = DFU_SMP_MGMT_IMG_HASH_MAX + 1;
	assert_int_equal(
		dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &up_ops, NULL),
		-EINVAL);
	cfg = upgrade_cfg(DFU_SMP_UPGRADE_TEST_THEN_CONFIRM);
	assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), NULL, NULL),
			 -EINVAL);
	assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &no_reset,
					   NULL), -EINVAL);
	assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, sizeof(job_buf), &no_done,
					   NULL), -EINVAL);
	assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, NULL, sizeof(job_buf), &up_ops, NULL),
			 -EINVAL);
	assert_int_equal(dfu_smp_upgrade_start(&UP, &C, &cfg, job_buf, DFU_SMP_UPGRADE_REQUEST_BUF,
					   &up_ops, NULL), -EINVAL);
	assert_int_equal(W.count[K_STATE], 0);
}

static void names_of_steps_and_outcomes(void **state)
{
	(void)state;
	assert_string_equal(dfu_smp_upgrade_step_name(DFU_SMP_UPGRADE_STEP_CHECK_CONFIRM),
			    "check confirm");
	assert_string_equal(dfu_smp_upgrade_step_name((enum dfu_smp_upgrade_step)99), "?");
	assert_string_equal(dfu_smp_upgrade_outcome_name(DFU_SMP_UPGRADE_ROLLED_BACK),
			    "rolled back");
	assert_string_equal(dfu_smp_upgrade_outcome_name((enum dfu_smp_upgrade_outcome)99), "?");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(limits_params_and_reassembly_answered),
		T(limits_probe_answered_ecorrupt_means_no_reassembly),
		T(limits_probe_unanswered_means_no_reassembly),
		T(limits_rc_8_means_unknown),
		T(limits_unanswered_fail),
		T(limits_no_probe_where_one_write_holds_the_buffer),
		T(limits_no_probe_without_the_knob_or_on_long_writes),
		T(limits_learned_again_after_a_lost_link),
		T(limits_lost_link_not_got_back),
		T(a_second_job_waits_for_the_first),
		T(upgrade_over_a_link_that_drops_at_the_reset),
		T(upgrade_over_a_link_that_stays_up),
		T(recovery_upgrade_writes_slot_0_and_marks_nothing),
		T(recovery_shrinks_requests_the_bootloader_does_not_answer),
		T(recovery_plain_upload_shrinks_on_silence_and_writes_slot_0),
		T(plain_upload_to_an_application_is_no_recovery),
		T(recovery_that_does_not_boot_the_image_fails),
		T(upgrade_with_image_numbers_in_the_state_list),
		T(test_only_leaves_it_unconfirmed),
		T(confirm_now_needs_no_confirm),
		T(confirm_now_confirms_an_image_booted_for_a_test),
		T(no_reset_leaves_it_pending),
		T(already_running_confirmed_does_nothing),
		T(already_running_unconfirmed_is_confirmed_or_left),
		T(already_in_the_secondary_slot_is_not_uploaded),
		T(too_large_an_image_is_refused_before_the_upload),
		T(the_first_upload_request_waits_for_the_slots_erase),
		T(unknown_slot_sizes_and_a_refused_write),
		T(the_device_not_listing_the_upload),
		T(a_resumed_upload_missing_from_the_slot_is_sent_again),
		T(the_device_not_listing_the_mark),
		T(the_device_not_listing_the_confirm),
		T(a_busy_device_is_reset_by_force),
		T(a_refused_reset_ends_it),
		T(a_reset_answered_by_going_away),
		T(a_rollback_is_reported_and_not_confirmed),
		T(a_device_that_does_not_reset),
		T(a_device_that_does_not_come_back),
		T(echoes_refused_at_once_pause_and_a_port_that_hangs_up),
		T(every_step_fails_cleanly),
		T(a_slot_info_answer_of_any_shape_is_no_size),
		T(a_link_lost_during_the_upload_resumes_where_the_device_stands),
		T(a_link_lost_reported_by_the_owner_first),
		T(a_link_lost_too_often),
		T(a_link_not_got_back),
		T(a_link_lost_after_the_reset_goes_on_from_the_boot_check),
		T(a_link_lost_before_a_reset_was_sent_resets_once_it_is_back),
		T(a_plain_upload_survives_a_lost_link),
		T(an_upload_is_tuned_and_fitted_to_its_buffer),
		T(an_end_found_while_starting_is_reported_later),
		T(an_abort_at_any_step_cancels_and_confirms_nothing),
		T(an_upload_aborted_gives_the_window_back),
		T(state_lists_of_every_shape),
		T(device_errors_of_every_kind),
		T(a_lossy_link_sends_requests_again_within_their_wait),
		T(a_link_dropping_before_its_requests_left),
		T(owners_with_fewer_callbacks),
		T(reconnections_as_configured_and_failures_told_by_errno),
		T(a_device_that_does_not_reset_found_after_a_lost_link),
		T(bad_arguments_are_refused),
		T(an_abort_while_learning),
		T(the_upgrade_alone_with_the_fewest_callbacks),
		T(the_upgrade_refuses_bad_arguments),
		T(names_of_steps_and_outcomes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
