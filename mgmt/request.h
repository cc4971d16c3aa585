/* SPDX-License-Identifier: Apache-2.0 */
/* Building a request: header fields on the struct smp_request, CBOR payload into its buffer. */
#ifndef MGMT_REQUEST_H
#define MGMT_REQUEST_H

#include <stdint.h>

#include "../smp/client.h"
#include "cbor.h"

/**
 * Set @p req's op, group and id, and point @p w at the payload room of its buffer (after the
 * SMP header). The request's buffer must already be set (smp_request_init()).
 */
void mgmt_request_begin(struct smp_request *req, uint8_t op, uint16_t group, uint8_t id,
			struct mgmt_cbor_writer *w);

/** Record the payload length. @return 0, or -ENOBUFS when the payload did not fit the buffer. */
int mgmt_request_end(struct smp_request *req, const struct mgmt_cbor_writer *w);

#endif /* MGMT_REQUEST_H */
