// WampClient.h - a tiny WAMP v2 client (MessagePack) on a SerialLink: it
// joins a realm, registers a fixed table of procedures and publishes. It
// speaks exactly HELLO, WELCOME, ABORT, GOODBYE, REGISTER, REGISTERED,
// INVOCATION, YIELD, ERROR and PUBLISH; anything else is consumed and ignored.
//
// A message is taken from the link only when the link can carry the answer
// (window 1), so an INVOCATION is acknowledged after its YIELD is queued:
// the gateway never sends faster than the sketch handles.
#ifndef EDGEWAMP_WAMP_CLIENT_H
#define EDGEWAMP_WAMP_CLIENT_H

#include "MsgPack.h"
#include "SerialLink.h"

// A Procedure reads its positional arguments (nargs of them, from args) and
// writes exactly one result value to out. It returns NULL on success or the
// error URI (a PSTR) to answer with.
typedef PGM_P (*Procedure)(MpReader &args, uint32_t nargs, MpWriter &out);

struct ProcedureEntry {
  PGM_P uri;  // PSTR
  Procedure fn;
};

#define WAMP_MAX_PROCEDURES 4

class WampClient {
 public:
  // realm is a PSTR; procs (n <= WAMP_MAX_PROCEDURES) must outlive the client.
  WampClient(SerialLink &link, PGM_P realm, const ProcedureEntry *procs, uint8_t n)
      : link_(link), realm_(realm), procs_(procs), nprocs_(n) {}

  // poll handles what the link delivered and sends what is due. Call it
  // after SerialLink::poll; call reset() whenever the link restarts.
  void poll(uint32_t now);
  void reset() { state_ = Idle; }

  // joined tells whether the session is up and every procedure registered.
  bool joined() const { return state_ == Joined; }
  uint64_t session() const { return session_; }

  // publish sends PUBLISH topic [value] (no acknowledgement asked) when
  // joined and the link is free; it returns false otherwise.
  bool publish(PGM_P topic, float value, uint32_t now);
  // publishBool is publish with a boolean: topic [value].
  bool publishBool(PGM_P topic, bool value, uint32_t now);

 private:
  enum State : uint8_t { Idle, Welcoming, Registering, Joined, Waiting };
  void handle(const uint8_t *m, uint16_t n, uint32_t now);
  void invocation(MpReader &r, uint32_t now);
  bool sendHello(uint32_t now);
  bool sendRegister(uint32_t now);
  bool sendGoodbye(uint32_t now);
  bool beginPublish(MpWriter &w, PGM_P topic);
  bool endPublish(MpWriter &w, uint32_t now);

  SerialLink &link_;
  PGM_P realm_;
  const ProcedureEntry *procs_;
  uint8_t nprocs_;
  State state_ = Idle;
  uint8_t regIndex_ = 0;           // procedure being registered
  uint64_t session_ = 0;
  uint64_t nextRequest_ = 1;       // request IDs count from 1 in each session
  uint64_t registrations_[WAMP_MAX_PROCEDURES] = {};
  uint32_t retryAt_ = 0;           // when Waiting: when to say HELLO again
};

#endif
