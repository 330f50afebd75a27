// EdgeWamp.h - a tiny WAMP v2 client for microcontrollers, over edgewamp's
// serial link to a gateway (sensorbridge, or any program serving
// serialtransport): SerialLink carries the messages, WampClient speaks WAMP
// (MessagePack) on it, MpReader and MpWriter read and write the payloads.
// No dynamic memory; the board provides only a WampPort (read and write a
// byte stream). See the library's README and examples.
#ifndef EDGEWAMP_H
#define EDGEWAMP_H

#include "MsgPack.h"
#include "SerialLink.h"
#include "WampClient.h"

#endif
