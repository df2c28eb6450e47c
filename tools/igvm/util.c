/* Helpers shared by husk-igvm's commands; see util.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "util.h"

int util_read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;

	*data = NULL;
	*size = 0;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return HUSK_ERR_IO;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 1 << 16;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				fclose(f);
				fprintf(stderr, "%s: out of memory\n", path);
				return HUSK_ERR_NOMEM;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		fclose(f);
		return HUSK_ERR_IO;
	}
	fclose(f);
	*data = buf;
	*size = len;
	return HUSK_OK;
}

int util_write_file(const char *path, const void *data, size_t size)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f;

	if (!tmp)
		return HUSK_ERR_NOMEM;
	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		remove(tmp);
		free(tmp);
		return HUSK_ERR_IO;
	}
	free(tmp);
	return HUSK_OK;
}

int util_open_igvm(const char *path, uint8_t **data, size_t *size, struct igvm_reader *r)
{
	struct igvm_error err;
	int rc = util_read_file(path, data, size);

	if (rc)
		return rc;
	rc = igvm_reader_init(r, *data, *size, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, err.message);
		free(*data);
		*data = NULL;
	}
	return rc;
}

int util_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return HUSK_ERR_INVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return (errno || *end) ? HUSK_ERR_INVAL : HUSK_OK;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int util_parse_hex(const char *s, uint8_t *out, size_t len)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 2 * len)
		return HUSK_ERR_INVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return HUSK_ERR_INVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return HUSK_OK;
}

char *util_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}
