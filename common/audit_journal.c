/*
 * The audit journal's format: headers and frames made and read, every
 * length and offset checked against the image (common/audit_journal.h).
 */
#include <string.h>

#include <sodium.h>

#include "common/audit_journal.h"

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

uint64_t
journal_half_start(uint64_t size, int h)
{
	if (size < JOURNAL_DATA_START)
		return size;
	return h == 0 ? JOURNAL_DATA_START :
	    JOURNAL_DATA_START + (size - JOURNAL_DATA_START) / 2;
}

uint64_t
journal_half_end(uint64_t size, int h)
{
	return h == 0 ? journal_half_start(size, 1) : size;
}

void
journal_header_make(uint8_t *b, uint32_t epoch, uint64_t size)
{
	memset(b, 0, JOURNAL_HDR_LEN);
	memcpy(b, "CVJH", 4);
	put32(b + 4, JOURNAL_VERSION);
	put32(b + 8, epoch);
	put64(b + 16, size);
	crypto_generichash(b + 24, JOURNAL_FRAME_TAG, b, 24, NULL, 0);
}

uint32_t
journal_header_read(const uint8_t *b, uint64_t *size)
{
	uint8_t	tag[JOURNAL_FRAME_TAG];

	*size = 0;
	if (memcmp(b, "CVJH", 4) != 0 || get32(b + 4) == 0 ||
	    get32(b + 4) > JOURNAL_VERSION || get32(b + 12) != 0)
		return 0;
	crypto_generichash(tag, sizeof(tag), b, 24, NULL, 0);
	if (sodium_memcmp(tag, b + 24, JOURNAL_FRAME_TAG) != 0)
		return 0;
	*size = get64(b + 16);
	return get32(b + 8);
}

void
journal_note_make(uint8_t *b, uint32_t epoch, uint64_t seg, uint64_t synced)
{
	memcpy(b, "CVJS", 4);
	put32(b + 4, epoch);
	put64(b + 8, seg);
	put64(b + 16, synced);
	crypto_generichash(b + 24, JOURNAL_FRAME_TAG, b, 24, NULL, 0);
}

int
journal_note_read(const uint8_t *b, uint32_t epoch, uint64_t seg,
    uint64_t *synced)
{
	uint8_t	tag[JOURNAL_FRAME_TAG];

	*synced = 0;
	if (memcmp(b, "CVJS", 4) != 0 || get32(b + 4) != epoch ||
	    get64(b + 8) != seg)
		return 0;
	crypto_generichash(tag, sizeof(tag), b, 24, NULL, 0);
	if (sodium_memcmp(tag, b + 24, JOURNAL_FRAME_TAG) != 0)
		return 0;
	*synced = get64(b + 16);
	return 1;
}

void
journal_frame_head(uint8_t *hdr, uint32_t n, uint32_t epoch, uint64_t seg,
    uint64_t off, uint64_t synced)
{
	uint64_t	behind = synced < off ? off - synced : 0;

	memcpy(hdr, "CVJF", 4);
	put32(hdr + 4, n);
	put32(hdr + 8, epoch);
	put32(hdr + 12, behind < UINT32_MAX - 1 ? (uint32_t)behind + 1 :
	    UINT32_MAX);
	put64(hdr + 16, seg);
	put64(hdr + 24, off);
}

void
journal_frame_tag(const uint8_t *hdr, const uint8_t *data, size_t n,
    uint8_t *tag)
{
	crypto_generichash_state	st;

	crypto_generichash_init(&st, NULL, 0, JOURNAL_FRAME_TAG);
	crypto_generichash_update(&st, hdr, JOURNAL_FRAME_HDR);
	crypto_generichash_update(&st, data, n);
	crypto_generichash_final(&st, tag, JOURNAL_FRAME_TAG);
}

size_t
journal_frames(const uint8_t *img, uint64_t size, uint32_t epoch,
    uint64_t seg, struct journal_frame *f, size_t max)
{
	uint8_t		 tag[JOURNAL_FRAME_TAG];
	uint64_t	 at, end, left;
	uint32_t	 n, synced;
	size_t		 nf = 0;
	int		 h;

	for (h = 0; h < 2; h++) {
		end = journal_half_end(size, h);
		for (at = journal_half_start(size, h); at <= end &&
		    end - at > JOURNAL_FRAME_HDR + JOURNAL_FRAME_TAG;
		    at += JOURNAL_FRAME_HDR + n + JOURNAL_FRAME_TAG) {
			const uint8_t *p = img + at;

			left = end - at - JOURNAL_FRAME_HDR - JOURNAL_FRAME_TAG;
			n = get32(p + 4);
			if (memcmp(p, "CVJF", 4) != 0 || n == 0 ||
			    n > JOURNAL_FRAME_DATA_MAX || n > left ||
			    get32(p + 8) != epoch)
				break;
			journal_frame_tag(p, p + JOURNAL_FRAME_HDR, n, tag);
			if (sodium_memcmp(tag, p + JOURNAL_FRAME_HDR + n,
			    JOURNAL_FRAME_TAG) != 0)
				break;
			if (get64(p + 16) != seg || nf == max)
				continue;
			f[nf].off = get64(p + 24);
			f[nf].n = n;
			f[nf].lead = at == journal_half_start(size, h);
			synced = get32(p + 12);
			f[nf].synced = synced == 0 || synced - 1 > f[nf].off ?
			    0 : f[nf].off - (synced - 1);
			f[nf].data = p + JOURNAL_FRAME_HDR;
			nf++;
		}
	}
	return nf;
}
