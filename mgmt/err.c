/* SPDX-License-Identifier: Apache-2.0 */
#include <dfu-smp/mgmt/err.h>

#include <stdio.h>

struct code {
	const char *name;
	const char *text;
};

static const struct code generic[] = {
	[0] = { "MGMT_ERR_EOK", "success" },
	[1] = { "MGMT_ERR_EUNKNOWN", "the device failed for a reason it did not classify" },
	[2] = { "MGMT_ERR_ENOMEM",
		"the device ran out of memory (often: no room for the response)" },
	[3] = { "MGMT_ERR_EINVAL",
		"the device rejected a value in the request (missing key, wrong type or bad value)" },
	[4] = { "MGMT_ERR_ETIMEOUT", "the operation timed out on the device" },
	[5] = { "MGMT_ERR_ENOENT", "no such file or entry on the device" },
	[6] = { "MGMT_ERR_EBADSTATE", "the device's current state does not allow this command" },
	[7] = { "MGMT_ERR_EMSGSIZE", "the response would be larger than the device's buffer" },
	[8] = { "MGMT_ERR_ENOTSUP",
		"the device does not support this command (unknown group or command, or wrong read/write op)" },
	[9] = { "MGMT_ERR_ECORRUPT",
		"the device received a corrupt request (e.g. shorter than its header says)" },
	[10] = { "MGMT_ERR_EBUSY", "the device is busy with another command; try again later" },
	[11] = { "MGMT_ERR_EACCESSDENIED",
		 "the device denied access to this function or resource" },
	[12] = { "MGMT_ERR_UNSUPPORTED_TOO_OLD",
		 "the device refuses SMP version 1; use --smp-version 2" },
	[13] = { "MGMT_ERR_UNSUPPORTED_TOO_NEW",
		 "the device does not know this SMP version; use --smp-version 1" },
	[14] = { "MGMT_ERR_BRIDGED_CONNECTION_UNAVAILABLE",
		 "the bridged transport is not connected" },
};

static const struct code os_errs[] = {
	[0] = { "OS_MGMT_ERR_OK", "success" },
	[1] = { "OS_MGMT_ERR_UNKNOWN", "the OS group failed for an unknown reason" },
	[2] = { "OS_MGMT_ERR_INVALID_FORMAT", "the request's format string or value is invalid" },
	[3] = { "OS_MGMT_ERR_QUERY_YIELDS_NO_ANSWER", "the device has no answer to this query" },
	[4] = { "OS_MGMT_ERR_RTC_NOT_SET", "the device's real-time clock is not set" },
	[5] = { "OS_MGMT_ERR_RTC_COMMAND_FAILED", "the device's real-time clock command failed" },
	[6] = { "OS_MGMT_ERR_QUERY_RESPONSE_VALUE_NOT_VALID",
		"the device's answer to the query is not valid" },
	[7] = { "OS_MGMT_ERR_HEAP_STATS_FETCH_FAILED",
		"the device could not read its heap statistics" },
};

static const struct code img_errs[] = {
	[0] = { "IMG_MGMT_ERR_OK", "success" },
	[1] = { "IMG_MGMT_ERR_UNKNOWN", "the image group failed for an unknown reason" },
	[2] = { "IMG_MGMT_ERR_FLASH_CONFIG_QUERY_FAIL",
		"the device could not query its flash configuration" },
	[3] = { "IMG_MGMT_ERR_NO_IMAGE", "there is no image in the slot" },
	[4] = { "IMG_MGMT_ERR_NO_TLVS", "the image has no TLV area" },
	[5] = { "IMG_MGMT_ERR_INVALID_TLV", "the image has an invalid TLV" },
	[6] = { "IMG_MGMT_ERR_TLV_MULTIPLE_HASHES_FOUND", "the image has more than one hash TLV" },
	[7] = { "IMG_MGMT_ERR_TLV_INVALID_SIZE", "a TLV of the image has an invalid size" },
	[8] = { "IMG_MGMT_ERR_HASH_NOT_FOUND", "no image on the device has this hash" },
	[9] = { "IMG_MGMT_ERR_NO_FREE_SLOT",
		"no free slot: the other slot holds an image marked for next boot, revert or running" },
	[10] = { "IMG_MGMT_ERR_FLASH_OPEN_FAILED", "the device could not open its flash area" },
	[11] = { "IMG_MGMT_ERR_FLASH_READ_FAILED", "reading the device's flash failed" },
	[12] = { "IMG_MGMT_ERR_FLASH_WRITE_FAILED", "writing to the device's flash failed" },
	[13] = { "IMG_MGMT_ERR_FLASH_ERASE_FAILED", "erasing the device's flash failed" },
	[14] = { "IMG_MGMT_ERR_INVALID_SLOT", "there is no such slot" },
	[15] = { "IMG_MGMT_ERR_NO_FREE_MEMORY", "the device ran out of memory" },
	[16] = { "IMG_MGMT_ERR_FLASH_CONTEXT_ALREADY_SET",
		 "the device's flash context is already in use" },
	[17] = { "IMG_MGMT_ERR_FLASH_CONTEXT_NOT_SET", "the device's flash context is not set up" },
	[18] = { "IMG_MGMT_ERR_FLASH_AREA_DEVICE_NULL", "the flash area has no device" },
	[19] = { "IMG_MGMT_ERR_INVALID_PAGE_OFFSET", "the page offset is invalid" },
	[20] = { "IMG_MGMT_ERR_INVALID_OFFSET", "the upload request has no valid 'off'" },
	[21] = { "IMG_MGMT_ERR_INVALID_LENGTH", "the first upload request has no valid 'len'" },
	[22] = { "IMG_MGMT_ERR_INVALID_IMAGE_HEADER",
		 "the first upload chunk does not hold the whole 32-byte image header" },
	[23] = { "IMG_MGMT_ERR_INVALID_IMAGE_HEADER_MAGIC",
		 "the image header magic is wrong: not an MCUboot image" },
	[24] = { "IMG_MGMT_ERR_INVALID_HASH", "the hash has the wrong length" },
	[25] = { "IMG_MGMT_ERR_INVALID_FLASH_ADDRESS",
		 "the image is built for another flash address (direct-XIP slot mismatch)" },
	[26] = { "IMG_MGMT_ERR_VERSION_GET_FAILED",
		 "the device could not read the running image's version" },
	[27] = { "IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER",
		 "the running image is newer than the uploaded one" },
	[28] = { "IMG_MGMT_ERR_IMAGE_ALREADY_PENDING",
		 "another image is already pending; reset or confirm first" },
	[29] = { "IMG_MGMT_ERR_INVALID_IMAGE_VECTOR_TABLE", "the image's vector table is invalid" },
	[30] = { "IMG_MGMT_ERR_INVALID_IMAGE_TOO_LARGE", "the image is larger than the slot" },
	[31] = { "IMG_MGMT_ERR_INVALID_IMAGE_DATA_OVERRUN",
		 "the upload runs past the image length given in the first request" },
	[32] = { "IMG_MGMT_ERR_IMAGE_CONFIRMATION_DENIED",
		 "the device does not allow confirming that image" },
	[33] = { "IMG_MGMT_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED",
		 "the running image cannot be marked for test" },
	[34] = { "IMG_MGMT_ERR_ACTIVE_SLOT_NOT_KNOWN",
		 "the device does not know which slot is running" },
};

static const struct code stat_errs[] = {
	[0] = { "STAT_MGMT_ERR_OK", "success" },
	[1] = { "STAT_MGMT_ERR_UNKNOWN", "the statistics group failed for an unknown reason" },
	[2] = { "STAT_MGMT_ERR_INVALID_GROUP", "there is no such statistics group" },
	[3] = { "STAT_MGMT_ERR_INVALID_STAT_NAME", "there is no statistics group of that name" },
	[4] = { "STAT_MGMT_ERR_INVALID_STAT_SIZE", "a statistic has an unsupported size" },
	[5] = { "STAT_MGMT_ERR_WALK_ABORTED", "listing the statistics was aborted" },
};

static const struct code settings_errs[] = {
	[0] = { "SETTINGS_MGMT_ERR_OK", "success" },
	[1] = { "SETTINGS_MGMT_ERR_UNKNOWN", "the settings group failed for an unknown reason" },
	[2] = { "SETTINGS_MGMT_ERR_KEY_TOO_LONG", "the setting name is too long" },
	[3] = { "SETTINGS_MGMT_ERR_KEY_NOT_FOUND", "there is no such setting" },
	[4] = { "SETTINGS_MGMT_ERR_READ_NOT_SUPPORTED", "this setting cannot be read" },
	[5] = { "SETTINGS_MGMT_ERR_ROOT_KEY_NOT_FOUND",
		"no settings handler owns this name's root" },
	[6] = { "SETTINGS_MGMT_ERR_WRITE_NOT_SUPPORTED", "this setting cannot be written" },
	[7] = { "SETTINGS_MGMT_ERR_DELETE_NOT_SUPPORTED", "this setting cannot be deleted" },
	[8] = { "SETTINGS_MGMT_ERR_SAVE_NOT_SUPPORTED", "saving settings is not supported" },
	[9] = { "SETTINGS_MGMT_ERR_SAVE_FAILED_VALUE_TOO_LONG_TO_READ",
		"a value is too long to read back while saving" },
};

static const struct code fs_errs[] = {
	[0] = { "FS_MGMT_ERR_OK", "success" },
	[1] = { "FS_MGMT_ERR_UNKNOWN", "the file system group failed for an unknown reason" },
	[2] = { "FS_MGMT_ERR_FILE_INVALID_NAME",
		"the file name is invalid (use an absolute path)" },
	[3] = { "FS_MGMT_ERR_FILE_NOT_FOUND", "there is no such file on the device" },
	[4] = { "FS_MGMT_ERR_FILE_IS_DIRECTORY", "the path is a directory" },
	[5] = { "FS_MGMT_ERR_FILE_OPEN_FAILED", "the device could not open the file" },
	[6] = { "FS_MGMT_ERR_FILE_SEEK_FAILED", "the device could not seek in the file" },
	[7] = { "FS_MGMT_ERR_FILE_READ_FAILED", "reading the file failed" },
	[8] = { "FS_MGMT_ERR_FILE_TRUNCATE_FAILED", "truncating the file failed" },
	[9] = { "FS_MGMT_ERR_FILE_DELETE_FAILED", "deleting the file failed" },
	[10] = { "FS_MGMT_ERR_FILE_WRITE_FAILED", "writing the file failed" },
	[11] = { "FS_MGMT_ERR_FILE_OFFSET_NOT_VALID", "the offset is not where the upload stands" },
	[12] = { "FS_MGMT_ERR_FILE_OFFSET_LARGER_THAN_FILE",
		 "the offset is past the end of the file" },
	[13] = { "FS_MGMT_ERR_CHECKSUM_HASH_NOT_FOUND",
		 "the device does not support that hash or checksum type" },
	[14] = { "FS_MGMT_ERR_MOUNT_POINT_NOT_FOUND",
		 "there is no file system mounted at that path" },
	[15] = { "FS_MGMT_ERR_READ_ONLY_FILESYSTEM", "the file system is read-only" },
	[16] = { "FS_MGMT_ERR_FILE_EMPTY", "the file is empty" },
	[17] = { "FS_MGMT_ERR_FILE_CLOSE_FAILED", "closing the file failed" },
};

static const struct code shell_errs[] = {
	[0] = { "SHELL_MGMT_ERR_OK", "success" },
	[1] = { "SHELL_MGMT_ERR_UNKNOWN", "the shell group failed for an unknown reason" },
	[2] = { "SHELL_MGMT_ERR_COMMAND_TOO_LONG", "the shell command line is too long" },
	[3] = { "SHELL_MGMT_ERR_EMPTY_COMMAND", "the shell command is empty" },
};

static const struct code enum_errs[] = {
	[0] = { "ENUM_MGMT_ERR_OK", "success" },
	[1] = { "ENUM_MGMT_ERR_UNKNOWN", "the enumeration group failed for an unknown reason" },
	[2] = { "ENUM_MGMT_ERR_TOO_MANY_GROUP_ENTRIES", "more groups than the device can list" },
	[3] = { "ENUM_MGMT_ERR_INSUFFICIENT_HEAP_FOR_ENTRIES",
		"the device has too little heap to list the groups" },
	[4] = { "ENUM_MGMT_ERR_INDEX_TOO_LARGE", "the index is past the last group" },
};

static const struct code transport_errs[] = {
	[0] = { "TRANSPORT_MGMT_ERR_OK", "success" },
	[1] = { "TRANSPORT_MGMT_ERR_UNKNOWN", "the transport group failed for an unknown reason" },
	[2] = { "TRANSPORT_MGMT_ERR_TRANSPORT_MISSING_REQUIRED_FUNCTIONS",
		"the transport lacks functions bridging needs" },
	[3] = { "TRANSPORT_MGMT_ERR_TRANSPORT_MISSING_INFO_FUNCTIONS",
		"the transport lacks information functions" },
	[4] = { "TRANSPORT_MGMT_ERR_INVALID_TRANSPORT", "there is no such transport" },
	[5] = { "TRANSPORT_MGMT_ERR_INVALID_MODE", "the transport has no such mode" },
	[6] = { "TRANSPORT_MGMT_ERR_ALL_CONTEXTS_USED", "every bridge context is in use" },
	[7] = { "TRANSPORT_MGMT_ERR_BOTH_TRANSPORT_AND_ALL_PARAMETERS",
		"give either 'transport' or 'all', not both" },
	[8] = { "TRANSPORT_MGMT_ERR_NOT_BRIDGED", "the transport is not bridged" },
	[9] = { "TRANSPORT_MGMT_ERR_SAME_BRIDGE_DEVICE_DISALLOWED",
		"a transport cannot be bridged to itself" },
	[10] = { "TRANSPORT_MGMT_ERR_TRANSPORT_INGOING_NOT_SUPPORTED",
		 "the transport cannot take incoming bridges" },
	[11] = { "TRANSPORT_MGMT_ERR_TRANSPORT_OUTGOING_NOT_SUPPORTED",
		 "the transport cannot make outgoing bridges" },
	[12] = { "TRANSPORT_MGMT_ERR_TRANSPORT_INCOMING_TRANSPORT_ALREADY_BRIDGED",
		 "the incoming transport is already bridged" },
	[13] = { "TRANSPORT_MGMT_ERR_TRANSPORT_OUTGOING_TRANSPORT_ALREADY_BRIDGED",
		 "the outgoing transport is already bridged" },
	[14] = { "TRANSPORT_MGMT_ERR_CONNECT_MISSING_PARAMETER",
		 "the connect request lacks a parameter" },
	[15] = { "TRANSPORT_MGMT_ERR_CONNECT_INVALID_PARAMETER", "a connect parameter is invalid" },
	[16] = { "TRANSPORT_MGMT_ERR_CONNECT_UNSUPPORTED_PARAMETER",
		 "a connect parameter is not supported" },
	[17] = { "TRANSPORT_MGMT_ERR_CONNECT_FAILED", "the bridged connection failed" },
};

static const struct code basic_errs[] = {
	[0] = { "ZEPHYRBASIC_MGMT_ERR_OK", "success" },
	[1] = { "ZEPHYRBASIC_MGMT_ERR_UNKNOWN",
		"the Zephyr basic group failed for an unknown reason" },
	[2] = { "ZEPHYRBASIC_MGMT_ERR_FLASH_OPEN_FAILED",
		"the device could not open its storage partition" },
	[3] = { "ZEPHYRBASIC_MGMT_ERR_FLASH_CONFIG_QUERY_FAIL",
		"the device could not query its flash configuration" },
	[4] = { "ZEPHYRBASIC_MGMT_ERR_FLASH_ERASE_FAILED", "erasing the storage partition failed" },
};

#define TABLE(t) t, sizeof(t) / sizeof((t)[0])

struct group_info {
	uint16_t id;
	const char *name;
	const struct code *codes;
	size_t count;
};

static const struct group_info groups[] = {
	{ DFU_SMP_MGMT_GROUP_OS, "os", TABLE(os_errs) },
	{ DFU_SMP_MGMT_GROUP_IMAGE, "image", TABLE(img_errs) },
	{ DFU_SMP_MGMT_GROUP_STAT, "stat", TABLE(stat_errs) },
	{ DFU_SMP_MGMT_GROUP_SETTINGS, "settings", TABLE(settings_errs) },
	{ DFU_SMP_MGMT_GROUP_LOG, "log", NULL, 0 },
	{ DFU_SMP_MGMT_GROUP_CRASH, "crash", NULL, 0 },
	{ DFU_SMP_MGMT_GROUP_SPLIT, "split", NULL, 0 },
	{ DFU_SMP_MGMT_GROUP_RUN, "run", NULL, 0 },
	{ DFU_SMP_MGMT_GROUP_FS, "fs", TABLE(fs_errs) },
	{ DFU_SMP_MGMT_GROUP_SHELL, "shell", TABLE(shell_errs) },
	{ DFU_SMP_MGMT_GROUP_ENUM, "enum", TABLE(enum_errs) },
	{ DFU_SMP_MGMT_GROUP_TRANSPORT, "transport", TABLE(transport_errs) },
	{ DFU_SMP_MGMT_GROUP_ZEPHYR_BASIC, "zephyr-basic", TABLE(basic_errs) },
};

static const struct group_info *find_group(uint16_t group)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (groups[i].id == group) {
			return &groups[i];
		}
	}
	return NULL;
}

static const struct code *find_code(const struct code *codes, size_t count, int64_t rc)
{
	if (!codes || rc < 0 || (uint64_t)rc >= count) {
		return NULL;
	}
	return &codes[rc];
}

const char *dfu_smp_mgmt_group_name(uint16_t group)
{
	const struct group_info *g = find_group(group);

	return g ? g->name : NULL;
}

const char *dfu_smp_mgmt_err_name(int64_t rc)
{
	const struct code *c = find_code(generic, sizeof(generic) / sizeof(generic[0]), rc);

	if (c) {
		return c->name;
	}
	return rc >= DFU_SMP_MGMT_ERR_EPERUSER ? "MGMT_ERR_EPERUSER" : NULL;
}

const char *dfu_smp_mgmt_err_text(int64_t rc)
{
	const struct code *c = find_code(generic, sizeof(generic) / sizeof(generic[0]), rc);

	if (c) {
		return c->text;
	}
	if (rc >= DFU_SMP_MGMT_ERR_EPERUSER) {
		return "an error defined by the device's application";
	}
	return "an error code this tool does not know";
}

const char *dfu_smp_mgmt_err_group_name(uint16_t group, int64_t rc)
{
	const struct group_info *g = find_group(group);
	const struct code *c = g ? find_code(g->codes, g->count, rc) : NULL;

	return c ? c->name : NULL;
}

const char *dfu_smp_mgmt_err_group_text(uint16_t group, int64_t rc)
{
	const struct group_info *g = find_group(group);
	const struct code *c = g ? find_code(g->codes, g->count, rc) : NULL;

	return c ? c->text : "an error code this tool does not know for this group";
}

char *dfu_smp_mgmt_err_describe(const struct dfu_smp_mgmt_reply *reply, char *out, size_t cap)
{
	const char *group = dfu_smp_mgmt_group_name(reply->group);
	char group_buf[16];

	if (!group) {
		snprintf(group_buf, sizeof(group_buf), "group %u", (unsigned)reply->group);
		group = group_buf;
	}
	switch (reply->kind) {
	case DFU_SMP_MGMT_REPLY_OK:
		snprintf(out, cap, "success");
		break;
	case DFU_SMP_MGMT_REPLY_RC: {
		const char *name = dfu_smp_mgmt_err_name(reply->rc);

		snprintf(out, cap, "%s: %s (rc %lld): %s%s%s%s", group,
			 name ? name : "unknown error", (long long)reply->rc,
			 dfu_smp_mgmt_err_text(reply->rc),
			 reply->detail[0] ? " (device says: \"" : "", reply->detail,
			 reply->detail[0] ? "\")" : "");
		break;
	}
	case DFU_SMP_MGMT_REPLY_GROUP_ERR: {
		const char *name = dfu_smp_mgmt_err_group_name(reply->group, reply->rc);

		snprintf(out, cap, "%s: %s (rc %lld): %s", group, name ? name : "unknown error",
			 (long long)reply->rc,
			 dfu_smp_mgmt_err_group_text(reply->group, reply->rc));
		break;
	}
	case DFU_SMP_MGMT_REPLY_MALFORMED:
		snprintf(out, cap, "%s: malformed response: %s", group, reply->detail);
		break;
	}
	return out;
}
