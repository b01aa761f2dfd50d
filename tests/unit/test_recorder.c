/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session recording (issue 15) on a dataplane built by hand: the real outbound burst with a
 * recorded session, a recorder with a tiny ring, SESSION_RECORD through the control handler.
 * A full ring drops copies and never packets; the file carries the section header comment
 * and the packets with wall-clock times; start refuses what it must (ENOENT, EEXIST, EBUSY,
 * EACCES, EINVAL); SESSION_DEL closes the recording; a write error fails it (ENOSPC).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>

#include "ctl_server.h"
#include "dp.h"
#include "dp_msg_fixture.h"
#include "dp_world.h"
#include "recorder.h"
#include "unit.h"
#include "worker.h"

#define RING_SIZE 4 /* holds 3 copies */
#define MARK "SPGATE-REC-UNIT-MARK"

static struct spg_dp dp;
static struct spg_worker *w;
static struct rte_mempool *pkt_pool;
static bool ready;
static char dir[64];
static uint8_t rep_buf[SPG_DP_MSG_MAX];
static const struct rte_ether_addr vendor_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct rte_ether_addr ws_mac = {{0x02, 0, 0, 0, 0, 0x0a}};

static bool setup_dp(void)
{
	struct dp_world_cfg c = {
		.max_sessions = 4, .max_sas = 16, .vendor_mac = vendor_mac, .sp_mac = {{0x02, 0, 0, 0, 0, 0x02}},
	};
	struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 0x07}};
	uint16_t port_id;

	/* A null port, so the file has an interface block for the copies to refer to. */
	if (rte_eal_hotplug_add("vdev", "net_null0", "") != 0 || rte_eth_dev_get_port_by_name("net_null0", &port_id) != 0) {
		fprintf(stderr, "test_recorder: no net_null0 port\n");
		return false;
	}
	c.vendor_port_id = c.sp_port_id = port_id;
	if (!dp_world_build(&dp, &c, "test_recorder"))
		return false;
	dp.cfg.rec_snaplen = 65535;
	dp.cfg.rec_pool_size = 63;
	dp.cfg.rec_ring_size = RING_SIZE;
	/* the SP site of sessions 1..3 (203.0.113.id) */
	for (uint32_t id = 1; id <= 3; id++)
		spg_neigh_learn(dp.neigh, SPG_DP_PORT_SP, htonl(0xcb007100u + id), &peer_mac, rte_get_tsc_cycles());
	dp.rec = spg_recorder_create(&dp, 1);
	w = spg_worker_create(&dp, 0, LCORE_ID_ANY);
	if (dp.rec == NULL || w == NULL) {
		fprintf(stderr, "test_recorder: recorder or worker: %s\n", rte_strerror(rte_errno));
		return false;
	}
	spg_recorder_attach(dp.rec, w);
	dp.workers[0] = w;
	pkt_pool = rte_pktmbuf_pool_create("test_rec_pkts", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return pkt_pool != NULL;
}

static int suite_init(void)
{
	if (unit_eal_init("test_recorder", "crypto_aesni_mb") != 0)
		return 0; /* the tests fail on !ready, naming why */
	snprintf(dir, sizeof(dir), "/tmp/spg-test-recorder.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 0;
	ready = setup_dp();
	return 0;
}

static int suite_clean(void)
{
	char cmd[128];

	if (ready) {
		spg_recorder_free(dp.rec);
		spg_worker_free(w);
		dp_world_free(&dp);
		rte_mempool_free(pkt_pool);
	}
	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_recorder: could not remove %s\n", dir);
	}
	return 0;
}

/* ---- helpers ---- */

static int call(uint16_t type, const void *body, size_t body_len, void *rep_body)
{
	int error = dp_world_call(&dp, type, body, body_len, rep_buf);
	struct spg_dp_hdr h;

	memcpy(&h, rep_buf, HDR);
	if (rep_body != NULL && error == 0)
		memcpy(rep_body, rep_buf + HDR, h.len - HDR);
	return error;
}

static int record(uint64_t id, const char *path, const char *comment, struct spg_dp_record_rep *rep)
{
	struct spg_dp_session_record_req req;

	memset(&req, 0, sizeof(req));
	req.id = id;
	req.on = path != NULL;
	if (path != NULL)
		snprintf(req.path, sizeof(req.path), "%s", path);
	if (comment != NULL)
		snprintf(req.comment, sizeof(req.comment), "%s", comment);
	return call(SPG_DP_SESSION_RECORD, &req, sizeof(req), rep);
}

static void add_session(uint64_t id)
{
	struct spg_dp_session_add_req req = {.p = params(id)};

	req.p.rate_out.bytes_per_sec = 0; /* unlimited: the test counts every packet */
	req.p.rate_in.bytes_per_sec = 0;
	CU_ASSERT_EQUAL_FATAL(call(SPG_DP_SESSION_ADD, &req, sizeof(req), NULL), 0);
}

static void del_session(uint64_t id)
{
	struct spg_dp_session_id_req req = {.id = id};

	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_DEL, &req, sizeof(req), NULL), 0);
}

static void file_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/* A TCP segment W -> V_id:22 carrying MARK, as an Ethernet frame to the vendor port. */
static struct rte_mbuf *ws_packet(uint64_t id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pkt_pool);
	const uint16_t len = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + sizeof(MARK) - 1;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(eth);
	memset(rte_pktmbuf_mtod(m, void *), 0, m->data_len);
	eth->dst_addr = vendor_mac;
	eth->src_addr = ws_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = htonl(0xc000020au);              /* W, 192.0.2.10 */
	ip->dst_addr = htonl(0xc6120000u + (uint32_t)id); /* V_id */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	tcp->src_port = RTE_BE16(40000);
	tcp->dst_port = RTE_BE16(22);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	memcpy(tcp + 1, MARK, sizeof(MARK) - 1);
	return m;
}

/* n packets of session id through the outbound burst; returns how many were forwarded. */
static unsigned int send_out(uint64_t id, unsigned int n)
{
	struct rte_mbuf *pkts[SPG_BURST];
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_SP];
	unsigned int fwd;

	CU_ASSERT_FATAL(n <= SPG_BURST);
	for (unsigned int i = 0; i < n; i++)
		pkts[i] = ws_packet(id);
	w->now = rte_rdtsc();
	spg_outbound_burst(w, pkts, (uint16_t)n);
	fwd = tx->n;
	rte_pktmbuf_free_bulk(tx->pkts, tx->n);
	tx->n = 0;
	return fwd;
}

/* A whole file in memory (NUL-terminated); NULL if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

struct pcapng_summary {
	bool shb_first;
	unsigned int idbs, epbs, marks;
	uint64_t first_ns;
};

/* Walks the blocks of a little-endian pcapng file. */
static struct pcapng_summary summarize(const uint8_t *b, size_t len)
{
	struct pcapng_summary s = {0};
	size_t off = 0;
	uint32_t type, blen;

	while (off + 12 <= len) {
		memcpy(&type, b + off, 4);
		memcpy(&blen, b + off + 4, 4);
		if (blen < 12 || off + blen > len)
			break;
		if (off == 0)
			s.shb_first = type == 0x0a0d0d0a;
		if (type == 1)
			s.idbs++;
		if (type == 6) {
			uint32_t hi, lo;

			memcpy(&hi, b + off + 12, 4);
			memcpy(&lo, b + off + 16, 4);
			if (s.epbs++ == 0)
				s.first_ns = (uint64_t)hi << 32 | lo;
			if (memmem(b + off, blen, MARK, sizeof(MARK) - 1) != NULL)
				s.marks++;
		}
		off += blen;
	}
	return s;
}

/* ---- tests ---- */

/* Negative cases first: what start must refuse. */
static void record_start_refuses_what_it_must(void)
{
	char path[128], link_path[128], target[128];
	struct spg_dp_record_rep rep;

	CU_ASSERT_FATAL(ready);
	add_session(1);
	file_path(path, sizeof(path), "refusals.pcapng");
	CU_ASSERT_EQUAL(record(42, path, "", &rep), ENOENT); /* no such session */
	CU_ASSERT_EQUAL(record(1, "relative.pcapng", "", &rep), EINVAL);
	CU_ASSERT_EQUAL(access("relative.pcapng", F_OK), -1);
	file_path(path, sizeof(path), "no-such-dir/x.pcapng");
	CU_ASSERT_EQUAL(record(1, path, "", &rep), ENOENT);
	/* an existing file is never overwritten */
	file_path(path, sizeof(path), "exists.pcapng");
	CU_ASSERT_FATAL(close(open(path, O_CREAT | O_WRONLY, 0600)) == 0);
	CU_ASSERT_EQUAL(record(1, path, "", &rep), EEXIST);
	/* nor is a symlink followed to where it points */
	file_path(link_path, sizeof(link_path), "link.pcapng");
	file_path(target, sizeof(target), "link-target");
	CU_ASSERT_FATAL(symlink(target, link_path) == 0);
	CU_ASSERT_EQUAL(record(1, link_path, "", &rep), EEXIST);
	CU_ASSERT_EQUAL(access(target, F_OK), -1);
	/* already recording */
	file_path(path, sizeof(path), "busy.pcapng");
	CU_ASSERT_EQUAL_FATAL(record(1, path, "", &rep), 0);
	CU_ASSERT_EQUAL(rep.state, SPG_DP_RECORD_ON);
	file_path(path, sizeof(path), "busy2.pcapng");
	CU_ASSERT_EQUAL(record(1, path, "", &rep), EBUSY);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(record(1, NULL, NULL, &rep), 0);
	CU_ASSERT_EQUAL(rep.state, SPG_DP_RECORD_ON);
	/* stopping what is not recorded answers OFF */
	CU_ASSERT_EQUAL(record(1, NULL, NULL, &rep), 0);
	CU_ASSERT_EQUAL(rep.state, SPG_DP_RECORD_OFF);
	del_session(1);
}

/* As a user who may not write the directory (root may write anywhere): EACCES. */
static void record_start_in_an_unwritable_directory_is_eacces(void)
{
	char ro[96], path[128];
	int status = -1;
	pid_t pid;

	CU_ASSERT_FATAL(ready);
	add_session(1);
	file_path(ro, sizeof(ro), "readonly");
	CU_ASSERT_FATAL(mkdir(ro, 0555) == 0 && chmod(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/x.pcapng", ro);
	pid = fork();
	if (pid == 0) {
		struct spg_dp_record_rep rep;

		if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		_exit(record(1, path, "", &rep) == EACCES ? 0 : 1);
	}
	CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	del_session(1);
}

/* The attack on availability: more copies than the ring holds. Copies go, packets do not. */
static void full_ring_drops_copies_never_packets(void)
{
	char path[128];
	struct spg_dp_record_rep rep;
	struct spg_dp_session_id_req id = {.id = 2};
	struct spg_dp_session_get_rep get;
	struct spg_dp_stats_rep st;
	uint64_t copied = w->stats.rec_copied, lost = w->stats.rec_dropped;

	CU_ASSERT_FATAL(ready);
	add_session(2);
	file_path(path, sizeof(path), "full.pcapng");
	CU_ASSERT_EQUAL_FATAL(record(2, path, "session: 2", &rep), 0);
	/* nobody drains: the ring of 4 takes 3 */
	CU_ASSERT_EQUAL(send_out(2, 10), 10);
	CU_ASSERT_EQUAL(w->stats.rec_copied - copied, RING_SIZE - 1);
	CU_ASSERT_EQUAL(w->stats.rec_dropped - lost, 10 - (RING_SIZE - 1));
	CU_ASSERT_EQUAL_FATAL(call(SPG_DP_SESSION_GET, &id, sizeof(id), &get), 0);
	CU_ASSERT_EQUAL(get.s.record_state, SPG_DP_RECORD_LOSSY);
	CU_ASSERT_EQUAL(get.s.record_dropped, 10 - (RING_SIZE - 1));
	CU_ASSERT_EQUAL(get.s.out.packets, 10);
	CU_ASSERT_EQUAL_FATAL(call(SPG_DP_STATS, NULL, 0, &st), 0);
	CU_ASSERT_EQUAL(st.rec_files_open, 1);
	CU_ASSERT(st.rec_dropped >= 10 - (RING_SIZE - 1));
	/* drained now, then more fit again */
	CU_ASSERT_EQUAL(spg_recorder_drain(dp.rec), RING_SIZE - 1);
	CU_ASSERT_EQUAL(send_out(2, 2), 2);
	CU_ASSERT_EQUAL(record(2, NULL, NULL, &rep), 0);
	CU_ASSERT_EQUAL(rep.state, SPG_DP_RECORD_LOSSY);
	CU_ASSERT_EQUAL(rep.packets, RING_SIZE - 1 + 2);
	CU_ASSERT_EQUAL(rep.dropped, 10 - (RING_SIZE - 1));
	CU_ASSERT(rep.bytes > 0);
	del_session(2);
}

/* The file: a section header with the comment, an interface, the packets, real times. */
static void recording_file_has_the_comment_and_the_packets(void)
{
	const char *comment = "session: 3\nengineer: alice\nserial: APM00123\nreason: disk swap";
	char path[128];
	struct spg_dp_record_rep rep;
	struct pcapng_summary s;
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	uint64_t now_ns = (uint64_t)time(NULL) * 1000000000ull;

	CU_ASSERT_FATAL(ready);
	add_session(3);
	file_path(path, sizeof(path), "file.pcapng");
	CU_ASSERT_EQUAL_FATAL(record(3, path, comment, &rep), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(st.st_uid, geteuid()); /* the directory's owner: this process */
	CU_ASSERT_EQUAL(send_out(3, 2), 2);
	spg_recorder_drain(dp.rec);
	/* SESSION_DEL ends the recording: the file is closed with what was written */
	del_session(3);
	buf = slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	s = summarize(buf, len);
	CU_ASSERT_TRUE(s.shb_first);
	CU_ASSERT_PTR_NOT_NULL(memmem(buf, len, comment, strlen(comment)));
	CU_ASSERT(s.idbs >= 1);
	CU_ASSERT_EQUAL(s.epbs, 2);
	CU_ASSERT_EQUAL(s.marks, 2);
	/* the wall clock, not DPDK 22.11's idea of it */
	CU_ASSERT(s.first_ns + 60000000000ull > now_ns && s.first_ns < now_ns + 60000000000ull);
	free(buf);
}

/* The fd of the file at path in this process, or -1. */
static int fd_of(const char *path)
{
	char link[64], target[256];
	ssize_t n;

	for (int fd = 3; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			return fd;
	}
	return -1;
}

/* A write that fails (the disk is full) ends the recording: FAILED, its errno, no more copies. */
static void write_error_fails_the_recording(void)
{
	char path[128];
	struct spg_dp_record_rep rep;
	struct spg_dp_session_id_req id = {.id = 1};
	struct spg_dp_session_get_rep get;
	uint64_t copied;
	int fd, full;

	CU_ASSERT_FATAL(ready);
	add_session(1);
	file_path(path, sizeof(path), "full-disk.pcapng");
	CU_ASSERT_EQUAL_FATAL(record(1, path, "session: 1", &rep), 0);
	/* the recording's descriptor now writes to /dev/full: ENOSPC */
	fd = fd_of(path);
	full = open("/dev/full", O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0 && full >= 0 && dup2(full, fd) == fd);
	close(full);
	CU_ASSERT_EQUAL(send_out(1, 2), 2);
	spg_recorder_drain(dp.rec);
	CU_ASSERT_EQUAL_FATAL(call(SPG_DP_SESSION_GET, &id, sizeof(id), &get), 0);
	CU_ASSERT_EQUAL(get.s.record_state, SPG_DP_RECORD_FAILED);
	CU_ASSERT_EQUAL(get.s.record_error, ENOSPC);
	CU_ASSERT_EQUAL(get.s.record_dropped, 2);
	/* no more copies, and forwarding goes on */
	copied = w->stats.rec_copied;
	CU_ASSERT_EQUAL(send_out(1, 3), 3);
	CU_ASSERT_EQUAL(w->stats.rec_copied, copied);
	/* a failed recording stays until stopped: a new one is EBUSY, the stop tells why */
	file_path(path, sizeof(path), "after-failure.pcapng");
	CU_ASSERT_EQUAL(record(1, path, "", &rep), EBUSY);
	CU_ASSERT_EQUAL(record(1, NULL, NULL, &rep), 0);
	CU_ASSERT_EQUAL(rep.state, SPG_DP_RECORD_FAILED);
	CU_ASSERT_EQUAL(rep.error, ENOSPC);
	del_session(1);
}

/* The file goes to the directory's owner (spgate-control seals it), still 0600. */
static void recording_belongs_to_the_directory_owner(void)
{
	char sub[96], path[128];
	struct spg_dp_record_rep rep;
	struct stat st;

	CU_ASSERT_FATAL(ready);
	if (geteuid() != 0)
		return; /* only root can give a file away */
	add_session(1);
	file_path(sub, sizeof(sub), "owned");
	CU_ASSERT_FATAL(mkdir(sub, 0700) == 0 && chown(sub, 65534, 65534) == 0);
	snprintf(path, sizeof(path), "%s/x.pcapng", sub);
	CU_ASSERT_EQUAL_FATAL(record(1, path, "", &rep), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_uid, 65534);
	CU_ASSERT_EQUAL(st.st_gid, 65534);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	del_session(1);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"record_start_refuses_what_it_must", record_start_refuses_what_it_must},
		{"record_start_in_an_unwritable_directory_is_eacces", record_start_in_an_unwritable_directory_is_eacces},
		{"full_ring_drops_copies_never_packets", full_ring_drops_copies_never_packets},
		{"recording_file_has_the_comment_and_the_packets", recording_file_has_the_comment_and_the_packets},
		{"write_error_fails_the_recording", write_error_fails_the_recording},
		{"recording_belongs_to_the_directory_owner", recording_belongs_to_the_directory_owner},
		{NULL, NULL},
	};

	return unit_run("recorder", cases, suite_init, suite_clean);
}
