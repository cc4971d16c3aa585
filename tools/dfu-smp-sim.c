/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* ppoll() */
/*
 * dfu-smp-sim: the simulated device (sim/) as a program of its own, in two ways.
 *
 *   dfu-smp-sim [--udp HOST:PORT] [--serial [--serial-link PATH]] [OPTIONS]
 *   dfu-smp-sim --bluez [OPTIONS]
 *
 * serve SMP in real time over UDP and over a serial console (a pseudo-terminal; the console
 * framing, or with --framing raw or cobs those of dfu-smp/smp/raw.h and dfu-smp/smp/cobs.h), or behind a
 * fake BlueZ on D-Bus, for trying dfu-smp and other SMP clients on real sockets, ttys and
 * BlueZ's API. It prints where it serves on stdout (the pseudo-terminal first, e.g.
 * `serial: /dev/pts/5`, then `udp: 127.0.0.1:1337`), the device's settings, then `ready`, and
 * runs until SIGINT or SIGTERM. The device behaves in real time as a Zephyr device does: its
 * answers wait for its flash work, the reset command answers and resets 250 ms later, the
 * device is silent while it boots, and it drops what arrives while its buffers are all taken.
 * With --count N it serves N such devices, independent, in the one loop: it prints
 * `device I: CONN` for each device and transport before `ready` instead.
 *
 *   dfu-smp-sim [DEVICE OPTIONS] -- [dfu-smp OPTIONS] COMMAND [ARGS...]
 *
 * runs one dfu-smp command against the device in this process, over the simulated BLE link
 * in virtual time (sim/conn.h): as fast as the computer goes, the same every run. Its output
 * says so (cli.h: CLI_SIMULATED_LINE, "simulated": true).
 *
 * Exit status: serving, 0 after a signal, 1 when it cannot start; a command, its dfu-smp exit
 * status (1 when it failed); 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

#include <dfu-smp/dfu/upload.h>
#include <dfu-smp/ports/bt_addr.h>
#include <dfu-smp/ports/log.h>
#include <dfu-smp/ports/loop.h>
#include "../sim/bluez.h"
#include "../sim/conn.h"
#include "../sim/device.h"
#include "../sim/fault.h"
#include "../sim/hostfs.h"
#include "../sim/profile.h"
#include <dfu-smp/smp/cobs.h>
#include <dfu-smp/smp/raw.h>
#include <dfu-smp/smp/serial.h>
#include "args.h"
#include "cli.h"

#define MAX_ENDPOINTS 4
/* --count: devices served by one process, as many as the fake BlueZ takes */
#define COUNT_MAX SIM_BLUEZ_DEVICES_MAX
#define UDP_PORT_DEFAULT "1337"
/* Zephyr's UDP transport reads this much of a datagram (CONFIG_MCUMGR_TRANSPORT_UDP_MTU). */
#define UDP_MTU 1500u
/* From reset to answering again, besides the bootloader's flash work (scaled, then capped). */
#define BOOT_US 500000u
#define BOOT_BUSY_MAX_US 2500000u
/* Output nobody reads is lost beyond this, as a UART's would be. */
#define SERIAL_TX_MAX (256u * 1024u)
/*
 * Zephyr's UART MCUmgr driver receives each line into one of a few line buffers
 * (UART_MCUMGR_RX_BUF_COUNT, 2 by default) and frees it once the SMP thread has decoded it;
 * a line that starts while every buffer is taken is dropped ("Insufficient buffers, fragment
 * dropped"). The thread decodes a line in about this long, once done with the request before.
 */
#define SERIAL_RX_LINES_DEFAULT 2u
#define SERIAL_RX_LINES_MAX 64u
#define SERIAL_LINE_US 100u

/* ---- options ---- */

struct options {
	unsigned count;          /* --count: independent devices served, each like the others */
	const char *devices_out; /* --devices-out: a file to list them in, or NULL */
	const char *udp;         /* HOST:PORT to serve on, or NULL */
	bool serial;
	const char *serial_link; /* a symlink to make to the pseudo-terminal, or NULL */
	const char *framing;     /* serial: "console", "raw" or "cobs" */
	bool console_noise;
	bool rollback;           /* a newly swapped-in image crashes before it is confirmed */
	double busy_scale;       /* answers wait for the flash work times this */
	unsigned drop_every;     /* fault: every Nth answer is lost; 0 never */
	unsigned bad_crc_every;  /* fault: every Nth serial answer has a wrong CRC; 0 never */
	struct sim_fault_plan faults; /* --fault: what happens to which answers */
	unsigned rx_lines;       /* serial: the device's receive line buffers */
	const char *power_cut;   /* --power-cut PHASE:N as given, or NULL */
	enum sim_flash_phase cut_phase;
	uint64_t cut_units;      /* the 0-based unit of cut_phase the power goes at */
	int verbose;
	struct sim_device_config dev;
	struct sim_gatt_config gatt; /* --bluez and a command: the GATT server */
	struct sim_link_config link; /* --bluez and a command: the BLE link */
	uint64_t drop_after; /* --bluez and a command: the link drops once, after this many bytes */
	const struct sim_profile *profile; /* --profile: buffers, flash, CPU time (and the link) */
	bool bluez;               /* be a fake BlueZ with the device behind it (sim/bluez.c) */
	struct sim_bluez_config ble; /* --bluez: address, name, adapter */
	/* an option of the device served in real time, refused with a command; NULL if none */
	const char *realtime_only;
	/* the dfu-smp command line after "--": argv[command] is the "--"; 0 when serving */
	int command;
	struct sim_conn_config conn; /* a command: the device and its link */
};

static void help(void)
{
	printf("usage: dfu-smp-sim [--udp HOST:PORT] [--serial [--serial-link PATH]] "
	       "[OPTIONS]\n");
	printf("       dfu-smp-sim --bluez [OPTIONS]\n");
	printf("       dfu-smp-sim [DEVICE OPTIONS] -- [dfu-smp OPTIONS] COMMAND [ARGS...]\n\n");
	printf("A simulated Zephyr/MCUboot device with an SMP server. Served in real time over\n");
	printf("UDP and over a serial console (a pseudo-terminal), or behind a fake BlueZ, until\n");
	printf("SIGINT or SIGTERM; or, after '--', running one dfu-smp command against it in this\n");
	printf("process, over the simulated BLE link in virtual time (see dfu-smp-sim -- --help),\n");
	printf("with output that says so: a first line '%s',\n", CLI_SIMULATED_LINE);
	printf("\"simulated\": true in JSON.\n\n");
	printf("transports (at least one, or a command):\n");
	printf("  --udp HOST:PORT      serve SMP over UDP (port 0: any free port;\n");
	printf("                       [::1]:1337 for IPv6), answering each sender\n");
	printf("  --serial             serve the SMP console framing on a new pseudo-terminal,\n");
	printf("                       whose path is printed first: serial: /dev/pts/N\n");
	printf("  --serial-link PATH   also make PATH a symlink to it (implies --serial)\n");
	printf("  --framing F          serial: console (the default: MCUmgr's console framing),\n");
	printf("                       raw (bare SMP messages, a raw UART) or cobs (COBS frames\n");
	printf("                       with a CRC-16, ending in 00)\n");
	printf("  --console-noise      serial: log lines and a shell prompt around the frames\n");
	printf("  --serial-rx-lines N  serial: the device's receive line buffers (default %u, as\n",
	       SERIAL_RX_LINES_DEFAULT);
	printf("                       Zephyr's UART_MCUMGR_RX_BUF_COUNT): a line that comes\n");
	printf("                       while all hold lines not yet handled is dropped\n");
	printf("  --bluez              instead: be BlueZ (org.bluez) on the D-Bus bus named by\n");
	printf("                       DBUS_SYSTEM_BUS_ADDRESS, the device a BLE peripheral behind\n");
	printf("                       it, found by scanning (--busy-scale and the faults below\n");
	printf("                       do not apply)\n");
	printf("  --address ADDR       bluez: the device's address (default %s)\n",
	       SIM_BLUEZ_DEFAULT_ADDRESS);
	printf("  --name NAME          bluez: the name it advertises (default %s)\n",
	       SIM_BLUEZ_DEFAULT_NAME);
	printf("  --no-acquire         bluez: AcquireWrite/AcquireNotify answer NotPermitted\n");
	printf("  --adapter-off        bluez: the adapter starts powered off\n");
	printf("  --count N            serve N independent devices (1 to %u, default 1), each\n",
	       COUNT_MAX);
	printf("                       with the options below: device I on UDP port PORT+I\n");
	printf("                       (port 0: any free ports), on a pseudo-terminal of its\n");
	printf("                       own (its link PATH followed by I), or at --address plus\n");
	printf("                       I named NAME-I behind the one adapter; its state in\n");
	printf("                       DIR/I. With N > 1, printed before 'ready': 'device I:\n");
	printf("                       CONN' for each device and transport (udp:HOST:PORT,\n");
	printf("                       serial:/dev/pts/N, ble:ADDRESS)\n");
	printf("  --devices-out FILE   write FILE before 'ready', one line per device: 'CONN\n");
	printf("                       dev-I' (its UDP address if served, else its serial\n");
	printf("                       port), as 'dfu-smp fleet --devices' reads\n\n");
	printf("the device (DEVICE OPTIONS):\n");
	printf("  --profile NAME       a named set-up: SMP buffers, flash part, CPU time, and\n");
	printf("                       with --bluez or a command the BLE link (PHY, interval,\n");
	printf("                       MTU); the options below change it. NAME:\n");
	{
		char names[256];
		size_t column = 0;

		sim_profile_names(names, sizeof(names));
		for (char *name = strtok(names, " "); name; name = strtok(NULL, " ")) {
			size_t n = strlen(name) + 1;

			if (column && column + n > 57) {
				putchar('\n');
				column = 0;
			}
			printf("%s%s", column ? " " : "                       ", name);
			column += n;
		}
		putchar('\n');
	}
	printf("                       (a command's upgrade also reports its efficiency against\n");
	printf("                       the best time any client could reach there)\n");
	printf("  --reassembly         bluez, a command: the device reassembles requests split\n");
	printf("                       across writes\n");
	printf("  --drop-after N       bluez, a command: the link drops once, after N bytes were\n");
	printf("                       written\n");
	printf("  --state DIR          keep flash, settings, files and RAM in DIR across runs\n");
	printf("  --slot-size N        bytes per image slot (default 0x70000)\n");
	printf("  --buf-size N         SMP buffer bytes, header included (default 2475)\n");
	printf("  --buf-count N        SMP buffers (default 4)\n");
	printf("  --v1                 speak SMP version 1 only, like older firmware\n");
	printf("  --legacy-mcumgr      answer like the older MCUmgr library: no parameters or\n");
	printf("                       slot info, upload data of at most 512 bytes, no size check\n");
	printf("                       before a write runs past the slot, the upload kept across\n");
	printf("                       an erase\n");
	printf("  --boot-mode NAME     the MCUboot mode its bootloader is built for (bootloader\n");
	printf("                       info 'mode' in brackets): swap-move (the default, 3),\n");
	printf("                       swap-scratch (1), swap-offset (9): swap, test, revert;\n");
	printf("                       overwrite-only (2): copied over slot 0 at boot, no\n");
	printf("                       revert; direct-xip (4), ram-load (6): the highest valid\n");
	printf("                       version of either slot runs, uploads go to the other,\n");
	printf("                       no state writes (rc 8); direct-xip-revert (5): the same\n");
	printf("                       among slots marked by a state write, an unconfirmed one\n");
	printf("                       dropped at the next boot; single-slot (0): slot 0 only,\n");
	printf("                       no upload (a serial reset with boot_mode 1 enters\n");
	printf("                       recovery); firmware-loader (7): slot 0, or a loader\n");
	printf("                       (version 0.1.0, own partition) that takes its upload,\n");
	printf("                       booted by a reset with boot_mode 1 or when slot 0 holds\n");
	printf("                       nothing valid\n");
	printf("  --images N           updatable images, 1 to 4 (default 1; an nRF5340 has 2),\n");
	printf("                       each with factory image 1.0.0; their dependency TLVs are\n");
	printf("                       checked at boot (unmet: not swapped)\n");
	printf("  --no-downgrade       MCUboot's downgrade prevention: an image older than the\n");
	printf("                       one it would replace is not swapped in (bootloader info\n");
	printf("                       says \"no-downgrade\": true)\n");
	printf("  --confirm-other WHICH  which slots of images 1 and up a state write may\n");
	printf("                       confirm: none, secondary (a permanent mark only) or any\n");
	printf("                       (the default); else IMG err 32\n");
	printf("  --rollback           a new image crashes before it is confirmed (revert; swap\n");
	printf("                       modes and direct-xip-revert only)\n");
	printf("  --recovery           serial: start in MCUboot's serial recovery: the\n");
	printf("                       bootloader answers a v1-style subset (echo, parameters,\n");
	printf("                       image list, upload straight into slot 0, reset); a reset\n");
	printf("                       boots slot 0 if its image is valid. Over --serial a reset\n");
	printf("                       with boot_mode 1 enters it too (elsewhere it boots as\n");
	printf("                       usual)\n");
	printf("  --recovery-buf-size N  the buf_size it reports (default 1024); it still takes\n");
	printf("                       no request longer than 1024 bytes\n");
	printf("  --busy-scale F       udp, serial: answers wait for the flash work times F\n");
	printf("                       (default 1: as an nRF52840 takes; 0: at once)\n\n");
	printf("faults (udp, serial):\n");
	printf("  --drop-every N       every Nth answer is lost\n");
	printf("  --bad-crc-every N    serial: every Nth answer has a wrong CRC (no effect with\n");
	printf("                       --framing raw, which has none)\n");
	printf("  --fault KIND@N[xCOUNT][:ARG]  answers N to N+COUNT-1 (counted from 1) get\n");
	printf("                       KIND: drop (lost), delay (sent ARG ms later, 500), dup\n");
	printf("                       (sent twice), reorder (sent after the next answer),\n");
	printf("                       corrupt (one byte changed), stale (the previous answer\n");
	printf("                       again instead), error (the SMP error rc ARG instead, 1),\n");
	printf("                       outage (the link away ARG ms from there, 2000: what\n");
	printf("                       comes and goes meanwhile is lost); repeatable\n");
	printf("  --power-cut PHASE:N  the power goes at the Nth (from 0) flash unit (a page\n");
	printf("                       erased, a write block written) of PHASE: upload, mark\n");
	printf("                       (image state test/permanent), confirm, boot (a swap or\n");
	printf("                       revert at a reset), erase (image erase) or any (every\n");
	printf("                       unit after the start); what was done before stays in the\n");
	printf("                       state directory and the program dies as if killed. No cut\n");
	printf("                       if PHASE uses fewer units. With -v it logs, after each\n");
	printf("                       boot and at exit, the units each phase used since the\n");
	printf("                       start: 'flash units: upload N mark N ... any N'\n\n");
	printf("A start on a state directory that the last run left without a graceful stop\n");
	printf("(SIGKILL, a power cut) is a power-on: RAM is lost and the bootloader runs (it\n");
	printf("swaps a pending image, reverts an unconfirmed one, finishes a cut swap).\n\n");
	printf("  -v, --verbose        log requests, answers, resets to stderr\n");
	printf("  -h, --help           show this help\n\n");
	printf("exit status: 0 after a signal, 1 when it cannot start, 2 usage error;\n");
	printf("with a command, the command's (0 success, 1 failure, 2 usage error, 3 link,\n");
	printf("4 image invalid, 5 rolled back, 130 interrupted: see 'dfu-smp --help')\n");
}

static int usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dfu-smp-sim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	return 2;
}

/* A decimal or 0x number from @p min to @p max. */
static bool parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return args_u64(s, max, out) == 0 && *out >= min;
}

/* @return -1 to go on, or an exit status. */
static int parse_options(struct options *opt, int argc, char **argv)
{
	memset(opt, 0, sizeof(*opt));
	opt->busy_scale = 1.0;
	opt->rx_lines = SERIAL_RX_LINES_DEFAULT;
	opt->count = 1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *v;
		uint64_t n;

		if (strcmp(arg, "--") == 0) {
			opt->command = i;
			break;
		}
		if (!opt->realtime_only) {
			static const char *const realtime[] = {
				"--serial-link",       "--console-noise", "--serial-rx-lines",
				"--busy-scale",        "--framing",       "--drop-every",
				"--bad-crc-every",     "--address",       "--name",
				"--no-acquire",        "--adapter-off",   "--recovery",
				"--recovery-buf-size", "--fault",         "--count",
				"--devices-out",
			};

			for (size_t k = 0; k < sizeof(realtime) / sizeof(realtime[0]); k++) {
				if (args_is(arg, realtime[k])) {
					opt->realtime_only = realtime[k];
				}
			}
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			help();
			return 0;
		} else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			opt->verbose++;
		} else if (strcmp(arg, "--serial") == 0) {
			opt->serial = true;
		} else if (strcmp(arg, "--console-noise") == 0) {
			opt->console_noise = true;
		} else if (strcmp(arg, "--v1") == 0) {
			opt->dev.v1_only = true;
		} else if (strcmp(arg, "--legacy-mcumgr") == 0) {
			opt->dev.legacy_mcumgr = true;
		} else if (strcmp(arg, "--recovery") == 0) {
			opt->dev.recovery = true;
		} else if (args_is(arg, "--recovery-buf-size")) {
			v = args_value(argc, argv, &i, "--recovery-buf-size");
			if (!v || !parse_number(v, 64, 65535, &n)) {
				return usage(
					"--recovery-buf-size takes bytes from 64 to 65535, got '%s'",
					v ? v : "");
			}
			opt->dev.recovery_buf_size = (uint32_t)n;
		} else if (strcmp(arg, "--rollback") == 0) {
			opt->rollback = true;
		} else if (strcmp(arg, "--no-downgrade") == 0) {
			opt->dev.img.no_downgrade = true;
		} else if (args_is(arg, "--boot-mode")) {
			v = args_value(argc, argv, &i, "--boot-mode");
			if (!v || sim_boot_mode_find(v, &opt->dev.img.mode) != 0) {
				char names[200] = "";

				for (unsigned m = 0; m < SIM_BOOT_MODE_COUNT; m++) {
					strcat(names, m ? ", " : "");
					strcat(names, sim_boot_mode_name((enum sim_boot_mode)m));
				}
				return usage("--boot-mode takes one of: %s; got '%s'", names,
					     v ? v : "");
			}
		} else if (args_is(arg, "--images")) {
			v = args_value(argc, argv, &i, "--images");
			if (!parse_number(v, 1, 4, &n)) {
				return usage("--images takes a number from 1 to 4, got '%s'",
					     v ? v : "");
			}
			opt->dev.img.images = (unsigned)n;
		} else if (args_is(arg, "--confirm-other")) {
			v = args_value(argc, argv, &i, "--confirm-other");
			if (v && strcmp(v, "any") == 0) {
				opt->dev.img.confirm_other = SIM_CONFIRM_OTHER_ANY;
			} else if (v && strcmp(v, "none") == 0) {
				opt->dev.img.confirm_other = SIM_CONFIRM_OTHER_NONE;
			} else if (v && strcmp(v, "secondary") == 0) {
				opt->dev.img.confirm_other = SIM_CONFIRM_OTHER_SECONDARY;
			} else {
				return usage("--confirm-other takes none, secondary or any, got '%s'",
					     v ? v : "");
			}
		} else if (strcmp(arg, "--bluez") == 0) {
			opt->bluez = true;
		} else if (strcmp(arg, "--reassembly") == 0) {
			opt->gatt.reassembly = true;
		} else if (strcmp(arg, "--no-acquire") == 0) {
			opt->ble.refuse_acquire = true;
		} else if (strcmp(arg, "--adapter-off") == 0) {
			opt->ble.adapter_off = true;
		} else if (args_is(arg, "--address")) {
			opt->ble.address = args_value(argc, argv, &i, "--address");
			if (!opt->ble.address || !*opt->ble.address) {
				return usage("--address needs AA:BB:CC:DD:EE:FF");
			}
		} else if (args_is(arg, "--name")) {
			opt->ble.name = args_value(argc, argv, &i, "--name");
			if (!opt->ble.name || !*opt->ble.name || strlen(opt->ble.name) > 248) {
				return usage("--name needs a name of 1 to 248 bytes");
			}
		} else if (args_is(arg, "--drop-after")) {
			v = args_value(argc, argv, &i, "--drop-after");
			if (!parse_number(v, 1, UINT64_MAX, &n)) {
				return usage("--drop-after takes a byte count, got '%s'",
					     v ? v : "");
			}
			opt->drop_after = n;
		} else if (args_is(arg, "--count")) {
			v = args_value(argc, argv, &i, "--count");
			if (!parse_number(v, 1, COUNT_MAX, &n)) {
				return usage("--count takes a number of devices from 1 to %u, got '%s'",
					     COUNT_MAX, v ? v : "");
			}
			opt->count = (unsigned)n;
		} else if (args_is(arg, "--devices-out")) {
			opt->devices_out = args_value(argc, argv, &i, "--devices-out");
			if (!opt->devices_out || !*opt->devices_out) {
				return usage("--devices-out needs a file");
			}
		} else if (args_is(arg, "--udp")) {
			opt->udp = args_value(argc, argv, &i, "--udp");
			if (!opt->udp || !*opt->udp) {
				return usage("--udp needs HOST:PORT");
			}
		} else if (args_is(arg, "--framing")) {
			v = args_value(argc, argv, &i, "--framing");
			if (!v || (strcmp(v, "console") != 0 && strcmp(v, "raw") != 0 &&
				   strcmp(v, "cobs") != 0)) {
				return usage("--framing takes console, raw or cobs, got '%s'",
					     v ? v : "");
			}
			opt->framing = v;
		} else if (args_is(arg, "--serial-link")) {
			opt->serial_link = args_value(argc, argv, &i, "--serial-link");
			if (!opt->serial_link || !*opt->serial_link) {
				return usage("--serial-link needs a path");
			}
			opt->serial = true;
		} else if (args_is(arg, "--state")) {
			opt->dev.state_dir = args_value(argc, argv, &i, "--state");
			if (!opt->dev.state_dir || !*opt->dev.state_dir) {
				return usage("--state needs a directory");
			}
		} else if (args_is(arg, "--slot-size")) {
			v = args_value(argc, argv, &i, "--slot-size");
			if (!parse_number(v, 0x4000, 0x4000000, &n) || n % 4096) {
				return usage("--slot-size takes a multiple of 4096 from 0x4000 to "
					     "0x4000000, got '%s'", v ? v : "");
			}
			opt->dev.img.slot_size = (size_t)n;
		} else if (args_is(arg, "--buf-size")) {
			v = args_value(argc, argv, &i, "--buf-size");
			if (!parse_number(v, 64, 65535, &n)) {
				return usage("--buf-size takes bytes from 64 to 65535, got '%s'",
					     v ? v : "");
			}
			opt->dev.buf_size = (uint32_t)n;
		} else if (args_is(arg, "--buf-count")) {
			v = args_value(argc, argv, &i, "--buf-count");
			if (!parse_number(v, 1, 64, &n)) {
				return usage("--buf-count takes a number from 1 to 64, got '%s'",
					     v ? v : "");
			}
			opt->dev.buf_count = (uint32_t)n;
		} else if (args_is(arg, "--profile")) {
			v = args_value(argc, argv, &i, "--profile");
			opt->profile = v ? sim_profile_find(v) : NULL;
			if (!opt->profile) {
				char names[200];

				sim_profile_names(names, sizeof(names));
				return usage("--profile takes one of: %s; got '%s'", names,
					     v ? v : "");
			}
		} else if (args_is(arg, "--busy-scale")) {
			char *end = NULL;

			v = args_value(argc, argv, &i, "--busy-scale");
			opt->busy_scale = v ? strtod(v, &end) : -1;
			if (!v || *end || !(opt->busy_scale >= 0) || opt->busy_scale > 100) {
				return usage("--busy-scale takes a factor from 0 to 100, got '%s'",
					     v ? v : "");
			}
		} else if (args_is(arg, "--drop-every")) {
			v = args_value(argc, argv, &i, "--drop-every");
			if (!parse_number(v, 1, 1000000, &n)) {
				return usage("--drop-every takes a count, got '%s'", v ? v : "");
			}
			opt->drop_every = (unsigned)n;
		} else if (args_is(arg, "--serial-rx-lines")) {
			v = args_value(argc, argv, &i, "--serial-rx-lines");
			if (!parse_number(v, 1, SERIAL_RX_LINES_MAX, &n)) {
				return usage(
					"--serial-rx-lines takes a number from 1 to %u, got '%s'",
					SERIAL_RX_LINES_MAX, v ? v : "");
			}
			opt->rx_lines = (unsigned)n;
		} else if (args_is(arg, "--fault")) {
			char why[200];

			v = args_value(argc, argv, &i, "--fault");
			if (!v || sim_fault_add(&opt->faults, v, why, sizeof(why)) != 0) {
				return usage("--fault %s", v ? why : "takes KIND@N[xCOUNT][:ARG]");
			}
		} else if (args_is(arg, "--power-cut")) {
			const char *colon;
			size_t k = 0;

			v = args_value(argc, argv, &i, "--power-cut");
			colon = v ? strchr(v, ':') : NULL;
			while (colon && k < SIM_FLASH_PHASE_COUNT &&
			       (strlen(sim_flash_phase_name((enum sim_flash_phase)k)) !=
					(size_t)(colon - v) ||
				strncmp(v, sim_flash_phase_name((enum sim_flash_phase)k),
					(size_t)(colon - v)) != 0)) {
				k++;
			}
			if (!colon || k == SIM_FLASH_PHASE_COUNT ||
			    !parse_number(colon + 1, 0, UINT32_MAX, &opt->cut_units)) {
				return usage("--power-cut takes PHASE:N (PHASE upload, mark, confirm, "
					     "boot, erase or any), got '%s'", v ? v : "");
			}
			opt->power_cut = v;
			opt->cut_phase = (enum sim_flash_phase)k;
		} else if (args_is(arg, "--bad-crc-every")) {
			v = args_value(argc, argv, &i, "--bad-crc-every");
			if (!parse_number(v, 1, 1000000, &n)) {
				return usage("--bad-crc-every takes a count, got '%s'", v ? v : "");
			}
			opt->bad_crc_every = (unsigned)n;
		} else {
			return usage("unknown option '%s'", arg);
		}
	}
	if (opt->profile) {
		uint32_t buf_size = opt->dev.buf_size, buf_count = opt->dev.buf_count;

		sim_profile_apply(opt->profile, &opt->dev, &opt->gatt, &opt->link);
		opt->dev.buf_size = buf_size ? buf_size : opt->dev.buf_size;
		opt->dev.buf_count = buf_count ? buf_count : opt->dev.buf_count;
	}
	if (opt->rollback && !sim_boot_mode_swaps(opt->dev.img.mode) &&
	    opt->dev.img.mode != SIM_BOOT_DIRECT_XIP_REVERT) {
		return usage("--rollback needs a revert: --boot-mode %s has none (swap modes and "
			     "direct-xip-revert only)", sim_boot_mode_name(opt->dev.img.mode));
	}
	if (opt->power_cut && (opt->command || opt->bluez)) {
		return usage("--power-cut is for the device served over --udp or --serial");
	}
	if (opt->power_cut && opt->count > 1) {
		return usage("--power-cut kills the program, and every device with it: it is for "
			     "one device (no --count)");
	}
	if (opt->command) {
		if (opt->udp || opt->serial || opt->bluez) {
			return usage(
				"a command after '--' runs against the device in this process: "
				"no --udp, --serial or --bluez with it");
		}
		if (opt->realtime_only) {
			return usage("%s is for the device served in real time (--udp, --serial, "
				     "--bluez), not for a command after '--'", opt->realtime_only);
		}
		if (opt->command + 1 >= argc) {
			return usage("give the dfu-smp command to run after '--' (see "
				     "'dfu-smp-sim -- --help')");
		}
		return -1;
	}
	if (opt->framing && !opt->serial) {
		return usage("--framing is for --serial");
	}
	if (opt->dev.recovery_buf_size && !opt->dev.recovery) {
		return usage("--recovery-buf-size is for --recovery");
	}
	if (opt->dev.recovery && (!opt->serial || opt->udp || opt->bluez)) {
		return usage("--recovery is MCUboot's serial recovery: it needs --serial alone");
	}
	if (opt->framing && strcmp(opt->framing, "console") != 0 && opt->console_noise) {
		return usage("--console-noise is for the console framing: a raw or COBS port "
			     "carries no console");
	}
	if (opt->bluez && (opt->udp || opt->serial)) {
		return usage("--bluez serves the device on its own, without --udp or --serial");
	}
	if (!opt->udp && !opt->serial && !opt->bluez) {
		return usage("give --udp HOST:PORT, --serial, or both; or --bluez; or "
			     "-- COMMAND");
	}
	return -1;
}

/* ---- the device in real time ---- */

/* Where an answer goes: the request's sender (UDP), or nowhere in particular (serial). */
struct peer {
	struct sockaddr_storage addr;
	socklen_t len;
};

struct host;

/** A transport serving the device. */
struct endpoint {
	const char *name;
	char conn[320];   /* what dfu-smp --conn takes to reach it: udp:HOST:PORT, serial:PATH */
	struct host *host;
	struct dfu_smp_port_fd pfd;
	/** Send one answer to @p to, the sender of its request; @p bad_crc: a fault to inject. */
	void (*answer)(struct endpoint *ep, const struct peer *to, const uint8_t *msg, size_t len,
		       bool bad_crc);
	/** The device goes down for a reboot (@p up false), or has booted (@p up true). */
	void (*power)(struct endpoint *ep, bool up);
	void (*close)(struct endpoint *ep);
};

/* An answer waiting for the device's flash work to finish. */
struct answer {
	struct answer *next;
	uint64_t due_us;
	struct endpoint *ep;
	struct peer to;
	size_t len;
	uint8_t msg[];
};

struct host {
	const struct options *opt;
	unsigned index;         /* of the devices served (--count) */
	char who[16];           /* the name its log lines give: sim, or sim I of several */
	char *state_dir;        /* several devices: DIR/I, ours; else NULL */
	struct sim_device dev;
	bool dev_ready;
	struct dfu_smp_port_log log; /* -v; its t0_us is when the device started */
	uint64_t busy_until_us; /* when the device is done with what it was given */
	uint64_t boot_until_us; /* silent until then, after a reboot; 0 once up */
	struct answer *head, *tail;
	unsigned queued;        /* answers waiting: the device's buffers in use */
	uint32_t answers;       /* answers made so far, for the faults */
	struct answer *late;    /* answers held back by a delay fault, in any order */
	struct answer *held;    /* an answer a reorder fault sends after the next one */
	struct answer *last;    /* the last answer sent, which a stale fault sends again */
	uint64_t outage_until_us; /* an outage fault: the link is away until then; 0 none */
	uint64_t units0[SIM_FLASH_PHASE_COUNT]; /* flash units per phase before the start */
	struct endpoint *eps[MAX_ENDPOINTS];
	size_t n_eps;
	/* the request being handled */
	struct endpoint *from;
	const struct peer *from_peer;
	struct answer *new_head, *new_tail;
};

/* The device's clock: microseconds since it started, as the simulator's virtual time. */
static uint64_t now_us(const struct host *h)
{
	return dfu_smp_port_now_us() - h->log.t0_us;
}

static uint64_t scaled(const struct host *h, uint64_t us)
{
	return (uint64_t)((double)us * h->opt->busy_scale);
}

static void add_endpoint(struct host *h, struct endpoint *ep)
{
	ep->host = h;
	h->eps[h->n_eps++] = ep;
}

static void collect_answer(void *ctx, const uint8_t *msg, size_t len)
{
	struct host *h = ctx;
	struct answer *a = malloc(sizeof(*a) + len);

	if (!a) {
		return; /* out of memory: lost, as a device out of buffers loses it */
	}
	memset(a, 0, sizeof(*a));
	a->ep = h->from;
	if (h->from_peer) {
		a->to = *h->from_peer;
	}
	a->len = len;
	memcpy(a->msg, msg, len);
	if (h->new_tail) {
		h->new_tail->next = a;
	} else {
		h->new_head = a;
	}
	h->new_tail = a;
}

/**
 * A transport unit arrived at @p ep from @p peer (NULL for serial): the device handles it now
 * and its answers leave once its flash work is done, after whatever it was busy with.
 */
/* -v: an image state write the last request made, with the hash it named. */
static void log_state_write(struct host *h, const struct sim_device_stats *before)
{
	const struct sim_device_stats *after = sim_device_stats(&h->dev);
	char hex[2 * sizeof(after->state_hash) + 1];
	char image[32] = "";
	const char *what = after->confirms != before->confirms ? "the running image confirmed"
			   : after->permanent_marks != before->permanent_marks ? "marked for good"
			   : after->marks != before->marks ? "marked for a test"
							   : NULL;

	if (!what) {
		return;
	}
	for (size_t i = 0; i < sizeof(after->state_hash); i++) {
		snprintf(hex + 2 * i, 3, "%02x", after->state_hash[i]);
	}
	if (after->state_image) {
		snprintf(image, sizeof(image), " (image %u)", after->state_image);
	}
	if (after->confirms != before->confirms) {
		dfu_smp_port_logf(&h->log, "image state: %s%s, hash %s", what, image, hex);
	} else {
		dfu_smp_port_logf(&h->log, "image state: slot %u %s%s, hash %s", after->state_slot,
				  what, image, hex);
	}
}

static void host_receive(struct host *h, struct endpoint *ep, const struct peer *peer,
			 const uint8_t *unit, size_t len)
{
	struct sim_device_stats before;
	uint64_t now = now_us(h);
	uint64_t start = h->busy_until_us > now ? h->busy_until_us : now;

	if (h->boot_until_us || !sim_device_bootable(&h->dev)) {
		dfu_smp_port_logf(&h->log, "%s: %zu bytes while the device is down: lost", ep->name,
				  len);
		return;
	}
	if (sim_device_in_recovery(&h->dev) && peer) {
		dfu_smp_port_logf(&h->log, "%s: %zu bytes while the bootloader is in serial "
				  "recovery: lost", ep->name, len);
		return;
	}
	if (h->outage_until_us > now) {
		dfu_smp_port_logf(&h->log, "%s: %zu bytes while the link is away (--fault outage): "
				  "lost", ep->name, len);
		return;
	}
	if (h->queued >= sim_device_config(&h->dev)->buf_count) {
		dfu_smp_port_logf(&h->log, "%s: %zu bytes with every buffer taken: dropped",
				  ep->name, len);
		return;
	}
	h->from = ep;
	h->from_peer = peer;
	h->new_head = h->new_tail = NULL;
	before = *sim_device_stats(&h->dev);
	sim_device_receive(&h->dev, unit, len, now, collect_answer, h);
	log_state_write(h, &before);
	h->busy_until_us = start + scaled(h, sim_device_busy_us(&h->dev) +
					       (h->opt->profile ? h->opt->profile->process_us : 0));
	dfu_smp_port_logf(&h->log, "%s: request of %zu bytes%s", ep->name, len,
		  h->new_head ? "" : ", no answer");
	for (struct answer *a = h->new_head; a; a = a->next) {
		a->due_us = h->busy_until_us;
		h->queued++;
	}
	if (h->new_head) {
		if (h->tail) {
			h->tail->next = h->new_head;
		} else {
			h->head = h->new_head;
		}
		h->tail = h->new_tail;
	}
}

static void free_list(struct answer **list)
{
	while (*list) {
		struct answer *a = *list;

		*list = a->next;
		free(a);
	}
}

/* What is queued or held back is lost (a reset, the end). */
static void drop_answers(struct host *h)
{
	free_list(&h->head);
	free_list(&h->late);
	free_list(&h->held);
	h->tail = NULL;
	h->queued = 0;
}

/* Sends @p a (which stays the caller's) and keeps a copy for a stale fault. */
static void deliver(struct host *h, const struct answer *a, bool bad_crc)
{
	struct answer *copy = malloc(sizeof(*copy) + a->len);

	a->ep->answer(a->ep, &a->to, a->msg, a->len, bad_crc);
	if (copy) {
		memcpy(copy, a, sizeof(*copy) + a->len);
		copy->next = NULL;
		free_list(&h->last);
		h->last = copy;
	}
}

/* Answer @p n, @p a (freed here), as the faults say. */
static void send_answer(struct host *h, struct answer *a, uint32_t n, uint64_t now)
{
	struct sim_fault f = sim_fault_for(&h->opt->faults, n);
	const char *what = sim_fault_name(f.kind);
	bool bad = h->opt->bad_crc_every && n % h->opt->bad_crc_every == 0;
	uint8_t error[32];

	if (h->opt->drop_every && n % h->opt->drop_every == 0) {
		dfu_smp_port_logf(&h->log, "%s: answer %u of %zu bytes lost (--drop-every)",
				  a->ep->name, (unsigned)n, a->len);
		free(a);
		return;
	}
	if (f.kind == SIM_FAULT_OUTAGE && h->outage_until_us <= now) {
		h->outage_until_us = now + (uint64_t)f.arg * 1000u;
		dfu_smp_port_logf(&h->log, "the link goes away for %u ms (--fault outage)",
				  (unsigned)f.arg);
	}
	if (f.kind != SIM_FAULT_NONE) {
		dfu_smp_port_logf(&h->log, "%s: answer %u of %zu bytes: --fault %s", a->ep->name,
				  (unsigned)n, a->len, what);
	} else {
		dfu_smp_port_logf(&h->log, "%s: answer %u of %zu bytes%s", a->ep->name,
				  (unsigned)n, a->len,
				  bad ? " with a wrong CRC (--bad-crc-every)" : "");
	}
	switch (f.kind) {
	case SIM_FAULT_DROP:
	case SIM_FAULT_OUTAGE:
		free(a);
		return;
	case SIM_FAULT_DELAY:
		a->due_us = now + (uint64_t)f.arg * 1000u;
		a->next = h->late;
		h->late = a;
		return;
	case SIM_FAULT_REORDER:
		if (!h->held) {
			a->next = NULL;
			h->held = a;
			return;
		}
		break;
	case SIM_FAULT_STALE:
		if (h->last && h->last->ep == a->ep) {
			deliver(h, h->last, false);
			free(a);
			return;
		}
		break; /* nothing earlier to send: this one goes */
	case SIM_FAULT_CORRUPT:
		sim_fault_corrupt(a->msg, a->len, n);
		break;
	case SIM_FAULT_ERROR:
		if (a->len >= 8) {
			size_t len = sim_fault_error_answer(a->msg, f.arg, error, sizeof(error));

			a->ep->answer(a->ep, &a->to, error, len, false);
		}
		free(a);
		return;
	default:
		break;
	}
	deliver(h, a, bad);
	if (f.kind == SIM_FAULT_DUP) {
		deliver(h, a, bad);
	}
	free(a);
	if (h->held && f.kind != SIM_FAULT_REORDER) {
		struct answer *held = h->held;

		h->held = NULL;
		deliver(h, held, false);
		free(held);
	}
}

static void send_due_answers(struct host *h, uint64_t now)
{
	for (struct answer **p = &h->late; *p;) {
		struct answer *a = *p;

		if (a->due_us <= now) {
			*p = a->next;
			dfu_smp_port_logf(&h->log, "%s: a delayed answer of %zu bytes", a->ep->name,
					  a->len);
			if (h->outage_until_us <= now) {
				deliver(h, a, false);
			}
			free(a);
		} else {
			p = &a->next;
		}
	}
	while (h->head && h->head->due_us <= now) {
		struct answer *a = h->head;
		uint32_t n = ++h->answers;

		h->head = a->next;
		if (!h->head) {
			h->tail = NULL;
		}
		h->queued--;
		if (h->outage_until_us > now) {
			dfu_smp_port_logf(&h->log, "%s: answer %u of %zu bytes lost: the link is away",
					  a->ep->name, (unsigned)n, a->len);
			free(a);
			continue;
		}
		send_answer(h, a, n, now);
	}
}

/* The flash units each phase used since the start, with -v. */
static void log_units(struct host *h)
{
	struct sim_flash *flash = sim_device_flash(&h->dev);
	char line[200];
	size_t n = 0;

	for (int p = SIM_FLASH_PHASE_ANY + 1; p <= SIM_FLASH_PHASE_COUNT; p++) {
		enum sim_flash_phase phase = (enum sim_flash_phase)(p % SIM_FLASH_PHASE_COUNT);

		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %" PRIu64,
				      sim_flash_phase_name(phase),
				      sim_flash_units(flash, phase) - h->units0[phase]);
	}
	dfu_smp_port_logf(&h->log, "flash units:%s", line);
}

/* -v: what the bootloader refused at the last boot, and a firmware loader that runs. */
static void log_boot(struct host *h)
{
	const struct sim_boot_result *b = sim_device_last_boot(&h->dev);
	bool either = sim_boot_mode_either_slot(sim_device_config(&h->dev)->img.mode);

	for (unsigned i = 0; i < SIM_BOOT_IMAGES_MAX; i++) {
		const struct sim_boot_refused *r = &b->refused[i];
		char v[48], have[48], need[48], what[24] = "not swapped";

		if (r->why == SIM_BOOT_REFUSED_NONE) {
			continue;
		}
		if (either) {
			snprintf(what, sizeof(what), "slot %u not booted", r->slot);
		}
		dfu_smp_image_version_smp_str(&r->version, v, sizeof(v));
		dfu_smp_image_version_smp_str(&r->have, have, sizeof(have));
		dfu_smp_image_version_smp_str(&r->need, need, sizeof(need));
		if (r->why == SIM_BOOT_REFUSED_DOWNGRADE) {
			dfu_smp_port_logf(&h->log, "image %u: version %s is older than %s "
					  "(--no-downgrade): %s", i, v, have, what);
		} else {
			dfu_smp_port_logf(&h->log, "image %u: dependency on image %u >= %s not met "
					  "(%s): %s", i, r->dep_image, need,
					  r->no_such_image ? "no such image" : have, what);
		}
	}
	if (b->loader) {
		dfu_smp_port_logf(&h->log, "the firmware loader (0.1.0) runs");
	}
}

/* The reset the device was asked for: RAM is lost, the bootloader runs, it boots. */
static void reboot(struct host *h, uint64_t now)
{
	uint64_t busy;

	dfu_smp_port_logf(&h->log, "the device resets");
	sim_device_reboot(&h->dev, now);
	log_boot(h);
	busy = scaled(h, sim_device_last_boot(&h->dev)->busy_us);
	if (h->opt->rollback && sim_device_last_boot(&h->dev)->swaps[0] == SIM_SWAP_TEST) {
		/* the new firmware crashes before confirming itself: the watchdog resets it */
		dfu_smp_port_logf(&h->log, "the new image crashes; the device resets again");
		sim_device_reboot(&h->dev, now + BOOT_US + busy);
		log_boot(h);
		busy += BOOT_US + scaled(h, sim_device_last_boot(&h->dev)->busy_us);
	}
	log_units(h);
	drop_answers(h);
	h->busy_until_us = 0;
	h->boot_until_us = now + BOOT_US + (busy < BOOT_BUSY_MAX_US ? busy : BOOT_BUSY_MAX_US);
	for (size_t i = 0; i < h->n_eps; i++) {
		h->eps[i]->power(h->eps[i], false);
	}
}

static void booted(struct host *h)
{
	const char *up = "the device is up";

	h->boot_until_us = 0;
	if (!sim_device_bootable(&h->dev)) {
		dfu_smp_port_logf(&h->log,
				  "the bootloader found no valid image: the device stays silent");
		return;
	}
	if (sim_device_in_recovery(&h->dev)) {
		up = h->dev.img.bootable
			     ? "reset into the bootloader: MCUboot's serial recovery answers"
			     : "no valid image: the bootloader stays in serial recovery";
	}
	dfu_smp_port_logf(&h->log, "%s", up);
	for (size_t i = 0; i < h->n_eps; i++) {
		h->eps[i]->power(h->eps[i], true);
	}
}

/* ---- UDP ---- */

struct udp_ep {
	struct endpoint ep;
	char name[300];
	uint8_t rx[UDP_MTU];
};

static void udp_ready(void *ctx, short revents)
{
	struct udp_ep *u = ctx;

	(void)revents;
	for (;;) {
		struct peer from = { .len = sizeof(from.addr) };
		ssize_t n = recvfrom(u->ep.pfd.fd, u->rx, sizeof(u->rx), 0,
				     (struct sockaddr *)&from.addr, &from.len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return;
		}
		/* a longer datagram is cut at UDP_MTU, as Zephyr's is (answered rc 9) */
		host_receive(u->ep.host, &u->ep, &from, u->rx, (size_t)n);
	}
}

static void udp_answer(struct endpoint *ep, const struct peer *to, const uint8_t *msg,
		       size_t len, bool bad_crc)
{
	(void)bad_crc;
	if (sendto(ep->pfd.fd, msg, len, 0, (const struct sockaddr *)&to->addr, to->len) < 0) {
		dfu_smp_port_logf(&ep->host->log, "%s: cannot answer: %s", ep->name,
				  strerror(errno));
	}
}

static void udp_power(struct endpoint *ep, bool up)
{
	(void)ep;
	(void)up; /* the socket stays; what comes while the device is down is lost */
}

static void udp_close(struct endpoint *ep)
{
	close(ep->pfd.fd);
	free(ep);
}

/* "[::1]:1337", "127.0.0.1:0", "localhost" (port 1337). */
static bool split_host_port(const char *arg, char *host, size_t cap, const char **port)
{
	const char *end, *colon = strrchr(arg, ':');
	size_t len;

	*port = UDP_PORT_DEFAULT;
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || (end[1] != '\0' && end[1] != ':')) {
			return false;
		}
		arg++;
		if (end[1] == ':') {
			*port = end + 2;
		}
	} else if (colon && colon == strchr(arg, ':')) {
		end = colon;
		*port = colon + 1;
	} else {
		end = arg + strlen(arg);
	}
	len = (size_t)(end - arg);
	if (len == 0 || len >= cap || !**port || strspn(*port, "0123456789") != strlen(*port) ||
	    atol(*port) > 65535) {
		return false;
	}
	memcpy(host, arg, len);
	host[len] = '\0';
	return true;
}

/* Serves @p h on UDP at @p arg (HOST:PORT), its port plus the device's index (port 0: any). */
static int udp_start(struct host *h, const char *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE |
									  AI_NUMERICSERV };
	struct addrinfo *list, *ai;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	char host[256], addr[256], port_str[32];
	const char *port;
	char port_n[16];
	struct udp_ep *u;
	int fd = -1, err = 0, gai;

	if (!split_host_port(arg, host, sizeof(host), &port)) {
		fprintf(stderr, "dfu-smp-sim: bad UDP address '%s': use HOST:PORT, with an IPv6 "
			"address in brackets ([::1]:1337)\n", arg);
		return 2;
	}
	if (atol(port) != 0) {
		if (atol(port) + (long)h->opt->count - 1 > 65535) {
			fprintf(stderr, "dfu-smp-sim: --udp %s with --count %u: the ports run past "
				"65535\n", arg, h->opt->count);
			return 2;
		}
		snprintf(port_n, sizeof(port_n), "%ld", atol(port) + (long)h->index);
		port = port_n;
	}
	gai = getaddrinfo(host, port, &hints, &list);
	if (gai != 0) {
		fprintf(stderr, "dfu-smp-sim: cannot resolve '%s': %s\n", host, gai_strerror(gai));
		return 1;
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)) {
			err = errno;
			close(fd);
			fd = -1;
		} else if (fd < 0) {
			err = errno;
		}
	}
	freeaddrinfo(list);
	if (fd < 0) {
		fprintf(stderr, "dfu-smp-sim: cannot serve UDP on %s: %s\n", arg, strerror(err));
		return 1;
	}
	u = calloc(1, sizeof(*u));
	if (!u || getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0 ||
	    getnameinfo((struct sockaddr *)&bound, bound_len, addr, sizeof(addr), port_str,
			sizeof(port_str), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		fprintf(stderr, "dfu-smp-sim: cannot set up UDP on %s\n", arg);
		free(u);
		close(fd);
		return 1;
	}
	snprintf(u->name, sizeof(u->name), strchr(addr, ':') ? "udp [%s]:%s" : "udp %s:%s", addr,
		 port_str);
	if (h->opt->count == 1) {
		printf("udp: %s\n", u->name + 4);
	}
	u->ep = (struct endpoint){
		.name = u->name, .answer = udp_answer, .power = udp_power, .close = udp_close,
		.pfd = { .fd = fd, .events = POLLIN, .ready = udp_ready, .ctx = u },
	};
	snprintf(u->ep.conn, sizeof(u->ep.conn), "udp:%s", u->name + 4);
	add_endpoint(h, &u->ep);
	return 0;
}

/* ---- serial: a pseudo-terminal ---- */

struct serial_ep {
	struct endpoint ep;
	int slave;        /* kept open, so the terminal lives while no client has it open */
	char *link;       /* the symlink made to it (ours), or NULL */
	bool noise;
	/* the receive line buffers: when each is free again (device time, µs) */
	uint64_t line_free_us[SERIAL_RX_LINES_MAX];
	unsigned rx_lines;
	bool in_line;     /* the bytes coming belong to a line that has a buffer */
	bool dropping;    /* ... to one that found none: dropped up to its newline */
	uint32_t lines_dropped;
	char framing;     /* 'c'onsole, 'r'aw or c'o'bs */
	struct dfu_smp_serial_decoder dec;
	struct dfu_smp_raw_decoder raw_dec;
	struct dfu_smp_cobs_decoder cobs_dec;
	uint8_t *msg;     /* the device's buffer: the message (and with a CRC, that) must fit it */
	uint8_t *tx;
	size_t tx_len, tx_cap;
	uint8_t line[DFU_SMP_SERIAL_LINE_MAX_DEFAULT];
	uint8_t rx[4096];
};

static void serial_flush(struct serial_ep *s)
{
	while (s->tx_len) {
		ssize_t n = write(s->ep.pfd.fd, s->tx, s->tx_len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		memmove(s->tx, s->tx + n, s->tx_len - (size_t)n);
		s->tx_len -= (size_t)n;
	}
	s->ep.pfd.events = (short)(POLLIN | (s->tx_len ? POLLOUT : 0));
}

static void serial_put(struct serial_ep *s, const void *data, size_t len)
{
	if (s->tx_len + len > SERIAL_TX_MAX) {
		return; /* nobody reads: lost */
	}
	if (s->tx_len + len > s->tx_cap) {
		size_t cap = (s->tx_len + len) * 2;
		uint8_t *tx = realloc(s->tx, cap);

		if (!tx) {
			return;
		}
		s->tx = tx;
		s->tx_cap = cap;
	}
	memcpy(s->tx + s->tx_len, data, len);
	s->tx_len += len;
}

/* A Zephyr log line, stamped with the device's uptime. */
static void serial_log(struct serial_ep *s, const char *what)
{
	uint64_t up = sim_device_uptime_us(&s->ep.host->dev, now_us(s->ep.host));
	char line[128];
	int n = snprintf(line, sizeof(line), "[%02u:%02u:%02u.%03u,%03u] <inf> smp_sample: %s\r\n",
			 (unsigned)(up / 3600000000u), (unsigned)(up / 60000000u % 60u),
			 (unsigned)(up / 1000000u % 60u), (unsigned)(up / 1000u % 1000u),
			 (unsigned)(up % 1000u), what);

	serial_put(s, line, (size_t)n);
}

/* An answer in a COBS frame; @p bad_crc: with its CRC's last bit changed. */
static void cobs_answer(struct serial_ep *s, const uint8_t *msg, size_t len, bool bad_crc)
{
	uint16_t crc = (uint16_t)(dfu_smp_serial_crc16(0, msg, len) ^ (bad_crc ? 1u : 0u));
	uint8_t *stream = malloc(len + DFU_SMP_COBS_CRC_SIZE);
	uint8_t *frame = malloc(DFU_SMP_COBS_FRAME_MAX(len));
	int n = -ENOMEM;

	if (stream && frame) {
		memcpy(stream, msg, len);
		stream[len] = (uint8_t)(crc >> 8);
		stream[len + 1u] = (uint8_t)crc;
		n = dfu_smp_cobs_encode(stream, len + DFU_SMP_COBS_CRC_SIZE, frame,
				    DFU_SMP_COBS_FRAME_MAX(len) - 1u);
	}
	if (n > 0) {
		frame[n] = 0;
		serial_put(s, frame, (size_t)n + 1u);
		serial_flush(s);
	}
	free(stream);
	free(frame);
}

static void serial_answer(struct endpoint *ep, const struct peer *to, const uint8_t *msg,
			  size_t len, bool bad_crc)
{
	static const char prompt[] = "\x1b[1;32muart:~$ \x1b[m";
	struct serial_ep *s = (struct serial_ep *)(void *)ep;
	struct dfu_smp_serial_encoder enc;
	size_t last = dfu_smp_serial_lines(len, sizeof(s->line)) - 1;
	size_t lines = 0;
	int n;

	(void)to;
	if (s->framing == 'r') {
		serial_put(s, msg, len); /* no CRC to damage */
		serial_flush(s);
		return;
	}
	if (s->framing == 'o') {
		cobs_answer(s, msg, len, bad_crc);
		return;
	}
	if (dfu_smp_serial_encoder_init(&enc, msg, len, sizeof(s->line)) != 0) {
		return;
	}
	if (s->noise) {
		serial_log(s, "mcumgr request handled");
		serial_put(s, prompt, sizeof(prompt) - 1); /* the frame follows on its line */
	}
	while ((n = dfu_smp_serial_encoder_next(&enc, s->line, sizeof(s->line))) > 0) {
		if (bad_crc && lines == last) {
			/* the last line ends with the CRC: change its last quad's first letter */
			s->line[n - 5] = s->line[n - 5] == 'A' ? 'B' : 'A';
		}
		if (s->noise && lines == 1) {
			serial_log(s, "a log line between two frames");
		}
		serial_put(s, s->line, (size_t)n);
		lines++;
	}
	serial_flush(s);
}

static void serial_packet(void *ctx, const uint8_t *msg, size_t len)
{
	struct serial_ep *s = ctx;

	host_receive(s->ep.host, &s->ep, NULL, msg, len);
}

/*
 * A line starts: it takes the buffer that is free, and is handled once the SMP thread is done
 * with what came before (the request it is busy with, the lines before it). @return false when
 * every buffer still holds a line: this one is lost.
 */
static bool serial_line_start(struct serial_ep *s, uint64_t now)
{
	const struct host *h = s->ep.host;
	uint64_t handled = h->busy_until_us > now ? h->busy_until_us : now;
	unsigned free_slot = s->rx_lines;

	for (unsigned i = 0; i < s->rx_lines; i++) {
		if (s->line_free_us[i] > handled) {
			handled = s->line_free_us[i];
		}
		if (s->line_free_us[i] <= now && free_slot == s->rx_lines) {
			free_slot = i;
		}
	}
	if (free_slot == s->rx_lines) {
		return false;
	}
	s->line_free_us[free_slot] = handled + SERIAL_LINE_US;
	return true;
}

/* Bytes from the wire, line by line through the device's line buffers into the decoder. */
static void serial_receive(struct serial_ep *s, const uint8_t *data, size_t len)
{
	if (s->framing == 'r') {
		dfu_smp_raw_decoder_feed(&s->raw_dec, data, len, now_us(s->ep.host) / 1000u);
		return;
	}
	if (s->framing == 'o') {
		dfu_smp_cobs_decoder_feed(&s->cobs_dec, data, len);
		return;
	}
	while (len) {
		const uint8_t *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1u : len;

		if (!s->in_line && !s->dropping) {
			s->in_line = serial_line_start(s, now_us(s->ep.host));
			s->dropping = !s->in_line;
			if (s->dropping) {
				s->lines_dropped++;
				dfu_smp_port_logf(&s->ep.host->log,
						  "serial: a line with every receive line buffer "
						  "taken: dropped (%u so far)",
						  (unsigned)s->lines_dropped);
			}
		}
		if (s->in_line) {
			dfu_smp_serial_decoder_feed(&s->dec, data, n);
		}
		if (nl) {
			s->in_line = s->dropping = false;
		}
		data += n;
		len -= n;
	}
}

static void serial_ready(void *ctx, short revents)
{
	struct serial_ep *s = ctx;

	if (revents & POLLOUT) {
		serial_flush(s);
	}
	for (;;) {
		ssize_t n = read(s->ep.pfd.fd, s->rx, sizeof(s->rx));

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return;
		}
		if (!s->ep.host->boot_until_us) {
			serial_receive(s, s->rx, (size_t)n);
		}
	}
}

static void serial_power(struct endpoint *ep, bool up)
{
	struct serial_ep *s = (struct serial_ep *)(void *)ep;

	dfu_smp_serial_decoder_reset(&s->dec); /* a line half received is lost */
	dfu_smp_raw_decoder_reset(&s->raw_dec);
	dfu_smp_cobs_decoder_reset(&s->cobs_dec);
	memset(s->line_free_us, 0, sizeof(s->line_free_us));
	s->in_line = s->dropping = false;
	static const char banner[] = "*** Booting Zephyr OS build v4.4.0 ***\r\n";

	if (up && s->noise) {
		serial_put(s, banner, sizeof(banner) - 1);
		serial_log(s, "mcumgr ready");
		serial_flush(s);
	}
}

static void serial_close(struct endpoint *ep)
{
	struct serial_ep *s = (struct serial_ep *)(void *)ep;

	if (s->link) {
		unlink(s->link);
		free(s->link);
	}
	close(s->slave);
	close(ep->pfd.fd);
	free(s->msg);
	free(s->tx);
	free(s);
}

/* Raw mode on the terminal, so that neither side echoes or edits what passes. */
static int make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0) {
		return -1;
	}
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
				  IXOFF);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8 | CREAD | CLOCAL;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &t);
}

/* Points @p link at @p target, replacing an old symlink but nothing else. */
static int make_link(const char *target, const char *link)
{
	struct stat st;

	if (lstat(link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		unlink(link);
	}
	return symlink(target, link);
}

static int serial_start(struct host *h, const struct options *opt)
{
	struct serial_ep *s = calloc(1, sizeof(*s));
	uint32_t buf_size = sim_device_config(&h->dev)->buf_size;
	const char *path;
	int fd;

	/* the device decodes length, message and CRC into its buffer; s->msg holds the last two */
	size_t msg_cap = dfu_smp_serial_msg_max(buf_size) + 2u;

	if (!s || !(s->msg = malloc(msg_cap))) {
		free(s);
		fprintf(stderr, "dfu-smp-sim: out of memory\n");
		return 1;
	}
	/* raw: the message, with MCUboot's input timeout; COBS: message and CRC; the same room */
	s->framing = !opt->framing ? 'c' : strcmp(opt->framing, "raw") == 0 ? 'r'
					 : strcmp(opt->framing, "cobs") == 0 ? 'o' : 'c';
	if (dfu_smp_raw_decoder_init(&s->raw_dec, s->msg, msg_cap, DFU_SMP_RAW_TIMEOUT_DEFAULT_MS,
				 serial_packet, s) != 0 ||
	    dfu_smp_cobs_decoder_init(&s->cobs_dec, s->msg, msg_cap, serial_packet, s) != 0) {
		fprintf(stderr, "dfu-smp-sim: an SMP buffer of %u bytes is too small for serial\n",
			(unsigned)buf_size);
		free(s->msg);
		free(s);
		return 1;
	}
	fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0 || !(path = ptsname(fd)) ||
	    (s->slave = open(path, O_RDWR | O_NOCTTY)) < 0 || make_raw(s->slave) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		fprintf(stderr, "dfu-smp-sim: cannot make a pseudo-terminal: %s\n",
			strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		free(s->msg);
		free(s);
		return 1;
	}
	if (opt->count == 1) {
		printf("serial: %s\n", path);
	}
	snprintf(s->ep.conn, sizeof(s->ep.conn), "serial:%s", path);
	if (opt->serial_link) {
		/* several devices: PATH0, PATH1, ... */
		size_t cap = strlen(opt->serial_link) + 4;

		s->link = malloc(cap);
		if (s->link) {
			snprintf(s->link, cap, opt->count == 1 ? "%s" : "%s%u", opt->serial_link,
				 h->index);
		}
		if (!s->link || make_link(path, s->link) != 0) {
			fprintf(stderr, "dfu-smp-sim: cannot make the link %s: %s\n",
				s->link ? s->link : opt->serial_link, strerror(errno));
			free(s->link);
			close(s->slave);
			close(fd);
			free(s->msg);
			free(s);
			return 1;
		}
		if (opt->count == 1) {
			printf("serial link: %s\n", s->link);
		}
	}
	s->noise = opt->console_noise;
	/* a device takes lines of up to 127 bytes, and packets that fit its buffer */
	dfu_smp_serial_decoder_init(&s->dec, s->msg, msg_cap, DFU_SMP_SERIAL_LINE_MAX_DEFAULT,
				serial_packet, s);
	s->rx_lines = opt->rx_lines;
	s->ep.name = "serial";
	s->ep.answer = serial_answer;
	s->ep.power = serial_power;
	s->ep.close = serial_close;
	s->ep.pfd = (struct dfu_smp_port_fd){ .fd = fd, .events = POLLIN, .ready = serial_ready,
					      .ctx = s };
	add_endpoint(h, &s->ep);
	return 0;
}

/* ---- the loop ---- */

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;

	(void)!write(signal_pipe[1], &c, 1);
}

static int catch_signals(void)
{
	struct sigaction sa;

	if (pipe(signal_pipe) != 0) {
		return -1;
	}
	fcntl(signal_pipe[1], F_SETFL, fcntl(signal_pipe[1], F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
		return -1;
	}
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * When the device does the next thing on its own (an answer's flash work done, a reset, a
 * boot), on the monotonic clock, to the microsecond: an answer a millisecond late would add
 * that to every request on a link that waits for each answer. UINT64_MAX: nothing to wait for.
 */
static uint64_t next_due(const struct host *h)
{
	uint64_t t = sim_device_reset_at(&h->dev);

	if (h->head && h->head->due_us < t) {
		t = h->head->due_us;
	}
	if (h->boot_until_us && h->boot_until_us < t) {
		t = h->boot_until_us;
	}
	for (const struct answer *a = h->late; a; a = a->next) {
		t = a->due_us < t ? a->due_us : t;
	}
	return t == UINT64_MAX ? t : t + h->log.t0_us;
}

/* What each device does on its own by now. */
static void host_advance(struct host *h)
{
	uint64_t now = now_us(h);

	if (sim_device_reset_at(&h->dev) <= now) {
		reboot(h, now);
	}
	if (h->boot_until_us && h->boot_until_us <= now) {
		booted(h);
	}
	send_due_answers(h, now);
}

/* Serves the @p n devices @p hosts in one loop until a signal. */
static void run(struct host *hosts, size_t n)
{
	size_t cap = 1;
	struct pollfd *pfd;

	for (size_t d = 0; d < n; d++) {
		cap += hosts[d].n_eps;
	}
	pfd = calloc(cap, sizeof(*pfd));
	if (!pfd) {
		fprintf(stderr, "dfu-smp-sim: out of memory\n");
		return;
	}
	/* the kernel may end a wait 50 µs late by default: a device's timing is finer */
	prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0);
	for (;;) {
		uint64_t next = UINT64_MAX, now;
		struct timespec wait;
		size_t k = 1;

		for (size_t d = 0; d < n; d++) {
			uint64_t t;

			host_advance(&hosts[d]);
			t = next_due(&hosts[d]);
			next = t < next ? t : next;
		}
		pfd[0] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
		for (size_t d = 0; d < n; d++) {
			for (size_t i = 0; i < hosts[d].n_eps; i++) {
				pfd[k++] = (struct pollfd){ .fd = hosts[d].eps[i]->pfd.fd,
							    .events = hosts[d].eps[i]->pfd.events };
			}
		}
		now = dfu_smp_port_now_us();
		next = next == UINT64_MAX ? next : next <= now ? 0 : next - now;
		wait.tv_sec = (time_t)(next / 1000000u);
		wait.tv_nsec = (long)(next % 1000000u) * 1000;
		if (ppoll(pfd, k, next == UINT64_MAX ? NULL : &wait, NULL) < 0 && errno != EINTR) {
			break;
		}
		if (pfd[0].revents) {
			break;
		}
		k = 1;
		for (size_t d = 0; d < n; d++) {
			for (size_t i = 0; i < hosts[d].n_eps; i++, k++) {
				if (pfd[k].revents) {
					hosts[d].eps[i]->pfd.ready(hosts[d].eps[i]->pfd.ctx,
								   pfd[k].revents);
				}
			}
		}
	}
	free(pfd);
}

/* --power-cut: what the flash did before stays (it is in the state directory); the rest dies. */
static void power_cut(struct sim_flash *flash, void *user)
{
	struct host *h = user;

	(void)flash;
	dfu_smp_port_logf(&h->log, "power cut at %s unit %" PRIu64, h->opt->power_cut,
			  h->opt->cut_units);
	fflush(stdout);
	fflush(stderr);
	raise(SIGKILL);
}

/* --devices-out: one line per device, "CONN dev-I", written in one step. @return 0 or -errno. */
static int write_devices(const char *path, const char *const *conns, unsigned n)
{
	size_t cap = 1, len = 0;
	char *text;
	int err;

	for (unsigned i = 0; i < n; i++) {
		cap += strlen(conns[i]) + 16;
	}
	text = malloc(cap);
	if (!text) {
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		len += (size_t)snprintf(text + len, cap - len, "%s dev-%u\n", conns[i], i);
	}
	err = sim_hostfs_replace(path, (const uint8_t *)text, len);
	free(text);
	if (err) {
		fprintf(stderr, "dfu-smp-sim: cannot write the devices file '%s': %s\n", path,
			strerror(-err));
	}
	return err;
}

/* Device @p h->index of --count: its state directory, its device, its transports. */
static int host_start(struct host *h, const struct options *opt)
{
	struct sim_device_config dev_cfg = opt->dev;
	int status = 0, err;

	snprintf(h->who, sizeof(h->who), opt->count == 1 ? "sim" : "sim %u", h->index);
	if (opt->dev.state_dir && opt->count > 1) {
		char sub[16];

		snprintf(sub, sizeof(sub), "%u", h->index);
		h->state_dir = sim_hostfs_join(opt->dev.state_dir, sub);
		if (!h->state_dir) {
			fprintf(stderr, "dfu-smp-sim: out of memory\n");
			return 1;
		}
		dev_cfg.state_dir = h->state_dir;
	}
	/* over its serial port a reset with boot_mode 1 reaches MCUboot's serial recovery */
	dev_cfg.serial_recovery = opt->serial;
	err = sim_device_init(&h->dev, &dev_cfg);
	if (err) {
		fprintf(stderr, "dfu-smp-sim: cannot use the state directory '%s': %s\n",
			dev_cfg.state_dir ? dev_cfg.state_dir : "", strerror(-err));
		return 1;
	}
	h->dev_ready = true;
	h->log = (struct dfu_smp_port_log){ .verbose = opt->verbose,
					    .who = h->who,
					    .t0_us = dfu_smp_port_now_us() };
	err = sim_device_power_on(&h->dev, now_us(h));
	if (err == 1) {
		log_boot(h);
	}
	if (err < 0) {
		fprintf(stderr, "dfu-smp-sim: cannot use the state directory '%s': %s\n",
			dev_cfg.state_dir, strerror(-err));
		return 1;
	}
	if (err > 0) {
		dfu_smp_port_logf(&h->log, "power-on: the bootloader ran");
	}
	for (int p = 0; p < SIM_FLASH_PHASE_COUNT; p++) {
		h->units0[p] = sim_flash_units(sim_device_flash(&h->dev), (enum sim_flash_phase)p);
	}
	if (opt->power_cut) {
		sim_flash_arm_cut(sim_device_flash(&h->dev), opt->cut_phase, opt->cut_units,
				  power_cut, h);
	}
	if (opt->serial) {
		status = serial_start(h, opt);
	}
	if (!status && opt->udp) {
		status = udp_start(h, opt->udp);
	}
	return status;
}

/* The device lives on after this program: a reset it was asked for happens, its RAM is kept. */
static int host_stop(struct host *h)
{
	int err;

	if (sim_device_reset_at(&h->dev) != UINT64_MAX) {
		reboot(h, now_us(h));
	}
	log_units(h);
	err = sim_device_suspend(&h->dev, now_us(h));
	if (err) {
		fprintf(stderr, "dfu-smp-sim: cannot keep the device's RAM in '%s': %s\n",
			sim_device_config(&h->dev)->state_dir, strerror(-err));
		return 1;
	}
	return 0;
}

static void host_free(struct host *h)
{
	for (size_t i = 0; i < h->n_eps; i++) {
		h->eps[i]->close(h->eps[i]);
	}
	drop_answers(h);
	free_list(&h->last);
	if (h->dev_ready) {
		sim_device_free(&h->dev);
	}
	free(h->state_dir);
}

/* "device I: CONN" for each device and transport (several devices), and --devices-out. */
static int list_devices(const struct options *opt, const struct host *hosts)
{
	const char **conns = calloc(opt->count, sizeof(*conns));
	int err = 0;

	if (!conns) {
		fprintf(stderr, "dfu-smp-sim: out of memory\n");
		return 1;
	}
	for (unsigned d = 0; d < opt->count; d++) {
		const struct host *h = &hosts[d];

		for (size_t i = 0; i < h->n_eps; i++) {
			if (opt->count > 1) {
				printf("device %u: %s\n", d, h->eps[i]->conn);
			}
			/* the faster of its ways in: UDP, when served */
			if (!conns[d] || strncmp(h->eps[i]->conn, "udp:", 4) == 0) {
				conns[d] = h->eps[i]->conn;
			}
		}
	}
	if (opt->devices_out) {
		err = write_devices(opt->devices_out, conns, opt->count);
	}
	free(conns);
	return err ? 1 : 0;
}

/* Serves the devices over UDP and serial until a signal. @return the exit status. */
static int serve(const struct options *opt)
{
	struct host *hosts = calloc(opt->count, sizeof(*hosts));
	const struct sim_device_config *cfg;
	unsigned started = 0;
	int status = 0;

	if (!hosts) {
		fprintf(stderr, "dfu-smp-sim: out of memory\n");
		return 1;
	}
	if (catch_signals() != 0) {
		fprintf(stderr, "dfu-smp-sim: cannot catch signals: %s\n", strerror(errno));
		status = 1;
	}
	for (; !status && started < opt->count; started++) {
		hosts[started].opt = opt;
		hosts[started].index = started;
		status = host_start(&hosts[started], opt);
	}
	if (!status) {
		status = list_devices(opt, hosts);
	}
	if (!status) {
		cfg = sim_device_config(&hosts[0].dev);
		printf("device: %s%sbuf_size %u, buf_count %u, slot_size 0x%zx, SMP version %d%s\n",
		       opt->profile ? opt->profile->name : "", opt->profile ? ", " : "",
		       (unsigned)cfg->buf_size, (unsigned)cfg->buf_count,
		       cfg->img.slot_size ? cfg->img.slot_size : (size_t)0x70000,
		       cfg->v1_only ? 1 : 2, opt->rollback ? ", new images crash (rollback)" : "");
		printf("bootloader: %s, %u image%s%s\n", sim_boot_mode_name(cfg->img.mode),
		       cfg->img.images ? cfg->img.images : 1u, cfg->img.images > 1 ? "s" : "",
		       cfg->img.no_downgrade ? ", no downgrade" : "");
		if (opt->dev.state_dir) {
			printf("state: %s\n", opt->dev.state_dir);
		}
		printf("ready\n");
		fflush(stdout);
		run(hosts, opt->count);
		for (unsigned d = 0; d < opt->count; d++) {
			status |= host_stop(&hosts[d]);
		}
	}
	for (unsigned d = 0; d < started; d++) {
		host_free(&hosts[d]);
	}
	free(hosts);
	return status;
}

/* --bluez: the devices' lines and --devices-out, once the fake owns the bus name. */
static int bluez_ready(void *ctx, const char *const *addresses, unsigned n, char *why,
		       size_t why_cap)
{
	const struct options *opt = ctx;
	char (*conns)[4 + DFU_SMP_BT_ADDR_STR_LEN] = calloc(n, sizeof(*conns));
	const char **list = calloc(n, sizeof(*list));
	int err = 0;

	if (!conns || !list) {
		err = -ENOMEM;
	}
	for (unsigned i = 0; !err && i < n; i++) {
		snprintf(conns[i], sizeof(conns[i]), "ble:%s", addresses[i]);
		list[i] = conns[i];
		if (n > 1) {
			printf("device %u: %s\n", i, conns[i]);
		}
	}
	if (!err && opt->devices_out) {
		err = write_devices(opt->devices_out, list, n);
	}
	if (!err && n > 1) {
		printf("ready\n");
	}
	fflush(stdout);
	free(conns);
	free(list);
	if (err) {
		snprintf(why, why_cap, err == -ENOMEM ? "out of memory"
			 : "cannot write the devices file");
	}
	return err;
}

/* The devices behind a fake BlueZ until a signal. @return the exit status. */
static int serve_bluez(struct options *opt)
{
	char why[300];
	int err;

	if (catch_signals() != 0) {
		fprintf(stderr, "dfu-smp-sim: cannot catch signals: %s\n", strerror(errno));
		return 1;
	}
	opt->ble.dev = opt->dev;
	opt->ble.gatt = opt->gatt;
	opt->ble.link = opt->link;
	opt->ble.drop_after = opt->drop_after;
	opt->ble.rollback = opt->rollback;
	opt->ble.verbose = opt->verbose;
	opt->ble.stop_fd = signal_pipe[0];
	opt->ble.count = opt->count;
	opt->ble.ready = bluez_ready;
	opt->ble.ready_ctx = opt;
	err = sim_bluez_run(&opt->ble, why, sizeof(why));
	if (err) {
		fprintf(stderr, "dfu-smp-sim: %s\n", why);
	}
	return err == -EINVAL ? 2 : err ? 1 : 0;
}

/* ---- one dfu-smp command, in this process ---- */

static int open_device(struct cli *cli, struct dfu_smp_conn **out, char *why, size_t why_cap)
{
	struct options *opt = cli->user;

	opt->conn = (struct sim_conn_config){
		.dev = opt->dev, .gatt = opt->gatt, .link = opt->link, .rollback = opt->rollback,
		.drop_after = opt->drop_after,
	};
	return sim_conn_open(&opt->conn, &cli->opt, out, why, why_cap);
}

/* With --profile: how close the upload came to the best time any client could reach there
 * (not for an upload that resumed: it did not move the whole image). */
static void report_bound(const struct cli *cli, const struct dfu_smp_upload_result *r, json_t *doc)
{
	const struct options *opt = cli->user;
	struct sim_bound bound;
	double efficiency;

	if (!opt->profile || r->resumed_at || r->elapsed_ms == 0) {
		return;
	}
	sim_profile_bound(opt->profile, r->size, &bound);
	efficiency = (double)bound.bound_us / 1000.0 / (double)r->elapsed_ms;
	if (doc) {
		json_object_set_new(doc, "bound_seconds", json_real((double)bound.bound_us / 1e6));
		json_object_set_new(doc, "efficiency", json_real(efficiency));
	} else {
		printf("efficiency %.2f: the best any client could do on %s is %.1f s (link %.1f s, "
		       "flash %.1f s)\n",
		       efficiency, opt->profile->name, (double)bound.bound_us / 1e6,
		       (double)bound.link_us / 1e6, (double)bound.flash_us / 1e6);
	}
}

/* Runs the dfu-smp command line argv[1..argc) (argv[0] is the "--"). @return its status. */
static int run_command(struct options *opt, int argc, char **argv)
{
	struct cli cli = {
		.prog = "dfu-smp-sim", .open = open_device, .simulated = true,
		.upload_report = report_bound, .user = opt,
	};

	cli.opt.verbose = opt->verbose;
	return cli_run(&cli, argc, argv);
}

int main(int argc, char **argv)
{
	struct options opt;
	int status = parse_options(&opt, argc, argv);

	if (status >= 0) {
		return status;
	}
	if (opt.command) {
		return run_command(&opt, argc - opt.command, argv + opt.command);
	}
	return opt.bluez ? serve_bluez(&opt) : serve(&opt);
}
