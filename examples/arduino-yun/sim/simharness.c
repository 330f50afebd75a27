/*
 * simharness.c - run the YunWamp firmware (or any ATmega32u4 ELF) in simavr,
 * with USART1 (Arduino Serial1, the Yun's line to Linux) bridged to a pty,
 * simulated time paced to the wall clock, and a small control channel:
 *
 *   simharness [-m MCU] [-f HZ] [-u UART] [-a MV] [-t SECONDS] [-F] firmware.elf
 *
 *   -m/-f  MCU and clock (default atmega32u4, 16000000: Arduino ELFs carry no
 *          simavr MCU section)
 *   -u     UART to bridge, '0' or '1' (default '1' on the 32u4, where Serial1
 *          is USART1, '0' on others: the Uno's Serial is USART0)
 *   -a     millivolts on A0 (ADC7 on the 32u4, ADC0 on the 328P; default
 *          750 = 25 °C on a TMP36)
 *   -t     stop after SECONDS of wall time (default 0: until stdin closes)
 *   -F     free-running: do not pace simulated time to wall time
 *
 * stdout (one line each, flushed):
 *   PTY /dev/pts/N      the pty carrying the UART, once at start
 *   PIN 13 0|1          pin 13 (PC7, LED_BUILTIN) changed
 *   ADC MV              the A0 voltage was set
 *   RESET               the MCU was reset
 *   MEM N               N bytes of SRAM never written since start (the gap
 *                       between .bss and the deepest stack: stack headroom)
 * stdin commands (one a line):
 *   adc MV              set the voltage on A0
 *   reset               reset the MCU (power-on of the sketch, RAM lost)
 *   mem                 report the SRAM never written (SRAM is painted
 *                       with 0xAA before the firmware starts)
 *   quit                exit (so does end of input)
 *
 * A5 (ADC0 on the 32u4, ADC5 on the 328P) is a floating pin: it reads
 * random noise, as the real one does, which the sketch mixes into its link
 * id. Every other channel reads the A0 voltage.
 *
 * Build: cc -O2 -o simharness simharness.c $(pkg-config --cflags simavr simavrparts) \
 *          -lsimavrparts -lsimavr -lelf -lpthread -lutil
 * Not uart_pty_stop() at exit: in simavr 1.6 it can hang joining the pty
 * thread; the harness removes the /tmp links itself and calls _exit().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avr_adc.h"
#include "avr_ioport.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "uart_pty.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static avr_t *avr;
static uart_pty_t uart_pty;
static uint32_t a0_mv = 750;
static unsigned rng = 12345;
static int noise_ch = ADC_IRQ_ADC0; /* A5 */

static void adc_trigger(struct avr_irq_t *irq, uint32_t value, void *param) {
	(void)irq; (void)value; (void)param;
	for (int ch = ADC_IRQ_ADC0; ch <= ADC_IRQ_ADC7; ch++) {
		uint32_t mv = a0_mv;
		if (ch == noise_ch) { /* A5 floats: noise */
			rng = rng * 1103515245u + 12345u;
			mv = (rng >> 8) % 5000;
		}
		avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ch), mv);
	}
}

static void pin_changed(struct avr_irq_t *irq, uint32_t value, void *param) {
	(void)irq; (void)param;
	printf("PIN 13 %u\n", value ? 1u : 0u);
	fflush(stdout);
}

#define PAINT 0xAA
#define RAMSTART 0x100 /* after the registers and I/O space (32u4, 328P) */

/* untouched returns the longest run of painted SRAM: the bytes neither the
 * C runtime (.data, .bss), the heap nor the stack ever wrote. */
static unsigned untouched(void) {
	unsigned best = 0, run = 0;
	for (unsigned a = RAMSTART; a <= avr->ramend; a++) {
		run = avr->data[a] == PAINT ? run + 1 : 0;
		if (run > best) best = run;
	}
	return best;
}

/* command reads stdin without blocking and runs the complete lines. */
static char cmd[128];
static size_t cmdlen;
static void command(void) {
	struct pollfd p = { .fd = 0, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0) return;
	ssize_t n = read(0, cmd + cmdlen, sizeof cmd - 1 - cmdlen);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) stop = 1;
		return;
	}
	cmdlen += (size_t)n;
	char *nl;
	while ((nl = memchr(cmd, '\n', cmdlen)) != NULL) {
		*nl = 0;
		if (strncmp(cmd, "adc ", 4) == 0) {
			a0_mv = (uint32_t)strtoul(cmd + 4, NULL, 10);
			printf("ADC %u\n", (unsigned)a0_mv);
		} else if (strcmp(cmd, "reset") == 0) {
			avr_reset(avr);
			printf("RESET\n");
		} else if (strcmp(cmd, "mem") == 0) {
			printf("MEM %u\n", untouched());
		} else if (strcmp(cmd, "quit") == 0) {
			stop = 1;
		} else {
			printf("ERR %s\n", cmd);
		}
		fflush(stdout);
		size_t used = (size_t)(nl - cmd) + 1;
		memmove(cmd, nl + 1, cmdlen - used);
		cmdlen -= used;
	}
	if (cmdlen == sizeof cmd - 1) cmdlen = 0; /* an overlong line: dropped */
}

static double now_s(const struct timespec *t0) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
	const char *mcu = "atmega32u4";
	uint32_t freq = 16000000;
	char uart = 0; /* by MCU, below */
	double limit = 0;
	int opt, pace = 1;
	while ((opt = getopt(argc, argv, "m:f:u:a:t:F")) != -1) {
		switch (opt) {
		case 'm': mcu = optarg; break;
		case 'f': freq = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'u': uart = optarg[0]; break;
		case 'a': a0_mv = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': limit = atof(optarg); break;
		case 'F': pace = 0; break;
		default:
			fprintf(stderr, "usage: %s [-m mcu] [-f hz] [-u 0|1] [-a mV] [-t s] [-F] fw.elf\n", argv[0]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "simharness: firmware missing\n");
		return 2;
	}
	elf_firmware_t f;
	memset(&f, 0, sizeof f);
	if (elf_read_firmware(argv[optind], &f) != 0) {
		fprintf(stderr, "simharness: cannot read %s\n", argv[optind]);
		return 1;
	}
	if (!f.mmcu[0]) strncpy(f.mmcu, mcu, sizeof f.mmcu - 1);
	if (!f.frequency) f.frequency = freq;
	avr = avr_make_mcu_by_name(f.mmcu);
	if (!avr) {
		fprintf(stderr, "simharness: unknown mcu '%s'\n", f.mmcu);
		return 1;
	}
	avr_init(avr);
	avr_load_firmware(avr, &f);
	avr->aref = avr->avcc = avr->vcc = 5000; /* millivolts */
	/* paint SRAM (the firmware's start-up code only writes .data and .bss) */
	memset(avr->data + RAMSTART, PAINT, avr->ramend + 1 - RAMSTART);
	rng ^= (unsigned)getpid() ^ (unsigned)time(NULL);

	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
	                        adc_trigger, NULL);
	/* pin 13: PC7 on the 32u4, PB5 on the 328P; A5: ADC0 and ADC5 */
	int is32u4 = strcmp(f.mmcu, "atmega32u4") == 0;
	if (!is32u4) noise_ch = ADC_IRQ_ADC5;
	if (!uart) uart = is32u4 ? '1' : '0';
	avr_irq_t *led = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(is32u4 ? 'C' : 'B'), is32u4 ? 7 : 5);
	if (led) avr_irq_register_notify(led, pin_changed, NULL);

	uart_pty_init(avr, &uart_pty);
	uart_pty_connect(&uart_pty, uart);
	printf("PTY %s\n", uart_pty.pty.slavename);
	fflush(stdout);
	fprintf(stderr, "simharness: %s @ %u Hz, UART%c on %s\n", f.mmcu, (unsigned)avr->frequency, uart,
	        uart_pty.pty.slavename);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* simulated time: avr->cycle, plus what elapsed before a reset in case
	 * the reset restarted the cycle count */
	double sim_base = 0, last_sim = 0;
	int state = cpu_Running;
	unsigned long iter = 0;
	while (!stop) {
		state = avr_run(avr);
		if (state == cpu_Done || state == cpu_Crashed) break;
		if ((++iter & 0xfff) == 0) {
			command();
			double wall = now_s(&t0);
			if (limit > 0 && wall > limit) break;
			double sim = (double)avr->cycle / avr->frequency;
			if (sim < last_sim) sim_base += last_sim;
			last_sim = sim;
			sim += sim_base;
			if (pace && sim > wall + 0.001) {
				double d = sim - wall;
				struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
				nanosleep(&ts, NULL);
			}
		}
	}
	fprintf(stderr, "simharness: exit state=%d, simulated %.3f s in %.3f s wall\n", state,
	        (double)avr->cycle / avr->frequency, now_s(&t0));
	char l[64];
	snprintf(l, sizeof l, "/tmp/simavr-uart%c", uart);
	unlink(l);
	snprintf(l, sizeof l, "/tmp/simavr-uarttap%c", uart);
	unlink(l);
	fflush(NULL);
	_exit(state == cpu_Crashed ? 1 : 0);
}
