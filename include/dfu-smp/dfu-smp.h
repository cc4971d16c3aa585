/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whole public API of libdfu-smp, for programs that would rather include one header:
 * the version, the portable core (smp/: SMP header, transport-neutral client, GATT DFU SMP
 * client bt_dfu_smp_*, serial and UDP framing; mgmt/: one header per SMP group; dfu/: MCUboot
 * images, upload, upgrade, the device session) and the host I/O of ports/ (connections by
 * name, the poll() loop, logs). Each header also stands alone.
 */
#ifndef DFU_SMP_DFU_SMP_H
#define DFU_SMP_DFU_SMP_H

#include <dfu-smp/export.h>
#include <dfu-smp/version.h>

#include <dfu-smp/smp/bt_dfu_smp.h>
#include <dfu-smp/smp/bytes.h>
#include <dfu-smp/smp/client.h>
#include <dfu-smp/smp/cobs.h>
#include <dfu-smp/smp/gatt.h>
#include <dfu-smp/smp/gatt_link.h>
#include <dfu-smp/smp/header.h>
#include <dfu-smp/smp/raw.h>
#include <dfu-smp/smp/serial.h>
#include <dfu-smp/smp/serial_pace.h>

#include <dfu-smp/mgmt/basic.h>
#include <dfu-smp/mgmt/cbor.h>
#include <dfu-smp/mgmt/enum.h>
#include <dfu-smp/mgmt/err.h>
#include <dfu-smp/mgmt/fs.h>
#include <dfu-smp/mgmt/img.h>
#include <dfu-smp/mgmt/os.h>
#include <dfu-smp/mgmt/reply.h>
#include <dfu-smp/mgmt/request.h>
#include <dfu-smp/mgmt/settings.h>
#include <dfu-smp/mgmt/shell.h>
#include <dfu-smp/mgmt/stat.h>

#include <dfu-smp/dfu/image.h>
#include <dfu-smp/dfu/session.h>
#include <dfu-smp/dfu/upgrade.h>
#include <dfu-smp/dfu/upload.h>

#include <dfu-smp/ports/bt_addr.h>
#include <dfu-smp/ports/conn.h>
#include <dfu-smp/ports/log.h>
#include <dfu-smp/ports/loop.h>

#endif /* DFU_SMP_DFU_SMP_H */
