/* The portal's own script, on top of htmx: where keyboard focus goes after a swap, and
   status messages that screen readers hear. Pages work without it; it only keeps a
   keyboard or screen-reader user from losing their place. Loaded with the CSP nonce;
   no inline handlers, no eval. */
(function () {
  "use strict";

  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), " +
    "select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

  // Where focus was, when it was inside the area a swap is about to replace.
  var before = null;
  // Elements swapped out of band. htmx swaps them before the main content and then fires
  // htmx:afterSwap on each of them too, before the main one; by then the main content is
  // already in place and focus already lost, so they must not take the focus that belongs
  // in the main content (a hidden field beside the object search's kind tabs would take it
  // and keep nothing).
  var outOfBand = new WeakSet();

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  function focusables(root) {
    return Array.prototype.slice.call(root.querySelectorAll(FOCUSABLE));
  }

  function focusOn(element) {
    if (!element.matches(FOCUSABLE) && !element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  // A form sent and answered with errors: the first invalid field, so the person reads
  // its message and fixes it. Django marks those fields aria-invalid="true".
  function firstInvalid(root) {
    return root.querySelector("[aria-invalid='true']");
  }

  // A live region that is itself swapped out is not announced: live regions stay put
  // (outside the swapped area) and swapped content names the one it updates with
  // data-status-for and its text with data-status. Only a change is written, so polling
  // the same state does not repeat it.
  function announce(root) {
    var sources = [];
    if (root.matches("[data-status-for]")) { sources.push(root); }
    sources = sources.concat(Array.prototype.slice.call(root.querySelectorAll("[data-status-for]")));
    sources.forEach(function (source) {
      var region = document.getElementById(source.getAttribute("data-status-for"));
      var text = source.getAttribute("data-status") || "";
      if (region && region.textContent !== text) { region.textContent = text; }
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    before = null;
    if (target && active && active !== document.body && target.contains(active)) {
      before = { index: focusables(target).indexOf(active) };
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.target instanceof Element) { outOfBand.add(event.target); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.target;
    if (!(swapped instanceof Element) || !swapped.isConnected) { return; }
    announce(swapped);
    if (outOfBand.delete(swapped)) { return; }
    var config = event.detail.requestConfig || {};
    var submitted = config.verb !== "get" || (config.triggeringEvent || {}).type === "submit";
    var invalid = firstInvalid(swapped);
    if (invalid && submitted && (before || focusLost())) {
      invalid.focus();
    } else if (!focusLost()) {
      // Focus is fine (htmx keeps it on an element with an id): nothing to restore.
      return;
    } else if (before) {
      // htmx keeps focus on an element with an id; this finds the others (a tab, a pager
      // link, a button of a polled job) at the same place in the new content.
      var same = focusables(swapped)[before.index];
      var wanted = swapped.querySelector("[autofocus]") || same || swapped;
      focusOn(wanted);
    }
    before = null;
  });

  document.addEventListener("DOMContentLoaded", function () {
    // A page answering a form with errors starts on the first invalid field.
    var invalid = firstInvalid(document);
    if (invalid && focusLost()) { invalid.focus(); }
  });
})();
