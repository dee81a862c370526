// Tells the viewer when the page's kernel is gone, instead of letting the dashboard go
// silently dead. A kernel goes away when the server reclaims it (the page's websocket
// was closed for too long), when the idle culler takes it, when the server restarts, or
// when the replica that held it is lost. Then nothing on the page works any more, so:
// a Norwegian message (role="alert", announced), a «Last inn siden på nytt» button that
// gets the focus, and every control of the dashboard disabled.
//
// How it knows: it watches the page's kernel websockets (window.WebSocket is wrapped
// before Voilà's widget manager opens one). While one is open, all is well. When none
// is open, it asks the server for the kernel (GET api/kernels/<id>): 404 means gone; no
// answer for a while (server or network down) means the page cannot work either. It
// checks 1.5 s after a socket closes, then every 5 s while none is open, when the tab
// becomes visible again (laptop lid opened), and 30 s after load if no socket ever
// opened. Nothing is shown while the page is being left (beforeunload).
// Included once by index.html.j2 (footer_js block); styles in kernel-watch.css.
(function () {
  "use strict";
  const config = document.getElementById("jupyter-config-data");
  if (!config || window.__wbKernelWatch) return;
  const { kernelId, baseUrl } = JSON.parse(config.textContent);
  if (!kernelId) return;
  const base = baseUrl || "/";
  const NO_ANSWER_MS = 10000; // server unreachable this long with no socket: give up
  const state = { open: 0, everOpened: false, closedSince: null, shown: false,
                  leaving: false, timer: null };
  window.__wbKernelWatch = state; // for tests and debugging

  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = document.currentScript.src.replace(/kernel-watch\.js(\?.*)?$/,
                                                       "kernel-watch.css$1");
  document.head.append(stylesheet);

  const Native = window.WebSocket;
  const isKernelSocket = (url) => String(url).includes(`/api/kernels/${kernelId}/channels`);
  class WatchedWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      if (!isKernelSocket(url)) return;
      let wasOpen = false;
      this.addEventListener("open", () => {
        wasOpen = true;
        state.open += 1;
        state.everOpened = true;
        state.closedSince = null;
      });
      this.addEventListener("close", () => {
        if (wasOpen) state.open = Math.max(state.open - 1, 0);
        if (state.open === 0 && state.closedSince === null) state.closedSince = Date.now();
        schedule(1500);
      });
    }
  }
  window.WebSocket = WatchedWebSocket;

  function schedule(ms) {
    if (state.shown || state.leaving) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(check, ms);
  }

  async function check() {
    if (state.shown || state.leaving || state.open > 0) return;
    let status = 0;
    try {
      const r = await fetch(`${base}api/kernels/${kernelId}?t=${Date.now()}`,
                            { credentials: "same-origin", cache: "no-store" });
      status = r.status;
    } catch (e) {
      status = 0; // no answer: server down, replica gone or network lost
    }
    if (state.open > 0 || state.leaving) return;
    const closedFor = state.closedSince === null ? 0 : Date.now() - state.closedSince;
    if (status === 404 || (status !== 200 && closedFor >= NO_ANSWER_MS)) {
      show();
    } else {
      schedule(5000); // the socket may still come back (Voilà reconnects by itself)
    }
  }

  function show() {
    if (state.shown) return;
    state.shown = true;
    const box = document.createElement("div");
    box.className = "wb-frakoblet";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.textContent = "Forbindelsen til serveren er brutt, og dashbordet kan ikke " +
      "oppdateres lenger. Last inn siden på nytt for å fortsette.";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Last inn siden på nytt";
    button.addEventListener("click", () => location.reload());
    box.append(text, button);
    const cells = document.getElementById("rendered_cells");
    for (const el of (cells || document).querySelectorAll(
      "select, button, input, textarea, [contenteditable='true']")) {
      el.disabled = true;
      el.setAttribute("aria-disabled", "true");
    }
    (document.querySelector("main") || document.body).prepend(box);
    button.focus();
  }

  addEventListener("beforeunload", () => { state.leaving = true; clearTimeout(state.timer); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) schedule(0); });
  setTimeout(() => { if (!state.everOpened) check(); }, 30000);
  state.check = check;
})();
