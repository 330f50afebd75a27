// Shared by the interop peers written since wampy_ppt.js: the verdict line, the overall timeout, and error text.
'use strict';

module.exports = function peerCommon(timeout) {
  let finished = false;
  let closeFn = () => {};
  function finish(rc, why) {
    if (finished) return;
    finished = true;
    console.log((rc === 0 ? 'OK ' : 'FAIL ') + why);
    try { closeFn(); } catch (e) { /* already closed */ }
    process.exitCode = rc;
    setTimeout(() => process.exit(rc), 300).unref(); // give GOODBYE a moment, then leave regardless
  }
  function errText(e) {
    if (e === null || e === undefined || typeof e !== 'object') return String(e);
    if (e.errorUri) return e.errorUri + ' ' + JSON.stringify(e.argsList || []);
    if (e.message) return e.message;
    try { return JSON.stringify(e); } catch (_) { return String(e); }
  }
  setTimeout(() => finish(1, 'timeout after ' + timeout + 's'), timeout * 1000).unref();
  process.on('unhandledRejection', (e) => finish(1, 'unhandled rejection: ' + errText(e)));
  const keepAlive = setInterval(() => {}, 1 << 30);
  process.on('exit', () => clearInterval(keepAlive));
  return { finish, errText, onClose: (fn) => { closeFn = fn; } };
};
