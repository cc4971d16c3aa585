/* OS management group (0): request builders and response decoders. */
#ifndef MGMT_OS_H
#define MGMT_OS_H

#include <stdint.h>

#include "../smp/client.h"
#include "reply.h"

/** Command IDs of the OS group. */
enum mgmt_os_id {
	MGMT_OS_ECHO = 0,
	MGMT_OS_CONSOLE_ECHO = 1,
	MGMT_OS_TASKSTAT = 2,
	MGMT_OS_MPSTAT = 3,
	MGMT_OS_DATETIME = 4,
	MGMT_OS_RESET = 5,
	MGMT_OS_PARAMS = 6,
	MGMT_OS_INFO = 7,
	MGMT_OS_BOOTLOADER = 8,
};

/**
 * Echo: the device sends @p text back. Builds `{"d": text}` as a write.
 * @return 0, or -ENOBUFS if it does not fit the request's buffer.
 */
int mgmt_os_echo(struct smp_request *req, const char *text);

/**
 * Decode an echo response. @p text points into the reply's memory.
 * @return 0, -EREMOTEIO (device error) or -EBADMSG (malformed; see reply->detail).
 */
int mgmt_os_echo_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			const char **text);

/** MCUmgr parameters: the device's SMP buffer size and count. */
struct mgmt_os_params {
	uint32_t buf_size;  /**< bytes of one SMP message the device can take, header included */
	uint32_t buf_count; /**< how many such buffers it has */
};

/** MCUmgr parameters request (read, empty map). @return 0 or -ENOBUFS. */
int mgmt_os_params(struct smp_request *req);

/** Decode an MCUmgr parameters response. @return 0, -EREMOTEIO or -EBADMSG. */
int mgmt_os_params_decode(const struct smp_client_rsp *rsp, struct mgmt_reply *reply,
			  struct mgmt_os_params *out);

#endif /* MGMT_OS_H */
