// Tanggap console: live countdowns on deadlines, and boards that reload when their issues
// change. Everything works without this script.
(function () {
  "use strict";
  var en = document.documentElement.lang === "en";
  function words(ms) {
    var late = ms < 0, m = Math.floor(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    var parts = [];
    if (d) parts.push(d + (en ? "d" : " hari"));
    if (h) parts.push(h + (en ? "h" : " jam"));
    if (!d) parts.push(mm + (en ? "m" : " mnt"));
    var span = parts.join(" ");
    return late ? (en ? "overdue by " + span : "terlambat " + span) : (en ? span + " left" : "sisa " + span);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".due[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = el.querySelector(".left");
      if (!left) { left = document.createElement("span"); left.className = "left"; el.appendChild(document.createTextNode(" · ")); el.appendChild(left); }
      left.textContent = words(due - now);
      el.classList.toggle("late", due < now);
    });
  }
  tick();
  setInterval(tick, 30000);
  // Boards and queues ask the server every few seconds whether what they show changed (a
  // few bytes: the list's mark), and reload when it did, unless someone is filling in a form.
  var every = Number(document.body.getAttribute("data-refresh") || 0);
  var mark = document.body.getAttribute("data-mark");
  if (every > 0 && mark && window.fetch) {
    var touched = false;
    document.addEventListener("input", function () { touched = true; });
    setInterval(function () {
      var active = document.activeElement;
      var busy = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
      if (touched || busy || document.visibilityState !== "visible") return;
      var url = new URL(location.href);
      url.searchParams.set("tanda", "1");
      fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/plain" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (now) { if (now && now !== mark) { location.reload(); } })
        .catch(function () {});
    }, every * 1000);
  }
})();
