// wamp-tiny.js - a tiny WAMP v2 client over WebSocket (subprotocol
// wamp.2.json) for the Arduino Yun example's page: HELLO/WELCOME,
// SUBSCRIBE/EVENT, CALL/RESULT (and ERROR, ABORT, GOODBYE). No dependencies.
// In a browser it sets window.TinyWamp; in node, module.exports (pass a
// WebSocket class, e.g. require('ws'), as options.WebSocket).
//
//   const s = await TinyWamp.connect('ws://yun.local:8080/ws', 'realm1');
//   await s.subscribe('temperature', (args, kwargs, details) => ...);
//   const res = await s.call('light.set', [true]);   // {args, kwargs}
//   s.onclose = (reason) => ...;  s.close();
(function (root) {
  'use strict';

  const HELLO = 1, WELCOME = 2, ABORT = 3, GOODBYE = 6, ERROR = 8,
    SUBSCRIBE = 32, SUBSCRIBED = 33, EVENT = 36, CALL = 48, RESULT = 50;

  class WampError extends Error {
    constructor(uri, args, kwargs) {
      super(uri + (args && args.length ? ': ' + JSON.stringify(args) : ''));
      this.uri = uri;
      this.args = args || [];
      this.kwargs = kwargs || {};
    }
  }

  class Session {
    constructor(ws) {
      this.ws = ws;
      this.id = 0;
      this.nextRequest = 1;            // request IDs count from 1 in each session
      this.pending = new Map();        // request id -> {resolve, reject, kind}
      this.handlers = new Map();       // subscription id -> handler
      this.onclose = null;
      this.closed = false;
    }

    send(msg) {
      if (this.closed) throw new Error('session closed');
      this.ws.send(JSON.stringify(msg));
    }

    request(kind, build) {
      return new Promise((resolve, reject) => {
        const id = this.nextRequest++;
        this.pending.set(id, { resolve, reject, kind });
        try {
          this.send(build(id));
        } catch (e) {
          this.pending.delete(id);
          reject(e);
        }
      });
    }

    subscribe(topic, handler) {
      return this.request(SUBSCRIBE, (id) => [SUBSCRIBE, id, {}, topic]).then((sub) => {
        this.handlers.set(sub, handler);
        return sub;
      });
    }

    call(procedure, args, kwargs) {
      return this.request(CALL, (id) => [CALL, id, {}, procedure, args || [], kwargs || {}]);
    }

    close() {
      if (this.closed) return;
      try { this.send([GOODBYE, {}, 'wamp.close.close_realm']); } catch (e) { /* closing anyway */ }
      this.ws.close();
    }

    // onMessage handles one message of a joined session.
    onMessage(m) {
      const [type] = m;
      if (type === EVENT) {
        const h = this.handlers.get(m[1]);
        if (h) h(m[4] || [], m[5] || {}, m[3] || {});
        return;
      }
      if (type === GOODBYE) {
        this.send([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
        this.ws.close();
        return;
      }
      if (type === ABORT) {
        this.ws.close();
        return;
      }
      const p = (type === ERROR) ? this.pending.get(m[2]) : this.pending.get(m[1]);
      if (!p) return;
      if (type === ERROR) {
        this.pending.delete(m[2]);
        p.reject(new WampError(m[4], m[5], m[6]));
      } else if (type === SUBSCRIBED && p.kind === SUBSCRIBE) {
        this.pending.delete(m[1]);
        p.resolve(m[2]);
      } else if (type === RESULT && p.kind === CALL) {
        this.pending.delete(m[1]);
        p.resolve({ args: m[3] || [], kwargs: m[4] || {} });
      }
    }

    ended(reason) {
      if (this.closed) return;
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error('session closed: ' + reason));
      this.pending.clear();
      if (this.onclose) this.onclose(reason);
    }
  }

  // connect opens the WebSocket, joins realm and resolves with the Session.
  function connect(url, realm, options) {
    const opts = options || {};
    const WS = opts.WebSocket || root.WebSocket;
    const timeout = opts.timeout || 10000;
    return new Promise((resolve, reject) => {
      const ws = new WS(url, ['wamp.2.json']);
      const s = new Session(ws);
      let joined = false;
      const timer = setTimeout(() => { ws.close(); reject(new Error('join timed out')); }, timeout);
      ws.onopen = () => {
        if (ws.protocol && ws.protocol !== 'wamp.2.json') {
          ws.close();
          return;
        }
        ws.send(JSON.stringify([HELLO, realm, {
          agent: 'wamp-tiny.js',
          roles: { caller: {}, subscriber: {} },
        }]));
      };
      ws.onmessage = (ev) => {
        let m;
        try {
          m = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
        } catch (e) {
          ws.close();
          return;
        }
        if (!Array.isArray(m)) return;
        if (joined) {
          s.onMessage(m);
        } else if (m[0] === WELCOME) {
          joined = true;
          s.id = m[1];
          clearTimeout(timer);
          resolve(s);
        } else if (m[0] === ABORT) {
          clearTimeout(timer);
          ws.close();
          reject(new WampError(m[2]));
        }
      };
      ws.onerror = () => {};  // onclose follows
      ws.onclose = (ev) => {
        clearTimeout(timer);
        const reason = 'websocket closed (' + (ev && ev.code) + ')';
        if (!joined) reject(new Error(reason));
        s.ended(reason);
      };
    });
  }

  const api = { connect, WampError };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.TinyWamp = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
