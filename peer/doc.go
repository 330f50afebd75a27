// Package peer is the connection machinery shared by the router and the
// client: it turns a [wamp.Transport] (RawSocket, serial link, WebSocket or an
// in-process [Pipe]) into a [Conn] that decodes incoming messages and encodes
// and queues outgoing ones. [New] makes a Conn; a server holding many
// connections embeds one in its own per-connection struct and sets it up
// with [Init] instead (minirouter: one allocation per session).
//
// # Reading
//
// One goroutine calls [Conn.Recv] in a loop. Recv reads the next message from
// the transport and decodes it with the connection's serializer. A transport
// error closes the connection and is recorded as its close reason; a message
// that does not decode is returned as an error and the connection stays open,
// so that the caller can answer with ABORT or ERROR as the spec says.
//
// A reader with many idle connections need not keep a goroutine blocked in
// Recv for each: when [Conn.Transport] is a [wamp.Parker] (rawsocket.Conn
// over TCP and Unix sockets), its Park runs a function on a new goroutine
// once input comes, so the reader can return; peer itself adds nothing.
//
// # Writing
//
// [Conn.Send] and [Conn.SendEncoded] never block: they put the encoded message
// on an outbound queue bounded both in messages ([Config.QueueMessages]) and
// in bytes ([Config.QueueBytes]) and return [ErrQueueFull] when it has no
// room (a slow consumer: the caller drops or disconnects, per its policy).
// [Conn.SendWait] waits for room instead.
//
// A single writer goroutine drains the queue. It is started on demand when a
// message is queued and none is running, takes everything queued at that
// moment and writes it with one [wamp.Transport.WriteMessages] call (one
// system call on stream transports), repeats while more was queued in the
// meantime, and exits as soon as the queue is empty: an idle connection holds
// no writer goroutine. No lock is held during I/O. Every write runs under a
// deadline ([Config.WriteTimeout]); a write that fails or overruns it closes
// the connection with that reason.
//
// # Closing
//
// [Conn.Close] is idempotent: it records the reason, discards what is still
// queued, closes the transport (which unblocks Recv and a pending write) and
// closes the [Conn.Done] channel. After Close every Send returns [ErrClosed].
// [Conn.Flush] waits until everything queued has been written, e.g. to let a
// GOODBYE or ABORT out before closing.
//
// # Lock order
//
// Conn has one mutex, mu; nothing else is locked while it is held, and it is
// never held across I/O, across a call into the serializer, or while waiting
// on a channel.
package peer
