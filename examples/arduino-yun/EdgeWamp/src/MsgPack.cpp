// MsgPack.cpp - see MsgPack.h. Formats: https://github.com/msgpack/msgpack/blob/master/spec.md
#include "MsgPack.h"

void MpWriter::byte1(uint8_t b) {
  if (!ok_ || len_ >= cap_) {
    ok_ = false;
    return;
  }
  p_[len_++] = b;
}

void MpWriter::uint(uint64_t v) {
  uint8_t n;
  if (v < 0x80) {
    byte1((uint8_t)v);
    return;
  } else if (v <= 0xFF) {
    byte1(0xCC);
    n = 1;
  } else if (v <= 0xFFFF) {
    byte1(0xCD);
    n = 2;
  } else if (v <= 0xFFFFFFFFul) {
    byte1(0xCE);
    n = 4;
  } else {
    byte1(0xCF);
    n = 8;
  }
  while (n--) byte1((uint8_t)(v >> (8 * n)));
}

void MpWriter::float32(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);  // avr-gcc float is IEEE 754 single precision
  byte1(0xCA);
  for (int8_t i = 3; i >= 0; i--) byte1((uint8_t)(bits >> (8 * i)));
}

void MpWriter::str(const char *s) {
  uint8_t n = strlen(s);
  if (n > 31) {
    byte1(0xD9);
    byte1(n);
  } else {
    byte1(0xA0 | n);
  }
  while (*s) byte1((uint8_t)*s++);
}

void MpWriter::strP(PGM_P s) {
  uint8_t n = strlen_P(s);
  if (n > 31) {
    byte1(0xD9);
    byte1(n);
  } else {
    byte1(0xA0 | n);
  }
  for (uint8_t i = 0; i < n; i++) byte1(pgm_read_byte(s + i));
}

bool MpReader::need(uint16_t n) {
  if (!ok_ || (uint16_t)(end_ - p_) < n) ok_ = false;
  return ok_;
}

uint32_t MpReader::be(uint8_t n) {
  uint32_t v = 0;
  if (!need(n)) return 0;
  while (n--) v = v << 8 | *p_++;
  return v;
}

uint32_t MpReader::array() {
  if (!need(1)) return 0;
  uint8_t t = *p_++;
  if ((t & 0xF0) == 0x90) return t & 0x0F;
  if (t == 0xDC) return be(2);
  if (t == 0xDD) return be(4);
  ok_ = false;
  return 0;
}

uint64_t MpReader::uint() {
  if (!need(1)) return 0;
  uint8_t t = *p_++;
  if (t < 0x80) return t;
  switch (t) {
    case 0xCC: return be(1);
    case 0xCD: return be(2);
    case 0xCE: return be(4);
    case 0xCF: {
      uint64_t hi = be(4);
      return hi << 32 | be(4);
    }
  }
  ok_ = false;
  return 0;
}

bool MpReader::boolean() {
  if (!need(1)) return false;
  uint8_t t = *p_++;
  if (t == 0xC3) return true;
  if (t != 0xC2) ok_ = false;
  return false;
}

// f64 narrows an IEEE 754 double (hi, lo: its two big-endian halves) to a
// float: avr-gcc has no 64-bit double to convert through. It rounds half up
// on the first dropped bit, flushes what is too small for a normal float to
// zero and what is too large to infinity.
static float f64(uint32_t hi, uint32_t lo) {
  uint32_t sign = hi & 0x80000000ul;
  int16_t e = (int16_t)((hi >> 20) & 0x7FF);
  uint32_t m = (hi & 0xFFFFFul) << 3 | lo >> 29;  // the top 23 bits of the 52
  uint32_t bits;
  if (e == 0x7FF) {
    bits = sign | 0x7F800000ul | (m ? 0x400000ul : 0);  // infinity, NaN
  } else {
    e = e - 1023 + 127;
    if (e >= 0xFF) bits = sign | 0x7F800000ul;
    else if (e <= 0) bits = sign;
    else bits = (sign | (uint32_t)e << 23 | m) + (lo >> 28 & 1);  // a carry rounds into the exponent
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

float MpReader::number() {
  if (!need(1)) return 0;
  uint8_t t = *p_++;
  if (t < 0x80) return t;
  if (t >= 0xE0) return (int8_t)t;
  uint32_t hi;
  switch (t) {
    case 0xCA: {
      uint32_t bits = be(4);
      float f;
      memcpy(&f, &bits, 4);
      return f;
    }
    case 0xCB: hi = be(4); return f64(hi, be(4));
    case 0xCC: return be(1);
    case 0xCD: return be(2);
    case 0xCE: return be(4);
    case 0xCF: hi = be(4); return hi * 4294967296.0f + be(4);
    case 0xD0: return (int8_t)be(1);
    case 0xD1: return (int16_t)be(2);
    case 0xD2: return (int32_t)be(4);
    case 0xD3: {
      hi = be(4);
      uint32_t lo = be(4);
      if (hi == (uint32_t)((int32_t)lo >> 31)) return (int32_t)lo;  // fits 32 bits: exact
      return (int32_t)hi * 4294967296.0f + lo;
    }
  }
  ok_ = false;
  return 0;
}

bool MpReader::str(const uint8_t **s, uint16_t *n) {
  if (!need(1)) return false;
  uint8_t t = *p_++;
  uint32_t len;
  if ((t & 0xE0) == 0xA0) len = t & 0x1F;
  else if (t == 0xD9) len = be(1);
  else if (t == 0xDA) len = be(2);
  else {
    ok_ = false;
    return false;
  }
  if (!ok_ || len > 0xFFFF || !need((uint16_t)len)) return false;
  *s = p_;
  *n = (uint16_t)len;
  p_ += len;
  return true;
}

bool MpReader::strEqP(PGM_P want) {
  const uint8_t *s;
  uint16_t n;
  if (!str(&s, &n)) return false;
  return n == strlen_P(want) && memcmp_P(s, want, n) == 0;
}

// skip skips one value: it counts the values still to skip, so nesting
// costs no stack.
void MpReader::skip() {
  uint32_t left = 1;
  while (left && need(1)) {
    left--;
    uint8_t t = *p_++;
    uint32_t n = 0;  // payload bytes to jump over
    if (t < 0x80 || t >= 0xE0 || t == 0xC0 || t == 0xC2 || t == 0xC3) {
      // fixint, negative fixint, nil, bool
    } else if ((t & 0xF0) == 0x80) {
      left += 2 * (uint32_t)(t & 0x0F);
    } else if ((t & 0xF0) == 0x90) {
      left += t & 0x0F;
    } else if ((t & 0xE0) == 0xA0) {
      n = t & 0x1F;
    } else {
      switch (t) {
        case 0xC4: case 0xD9: n = be(1); break;                 // bin8, str8
        case 0xC5: case 0xDA: n = be(2); break;                 // bin16, str16
        case 0xC6: case 0xDB: n = be(4); break;                 // bin32, str32
        case 0xC7: n = be(1) + 1; break;                        // ext8
        case 0xC8: n = be(2) + 1; break;                        // ext16
        case 0xC9: n = be(4) + 1; break;                        // ext32
        case 0xCC: case 0xD0: n = 1; break;
        case 0xCD: case 0xD1: n = 2; break;
        case 0xCA: case 0xCE: case 0xD2: n = 4; break;
        case 0xCB: case 0xCF: case 0xD3: n = 8; break;
        case 0xD4: n = 2; break;                                // fixext1..16
        case 0xD5: n = 3; break;
        case 0xD6: n = 5; break;
        case 0xD7: n = 9; break;
        case 0xD8: n = 17; break;
        case 0xDC: left += be(2); break;                        // array16
        case 0xDD: left += be(4); break;                        // array32
        case 0xDE: left += 2 * be(2); break;                    // map16
        case 0xDF: left += 2 * be(4); break;                    // map32
        default: ok_ = false; return;                           // 0xC1: never used
      }
    }
    if (n > 0xFFFF || !need((uint16_t)n)) {
      ok_ = false;
      return;
    }
    p_ += n;
  }
}
