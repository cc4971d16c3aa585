/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dfu-smp fleet upgrade and fleet run: one command on many devices at once (tools/fleet.h),
 * shown as tools/fleet_view.h says, the upgrade's progress kept in a journal
 * (tools/journal.h).
 *
 * The devices file has one device a line: its connection (as --conn), then optionally a name
 * (anything not starting with '-'; the connection by default), then options of its own, global
 * options such as --mtu 247 or --timeout 20. Blank lines and lines starting with '#' are
 * skipped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fleet.h"
#include "fleet_view.h"
#include "help.h"
#include "journal.h"
#include "package.h"

/* BLE connections at once through one adapter when --ble-max is not given. */
#define BLE_MAX_DEFAULT 4u

/* ---- the devices file ---- */

/* The global options a device's line may give (each takes a value). */
static const char *const device_options[] = {
	"--mtu", "--timeout", "--reboot-timeout", "--tries", "--serial-line-max",
	"--serial-lines", "--smp-version", "--adapter", NULL,
};

struct devices {
	struct fleet_device *list;
	size_t count;
	char **lines; /* the text the devices' strings point into */
	size_t line_count;
};

static void devices_free(struct devices *ds)
{
	for (size_t i = 0; i < ds->count; i++) {
		free(ds->list[i].argv);
		free((char *)ds->list[i].key);
	}
	for (size_t i = 0; i < ds->line_count; i++) {
		free(ds->lines[i]);
	}
	free(ds->list);
	free(ds->lines);
	memset(ds, 0, sizeof(*ds));
}

/* What a device holds alone (its port, its host and port) and its adapter, from its line. */
static int device_resources(struct fleet_device *d)
{
	const char *c = d->conn;
	size_t n = strlen(c);

	if (strncmp(c, "serial:", 7) == 0) {
		n = 7 + strcspn(c + 7, "@?");
	}
	d->key = strndup(c, n);
	if (!d->key) {
		return -ENOMEM;
	}
	if (strncmp(c, "ble:", 4) == 0) {
		d->adapter = "";
		for (int i = 0; i + 1 < d->argc; i++) {
			if (strcmp(d->argv[i], "--adapter") == 0) {
				d->adapter = d->argv[i + 1];
			}
		}
	}
	return 0;
}

/* Splits @p line (changed in place) into words; @return their count, at most @p cap. */
static int split_words(char *line, char **words, int cap)
{
	int n = 0;

	for (char *p = strtok(line, " \t\r\n"); p && n < cap; p = strtok(NULL, " \t\r\n")) {
		words[n++] = p;
	}
	return n;
}

/* One line of the devices file into @p d. @return 0, or an exit status after saying why. */
static int parse_device(struct cli *cli, const char *file, unsigned lineno, char **words, int n,
			struct fleet_device *d)
{
	int first = 1;

	d->conn = words[0];
	if (strncmp(d->conn, "udp:", 4) != 0 && strncmp(d->conn, "serial:", 7) != 0 &&
	    strncmp(d->conn, "ble:", 4) != 0) {
		return cli_usage(cli, "%s:%u: '%s' is no connection: each line starts with one "
				 "(%s)", file, lineno, d->conn, CLI_CONN_KINDS);
	}
	d->name = d->conn;
	if (n > 1 && words[1][0] != '-') {
		d->name = words[1];
		first = 2;
	}
	d->argv = calloc((size_t)n + 1, sizeof(*d->argv));
	if (!d->argv) {
		return cli_fail(cli, "out of memory");
	}
	for (int i = first; i < n; i++) {
		bool known = false;

		for (const char *const *o = device_options; *o; o++) {
			known = known || strcmp(words[i], *o) == 0;
		}
		if (!known || i + 1 >= n) {
			return cli_usage(cli, "%s:%u: '%s' %s: a device's line takes CONN, a NAME, "
					 "and these options with their values: --mtu, --timeout, "
					 "--reboot-timeout, --tries, --serial-line-max, "
					 "--serial-lines, --smp-version, --adapter", file, lineno,
					 words[i], known ? "needs a value" : "is not taken here");
		}
		d->argv[d->argc++] = words[i];
		d->argv[d->argc++] = words[++i];
	}
	return device_resources(d) ? cli_fail(cli, "out of memory") : 0;
}

/* Reads the devices file @p path ("-": stdin). @return 0, or an exit status after saying why. */
static int devices_load(struct cli *cli, const char *path, struct devices *ds)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	const char *file = strcmp(path, "-") == 0 ? "(stdin)" : path;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int status = 0;

	memset(ds, 0, sizeof(*ds));
	if (!in) {
		return cli_usage(cli, "cannot read the devices file %s: %s", path, strerror(errno));
	}
	while (!status && getline(&line, &cap, in) >= 0) {
		char *words[64];
		void *grown;
		int n;

		lineno++;
		n = split_words(line, words, 64);
		if (n == 0 || words[0][0] == '#') {
			continue;
		}
		grown = realloc(ds->list, (ds->count + 1) * sizeof(*ds->list));
		if (!grown) {
			status = cli_fail(cli, "out of memory");
			break;
		}
		ds->list = grown;
		grown = realloc(ds->lines, (ds->line_count + 1) * sizeof(*ds->lines));
		if (!grown) {
			status = cli_fail(cli, "out of memory");
			break;
		}
		ds->lines = grown;
		ds->lines[ds->line_count++] = line; /* the words point into it: kept */
		line = NULL;
		cap = 0;
		memset(&ds->list[ds->count], 0, sizeof(*ds->list));
		status = parse_device(cli, file, lineno, words, n, &ds->list[ds->count]);
		ds->count++;
	}
	free(line);
	if (in != stdin) {
		fclose(in);
	}
	for (size_t i = 0; !status && i < ds->count; i++) {
		for (size_t k = 0; k < i; k++) {
			if (strcmp(ds->list[i].name, ds->list[k].name) == 0) {
				status = cli_usage(cli, "%s: two devices are named '%s': give each "
						   "line a name of its own", file,
						   ds->list[i].name);
				break;
			}
		}
	}
	if (!status && ds->count == 0) {
		status = cli_usage(cli, "%s lists no device (one a line: CONN [NAME] [OPTIONS])",
				   file);
	}
	if (status) {
		devices_free(ds);
	}
	return status;
}

/* ---- what both commands share ---- */

/* The options of a fleet command, before its own. */
struct fleet_args {
	const char *devices;
	unsigned parallel;
	unsigned ble_max;
	const char *journal;
};

/* --devices FILE, --parallel N, --ble-max N, --journal FILE (@p journal: upgrade only). */
static int fleet_option(struct cli *cli, int argc, char **argv, int *i, struct fleet_args *a,
			bool journal, bool *taken)
{
	uint64_t n;

	*taken = true;
	if (strcmp(argv[*i], "--devices") == 0 && *i + 1 < argc) {
		a->devices = argv[++*i];
	} else if (strcmp(argv[*i], "--journal") == 0 && journal && *i + 1 < argc) {
		a->journal = argv[++*i];
	} else if (strcmp(argv[*i], "--parallel") == 0 || strcmp(argv[*i], "--ble-max") == 0) {
		const char *name = argv[*i];

		if (*i + 1 >= argc || args_u64(argv[*i + 1], 100000, &n) != 0 || n < 1) {
			return cli_usage(cli, "%s takes a number from 1 to 100000, got '%s'", name,
					 *i + 1 < argc ? argv[*i + 1] : "");
		}
		*(strcmp(name, "--parallel") == 0 ? &a->parallel : &a->ble_max) = (unsigned)n;
		++*i;
	} else {
		*taken = false;
	}
	return 0;
}

/* The run's global options as words, for every device's command line. @return their count. */
static int global_words(const struct cli *cli, char **words, char bufs[][24])
{
	int n = 0, b = 0;

#define WORD_NUM(flag, fmt, value)                                   \
	do {                                                          \
		words[n++] = flag;                                    \
		snprintf(bufs[b], sizeof(bufs[b]), fmt, value);       \
		words[n++] = bufs[b++];                               \
	} while (0)
	if (cli->opt.mtu) {
		WORD_NUM("--mtu", "%u", (unsigned)cli->opt.mtu);
	}
	if (cli->opt.timeout_ms) {
		WORD_NUM("--timeout", "%.3f", cli->opt.timeout_ms / 1000.0);
	}
	if (cli->reboot_timeout_ms) {
		WORD_NUM("--reboot-timeout", "%u", (unsigned)(cli->reboot_timeout_ms / 1000u));
	}
	if (cli->opt.tries) {
		WORD_NUM("--tries", "%u", (unsigned)cli->opt.tries);
	}
	if (cli->opt.serial_line_max) {
		WORD_NUM("--serial-line-max", "%u", (unsigned)cli->opt.serial_line_max);
	}
	if (cli->opt.serial_lines) {
		WORD_NUM("--serial-lines", "%u", (unsigned)cli->opt.serial_lines);
	}
	if (cli->opt.smp_version) {
		WORD_NUM("--smp-version", "%u", (unsigned)cli->opt.smp_version);
	}
#undef WORD_NUM
	if (cli->opt.adapter) {
		words[n++] = "--adapter";
		words[n++] = (char *)cli->opt.adapter;
	}
	for (int v = 0; v < cli->opt.verbose && v < 2; v++) {
		words[n++] = "-v";
	}
	return n;
}

/* The room global_words() needs. */
#define GLOBAL_WORDS_MAX 20
#define GLOBAL_BUFS_MAX 8

/* A fleet command runs on real devices only; no --conn of its own. */
static int fleet_refusals(struct cli *cli)
{
	const char *env = getenv(CLI_CONN_ENV);

	if (cli->open) {
		return cli_usage(cli, "the fleet commands run on real devices: serve many simulated "
				 "ones with '%s --count N --udp 127.0.0.1:0 --devices-out FILE' "
				 "and give FILE to 'dfu-smp fleet ... --devices FILE'",
				 CLI_SIM_PROGRAM);
	}
	if (cli->conn_spec && !(env && strcmp(env, cli->conn_spec) == 0)) {
		return cli_usage(cli, "--conn is not taken by a fleet command: --devices FILE "
				 "lists the devices");
	}
	return 0;
}

static volatile sig_atomic_t stopped;

static void on_interrupt(int sig)
{
	(void)sig;
	stopped = 1;
}

/* Runs @p f with its view, Ctrl-C stopping it cleanly; @return the exit status. */
static int run_fleet(struct cli *cli, struct fleet *f, struct fleet_view *v)
{
	struct sigaction sa, old;
	unsigned failed = 0, done = 0;
	int err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the program at once */
	stopped = 0;
	sigaction(SIGINT, &sa, &old);
	f->stop = &stopped;
	err = fleet_run(f, NULL);
	sigaction(SIGINT, &old, NULL);
	fleet_view_summary(v, stopped);
	if (err) {
		return cli_fail(cli, "the fleet could not run: %s", strerror(-err));
	}
	for (size_t i = 0; i < f->count; i++) {
		failed += f->devices[i].state == FLEET_FAILED;
		done += f->devices[i].state == FLEET_OK || f->devices[i].state == FLEET_SKIPPED;
	}
	if (stopped) {
		return CLI_EXIT_ABORTED;
	}
	return failed || done < f->count ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- fleet upgrade ---- */

struct upgrade_fleet {
	struct fleet_view view;
	const struct package *files;
	struct journal journal; /* its doc is NULL without --journal */
	enum fleet_state *was; /* what the journal had of each device when the run began */
	uint64_t written_us; /* the journal's last write for progress */
	int argc;            /* the upgrade command line of every device */
	char **argv;
};

/*
 * The journal follows the view: every event is recorded, then shown. A start, a phase change
 * and an end reach the disk (fsync) before they are shown.
 */
static struct upgrade_fleet *recorded(void *user, struct fleet_device *d)
{
	struct upgrade_fleet *u = user;

	if (u->journal.doc) {
		journal_record(&u->journal, d, true);
	}
	return u;
}

static void journal_started(void *user, struct fleet_device *d)
{
	fleet_view_observer.started(&recorded(user, d)->view, d);
}

static void journal_phase(void *user, struct fleet_device *d)
{
	fleet_view_observer.phase(&recorded(user, d)->view, d);
}

static void journal_ended(void *user, struct fleet_device *d)
{
	fleet_view_observer.ended(&recorded(user, d)->view, d);
}

static void journal_progress(void *user, struct fleet_device *d)
{
	struct upgrade_fleet *u = user;
	uint64_t now = fleet_now_us(u->view.fleet);

	/* offsets are for people: the device knows where its upload stands */
	if (u->journal.doc && now - u->written_us >= 1000000u) {
		u->written_us = now;
		journal_record(&u->journal, d, false);
	}
	fleet_view_observer.progress(&u->view, d);
}

static const struct fleet_observer journal_observer = {
	.started = journal_started,
	.phase = journal_phase,
	.progress = journal_progress,
	.ended = journal_ended,
};

/* Whether `image list`'s document @p doc shows every image of @p files running, confirmed. */
static bool runs_package(const json_t *doc, const struct package *files)
{
	json_t *images = json_object_get(doc, "images");

	for (unsigned i = 0; i < files->count; i++) {
		const struct package_image *p = &files->images[i];
		json_t *want = cli_json_hex(p->img.hash, p->img.hash_len);
		bool found = false;
		size_t k;
		json_t *e;

		json_array_foreach(images, k, e) {
			json_t *image = json_object_get(e, "image");
			unsigned number = image ? (unsigned)json_integer_value(image) : 0;

			found = found || (number == p->image &&
					  json_equal(json_object_get(e, "hash"), want) &&
					  json_is_true(json_object_get(e, "active")) &&
					  json_is_true(json_object_get(e, "confirmed")));
		}
		json_decref(want);
		if (!found) {
			return false;
		}
	}
	return files->count > 0;
}

/*
 * A device of the upgrade: one the journal has as done is only checked (one image list); if it
 * runs the package, confirmed, it is skipped, else (and for every other) it is upgraded, from
 * where the device stands.
 */
static void upgrade_job(struct fleet *f, struct fleet_device *d)
{
	struct upgrade_fleet *u = f->user;
	enum fleet_state was = u->was ? u->was[d - f->devices] : FLEET_WAITING;

	if (was == FLEET_OK || was == FLEET_SKIPPED) {
		char *list[] = { "--json", "image", "list" };

		if (fleet_command(f, d, 3, list) == CLI_EXIT_OK && runs_package(d->doc, u->files)) {
			d->state = FLEET_SKIPPED;
			snprintf(d->reason, sizeof(d->reason), "done in an earlier run (journal), "
				 "and it runs the package, confirmed");
			return;
		}
	}
	fleet_command(f, d, u->argc, u->argv);
	fleet_settle(d);
}

/* The SHA-256 of the file @p path, in hex, into @p hex (65 bytes). @return 0 or -errno. */
static int file_sha256(const char *path, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	uint8_t *data;
	size_t size;
	int err = cli_read_file(path, &data, &size);

	if (err) {
		return err;
	}
	if (!EVP_Digest(data, size, md, &len, EVP_sha256(), NULL) || len != 32) {
		free(data);
		return -EIO;
	}
	free(data);
	for (unsigned i = 0; i < 32; i++) {
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	return 0;
}

/* upgrade's own options, passed on to every device; @return true if argv[*i] was one. */
static bool upgrade_flag(int argc, char **argv, int *i, char **words, int *n)
{
	static const char *const flags[] = { "--test-only", "--confirm-now", "--no-reset",
					     "--only-newer", "--allow-downgrade",
					     "--via-recovery", NULL };

	for (const char *const *f = flags; *f; f++) {
		if (strcmp(argv[*i], *f) == 0) {
			words[(*n)++] = argv[*i];
			return true;
		}
	}
	if (strcmp(argv[*i], "--key") == 0 && *i + 1 < argc) {
		words[(*n)++] = argv[(*i)++];
		words[(*n)++] = argv[*i];
		return true;
	}
	return false;
}

static int cmd_fleet_upgrade(struct cli *cli, int argc, char **argv)
{
	struct fleet_args a = { 0 };
	struct upgrade_fleet u;
	struct devices ds = { 0 };
	struct package *files = calloc(1, sizeof(*files));
	struct fleet f;
	char **words = calloc((size_t)argc + GLOBAL_WORDS_MAX + 4, sizeof(*words));
	char bufs[GLOBAL_BUFS_MAX][24];
	const char *path = NULL, *key = NULL;
	char sha[65], why[600];
	int status = fleet_refusals(cli), n;

	memset(&u, 0, sizeof(u));
	memset(&f, 0, sizeof(f));
	if (!status && (!files || !words)) {
		status = cli_fail(cli, "out of memory");
	}
	if (status) {
		free(files);
		free(words);
		return status;
	}
	n = global_words(cli, words, bufs);
	words[n++] = "--json";
	words[n++] = "upgrade";
	words[n++] = NULL; /* the package's path, below */
	for (int i = 0; !status && i < argc; i++) {
		bool taken;

		status = fleet_option(cli, argc, argv, &i, &a, true, &taken);
		if (status || taken) {
			continue;
		}
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			key = argv[i + 1];
		}
		if (upgrade_flag(argc, argv, &i, words, &n)) {
			continue;
		}
		if (!path && argv[i][0] != '-') {
			path = argv[i];
		} else {
			status = cli_usage(cli, "unexpected '%s'", argv[i]);
		}
	}
	if (!status && !path) {
		status = cli_usage(cli, "give the PACKAGE (or image) FILE to install");
	}
	if (!status && !a.devices) {
		status = cli_usage(cli, "give the devices: --devices FILE (one a line: CONN [NAME] "
				   "[OPTIONS]; - for stdin)");
	}
	for (int i = 0; !status && i < n; i++) {
		if (!words[i]) {
			words[i] = (char *)path;
		}
	}
	if (!status) {
		status = devices_load(cli, a.devices, &ds);
	}
	/* the package is read and checked once, before anything is sent to any device */
	if (!status) {
		status = package_read(cli, path, key, files);
	}
	if (!status && a.journal) {
		int err = file_sha256(path, sha) ? -EIO
			  : journal_open(&u.journal, a.journal, path, sha, why, sizeof(why));

		if (err == -EINVAL) {
			status = cli_usage(cli, "%s", why);
		} else if (err) {
			status = cli_fail(cli, "cannot use the journal %s: %s", a.journal,
					  strerror(-err));
		}
	}
	if (u.journal.doc) {
		u.was = calloc(ds.count, sizeof(*u.was));
		for (size_t i = 0; u.was && i < ds.count; i++) {
			u.was[i] = journal_state(&u.journal, ds.list[i].name, ds.list[i].conn);
		}
	}
	if (!status) {
		f.prog = cli->prog;
		f.devices = ds.list;
		f.count = ds.count;
		f.parallel = a.parallel;
		f.adapter_max = a.ble_max ? a.ble_max : BLE_MAX_DEFAULT;
		f.files = files;
		f.job = upgrade_job;
		u.files = files;
		u.argc = n;
		u.argv = words;
		fleet_view_init(&u.view, &f, cli->json, cli->quiet, cli->opt.verbose > 0, false);
		f.observer = &journal_observer;
		f.user = &u;
		status = run_fleet(cli, &f, &u.view);
		fleet_free(&f);
	}
	journal_close(&u.journal);
	free(u.was);
	devices_free(&ds);
	package_free(files);
	free(files);
	free(words);
	return status;
}

/* ---- fleet run ---- */

static int cmd_fleet_run(struct cli *cli, int argc, char **argv)
{
	struct fleet_args a = { 0 };
	struct fleet_view view;
	struct devices ds = { 0 };
	struct fleet f;
	char **words = calloc((size_t)argc + GLOBAL_WORDS_MAX + 2, sizeof(*words));
	char bufs[GLOBAL_BUFS_MAX][24];
	int status = fleet_refusals(cli), n, i;

	memset(&f, 0, sizeof(f));
	if (!status && !words) {
		status = cli_fail(cli, "out of memory");
	}
	for (i = 0; !status && i < argc && argv[i][0] == '-'; i++) {
		bool taken;

		status = fleet_option(cli, argc, argv, &i, &a, false, &taken);
		if (!status && !taken) {
			status = cli_usage(cli, "unexpected '%s' (fleet run takes --devices FILE, "
					   "--parallel N and --ble-max N, then -- and the command)",
					   argv[i]);
		}
	}
	if (!status && !a.devices) {
		status = cli_usage(cli, "give the devices: --devices FILE (one a line: CONN [NAME] "
				   "[OPTIONS]; - for stdin)");
	}
	if (!status && i >= argc) {
		status = cli_usage(cli, "give the COMMAND to run on every device, after '--' (e.g. "
				   "fleet run --devices FILE -- image list)");
	}
	if (!status && strcmp(argv[i], "fleet") == 0) {
		status = cli_usage(cli, "a fleet command runs single-device commands, not another "
				   "fleet command");
	}
	if (!status) {
		status = devices_load(cli, a.devices, &ds);
	}
	if (!status) {
		n = global_words(cli, words, bufs);
		if (cli->json) {
			words[n++] = "--json";
		}
		for (; i < argc; i++) {
			words[n++] = argv[i];
		}
		f.prog = cli->prog;
		f.devices = ds.list;
		f.count = ds.count;
		f.parallel = a.parallel;
		f.adapter_max = a.ble_max ? a.ble_max : BLE_MAX_DEFAULT;
		f.argc = n;
		f.argv = words;
		fleet_view_init(&view, &f, cli->json, cli->quiet, cli->opt.verbose > 0, true);
		status = run_fleet(cli, &f, &view);
		fleet_free(&f);
	}
	devices_free(&ds);
	free(words);
	return status;
}

#define DEVICES_PARAM                                                                          \
	{ "--devices", "FILE", "the devices, one a line: CONN [NAME] [OPTIONS], the connection as " \
	  "--conn takes it, a name (the connection by default), options of its own (--mtu, "      \
	  "--timeout, --reboot-timeout, --tries, --serial-line-max, --serial-lines, "            \
	  "--smp-version, --adapter); '#' starts a comment; - reads stdin", true }
#define PARALLEL_PARAM                                                                          \
	{ "--parallel", "N", "at most N devices at once (default: all, one at a time per serial " \
	  "port and per UDP host and port, --ble-max per Bluetooth adapter)", false }
#define BLE_MAX_PARAM                                                                           \
	{ "--ble-max", "N", "at most N BLE devices at once through one adapter (default 4)", false }

static const struct cli_arg fleet_upgrade_params[] = {
	{ "PACKAGE", NULL, "the package (dfu_application.zip) or the image to install on every "
	  "device, checked once before anything is sent", true },
	DEVICES_PARAM,
	PARALLEL_PARAM,
	BLE_MAX_PARAM,
	{ "--journal", "FILE", "record each device's progress in FILE; run the same command "
	  "again after an interruption and the devices done are checked and skipped, the others "
	  "resume where they stand", true },
	{ "--key", "PEM", "as upgrade's", true },
	{ "--test-only", NULL, "as upgrade's", false },
	{ "--confirm-now", NULL, "as upgrade's", false },
	{ "--no-reset", NULL, "as upgrade's", false },
	{ "--only-newer", NULL, "as upgrade's", false },
	{ "--allow-downgrade", NULL, "as upgrade's", false },
	{ "--via-recovery", NULL, "as upgrade's", false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_arg fleet_run_params[] = {
	DEVICES_PARAM,
	PARALLEL_PARAM,
	BLE_MAX_PARAM,
	{ "COMMAND", NULL, "after '--': the command and its arguments, run on every device", false },
	{ NULL, NULL, NULL, false },
};

const struct cli_command cli_fleet_commands[] = {
	{ "fleet", "upgrade",
	  "PACKAGE --devices FILE [--parallel N] [--ble-max N] [--journal FILE] [--key PEM] "
	  "[--test-only|--confirm-now] [--no-reset] [--only-newer] [--allow-downgrade] "
	  "[--via-recovery]",
	  "upgrade many devices at once", cmd_fleet_upgrade, false, fleet_upgrade_params,
	  "Every device runs the upgrade command, all in one process and one event loop; a "
	  "device that fails never stops the others. On a terminal each running device has a "
	  "line (phase, progress, rate); at the end a summary: ok, failed with the reason, "
	  "skipped as up to date. --json prints JSON Lines: an event per phase change, a result "
	  "per device, a summary. Exit status 0 when every device is ok or skipped, 1 when some "
	  "failed." },
	{ "fleet", "run", "--devices FILE [--parallel N] [--ble-max N] -- COMMAND [ARGS...]",
	  "run one command on many devices at once", cmd_fleet_run, false, fleet_run_params,
	  "Each device's output is printed when it is done, each line after the device's name; "
	  "with --json, JSON Lines: a result per device holding its command's document, then a "
	  "summary." },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL, NULL },
};
