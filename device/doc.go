// Package device is the edgewamp WAMP client: it joins a realm on any WAMP
// router and calls, registers, publishes and subscribes, with progressive
// results, call cancelling and timeouts, and with reconnection on keeps a
// device joined across connection loss.
//
// # Connecting
//
// [Dial] connects by URL and joins:
//
//	c, err := device.Dial(ctx, "rs://gateway:8080", device.Config{Realm: "realm1"})
//
// [DialTransport] is where a URL picks its transport, for Dial (and each
// reconnection), the uplink and the command line alike. rs:// (or tcp://) is
// RawSocket over TCP, rss:// RawSocket over TLS (Config.TLS) and
// unix:///run/wamp.sock RawSocket over a Unix socket; a
// serializer=json|msgpack|cbor query picks the serializer (default
// Config.Serializer, else the transport's own: msgpack for RawSocket).
// Other schemes come from Config.Dialers, where each transport package
// offers its wamp.Dialer, so that a binary built without WebSocket or
// serial links neither:
//
//	cfg.Dialers = map[string]wamp.Dialer{
//		"ws": wstransport.DialURL, "wss": wstransport.DialURL, // JSON by default
//		"serial": serialtransport.DialURL,                      // serial:///dev/ttyUSB0?baud=115200
//	}
//
// Config.Transport holds the limits every dialer gets (largest message,
// handshake timeout, keepalive). A URL that names no known transport fails
// with an error wrapping [ErrUnsupportedScheme] that lists the schemes
// there are; a malformed one (no host, no port, unix:// without a path, an
// unknown serializer) fails before anything is dialled.
//
// [NewClient] joins over a transport the caller already has (an in-process
// pipe from minirouter's Router.Connect, a serial link, ...). Both send HELLO
// with the client roles and Config.HelloDetails, answer CHALLENGEs from
// Config.Auth (ticket, WAMP-CRA, cryptosign; see package auth) or through
// Config.Authenticate, and fail with the router's ABORT reason as a
// *wamp.Error (errors.Is(err, wamp.ErrNoSuchRealm)).
//
// # Calling and being called
//
//	res, err := c.Call(ctx, "com.example.add2", wamp.Payload{Args: wamp.List{2, 3}}, nil)
//
// An ERROR answer is returned as the *wamp.Error, so errors.Is(err,
// wamp.ErrNoSuchProcedure) works. Cancelling ctx sends CANCEL (mode
// "killnowait" unless CallOptions.CancelMode says otherwise) and returns at
// once; CallOptions.Timeout is sent to the router and also enforced locally;
// CallOptions.Progress receives progressive results in order.
//
//	reg, err := c.Register(ctx, "com.example.light.set",
//		func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
//			return wamp.Payload{}, setLight(ctx, inv.Args)
//		}, nil)
//
// Each invocation runs on its own goroutine, at most
// Config.MaxConcurrentInvocations at once (more are refused with
// wamp.error.unavailable and counted). The handler's ctx ends when the caller
// cancels (INTERRUPT) or the session ends. Return a *wamp.Error to choose the
// error URI; any other error becomes wamp.error.runtime_error.
// [Invocation.Progress] sends progressive results when the caller asked.
//
// # Streaming a call's input
//
// A call whose input is too large to send (or to hold) whole, such as a
// firmware image for a device, goes in chunks on one call (WAMP progressive
// call invocations): [Client.CallStream], then [CallStream.Send] for each
// chunk, [CallStream.CloseSend] for the last one and [CallStream.Result];
// [CallStream.Recv] takes the callee's progressive results, which pace the
// sender as acknowledgements. The callee's handler runs on the first chunk
// (inv.Payload) and reads the next ones, in order, with [Invocation.Recv]
// until io.EOF; a handler written that way serves plain calls too. The
// router and the callee hold only a few chunks (Config.ChunkQueue); a
// callee that falls behind fails the call with wamp.error.unavailable. The
// edge-agents' board builds leave this out (tag edgewamp_noprogcall).
//
// The router may also take a registration or a subscription away
// (wamp.registration.remove_callee, wamp.subscription.remove_subscriber):
// [Registration.Active] and [Subscription.Active] then turn false.
//
// # Publishing and subscribing
//
//	err := c.Publish(ctx, "com.example.sensor.temp", wamp.Payload{Args: wamp.List{21.5}}, nil)
//	sub, err := c.Subscribe(ctx, "com.example.sensor.", onReading, &device.SubscribeOptions{Match: wamp.PrefixMatch})
//
// A Publish without Acknowledge waits only for room in the send queue. Events
// are handed to handlers by one dispatcher goroutine, in order, through a
// bounded queue (Config.EventQueue): a slow handler delays later events and,
// once the queue is full, makes them drop (counted in [Stats] and logged at a
// limited rate), but never delays the reading of results and invocations.
// [Subscription.History] asks a router with event history for the events
// kept for the subscription's topics, e.g. those missed across a reconnect.
//
// A payload in passthru mode (one opaque Arguments item, e.g. sealed by
// package e2ee) goes with its ppt_* options in PublishOptions.Extra,
// CallOptions.Extra or Invocation.ResultOptions, and arrives with them in the
// Event's or Invocation's Details, or a RESULT's details from
// [Client.CallWithDetails]; the client never reads it.
//
// # The session's end
//
// [Client.Leave] says GOODBYE and waits for the router's; [Client.Close]
// just closes. Either way, and (without reconnection) when the connection
// breaks or the router ends the session, [Client.Done] is closed, [Client.Err] tells why, every
// pending call and request fails with an error wrapping [ErrSessionClosed],
// and running handlers' contexts are cancelled. A router that breaks the
// protocol gets ABORT wamp.error.protocol_violation and the session ends.
//
// # Staying connected
//
// With Config.Reconnect.Enabled the one [Client] outlives its sessions:
//
//	c, err := device.Dial(ctx, "rs://gateway:8080", device.Config{
//		Reconnect: device.Reconnect{Enabled: true, OfflineQueue: 500},
//	})
//	reg, err := c.Register(ctx, "com.example.light.set", setLight, nil) // made after every join
//	sub, err := c.Subscribe(ctx, "com.example.cmd", onCommand, nil)       // idem
//	err = c.Publish(ctx, "com.example.sensor.temp", reading, nil)         // queued (bounded) while offline
//
// Dial then only checks the URL and returns: the client joins in the
// background (a device may start before its router), and reconnects with
// exponential backoff and full jitter until [Client.Close] or
// [Client.Leave]. After each join it makes its registrations and
// subscriptions again, then sends the publications queued while offline, in
// order, before new ones go out. Register and Subscribe are declarative
// and return at once; calls fail fast with [ErrNotConnected] while offline,
// or wait for a session with Reconnect.CallWaitsForJoin.
// [Registration.Unregister] and [Subscription.Unsubscribe] withdraw them for
// good. [Stats] count over all sessions (joins, reconnects, dial errors,
// the offline queue). Over rss:// and wss:// a reconnection resumes the
// TLS session of the one before (see [TLSWithResumption]; not in the ARMv7
// board agents' edgewamp_board build).
//
// # Concurrency
//
// A Client is safe for concurrent use. Each session has one reader
// goroutine; the peer connection starts its writer only while there is
// something to send and the event dispatcher only while there are events,
// so an idle session holds one goroutine (and a reconnecting client one
// more). A session's mu guards its pending-call, request, registration,
// subscription and invocation tables; it is never held while sending,
// waiting or calling user code, and nothing else is locked while it is
// held. Client.mu likewise guards the current session's changes, the
// registrations and subscriptions to make again and the offline queue; no
// session lock is taken under it.
//
// # Allocations
//
// An unacknowledged [Client.Publish] without options allocates nothing (a
// test holds it): the PUBLISH struct comes from a pool and is encoded into a
// pooled buffer before Publish returns. CALL and YIELD structs are pooled the
// same way, and call and request records (with their channels) are reused
// within a client, so a Call allocates nothing in this package: what remains
// is decoding the RESULT and, when the send queue was idle, starting the
// peer connection's writer. On the receiving side what remains per message
// is the decoded message, the [Event] or [Invocation] handed to the handler
// (which may keep it), and for an invocation its cancellable context and
// goroutine. The
// figures are in clientbench_test.go (the client alone) and bench_test.go
// (with minirouter).
package device
