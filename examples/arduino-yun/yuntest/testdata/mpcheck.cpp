// mpcheck.cpp - runs the EdgeWamp library's MessagePack reader on the host (the library needs only the C
// library), for yuntest's TestMsgPackOnHost. One command per line on stdin, one answer per line on stdout:
//   n HEX   number() of the bytes: "BITS OK" (the float's bits, 8 hex digits; OK 1 or 0)
//   s HEX   skip() until the input ends or fails: "OK VALUES" (OK 1 or 0, the values skipped)
//   w HEX   reads a whole WAMP-like message as the client does (array, each value skipped, str and uint and
//           number tried on copies): "done"; only a crash (the sanitizers) is a failure
#include <stdio.h>
#include <string.h>

#include "MsgPack.h"

static unsigned hex(const char *s, uint8_t *out, unsigned cap) {
  unsigned n = 0;
  for (; s[0] && s[1] && n < cap; s += 2) {
    unsigned b;
    if (sscanf(s, "%2x", &b) != 1) break;
    out[n++] = (uint8_t)b;
  }
  return n;
}

int main() {
  static char line[1 << 17];
  static uint8_t buf[1 << 16];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    unsigned n = hex(line + 2, buf, sizeof buf);
    MpReader r(buf, (uint16_t)n);
    if (line[0] == 'n') {
      float f = r.number();
      uint32_t bits;
      memcpy(&bits, &f, 4);
      printf("%08x %d\n", (unsigned)bits, r.ok() ? 1 : 0);
    } else if (line[0] == 's') {
      unsigned values = 0;
      while (r.ok() && !r.atEnd()) {
        r.skip();
        if (r.ok()) values++;
      }
      printf("%d %u\n", r.ok() ? 1 : 0, values);
    } else if (line[0] == 'w') {
      uint32_t len = r.array();
      for (uint32_t i = 0; i < len && r.ok(); i++) {
        MpReader a = r, b = r, c = r;
        const uint8_t *s;
        uint16_t sl;
        a.str(&s, &sl);
        b.uint();
        c.number();
        r.skip();
      }
      printf("done\n");
    }
    fflush(stdout);
  }
  return 0;
}
