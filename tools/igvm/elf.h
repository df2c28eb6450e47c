/* Minimal, validating ELF64 reader for the builder (husk's own kernel ELF). */
#ifndef HUSK_TOOLS_IGVM_ELF_H
#define HUSK_TOOLS_IGVM_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file {
	uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shstr;
	size_t shstr_size;
};

int elf_open(const char *path, struct elf_file *ef);
void elf_close(struct elf_file *ef);
const char *elf_section_name(const struct elf_file *ef, const Elf64_Shdr *s);
const Elf64_Shdr *elf_find_section(const struct elf_file *ef, const char *name);
/* Contents of a PROGBITS section (bounds-checked at open). */
const uint8_t *elf_section_data(const struct elf_file *ef, const Elf64_Shdr *s);
int elf_find_symbol(const struct elf_file *ef, const char *name, uint64_t *value);

#endif
