// SerialLink.cpp - see SerialLink.h. Frame layout (big-endian):
//   HELLO      01 7F LS 00 00 window id(4)          (L from the receive buffer, S = 2 MessagePack)
//   HELLO-ACK  02 7F LS 00 00 window gw-id(4) id(4)
//   DATA       03 seq message      ACK 04 seq
//   PING       05 bytes            PONG 06 bytes      RESET 07 reason
// each sent as COBS(payload ++ CRC-16 big-endian) 00.
#include "SerialLink.h"

uint16_t crc16(const uint8_t *p, uint16_t n) {
  uint16_t crc = 0xFFFF;
  while (n--) {
    crc ^= (uint16_t)(*p++) << 8;
    for (uint8_t i = 0; i < 8; i++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  return crc;
}

SerialLink::SerialLink(WampPort port, uint8_t *rx, uint16_t rxSize, uint8_t *tx, uint16_t txSize)
    : port_(port), maxExp_(0), rx_(rx), rxCap_(rxSize), tx_(tx), txCap_(txSize) {
  while (maxExp_ < 6 && (1u << (10 + maxExp_)) + 4 <= rxSize) maxExp_++;
}

uint32_t SerialLink::mixId(uint32_t *state, uint32_t entropy) {
  uint32_t s = *state ^ entropy;
  do {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
  } while (s == 0);
  return *state = s;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void SerialLink::begin(uint32_t linkId, uint32_t now) {
  linkId_ = linkId;
  gatewayId_ = 0;
  state_ = Hello;
  alive_ = true;
  started_ = bad_ = false;
  curLen_ = 0;
  group_ = code_ = 0;
  heldLen_ = 0;
  rxSeq_ = txSeq_ = 0;
  acked_ = txPending_ = false;
  heardAt_ = pingAt_ = now;
  writeByte(0);  // ends whatever partial frame the gateway holds
  sendHello();
  helloAt_ = now;
}

void SerialLink::sendHello() {
  uint8_t f[12] = {0x01, 0x7F, (uint8_t)(maxExp_ << 4 | 2), 0, 0, 1,
                   (uint8_t)(linkId_ >> 24), (uint8_t)(linkId_ >> 16),
                   (uint8_t)(linkId_ >> 8), (uint8_t)linkId_};
  writeFrame(f, 10);
}

void SerialLink::writeByte(uint8_t b) { port_.write(&b, 1); }

void SerialLink::sendAck(uint8_t seq) {
  uint8_t f[4] = {0x04, seq};
  writeFrame(f, 2);
}

// writeFrame appends the CRC to p[0..n) (p must have 2 spare bytes) and
// writes COBS(p ++ CRC) and the 0x00 delimiter, encoding on the fly: each
// group is a code byte (run length + 1) and the run of non-zero bytes.
void SerialLink::writeFrame(uint8_t *p, uint16_t n) {
  uint16_t crc = crc16(p, n);
  p[n] = crc >> 8;
  p[n + 1] = crc;
  n += 2;
  uint16_t i = 0;
  for (;;) {
    uint16_t j = i;
    while (j < n && p[j] != 0 && j - i < 254) j++;
    uint8_t code = j - i + 1;
    writeByte(code);
    port_.write(p + i, j - i);
    if (j >= n) break;                 // the input's end: its implied 0x00 is dropped
    i = code == 255 ? j : j + 1;       // a full group implies no 0x00
  }
  writeByte(0);
  stats_.framesOut++;
}

void SerialLink::fail() {
  state_ = Down;
  alive_ = false;
  txPending_ = false;
  heldLen_ = 0;
}

bool SerialLink::send(uint16_t len, uint32_t now) {
  if (!canSend() || len > txCapacity()) return false;
  tx_[0] = 0x03;
  tx_[1] = txSeq_;
  txLen_ = len + 2;
  writeFrame(tx_, txLen_);
  txPending_ = true;
  retries_ = 0;
  txAt_ = now;
  return true;
}

const uint8_t *SerialLink::message(uint16_t *len) const {
  if (!heldLen_) return 0;
  *len = heldLen_ - 2;
  return rx_ + 2;
}

void SerialLink::consume() {
  if (!heldLen_) return;
  heldLen_ = 0;
  acked_ = true;
  sendAck(rxSeq_);
  rxSeq_++;
}

bool SerialLink::poll(uint32_t now) {
  for (int b; alive_ && (b = port_.read()) >= 0;) onByte((uint8_t)b, now);
  if (!alive_) return false;
  if (state_ == Hello) {
    if ((int32_t)(now - helloAt_) >= LINK_HELLO_RETRY) {  // signed: helloAt_ may lie ahead
      sendHello();
      helloAt_ = now;
    }
    return true;
  }
  if (state_ != Up) return alive_;
  if (txPending_ && now - txAt_ >= LINK_RETRANSMIT) {
    if (++retries_ > LINK_MAX_RETRIES) {
      fail();
      return false;
    }
    writeFrame(tx_, txLen_);
    txAt_ = now;
    stats_.retransmissions++;
  }
  uint32_t quiet = now - heardAt_;
  if (quiet >= LINK_KEEPALIVE_TIMEOUT) {
    fail();
    return false;
  }
  if (quiet >= LINK_KEEPALIVE && now - pingAt_ >= LINK_KEEPALIVE) {
    pingCount_++;
    uint8_t f[7] = {0x05, (uint8_t)(pingCount_ >> 24), (uint8_t)(pingCount_ >> 16),
                    (uint8_t)(pingCount_ >> 8), (uint8_t)pingCount_};
    writeFrame(f, 5);
    pingAt_ = now;
  }
  return true;
}

// onByte runs the streaming COBS decoder: a code byte n starts a group of
// n-1 data bytes; the 0x00 a group of n < 255 stands for is stored when the
// next group starts, so the last group's implied 0x00 is never stored.
void SerialLink::onByte(uint8_t b, uint32_t now) {
  if (b == 0) {
    if (started_) {
      if (bad_) {
        stats_.oversize++;
      } else if (group_ != 0 || curLen_ < 3) {
        stats_.cobsErrors++;
      } else if (crc16(cur_, curLen_ - 2) != ((uint16_t)cur_[curLen_ - 2] << 8 | cur_[curLen_ - 1])) {
        stats_.crcErrors++;
      } else {
        stats_.framesIn++;
        onFrame(cur_, curLen_, now);
      }
    }
    started_ = bad_ = false;
    curLen_ = 0;
    group_ = 0;
    return;
  }
  if (!started_) {
    started_ = true;
    // while a received message waits in rx_, only small control frames fit
    cur_ = heldLen_ ? ctrl_ : rx_;
    curCap_ = heldLen_ ? sizeof ctrl_ : rxCap_;
    code_ = b;
    group_ = b - 1;
    return;
  }
  if (group_ == 0) {
    if (code_ < 255) {
      if (curLen_ < curCap_) cur_[curLen_++] = 0;
      else bad_ = true;
    }
    code_ = b;
    group_ = b - 1;
    return;
  }
  if (curLen_ < curCap_) cur_[curLen_++] = b;
  else bad_ = true;
  group_--;
}

// onFrame handles one checked payload p[0..n-2) (p[n-2..n) is its CRC).
void SerialLink::onFrame(uint8_t *p, uint16_t n, uint32_t now) {
  uint16_t body = n - 2;  // type + body, without the CRC
  switch (p[0]) {
    case 0x02:  // HELLO-ACK
      if (state_ == Hello && body == 14 && p[1] == 0x7F && be32(p + 10) == linkId_) {
        if ((p[2] & 0x0F) != 2) {  // refused (EEEE 0000) or another serializer:
          helloAt_ = now + LINK_REFUSED_DELAY;  // ask again later, not at once
          return;
        }
        gatewayId_ = be32(p + 6);
        state_ = Up;
        stats_.links++;
        heardAt_ = pingAt_ = now;
      }
      return;
    case 0x03:  // DATA
      if (state_ != Up || body < 2) return;
      heardAt_ = now;
      if (p[1] == rxSeq_) {
        if (p == rx_ && !heldLen_) heldLen_ = body;  // waits for consume(), which ACKs it
      } else if (acked_ && p[1] == (uint8_t)(rxSeq_ - 1)) {
        stats_.duplicates++;
        sendAck(p[1]);  // our ACK was lost: repeat it
      }
      return;
    case 0x04:  // ACK
      if (state_ != Up || body != 2) return;
      heardAt_ = now;
      if (txPending_ && p[1] == txSeq_) {
        txPending_ = false;
        txSeq_++;
      }
      return;
    case 0x05:  // PING: answered with the same bytes
      if (state_ != Up) return;
      heardAt_ = now;
      p[0] = 0x06;
      writeFrame(p, body);
      return;
    case 0x06:  // PONG
      if (state_ == Up) heardAt_ = now;
      return;
    case 0x07:  // RESET: the gateway closed the link or does not know it
      if (state_ == Up) {
        stats_.resets++;
        fail();
      }
      return;
  }
}
