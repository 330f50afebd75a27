// Thermostat.ino - a thermostat as a WAMP device, with the EdgeWamp library
// over edgewamp's serial link (Serial1 on the Yun and Leonardo, Serial on the
// Uno, 250000 baud) to a gateway such as sensorbridge:
//
//   - subscribes to thermostat.setpoint [celsius], asking for the retained
//     event, so that a restarted device learns the last setpoint at once;
//   - reads a TMP36 on A0 (10 mV/°C, 500 mV at 0 °C) every PUBLISH_INTERVAL
//     ms and publishes thermostat.temperature [celsius];
//   - switches the heater by calling heater.set(on) -> on, a procedure some
//     other client provides (a relay board, a backend), with HYSTERESIS °C
//     around the setpoint; pin 13 shows the heater as heater.set's result
//     confirmed it. A refused or failed call is tried again after CALL_RETRY
//     ms, and every new session asks again (the heater may have been
//     switched meanwhile). Until a setpoint is known the heater stays off;
//   - registers thermostat.get() -> [celsius, setpoint or nil, heating].
//
// No dynamic memory. Every boot starts a new link with a new random link id,
// so the gateway ends the previous session.
#include <EEPROM.h>
#include <EdgeWamp.h>

#ifndef LINK_BAUD
#define LINK_BAUD 250000
#endif
#ifndef PUBLISH_INTERVAL
#define PUBLISH_INTERVAL 1000
#endif
#ifndef HYSTERESIS
#define HYSTERESIS 0.5f
#endif
#ifndef CALL_RETRY
#define CALL_RETRY 2000
#endif
#define HEATER_PIN LED_BUILTIN
#define TEMP_PIN A0
#define NOISE_PIN A5  // left unconnected: its noise seeds the link id
#if defined(HAVE_HWSERIAL1)
#define LINK_SERIAL Serial1  // Yun, Leonardo: the UART (Serial is USB)
#else
#define LINK_SERIAL Serial   // Uno: the only UART
#endif

static const char kRealm[] PROGMEM = "realm1";
static const char kSetpoint[] PROGMEM = "thermostat.setpoint";
static const char kTemperature[] PROGMEM = "thermostat.temperature";
static const char kGet[] PROGMEM = "thermostat.get";
static const char kHeaterSet[] PROGMEM = "heater.set";

static float celsius;          // the last reading
static float setpoint = NAN;   // NAN until the first thermostat.setpoint event
static bool heating;           // as heater.set last confirmed it
static bool heaterKnown;       // heater.set confirmed it in this session
static uint32_t retryAt;       // no heater.set before then (after a failure)

// thermostat.setpoint [celsius]: a number within -50..150 °C, else ignored
static void onSetpoint(MpReader &args, uint32_t nargs) {
  if (nargs < 1) return;
  float v = args.number();
  if (args.ok() && v > -50 && v < 150) setpoint = v;
}

// thermostat.get() -> [celsius, setpoint or nil, heating]
static PGM_P get(MpReader &, uint32_t, MpWriter &out) {
  out.array(3);
  out.float32(celsius);
  if (isnan(setpoint)) out.nil();
  else out.float32(setpoint);
  out.boolean(heating);
  return NULL;
}

// onHeater takes heater.set's outcome: [on] confirms the heater's state;
// an ERROR, a timeout or a lost session means trying again later.
static void onHeater(const WampReply &r) {
  if (r.ok() && r.nargs >= 1) {
    bool on = r.args->boolean();
    if (r.args->ok()) {
      heating = on;
      heaterKnown = true;
      digitalWrite(HEATER_PIN, on ? HIGH : LOW);
      return;
    }
  }
  retryAt = millis() + CALL_RETRY;
}

// wanted tells whether the heater should be on at temperature t.
static bool wanted(float t) {
  if (isnan(setpoint)) return false;
  return heating ? t < setpoint + HYSTERESIS : t < setpoint - HYSTERESIS;
}

static WampProcedure procedures[] = {WAMP_PROCEDURE(kGet, get)};
static WampTopic topics[] = {WAMP_TOPIC(kSetpoint, onSetpoint, WAMP_GET_RETAINED)};

static int portRead() { return LINK_SERIAL.read(); }
static void portWrite(const uint8_t *p, uint16_t n) { LINK_SERIAL.write(p, n); }

EDGEWAMP_LINK(link, (WampPort{portRead, portWrite}));
static WampClient wamp(link, kRealm, procedures, 1, topics, 1);
static uint32_t nextPublish;
static uint32_t seed;

// newLinkId mixes the noise of a floating analog pin and the time into the
// seed (set from a boot counter in EEPROM) and returns a non-zero id.
static uint32_t newLinkId() {
  uint32_t noise = micros();
  for (uint8_t i = 0; i < 16; i++) noise = noise << 2 ^ (analogRead(NOISE_PIN) & 3);
  return SerialLink::mixId(&seed, noise);
}

static float readCelsius() {
  uint16_t raw = analogRead(TEMP_PIN);  // 0..1023 for 0..5 V
  return (raw * (5000.0f / 1024.0f) - 500.0f) / 10.0f;
}

void setup() {
  pinMode(HEATER_PIN, OUTPUT);
  digitalWrite(HEATER_PIN, LOW);
  uint32_t boots;
  EEPROM.get(0, boots);
  EEPROM.put(0, ++boots);
  seed = boots * 2654435761ul + 1;
  celsius = readCelsius();
  LINK_SERIAL.begin(LINK_BAUD);
  link.begin(newLinkId(), millis());
  nextPublish = millis() + PUBLISH_INTERVAL;
}

void loop() {
  uint32_t now = millis();
  if (!link.poll(now)) {  // the link went down: start afresh with a new id
    wamp.reset();
    link.begin(newLinkId(), now);
    return;
  }
  wamp.poll(now);
  if (!wamp.joined()) {
    heaterKnown = false;  // a new session asks heater.set again
    return;
  }
  bool want = wanted(celsius);
  if ((!heaterKnown || want != heating) && !wamp.callPending() && (int32_t)(now - retryAt) >= 0) {
    MpWriter *w = wamp.beginCall(kHeaterSet, 1, onHeater);
    if (w) {
      w->boolean(want);
      wamp.send(now);
    }
  } else if ((int32_t)(now - nextPublish) >= 0) {
    celsius = readCelsius();
    if (wamp.publish(kTemperature, celsius, now)) nextPublish = now + PUBLISH_INTERVAL;
  }
}
