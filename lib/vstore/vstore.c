/* vstore: sealing the vTPM state onto an untrusted block device (API in
 * vstore.h, layout in vstore_layout.h, reasoning in docs/storage.md).
 *
 * Everything read from the device is hostile: each sector is read once into
 * husk memory and only that copy is validated and used.  Structural checks
 * come first so that the refusal says what is wrong; authentication (the
 * superblock's HMAC, each record's GCM tag) decides.  Plaintext that fails
 * authentication is wiped before returning. */
#include <stdarg.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fmt/fmt.h"
#include "husk/err.h"
#include "vstore/vstore.h"

#include "mbedtls/constant_time.h"
#include "mbedtls/gcm.h"
#include "mbedtls/hkdf.h"
#include "mbedtls/md.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"

/* The KDF label: a new derivation gets a new label (and layout version). */
#define VSTORE_LABEL "husk vtpm state v1"
#define VSTORE_ID_LABEL "husk vstore identity v1"

/* Key purposes, the byte after the label in HKDF's info. */
#define PURPOSE_SUPER_MAC 1u
#define PURPOSE_RECORD 2u

#define KEY_SIZE 32u
#define SECTOR VSTORE_SECTOR_SIZE

HUSK_STATIC_ASSERT(VSTORE_CAPACITY_MAX / SECTOR <= UINT32_MAX / 2, "data_sectors fits");
HUSK_STATIC_ASSERT(sizeof(((struct vstore *)0)->io) >= VSTORE_IO_SECTORS * SECTOR + 15,
		   "GCM may emit up to 15 bytes beyond its input");

static const char *const reason_names[VSTORE_R__COUNT] = {
	[VSTORE_R_OK] = "ok",
	[VSTORE_R_BLANK] = "blank",
	[VSTORE_R_INCOMPLETE] = "incomplete",
	[VSTORE_R_EMPTY] = "empty",
	[VSTORE_R_IO] = "io",
	[VSTORE_R_TRUNCATED] = "truncated",
	[VSTORE_R_NOT_VSTORE] = "not-vstore",
	[VSTORE_R_UNSUPPORTED] = "unsupported",
	[VSTORE_R_CORRUPT] = "corrupt",
	[VSTORE_R_IDENTITY] = "identity",
	[VSTORE_R_KEY] = "key",
	[VSTORE_R_NO_RECORD] = "no-record",
	[VSTORE_R_FORK] = "fork",
	[VSTORE_R_ROLLBACK] = "rollback",
	[VSTORE_R_TOO_BIG] = "too-big",
	[VSTORE_R_ARGS] = "args",
	[VSTORE_R_RNG] = "rng",
	[VSTORE_R_CRYPTO] = "crypto",
};

/* ---- small helpers ---- */

static int report(struct vstore *vs, int rc, enum vstore_reason r, const char *fmt, ...)
	HUSK_PRINTF(4, 5);

/* Records why the operation ends and returns rc, so that every exit is one line. */
static int report(struct vstore *vs, int rc, enum vstore_reason r, const char *fmt, ...)
{
	va_list ap;

	vs->reason = r;
	va_start(ap, fmt);
	fmt_vsnprintf(vs->msg, sizeof(vs->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static char slot_name(uint32_t slot)
{
	return slot == VSTORE_SLOT_A ? 'A' : 'B';
}

static uint64_t hdr_lba(uint32_t slot)
{
	return slot == VSTORE_SLOT_A ? VSTORE_LBA_HDR_A : VSTORE_LBA_HDR_B;
}

static uint64_t data_lba(const struct vstore *vs, uint32_t slot)
{
	return VSTORE_LBA_DATA + (uint64_t)slot * vs->data_sectors;
}

static int crypto_fail(struct vstore *vs, int mbedtls_rc, const char *what)
{
	int rc = crypto_err_from_mbedtls(mbedtls_rc);

	if (rc == HUSK_OK)
		rc = HUSK_ERR_CRYPTO;
	return report(vs, rc, VSTORE_R_CRYPTO, "%s failed (mbedTLS -0x%04x): %s", what,
		      (unsigned int)-mbedtls_rc, husk_strerror(rc));
}

static int rng_fill(struct vstore *vs, uint8_t *buf, size_t len)
{
	int rc = vs->rng(vs->rng_ctx, buf, len);

	if (rc == HUSK_OK)
		return HUSK_OK;
	if (rc <= 0 || rc >= HUSK_ERR__COUNT)
		rc = HUSK_ERR_CRYPTO;
	return report(vs, rc, VSTORE_R_RNG, "random number source failed: %s", husk_strerror(rc));
}

/* Device access.  The bounds check is an internal invariant (every LBA comes
 * from validated geometry), kept because a slip here would hand the host an
 * out-of-range request. */
static int dev_io(struct vstore *vs, bool write, uint64_t lba, uint32_t count, void *buf)
{
	int rc;

	if (count == 0 || lba >= vs->dev.sectors || count > vs->dev.sectors - lba)
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_ARGS,
			      "internal: %s of %u sectors at LBA %llu outside the device",
			      write ? "write" : "read", count, (unsigned long long)lba);
	rc = write ? vs->dev.write(vs->dev.ctx, lba, count, buf) : vs->dev.read(vs->dev.ctx, lba, count, buf);
	if (rc != HUSK_OK)
		return report(vs, HUSK_ERR_IO, VSTORE_R_IO, "device %s of %u sectors at LBA %llu failed: %s",
			      write ? "write" : "read", count, (unsigned long long)lba, husk_strerror(rc));
	return HUSK_OK;
}

static int dev_flush(struct vstore *vs)
{
	int rc = vs->dev.flush(vs->dev.ctx);

	if (rc != HUSK_OK)
		return report(vs, HUSK_ERR_IO, VSTORE_R_IO, "device flush failed: %s", husk_strerror(rc));
	return HUSK_OK;
}

/* ---- keys ---- */

static const mbedtls_md_info_t *sha256_info(void)
{
	return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}

static int hash_identity(struct vstore *vs, const void *identity, size_t len)
{
	mbedtls_sha256_context c;
	static const uint8_t zero;
	int rc;

	mbedtls_sha256_init(&c);
	rc = mbedtls_sha256_starts(&c, 0);
	if (!rc)
		rc = mbedtls_sha256_update(&c, (const uint8_t *)VSTORE_ID_LABEL, sizeof(VSTORE_ID_LABEL) - 1);
	if (!rc)
		rc = mbedtls_sha256_update(&c, &zero, 1);
	if (!rc)
		rc = mbedtls_sha256_update(&c, identity, len);
	if (!rc)
		rc = mbedtls_sha256_finish(&c, vs->identity_hash);
	mbedtls_sha256_free(&c);
	return rc ? crypto_fail(vs, rc, "SHA-256 of the identity") : HUSK_OK;
}

/* PRK = HKDF-Extract(salt = the superblock's kdf_salt, IKM = root secret). */
static int derive_prk(struct vstore *vs, const struct vstore_super *sb)
{
	int rc = mbedtls_hkdf_extract(sha256_info(), sb->kdf_salt, sizeof(sb->kdf_salt), vs->secret,
				      vs->secret_len, vs->prk);

	return rc ? crypto_fail(vs, rc, "HKDF-Extract") : HUSK_OK;
}

/* key = HKDF-Expand(PRK, label 0 purpose algs identity_hash format_id [key_nonce]).
 * The algorithm identifiers and the identity are in every key's info, so a
 * record or superblock with other identifiers cannot authenticate; the
 * record key also takes its record's random nonce: one key per record, so
 * GCM's limits on messages per key never come into play. */
static int derive_key(struct vstore *vs, uint8_t purpose, const uint8_t *key_nonce, uint8_t key[KEY_SIZE])
{
	const struct vstore_super *sb = (const struct vstore_super *)vs->sb_raw;
	uint8_t info[sizeof(VSTORE_LABEL) + 1 + 6 + VSTORE_ID_HASH_SIZE + VSTORE_FORMAT_ID_SIZE +
		     VSTORE_KEY_NONCE_SIZE];
	size_t n = 0;
	uint16_t algs[3] = { sb->kdf_alg, sb->aead_alg, sb->mac_alg };
	int rc;

	memcpy(info, VSTORE_LABEL, sizeof(VSTORE_LABEL)); /* with its NUL separator */
	n += sizeof(VSTORE_LABEL);
	info[n++] = purpose;
	memcpy(info + n, algs, sizeof(algs));
	n += sizeof(algs);
	memcpy(info + n, vs->identity_hash, VSTORE_ID_HASH_SIZE);
	n += VSTORE_ID_HASH_SIZE;
	memcpy(info + n, sb->format_id, VSTORE_FORMAT_ID_SIZE);
	n += VSTORE_FORMAT_ID_SIZE;
	if (key_nonce) {
		memcpy(info + n, key_nonce, VSTORE_KEY_NONCE_SIZE);
		n += VSTORE_KEY_NONCE_SIZE;
	}
	rc = mbedtls_hkdf_expand(sha256_info(), vs->prk, sizeof(vs->prk), info, n, key, KEY_SIZE);
	return rc ? crypto_fail(vs, rc, "HKDF-Expand") : HUSK_OK;
}

static int super_mac(struct vstore *vs, uint8_t mac[VSTORE_MAC_SIZE])
{
	uint8_t key[KEY_SIZE];
	int rc = derive_key(vs, PURPOSE_SUPER_MAC, NULL, key);

	if (rc == HUSK_OK) {
		int mrc = mbedtls_md_hmac(sha256_info(), key, sizeof(key), vs->sb_raw, VSTORE_SUPER_MACED,
					  mac);

		if (mrc)
			rc = crypto_fail(vs, mrc, "HMAC-SHA-256");
	}
	mbedtls_platform_zeroize(key, sizeof(key));
	return rc;
}

static int record_digest(struct vstore *vs, const uint8_t *hdr)
{
	int rc = mbedtls_sha256(hdr, SECTOR, vs->digest, 0);

	return rc ? crypto_fail(vs, rc, "SHA-256") : HUSK_OK;
}

/* Sets up GCM for the record hdr (its key from its nonce, its IV, and the
 * additional data: the header up to the tag, then the whole superblock). */
static int gcm_begin(struct vstore *vs, mbedtls_gcm_context *gcm, int mode, const struct vstore_rec *hdr)
{
	uint8_t key[KEY_SIZE];
	int rc, mrc;

	rc = derive_key(vs, PURPOSE_RECORD, hdr->key_nonce, key);
	if (rc)
		return rc;
	mrc = mbedtls_gcm_setkey(gcm, MBEDTLS_CIPHER_ID_AES, key, KEY_SIZE * 8);
	mbedtls_platform_zeroize(key, sizeof(key));
	if (!mrc)
		mrc = mbedtls_gcm_starts(gcm, mode, hdr->iv, sizeof(hdr->iv));
	if (!mrc)
		mrc = mbedtls_gcm_update_ad(gcm, (const uint8_t *)hdr, VSTORE_REC_AAD);
	if (!mrc)
		mrc = mbedtls_gcm_update_ad(gcm, vs->sb_raw, SECTOR);
	return mrc ? crypto_fail(vs, mrc, "AES-GCM set-up") : HUSK_OK;
}

/* ---- superblock and record checks ---- */

static bool is_tombstone(const uint8_t *raw)
{
	const struct vstore_super *sb = (const struct vstore_super *)raw;

	return memcmp(sb->magic, VSTORE_SUPER_MAGIC, sizeof(sb->magic)) == 0 &&
	       raw[offsetof(struct vstore_super, version)] == VSTORE_TOMBSTONE_VERSION;
}

/* A prefix of the magic and zeros: what a write of LBA 0 torn early leaves
 * on a blank device. */
static bool magic_then_zero(const uint8_t *raw)
{
	size_t k = 0;

	while (k < 8 && raw[k] == (uint8_t)VSTORE_SUPER_MAGIC[k])
		k++;
	return k > 0 && all_zero(raw + k, SECTOR - k);
}

static bool algs_v1(uint16_t kdf, uint16_t aead, uint16_t mac)
{
	return kdf == VSTORE_KDF_HKDF_SHA256 && aead == VSTORE_AEAD_AES256_GCM &&
	       mac == VSTORE_MAC_HMAC_SHA256;
}

/* Validates vs->sb_raw (a copy of LBA 0) and authenticates it; on success
 * vs->prk and vs->data_sectors are set. */
static int check_super(struct vstore *vs)
{
	const struct vstore_super *sb = (const struct vstore_super *)vs->sb_raw;
	uint8_t mac[VSTORE_MAC_SIZE];
	uint64_t d;
	int rc;

	if (memcmp(sb->magic, VSTORE_SUPER_MAGIC, sizeof(sb->magic)) != 0)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_NOT_VSTORE,
			      "LBA 0 is not a vstore superblock (bad magic) but slot headers are not "
			      "blank: refusing to read or overwrite it");
	if (sb->version != VSTORE_LAYOUT_VERSION)
		return report(vs, HUSK_ERR_UNSUPPORTED, VSTORE_R_UNSUPPORTED,
			      "superblock: layout version %u, this husk reads version %u", sb->version,
			      VSTORE_LAYOUT_VERSION);
	if (!algs_v1(sb->kdf_alg, sb->aead_alg, sb->mac_alg))
		return report(vs, HUSK_ERR_UNSUPPORTED, VSTORE_R_UNSUPPORTED,
			      "superblock: algorithms kdf %u, aead %u, mac %u not supported (v1 is 1, 1, 1)",
			      sb->kdf_alg, sb->aead_alg, sb->mac_alg);
	if (sb->sector_size != SECTOR)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT, "superblock: sector size %u, not %u",
			      sb->sector_size, SECTOR);
	if (sb->reserved0 || sb->reserved1 || !all_zero(sb->reserved2, sizeof(sb->reserved2)))
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT,
			      "superblock: reserved bytes are not zero");
	d = sb->data_sectors;
	if (d == 0 || d > VSTORE_DATA_SECTORS(VSTORE_CAPACITY_MAX))
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT,
			      "superblock: %llu data sectors per slot, outside 1..%llu",
			      (unsigned long long)d,
			      (unsigned long long)VSTORE_DATA_SECTORS(VSTORE_CAPACITY_MAX));
	if (sb->total_sectors != VSTORE_LBA_DATA + 2 * d)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT,
			      "superblock: total of %llu sectors does not match %llu data sectors per slot",
			      (unsigned long long)sb->total_sectors, (unsigned long long)d);
	if (sb->total_sectors > vs->dev.sectors)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_TRUNCATED,
			      "device has %llu sectors, its store was formatted for %llu: truncated",
			      (unsigned long long)vs->dev.sectors, (unsigned long long)sb->total_sectors);
	if (mbedtls_ct_memcmp(sb->identity_hash, vs->identity_hash, VSTORE_ID_HASH_SIZE) != 0)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_IDENTITY,
			      "the store belongs to another identity (or its superblock was altered)");
	rc = derive_prk(vs, sb);
	if (rc == HUSK_OK)
		rc = super_mac(vs, mac);
	if (rc == HUSK_OK && mbedtls_ct_memcmp(mac, sb->mac, sizeof(mac)) != 0)
		rc = report(vs, HUSK_ERR_FORMAT, VSTORE_R_KEY,
			    "superblock does not authenticate: the store was made under another key "
			    "(or its superblock was altered)");
	if (rc != HUSK_OK) {
		mbedtls_platform_zeroize(vs->prk, sizeof(vs->prk));
		return rc;
	}
	vs->data_sectors = (uint32_t)d;
	return HUSK_OK;
}

/* Structural checks of the header copy of `slot`.  Returns false with why
 * filled in if the slot cannot hold a record. */
static bool check_rec(const struct vstore *vs, uint32_t slot, const struct vstore_rec *r, char *why,
		      size_t why_len)
{
	const struct vstore_super *sb = (const struct vstore_super *)vs->sb_raw;
	uint64_t cap = (uint64_t)vs->data_sectors * SECTOR;

	if (all_zero((const uint8_t *)r, SECTOR)) {
		fmt_snprintf(why, why_len, "empty");
		return false;
	}
	if (memcmp(r->magic, VSTORE_REC_MAGIC, sizeof(r->magic)) != 0) {
		fmt_snprintf(why, why_len, "no record header (bad magic)");
		return false;
	}
	if (r->version != VSTORE_LAYOUT_VERSION) {
		fmt_snprintf(why, why_len, "layout version %u", r->version);
		return false;
	}
	if (r->slot != slot) {
		fmt_snprintf(why, why_len, "holds a record written for %s (slots swapped or copied)",
			     r->slot == VSTORE_SLOT_A   ? "slot A"
			     : r->slot == VSTORE_SLOT_B ? "slot B"
							: "no slot");
		return false;
	}
	if (r->kind != VSTORE_KIND_EMPTY && r->kind != VSTORE_KIND_STATE) {
		fmt_snprintf(why, why_len, "unknown record kind %u", r->kind);
		return false;
	}
	if (r->kdf_alg != sb->kdf_alg || r->aead_alg != sb->aead_alg || r->mac_alg != sb->mac_alg) {
		fmt_snprintf(why, why_len, "algorithms differ from the superblock's");
		return false;
	}
	if (r->reserved0 || r->reserved1 || !all_zero(r->reserved2, sizeof(r->reserved2))) {
		fmt_snprintf(why, why_len, "reserved bytes are not zero");
		return false;
	}
	if (memcmp(r->format_id, sb->format_id, VSTORE_FORMAT_ID_SIZE) != 0) {
		fmt_snprintf(why, why_len, "record of another format of this device, or of another device");
		return false;
	}
	if (memcmp(r->identity_hash, sb->identity_hash, VSTORE_ID_HASH_SIZE) != 0) {
		fmt_snprintf(why, why_len, "record for another identity");
		return false;
	}
	if (r->blob_len > cap) {
		fmt_snprintf(why, why_len, "length %u exceeds the slot's %llu bytes", r->blob_len,
			     (unsigned long long)cap);
		return false;
	}
	if (r->blob_sectors != VSTORE_DATA_SECTORS(r->blob_len)) {
		fmt_snprintf(why, why_len, "%u sectors do not match length %u", r->blob_sectors, r->blob_len);
		return false;
	}
	if (r->kind == VSTORE_KIND_EMPTY && r->blob_len != 0) {
		fmt_snprintf(why, why_len, "empty record with %u bytes", r->blob_len);
		return false;
	}
	return true;
}

/* Reads, decrypts and authenticates the record whose header copy is in
 * vs->hdr_raw[slot].  The plaintext goes to out (out_max >= blob_len), or
 * nowhere if out is NULL (to learn whether a record too big for the
 * caller's buffer is authentic).  *authentic says whether the tag matched
 * and the padding was zero; if not, out is wiped.  A non-OK return is a
 * device or crypto failure, which ends the load (an I/O error proves
 * nothing about the record, so it must not make load fall back). */
static int open_rec(struct vstore *vs, uint32_t slot, uint8_t *out, bool *authentic)
{
	const struct vstore_rec *hdr = (const struct vstore_rec *)vs->hdr_raw[slot];
	mbedtls_gcm_context gcm;
	uint8_t tag[VSTORE_TAG_SIZE];
	uint64_t lba = data_lba(vs, slot);
	uint32_t left = hdr->blob_sectors;
	size_t remaining = hdr->blob_len, pos = 0, olen;
	bool padding_ok = true;
	int rc, mrc = 0;

	*authentic = false;
	mbedtls_gcm_init(&gcm);
	rc = gcm_begin(vs, &gcm, MBEDTLS_GCM_DECRYPT, hdr);
	while (rc == HUSK_OK && left > 0) {
		uint32_t n = HUSK_MIN(left, VSTORE_IO_SECTORS);
		size_t bytes = HUSK_MIN(remaining, (size_t)n * SECTOR);

		rc = dev_io(vs, false, lba, n, vs->io);
		if (rc)
			break;
		if (bytes < (size_t)n * SECTOR && !all_zero(vs->io + bytes, (size_t)n * SECTOR - bytes))
			padding_ok = false;
		mrc = mbedtls_gcm_update(&gcm, vs->io, bytes, vs->io, sizeof(vs->io), &olen);
		if (mrc)
			break;
		if (out)
			memcpy(out + pos, vs->io, olen);
		pos += olen;
		remaining -= bytes;
		left -= n;
		lba += n;
	}
	if (rc == HUSK_OK && !mrc) {
		mrc = mbedtls_gcm_finish(&gcm, vs->io, sizeof(vs->io), &olen, tag, sizeof(tag));
		if (!mrc && out)
			memcpy(out + pos, vs->io, olen);
		pos += olen;
	}
	if (rc == HUSK_OK && mrc)
		rc = crypto_fail(vs, mrc, "AES-GCM decryption");
	if (rc == HUSK_OK && pos != hdr->blob_len)
		rc = report(vs, HUSK_ERR_CRYPTO, VSTORE_R_CRYPTO, "internal: GCM returned %zu of %u bytes",
			    pos, hdr->blob_len);
	if (rc == HUSK_OK)
		*authentic = padding_ok && mbedtls_ct_memcmp(tag, hdr->tag, sizeof(tag)) == 0;
	if (!*authentic && out)
		mbedtls_platform_zeroize(out, hdr->blob_len);
	mbedtls_gcm_free(&gcm);
	mbedtls_platform_zeroize(vs->io, sizeof(vs->io));
	return rc;
}

/* Encrypts blob into a new record in `slot`: ciphertext sectors, then the
 * header, then a flush.  The order inside the slot does not matter for
 * safety (the tag covers all of it, so any partial write fails to
 * authenticate); the flush does: the next save writes the other slot, and
 * must not begin before this record is durable. */
static int write_rec(struct vstore *vs, uint32_t slot, uint8_t kind, uint64_t counter, const uint8_t *blob,
		     uint32_t len)
{
	const struct vstore_super *sb = (const struct vstore_super *)vs->sb_raw;
	struct vstore_rec *hdr = (struct vstore_rec *)vs->hdr_raw[slot];
	mbedtls_gcm_context gcm;
	uint64_t lba = data_lba(vs, slot);
	uint32_t left, remaining = len;
	size_t pos = 0, olen;
	int rc, mrc = 0;

	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, VSTORE_REC_MAGIC, sizeof(hdr->magic));
	hdr->version = VSTORE_LAYOUT_VERSION;
	hdr->slot = (uint8_t)slot;
	hdr->kind = kind;
	hdr->kdf_alg = sb->kdf_alg;
	hdr->aead_alg = sb->aead_alg;
	hdr->mac_alg = sb->mac_alg;
	hdr->counter = counter;
	hdr->blob_len = len;
	hdr->blob_sectors = (uint32_t)VSTORE_DATA_SECTORS(len);
	memcpy(hdr->format_id, sb->format_id, VSTORE_FORMAT_ID_SIZE);
	memcpy(hdr->identity_hash, sb->identity_hash, VSTORE_ID_HASH_SIZE);
	rc = rng_fill(vs, hdr->key_nonce, sizeof(hdr->key_nonce));
	if (rc == HUSK_OK)
		rc = rng_fill(vs, hdr->iv, sizeof(hdr->iv));
	if (rc)
		return rc;

	mbedtls_gcm_init(&gcm);
	rc = gcm_begin(vs, &gcm, MBEDTLS_GCM_ENCRYPT, hdr);
	left = hdr->blob_sectors;
	while (rc == HUSK_OK && left > 0) {
		uint32_t n = HUSK_MIN(left, VSTORE_IO_SECTORS);
		size_t chunk = (size_t)n * SECTOR;
		size_t bytes = HUSK_MIN((size_t)remaining, chunk);
		size_t out = 0;

		memcpy(vs->io, blob + pos, bytes);
		mrc = mbedtls_gcm_update(&gcm, vs->io, bytes, vs->io, sizeof(vs->io), &olen);
		if (mrc)
			break;
		out = olen;
		if (left == n) {
			/* Last chunk: a buffering GCM would hand the tail over here. */
			mrc = mbedtls_gcm_finish(&gcm, vs->io + out, sizeof(vs->io) - out, &olen, hdr->tag,
						 sizeof(hdr->tag));
			if (mrc)
				break;
			out += olen;
		}
		if (out != bytes) {
			rc = report(vs, HUSK_ERR_CRYPTO, VSTORE_R_CRYPTO,
				    "internal: GCM returned %zu of %zu bytes", out, bytes);
			break;
		}
		memset(vs->io + bytes, 0, chunk - bytes);
		rc = dev_io(vs, true, lba, n, vs->io);
		pos += bytes;
		remaining -= (uint32_t)bytes;
		left -= n;
		lba += n;
	}
	if (rc == HUSK_OK && !mrc && hdr->blob_sectors == 0)
		mrc = mbedtls_gcm_finish(&gcm, vs->io, sizeof(vs->io), &olen, hdr->tag, sizeof(hdr->tag));
	if (rc == HUSK_OK && mrc)
		rc = crypto_fail(vs, mrc, "AES-GCM encryption");
	mbedtls_gcm_free(&gcm);
	mbedtls_platform_zeroize(vs->io, sizeof(vs->io));
	if (rc == HUSK_OK)
		rc = dev_io(vs, true, hdr_lba(slot), 1, hdr);
	if (rc == HUSK_OK)
		rc = dev_flush(vs);
	if (rc == HUSK_OK)
		rc = record_digest(vs, vs->hdr_raw[slot]);
	return rc;
}

/* ---- API ---- */

int vstore_init(struct vstore *vs, const struct vstore_dev *dev, const void *secret, size_t secret_len,
		const void *identity, size_t identity_len, vstore_rng_fn rng, void *rng_ctx)
{
	int rc;

	if (!vs)
		return HUSK_ERR_INVAL;
	memset(vs, 0, sizeof(*vs));
	if (!dev || !dev->read || !dev->write || !dev->flush || !rng)
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "device ops and RNG are required");
	if (!secret || secret_len < VSTORE_SECRET_MIN || secret_len > VSTORE_SECRET_MAX)
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "root secret must be %u..%u bytes, not %zu",
			      VSTORE_SECRET_MIN, VSTORE_SECRET_MAX, secret_len);
	if (!identity || identity_len == 0 || identity_len > VSTORE_IDENTITY_MAX)
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "identity must be 1..%u bytes, not %zu",
			      VSTORE_IDENTITY_MAX, identity_len);
	vs->dev = *dev;
	vs->rng = rng;
	vs->rng_ctx = rng_ctx;
	memcpy(vs->secret, secret, secret_len);
	vs->secret_len = (uint32_t)secret_len;
	rc = hash_identity(vs, identity, identity_len);
	if (rc) {
		vstore_fini(vs);
		return rc;
	}
	vs->inited = true;
	return report(vs, HUSK_OK, VSTORE_R_OK, "ready (nothing read yet)");
}

void vstore_fini(struct vstore *vs)
{
	if (vs)
		mbedtls_platform_zeroize(vs, sizeof(*vs));
}

int vstore_format(struct vstore *vs, uint32_t capacity, uint64_t base_counter)
{
	struct vstore_super *sb;
	uint64_t need;
	int rc;

	if (!vs || !vs->inited)
		return HUSK_ERR_INVAL;
	vs->phase = VSTORE_UNKNOWN;
	vs->fell_back = false;
	if (capacity == 0 || capacity > VSTORE_CAPACITY_MAX)
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "capacity %u outside 1..%u", capacity,
			      VSTORE_CAPACITY_MAX);
	if (base_counter == UINT64_MAX)
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "base counter leaves no room to save");
	need = VSTORE_DEVICE_SECTORS(capacity);
	if (vs->dev.sectors < need)
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_TOO_BIG,
			      "device has %llu sectors, a store of %u bytes needs %llu",
			      (unsigned long long)vs->dev.sectors, capacity, (unsigned long long)need);

	memset(vs->sb_raw, 0, sizeof(vs->sb_raw));
	sb = (struct vstore_super *)vs->sb_raw;
	memcpy(sb->magic, VSTORE_SUPER_MAGIC, sizeof(sb->magic));
	sb->version = VSTORE_LAYOUT_VERSION;
	sb->sector_size = SECTOR;
	sb->kdf_alg = VSTORE_KDF_HKDF_SHA256;
	sb->aead_alg = VSTORE_AEAD_AES256_GCM;
	sb->mac_alg = VSTORE_MAC_HMAC_SHA256;
	sb->data_sectors = (uint32_t)VSTORE_DATA_SECTORS(capacity);
	sb->total_sectors = need;
	memcpy(sb->identity_hash, vs->identity_hash, VSTORE_ID_HASH_SIZE);
	rc = rng_fill(vs, sb->format_id, sizeof(sb->format_id));
	if (rc == HUSK_OK)
		rc = rng_fill(vs, sb->kdf_salt, sizeof(sb->kdf_salt));
	if (rc == HUSK_OK)
		rc = derive_prk(vs, sb);
	if (rc == HUSK_OK)
		rc = super_mac(vs, sb->mac);
	if (rc)
		return rc;
	vs->data_sectors = sb->data_sectors;

	/* Four steps, each durable before the next begins (a write cache may
	 * reorder writes between flushes), so that a cut anywhere leaves the
	 * old state or a device that reads as "no state yet":
	 * 1. a tombstone over the superblock: from now on the device reads as
	 *    INCOMPLETE whatever the slots hold (blanking the headers first
	 *    instead could land one blank before the other and bring back the
	 *    older of the two records);
	 * 2. blank both headers, so that old records do not sit beside the new
	 *    superblock as records it rejects ("present, unreadable");
	 * 3. the superblock (both headers blank: still INCOMPLETE);
	 * 4. the empty record in slot B: the device reads as EMPTY. */
	memset(vs->io, 0, 2 * SECTOR);
	memcpy(vs->io, VSTORE_SUPER_MAGIC, 8);
	((struct vstore_super *)vs->io)->version = VSTORE_TOMBSTONE_VERSION;
	rc = dev_io(vs, true, VSTORE_LBA_SUPER, 1, vs->io);
	if (rc == HUSK_OK)
		rc = dev_flush(vs);
	memset(vs->io, 0, 2 * SECTOR);
	if (rc == HUSK_OK)
		rc = dev_io(vs, true, VSTORE_LBA_HDR_A, 2, vs->io);
	if (rc == HUSK_OK)
		rc = dev_flush(vs);
	if (rc == HUSK_OK)
		rc = dev_io(vs, true, VSTORE_LBA_SUPER, 1, vs->sb_raw);
	if (rc == HUSK_OK)
		rc = dev_flush(vs);
	memset(vs->hdr_raw[VSTORE_SLOT_A], 0, SECTOR);
	if (rc == HUSK_OK)
		rc = write_rec(vs, VSTORE_SLOT_B, VSTORE_KIND_EMPTY, base_counter, NULL, 0);
	if (rc)
		return rc;
	vs->phase = VSTORE_READY;
	vs->cur_slot = VSTORE_SLOT_B;
	vs->counter = base_counter;
	if (vs->last_used < base_counter)
		vs->last_used = base_counter;
	return report(vs, HUSK_OK, VSTORE_R_OK, "formatted for %u bytes, counter %llu", capacity,
		      (unsigned long long)base_counter);
}

/* The device holds no state; refuse that if the caller knows it should. */
static int no_state(struct vstore *vs, enum vstore_reason r, uint64_t min_counter, const char *what)
{
	if (min_counter > 0)
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK,
			      "the device holds no state (%s) but counter %llu or later is expected: "
			      "erased or replaced",
			      what, (unsigned long long)min_counter);
	return report(vs, HUSK_ERR_NOTFOUND, r, "no state yet: %s", what);
}

int vstore_load(struct vstore *vs, uint64_t min_counter, void *out, size_t max, size_t *len,
		uint64_t *counter)
{
	const struct vstore_rec *hdr[2];
	char why[2][96];
	bool plausible[2], authentic[2] = { false, false }, tried[2] = { false, false };
	bool a_zero, b_zero, sb_zero;
	uint32_t order[2], i, chosen = 2;
	int rc;

	if (!vs || !vs->inited)
		return HUSK_ERR_INVAL;
	vs->phase = VSTORE_UNKNOWN;
	vs->fell_back = false;
	if (!len || !counter || (!out && max))
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "load: missing output argument");
	*len = 0;
	*counter = 0;
	if (vs->dev.sectors < VSTORE_LBA_DATA)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_TRUNCATED,
			      "device has %llu sectors; a store needs at least %llu",
			      (unsigned long long)vs->dev.sectors,
			      (unsigned long long)VSTORE_DEVICE_SECTORS(1));

	/* One read of LBAs 0-2, then only the copies are looked at. */
	rc = dev_io(vs, false, VSTORE_LBA_SUPER, 3, vs->io);
	if (rc)
		return rc;
	memcpy(vs->sb_raw, vs->io, SECTOR);
	memcpy(vs->hdr_raw[VSTORE_SLOT_A], vs->io + SECTOR, SECTOR);
	memcpy(vs->hdr_raw[VSTORE_SLOT_B], vs->io + 2 * SECTOR, SECTOR);
	sb_zero = all_zero(vs->sb_raw, SECTOR);
	a_zero = all_zero(vs->hdr_raw[VSTORE_SLOT_A], SECTOR);
	b_zero = all_zero(vs->hdr_raw[VSTORE_SLOT_B], SECTOR);

	/* A tombstone: a format began and did not finish (see vstore_format).
	 * Torn over the old superblock it is one or the other: they share the
	 * magic and differ first in the byte that tells them apart. */
	if (is_tombstone(vs->sb_raw))
		return no_state(vs, VSTORE_R_INCOMPLETE, min_counter, "a format was interrupted");
	/* Both headers blank: no record was ever completed here (a save or
	 * format writes a header last, and nothing but format blanks one). */
	if (a_zero && b_zero) {
		if (sb_zero)
			return no_state(vs, VSTORE_R_BLANK, min_counter, "the device is blank");
		if (magic_then_zero(vs->sb_raw) || memcmp(vs->sb_raw, VSTORE_SUPER_MAGIC, 8) == 0)
			return no_state(vs, VSTORE_R_INCOMPLETE, min_counter,
					"a format was interrupted before its first record");
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_NOT_VSTORE,
			      "LBA 0 holds something that is not a vstore superblock: refusing to use "
			      "this device");
	}
	if (sb_zero)
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT,
			      "the superblock is erased but slot headers are not: state present, unreadable");
	rc = check_super(vs);
	if (rc)
		return rc;

	for (i = 0; i < 2; i++) {
		hdr[i] = (const struct vstore_rec *)vs->hdr_raw[i];
		plausible[i] = check_rec(vs, i, hdr[i], why[i], sizeof(why[i]));
	}
	/* Newest first, by the counter each header claims (A first on a tie). */
	order[0] = VSTORE_SLOT_A;
	order[1] = VSTORE_SLOT_B;
	if (plausible[1] && (!plausible[0] || hdr[1]->counter > hdr[0]->counter)) {
		order[0] = VSTORE_SLOT_B;
		order[1] = VSTORE_SLOT_A;
	}
	for (i = 0; i < 2 && chosen == 2; i++) {
		uint32_t s = order[i];
		bool fits = hdr[s]->blob_len <= max;

		if (!plausible[s])
			continue;
		rc = open_rec(vs, s, fits ? out : NULL, &authentic[s]);
		tried[s] = true;
		if (rc)
			return rc;
		if (authentic[s]) {
			chosen = s;
			continue;
		}
		fmt_snprintf(why[s], sizeof(why[s]), "counter %llu does not authenticate (torn write, "
			     "tampering, or another key)", (unsigned long long)hdr[s]->counter);
	}
	if (chosen == 2) {
		/* Slot A blank: no save ever completed a header there, so at most
		 * the format's empty record (in B) existed, and its write was cut. */
		if (a_zero)
			return no_state(vs, VSTORE_R_INCOMPLETE, min_counter,
					"a format was interrupted while writing its record");
		return report(vs, HUSK_ERR_FORMAT, VSTORE_R_NO_RECORD,
			      "state present but unreadable: slot A: %s; slot B: %s", why[0], why[1]);
	}
	/* Two authentic records with one counter: two histories were forked
	 * from one state (a clone, or a replayed image saved on). */
	if (plausible[chosen ^ 1] && !tried[chosen ^ 1] && hdr[chosen ^ 1]->counter == hdr[chosen]->counter) {
		rc = open_rec(vs, chosen ^ 1, NULL, &authentic[chosen ^ 1]);
		tried[chosen ^ 1] = true;
		if (rc == HUSK_OK && authentic[chosen ^ 1])
			rc = report(vs, HUSK_ERR_FORMAT, VSTORE_R_FORK,
				    "both slots hold authentic records with counter %llu: forked history",
				    (unsigned long long)hdr[chosen]->counter);
		if (rc) {
			if (out && hdr[chosen]->blob_len <= max)
				mbedtls_platform_zeroize(out, hdr[chosen]->blob_len);
			return rc;
		}
	}
	if (hdr[chosen]->counter < min_counter) {
		if (out && hdr[chosen]->blob_len <= max)
			mbedtls_platform_zeroize(out, hdr[chosen]->blob_len);
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK,
			      "rolled back: the newest authentic record has counter %llu, counter %llu or "
			      "later is expected",
			      (unsigned long long)hdr[chosen]->counter, (unsigned long long)min_counter);
	}
	if (hdr[chosen]->blob_len > max)
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_TOO_BIG,
			      "the state is %u bytes, the buffer %zu", hdr[chosen]->blob_len, max);
	rc = record_digest(vs, vs->hdr_raw[chosen]);
	if (rc) {
		if (out)
			mbedtls_platform_zeroize(out, hdr[chosen]->blob_len);
		return rc;
	}

	vs->fell_back = !all_zero(vs->hdr_raw[chosen ^ 1], SECTOR) &&
			(!plausible[chosen ^ 1] || (tried[chosen ^ 1] && !authentic[chosen ^ 1]));
	vs->phase = VSTORE_READY;
	vs->cur_slot = chosen;
	vs->counter = hdr[chosen]->counter;
	if (vs->last_used < vs->counter)
		vs->last_used = vs->counter;
	*counter = vs->counter;
	if (hdr[chosen]->kind == VSTORE_KIND_EMPTY)
		return report(vs, HUSK_ERR_NOTFOUND, VSTORE_R_EMPTY,
			      "no state yet: formatted, nothing saved (counter %llu)%s",
			      (unsigned long long)vs->counter,
			      vs->fell_back ? "; the other slot is damaged" : "");
	*len = hdr[chosen]->blob_len;
	if (vs->fell_back)
		return report(vs, HUSK_OK, VSTORE_R_OK,
			      "loaded counter %llu from slot %c; slot %c: %s",
			      (unsigned long long)vs->counter, slot_name(chosen), slot_name(chosen ^ 1),
			      why[chosen ^ 1]);
	return report(vs, HUSK_OK, VSTORE_R_OK, "loaded counter %llu from slot %c",
		      (unsigned long long)vs->counter, slot_name(chosen));
}

int vstore_save(struct vstore *vs, const void *blob, size_t len, uint64_t *new_counter)
{
	uint64_t next;
	uint32_t target;
	int rc;

	if (!vs || !vs->inited)
		return HUSK_ERR_INVAL;
	if (!new_counter || (!blob && len))
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS, "save: missing argument");
	if (vs->phase != VSTORE_READY)
		return report(vs, HUSK_ERR_INVAL, VSTORE_R_ARGS,
			      "save refused: no state was loaded from this device and it was not formatted");
	if (len > (uint64_t)vs->data_sectors * SECTOR)
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_TOO_BIG,
			      "state of %zu bytes exceeds capacity %llu", len,
			      (unsigned long long)vs->data_sectors * SECTOR);
	next = HUSK_MAX(vs->counter, vs->last_used);
	if (next == UINT64_MAX)
		return report(vs, HUSK_ERR_RANGE, VSTORE_R_TOO_BIG, "version counter exhausted");
	next++;
	/* Consumed even if the save fails, so that a retry writes a higher
	 * counter than anything that may have reached the device. */
	vs->last_used = next;
	vs->fell_back = false;
	/* Never the slot holding the newest record: it is what survives a cut. */
	target = vs->cur_slot ^ 1;
	rc = write_rec(vs, target, VSTORE_KIND_STATE, next, blob, (uint32_t)len);
	if (rc)
		return rc;
	vs->cur_slot = target;
	vs->counter = next;
	*new_counter = next;
	return report(vs, HUSK_OK, VSTORE_R_OK, "saved %zu bytes as counter %llu in slot %c", len,
		      (unsigned long long)next, slot_name(target));
}

enum vstore_reason vstore_reason(const struct vstore *vs)
{
	return vs ? vs->reason : VSTORE_R_ARGS;
}

const char *vstore_message(const struct vstore *vs)
{
	if (!vs || !vs->msg[0])
		return "(no message)";
	return vs->msg;
}

const char *vstore_reason_name(enum vstore_reason r)
{
	if ((unsigned int)r >= VSTORE_R__COUNT)
		return "unknown";
	return reason_names[r];
}

bool vstore_fell_back(const struct vstore *vs)
{
	return vs && vs->fell_back;
}

int vstore_record_digest(const struct vstore *vs, uint8_t out[32])
{
	if (!vs || !out || vs->phase != VSTORE_READY)
		return HUSK_ERR_INVAL;
	memcpy(out, vs->digest, sizeof(vs->digest));
	return HUSK_OK;
}
