/* vstore: the vTPM state, encrypted and authenticated, on a block device the
 * host controls.
 *
 * The TPM engine's state blob (opaque bytes) is sealed with AES-256-GCM under
 * keys derived (HKDF-SHA-256) from a root secret the KBS released, bound to
 * an identity the caller names, and written to one of two slots so that a
 * power cut at any point of a save leaves the old or the new state loadable.
 * Every record carries a 64-bit version counter inside the authenticated data.
 * Layout: vstore_layout.h.  Threat model, atomicity argument and the rollback
 * threat that remains: docs/storage.md.
 *
 * Portable (kernel freestanding and hosted).  No allocation of its own: the
 * caller owns struct vstore (about 10 KiB: keep it off small stacks).  mbedTLS
 * allocates through crypto_init's allocator for HKDF/HMAC/GCM contexts.  Not
 * thread-safe: one caller at a time per struct vstore.
 *
 * How a caller uses it (husk's storage service):
 *
 *   vstore_init(&vs, &dev, secret, identity, rng)
 *   rc = vstore_load(&vs, min_counter, buf, max, &len, &counter)
 *     HUSK_OK            -> tpm_state_load(buf, len); remember counter
 *     HUSK_ERR_NOTFOUND  -> no state yet: manufacture a new vTPM;
 *                           reason BLANK or INCOMPLETE: vstore_format() first;
 *                           reason EMPTY: already formatted, save directly
 *     anything else      -> state present but not acceptable (unreadable,
 *                           another key or identity, rolled back, device
 *                           error): do NOT format or save; report
 *                           vstore_message() and let the operator decide.
 *                           vstore_save refuses until a load succeeds or the
 *                           caller formats explicitly.
 *   after every TPM NV change: vstore_save(&vs, blob, len, &counter)
 *   vstore_fini(&vs)  wipes the secret and keys.
 *
 * min_counter: the lowest counter the caller will accept (0: no knowledge).
 * vstore itself cannot stop a host that replays a whole older device image
 * (see docs/storage.md); a caller that remembers the last counter elsewhere
 * (KBS, ledger) passes it here and an older image is refused. */
#ifndef HUSK_VSTORE_H
#define HUSK_VSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vstore/vstore_layout.h"

/* A block device of 512-byte sectors.  Each op returns 0 or a husk_err code
 * (vstore reports any failure as HUSK_ERR_IO).  vstore never asks for a
 * sector at or beyond `sectors`, nor for count 0.  write() need not be
 * durable until flush() returns 0; sectors written before a flush may reach
 * the medium in any order, a sector may be torn by a power cut. */
struct vstore_dev {
	int (*read)(void *ctx, uint64_t lba, uint32_t count, void *buf);
	int (*write)(void *ctx, uint64_t lba, uint32_t count, const void *buf);
	int (*flush)(void *ctx);
	uint64_t sectors; /* device size, in sectors */
	void *ctx;
};

/* Fills buf with len random bytes (IVs, nonces, salts); 0 or a husk_err. */
typedef int (*vstore_rng_fn)(void *ctx, uint8_t *buf, size_t len);

#define VSTORE_SECRET_MIN 32u   /* bytes of root secret: 256 bits at least */
#define VSTORE_SECRET_MAX 128u
#define VSTORE_IDENTITY_MAX 1024u
#define VSTORE_CAPACITY_MAX (16u << 20) /* largest blob a store can be formatted for */
#define VSTORE_IO_SECTORS 16u /* sectors per device request */
#define VSTORE_MSG_MAX 200u

/* Why the last operation ended as it did (vstore_reason). */
enum vstore_reason {
	VSTORE_R_OK = 0,
	/* HUSK_ERR_NOTFOUND: no state yet. */
	VSTORE_R_BLANK,         /* never formatted (LBAs 0-2 are zero) */
	VSTORE_R_INCOMPLETE,    /* a format was interrupted (the old state is gone) */
	VSTORE_R_EMPTY,         /* formatted, nothing saved since */
	/* State present but not acceptable. */
	VSTORE_R_IO,            /* HUSK_ERR_IO: the device failed */
	VSTORE_R_TRUNCATED,     /* HUSK_ERR_FORMAT: the device is shorter than its layout */
	VSTORE_R_NOT_VSTORE,    /* HUSK_ERR_FORMAT: LBA 0 holds something else */
	VSTORE_R_UNSUPPORTED,   /* HUSK_ERR_UNSUPPORTED: other layout version or algorithms */
	VSTORE_R_CORRUPT,       /* HUSK_ERR_FORMAT: superblock malformed or erased */
	VSTORE_R_IDENTITY,      /* HUSK_ERR_FORMAT: formatted for another identity */
	VSTORE_R_KEY,           /* HUSK_ERR_FORMAT: superblock fails its MAC: another key, or altered */
	VSTORE_R_NO_RECORD,     /* HUSK_ERR_FORMAT: no slot holds an authentic record */
	VSTORE_R_FORK,          /* HUSK_ERR_FORMAT: two authentic records with one counter */
	VSTORE_R_ROLLBACK,      /* HUSK_ERR_RANGE: newest authentic record is older than min_counter */
	/* Caller or environment. */
	VSTORE_R_TOO_BIG,       /* HUSK_ERR_RANGE: blob larger than the buffer or the capacity */
	VSTORE_R_ARGS,          /* HUSK_ERR_INVAL: bad argument, or save before load/format */
	VSTORE_R_RNG,           /* the RNG callback failed (its code) */
	VSTORE_R_CRYPTO,        /* HUSK_ERR_CRYPTO/NOMEM: mbedTLS failed */
	VSTORE_R__COUNT
};

enum vstore_phase {
	VSTORE_UNKNOWN = 0, /* nothing loaded: save refused */
	VSTORE_READY,       /* a record (or format) is known: save allowed */
};

struct vstore {
	/* Set by vstore_init. */
	struct vstore_dev dev;
	vstore_rng_fn rng;
	void *rng_ctx;
	uint8_t secret[VSTORE_SECRET_MAX];
	uint32_t secret_len;
	uint8_t identity_hash[VSTORE_ID_HASH_SIZE];
	bool inited;

	/* Known after a successful load or format. */
	enum vstore_phase phase;
	uint8_t sb_raw[VSTORE_SECTOR_SIZE]; /* the superblock, as validated */
	uint8_t hdr_raw[2][VSTORE_SECTOR_SIZE]; /* record headers of slots A and B */
	uint8_t prk[32];                    /* HKDF-Extract(kdf_salt, secret) */
	uint32_t data_sectors;
	uint32_t cur_slot;      /* slot of the newest authentic record */
	uint64_t counter;       /* its counter */
	uint64_t last_used;     /* highest counter written or attempted */
	uint8_t digest[32];     /* SHA-256 of its header sector */
	bool fell_back;         /* load: the other slot holds a damaged record */

	enum vstore_reason reason;
	char msg[VSTORE_MSG_MAX];

	/* Scratch: one device request; holds plaintext while in use, wiped after. */
	uint8_t io[VSTORE_IO_SECTORS * VSTORE_SECTOR_SIZE + 16];
};

/* Binds vs to a device, a root secret (VSTORE_SECRET_MIN..MAX bytes, copied),
 * an identity (1..VSTORE_IDENTITY_MAX bytes, only its hash is kept) and an
 * RNG.  Reads nothing.  HUSK_ERR_INVAL for bad arguments. */
int vstore_init(struct vstore *vs, const struct vstore_dev *dev, const void *secret,
		size_t secret_len, const void *identity, size_t identity_len, vstore_rng_fn rng,
		void *rng_ctx);

/* Wipes the secret, keys and buffers.  Safe on a zeroed struct. */
void vstore_fini(struct vstore *vs);

/* Destroys whatever the device held and lays out an empty store for blobs of
 * up to `capacity` bytes (1..VSTORE_CAPACITY_MAX; the device needs
 * VSTORE_DEVICE_SECTORS(capacity) sectors).  Counters continue from
 * base_counter: the empty record gets base_counter, the first save
 * base_counter + 1 (pass the last counter the KBS/ledger knows so that
 * counters never go back).  Only on the caller's explicit decision: never to
 * "repair" a device whose load failed for another reason than
 * HUSK_ERR_NOTFOUND.  A cut or failure part-way leaves the old state or a
 * device that loads as "no state yet" (INCOMPLETE); format again. */
int vstore_format(struct vstore *vs, uint32_t capacity, uint64_t base_counter);

/* Reads the device, picks the authentic record with the highest counter and
 * decrypts its blob into out[0..max).  On HUSK_OK *len and *counter say what
 * was loaded.  HUSK_ERR_NOTFOUND: no state yet (vstore_reason says which
 * case; *counter is the formatted store's counter for EMPTY, else 0).  Any
 * other code: refused, see vstore_reason/vstore_message; out holds nothing. */
int vstore_load(struct vstore *vs, uint64_t min_counter, void *out, size_t max, size_t *len,
		uint64_t *counter);

/* Writes blob as a new record into the slot that does not hold the newest
 * record, then flushes.  Needs a load that returned HUSK_OK or NOTFOUND/EMPTY,
 * or a format, before (HUSK_ERR_INVAL otherwise).  On HUSK_OK the state is
 * durable and *new_counter is its counter (greater than every counter this
 * vs has written or loaded).  On failure the device still loads the previous
 * state or (if the failure hit the final flush) possibly the new one; a
 * retry is safe. */
int vstore_save(struct vstore *vs, const void *blob, size_t len, uint64_t *new_counter);

enum vstore_reason vstore_reason(const struct vstore *vs);
/* A sentence for the log about the last operation (never NULL). */
const char *vstore_message(const struct vstore *vs);
const char *vstore_reason_name(enum vstore_reason r);
/* True if, at the last load, the slot not chosen was not blank and held no
 * record older than the chosen one that passed the structural checks: it was
 * torn by a cut save, or tampered with.  In particular, if its header claimed
 * a higher counter and failed authentication, load returned an older state
 * than the newest one written, which is right after a cut save and a rollback
 * by one save if the host did it.  The caller may log it; only min_counter
 * can refuse it (docs/storage.md). */
bool vstore_fell_back(const struct vstore *vs);
/* SHA-256 of the current record's header sector (which holds its counter and
 * GCM tag): names the exact state, e.g. for a remote ledger.  HUSK_ERR_INVAL
 * unless a load/format/save succeeded. */
int vstore_record_digest(const struct vstore *vs, uint8_t out[32]);

#endif
