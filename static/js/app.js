// Small behaviours on top of htmx. Every page works without this file.
(function () {
  "use strict";
  // Upload progress: fill the <progress> inside the form that is sending.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest("form");
    var bar = form && form.querySelector("progress");
    if (bar && event.detail.lengthComputable) {
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });
  // After a step or a result is swapped in, move focus to its heading so that keyboard and
  // screen-reader users land where the new content starts (it is announced by its heading).
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.querySelector) { return; }
    var focus = target.matches("[data-focus]") ? target : target.querySelector("[data-focus]");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) { focus.setAttribute("tabindex", "-1"); }
      focus.focus();
    }
  });
  // A confirmation before destructive actions, declared in HTML as data-bevestig="…".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var vraag = form.getAttribute && form.getAttribute("data-bevestig");
    if (vraag && !window.confirm(vraag)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
})();
