// Progressive enhancement only: the pages work without this file.
// Skill inputs marked data-suggest get taxonomy suggestions as you type,
// from GET /api/v1/taxonomy/suggest (same origin, session cookie).
"use strict";
(function () {
  const list = document.getElementById("skill-suggestions");
  if (!list) return;
  let timer = null;
  let last = "";
  function current(input) {
    const value = input.value;
    if (!input.hasAttribute("data-multi")) return { prefix: "", term: value };
    const cut = value.lastIndexOf(",");
    return { prefix: cut < 0 ? "" : value.slice(0, cut + 1) + " ", term: value.slice(cut + 1).trim() };
  }
  async function suggest(input) {
    const { prefix, term } = current(input);
    if (term.length < 2 || term === last) return;
    last = term;
    const response = await fetch("/api/v1/taxonomy/suggest?q=" + encodeURIComponent(term), { credentials: "same-origin" });
    if (!response.ok) return;
    const found = await response.json();
    list.replaceChildren(...found.map(function (s) {
      const option = document.createElement("option");
      option.value = prefix + s.label;
      return option;
    }));
  }
  document.addEventListener("input", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-suggest")) return;
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(input); }, 150);
  });
})();

// A bid's partners section (data-live) hears from the node, by
// server-sent events, when a partner's answer or signature is taken: the
// page reloads to show it, unless something was typed on it, in which
// case a note offers the reload. Without this file, "Check for answers"
// does the same.
(function () {
  const live = document.querySelector("[data-live]");
  if (!live || !window.EventSource) return;
  let typed = false;
  document.addEventListener("input", function () { typed = true; });
  const events = new EventSource(live.getAttribute("data-live"));
  events.addEventListener("changed", function () {
    if (!typed) { window.location.reload(); return; }
    const note = document.getElementById("live-note");
    if (note) note.hidden = false;
  });
})();
