/* husk-tpm-sim's NV state file (format and atomic replacement; see
 * statefile.h).  Layout, big-endian:
 *   0  "HUSKTPMS"          magic
 *   8  be32 version (1)
 *  12  char backend[16]    NUL-padded backend name
 *  28  be32 blob length
 *  32  be32 CRC-32 (IEEE) of the blob
 *  36  blob */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "husk/err.h"

#include "statefile.h"
#include "wire.h"

#define SF_MAGIC "HUSKTPMS"
#define SF_VERSION 1u
#define SF_NAME_LEN 16u
#define SF_HEADER_SIZE 36u

static uint32_t sf_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static int sf_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory holding path, so the rename itself is durable. */
static void sf_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir))
			return;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int statefile_write(const char *path, const char *backend, const uint8_t *blob, size_t len)
{
	uint8_t hdr[SF_HEADER_SIZE];
	char tmp[PATH_MAX];
	int fd;

	if (len > STATEFILE_BLOB_MAX || strlen(backend) >= SF_NAME_LEN)
		return HUSK_ERR_INVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return HUSK_ERR_INVAL;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, SF_MAGIC, 8);
	wire_put_be32(hdr + 8, SF_VERSION);
	memcpy(hdr + 12, backend, strlen(backend));
	wire_put_be32(hdr + 28, (uint32_t)len);
	wire_put_be32(hdr + 32, sf_crc32(blob, len));

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "husk-tpm-sim: cannot create %s: %s\n", tmp, strerror(errno));
		return HUSK_ERR_IO;
	}
	if (sf_write_all(fd, hdr, sizeof(hdr)) != 0 || sf_write_all(fd, blob, len) != 0 ||
	    fsync(fd) != 0) {
		fprintf(stderr, "husk-tpm-sim: cannot write %s: %s\n", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return HUSK_ERR_IO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "husk-tpm-sim: cannot replace %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return HUSK_ERR_IO;
	}
	sf_sync_dir(path);
	return 0;
}

static int sf_read_all(int fd, uint8_t *p, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, p + *got, len - *got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

int statefile_read(const char *path, const char *backend, uint8_t **blob, size_t *len)
{
	uint8_t hdr[SF_HEADER_SIZE];
	char name[SF_NAME_LEN + 1];
	uint8_t extra;
	uint8_t *data = NULL;
	size_t got;
	uint32_t n;
	int fd, rc = HUSK_ERR_FORMAT;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return HUSK_ERR_NOTFOUND;
		fprintf(stderr, "husk-tpm-sim: cannot open %s: %s\n", path, strerror(errno));
		return HUSK_ERR_IO;
	}
	if (sf_read_all(fd, hdr, sizeof(hdr), &got) != 0)
		goto io_error;
	if (got < sizeof(hdr) || memcmp(hdr, SF_MAGIC, 8) != 0) {
		fprintf(stderr, "husk-tpm-sim: %s is not a husk-tpm-sim state file\n", path);
		goto out;
	}
	if (wire_get_be32(hdr + 8) != SF_VERSION) {
		fprintf(stderr, "husk-tpm-sim: %s: unknown state file version %u\n", path,
			wire_get_be32(hdr + 8));
		goto out;
	}
	memcpy(name, hdr + 12, SF_NAME_LEN);
	name[SF_NAME_LEN] = '\0';
	if (strcmp(name, backend) != 0) {
		fprintf(stderr, "husk-tpm-sim: %s holds state of backend '%s', not '%s'\n", path,
			name, backend);
		goto out;
	}
	n = wire_get_be32(hdr + 28);
	if (n == 0 || n > STATEFILE_BLOB_MAX) {
		fprintf(stderr, "husk-tpm-sim: %s: bad blob length %u\n", path, n);
		goto out;
	}
	data = malloc(n);
	if (!data) {
		rc = HUSK_ERR_NOMEM;
		goto out;
	}
	if (sf_read_all(fd, data, n, &got) != 0)
		goto io_error;
	if (got != n) {
		fprintf(stderr, "husk-tpm-sim: %s is truncated (%zu of %u bytes)\n", path, got, n);
		goto out;
	}
	if (sf_read_all(fd, &extra, 1, &got) != 0)
		goto io_error;
	if (got != 0) {
		fprintf(stderr, "husk-tpm-sim: %s has trailing bytes\n", path);
		goto out;
	}
	if (sf_crc32(data, n) != wire_get_be32(hdr + 32)) {
		fprintf(stderr, "husk-tpm-sim: %s is corrupted (CRC mismatch)\n", path);
		goto out;
	}
	close(fd);
	*blob = data;
	*len = n;
	return 0;

io_error:
	fprintf(stderr, "husk-tpm-sim: cannot read %s: %s\n", path, strerror(errno));
	rc = HUSK_ERR_IO;
out:
	free(data);
	close(fd);
	return rc;
}
