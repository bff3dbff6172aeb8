/*
 * drop_startup_pages: once a daemon is set up, give back the pages of
 * code and read-only data that its start-up touched.
 *
 * Most of a daemon's resident memory is library pages mapped from the
 * page cache, and the kernel maps the 64 KiB around each page touched.
 * Start-up touches much that is never used again: the dynamic linker
 * reads every library's symbol and relocation tables (0.8 MiB of them
 * in libcrypto alone), glibc runs its ifunc resolvers all across its
 * code, netd's libraries run their constructors and libcurl and OpenSSL
 * their set-up.  MADV_DONTNEED on a segment that is never written drops
 * the process's mappings of its pages; the pages stay in the page cache
 * and one touched again is mapped again from there, as after the kernel
 * reclaimed it under memory pressure, which it may do at any time.
 *
 * Only such segments qualify: not a writable one (data, the GOT, what
 * RELRO protects: private copies, changed at load, that would be lost),
 * not a page a writable segment shares, no object with text
 * relocations (its code pages are private copies too), not the vDSO.
 * Nothing here is ever a secret's memory: secrets live in anonymous
 * mappings (secmem.c), which no loaded object's segment covers.
 */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "common/pages.h"

static int
has_textrel(const struct dl_phdr_info *info)
{
	const ElfW(Dyn)	*d;
	ElfW(Half)	 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		for (d = (const ElfW(Dyn) *)(info->dlpi_addr +
		    info->dlpi_phdr[i].p_vaddr); d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS &&
			    (d->d_un.d_val & DF_TEXTREL)))
				return 1;
	}
	return 0;
}

/* Whether [lo, hi) shares a page with a writable segment of info. */
static int
near_writable(const struct dl_phdr_info *info, uintptr_t lo, uintptr_t hi,
    uintptr_t pg)
{
	const ElfW(Phdr)	*ph;
	uintptr_t		 wlo, whi;
	ElfW(Half)		 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		wlo = (info->dlpi_addr + ph->p_vaddr) & ~(pg - 1);
		whi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + pg - 1) &
		    ~(pg - 1);
		if (wlo < hi && lo < whi)
			return 1;
	}
	return 0;
}

static int
drop_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	const ElfW(Phdr)	*ph;
	uintptr_t		 pg = *(const uintptr_t *)arg, vdso, lo, hi;
	ElfW(Half)		 i;

	vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	if (vdso != 0 && (uintptr_t)info->dlpi_phdr - vdso < pg)
		return 0;
	if (has_textrel(info))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		/*
		 * The whole pages inside the segment's file part: past it
		 * the loader zeroed memory the file does not hold.
		 */
		lo = (info->dlpi_addr + ph->p_vaddr + pg - 1) & ~(pg - 1);
		hi = (info->dlpi_addr + ph->p_vaddr + ph->p_filesz) &
		    ~(pg - 1);
		if (lo < hi && !near_writable(info, lo, hi, pg))
			(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	return 0;
}

void
drop_startup_pages(void)
{
	uintptr_t	pg = (uintptr_t)sysconf(_SC_PAGESIZE);

	(void)dl_iterate_phdr(drop_object, &pg);
}
