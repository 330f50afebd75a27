// Package serialtransport carries WAMP over a serial line (a UART, a USB
// serial adapter, a pty): any io.ReadWriteCloser, with [OpenPort] for real
// ports through go.bug.st/serial (or, built with the edgewamp_termios tag on
// Linux, through termios ioctls of its own). A UART is not a reliable stream (noise,
// lost bytes, a microcontroller that resets mid-frame), so messages travel in
// self-delimiting, checked frames with acknowledged delivery. This comment is
// the protocol's specification, byte by byte, for implementations in other
// languages (the EdgeWamp Arduino library in examples/arduino-yun/EdgeWamp).
//
// # Frames
//
// A frame is COBS(payload ‖ CRC) followed by one 0x00 byte:
//
//   - CRC is CRC-16/CCITT-FALSE of the payload (polynomial 0x1021, initial
//     value 0xFFFF, no reflection, no final XOR; "123456789" gives 0x29B1),
//     sent big-endian (high byte first).
//   - COBS is Consistent Overhead Byte Stuffing: groups of a code byte n
//     (1..255) and n-1 non-zero bytes; a group with n < 255 stands for its
//     bytes and one 0x00, a group with n = 255 for its 254 bytes alone; the
//     0x00 implied by the last group is dropped. The encoding has no 0x00,
//     so 0x00 delimits frames. Encoders emit the canonical form (no empty
//     group after a full one that ends the input), as the reference C code.
//
// A receiver collects bytes up to a 0x00 and decodes them. A frame whose
// COBS is malformed, that is shorter than the CRC, or whose CRC does not
// match is dropped and counted; the receiver starts afresh after the 0x00
// (resynchronisation). Bytes between two 0x00 that would exceed the
// largest frame are discarded up to the next 0x00 (the receive buffer is
// bounded). An empty frame (0x00 0x00) is ignored: a sender may send a lone
// 0x00 to flush the receiver's partial frame, which a device does before its
// first HELLO.
//
// The CRC catches every error of up to 16 bits in a row (no frame with one
// flipped bit passed among 365,392 tried), but not every error: of frames
// that lost one byte, about 1 in 40,000 still decode with a matching CRC
// (4 of 182,448 in TestFrameResidualErrors, 19 of 729,792 in a longer run;
// CRC-16 lets 1 in 65,536 random damages through). On a clean UART this
// never shows; on a line that damages many frames, the WAMP layer above
// still refuses most such messages as malformed, and a link that needs more
// should run over a line with its own error control.
//
// # Payloads
//
// The payload is one type byte and a body. Multi-byte integers are
// big-endian.
//
//	0x01 HELLO      device → gateway, 10 bytes:
//	                01 | 7F | LLLL SSSS | 00 | 00 | window | link id (4)
//	0x02 HELLO-ACK  gateway → device, 14 bytes:
//	                02 | 7F | LLLL SSSS | 00 | 00 | window | gateway link id (4) | device link id (4)
//	                refusal: 02 | 7F | EEEE 0000 | 00 | 00 | 00 | 00 00 00 00 | device link id (4)
//	0x03 DATA       03 | seq | one serialized WAMP message (JSON or MessagePack)
//	0x04 ACK        04 | seq
//	0x05 PING       05 | any bytes (a keepalive PING carries a 4-byte counter)
//	0x06 PONG       06 | the PING's bytes
//	0x07 RESET      07 | reason: 00 link closed, 01 unknown link (the sender
//	                     has no link with us: it restarted, or the link ended)
//
// Other types are ignored (and counted).
//
// The four bytes after the type in HELLO and HELLO-ACK are the RawSocket
// handshake octets: the magic 0x7F; LLLL, the largest message the sender
// accepts, 2^(9+LLLL) bytes (0 = 512 B, 1 = 1 KiB, the default, up to 7 =
// 64 KiB here); SSSS, the serializer (1 JSON, 2 MessagePack, 3 CBOR where
// built), which the gateway echoes; two reserved zero octets. A refusal carries an error code
// EEEE as in RawSocket (1 serializer unsupported, 2 maximum length
// unacceptable, 3 reserved bits set, 4 connection limit). A HELLO whose
// first body byte is not 0x7F gets no answer. window is the number of
// unacknowledged DATA frames the sender lets its peer have (1..16); the link
// uses the smaller of both sides' (the HELLO-ACK carries it), so a
// microcontroller announces 1 (stop-and-wait). Link ids are random, non-zero
// 32-bit numbers chosen afresh by each side for each link.
//
// # Link life
//
// The device sends HELLO, repeating it (same link id) every
// [Config.HandshakeRetry] until a HELLO-ACK echoing its link id comes back.
// The gateway answers a repeated HELLO (same link id) with the same
// HELLO-ACK. A HELLO with a new link id while linked means the device
// restarted: the gateway ends the current link (the WAMP session on it ends:
// [Conn.ReadMessage] returns an error wrapping [ErrPeerRestarted]) and starts
// a new one, which the next [Listener.Accept] returns.
//
// Sequence numbers are one byte and count from 0 in each direction on every
// new link. The receiver takes DATA only in order: a frame with the next
// sequence number is queued for the application; one it already took
// (a duplicate) or one after a gap is discarded, and either is answered
// by repeating the last ACK. The receiver sends ACK seq when the
// application has read the message seq (so a slow reader paces the sender);
// an ACK is cumulative: it acknowledges every DATA up to seq. The sender keeps
// at most window DATA frames unacknowledged, and when the oldest stays
// unacknowledged for [Config.RetransmitTimeout] it sends all of them again
// (go-back-N); after [Config.MaxRetries] retransmissions without progress
// the link is dead ([ErrLinkDead]). A repeated ACK of the frame just before
// the oldest unacknowledged one means that a later frame came after a gap
// (the oldest was damaged on the line) or a duplicate: the sender goes back
// at once instead of waiting for the timeout, but not again until a frame
// sent after its last go-back is acknowledged (the repeats its own
// duplicates cause would otherwise feed a storm of go-backs). This is the
// sender's choice; a peer that only waits for the timeout (as a
// stop-and-wait microcontroller does) is compatible.
//
// Either side sends PING after [Config.KeepAlive] without receiving
// anything, and declares the link dead after [Config.KeepAliveTimeout] of
// silence. Every PING of a link is answered by a PONG with the same bytes.
//
// Closing a link sends RESET 00; the peer's link ends with [ErrLinkReset].
// A gateway that receives DATA, ACK or PING while it has no link answers
// RESET 01, and the device's link ends with [ErrPeerRestarted] (the gateway
// restarted or dropped the link); the device then dials again. A device
// without a link ignores everything but HELLO-ACK.
//
// # Golden frames
//
// Device link id 0x12345678, gateway link id 0x9ABCDEF0, MessagePack (2),
// 1 KiB (LLLL = 1), window 1:
//
//	HELLO          payload 01 7f 12 00 00 01 12 34 56 78
//	               frame   04 01 7f 12 01 08 01 12 34 56 78 11 9c 00
//	HELLO-ACK      payload 02 7f 12 00 00 01 9a bc de f0 12 34 56 78
//	               frame   04 02 7f 12 01 0c 01 9a bc de f0 12 34 56 78 7b 54 00
//	HELLO-ACK      payload 02 7f 10 00 00 00 00 00 00 00 12 34 56 78   (refused: serializer unsupported)
//	               frame   04 02 7f 10 01 01 01 01 01 01 07 12 34 56 78 7c 8a 00
//	DATA seq 0     payload 03 00 93 01 a6 72 65 61 6c 6d 31 80         (MessagePack [1, "realm1", {}])
//	               frame   02 03 0d 93 01 a6 72 65 61 6c 6d 31 80 8e ea 00
//	ACK 0          payload 04 00
//	               frame   02 04 03 d1 cb 00
//	PING 1         payload 05 00 00 00 01
//	               frame   02 05 01 01 04 01 22 7a 00
//	PONG 1         payload 06 00 00 00 01
//	               frame   02 06 01 01 04 01 cc a8 00
//	RESET closed   payload 07 00
//	               frame   02 07 03 84 98 00
//	RESET unknown  payload 07 01
//	               frame   05 07 01 94 b9 00
//
// # Overhead
//
// A DATA frame adds 6 bytes to a message of up to 254 bytes (type, seq, CRC,
// COBS code, delimiter; one more COBS byte per further 254 bytes), and each
// message costs a 6-byte ACK the other way. Small messages keep most of a
// line busy even with window 1 (the ACKs travel the other way); a larger
// window adds a little. TestLineRate reports the rates on a paced line and
// fails under half of it.
//
// # Use
//
// A device calls [Dial] ("serial:///dev/ttyUSB0?baud=115200") or [Client]
// on an io.ReadWriteCloser it opened (a [Port] from [OpenPort], a pty, a
// pipe); the [Conn] it gets is a wamp.Transport, owning the line.
// [DialURL] is the package's wamp.Dialer, which a binary plugs into
// device.Config.Dialers for serial:// URLs (the URL's query wins over the
// wamp.DialOptions). A gateway wraps the line in a
// [Listener] ([Listen] or [NewListener]) and loops on [Listener.Accept],
// serving each link until it ends. A line's counters ([Stats]: frames, CRC
// and COBS errors, oversize runs, retransmissions, duplicates, restarts)
// come from [Listener.Stats] and [Conn.Stats].
//
// Inside, one goroutine per line reads and dispatches frames; it never
// writes (its answers, ACK, PONG, HELLO-ACK and RESET, go through a small
// queue written by a goroutine started on demand), so the line keeps
// draining while a write blocks. Each link has one timer goroutine
// (retransmission, keepalive).
//
// The package does not link net/http. go.bug.st/serial links regexp (its
// port-name filter); the edgewamp_termios build, which both edge-agents
// use, links neither.
package serialtransport
