/* SPDX-License-Identifier: Apache-2.0 */
#include "flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct sim_flash_timing SIM_FLASH_NRF52840 = {
	.name = "nrf52840", .page_size = 4096, .write_block = 4, .erase_page_us = 85000,
	.write_block_us = 41, .erase_needed = true,
};

const struct sim_flash_timing SIM_FLASH_NRF5340 = {
	.name = "nrf5340", .page_size = 4096, .write_block = 4, .erase_page_us = 87500,
	.write_block_us = 43, .erase_needed = true,
};

const struct sim_flash_timing SIM_FLASH_NRF52840_PRE_ERASED = {
	.name = "nrf52840-pre-erased", .page_size = 4096, .write_block = 4, .erase_page_us = 85000,
	.write_block_us = 41, .erase_needed = true, .skip_blank = true,
};

const struct sim_flash_timing SIM_FLASH_NRF54 = {
	.name = "nrf54", .page_size = 4096, .write_block = 16, .erase_page_us = 0,
	.write_block_us = 8, .erase_needed = false,
};

/* Writes the changed range back to the host file. */
static int persist(struct sim_flash *flash, size_t off, size_t len)
{
	const uint8_t *p = flash->mem + off;

	if (flash->fd < 0) {
		return 0;
	}
	while (len > 0) {
		ssize_t n = pwrite(flash->fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -EIO;
		}
		p += n;
		off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int load(struct sim_flash *flash, const char *path, bool *fresh)
{
	struct stat st;
	size_t done = 0;

	flash->fd = open(path, O_RDWR | O_CREAT, 0644);
	if (flash->fd < 0) {
		return -errno;
	}
	if (fstat(flash->fd, &st) != 0) {
		return -errno;
	}
	if ((size_t)st.st_size != flash->size) {
		/* new, or made for another layout: start erased */
		*fresh = true;
		if (ftruncate(flash->fd, 0) != 0) {
			return -errno;
		}
		return persist(flash, 0, flash->size);
	}
	while (done < flash->size) {
		ssize_t n = pread(flash->fd, flash->mem + done, flash->size - done, (off_t)done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return -EIO;
		}
		done += (size_t)n;
	}
	*fresh = false;
	return 0;
}

int sim_flash_open(struct sim_flash *flash, size_t size, const struct sim_flash_timing *timing,
		   const char *path, bool *fresh)
{
	int err = 0;

	memset(flash, 0, sizeof(*flash));
	flash->fd = -1;
	flash->cut_at = UINT64_MAX;
	flash->timing = *timing;
	if (size == 0 || size % timing->page_size != 0) {
		return -EINVAL;
	}
	flash->mem = malloc(size);
	if (!flash->mem) {
		return -ENOMEM;
	}
	flash->size = size;
	memset(flash->mem, SIM_FLASH_ERASED, size);
	*fresh = true;
	if (path) {
		err = load(flash, path, fresh);
	}
	if (err) {
		sim_flash_close(flash);
	}
	return err;
}

void sim_flash_close(struct sim_flash *flash)
{
	if (flash->fd >= 0) {
		close(flash->fd);
	}
	free(flash->mem);
	flash->mem = NULL;
	flash->fd = -1;
}

const uint8_t *sim_flash_data(const struct sim_flash *flash)
{
	return flash->mem;
}

static const char *const phase_names[SIM_FLASH_PHASE_COUNT] = {
	"any", "upload", "mark", "confirm", "boot", "erase",
};

const char *sim_flash_phase_name(enum sim_flash_phase phase)
{
	return (unsigned)phase < SIM_FLASH_PHASE_COUNT ? phase_names[phase] : NULL;
}

enum sim_flash_phase sim_flash_set_phase(struct sim_flash *flash, enum sim_flash_phase phase)
{
	enum sim_flash_phase before = flash->phase;

	flash->phase = phase;
	return before;
}

uint64_t sim_flash_units(const struct sim_flash *flash, enum sim_flash_phase phase)
{
	return (unsigned)phase < SIM_FLASH_PHASE_COUNT ? flash->units[phase] : 0;
}

void sim_flash_arm_cut(struct sim_flash *flash, enum sim_flash_phase phase, uint64_t units,
		       sim_flash_cut_fn cut, void *user)
{
	flash->cut_phase = phase;
	flash->cut_at = flash->units[phase] + units;
	flash->cut = cut;
	flash->cut_user = user;
}

/* How many of the next @p want units the power lasts for. */
static uint64_t budget(const struct sim_flash *flash, uint64_t want)
{
	uint64_t left;

	if (flash->cut_at == UINT64_MAX ||
	    (flash->cut_phase != SIM_FLASH_PHASE_ANY && flash->cut_phase != flash->phase)) {
		return want;
	}
	left = flash->cut_at - flash->units[flash->cut_phase];
	return left < want ? left : want;
}

/* Counts @p n units done; if they were all the power had, it goes now. @return 0 or -EIO. */
static int spend(struct sim_flash *flash, uint64_t n, uint64_t want)
{
	flash->units[SIM_FLASH_PHASE_ANY] += n;
	if (flash->phase != SIM_FLASH_PHASE_ANY) {
		flash->units[flash->phase] += n;
	}
	if (n == want) {
		return 0;
	}
	flash->off = true;
	flash->cut_at = UINT64_MAX;
	if (flash->cut) {
		flash->cut(flash, flash->cut_user);
	}
	return -EIO;
}

int64_t sim_flash_erase(struct sim_flash *flash, size_t off, size_t len)
{
	size_t page = flash->timing.page_size;
	size_t first, end, pages;
	uint64_t want, done;
	int err;

	if (off > flash->size || len > flash->size - off) {
		return -EINVAL;
	}
	if (len == 0) {
		return 0;
	}
	if (flash->off) {
		return -EIO;
	}
	first = off / page * page;
	end = (off + len + page - 1) / page * page;
	want = (end - first) / page;
	done = budget(flash, want);
	end = first + (size_t)done * page; /* the pages erased before a cut */
	pages = 0;
	for (size_t p = first; p < end; p += page) {
		bool blank = true;

		for (size_t i = 0; i < page && blank && flash->timing.skip_blank; i++) {
			blank = flash->mem[p + i] == SIM_FLASH_ERASED;
		}
		if (!flash->timing.skip_blank || !blank) {
			pages++;
		}
	}
	memset(flash->mem + first, SIM_FLASH_ERASED, end - first);
	err = persist(flash, first, end - first);
	if (!err) {
		err = spend(flash, done, want);
	}
	if (err) {
		return err;
	}
	if (!flash->timing.erase_needed) {
		return 0; /* nothing to erase on such a part: the write replaces */
	}
	return (int64_t)pages * flash->timing.erase_page_us;
}

int64_t sim_flash_write(struct sim_flash *flash, size_t off, const uint8_t *data, size_t len)
{
	size_t block = flash->timing.write_block;
	size_t blocks, done;
	int err;

	if (off > flash->size || len > flash->size - off) {
		return -EINVAL;
	}
	if (len == 0) {
		return 0;
	}
	if (flash->off) {
		return -EIO;
	}
	blocks = (off % block + len + block - 1) / block;
	done = (size_t)budget(flash, blocks);
	if (done < blocks) {
		/* the blocks written before a cut */
		len = done ? off / block * block + done * block - off : 0;
	}
	for (size_t i = 0; i < len; i++) {
		flash->mem[off + i] = flash->timing.erase_needed ? flash->mem[off + i] & data[i]
								 : data[i];
	}
	err = persist(flash, off, len);
	if (!err) {
		err = spend(flash, done, blocks);
	}
	if (err) {
		return err;
	}
	return (int64_t)blocks * flash->timing.write_block_us;
}
