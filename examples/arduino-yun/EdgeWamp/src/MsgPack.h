// MsgPack.h - the few MessagePack forms the tiny WAMP client reads and
// writes, over caller-owned buffers (no dynamic memory). Any error (buffer
// too small, unexpected type, truncated input) sets ok() false and every
// later call is a no-op, so a message is checked once at its end.
//
// The library needs only the C library: avr-libc's <avr/pgmspace.h> keeps
// URIs in flash on AVR; elsewhere flash and RAM share one address space and
// the few pgmspace names are plain C ones.
#ifndef EDGEWAMP_MSGPACK_H
#define EDGEWAMP_MSGPACK_H

#include <stdint.h>
#include <string.h>
#if defined(__AVR__)
#include <avr/pgmspace.h>
#else
#ifndef PROGMEM
#define PROGMEM
#endif
#ifndef PGM_P
#define PGM_P const char *
#endif
#ifndef pgm_read_byte
#define pgm_read_byte(p) (*(const uint8_t *)(p))
#endif
#ifndef strlen_P
#define strlen_P strlen
#endif
#ifndef memcmp_P
#define memcmp_P memcmp
#endif
#endif

class MpWriter {
 public:
  MpWriter(uint8_t *buf, uint16_t cap) : p_(buf), len_(0), cap_(cap), ok_(true) {}
  void array(uint8_t n) { byte1(0x90 | (n & 0x0F)); }  // up to 15 elements
  void map(uint8_t n) { byte1(0x80 | (n & 0x0F)); }    // up to 15 pairs
  void uint(uint64_t v);
  void boolean(bool b) { byte1(b ? 0xC3 : 0xC2); }
  void nil() { byte1(0xC0); }
  void float32(float f);
  void str(const char *s);    // a string in RAM
  void strP(PGM_P s);         // a string in flash (PSTR / PROGMEM)
  bool ok() const { return ok_; }
  uint16_t len() const { return len_; }

 private:
  void byte1(uint8_t b);
  uint8_t *p_;
  uint16_t len_, cap_;
  bool ok_;
};

class MpReader {
 public:
  MpReader(const uint8_t *p, uint16_t n) : p_(p), end_(p + n), ok_(true) {}
  uint32_t array();                        // an array header: its length
  uint64_t uint();                         // a non-negative integer
  bool boolean();
  float number();                          // any integer or float, as a float
  bool str(const uint8_t **s, uint16_t *n);  // a string: its bytes (not terminated)
  bool strEqP(PGM_P s);                    // reads a string and compares it with one in flash
  void skip();                             // any one value, however nested
  bool atEnd() const { return p_ >= end_; }
  bool ok() const { return ok_; }
  void fail() { ok_ = false; }             // marks the input unusable (e.g. a value out of range)

 private:
  bool need(uint16_t n);
  uint32_t be(uint8_t n);
  const uint8_t *p_, *end_;
  bool ok_;
};

#endif
