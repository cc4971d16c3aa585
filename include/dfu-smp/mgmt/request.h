/* SPDX-License-Identifier: Apache-2.0 */
/* Building a request: header fields on the struct dfu_smp_request, CBOR payload into its buffer. */
#ifndef DFU_SMP_MGMT_REQUEST_H
#define DFU_SMP_MGMT_REQUEST_H

#include <stdint.h>

#include <dfu-smp/export.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/mgmt/cbor.h>

/**
 * Set @p req's op, group and id, and point @p w at the payload room of its buffer (after the
 * SMP header). The request's buffer must already be set (dfu_smp_request_init()).
 */
DFU_SMP_API void dfu_smp_mgmt_request_begin(struct dfu_smp_request *req, uint8_t op, uint16_t group,
					    uint8_t id, struct dfu_smp_mgmt_cbor_writer *w);

/** Record the payload length. @return 0, or -ENOBUFS when the payload did not fit the buffer. */
DFU_SMP_API int dfu_smp_mgmt_request_end(struct dfu_smp_request *req,
					 const struct dfu_smp_mgmt_cbor_writer *w);

#endif /* DFU_SMP_MGMT_REQUEST_H */
