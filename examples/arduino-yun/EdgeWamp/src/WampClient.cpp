// WampClient.cpp - see WampClient.h. Message shapes (WAMP v2, as arrays):
//   HELLO      [1, Realm|uri, Details|dict]
//   WELCOME    [2, Session|id, Details|dict]
//   ABORT      [3, Details|dict, Reason|uri]
//   GOODBYE    [6, Details|dict, Reason|uri]
//   ERROR      [8, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, (Arguments|list, ...)]
//   PUBLISH    [16, Request|id, Options|dict, Topic|uri, Arguments|list]
//   SUBSCRIBE  [32, Request|id, Options|dict, Topic|uri]
//   SUBSCRIBED [33, SUBSCRIBE.Request|id, Subscription|id]
//   EVENT      [36, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id, Details|dict, (Arguments|list, ...)]
//   CALL       [48, Request|id, Options|dict, Procedure|uri, Arguments|list]
//   RESULT     [50, CALL.Request|id, Details|dict, (Arguments|list, ...)]
//   REGISTER   [64, Request|id, Options|dict, Procedure|uri]
//   REGISTERED [65, REGISTER.Request|id, Registration|id]
//   INVOCATION [68, Request|id, REGISTERED.Registration|id, Details|dict, (Arguments|list, ...)]
//   YIELD      [70, INVOCATION.Request|id, Options|dict, Arguments|list]
#include "WampClient.h"

enum : uint8_t {
  HELLO = 1, WELCOME = 2, ABORT = 3, GOODBYE = 6, ERROR = 8, PUBLISH = 16,
  SUBSCRIBE = 32, SUBSCRIBED = 33, EVENT = 36, CALL = 48, RESULT = 50,
  REGISTER = 64, REGISTERED = 65, INVOCATION = 68, YIELD = 70,
};

static const char kRoles[] PROGMEM = "roles";
static const char kCaller[] PROGMEM = "caller";
static const char kCallee[] PROGMEM = "callee";
static const char kPublisher[] PROGMEM = "publisher";
static const char kSubscriber[] PROGMEM = "subscriber";
static const char kAgent[] PROGMEM = "agent";
static const char kAgentName[] PROGMEM = "edgewamp-avr/2";
static const char kRetain[] PROGMEM = "retain";
static const char kGetRetained[] PROGMEM = "get_retained";
static const char kGoodbyeAndOut[] PROGMEM = "wamp.close.goodbye_and_out";
static const char kNoSuchRegistration[] PROGMEM = "wamp.error.no_such_registration";
static const char kInvalidArgument[] PROGMEM = "wamp.error.invalid_argument";

// retry delay after ABORT or GOODBYE, in ms
#define WAMP_REJOIN_DELAY 2000

bool WampReply::errorIs(PGM_P uri) const {
  return status == Error && errorLen == strlen_P(uri) && memcmp_P(error, uri, errorLen) == 0;
}

bool WampClient::sendHello(uint32_t now) {
  MpWriter w(link_.txBuffer(), link_.txCapacity());
  w.array(3);
  w.uint(HELLO);
  w.strP(realm_);
  w.map(2);
  w.strP(kAgent);
  w.strP(kAgentName);
  w.strP(kRoles);
  w.map(4);
  w.strP(kCaller);
  w.map(0);
  w.strP(kCallee);
  w.map(0);
  w.strP(kPublisher);
  w.map(0);
  w.strP(kSubscriber);
  w.map(0);
  return w.ok() && link_.send(w.len(), now);
}

// declareNext sends the REGISTER or SUBSCRIBE of entry declIndex_ (the
// procedures, then the topics), skipping one too long for the transmit
// buffer; after the last, the session is joined. The link must be free.
void WampClient::declareNext(uint32_t now) {
  for (; declIndex_ < nprocs_ + ntopics_; declIndex_++) {
    bool proc = declIndex_ < nprocs_;
    const WampTopic *t = proc ? 0 : &topics_[declIndex_ - nprocs_];
    MpWriter w(link_.txBuffer(), link_.txCapacity());
    w.array(4);
    w.uint(proc ? REGISTER : SUBSCRIBE);
    w.uint(nextRequest_);
    if (t && (t->flags & WAMP_GET_RETAINED)) {
      w.map(1);
      w.strP(kGetRetained);
      w.boolean(true);
    } else {
      w.map(0);
    }
    w.strP(proc ? procs_[declIndex_].uri : t->uri);
    if (w.ok() && link_.send(w.len(), now)) {
      nextRequest_++;
      return;
    }
  }
  state_ = Joined;
}

// declared records the answer to the REGISTER or SUBSCRIBE in flight (id 0:
// refused) and declares the next entry.
void WampClient::declared(uint64_t id, uint32_t now) {
  if (declIndex_ < nprocs_) procs_[declIndex_].id = id;
  else topics_[declIndex_ - nprocs_].id = id;
  declIndex_++;
  declareNext(now);
}

bool WampClient::sendGoodbye(uint32_t now) {
  MpWriter w(link_.txBuffer(), link_.txCapacity());
  w.array(3);
  w.uint(GOODBYE);
  w.map(0);
  w.strP(kGoodbyeAndOut);
  return w.ok() && link_.send(w.len(), now);
}

// begin writes [type, id, options, uri, [ into the transmit buffer, up to
// the nargs arguments the caller writes; NULL when not joined or the link
// is busy.
MpWriter *WampClient::begin(uint8_t type, PGM_P uri, uint8_t nargs, bool retain) {
  building_ = 0;
  if (state_ != Joined || !link_.canSend()) return 0;
  w_ = MpWriter(link_.txBuffer(), link_.txCapacity());
  w_.array(5);
  w_.uint(type);
  w_.uint(nextRequest_);
  if (retain) {
    w_.map(1);
    w_.strP(kRetain);
    w_.boolean(true);
  } else {
    w_.map(0);
  }
  w_.strP(uri);
  w_.array(nargs);
  building_ = type;
  return &w_;
}

MpWriter *WampClient::beginPublish(PGM_P topic, uint8_t nargs, uint8_t flags) {
  return begin(PUBLISH, topic, nargs, flags & WAMP_RETAIN);
}

MpWriter *WampClient::beginCall(PGM_P procedure, uint8_t nargs, WampCallFn done) {
  if (callFn_ || !done) return 0;
  nextFn_ = done;
  return begin(CALL, procedure, nargs, false);
}

bool WampClient::send(uint32_t now) {
  uint8_t type = building_;
  building_ = 0;
  if (!type || !w_.ok() || !link_.send(w_.len(), now)) return false;
  if (type == CALL) {
    callFn_ = nextFn_;
    callRequest_ = nextRequest_;
    callAt_ = now;
  }
  nextRequest_++;
  return true;
}

bool WampClient::publish(PGM_P topic, float value, uint32_t now) {
  MpWriter *w = beginPublish(topic, 1);
  if (!w) return false;
  w->float32(value);
  return send(now);
}

bool WampClient::publishBool(PGM_P topic, bool value, uint32_t now) {
  MpWriter *w = beginPublish(topic, 1);
  if (!w) return false;
  w->boolean(value);
  return send(now);
}

// finishCall ends the pending call with reply; its handler may start the next.
void WampClient::finishCall(WampReply &reply) {
  WampCallFn fn = callFn_;
  callFn_ = 0;
  if (fn) fn(reply);
}

// lose ends a pending call because the session ended.
void WampClient::lose() {
  WampReply r = {};
  r.status = WampReply::Lost;
  finishCall(r);
}

void WampClient::reset() {
  state_ = Idle;
  building_ = 0;
  lose();
}

// leave ends the session on ABORT or GOODBYE; HELLO follows after a delay.
void WampClient::leave(uint32_t now) {
  state_ = Waiting;
  retryAt_ = now + WAMP_REJOIN_DELAY;
  lose();
}

void WampClient::poll(uint32_t now) {
  building_ = 0;  // a message begun and not sent is dropped
  if (!link_.up()) {
    if (state_ != Idle) reset();
    return;
  }
  if (callFn_ && now - callAt_ >= WAMP_CALL_TIMEOUT) {
    WampReply r = {};
    r.status = WampReply::Timeout;
    finishCall(r);
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
  bool inSession = state_ == Declaring || state_ == Joined;
  switch (type) {
    case WELCOME:
      if (state_ != Welcoming) return;
      session_ = r.uint();
      for (uint8_t i = 0; i < nprocs_; i++) procs_[i].id = 0;
      for (uint8_t i = 0; i < ntopics_; i++) topics_[i].id = 0;
      declIndex_ = 0;
      state_ = Declaring;
      declareNext(now);
      return;
    case ABORT:
      leave(now);
      return;
    case GOODBYE:
      if (!inSession && state_ != Welcoming) return;
      sendGoodbye(now);
      leave(now);
      return;
    case REGISTERED:
    case SUBSCRIBED:
      if (state_ == Declaring && r.uint() == nextRequest_ - 1) declared(r.uint(), now);
      return;
    case ERROR: {
      uint64_t of = r.uint();
      uint64_t req = r.uint();
      if (!r.ok()) return;
      if (of == CALL) {
        if (callFn_ && req == callRequest_) reply(r, true);
      } else if (state_ == Declaring && (of == REGISTER || of == SUBSCRIBE) && req == nextRequest_ - 1) {
        declared(0, now);  // refused: the session goes on without it
      }
      return;
    }
    case RESULT:
      if (callFn_ && r.uint() == callRequest_ && r.ok()) reply(r, false);
      return;
    case EVENT:
      if (inSession) event(r);
      return;
    case INVOCATION:
      if (inSession) invocation(r, now);
      return;
  }
}

// reply hands the pending call its RESULT or ERROR, read after the request
// id; a malformed one is ignored (the call times out).
void WampClient::reply(MpReader &r, bool isError) {
  WampReply rep = {};
  rep.status = isError ? WampReply::Error : WampReply::Result;
  r.skip();  // details
  if (isError) r.str(&rep.error, &rep.errorLen);
  rep.nargs = r.atEnd() ? 0 : r.array();
  if (!r.ok()) return;
  rep.args = &r;
  finishCall(rep);
}

void WampClient::event(MpReader &r) {
  uint64_t sub = r.uint();
  r.skip();  // publication
  r.skip();  // details
  uint32_t nargs = r.atEnd() ? 0 : r.array();
  if (!r.ok() || sub == 0) return;
  for (uint8_t i = 0; i < ntopics_; i++) {
    if (topics_[i].id == sub) {
      topics_[i].fn(r, nargs);
      return;
    }
  }
}

void WampClient::invocation(MpReader &r, uint32_t now) {
  uint64_t req = r.uint();
  uint64_t reg = r.uint();
  r.skip();  // details
  uint32_t nargs = r.atEnd() ? 0 : r.array();
  if (!r.ok()) return;  // malformed: nothing sensible to answer
  MpWriter w(link_.txBuffer(), link_.txCapacity());
  PGM_P err = kNoSuchRegistration;
  for (uint8_t i = 0; i < nprocs_; i++) {
    if (reg == procs_[i].id && reg != 0) {
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
    w = MpWriter(link_.txBuffer(), link_.txCapacity());
    w.array(5);
    w.uint(ERROR);
    w.uint(INVOCATION);
    w.uint(req);
    w.map(0);
    w.strP(err);
  }
  if (w.ok()) link_.send(w.len(), now);
}
