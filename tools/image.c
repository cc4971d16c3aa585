/* SPDX-License-Identifier: Apache-2.0 */
/* dfu-smp commands of the image group: image list, test, confirm, erase, slots. */
#include <stdio.h>
#include <string.h>

#include <dfu-smp/mgmt/img.h>
#include "cli.h"

static json_t *state_json(const struct dfu_smp_mgmt_img_state *st)
{
	json_t *images = json_array();

	for (size_t i = 0; i < st->count; i++) {
		const struct dfu_smp_mgmt_img_slot *s = &st->slots[i];
		json_t *entry = json_object();

		if (s->image >= 0) {
			json_object_set_new(entry, "image", json_integer(s->image));
		}
		json_object_set_new(entry, "slot", json_integer((json_int_t)s->slot));
		json_object_set_new(entry, "version", s->version ? json_string(s->version)
								 : json_null());
		json_object_set_new(entry, "hash", cli_json_hex(s->hash, s->hash_len));
		json_object_set_new(entry, "bootable", json_boolean(s->bootable));
		json_object_set_new(entry, "pending", json_boolean(s->pending));
		json_object_set_new(entry, "confirmed", json_boolean(s->confirmed));
		json_object_set_new(entry, "active", json_boolean(s->active));
		json_object_set_new(entry, "permanent", json_boolean(s->permanent));
		json_array_append_new(images, entry);
	}
	return json_pack("{s:o, s:o}", "images", images, "splitStatus",
			 st->split_status < 0 ? json_null() : json_integer(st->split_status));
}

static void print_state(const struct dfu_smp_mgmt_img_state *st)
{
	static const char *const names[] = { "active", "confirmed", "pending", "permanent",
					     "bootable" };

	if (st->count == 0) {
		printf("no images\n");
	}
	for (size_t i = 0; i < st->count; i++) {
		const struct dfu_smp_mgmt_img_slot *s = &st->slots[i];
		const bool flags[] = { s->active, s->confirmed, s->pending, s->permanent,
				       s->bootable };
		char hash[2 * DFU_SMP_MGMT_IMG_HASH_MAX + 1];
		bool any = false;

		cli_hex(s->hash, s->hash_len, hash);
		printf("image %lld slot %llu: version %s\n",
		       (long long)(s->image < 0 ? 0 : s->image), (unsigned long long)s->slot,
		       s->version ? s->version : "?");
		printf("  flags:");
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			if (flags[f]) {
				printf(" %s", names[f]);
				any = true;
			}
		}
		printf("%s\n  hash: %s\n", any ? "" : " none", s->hash_len ? hash : "(none)");
	}
}

/* Sends a state read or write built in cli->req and prints the list it answers with. */
static int show_state(struct cli *cli)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_state st;
	int status = cli_exchange(cli, &cli->req, &rsp);

	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_img_state_decode(&rsp, &reply, &st) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, state_json(&st));
	} else {
		print_state(&st);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_img_state_read(cli_request(cli));
	return show_state(cli);
}

/* Marks an image by hash: test (confirm false) or confirm. */
static int mark(struct cli *cli, const char *hex, bool confirm)
{
	uint8_t hash[DFU_SMP_MGMT_IMG_HASH_MAX];
	long len = hex ? cli_parse_hex(hex, hash, sizeof(hash)) : 0;

	if (len < 0 || (hex && len == 0)) {
		return cli_usage(cli, "HASH must be the image hash in hex (as 'image list' shows "
				 "it), got '%s'", hex);
	}
	dfu_smp_mgmt_img_state_write(cli_request(cli), hex ? hash : NULL, (size_t)len, confirm);
	return show_state(cli);
}

static int cmd_test(struct cli *cli, int argc, char **argv)
{
	if (argc != 1) {
		return cli_usage(cli, "give the HASH of the image to test");
	}
	return mark(cli, argv[0], false);
}

static int cmd_confirm(struct cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		return cli_usage(cli, "takes at most one HASH, got '%s'", argv[1]);
	}
	return mark(cli, argc ? argv[0] : NULL, true);
}

/*
 * The largest slot the device reports (slot info), 0 when it does not; an exit status (> 0)
 * after saying why when nothing answers.
 */
static int64_t largest_slot(struct cli *cli)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_slot_info info;
	int64_t largest = 0;
	int status;

	dfu_smp_mgmt_img_slot_info(cli_request(cli));
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return -status;
	}
	if (dfu_smp_mgmt_img_slot_info_decode(&rsp, &reply, &info) == 0) {
		for (size_t i = 0; i < info.count; i++) {
			for (size_t j = 0; j < info.images[i].count; j++) {
				if (info.images[i].slots[j].size > largest) {
					largest = info.images[i].slots[j].size;
				}
			}
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return largest;
}

/* True when the device lists @p slot as the one it runs (an image list; false when unknown). */
static bool runs_from(struct cli *cli, uint64_t slot)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_state st;
	bool active = false;

	dfu_smp_mgmt_img_state_read(cli_request(cli));
	/* a failure here is not the command's: the erase's own error is reported */
	if (dfu_smp_conn_transact(cli->conn, &cli->req, cli->rsp_buf, DFU_SMP_MSG_MAX, &rsp) != 0) {
		return false;
	}
	if (dfu_smp_mgmt_img_state_decode(&rsp, &reply, &st) == 0) {
		for (size_t i = 0; i < st.count; i++) {
			uint64_t n = st.slots[i].slot;

			/* slots count on across images: image 1's are 2 and 3 */
			if (st.slots[i].image > 0) {
				n += 2u * (uint64_t)st.slots[i].image;
			}
			active = active || (st.slots[i].active && n == slot);
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return active;
}

static int cmd_erase(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	uint64_t slot = 0;
	int64_t largest;
	int status;

	if (argc > 1 || (argc == 1 && args_u64(argv[0], 255, &slot) != 0)) {
		return cli_usage(cli, "takes at most one SLOT number");
	}
	/* the erase is sent once (a second one would start over) and waited for as long as the
	 * device's largest slot takes to erase on a slow flash */
	largest = largest_slot(cli);
	if (largest < 0) {
		return (int)-largest;
	}
	dfu_smp_mgmt_img_erase(cli_request(cli), argc ? (int64_t)slot : -1);
	status = cli_exchange_once(cli, &cli->req, &rsp, cli_erase_wait_ms((uint64_t)largest));
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_reply_status(&rsp, &reply) == 0) {
		if (cli->json) {
			status = cli_print_json(cli, json_pack("{s:o}", "erased",
							      argc ? json_integer((json_int_t)slot)
								   : json_string("default")));
		} else {
			printf("%s\n", argc ? "erased" : "erased the non-running slot");
		}
	} else if (argc && reply.kind != DFU_SMP_MGMT_REPLY_MALFORMED && runs_from(cli, slot)) {
		char say[200];

		snprintf(
			say, sizeof(say),
			"slot %llu holds the image the device runs: a running "
			"image cannot be erased; 'image erase' without SLOT erases the slot it does "
			"not run from",
			(unsigned long long)slot);
		status = cli_reply_failed_say(cli, &reply, say, NULL);
	} else {
		status = cli_reply_failed(cli, &reply);
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static json_t *slots_json(const struct dfu_smp_mgmt_img_slot_info *info)
{
	json_t *images = json_array();

	for (size_t i = 0; i < info->count; i++) {
		const struct dfu_smp_mgmt_img_slot_info_image *im = &info->images[i];
		json_t *slots = json_array();

		for (size_t j = 0; j < im->count; j++) {
			const struct dfu_smp_mgmt_img_slot_info_slot *s = &im->slots[j];
			json_t *e = json_pack("{s:I}", "slot", (json_int_t)s->slot);

			if (s->size >= 0) {
				json_object_set_new(e, "size", json_integer(s->size));
			}
			if (s->rc) {
				json_object_set_new(e, "rc", json_integer(s->rc));
			}
			if (s->upload_image_id >= 0) {
				json_object_set_new(e, "upload_image_id",
						    json_integer(s->upload_image_id));
			}
			json_array_append_new(slots, e);
		}
		json_array_append_new(images,
				      json_pack("{s:I, s:o, s:o}", "image", (json_int_t)im->image,
						"slots", slots, "max_image_size",
						im->max_image_size < 0
							? json_null()
							: json_integer(im->max_image_size)));
	}
	return json_pack("{s:o}", "images", images);
}

static int cmd_slots(struct cli *cli, int argc, char **argv)
{
	struct dfu_smp_client_rsp rsp;
	struct dfu_smp_mgmt_reply reply;
	struct dfu_smp_mgmt_img_slot_info info;
	int status;

	if (argc > 0) {
		return cli_usage(cli, "takes no arguments, got '%s'", argv[0]);
	}
	dfu_smp_mgmt_img_slot_info(cli_request(cli));
	status = cli_exchange(cli, &cli->req, &rsp);
	if (status) {
		return status;
	}
	if (dfu_smp_mgmt_img_slot_info_decode(&rsp, &reply, &info) != 0) {
		status = cli_reply_failed(cli, &reply);
	} else if (cli->json) {
		status = cli_print_json(cli, slots_json(&info));
	} else {
		for (size_t i = 0; i < info.count; i++) {
			const struct dfu_smp_mgmt_img_slot_info_image *im = &info.images[i];

			printf("image %llu", (unsigned long long)im->image);
			if (im->max_image_size >= 0) {
				printf(" (largest image %lld bytes)",
				       (long long)im->max_image_size);
			}
			printf("\n");
			for (size_t j = 0; j < im->count; j++) {
				const struct dfu_smp_mgmt_img_slot_info_slot *s = &im->slots[j];

				printf("  slot %llu: ", (unsigned long long)s->slot);
				if (s->size >= 0) {
					printf("%lld bytes", (long long)s->size);
				} else {
					printf("unreadable (rc %lld)", (long long)s->rc);
				}
				if (s->upload_image_id >= 0) {
					printf(", upload with --image %lld",
					       (long long)s->upload_image_id);
				}
				printf("\n");
			}
		}
	}
	dfu_smp_mgmt_reply_close(&reply);
	return status;
}

static const struct cli_arg no_params[] = { { NULL, NULL, NULL, false } };

static const struct cli_arg test_params[] = {
	{ "HASH", NULL, "the image's hash in hex, as 'image list' shows it", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg confirm_params[] = {
	{ "HASH", NULL, "the hash of the image to make permanent (default: the running image)",
	  false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg erase_params[] = {
	{ "SLOT", NULL, "the slot number (default: the non-running slot)", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_image_commands[] = {
	{ "image", "list", "", "every image and slot with its state", cmd_list, false, no_params,
	  NULL },
	{ "image", "test", "HASH", "boot the image with HASH once, at the next reset", cmd_test,
	  false, test_params, NULL },
	{ "image", "confirm", "[HASH]", "keep the running image (or make HASH permanent)",
	  cmd_confirm, false, confirm_params, NULL },
	{ "image", "erase", "[SLOT]", "erase a slot (default: the non-running one)", cmd_erase,
	  false, erase_params,
	  "The erase is sent once, never again (a second one would start over), and "
	  "waited for as long as the device's largest slot (from its slot info) takes at 250 ms a "
	  "4 KiB page, at least 60 s and at least --timeout." },
	{ "image", "slots", "", "the slots and their sizes", cmd_slots, false, no_params, NULL },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
