// WampClient.cpp - see WampClient.h. Message shapes (WAMP v2, as arrays):
//   HELLO      [1, Realm|uri, Details|dict]
//   WELCOME    [2, Session|id, Details|dict]
//   ABORT      [3, Details|dict, Reason|uri]
//   GOODBYE    [6, Details|dict, Reason|uri]
//   ERROR      [8, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, (Arguments|list)]
//   PUBLISH    [16, Request|id, Options|dict, Topic|uri, Arguments|list]
//   REGISTER   [64, Request|id, Options|dict, Procedure|uri]
//   REGISTERED [65, REGISTER.Request|id, Registration|id]
//   INVOCATION [68, Request|id, REGISTERED.Registration|id, Details|dict, (Arguments|list, ...)]
//   YIELD      [70, INVOCATION.Request|id, Options|dict, Arguments|list]
#include "WampClient.h"

enum : uint8_t {
  HELLO = 1, WELCOME = 2, ABORT = 3, GOODBYE = 6, ERROR = 8, PUBLISH = 16,
  REGISTER = 64, REGISTERED = 65, INVOCATION = 68, YIELD = 70,
};

static const char kRoles[] PROGMEM = "roles";
static const char kCallee[] PROGMEM = "callee";
static const char kPublisher[] PROGMEM = "publisher";
static const char kAgent[] PROGMEM = "agent";
static const char kAgentName[] PROGMEM = "edgewamp-yun/1";
static const char kGoodbyeAndOut[] PROGMEM = "wamp.close.goodbye_and_out";
static const char kNoSuchRegistration[] PROGMEM = "wamp.error.no_such_registration";
static const char kInvalidArgument[] PROGMEM = "wamp.error.invalid_argument";

// retry delay after ABORT or GOODBYE, in ms
#define WAMP_REJOIN_DELAY 2000

bool WampClient::sendHello(uint32_t now) {
  MpWriter w(link_.txBuffer(), LINK_TX_MESSAGE);
  w.array(3);
  w.uint(HELLO);
  w.strP(realm_);
  w.map(2);
  w.strP(kAgent);
  w.strP(kAgentName);
  w.strP(kRoles);
  w.map(2);
  w.strP(kCallee);
  w.map(0);
  w.strP(kPublisher);
  w.map(0);
  return w.ok() && link_.send(w.len(), now);
}

bool WampClient::sendRegister(uint32_t now) {
  MpWriter w(link_.txBuffer(), LINK_TX_MESSAGE);
  w.array(4);
  w.uint(REGISTER);
  w.uint(nextRequest_);
  w.map(0);
  w.strP(procs_[regIndex_].uri);
  if (!w.ok() || !link_.send(w.len(), now)) return false;
  nextRequest_++;
  return true;
}

bool WampClient::sendGoodbye(uint32_t now) {
  MpWriter w(link_.txBuffer(), LINK_TX_MESSAGE);
  w.array(3);
  w.uint(GOODBYE);
  w.map(0);
  w.strP(kGoodbyeAndOut);
  return w.ok() && link_.send(w.len(), now);
}

// beginPublish writes PUBLISH [16, id, {}, topic, [ into w, up to its one
// argument; false when not joined or the link is busy.
bool WampClient::beginPublish(MpWriter &w, PGM_P topic) {
  if (state_ != Joined || !link_.canSend()) return false;
  w.array(5);
  w.uint(PUBLISH);
  w.uint(nextRequest_);
  w.map(0);
  w.strP(topic);
  w.array(1);
  return true;
}

bool WampClient::endPublish(MpWriter &w, uint32_t now) {
  if (!w.ok() || !link_.send(w.len(), now)) return false;
  nextRequest_++;
  return true;
}

bool WampClient::publish(PGM_P topic, float value, uint32_t now) {
  MpWriter w(link_.txBuffer(), LINK_TX_MESSAGE);
  if (!beginPublish(w, topic)) return false;
  w.float32(value);
  return endPublish(w, now);
}

bool WampClient::publishBool(PGM_P topic, bool value, uint32_t now) {
  MpWriter w(link_.txBuffer(), LINK_TX_MESSAGE);
  if (!beginPublish(w, topic)) return false;
  w.boolean(value);
  return endPublish(w, now);
}

void WampClient::poll(uint32_t now) {
  if (!link_.up()) {
    state_ = Idle;
    return;
  }
  if (!link_.canSend()) return;  // every step below may need to send
  uint16_t n;
  const uint8_t *m = link_.message(&n);
  if (m) {
    handle(m, n, now);
    link_.consume();
    return;
  }
  if (state_ == Idle || (state_ == Waiting && (int32_t)(now - retryAt_) >= 0)) {
    session_ = 0;
    nextRequest_ = 1;
    if (sendHello(now)) state_ = Welcoming;
  }
}

void WampClient::handle(const uint8_t *m, uint16_t n, uint32_t now) {
  MpReader r(m, n);
  uint32_t len = r.array();
  uint64_t type = r.uint();
  if (!r.ok() || len < 2) return;
  switch (type) {
    case WELCOME:
      if (state_ != Welcoming) return;
      session_ = r.uint();
      regIndex_ = 0;
      state_ = nprocs_ ? Registering : Joined;
      if (nprocs_) sendRegister(now);
      return;
    case ABORT:
      state_ = Waiting;
      retryAt_ = now + WAMP_REJOIN_DELAY;
      return;
    case GOODBYE:
      if (state_ == Idle || state_ == Waiting) return;
      sendGoodbye(now);
      state_ = Waiting;
      retryAt_ = now + WAMP_REJOIN_DELAY;
      return;
    case REGISTERED:
    case ERROR:
      if (state_ != Registering) return;
      if (type == ERROR && r.uint() != REGISTER) return;
      r.uint();  // the REGISTER's request id: one is pending at a time
      registrations_[regIndex_] = type == REGISTERED ? r.uint() : 0;  // 0: refused
      if (++regIndex_ < nprocs_) sendRegister(now);
      else state_ = Joined;
      return;
    case INVOCATION:
      if (state_ == Registering || state_ == Joined) invocation(r, now);
      return;
  }
}

void WampClient::invocation(MpReader &r, uint32_t now) {
  uint64_t req = r.uint();
  uint64_t reg = r.uint();
  r.skip();  // details
  uint32_t nargs = r.atEnd() ? 0 : r.array();
  if (!r.ok()) return;  // malformed: nothing sensible to answer
  MpWriter w(link_.txBuffer(), LINK_TX_MESSAGE);
  PGM_P err = kNoSuchRegistration;
  for (uint8_t i = 0; i < nprocs_; i++) {
    if (reg == registrations_[i] && reg != 0) {
      w.array(4);
      w.uint(YIELD);
      w.uint(req);
      w.map(0);
      w.array(1);
      err = procs_[i].fn(r, nargs, w);
      if (!r.ok()) err = kInvalidArgument;
      break;
    }
  }
  if (err) {  // start again: ERROR [8, 68, req, {}, uri]
    w = MpWriter(link_.txBuffer(), LINK_TX_MESSAGE);
    w.array(5);
    w.uint(ERROR);
    w.uint(INVOCATION);
    w.uint(req);
    w.map(0);
    w.strP(err);
  }
  if (w.ok()) link_.send(w.len(), now);
}
