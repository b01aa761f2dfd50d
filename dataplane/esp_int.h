/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside ESP: the device and SA objects that esp_setup.c (set-up, SAs) and esp.c (bursts) share.
 * esp.c's opening comment says what the library does for us and what we do about it.
 */
#ifndef SPG_ESP_INT_H
#define SPG_ESP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_crypto.h>
#include <rte_ipsec.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "esp.h"

#define ESP_BURST_MAX 64
#define ESP_ICV_LEN 16
#define ESP_IV_LEN 8		/* on the wire */
#define ESP_NONCE_LEN 12	/* salt + IV */
#define ESP_AAD_LEN_ESN 12	/* SPI, sequence high, sequence low (RFC 4106 section 5) */
#define ESP_PAD_ALIGN 4
#define ESP_TRAILER_MIN 2	/* pad length, next header */
/* What the library parks behind the ICV while the op is in flight: the ESN high half, and its
 * AAD scratch (struct aead_gcm_aad, 16 bytes with its padding). */
#define ESP_LIB_SCRATCH (4 + 16)
#define ESP_OUTER_TTL 64

/* librte_ipsec refuses more than 2^21; the arithmetic here is safe far beyond this */
#define ESP_REPLAY_WINDOW_MAX (1u << 20)
#define ESP_QP_DESCRIPTORS 256
#define ESP_OPS_PER_QP 256
#define ESP_OP_CACHE 32
#define ESP_DEQUEUE_SPINS (1u << 20)
#define SA_FREE_END UINT32_MAX
/* The session pool's size when no SA needs a cryptodev session (both directions native). */
#define ESP_TOKEN_SESSIONS 64

/* A crypto op is rte_crypto_op, rte_crypto_sym_op, then our private area: the GCM counter
 * block the library fills (salt, IV, counter: 16 bytes), then the packet's index in the burst. */
#define ESP_OP_IV_OFS (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define ESP_OP_TAG_OFS (ESP_OP_IV_OFS + 16)
#define ESP_OP_PRIV_SIZE 32

/* Payload lengths in 16-byte blocks whose key schedule lines esp_key_lines.c learns; longer
 * payloads read the whole key schedule (48 blocks reach H^48, the last power kept). */
#define ESP_KEY_LINE_CLASSES 49

/* The most lines of a crypto session prefetched per packet. */
#define CRYPTO_PREFETCH_LINES_MAX 32

/* Replay bitmaps of up to this many words (windows up to 192) live in the SA's first line. */
#define SA_INLINE_WORDS 4

struct spg_esp {
	struct rte_mempool *op_pool; /* lookaside only */
	struct rte_mempool *sess_pool;
	/* SAs: one preallocated array and a stack of the free ones, linked through their own
	 * first bytes (a mempool would add a 64-byte header to every object, an array of free
	 * indexes 4 bytes). Taken and given back by the control thread; the lock only guards
	 * against a second one. */
	uint8_t *sa_mem;
	uint32_t sa_free_head; /* index of the first free SA, SA_FREE_END when none */
	uint32_t n_sa_free;
	uint32_t max_sas;
	uint32_t sa_size;      /* bytes per SA in sa_mem, a multiple of the cache line */
	rte_spinlock_t sa_lock;
	uint32_t sa_lib_size;  /* bytes an rte_ipsec_sa of either direction needs */
	uint32_t replay_words; /* our bitmap's 64-bit words, a power of 2 */
	uint32_t replay_window;
	uint32_t lib_window;
	uint32_t local_addr;
	uint16_t udp_port;
	uint8_t key_len;
	uint8_t dev_id;
	bool cpu_crypto;  /* RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO rather than lookaside */
	bool dev_created; /* we plugged it in, so we remove it */
	bool dev_started;
	/* Outbound SAs are framed and encrypted by esp_native.c (intel-ipsec-mb's AES-GCM, no
	 * librte_ipsec, no cryptodev session): CPU crypto on crypto_aesni_mb only. */
	bool native_out;
	/* Inbound SAs likewise decrypted by esp_native_in.c (same conditions). */
	bool native_in;
	void *imb_mgr;		/* IMB_MGR, read only after set-up: its GCM function pointers */
	uint8_t *gcm_keys;	/* max_sas struct gcm_key_data, by SA index */
	/* The lines of a key schedule an AES-GCM call on a payload of b blocks reads, bit l for
	 * line l: key_lines[0] encrypting, [1] decrypting; key_lines_all past the classes
	 * (esp_key_lines.c) */
	uint32_t key_lines[2][ESP_KEY_LINE_CLASSES];
	uint32_t key_lines_all;
	uint32_t gcm_key_size;
	char dev_name[RTE_CRYPTODEV_NAME_MAX_LEN];
};

/*
 * 512 bytes with the default windows: our line, the library's session line, then its SA.
 * Workers read the first two lines and the rte_ipsec_sa's first ones for every group.
 */
struct spg_sa {
	union {
		/* free (in the array's free stack): the index of the next free SA */
		uint32_t next_free;
		/* inbound: the anti-replay window's highest sequence number accepted; written
		 * under lock */
		uint64_t top;
		/* native outbound (esp_native.c): the last sequence number handed out, atomic */
		uint64_t sqn;
	};
	uint16_t seen_ofs;   /* from the SA's start to its RFC 6479 bitmap, replay_mask + 1 words:
			      * seen_inline, or after lib_sa for windows too wide for it */
	uint16_t replay_mask; /* windows up to ESP_REPLAY_WINDOW_MAX: 2^15 words at most */
	/* inbound: held by a worker while it records sequence numbers in both windows (ours and,
	 * in rte_ipsec_pkt_process, the library's), so two workers that got copies of one packet
	 * (RSS spreads an SP site's ports over the queues) cannot both accept it */
	rte_spinlock_t lock;
	uint32_t window;     /* what we accept: top - window + 1 .. top */
	uint32_t lib_window; /* what the library (and ESN reconstruction) uses, >= window */
	uint32_t spi;	     /* network order */
	bool outbound;
	bool in_use;
	uint8_t crypto_lines; /* librte_ipsec path: cache lines of its crypto session, all read by every packet's crypto */
	bool native;	      /* through esp_native.c / esp_native_in.c: ss and lib_sa unused */
	union {
		uint64_t seen_inline[SA_INLINE_WORDS];
		/* native outbound: intel-ipsec-mb's expanded keys (a struct gcm_key_data in
		 * spg_esp.gcm_keys) and the salt, as it lies in the nonce */
		struct {
			const void *gcm_key;
			uint8_t salt[4];
			uint32_t src_addr; /* the outer source (network order) */
		} nat;
	};
	union {
		/* Its address is the lookaside crypto session's opaque data: groups come back by it. */
		struct rte_ipsec_session ss;
		/* native inbound (esp_native_in.c): the first line holds the replay window, so
		 * the expanded keys and the salt are here, in the line the library's session
		 * would take */
		struct {
			const void *gcm_key;
			uint8_t salt[4];
		} nin;
	};
	uint8_t lib_sa[] __rte_cache_aligned; /* struct rte_ipsec_sa, sa_lib_size bytes */
};

static inline struct rte_ipsec_sa *sa_lib(struct spg_sa *s)
{
	return (struct rte_ipsec_sa *)s->lib_sa;
}

static inline struct spg_sa *sa_of_session(const struct rte_ipsec_session *ss)
{
	return container_of(ss, struct spg_sa, ss);
}

static inline uint64_t *sa_seen(const struct spg_sa *s)
{
	return (uint64_t *)((uintptr_t)s + s->seen_ofs);
}

static inline struct spg_sa *sa_at(const struct spg_esp *esp, uint32_t i)
{
	return (struct spg_sa *)(esp->sa_mem + (size_t)i * esp->sa_size);
}

static inline uint32_t sa_index(const struct spg_esp *esp, const struct spg_sa *s)
{
	return (uint32_t)(((const uint8_t *)s - esp->sa_mem) / esp->sa_size);
}

/* esp_native.c */
int esp_native_open(struct spg_esp *esp, const struct spg_esp_config *cfg);
void esp_native_close(struct spg_esp *esp);
/* After esp_native_open set imb_mgr and key_len: fills key_lines (esp_key_lines.c). */
void esp_key_lines_learn(struct spg_esp *esp);
/* Asks for the lines of native SA sa's key schedule that a payload of up to len bytes needs. */
void esp_key_lines_prefetch(const struct spg_esp *esp, const struct spg_sa *sa, uint32_t len);
void esp_native_sa_init(struct spg_esp *esp, struct spg_sa *s, const struct spg_dp_sa_keys *keys, uint32_t src_addr);
void esp_native_sa_init_in(struct spg_esp *esp, struct spg_sa *s, const struct spg_dp_sa_keys *keys);
void esp_native_sa_release(struct spg_esp *esp, struct spg_sa *s);
uint16_t esp_native_outbound(struct spg_esp *esp, struct rte_mbuf *mb[], struct spg_sa *sa[], void *ctx[],
			     uint16_t n, uint8_t reason[]);
/* esp_native_in.c */
uint16_t esp_native_inbound(struct spg_esp *esp, struct rte_mbuf *mb[], struct spg_sa *sa[], void *ctx[],
			    uint16_t n, uint8_t reason[], bool newest[]);

static inline uint16_t *op_tag(struct rte_crypto_op *op)
{
	return rte_crypto_op_ctod_offset(op, uint16_t *, ESP_OP_TAG_OFS);
}

#endif
