/*
 * Fuzz the audit journal's reading (common/audit_journal.c): the input
 * is a journal image.  Both header slots are read; the frames of the
 * higher epoch they name (or 1) are found, each inside the image,
 * inside its half, of a length the format allows, and its tag checks
 * again.  A sync note is read from each slot, nothing kept from one
 * that is not valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/audit_journal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FRAMES_MAX	4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct journal_frame f[FRAMES_MAX];
	uint8_t		tag[JOURNAL_FRAME_TAG];
	uint64_t	hsize;
	uint32_t	epoch = 1, e;
	size_t		n, i;

	if (sodium_init() < 0)
		abort();
	if (size >= JOURNAL_HDR_LEN && (e = journal_header_read(data,
	    &hsize)) != 0)
		epoch = e;
	if (size >= JOURNAL_HDR_SLOT + JOURNAL_HDR_LEN && (e =
	    journal_header_read(data + JOURNAL_HDR_SLOT, &hsize)) > epoch)
		epoch = e;
	for (i = 0; i < 2; i++)
		if (size >= i * JOURNAL_HDR_SLOT + JOURNAL_NOTE_AT +
		    JOURNAL_NOTE_LEN && journal_note_read(data + i *
		    JOURNAL_HDR_SLOT + JOURNAL_NOTE_AT, epoch, 0, &hsize) == 0 &&
		    hsize != 0)
			abort();
	n = journal_frames(data, size, epoch, 0, f, FRAMES_MAX);
	for (i = 0; i < n; i++) {
		const uint8_t *hdr = f[i].data - JOURNAL_FRAME_HDR;

		if (f[i].n == 0 || f[i].n > JOURNAL_FRAME_DATA_MAX ||
		    f[i].synced > f[i].off ||
		    hdr < data + JOURNAL_DATA_START ||
		    (size_t)(f[i].data - data) + f[i].n + JOURNAL_FRAME_TAG >
		    size)
			abort();
		journal_frame_tag(hdr, f[i].data, f[i].n, tag);
		if (memcmp(tag, f[i].data + f[i].n, sizeof(tag)) != 0)
			abort();
	}
	return 0;
}
