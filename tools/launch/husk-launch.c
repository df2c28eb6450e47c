/* husk-launch: boots an IGVM file under QEMU by acting as its IGVM loader.
 *
 * Debian's QEMU 7.2 cannot load IGVM files, so this tool does what a loader
 * does for the NATIVE platform: it validates the file (lib/igvm), processes
 * its directives in order (page data, parameter areas filled with the vCPU
 * count, memory map and command line, parameter inserts, required memory),
 * and hands the result to QEMU: pages in the top 64 KiB below 4 GiB become the
 * firmware image (-bios; the CPU starts at its reset vector as it would on an
 * IGVM-capable VMM), every other run of pages a raw generic-loader blob.
 * Nothing is loaded that is not in the file.
 *
 * Exit status: 0 husk reported success, 1 husk reported failure, 2 QEMU
 * stopped without husk reporting (triple fault, hang-up), 3 QEMU or launcher
 * error, 124 timeout. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "husk/bootinfo.h"
#include "husk/err.h"
#include "igvm/igvm_reader.h"

#define FW_WINDOW   0x10000ull /* -bios image: the top 64 KiB below 4 GiB */
#define FW_BASE     (0x100000000ull - FW_WINDOW)
#define MAX_AREAS   IGVM_MAX_PARAMETER_AREAS
#define MAX_MEMMAP  32
#define MAX_QEMU_ARGS 64

/* husk's state disk (--disk): a legacy virtio-blk device (the transport
 * kernel/platform/virtio_blk.c drives) at a fixed slot on bus 0, named to
 * husk by the command-line option below; the serial number is what husk
 * looks for when no slot is given (docs/storage-device.md). */
#define DISK_SLOT    "0x5"
#define DISK_CMDLINE "disk=pci:00:05.0"
#define DISK_SERIAL  "husk-state"

struct page {
	uint64_t gpa;
	const uint8_t *data; /* NULL: zeros */
};

struct opts {
	unsigned smp;
	uint64_t mem_mib;
	const char *cpu, *machine, *cmdline, *qemu, *keep_dir, *serial2, *kbs_socket, *disk;
	unsigned timeout;
	bool dry_run;
	long vp_count_override;
	const char *memmap_spec;
	const char *extra[MAX_QEMU_ARGS];
	unsigned nextra;
};

struct loader {
	const struct opts *o;
	struct igvm_reader r;
	uint32_t mask;
	uint8_t *area[MAX_AREAS];
	uint64_t area_size[MAX_AREAS];
	struct page *pages;
	size_t npages, cap;
	struct husk_memmap_entry ram[MAX_MEMMAP];    /* what QEMU really has */
	unsigned nram;
	struct husk_memmap_entry memmap[MAX_MEMMAP]; /* what the loader tells husk */
	unsigned nmemmap;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("husk-launch: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(3);
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die("%s: cannot size", path);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("%s: read failed", path);
	fclose(f);
	*size = (size_t)len;
	return buf;
}

/* RAM as QEMU's q35 lays it out: below 4 GiB up to the PCI hole, the rest
 * above 4 GiB; the legacy VGA/BIOS hole below 1 MiB is not RAM. */
static void default_memmap(struct loader *ld)
{
	uint64_t mem = ld->o->mem_mib << 20;
	uint64_t low = mem >= 0xb0000000ull ? 0x80000000ull : mem;

	ld->ram[0] = (struct husk_memmap_entry){ 0, 0xa0, HUSK_MEMMAP_MEMORY, 0, 0 };
	ld->ram[1] = (struct husk_memmap_entry){ 0x100, (low >> 12) - 0x100, HUSK_MEMMAP_MEMORY, 0, 0 };
	ld->nram = 2;
	if (mem > low)
		ld->ram[ld->nram++] = (struct husk_memmap_entry){ 0x100000, (mem - low) >> 12,
								  HUSK_MEMMAP_MEMORY, 0, 0 };
	memcpy(ld->memmap, ld->ram, sizeof(ld->ram));
	ld->nmemmap = ld->nram;
}

/* --memmap START:SIZE:TYPE[,...] (hex bytes; type number) replaces the map
 * the loader writes, to test how husk treats a lying VMM. */
static void parse_memmap(struct loader *ld, const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *tok;

	ld->nmemmap = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long start, size;
		unsigned type;

		if (ld->nmemmap == MAX_MEMMAP || sscanf(tok, "%llx:%llx:%u", &start, &size, &type) != 3)
			die("bad --memmap entry '%s' (want HEXSTART:HEXSIZE:TYPE)", tok);
		ld->memmap[ld->nmemmap++] = (struct husk_memmap_entry){ start >> 12, size >> 12,
									(uint16_t)type, 0, 0 };
	}
	free(copy);
}

/* Whether QEMU's RAM (not the map husk is told about) covers the range. */
static bool is_ram(const struct loader *ld, uint64_t gpa, uint64_t size)
{
	for (unsigned i = 0; i < ld->nram; i++) {
		uint64_t s = ld->ram[i].start_page << 12, e = s + (ld->ram[i].page_count << 12);

		if (gpa >= s && gpa + size <= e)
			return true;
	}
	return false;
}

static void add_page(struct loader *ld, uint64_t gpa, const uint8_t *data)
{
	if (ld->npages == ld->cap) {
		ld->cap = ld->cap ? ld->cap * 2 : 1024;
		ld->pages = realloc(ld->pages, ld->cap * sizeof(*ld->pages));
		if (!ld->pages)
			die("out of memory");
	}
	ld->pages[ld->npages++] = (struct page){ gpa, data };
}

static uint8_t *param_slot(struct loader *ld, const struct igvm_header *h, size_t len)
{
	struct igvm_vhs_parameter p;

	if (igvm_header_parameter(h, &p) || p.parameter_area_index >= MAX_AREAS ||
	    !ld->area[p.parameter_area_index])
		die("header #%u: parameter for an undeclared area", h->index);
	if (p.byte_offset > ld->area_size[p.parameter_area_index] ||
	    len > ld->area_size[p.parameter_area_index] - p.byte_offset)
		die("header #%u: parameter does not fit its area", h->index);
	return ld->area[p.parameter_area_index] + p.byte_offset;
}

static void directive(struct loader *ld, const struct igvm_header *h)
{
	switch (h->type) {
	case IGVM_VHT_PARAMETER_AREA: {
		struct igvm_vhs_parameter_area a;
		const uint8_t *data;
		size_t len;

		igvm_header_parameter_area(h, &a);
		if (a.parameter_area_index >= MAX_AREAS || a.number_of_bytes > (64u << 20))
			die("header #%u: parameter area %u too big", h->index, a.parameter_area_index);
		ld->area[a.parameter_area_index] = calloc(1, a.number_of_bytes);
		ld->area_size[a.parameter_area_index] = a.number_of_bytes;
		if (!ld->area[a.parameter_area_index])
			die("out of memory");
		if (igvm_reader_file_data(&ld->r, h, &data, &len) == 0 && data)
			memcpy(ld->area[a.parameter_area_index], data, len);
		break;
	}
	case IGVM_VHT_VP_COUNT_PARAMETER: {
		uint32_t n = ld->o->vp_count_override >= 0 ? (uint32_t)ld->o->vp_count_override : ld->o->smp;

		memcpy(param_slot(ld, h, 4), &n, 4);
		break;
	}
	case IGVM_VHT_ENVIRONMENT_INFO_PARAMETER: {
		uint32_t env = 1; /* memory_is_shared, as QEMU writes it */

		memcpy(param_slot(ld, h, 4), &env, 4);
		break;
	}
	case IGVM_VHT_COMMAND_LINE: {
		size_t len = strlen(ld->o->cmdline) + 1;

		memcpy(param_slot(ld, h, len), ld->o->cmdline, len);
		break;
	}
	case IGVM_VHT_MEMORY_MAP: {
		size_t len = ld->nmemmap * sizeof(struct husk_memmap_entry);
		struct igvm_vhs_parameter p;
		uint8_t *slot = param_slot(ld, h, len);

		igvm_header_parameter(h, &p);
		memcpy(slot, ld->memmap, len);
		/* The loader's terminator, where there is room. */
		if (ld->area_size[p.parameter_area_index] - p.byte_offset >= len + sizeof(struct husk_memmap_entry))
			memset(slot + len, 0, sizeof(struct husk_memmap_entry));
		break;
	}
	case IGVM_VHT_PARAMETER_INSERT: {
		struct igvm_vhs_parameter_insert ins;

		igvm_header_parameter_insert(h, &ins);
		if (!(ins.compatibility_mask & ld->mask))
			break;
		if (ins.parameter_area_index >= MAX_AREAS || !ld->area[ins.parameter_area_index])
			die("header #%u: insert of an undeclared area", h->index);
		for (uint64_t off = 0; off < ld->area_size[ins.parameter_area_index]; off += 4096)
			add_page(ld, ins.gpa + off, ld->area[ins.parameter_area_index] + off);
		break;
	}
	case IGVM_VHT_PAGE_DATA: {
		struct igvm_vhs_page_data pd;
		const uint8_t *data;
		size_t len;

		igvm_header_page_data(h, &pd);
		if (!(pd.compatibility_mask & ld->mask))
			break;
		igvm_reader_page_data(&ld->r, h, &data, &len);
		if (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) {
			for (uint64_t off = 0; off < 0x200000; off += 4096)
				add_page(ld, pd.gpa + off, data ? data + off : NULL);
		} else {
			add_page(ld, pd.gpa, data);
		}
		break;
	}
	case IGVM_VHT_REQUIRED_MEMORY: {
		struct igvm_vhs_required_memory rm;

		igvm_header_required_memory(h, &rm);
		if ((rm.compatibility_mask & ld->mask) && !is_ram(ld, rm.gpa, rm.number_of_bytes))
			die("the file needs RAM at 0x%llx+0x%x, which this memory size (-m %llu MiB) does "
			    "not provide", (unsigned long long)rm.gpa, rm.number_of_bytes,
			    (unsigned long long)ld->o->mem_mib);
		break;
	}
	case IGVM_VHT_VP_CONTEXT: {
		struct igvm_vhs_vp_context vp;

		igvm_header_vp_context(h, &vp);
		if (vp.compatibility_mask & ld->mask)
			die("header #%u: a native VP context is not supported; husk starts at the reset vector",
			    h->index);
		break;
	}
	default:
		if (igvm_header_applies(h, ld->mask) && !h->optional && h->section == IGVM_SECTION_DIRECTIVE)
			die("header #%u: %s is not supported by this loader", h->index,
			    igvm_header_type_name(h->type) ? igvm_header_type_name(h->type) : "unknown type");
		break;
	}
}

static int cmp_page(const void *a, const void *b)
{
	const struct page *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static void write_blob(const char *path, const struct page *p, size_t n)
{
	static const uint8_t zero[4096];
	FILE *f = fopen(path, "wb");

	if (!f)
		die("%s: %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		if (fwrite(p[i].data ? p[i].data : zero, 1, 4096, f) != 4096)
			die("%s: write failed", path);
	if (fclose(f))
		die("%s: write failed", path);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

/* A file name inside a QEMU option list: commas are doubled. */
static char *qemu_escape(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;

	if (!out)
		die("out of memory");
	for (; *s; s++) {
		*p++ = *s;
		if (*s == ',')
			*p++ = ',';
	}
	*p = 0;
	return out;
}

/* Sorted pages -> -bios image and generic-loader blobs; returns argv. */
static char **build_qemu_args(struct loader *ld, const char *dir, unsigned *argc_out)
{
	static uint8_t fw[FW_WINDOW];
	char **argv = calloc(64 + 2 * ld->npages + MAX_QEMU_ARGS, sizeof(char *));
	unsigned argc = 0;
	bool have_fw = false;
	size_t i = 0;

	/* Bytes of the firmware window the file does not load read as erased
	 * flash (0xff), not as zeros that happen to execute harmlessly. */
	memset(fw, 0xff, sizeof(fw));
	qsort(ld->pages, ld->npages, sizeof(*ld->pages), cmp_page);
	for (size_t j = 1; j < ld->npages; j++)
		if (ld->pages[j].gpa == ld->pages[j - 1].gpa)
			die("two directives load GPA 0x%llx", (unsigned long long)ld->pages[j].gpa);

	argv[argc++] = (char *)ld->o->qemu;
	argv[argc++] = xasprintf("-machine");
	argv[argc++] = xasprintf("%s", ld->o->machine);
	argv[argc++] = "-accel";
	argv[argc++] = "tcg";
	argv[argc++] = "-cpu";
	argv[argc++] = (char *)ld->o->cpu;
	argv[argc++] = "-smp";
	argv[argc++] = xasprintf("%u", ld->o->smp);
	argv[argc++] = "-m";
	argv[argc++] = xasprintf("%lluM", (unsigned long long)ld->o->mem_mib);
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-no-reboot";
	if (ld->o->serial2 && !strcmp(ld->o->serial2, "stdio")) {
		/* Both ports on the terminal, through one multiplexed chardev. */
		argv[argc++] = "-chardev";
		argv[argc++] = "stdio,id=husk-con,mux=on,signal=off";
		argv[argc++] = "-serial";
		argv[argc++] = "chardev:husk-con";
		argv[argc++] = "-serial";
		argv[argc++] = "chardev:husk-con";
	} else {
		argv[argc++] = "-serial";
		argv[argc++] = "stdio";
		if (ld->o->serial2) {
			argv[argc++] = "-serial";
			argv[argc++] = (char *)ld->o->serial2;
		}
	}
	if (ld->o->kbs_socket) {
		/* COM3: husk's link to husk-kbs-proxy, which listens on the
		 * socket (docs/proxy.md); QEMU reconnects if the proxy restarts. */
		argv[argc++] = "-chardev";
		argv[argc++] = xasprintf("socket,id=husk-kbs,path=%s,reconnect=1", ld->o->kbs_socket);
		argv[argc++] = "-device";
		argv[argc++] = "isa-serial,chardev=husk-kbs,iobase=0x3e8,irq=4";
	}
	argv[argc++] = "-device";
	argv[argc++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
	if (ld->o->disk) {
		/* Raw, and errors reported to husk rather than pausing the VM
		 * (QEMU's default on ENOSPC). */
		argv[argc++] = "-drive";
		argv[argc++] = xasprintf("file=%s,format=raw,if=none,id=husk-disk,cache=writeback,"
					 "werror=report,rerror=report",
					 qemu_escape(ld->o->disk));
		argv[argc++] = "-device";
		argv[argc++] = "virtio-blk-pci,drive=husk-disk,addr=" DISK_SLOT ",serial=" DISK_SERIAL
			       ",disable-modern=on,disable-legacy=off";
	}

	while (i < ld->npages) {
		const struct page *p = &ld->pages[i];
		size_t run = 1;

		if (p->gpa >= FW_BASE && p->gpa < FW_BASE + FW_WINDOW) {
			if (p->data)
				memcpy(fw + (p->gpa - FW_BASE), p->data, 4096);
			else
				memset(fw + (p->gpa - FW_BASE), 0, 4096);
			have_fw = true;
			i++;
			continue;
		}
		if (!is_ram(ld, p->gpa, 4096))
			die("page data at 0x%llx is neither RAM nor in the firmware window",
			    (unsigned long long)p->gpa);
		while (i + run < ld->npages && ld->pages[i + run].gpa == p->gpa + run * 4096 &&
		       ld->pages[i + run].gpa < FW_BASE)
			run++;
		char *path = xasprintf("%s/blob-%09llx.bin", dir, (unsigned long long)p->gpa);

		write_blob(path, p, run);
		argv[argc++] = "-device";
		argv[argc++] = xasprintf("loader,file=%s,addr=0x%llx,force-raw=on", path,
					 (unsigned long long)p->gpa);
		i += run;
	}
	if (!have_fw)
		die("the file loads nothing at the reset vector (top 64 KiB below 4 GiB)");
	{
		char *path = xasprintf("%s/reset.bin", dir);
		FILE *f = fopen(path, "wb");

		if (!f || fwrite(fw, 1, sizeof(fw), f) != sizeof(fw) || fclose(f))
			die("%s: write failed", path);
		argv[argc++] = "-bios";
		argv[argc++] = path;
	}
	for (unsigned k = 0; k < ld->o->nextra; k++)
		argv[argc++] = (char *)ld->o->extra[k];
	argv[argc] = NULL;
	*argc_out = argc;
	return argv;
}

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (child > 0)
		kill(child, SIGKILL);
}

static int run_qemu(char **argv, unsigned timeout)
{
	int status;

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "husk-launch: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	signal(SIGALRM, on_alarm);
	alarm(timeout);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	alarm(0);
	if (timed_out) {
		fprintf(stderr, "husk-launch: timeout after %u s; QEMU killed\n", timeout);
		return 124;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "husk-launch: QEMU died of signal %d\n", WTERMSIG(status));
		return 3;
	}
	switch (WEXITSTATUS(status)) {
	case 33:
		fprintf(stderr, "husk-launch: husk reported success\n");
		return 0;
	case 35:
		fprintf(stderr, "husk-launch: husk reported failure\n");
		return 1;
	case 0:
		fprintf(stderr, "husk-launch: QEMU exited without husk reporting "
				"(triple fault or reset, with -no-reboot)\n");
		return 2;
	default:
		fprintf(stderr, "husk-launch: QEMU failed with exit status %d\n", WEXITSTATUS(status));
		return 3;
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: husk-launch [options] FILE.igvm\n"
		"Boots an IGVM file's NATIVE platform under QEMU (TCG), acting as its IGVM loader.\n"
		"  --smp N            vCPUs (default 4)\n"
		"  --mem MIB          guest RAM in MiB (default 512)\n"
		"  --cpu MODEL        QEMU CPU model (default max)\n"
		"  --machine q35[,..] QEMU machine options (only q35: its memory map is modelled)\n"
		"  --cmdline STR      husk's command line (IGVM COMMAND_LINE parameter)\n"
		"  --serial2 SPEC     COM2 (the svm test guest's port): stdio (shared with\n"
		"                     COM1), or a QEMU serial spec (file:PATH, unix:PATH,server=on,...)\n"
		"  --kbs-socket PATH  COM3 (husk's link to its KBS proxy) on the UNIX socket\n"
		"                     PATH where husk-kbs-proxy listens\n"
		"  --disk FILE        husk's state disk: FILE (raw) as a legacy virtio-blk device\n"
		"                     at 00:05.0, serial " DISK_SERIAL "; appends " DISK_CMDLINE "\n"
		"                     to husk's command line\n"
		"  --timeout SEC      kill QEMU after SEC seconds (default 120); exit 124\n"
		"  --qemu PATH        QEMU binary (default qemu-system-x86_64)\n"
		"  --qemu-arg ARG     extra QEMU argument (repeatable)\n"
		"  --keep-dir DIR     write the loader blobs to DIR and keep them\n"
		"  --dry-run          print the QEMU command line, do not run it\n"
		"Testing a hostile VMM:\n"
		"  --vp-count N       write N as the vCPU count parameter (QEMU still gets --smp)\n"
		"  --memmap SPEC      write this memory map: HEXSTART:HEXSIZE:TYPE[,...]\n"
		"Exit: 0 husk success, 1 husk failure, 2 no report (triple fault), 3 error, 124 timeout.\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "smp", required_argument, NULL, 's' },      { "mem", required_argument, NULL, 'm' },
		{ "cpu", required_argument, NULL, 'c' },      { "machine", required_argument, NULL, 'M' },
		{ "cmdline", required_argument, NULL, 'a' },  { "timeout", required_argument, NULL, 't' },
		{ "qemu", required_argument, NULL, 'q' },     { "qemu-arg", required_argument, NULL, 'Q' },
		{ "keep-dir", required_argument, NULL, 'k' }, { "dry-run", no_argument, NULL, 'n' },
		{ "vp-count", required_argument, NULL, 'V' }, { "memmap", required_argument, NULL, 'P' },
		{ "serial2", required_argument, NULL, 'S' },   { "kbs-socket", required_argument, NULL, 'K' },
		{ "disk", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	struct opts o = { .smp = 4, .mem_mib = 512, .cpu = "max", .machine = "q35", .cmdline = "",
			  .qemu = "qemu-system-x86_64", .timeout = 120, .vp_count_override = -1 };
	struct loader ld = { .o = &o };
	struct igvm_error ierr;
	struct igvm_iter it;
	struct igvm_header h;
	char dirbuf[] = "/tmp/husk-launch.XXXXXX";
	const char *dir;
	char **qargv;
	unsigned qargc;
	uint8_t *file;
	size_t size;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o.smp = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'm': o.mem_mib = strtoull(optarg, NULL, 0); break;
		case 'c': o.cpu = optarg; break;
		case 'M': o.machine = optarg; break;
		case 'a': o.cmdline = optarg; break;
		case 't': o.timeout = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'q': o.qemu = optarg; break;
		case 'Q':
			if (o.nextra == MAX_QEMU_ARGS)
				die("too many --qemu-arg");
			o.extra[o.nextra++] = optarg;
			break;
		case 'k': o.keep_dir = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'V': o.vp_count_override = strtol(optarg, NULL, 0); break;
		case 'P': o.memmap_spec = optarg; break;
		case 'S': o.serial2 = optarg; break;
		case 'K': o.kbs_socket = optarg; break;
		case 'D': o.disk = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 3;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 3;
	}
	if (o.smp == 0 || o.smp > 255 || o.mem_mib < 16 || o.timeout == 0)
		die("bad --smp, --mem or --timeout");
	/* The memory map written for husk is q35's layout. */
	if (strcmp(o.machine, "q35") != 0 && strncmp(o.machine, "q35,", 4) != 0)
		die("--machine %s: only q35 is supported (the memory map is q35's)", o.machine);

	if (o.disk) {
		struct stat st;

		if (stat(o.disk, &st) != 0 || !S_ISREG(st.st_mode))
			die("--disk %s: not a regular file", o.disk);
		/* After whatever --cmdline gave: husk takes the first value of
		 * an option, so an explicit disk= there wins. */
		o.cmdline = *o.cmdline ? xasprintf("%s %s", o.cmdline, DISK_CMDLINE)
				       : DISK_CMDLINE;
	}

	file = read_file(argv[optind], &size);
	if (igvm_reader_init(&ld.r, file, size, &ierr))
		die("%s: %s", argv[optind], ierr.message);
	ld.mask = igvm_reader_platform_mask(&ld.r, IGVM_PLATFORM_NATIVE);
	if (!ld.mask)
		die("%s: no NATIVE platform in this file", argv[optind]);
	default_memmap(&ld);
	if (o.memmap_spec)
		parse_memmap(&ld, o.memmap_spec);

	igvm_iter_init(&it, &ld.r);
	while (igvm_iter_next(&it, &h))
		if (h.section == IGVM_SECTION_DIRECTIVE)
			directive(&ld, &h);

	if (o.keep_dir) {
		if (mkdir(o.keep_dir, 0755) && errno != EEXIST)
			die("%s: %s", o.keep_dir, strerror(errno));
		dir = o.keep_dir;
	} else {
		dir = mkdtemp(dirbuf);
		if (!dir)
			die("mkdtemp: %s", strerror(errno));
	}
	qargv = build_qemu_args(&ld, dir, &qargc);
	if (o.dry_run) {
		for (unsigned i = 0; i < qargc; i++)
			printf("%s%s", qargv[i], i + 1 < qargc ? " " : "\n");
		return 0;
	}
	rc = run_qemu(qargv, o.timeout);
	if (!o.keep_dir) {
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			fprintf(stderr, "husk-launch: could not remove %s\n", dir);
		free(cmd);
	}
	return rc;
}
