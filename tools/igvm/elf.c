/* ELF64 reader; see elf.h.  Checks every offset before use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "husk/err.h"

static int read_all(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return HUSK_ERR_IO;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return HUSK_ERR_IO;
	}
	*data = malloc((size_t)len + 1);
	if (!*data || fread(*data, 1, (size_t)len, f) != (size_t)len) {
		free(*data);
		fclose(f);
		return HUSK_ERR_IO;
	}
	fclose(f);
	*size = (size_t)len;
	return HUSK_OK;
}

static int range_ok(const struct elf_file *ef, uint64_t off, uint64_t len)
{
	return off <= ef->size && len <= ef->size - off;
}

int elf_open(const char *path, struct elf_file *ef)
{
	const Elf64_Shdr *ss;
	int err;

	memset(ef, 0, sizeof(*ef));
	err = read_all(path, &ef->data, &ef->size);
	if (err)
		return err;
	ef->eh = (const Elf64_Ehdr *)ef->data;
	if (ef->size < sizeof(Elf64_Ehdr) || memcmp(ef->eh->e_ident, ELFMAG, SELFMAG) ||
	    ef->eh->e_ident[EI_CLASS] != ELFCLASS64 || ef->eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    ef->eh->e_machine != EM_X86_64 || ef->eh->e_type != ET_EXEC ||
	    ef->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !range_ok(ef, ef->eh->e_shoff, (uint64_t)ef->eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    ef->eh->e_shstrndx >= ef->eh->e_shnum || (ef->eh->e_shoff & 7)) {
		fprintf(stderr, "%s: not an x86-64 ELF executable with sane section headers\n", path);
		elf_close(ef);
		return HUSK_ERR_FORMAT;
	}
	ef->sh = (const Elf64_Shdr *)(ef->data + ef->eh->e_shoff);
	for (unsigned i = 0; i < ef->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &ef->sh[i];

		if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL && !range_ok(ef, s->sh_offset, s->sh_size)) {
			fprintf(stderr, "%s: section %u outside the file\n", path, i);
			elf_close(ef);
			return HUSK_ERR_FORMAT;
		}
	}
	ss = &ef->sh[ef->eh->e_shstrndx];
	ef->shstr = (const char *)ef->data + ss->sh_offset;
	ef->shstr_size = ss->sh_size;
	if (ef->shstr_size == 0 || ef->shstr[ef->shstr_size - 1] != 0) {
		fprintf(stderr, "%s: bad section name table\n", path);
		elf_close(ef);
		return HUSK_ERR_FORMAT;
	}
	return HUSK_OK;
}

void elf_close(struct elf_file *ef)
{
	free(ef->data);
	memset(ef, 0, sizeof(*ef));
}

const char *elf_section_name(const struct elf_file *ef, const Elf64_Shdr *s)
{
	return s->sh_name < ef->shstr_size ? ef->shstr + s->sh_name : "";
}

const Elf64_Shdr *elf_find_section(const struct elf_file *ef, const char *name)
{
	for (unsigned i = 0; i < ef->eh->e_shnum; i++)
		if (strcmp(elf_section_name(ef, &ef->sh[i]), name) == 0)
			return &ef->sh[i];
	return NULL;
}

const uint8_t *elf_section_data(const struct elf_file *ef, const Elf64_Shdr *s)
{
	return s->sh_type == SHT_NOBITS ? NULL : ef->data + s->sh_offset;
}

int elf_find_symbol(const struct elf_file *ef, const char *name, uint64_t *value)
{
	for (unsigned i = 0; i < ef->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &ef->sh[i], *strs;
		const Elf64_Sym *syms;
		const char *names;

		if (s->sh_type != SHT_SYMTAB || s->sh_link >= ef->eh->e_shnum ||
		    s->sh_entsize != sizeof(Elf64_Sym))
			continue;
		strs = &ef->sh[s->sh_link];
		syms = (const Elf64_Sym *)(ef->data + s->sh_offset);
		names = (const char *)ef->data + strs->sh_offset;
		for (size_t j = 0; j < s->sh_size / sizeof(Elf64_Sym); j++) {
			if (syms[j].st_name >= strs->sh_size)
				continue;
			if (strncmp(names + syms[j].st_name, name, strs->sh_size - syms[j].st_name) == 0) {
				*value = syms[j].st_value;
				return HUSK_OK;
			}
		}
	}
	return HUSK_ERR_NOTFOUND;
}
