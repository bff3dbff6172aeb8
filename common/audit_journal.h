/*
 * The audit journal's format (vaultd/vaultd_wal.c does its I/O): a file
 * of fixed size, little-endian, made of two header slots and then two
 * halves of frames.
 *
 *	header	at 0 and at JOURNAL_HDR_SLOT: "CVJH", u32 version (2;
 *		1 is read too), u32 epoch, u32 0, u64 file size,
 *		BLAKE2b-128 of the 24 bytes before; the valid slot of the
 *		higher epoch counts
 *	frame	"CVJF", u32 n (1..JOURNAL_FRAME_DATA_MAX), u32 epoch,
 *		u32 synced, u64 segment, u64 offset, n bytes of audit.log
 *		at offset, BLAKE2b-128 of everything before it in the frame
 *
 *	note	at JOURNAL_NOTE_AT in the header slot of its epoch: "CVJS",
 *		u32 epoch, u64 segment, u64 synced, BLAKE2b-128 of the 24
 *		bytes before; audit.log (of that segment) on disk up to
 *		synced, written after each fsync of it that is no frame's
 *		to note (a lifecycle record's, the start's); absent (zeros)
 *		in a journal an earlier build wrote, which reads no note
 *
 * synced: 0 (version 1: not known), or 1 + how many bytes before offset
 * audit.log ended, as far as it was known on disk (fsync'd) when the
 * frame was written; a distance past 2^32 - 2 is noted as that, which
 * says less, never more, than what was on disk.
 *
 * The frames start at JOURNAL_DATA_START; each half is written from its
 * start, frame after frame.  segment: how many numbered segments
 * audit.log had (which file the bytes belong to).  Nothing in a journal
 * is a secret: it holds audit records, as audit.log does.
 */
#ifndef CLOBVAULT_AUDIT_JOURNAL_H
#define CLOBVAULT_AUDIT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_HDR_LEN		40
#define JOURNAL_HDR_SLOT	2048
#define JOURNAL_DATA_START	4096
#define JOURNAL_FRAME_HDR	32
#define JOURNAL_FRAME_TAG	16
#define JOURNAL_FRAME_DATA_MAX	16384
#define JOURNAL_VERSION		2
#define JOURNAL_NOTE_AT		1024	/* in a header slot */
#define JOURNAL_NOTE_LEN	40

struct journal_frame {
	uint64_t	 off;		/* in audit.log */
	uint32_t	 n;
	int		 lead;		/* 1: the first frame of its half */
	uint64_t	 synced;	/* audit.log on disk up to here when
					   it was written (0: not known) */
	const uint8_t	*data;		/* into the image read */
};

/* Where half h (0, 1) of a journal of size bytes begins and ends. */
uint64_t journal_half_start(uint64_t size, int h);
uint64_t journal_half_end(uint64_t size, int h);
/* A header slot's JOURNAL_HDR_LEN bytes. */
void	 journal_header_make(uint8_t *b, uint32_t epoch, uint64_t size);
/* The epoch of the header slot at b (JOURNAL_HDR_LEN bytes), 0 if it is
   not a valid one; *size its file size. */
uint32_t journal_header_read(const uint8_t *b, uint64_t *size);
/* A note's JOURNAL_NOTE_LEN bytes. */
void	 journal_note_make(uint8_t *b, uint32_t epoch, uint64_t seg,
	    uint64_t synced);
/* The note at b (JOURNAL_NOTE_LEN bytes): 1 and *synced if it is a
   valid one of epoch and segment seg, else 0. */
int	 journal_note_read(const uint8_t *b, uint32_t epoch, uint64_t seg,
	    uint64_t *synced);
/* A frame's head and tag, for n bytes of audit.log at off, audit.log
   then known on disk up to synced (at most off). */
void	 journal_frame_head(uint8_t *hdr, uint32_t n, uint32_t epoch,
	    uint64_t seg, uint64_t off, uint64_t synced);
void	 journal_frame_tag(const uint8_t *hdr, const uint8_t *data,
	    size_t n, uint8_t *tag);
/*
 * The valid frames of epoch and segment seg in a journal image of size
 * bytes, each half read from its start up to the first that is not a
 * valid frame of epoch; at most max into f, in the order read.
 */
size_t	 journal_frames(const uint8_t *img, uint64_t size, uint32_t epoch,
	    uint64_t seg, struct journal_frame *f, size_t max);

#endif
