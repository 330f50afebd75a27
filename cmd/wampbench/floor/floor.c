// floor: this machine's latency floor for the paths issue 7 measures, with
// no WAMP, no Go and no work in the relay: a C epoll relay on loopback TCP
// and a client that times 64-byte messages through it. What it prints is
// the best a router on this machine could do; measure.sh runs it pinned
// like the routers ("measure.sh floor").
//
//   gcc -O2 -pthread -o floor floor.c
//   floor relay PORT SECONDS          relay until SECONDS have passed
//   floor fanout PORT SUBS SECONDS    1,000 messages/s to SUBS subscribers
//   floor rpc PORT SECONDS            a caller and a callee, one message in flight
//   floor devices PORT N SUBS SECONDS RELAY_PID
//                                     N devices, each one message a second, to
//                                     SUBS subscribers; RELAY_PID's CPU per 1,000
//   floor wamp-devices PORT N SUBS SECONDS ROUTER_PID
//                                     the same load as WAMP over RawSocket
//                                     (MessagePack, realm1) to a real router:
//                                     its latency with a generator that is not Go
//
// Each client run prints one JSON line in wampbench's format. Everything is
// bounded: the relay ends after SECONDS, a client after SECONDS plus 5 s.
// Only 127.0.0.1 is ever dialled or listened on.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64        // message size, as in the WAMP rows
#define MAXCONN 32768 // relay: descriptors it tracks
#define MAXSUBS 256

static void die(const char *what) {
	perror(what);
	exit(1);
}

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// readn and writen move exactly n octets; -1 on EOF or error.
static int readn(int fd, char *b, int n) {
	for (int got = 0; got < n;) {
		int r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		got += r;
	}
	return 0;
}

static int writen(int fd, const char *b, int n) {
	for (int put = 0; put < n;) {
		int r = write(fd, b + put, n - put);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		put += r;
	}
	return 0;
}

static struct sockaddr_in loopback(int port) {
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void nodelay(int fd) {
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)) die("TCP_NODELAY");
}

// dial connects to the relay and says which role the connection has:
// 'P' publisher, 'S' subscriber, 'C' caller, 'E' callee, 'D' device (a
// publisher whose messages the relay batches, see relay).
static int dial(int port, char role) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
	nodelay(fd);
	if (writen(fd, &role, 1)) die("write role");
	return fd;
}

// openfiles raises the descriptor limit to its hard limit (the devices
// scenario holds thousands).
static void openfiles(void) {
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

// batch holds a subscriber's messages from devices until the end of the
// relay's epoll round.
static struct {
	char *b;
	int n;
} batch[MAXSUBS];

// flush writes every subscriber's batch, one write(2) each.
static void flush(int *subs, int nsubs) {
	for (int k = 0; k < nsubs; k++) {
		if (batch[k].n > 0 && writen(subs[k], batch[k].b, batch[k].n)) die("write batch");
		batch[k].n = 0;
	}
}

// relay forwards each 64-octet message: from the publisher to every
// subscriber, from the caller to the callee and back. One thread, epoll,
// blocking waits: what an event-driven router does, minus the router. A
// device's messages go to every subscriber too, batched: one write per
// subscriber per epoll round, the fewest a router can make without
// delaying a message.
static void relay(int port, int seconds) {
	alarm(seconds);
	openfiles();
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = loopback(port);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4096)) die("listen");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev)) die("epoll");
	static char role[MAXCONN];
	int subs[MAXSUBS], nsubs = 0, caller = -1, callee = -1;
	char buf[MSG];
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				int c = accept(l, NULL, NULL);
				char r;
				if (c < 0) continue;
				if (c >= MAXCONN || readn(c, &r, 1)) {
					close(c);
					continue;
				}
				nodelay(c);
				role[c] = r;
				if (r == 'S' && nsubs < MAXSUBS) {
					batch[nsubs].b = realloc(batch[nsubs].b, 64 * MSG);
					if (!batch[nsubs].b) die("realloc");
					batch[nsubs].n = 0;
					subs[nsubs++] = c;
				}
				if (r == 'C') caller = c;
				if (r == 'E') callee = c;
				struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				continue;
			}
			if (readn(fd, buf, MSG)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				for (int k = 0; k < nsubs; k++)
					if (subs[k] == fd) {
						subs[k] = subs[--nsubs];
						char *b = batch[k].b;
						batch[k] = batch[nsubs];
						batch[nsubs].b = b;
						k--;
					}
				if (fd == caller) caller = -1;
				if (fd == callee) callee = -1;
				role[fd] = 0;
				continue;
			}
			if (role[fd] == 'P')
				for (int k = 0; k < nsubs; k++) writen(subs[k], buf, MSG);
			else if (role[fd] == 'C' && callee >= 0)
				writen(callee, buf, MSG);
			else if (role[fd] == 'E' && caller >= 0)
				writen(caller, buf, MSG);
			else if (role[fd] == 'D')
				for (int k = 0; k < nsubs; k++) {
					memcpy(batch[k].b + batch[k].n, buf, MSG);
					batch[k].n += MSG; // at most 64 events a round
				}
		}
		flush(subs, nsubs);
	}
}

static int cmp_ll(const void *a, const void *b) {
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

// report prints one run as wampbench's JSON: the rate, the latency
// percentiles in µs.
static void report(const char *scenario, const char *rate_key, double rate, double ratio, const char *extra,
                   long long *s, int n) {
	if (n == 0) {
		fprintf(stderr, "floor: no samples\n");
		exit(1);
	}
	qsort(s, n, sizeof *s, cmp_ll);
	printf("{\"scenario\":\"%s\",\"%s\":%.0f,%s", scenario, rate_key, rate, extra);
	if (ratio >= 0) printf("\"delivery_ratio\":%.4f,", ratio);
	printf("\"latency\":{\"samples\":%d,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}}\n", n,
	       s[n / 2] / 1e3, s[n * 9 / 10] / 1e3, s[n * 99 / 100] / 1e3, s[n - 1] / 1e3);
}

static struct {
	int subs[MAXSUBS], nsubs, want, got;
	long long *lat;
} fan;

// fanout_reader reads every subscriber's messages (one thread, as a
// one-core generator does) and takes each delivery's latency.
static void *fanout_reader(void *unused) {
	(void)unused;
	int ep = epoll_create1(0);
	for (int i = 0; i < fan.nsubs; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.fd = fan.subs[i]};
		epoll_ctl(ep, EPOLL_CTL_ADD, fan.subs[i], &e);
	}
	char buf[MSG];
	while (fan.got < fan.want) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 2000);
		if (n == 0) break; // nothing for 2 s: the rest is lost
		for (int i = 0; i < n; i++) {
			long long sent;
			if (readn(evs[i].data.fd, buf, MSG)) return NULL;
			memcpy(&sent, buf, sizeof sent);
			fan.lat[fan.got++] = now_ns() - sent;
		}
	}
	return NULL;
}

// fanout publishes 1,000 messages a second, each stamped with its send
// time, for the given seconds.
static void fanout(int port, int nsubs, int seconds) {
	alarm(seconds + 5);
	if (nsubs < 1 || nsubs > MAXSUBS) die("subscribers");
	fan.nsubs = nsubs;
	for (int i = 0; i < nsubs; i++) fan.subs[i] = dial(port, 'S');
	usleep(100000); // the relay has taken the subscribers before the first message
	int pub = dial(port, 'P');
	int msgs = 1000 * seconds;
	fan.want = msgs * nsubs;
	fan.lat = calloc(fan.want, sizeof *fan.lat);
	pthread_t th;
	if (!fan.lat || pthread_create(&th, NULL, fanout_reader, NULL)) die("start");
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	char buf[MSG] = {0};
	for (int i = 0; i < msgs; i++) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) next.tv_nsec -= 1000000000, next.tv_sec++;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		long long t = now_ns();
		memcpy(buf, &t, sizeof t);
		if (writen(pub, buf, MSG)) die("publish");
	}
	pthread_join(th, NULL);
	report("fanout", "delivered_per_sec", (double)fan.got / seconds, (double)fan.got / fan.want, "", fan.lat, fan.got);
}

static int callee_fd;

// callee answers every message with itself.
static void *callee(void *unused) {
	(void)unused;
	char buf[MSG];
	while (!readn(callee_fd, buf, MSG))
		if (writen(callee_fd, buf, MSG)) break;
	return NULL;
}

// rpc sends a message from the caller to the callee and back, the next
// one as soon as the answer is in, for the given seconds.
static void rpc(int port, int seconds) {
	alarm(seconds + 5);
	callee_fd = dial(port, 'E');
	int c = dial(port, 'C');
	usleep(100000);
	pthread_t th;
	if (pthread_create(&th, NULL, callee, NULL)) die("start");
	int cap = 1 << 20, n = 0;
	long long *lat = calloc(cap, sizeof *lat), end = now_ns() + seconds * 1000000000LL;
	char buf[MSG] = {0};
	if (!lat) die("calloc");
	while (n < cap) {
		long long t = now_ns();
		if (t >= end) break;
		if (writen(c, buf, MSG) || readn(c, buf, MSG)) die("call");
		lat[n++] = now_ns() - t;
	}
	report("rpc", "calls_per_sec", (double)n / seconds, -1, "", lat, n);
}

// take_record takes the latency of each whole 64-octet message in b[:n]
// (a batch of the relay's) and returns the octets it used.
static int take_record(const unsigned char *b, int n, long long now) {
	int off = 0;
	for (; n - off >= MSG; off += MSG) {
		long long sent;
		memcpy(&sent, b + off, sizeof sent);
		if (fan.got < fan.want) fan.lat[fan.got++] = now - sent;
	}
	return off;
}

// batch_reader reads every subscriber's stream (one thread, up to 1 MB a
// call into the subscriber's buffer) and passes what it holds to take,
// which takes each whole message's latency and returns the octets it used.
static int (*take)(const unsigned char *b, int n, long long now);

static void *batch_reader(void *unused) {
	(void)unused;
	int ep = epoll_create1(0);
	static unsigned char *buf[MAXSUBS];
	static int have[MAXSUBS];
	enum { CAP = 1 << 20 };
	for (int i = 0; i < fan.nsubs; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
		if (!(buf[i] = malloc(CAP))) die("malloc");
		epoll_ctl(ep, EPOLL_CTL_ADD, fan.subs[i], &e);
	}
	while (fan.got < fan.want) {
		struct epoll_event evs[MAXSUBS];
		int n = epoll_wait(ep, evs, MAXSUBS, 2000);
		if (n == 0) break; // nothing for 2 s: the rest is lost
		long long now = now_ns();
		for (int i = 0; i < n; i++) {
			int k = evs[i].data.u32, r = read(fan.subs[k], buf[k] + have[k], CAP - have[k]);
			if (r <= 0) return NULL;
			have[k] += r;
			int used = take(buf[k], have[k], now);
			memmove(buf[k], buf[k] + used, have[k] - used);
			have[k] -= used;
		}
	}
	return NULL;
}

// cpu_ticks is a process's user plus system time in clock ticks.
static long long cpu_ticks(int pid) {
	char path[64], line[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f) die("relay pid");
	size_t n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = 0;
	char *p = strrchr(line, ')'); // the name may hold spaces
	long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2) die("parse stat");
	return ut + st;
}

// load is one devices run: its devices' connections, how to open one, how
// to send a reading, and how to take the subscribers' deliveries.
struct load {
	const char *scenario;
	int (*open)(int port);
	void (*send)(int fd, int device, long long id); // one reading, stamped now
	int (*take)(const unsigned char *b, int n, long long now);
};

// run_devices opens n device connections (fan.subs holds the subscribers'
// already), then makes each device send one reading a second, n/200 of
// them every 5 ms (as wampbench devices publishes), for the given seconds.
// It prints the delivery latency and the CPU per 1,000 readings of pid.
static void run_devices(const struct load *ld, int port, int n, int seconds, int pid) {
	int *dev = calloc(n, sizeof *dev);
	if (!dev) die("calloc");
	for (int i = 0; i < n; i++) dev[i] = ld->open(port);
	usleep(500000); // the router has taken every connection
	int per = n / 200, msgs = per * 200 * seconds;
	fan.want = msgs * fan.nsubs;
	fan.lat = calloc(fan.want, sizeof *fan.lat);
	take = ld->take;
	pthread_t th;
	if (!fan.lat || pthread_create(&th, NULL, batch_reader, NULL)) die("start");
	long long cpu0 = cpu_ticks(pid), id = 1;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0, d = 0; i < msgs; i += per) {
		next.tv_nsec += 5000000;
		if (next.tv_nsec >= 1000000000) next.tv_nsec -= 1000000000, next.tv_sec++;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		for (int j = 0; j < per; j++, d = (d + 1) % n, id++) ld->send(dev[d], d, id);
	}
	pthread_join(th, NULL);
	double cpu_ms = (cpu_ticks(pid) - cpu0) * 1000.0 / sysconf(_SC_CLK_TCK);
	char extra[64];
	snprintf(extra, sizeof extra, "\"router_cpu_ms_per_1000\":%.2f,", cpu_ms * 1000 / msgs);
	report(ld->scenario, "readings_per_sec", (double)msgs / seconds, (double)fan.got / fan.want, extra, fan.lat, fan.got);
}

// check_devices checks a devices run's sizes and prepares for it.
static void check_devices(int n, int subs, int seconds) {
	alarm(seconds + 120);
	openfiles();
	if (subs < 1 || subs > MAXSUBS || n < 200 || n > 1000000) die("devices or subscribers");
	fan.nsubs = subs;
}

static int dial_device(int port) { return dial(port, 'D'); }

// send_record sends a 64-octet message that starts with the time.
static void send_record(int fd, int device, long long id) {
	(void)device, (void)id;
	char buf[MSG] = {0};
	long long t = now_ns();
	memcpy(buf, &t, sizeof t);
	if (writen(fd, buf, MSG)) die("publish");
}

// devices runs the load against the relay: its 'D' messages go to subs
// subscribers, batched.
static void devices(int port, int n, int subs, int seconds, int relay_pid) {
	check_devices(n, subs, seconds);
	for (int i = 0; i < subs; i++) fan.subs[i] = dial(port, 'S');
	static const struct load ld = {"devices", dial_device, send_record, take_record};
	run_devices(&ld, port, n, seconds, relay_pid);
}

// WAMP over RawSocket with MessagePack, as little of it as wamp-devices
// needs: the handshake, HELLO, SUBSCRIBE and PUBLISH, pre-encoded.

// wamp_frame writes one RawSocket message frame.
static void wamp_frame(int fd, const unsigned char *m, int n) {
	unsigned char h[4] = {0, n >> 16, n >> 8, n};
	if (writen(fd, (char *)h, 4) || writen(fd, (const char *)m, n)) die("write frame");
}

// wamp_read reads one message frame (answering pings) into b and returns
// its length; the first octets tell a reply's type.
static int wamp_read(int fd, unsigned char *b, int max) {
	for (;;) {
		unsigned char h[4];
		if (readn(fd, (char *)h, 4)) die("read frame");
		int n = h[1] << 16 | h[2] << 8 | h[3];
		if (n > max) die("frame too long");
		if (readn(fd, (char *)b, n)) die("read frame");
		if ((h[0] & 7) == 1) { // ping: pong with its payload
			h[0] = 2;
			if (writen(fd, (char *)h, 4) || writen(fd, (char *)b, n)) die("pong");
			continue;
		}
		return n;
	}
}

// wamp_join opens a RawSocket connection to PORT and joins realm1 with
// the publisher and subscriber roles.
static int wamp_join(int port) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
	nodelay(fd);
	unsigned char hs[4] = {0x7f, 0xf2, 0, 0}; // 16 MB, MessagePack
	if (writen(fd, (char *)hs, 4) || readn(fd, (char *)hs, 4)) die("handshake");
	if (hs[0] != 0x7f || (hs[1] & 0x0f) != 2) die("handshake refused");
	static const unsigned char hello[] = "\x93\x01\xa6realm1\x81\xa5roles\x82\xa9publisher\x80\xaasubscriber\x80";
	wamp_frame(fd, hello, sizeof hello - 1);
	unsigned char b[4096];
	if (wamp_read(fd, b, sizeof b) < 2 || b[1] != 2) die("not welcomed");
	return fd;
}

// take_frames takes the latency of each whole RawSocket frame in b[:n]
// that carries a reading: the 16 hex digits after the frame's last "@T".
static int take_frames(const unsigned char *b, int n, long long now) {
	int off = 0;
	while (n - off >= 4) {
		const unsigned char *f = b + off;
		int len = f[1] << 16 | f[2] << 8 | f[3];
		if (len > (1 << 20) - 4) die("frame too long");
		if (n - off < 4 + len) break;
		for (int j = 4 + len - 18; (f[0] & 7) == 0 && j >= 4; j--) {
			if (f[j] != '@' || f[j + 1] != 'T') continue;
			char hex[17];
			memcpy(hex, f + j + 2, 16);
			hex[16] = 0;
			if (fan.got < fan.want) fan.lat[fan.got++] = now - strtoll(hex, NULL, 16);
			break;
		}
		off += 4 + len;
	}
	return off;
}

// send_publish publishes device's reading: [16, id, {},
// "bench.dev.<device>.reading", [payload]], a 64-octet payload that ends in
// "@T" and the send time in 16 hex digits (as wampbench's).
static void send_publish(int fd, int device, long long id) {
	unsigned char b[256], *p = b;
	*p++ = 0x95, *p++ = 0x10, *p++ = 0xcf;
	for (int s = 56; s >= 0; s -= 8) *p++ = id >> s;
	*p++ = 0x80;
	int tl = snprintf((char *)p + 1, 64, "bench.dev.%d.reading", device);
	*p = 0xa0 | tl, p += 1 + tl;
	*p++ = 0x91, *p++ = 0xd9, *p++ = MSG;
	memset(p, 'x', MSG - 18);
	p += MSG - 18;
	snprintf((char *)p, 19, "@T%016llx", now_ns());
	p += 18;
	wamp_frame(fd, b, p - b);
}

// wamp_devices is devices against a WAMP router: subs sessions subscribe
// to bench.dev..reading (wildcard) and n device sessions publish. No
// procedures and no calls (wampbench devices has those).
static void wamp_devices(int port, int n, int subs, int seconds, int router_pid) {
	check_devices(n, subs, seconds);
	unsigned char b[4096];
	for (int i = 0; i < subs; i++) {
		fan.subs[i] = wamp_join(port);
		static const unsigned char sub[] = "\x94\x20\x01\x81\xa5match\xa8wildcard\xb2" "bench.dev..reading";
		wamp_frame(fan.subs[i], sub, sizeof sub - 1);
		if (wamp_read(fan.subs[i], b, sizeof b) < 2 || b[1] != 0x21) die("not subscribed");
	}
	static const struct load ld = {"wamp-devices", wamp_join, send_publish, take_frames};
	run_devices(&ld, port, n, seconds, router_pid);
}

int main(int argc, char **argv) {
	if (argc >= 4 && !strcmp(argv[1], "relay")) relay(atoi(argv[2]), atoi(argv[3]));
	else if (argc >= 5 && !strcmp(argv[1], "fanout")) fanout(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	else if (argc >= 4 && !strcmp(argv[1], "rpc")) rpc(atoi(argv[2]), atoi(argv[3]));
	else if (argc >= 7 && !strcmp(argv[1], "devices"))
		devices(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	else if (argc >= 7 && !strcmp(argv[1], "wamp-devices"))
		wamp_devices(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	else {
		fprintf(stderr, "usage: floor relay PORT SECONDS | fanout PORT SUBS SECONDS | rpc PORT SECONDS"
		                " | devices PORT N SUBS SECONDS RELAY_PID | wamp-devices PORT N SUBS SECONDS ROUTER_PID\n");
		return 2;
	}
	return 0;
}
