// YunWamp.ino - the Arduino Yun's microcontroller (ATmega32u4) as a WAMP
// device, over the Yun's internal UART (Serial1 <-> /dev/ttyATH0 on the Linux
// side, 250000 baud) to edgewamp's sensorbridge, with the EdgeWamp library
// (edgewamp's serial link protocol and a tiny MessagePack WAMP client).
// On a board without Serial1 (the Uno) it uses Serial, the only UART.
//
//   - joins realm1;
//   - registers light.set(on: bool) -> bool, which drives LED_BUILTIN (pin 13),
//     and light.get() -> bool;
//   - publishes light.state [on] after each change of the light and on each
//     join, so that every client (the web page) follows the light;
//   - publishes temperature [celsius] every PUBLISH_INTERVAL ms, read from a
//     TMP36 on A0 (10 mV/°C, 500 mV at 0 °C).
//
// No dynamic memory. Every boot starts a new link with a new random link id,
// so the gateway ends the previous session (and its registrations).
#include <EEPROM.h>
#include <EdgeWamp.h>

#ifndef LINK_BAUD
#define LINK_BAUD 250000  // the Yun's Bridge rate; exact at 16 MHz
#endif
#ifndef PUBLISH_INTERVAL
#define PUBLISH_INTERVAL 1000
#endif
#define LIGHT_PIN LED_BUILTIN
#define TEMP_PIN A0
#define NOISE_PIN A5  // left unconnected: its noise seeds the link id
#if defined(HAVE_HWSERIAL1)
#define LINK_SERIAL Serial1  // Yun, Leonardo: the UART (Serial is USB)
#else
#define LINK_SERIAL Serial   // Uno: the only UART
#endif

static const char kRealm[] PROGMEM = "realm1";
static const char kLightSet[] PROGMEM = "light.set";
static const char kLightGet[] PROGMEM = "light.get";
static const char kLightState[] PROGMEM = "light.state";
static const char kTemperature[] PROGMEM = "temperature";
static const char kInvalidArgument[] PROGMEM = "wamp.error.invalid_argument";

static bool light;
static bool lightDue = true;  // light.state is to be published

// light.set(on) -> on
static PGM_P lightSet(MpReader &args, uint32_t nargs, MpWriter &out) {
  if (nargs < 1) return kInvalidArgument;
  bool on = args.boolean();
  if (!args.ok()) return kInvalidArgument;
  light = on;
  lightDue = true;
  digitalWrite(LIGHT_PIN, on ? HIGH : LOW);
  out.boolean(light);
  return NULL;
}

// light.get() -> on
static PGM_P lightGet(MpReader &, uint32_t, MpWriter &out) {
  out.boolean(light);
  return NULL;
}

static WampProcedure procedures[] = {
    WAMP_PROCEDURE(kLightSet, lightSet),
    WAMP_PROCEDURE(kLightGet, lightGet),
};

// the link's byte stream: the UART
static int portRead() { return LINK_SERIAL.read(); }
static void portWrite(const uint8_t *p, uint16_t n) { LINK_SERIAL.write(p, n); }

EDGEWAMP_LINK(link, (WampPort{portRead, portWrite}));
static WampClient wamp(link, kRealm, procedures, 2);
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
  uint16_t raw = analogRead(TEMP_PIN);               // 0..1023 for 0..5 V
  float mv = raw * (5000.0f / 1024.0f);
  return (mv - 500.0f) / 10.0f;
}

void setup() {
  pinMode(LIGHT_PIN, OUTPUT);
  digitalWrite(LIGHT_PIN, LOW);
  uint32_t boots;
  EEPROM.get(0, boots);
  boots++;
  EEPROM.put(0, boots);
  seed = boots * 2654435761ul + 1;
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
    lightDue = true;  // a new session announces the light once joined
  } else if (lightDue) {
    if (wamp.publishBool(kLightState, light, now)) lightDue = false;
  } else if ((int32_t)(now - nextPublish) >= 0) {
    if (wamp.publish(kTemperature, readCelsius(), now)) nextPublish = now + PUBLISH_INTERVAL;
  }
}
