/* The on-disk layout of vstore, husk's encrypted store for the vTPM state on an
 * untrusted block device: sector map, superblock and record header, byte for
 * byte.  Everything here is read from a device the host controls, so nothing
 * in it is trusted until it has been validated and authenticated
 * (lib/vstore/vstore.c); docs/storage.md explains why it is laid out so.
 *
 * Sectors are 512 bytes.  D = data_sectors (fixed at format time):
 *
 *   LBA 0              superblock (struct vstore_super)
 *   LBA 1              record header of slot A (struct vstore_rec)
 *   LBA 2              record header of slot B
 *   LBA 3 .. 3+D-1     ciphertext of slot A
 *   LBA 3+D .. 3+2D-1  ciphertext of slot B
 *
 * The two headers sit at fixed places, whatever the geometry, so that a
 * reader can tell a blank or half-formatted device from one that holds state
 * without trusting anything on it.
 *
 * All integers are little-endian.  Reserved bytes must be zero.  A record's
 * ciphertext fills ceil(blob_len / 512) sectors from the start of its slot's
 * data area; the rest of the last sector must be zero; the sectors after it
 * are left as they were and never read. */
#ifndef HUSK_VSTORE_LAYOUT_H
#define HUSK_VSTORE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vstore: the on-disk integers are little-endian and read in place"
#endif

#define VSTORE_SECTOR_SIZE 512u
#define VSTORE_LAYOUT_VERSION 1u

#define VSTORE_LBA_SUPER 0u
#define VSTORE_LBA_HDR_A 1u
#define VSTORE_LBA_HDR_B 2u
#define VSTORE_LBA_DATA 3u /* first data sector of slot A */

/* Sectors a device needs for a store of `cap` bytes of capacity. */
#define VSTORE_DATA_SECTORS(cap) (((uint64_t)(cap) + VSTORE_SECTOR_SIZE - 1) / VSTORE_SECTOR_SIZE)
#define VSTORE_DEVICE_SECTORS(cap) (VSTORE_LBA_DATA + 2 * VSTORE_DATA_SECTORS(cap))

#define VSTORE_SUPER_MAGIC "HUSKVSUP" /* 8 bytes, no NUL */
#define VSTORE_REC_MAGIC "HUSKVREC"

/* Algorithm identifiers: recorded in the superblock and in every record,
 * covered by the superblock's MAC and every record's GCM tag, and mixed into
 * every key derivation, so that an altered identifier gives other keys and
 * fails authentication instead of selecting a weaker algorithm.  Version 1
 * knows exactly one value of each; anything else is refused. */
#define VSTORE_KDF_HKDF_SHA256 1u  /* HKDF (RFC 5869) with SHA-256 */
#define VSTORE_AEAD_AES256_GCM 1u  /* AES-256-GCM, 96-bit IV, 128-bit tag */
#define VSTORE_MAC_HMAC_SHA256 1u  /* HMAC-SHA-256, 256-bit tag */

#define VSTORE_ID_HASH_SIZE 32u /* SHA-256 */
#define VSTORE_FORMAT_ID_SIZE 16u
#define VSTORE_SALT_SIZE 32u
#define VSTORE_KEY_NONCE_SIZE 32u
#define VSTORE_IV_SIZE 12u
#define VSTORE_TAG_SIZE 16u
#define VSTORE_MAC_SIZE 32u

/* LBA 0.  Written by vstore_format only, never by a save.  Authenticated by
 * `mac` = HMAC-SHA-256(K_mac, bytes 0..479), K_mac derived from the root
 * secret, kdf_salt, the algorithm identifiers and the identity hash.
 *
 * A superblock with the right magic whose first version byte is
 * VSTORE_TOMBSTONE_VERSION is a tombstone: format's first write, meaning "a
 * format is under way, the device holds no state"; its other bytes mean
 * nothing.  One byte, so that a tombstone torn over a superblock reads as
 * one or the other; 0xfe, eight bit flips away from version 1, so that a
 * damaged superblock does not read as "no state". */
struct vstore_super {
	char magic[8];          /*   0 VSTORE_SUPER_MAGIC */
	uint32_t version;       /*   8 VSTORE_LAYOUT_VERSION */
	uint32_t sector_size;   /*  12 VSTORE_SECTOR_SIZE */
	uint16_t kdf_alg;       /*  16 VSTORE_KDF_* */
	uint16_t aead_alg;      /*  18 VSTORE_AEAD_* */
	uint16_t mac_alg;       /*  20 VSTORE_MAC_* */
	uint16_t reserved0;     /*  22 */
	uint32_t data_sectors;  /*  24 D: ciphertext sectors per slot */
	uint32_t reserved1;     /*  28 */
	uint64_t total_sectors; /*  32 3 + 2D: sectors the layout uses */
	uint8_t format_id[VSTORE_FORMAT_ID_SIZE];     /*  40 random, new at every format */
	uint8_t kdf_salt[VSTORE_SALT_SIZE];           /*  56 random, new at every format */
	uint8_t identity_hash[VSTORE_ID_HASH_SIZE];   /*  88 SHA-256("husk vstore identity v1" 0 identity) */
	uint8_t reserved2[360];                       /* 120 */
	uint8_t mac[VSTORE_MAC_SIZE];                 /* 480 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct vstore_super) == VSTORE_SECTOR_SIZE, "superblock is one sector");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, data_sectors) == 24, "superblock layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, total_sectors) == 32, "superblock layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, format_id) == 40, "superblock layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, kdf_salt) == 56, "superblock layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, identity_hash) == 88, "superblock layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, reserved2) == 120, "superblock layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_super, mac) == 480, "superblock layout");
#define VSTORE_TOMBSTONE_VERSION 0xfeu
#define VSTORE_SUPER_MACED offsetof(struct vstore_super, mac) /* bytes the MAC covers */

/* Record kinds. */
#define VSTORE_KIND_EMPTY 1u /* written by format: "no state yet", blob_len 0 */
#define VSTORE_KIND_STATE 2u /* a TPM state blob */

#define VSTORE_SLOT_A 0u
#define VSTORE_SLOT_B 1u

/* LBA 1 (slot A) or LBA 2 (slot B): one record, i.e. one saved state.
 * The AES-256-GCM tag authenticates, as additional data, bytes 0..495 of
 * this header followed by all 512 bytes of the superblock, and the
 * ciphertext.  The key is derived from the root secret (through the
 * superblock's kdf_salt), the algorithm identifiers, the identity hash, the
 * format id and key_nonce: a new key for every record. */
struct vstore_rec {
	char magic[8];          /*   0 VSTORE_REC_MAGIC */
	uint32_t version;       /*   8 VSTORE_LAYOUT_VERSION */
	uint8_t slot;           /*  12 VSTORE_SLOT_A/B: where this record was written */
	uint8_t kind;           /*  13 VSTORE_KIND_* */
	uint16_t reserved0;     /*  14 */
	uint16_t kdf_alg;       /*  16 as in the superblock */
	uint16_t aead_alg;      /*  18 */
	uint16_t mac_alg;       /*  20 */
	uint16_t reserved1;     /*  22 */
	uint64_t counter;       /*  24 version counter: +1 (at least) at every save */
	uint32_t blob_len;      /*  32 plaintext bytes = ciphertext bytes */
	uint32_t blob_sectors;  /*  36 ceil(blob_len / 512) */
	uint8_t format_id[VSTORE_FORMAT_ID_SIZE];     /*  40 as in the superblock */
	uint8_t identity_hash[VSTORE_ID_HASH_SIZE];   /*  56 as in the superblock */
	uint8_t key_nonce[VSTORE_KEY_NONCE_SIZE];     /*  88 random, enters the key */
	uint8_t iv[VSTORE_IV_SIZE];                   /* 120 random GCM IV */
	uint8_t reserved2[364];                       /* 132 */
	uint8_t tag[VSTORE_TAG_SIZE];                 /* 496 GCM tag */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct vstore_rec) == VSTORE_SECTOR_SIZE, "record header is one sector");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, counter) == 24, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, blob_len) == 32, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, format_id) == 40, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, identity_hash) == 56, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, key_nonce) == 88, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, iv) == 120, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, reserved2) == 132, "record layout");
HUSK_STATIC_ASSERT(offsetof(struct vstore_rec, tag) == 496, "record layout");
#define VSTORE_REC_AAD offsetof(struct vstore_rec, tag) /* header bytes in the AAD */

#endif
