// Package auth implements the WAMP authentication methods of the advanced
// profile, for both ends of a session: ticket, WAMP-CRA (plain and salted)
// and WAMP-Cryptosign (Ed25519). It uses the standard library only and does
// no I/O except reading key files ([LoadCryptosignKey], and
// [Credentials.Authenticator] when Credentials.CryptosignKeyFile is set).
//
// # Client side
//
// A [Credentials] value (loadable from JSON, except for the key itself) names
// the authid, the optional authrole and the secrets the client holds.
// [Credentials.Authenticator] turns it into an [Authenticator], which gives
// the HELLO details to announce and answers the router's CHALLENGE with the
// matching [Method]. The device package does this for you through
// device.Config.Auth.
//
// The methods are offered in a fixed preference order, strongest first:
// "cryptosign" (no shared secret), "wampcra" (the secret never travels),
// "ticket" (the ticket is sent in clear: use it over TLS only), then any
// custom methods in the order given. A CHALLENGE for a method that was not
// offered fails with [ErrMethodNotOffered].
//
// # Wire formats
//
// ticket: CHALLENGE extra is {}; AUTHENTICATE signature is the ticket itself.
//
// wampcra: CHALLENGE extra.challenge is a string (a JSON object built by the
// router, see [CRAChallenge]); the signature is
//
//	base64(HMAC-SHA256(key, challenge))
//
// with standard base64 and padding (44 characters), where key is the UTF-8
// bytes of the secret. When the CHALLENGE carries extra.salt (a string), the
// key is instead the base64 text of the derived key
//
//	base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen))
//
// with iterations and keylen from the CHALLENGE (defaults 1000 and 32), exactly
// as AutobahnPython's derive_key and compute_wcs do; see [DeriveCRAKey].
//
// cryptosign: HELLO authextra.pubkey is the 32-byte Ed25519 public key in hex
// (64 characters). CHALLENGE extra.challenge is 32 random bytes in hex and
// extra.channel_binding is absent or null (this client never asks for channel
// binding, and refuses a CHALLENGE that demands one with [ErrChannelBinding]).
// The signature is
//
//	hex(Ed25519-Sign(key, message)) || hex(message)
//
// 96 bytes as 192 lowercase hex characters, where message is the challenge,
// or the challenge XORed with the 32-byte channel ID when channel binding
// ("tls-unique") is in use; see [SignCryptosign] and [VerifyCryptosign].
//
// # Cryptosign key files
//
// [LoadCryptosignKey] and [ParseCryptosignKey] read the private key from a
// file in any of these forms:
//
//  1. 64 hexadecimal characters (the 32-byte Ed25519 seed), surrounding
//     whitespace ignored, e.g. as made by `openssl rand -hex 32`;
//  2. exactly 32 raw bytes (the seed; AutobahnPython's CryptosignKey.from_file);
//  3. a Crossbar/Autobahn key file: lines "tag: value", of which
//     "private-key-ed25519: <64 hex>" is used; comment lines and other tags
//     are ignored, and a "public-key-ed25519" line, when present, must match
//     the private key.
//
// [MarshalCryptosignKey] writes the third form:
//
//	edgewamp WAMP-Cryptosign key (Ed25519); keep this file private.
//
//	public-key-ed25519: 545efb0a2192db8d43f118e9bf9aee081466e1ef36c708b96ee6f62dddad9122
//	private-key-ed25519: <64 hex characters>
//
// # Router side
//
// [CRAChallenge] builds the challenge string as Crossbar does, [VerifyCRA]
// and [VerifyTicket] compare in constant time, [NewCryptosignChallenge] makes
// a cryptosign challenge and [VerifyCryptosign] checks the answer.
//
// # Concurrency
//
// All functions are safe for concurrent use. The methods ([Ticket],
// [WAMPCRA], [Cryptosign]) and [Authenticator] are immutable once made and
// may be shared by concurrent joins.
package auth
