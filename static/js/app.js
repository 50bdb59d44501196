// Small behaviours on top of htmx. Every page works without this file.
(function () {
  "use strict";
  // Upload progress: fill the <progress> inside the form that is sending. htmx reports the
  // upload and then the download of the answer as progress; once the upload is complete the
  // bar stays full and says the file is being checked, instead of starting again.
  function voortgang(form) {
    var bar = form && form.querySelector("progress");
    var label = bar && form.querySelector("label[for='" + bar.id + "']");
    return bar && label ? { bar: bar, label: label } : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var v = voortgang(event.target.closest && event.target.closest("form"));
    if (v && event.target.tagName === "FORM") {
      v.bar.setAttribute("value", "0");
      v.label.textContent = v.label.getAttribute("data-verstuurd");
      delete v.bar.dataset.klaar;
    }
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var v = voortgang(event.target.closest && event.target.closest("form"));
    if (!v || !event.detail.lengthComputable || v.bar.dataset.klaar) { return; }
    if (event.detail.loaded >= event.detail.total) {
      v.bar.dataset.klaar = "ja";
      v.bar.removeAttribute("value");  // an indeterminate bar: the server is checking
      v.label.textContent = v.label.getAttribute("data-gecontroleerd");
    } else {
      v.bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
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
  // The correction grid is wider than the screen: show its first failing cell, not the first
  // columns, when the grid is opened or swapped in (scrolls the table's own box, not the page).
  function eersteFout(root) {
    var cel = root.querySelector && root.querySelector(".correctie .correctie__cel--fout");
    var box = cel && cel.closest(".tabel-wrap");
    if (!box || box.scrollWidth <= box.clientWidth) { return; }
    var rij = cel.closest("tr").querySelector("th[scope='row']");
    var links = cel.offsetLeft - (rij ? rij.offsetWidth : 0) - 16;
    box.scrollLeft = Math.max(0, links);
  }
  if (window.htmx) {
    htmx.onLoad(function (elt) {
      if (elt === document.body || elt.id === "correctie") { eersteFout(elt); }
    });
  }
  // A confirmation before destructive actions, declared in HTML as data-bevestig="…".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var vraag = form.getAttribute && form.getAttribute("data-bevestig");
    if (vraag && !window.confirm(vraag)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
})();
