// WampClient.h - a tiny WAMP v2 client (MessagePack) on a SerialLink: it
// joins a realm, registers a fixed table of procedures, subscribes to a fixed
// table of topics, publishes, and calls one procedure at a time. It speaks
// HELLO, WELCOME, ABORT, GOODBYE, ERROR, PUBLISH, SUBSCRIBE(D), EVENT, CALL,
// RESULT, REGISTER(ED), INVOCATION and YIELD; anything else is consumed and
// ignored.
//
// A message is taken from the link only when the link can carry the answer
// (window 1), so an INVOCATION is acknowledged after its YIELD is queued:
// the gateway never sends faster than the sketch handles.
//
// No dynamic memory: the tables belong to the sketch (they hold the IDs the
// router assigns), messages are written straight into the link's transmit
// buffer and read in place from its receive buffer.
#ifndef EDGEWAMP_WAMP_CLIENT_H
#define EDGEWAMP_WAMP_CLIENT_H

#include "MsgPack.h"
#include "SerialLink.h"

// A WampProcedureFn reads its positional arguments (nargs of them, from
// args) and writes exactly one result value to out. It returns NULL on
// success or the error URI (a PSTR) to answer with.
typedef PGM_P (*WampProcedureFn)(MpReader &args, uint32_t nargs, MpWriter &out);

// A WampProcedure is a procedure the client registers on every join.
struct WampProcedure {
  PGM_P uri;           // PSTR
  WampProcedureFn fn;
  uint64_t id;         // the registration, set by the client (0: none)
};

// WAMP_PROCEDURE(uri, fn) is a WampProcedure table entry.
#define WAMP_PROCEDURE(uri, fn) {(uri), (fn), 0}

// A WampEventFn reads an event's positional arguments (nargs of them).
typedef void (*WampEventFn)(MpReader &args, uint32_t nargs);

// WAMP_GET_RETAINED in WampTopic.flags asks the router for the topic's
// retained event when subscribing (a restarted device learns the last value).
#define WAMP_GET_RETAINED 1

// A WampTopic is a topic the client subscribes to on every join.
struct WampTopic {
  PGM_P uri;           // PSTR
  WampEventFn fn;
  uint8_t flags;       // WAMP_GET_RETAINED or 0
  uint64_t id;         // the subscription, set by the client (0: none)
};

// WAMP_TOPIC(uri, fn, flags) is a WampTopic table entry.
#define WAMP_TOPIC(uri, fn, flags) {(uri), (fn), (flags), 0}

// WAMP_RETAIN in beginPublish's flags asks the router to keep the event for
// later subscribers that ask for it.
#define WAMP_RETAIN 1

// A WampReply is the outcome of a call, handed once to its WampCallFn.
struct WampReply {
  enum Status : uint8_t {
    Result,   // RESULT: args holds its positional arguments
    Error,    // ERROR: error names the URI, args holds its arguments
    Timeout,  // no answer within WAMP_CALL_TIMEOUT ms
    Lost,     // the session ended first
  };
  Status status;
  MpReader *args;        // NULL unless Result or Error
  uint32_t nargs;
  const uint8_t *error;  // Error: the URI's bytes (errorLen, not NUL-terminated)
  uint16_t errorLen;
  bool ok() const { return status == Result; }
  // errorIs tells whether the reply is an ERROR with the given URI (a PSTR).
  bool errorIs(PGM_P uri) const;
};

typedef void (*WampCallFn)(const WampReply &reply);

// WAMP_CALL_TIMEOUT is how long a call waits for its RESULT or ERROR, in ms.
#ifndef WAMP_CALL_TIMEOUT
#define WAMP_CALL_TIMEOUT 10000
#endif

class WampClient {
 public:
  // realm is a PSTR; the tables must outlive the client.
  WampClient(SerialLink &link, PGM_P realm, WampProcedure *procs, uint8_t nprocs,
             WampTopic *topics = 0, uint8_t ntopics = 0)
      : link_(link), realm_(realm), procs_(procs), topics_(topics), nprocs_(nprocs),
        ntopics_(ntopics), w_(0, 0) {}

  // poll handles what the link delivered and sends what is due. Call it
  // after SerialLink::poll; call reset() whenever the link restarts.
  void poll(uint32_t now);
  void reset();

  // joined tells whether the session is up, every procedure registered and
  // every topic subscribed (a refused one is skipped).
  bool joined() const { return state_ == Joined; }
  uint64_t session() const { return session_; }

  // beginPublish starts PUBLISH [16, id, {}, topic, [...]] with nargs
  // positional arguments, which the caller writes with the returned writer
  // before calling send(). NULL when not joined or the link is busy. flags:
  // WAMP_RETAIN or 0. No acknowledgement is asked.
  MpWriter *beginPublish(PGM_P topic, uint8_t nargs, uint8_t flags = 0);
  // beginCall starts CALL [48, id, {}, procedure, [...]] the same way; done
  // gets the outcome, once. NULL also while a call is pending (one at a time).
  MpWriter *beginCall(PGM_P procedure, uint8_t nargs, WampCallFn done);
  // send sends what beginPublish or beginCall started; false when the
  // arguments did not fit the transmit buffer (nothing is sent).
  bool send(uint32_t now);
  // callPending tells whether a call waits for its outcome.
  bool callPending() const { return callFn_ != 0; }

  // publish sends PUBLISH topic [value]: beginPublish and send in one.
  bool publish(PGM_P topic, float value, uint32_t now);
  // publishBool is publish with a boolean: topic [value].
  bool publishBool(PGM_P topic, bool value, uint32_t now);

 private:
  enum State : uint8_t { Idle, Welcoming, Declaring, Joined, Waiting };
  void handle(const uint8_t *m, uint16_t n, uint32_t now);
  void invocation(MpReader &r, uint32_t now);
  void event(MpReader &r);
  void reply(MpReader &r, bool isError);
  void finishCall(WampReply &reply);
  void lose();
  void leave(uint32_t now);
  bool sendHello(uint32_t now);
  void declareNext(uint32_t now);
  void declared(uint64_t id, uint32_t now);
  bool sendGoodbye(uint32_t now);
  MpWriter *begin(uint8_t type, PGM_P uri, uint8_t nargs, bool retain);

  SerialLink &link_;
  PGM_P realm_;
  WampProcedure *procs_;
  WampTopic *topics_;
  uint8_t nprocs_, ntopics_;
  State state_ = Idle;
  uint8_t declIndex_ = 0;         // procedure (then topic) being declared
  uint8_t building_ = 0;          // the message type begun, until send()
  uint64_t session_ = 0;
  uint32_t nextRequest_ = 1;      // request IDs count from 1 in each session
  uint32_t callRequest_ = 0;      // the pending call's request
  uint32_t callAt_ = 0;           // when it was sent
  uint32_t retryAt_ = 0;          // when Waiting: when to say HELLO again
  WampCallFn callFn_ = 0;         // the pending call's handler (0: none)
  WampCallFn nextFn_ = 0;         // the handler of the call being built
  MpWriter w_;                    // the message being built
};

#endif
