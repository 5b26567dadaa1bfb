// Keep typed text: Streamlit sends a text area's value to the server only when the box loses focus (or on
// Ctrl+Enter). This script, installed once per browser tab, makes every text area outside a form:
//  - save as it is typed: 800 ms after the last key press it sends the value, as Ctrl+Enter does, without
//    taking the focus away;
//  - save before a click elsewhere: a click on a link or button while text is unsaved first sends the text,
//    waits until the app has finished its run, and then carries out the click (so the first click on a
//    sidebar link is never swallowed by the redraw that saving starts);
//  - on a live workshop's participant page, save when a run starts (the room moving on replaces the box);
//  - warn before the tab is closed or reloaded while text is unsaved.
(function () {
  "use strict";
  const root = window.parent && window.parent !== window ? window.parent : window;
  if (root.__phmKeepTypedText) return;
  root.__phmKeepTypedText = true;
  const doc = root.document;
  const DELAY_MS = 800;
  const unsaved = new Map(); // text area -> pending timer

  function isTracked(element) {
    return (
      element instanceof root.HTMLTextAreaElement &&
      !element.disabled &&
      element.closest("[data-testid='stTextArea']") !== null &&
      element.closest("[data-testid='stForm']") === null
    );
  }

  function send(box) {
    const timer = unsaved.get(box);
    if (timer !== undefined) root.clearTimeout(timer);
    unsaved.delete(box);
    if (!box.isConnected) return;
    // Streamlit's text area sends its value on Ctrl+Enter (and only if it was changed).
    box.dispatchEvent(
      new root.KeyboardEvent("keydown", {
        key: "Enter",
        code: "Enter",
        ctrlKey: true,
        bubbles: true,
        cancelable: true,
      })
    );
  }

  function sendAll() {
    const boxes = Array.from(unsaved.keys());
    boxes.forEach(send);
    return boxes.length > 0;
  }

  doc.addEventListener(
    "input",
    function (event) {
      const box = event.target;
      if (!isTracked(box) || event.isComposing) return;
      const timer = unsaved.get(box);
      if (timer !== undefined) root.clearTimeout(timer);
      unsaved.set(
        box,
        root.setTimeout(function () {
          send(box);
        }, DELAY_MS)
      );
    },
    true
  );

  // Leaving the box sends its value (Streamlit's own behaviour): nothing is pending any more.
  doc.addEventListener(
    "focusout",
    function (event) {
      const timer = unsaved.get(event.target);
      if (timer !== undefined) root.clearTimeout(timer);
      unsaved.delete(event.target);
    },
    true
  );

  function scriptState() {
    const app = doc.querySelector("[data-testid='stApp']");
    return app ? app.getAttribute("data-test-script-state") : null;
  }

  // After saving, wait until the app has started and finished the run the save asked for (or, if no run
  // starts within a second, because nothing had changed), then call done.
  function afterRun(done) {
    const started = Date.now();
    let seenRunning = false;
    (function poll() {
      const state = scriptState();
      if (state === "running") seenRunning = true;
      const idle = state !== "running";
      if ((seenRunning && idle) || (!seenRunning && idle && Date.now() - started > 1000) || Date.now() - started > 30000) {
        done();
      } else {
        root.setTimeout(poll, 50);
      }
    })();
  }

  // Where a click lands: a link (by its address) or a keyed Streamlit widget's button (by its key class), so it
  // can be found again after the redraw has replaced the element.
  function clickTarget(element) {
    const link = element.closest("a[href]");
    if (link) return { selector: "a[href='" + link.getAttribute("href").replace(/'/g, "\\'") + "']", node: link };
    const button = element.closest("button");
    if (!button) return null;
    const keyed = button.closest("[class*='st-key-']");
    if (keyed) {
      const key = Array.from(keyed.classList).find(function (name) {
        return name.indexOf("st-key-") === 0;
      });
      return { selector: "." + root.CSS.escape(key) + " button", node: button };
    }
    return { selector: null, node: button };
  }

  // On a live workshop's participant page the room moving on starts a run the person did not ask for, and that
  // run replaces the box: there, send what is typed as soon as a run starts, so it is saved with that run rather
  // than lost with the box. Nowhere else: a value sent while a run is under way stops that run and starts
  // another, and that redraw can replace the box being typed into (the questionnaire's typing test lost its
  // note 2 times in 20 under load with this on every page, 0 in 20 without).
  const SEND_WHEN_A_RUN_STARTS = /\/workshop_join$/;
  let lastState = null;
  new root.MutationObserver(function () {
    const state = scriptState();
    const starting = state === "running" && lastState !== "running";
    if (starting && unsaved.size > 0 && !deferred && SEND_WHEN_A_RUN_STARTS.test(root.location.pathname)) sendAll();
    lastState = state;
  }).observe(doc.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["data-test-script-state"],
  });

  let deferred = null;

  doc.addEventListener(
    "mousedown",
    function (event) {
      if (event.button !== 0 || unsaved.size === 0) return;
      if (isTracked(event.target)) return;
      const target = clickTarget(event.target);
      if (!target) return;
      event.preventDefault(); // keep the focus in the box so leaving it does not send the text a second time
      deferred = target;
      sendAll();
      afterRun(function () {
        const pending = deferred;
        deferred = null;
        if (!pending) return;
        const again = pending.selector ? doc.querySelector(pending.selector) : null;
        const element = again || (pending.node.isConnected ? pending.node : null);
        if (element) element.click();
      });
    },
    true
  );

  // The browser's own click that follows the mouse press is held back: the deferred one replaces it.
  doc.addEventListener(
    "click",
    function (event) {
      if (deferred && event.isTrusted && clickTarget(event.target)) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true
  );

  root.addEventListener("beforeunload", function (event) {
    if (sendAll()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
