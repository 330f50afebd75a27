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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64        // message size, as in the WAMP rows
#define MAXCONN 1024  // relay: descriptors it tracks
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
// 'P' publisher, 'S' subscriber, 'C' caller, 'E' callee.
static int dial(int port, char role) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
	nodelay(fd);
	if (writen(fd, &role, 1)) die("write role");
	return fd;
}

// relay forwards each 64-octet message: from the publisher to every
// subscriber, from the caller to the callee and back. One thread, epoll,
// blocking waits: what an event-driven router does, minus the router.
static void relay(int port, int seconds) {
	alarm(seconds);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = loopback(port);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 128)) die("listen");
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
				if (r == 'S' && nsubs < MAXSUBS) subs[nsubs++] = c;
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
					if (subs[k] == fd) subs[k--] = subs[--nsubs];
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
		}
	}
}

static int cmp_ll(const void *a, const void *b) {
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

// report prints one run as wampbench's JSON: the rate, the latency
// percentiles in µs.
static void report(const char *scenario, const char *rate_key, double rate, double ratio, long long *s, int n) {
	if (n == 0) {
		fprintf(stderr, "floor: no samples\n");
		exit(1);
	}
	qsort(s, n, sizeof *s, cmp_ll);
	printf("{\"scenario\":\"%s\",\"%s\":%.0f,", scenario, rate_key, rate);
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
	report("fanout", "delivered_per_sec", (double)fan.got / seconds, (double)fan.got / fan.want, fan.lat, fan.got);
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
	report("rpc", "calls_per_sec", (double)n / seconds, -1, lat, n);
}

int main(int argc, char **argv) {
	if (argc >= 4 && !strcmp(argv[1], "relay")) relay(atoi(argv[2]), atoi(argv[3]));
	else if (argc >= 5 && !strcmp(argv[1], "fanout")) fanout(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	else if (argc >= 4 && !strcmp(argv[1], "rpc")) rpc(atoi(argv[2]), atoi(argv[3]));
	else {
		fprintf(stderr, "usage: floor relay PORT SECONDS | fanout PORT SUBS SECONDS | rpc PORT SECONDS\n");
		return 2;
	}
	return 0;
}
