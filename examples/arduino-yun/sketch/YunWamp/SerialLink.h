// SerialLink.h - the device side of edgewamp's serial link protocol (the
// specification is the package comment of Go package serialtransport):
// COBS frames checked by CRC-16/CCITT-FALSE, a handshake carrying the
// RawSocket octets and a random link id, stop-and-wait delivery (window 1)
// with retransmission, PING/PONG keepalive and restart detection.
//
// No dynamic memory: one receive buffer of LINK_MAX_MESSAGE + 4 bytes, a
// small control-frame buffer and one transmit buffer of LINK_TX_MESSAGE + 4
// bytes hold everything. Frames are COBS-encoded while they are written, and
// decoded while they are read, so no second copy of a frame is kept.
//
// Not safe for use from interrupts: call poll() from loop() only.
#ifndef EDGEWAMP_SERIAL_LINK_H
#define EDGEWAMP_SERIAL_LINK_H

#include <Arduino.h>

// LINK_MAX_EXP is the LLLL announced in HELLO: the largest WAMP message this
// device accepts is 2^(9+LLLL) bytes (0 = 512 B).
#ifndef LINK_MAX_EXP
#define LINK_MAX_EXP 0
#endif
#define LINK_MAX_MESSAGE (1u << (9 + LINK_MAX_EXP))
// LINK_TX_MESSAGE is the largest WAMP message this device sends.
#ifndef LINK_TX_MESSAGE
#define LINK_TX_MESSAGE 96
#endif

// Timings, in milliseconds (the gateway's defaults are 250 ms retransmission,
// 20 retries, 5 s keepalive and 15 s keepalive timeout).
#define LINK_HELLO_RETRY 500
#define LINK_REFUSED_DELAY 5000  // after a refusing HELLO-ACK
#define LINK_RETRANSMIT 300
#define LINK_MAX_RETRIES 20
#define LINK_KEEPALIVE 5000
#define LINK_KEEPALIVE_TIMEOUT 15000

class SerialLink {
 public:
  // Counters, for the curious (printed nowhere by default).
  struct Stats {
    uint16_t framesIn, framesOut, crcErrors, cobsErrors, oversize;
    uint16_t retransmissions, duplicates, links, resets;
  };

  explicit SerialLink(Stream &port) : port_(port) {}

  // begin starts a new link with the given random, non-zero link id: it
  // flushes the gateway's receiver with a lone 0x00 and sends HELLO.
  void begin(uint32_t linkId, uint32_t now);

  // poll reads what has arrived, answers control frames and runs the
  // timers (HELLO repetition, retransmission, keepalive). Call it often.
  // It returns false when the link went down (RESET, retries exhausted,
  // silence): the caller starts a new link with begin() and a new id.
  bool poll(uint32_t now);

  // up tells whether the handshake is done.
  bool up() const { return state_ == Up; }

  // canSend tells whether send() would take a message now (window 1: the
  // previous one is acknowledged).
  bool canSend() const { return state_ == Up && !txPending_; }

  // txBuffer is where the caller serializes its next message (at most
  // LINK_TX_MESSAGE bytes); send(len) then frames and sends it.
  uint8_t *txBuffer() { return tx_ + 2; }
  bool send(uint16_t len, uint32_t now);

  // message returns the received WAMP message waiting to be consumed, or
  // NULL; consume() acknowledges it, after which the gateway sends the next.
  const uint8_t *message(uint16_t *len) const;
  void consume();

  const Stats &stats() const { return stats_; }

 private:
  enum State : uint8_t { Down, Hello, Up };

  void onByte(uint8_t b, uint32_t now);
  void onFrame(uint8_t *p, uint16_t n, uint32_t now);
  void writeFrame(uint8_t *p, uint16_t n);  // p has room for 2 CRC bytes after n
  void sendHello();
  void sendAck(uint8_t seq);
  void fail();

  Stream &port_;
  State state_ = Down;
  bool alive_ = true;
  uint32_t linkId_ = 0, gatewayId_ = 0;

  // receiver: streaming COBS decoder into rx_ (or ctrl_ while a message is held)
  uint8_t *cur_ = 0;
  uint16_t curCap_ = 0, curLen_ = 0;
  uint8_t group_ = 0, code_ = 0;  // bytes left in the COBS group, its code
  bool started_ = false, bad_ = false;
  uint8_t rx_[LINK_MAX_MESSAGE + 4];  // type, seq, message, CRC
  uint8_t ctrl_[24];                  // ACK, PING, RESET, HELLO-ACK while rx_ is held
  uint16_t heldLen_ = 0;              // length of the held DATA frame in rx_, 0 = none
  uint8_t rxSeq_ = 0;                 // next DATA sequence number expected
  bool acked_ = false;                // a DATA was acknowledged on this link

  // sender
  uint8_t tx_[LINK_TX_MESSAGE + 4];  // type, seq, message, CRC
  uint16_t txLen_ = 0;
  bool txPending_ = false;
  uint8_t txSeq_ = 0, retries_ = 0;
  uint32_t txAt_ = 0, helloAt_ = 0, heardAt_ = 0, pingAt_ = 0;
  uint32_t pingCount_ = 0;

  Stats stats_ = {};
};

// crc16 is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): "123456789" -> 0x29B1.
uint16_t crc16(const uint8_t *p, uint16_t n);

#endif
