// Tanggap console: live countdowns on deadlines. Everything works without this script.
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
  // Boards refresh themselves (every 60 s) while nobody is filling in a form on them.
  var every = Number(document.body.getAttribute("data-refresh") || 0);
  if (every > 0) {
    var touched = false;
    document.addEventListener("input", function () { touched = true; });
    setInterval(function () {
      var active = document.activeElement;
      var busy = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
      if (!touched && !busy && document.visibilityState === "visible") { location.reload(); }
    }, every * 1000);
  }
})();
