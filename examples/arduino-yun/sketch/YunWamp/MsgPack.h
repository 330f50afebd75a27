// MsgPack.h - the few MessagePack forms the tiny WAMP client reads and
// writes, over caller-owned buffers (no dynamic memory). Any error (buffer
// too small, unexpected type, truncated input) sets ok() false and every
// later call is a no-op, so a message is checked once at its end.
#ifndef EDGEWAMP_MSGPACK_H
#define EDGEWAMP_MSGPACK_H

#include <Arduino.h>

class MpWriter {
 public:
  MpWriter(uint8_t *buf, uint16_t cap) : p_(buf), len_(0), cap_(cap), ok_(true) {}
  void array(uint8_t n) { byte1(0x90 | (n & 0x0F)); }  // up to 15 elements
  void map(uint8_t n) { byte1(0x80 | (n & 0x0F)); }    // up to 15 pairs
  void uint(uint64_t v);
  void boolean(bool b) { byte1(b ? 0xC3 : 0xC2); }
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
  bool str(const uint8_t **s, uint16_t *n);  // a string: its bytes (not terminated)
  bool strEqP(PGM_P s);                    // reads a string and compares it with one in flash
  void skip();                             // any one value, however nested
  bool atEnd() const { return p_ >= end_; }
  bool ok() const { return ok_; }

 private:
  bool need(uint16_t n);
  uint32_t be(uint8_t n);
  const uint8_t *p_, *end_;
  bool ok_;
};

#endif
