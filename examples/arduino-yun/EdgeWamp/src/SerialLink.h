// SerialLink.h - the device side of edgewamp's serial link protocol (the
// specification is the package comment of Go package serialtransport):
// COBS frames checked by CRC-16/CCITT-FALSE, a handshake carrying the
// RawSocket octets and a random link id, stop-and-wait delivery (window 1)
// with retransmission, PING/PONG keepalive and restart detection.
//
// No dynamic memory: the sketch owns the buffers (EDGEWAMP_LINK declares
// them, sized by LINK_MAX_EXP and LINK_TX_MESSAGE): a receive buffer for one
// message of the announced size, a transmit buffer kept for retransmission;
// a small control-frame buffer lives in the object. Frames are COBS-encoded
// while they are written, and decoded while they are read, so no second
// copy of a frame is kept.
//
// The only thing the link needs from the board is a WampPort: two functions
// that read and write bytes (an Arduino sketch passes Serial1's or Serial's).
//
// Not safe for use from interrupts: call poll() from loop() only.
#ifndef EDGEWAMP_SERIAL_LINK_H
#define EDGEWAMP_SERIAL_LINK_H

#include "MsgPack.h"

// WampPort is the byte stream under the link, provided by the sketch: read
// returns the next received byte, or -1 at once when none is waiting; write
// sends n bytes (it may wait until the port has queued them).
struct WampPort {
  int (*read)();
  void (*write)(const uint8_t *p, uint16_t n);
};

// LINK_MAX_EXP sizes the receive buffer: the largest WAMP message this device
// accepts is 2^(9+LINK_MAX_EXP) bytes (0 = 512 B), announced in the HELLO.
#ifndef LINK_MAX_EXP
#define LINK_MAX_EXP 0
#endif
// LINK_TX_MESSAGE sizes the transmit buffer: the largest WAMP message this
// device sends.
#ifndef LINK_TX_MESSAGE
#define LINK_TX_MESSAGE 96
#endif
// Buffer sizes: a frame holds type, sequence number, message and CRC.
#define LINK_RX_SIZE(exp) ((1u << (9 + (exp))) + 4)
#define LINK_TX_SIZE(max) ((max) + 4)

// EDGEWAMP_LINK(name, port) declares `static SerialLink name` on the
// WampPort port, with buffers sized by LINK_MAX_EXP and LINK_TX_MESSAGE
// (define them before including EdgeWamp.h to change them).
#define EDGEWAMP_LINK(name, port)                  \
  static uint8_t name##Rx[LINK_RX_SIZE(LINK_MAX_EXP)]; \
  static uint8_t name##Tx[LINK_TX_SIZE(LINK_TX_MESSAGE)]; \
  static SerialLink name(port, name##Rx, sizeof name##Rx, name##Tx, sizeof name##Tx)

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

  // SerialLink runs the link on port with the caller's buffers: rx of
  // 2^(9+L)+4 bytes for some L in 0..6 (LINK_RX_SIZE; the largest such L is
  // announced), tx of at least 6 bytes (LINK_TX_SIZE: the largest message
  // sent plus 4). Both must outlive the link.
  SerialLink(WampPort port, uint8_t *rx, uint16_t rxSize, uint8_t *tx, uint16_t txSize);

  // mixId stirs entropy (analog noise, the time) into *state and returns a
  // non-zero link id from it (xorshift32). Seed *state differently on every
  // boot (a counter in EEPROM), so that a restart is never taken for the
  // same link.
  static uint32_t mixId(uint32_t *state, uint32_t entropy);

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
  // txCapacity() bytes); send(len) then frames and sends it.
  uint8_t *txBuffer() { return tx_ + 2; }
  uint16_t txCapacity() const { return txCap_ - 4; }
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
  void writeByte(uint8_t b);
  void sendHello();
  void sendAck(uint8_t seq);
  void fail();

  WampPort port_;
  State state_ = Down;
  uint8_t maxExp_;  // the announced LLLL
  bool alive_ = true;
  uint32_t linkId_ = 0, gatewayId_ = 0;

  // receiver: streaming COBS decoder into rx_ (or ctrl_ while a message is held)
  uint8_t *cur_ = 0;
  uint16_t curCap_ = 0, curLen_ = 0;
  uint8_t group_ = 0, code_ = 0;  // bytes left in the COBS group, its code
  bool started_ = false, bad_ = false;
  uint8_t *rx_;                       // type, seq, message, CRC
  uint16_t rxCap_;
  uint8_t ctrl_[24];                  // ACK, PING, RESET, HELLO-ACK while rx_ is held
  uint16_t heldLen_ = 0;              // length of the held DATA frame in rx_, 0 = none
  uint8_t rxSeq_ = 0;                 // next DATA sequence number expected
  bool acked_ = false;                // a DATA was acknowledged on this link

  // sender
  uint8_t *tx_;  // type, seq, message, CRC
  uint16_t txCap_;
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
