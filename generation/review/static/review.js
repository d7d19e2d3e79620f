// groundqa review: the keys and buttons of the page. No library, nothing fetched but this server's /api.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="groundqa-token"]').content;
  var current = -1;

  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".card")); }
  function card() { return cards()[current] || null; }

  function say(text, error) {
    var s = document.getElementById("status");
    s.textContent = text;
    s.className = "show" + (error ? " error" : "");
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { s.className = ""; }, error ? 6000 : 2500);
  }

  function select(i, scroll) {
    var all = cards();
    if (!all.length) return;
    i = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (c) { c.classList.remove("current"); });
    current = i;
    var c = all[i];
    c.classList.add("current");
    if (scroll !== false) c.scrollIntoView({ block: "nearest" });
    document.querySelectorAll("mark.active").forEach(function (m) { m.classList.remove("active"); });
    document.querySelectorAll("mark[data-pairs]").forEach(function (m) {
      if (m.dataset.pairs.split(" ").indexOf(c.dataset.pair) >= 0) m.classList.add("active");
    });
  }

  function counts(values) {
    Object.keys(values).forEach(function (key) {
      document.querySelectorAll('[data-count="' + key + '"]').forEach(function (el) {
        if (el.textContent !== String(values[key])) {
          el.textContent = values[key];
          el.classList.add("moved");
          setTimeout(function () { el.classList.remove("moved"); }, 1200);
        }
      });
    });
  }

  // A decision: posted with the token header; retried while a run holds the store (503).
  function post(body, tries) {
    tries = tries || 0;
    return fetch("/api/decide", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Groundqa-Token": token },
      body: JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.status === 503 && tries < 8) {
        say("the store is busy (a run is writing): trying again");
        return new Promise(function (ok) { setTimeout(ok, 500 * (tries + 1)); }).then(function () { return post(body, tries + 1); });
      }
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || response.statusText);
        return data;
      });
    });
  }

  function decide(c, body) {
    if (!c) return;
    body.pair_id = c.dataset.pair;
    body.with_source = document.body.dataset.view !== "document";
    var index = cards().indexOf(c);
    c.classList.add("saving");
    post(body).then(function (data) {
      var holder = document.createElement("div");
      holder.innerHTML = data.card.trim();
      var fresh = holder.firstElementChild;
      c.replaceWith(fresh);
      counts(data.counts);
      select(index, false);
      say(data.message);
      if (document.body.dataset.view === "document") refreshMarks();
    }).catch(function (err) {
      c.classList.remove("saving");
      say("not saved: " + err.message, true);
    });
  }

  // In a document, a quote's colour follows the pairs quoting it: green when one of them will be published.
  function refreshMarks() {
    var publish = {};
    cards().forEach(function (c) { publish[c.dataset.pair] = c.classList.contains("will-publish"); });
    document.querySelectorAll("mark[data-pairs]").forEach(function (m) {
      var on = m.dataset.pairs.split(" ").some(function (id) { return publish[id]; });
      m.classList.toggle("pub", on);
      m.classList.toggle("rej", !on);
    });
  }

  function openForm(c, name) {
    closeForms(c);
    var form = c.querySelector("form." + name);
    form.hidden = false;
    var field = form.querySelector("input, textarea");
    field.focus();
    if (field.select) field.select();
  }

  function closeForms(c) {
    if (!c) return;
    c.querySelectorAll("form").forEach(function (f) { f.hidden = true; });
  }

  function act(c, what) {
    if (!c) return;
    if (what === "accept") {
      if (c.dataset.decision === "edit") {  // keep the edited pair though the checker rejects it
        var q = c.querySelector(".q .text").textContent, a = c.querySelector(".a .text").textContent;
        decide(c, { decision: "edit", question: q, answer: a, keep: true });
      } else {
        decide(c, { decision: "accept" });
      }
    } else if (what === "reject") {
      openForm(c, "reject-form");
    } else if (what === "edit") {
      openForm(c, "edit-form");
    } else if (what === "undo") {
      decide(c, { decision: "undo" });
    } else if (what === "cancel") {
      closeForms(c);
      c.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-act]");
    if (button) {
      var c = button.closest(".card");
      select(cards().indexOf(c), false);
      act(c, button.dataset.act);
      return;
    }
    if (event.target.closest("#help-button")) toggleHelp();
    var mark = event.target.closest("mark[data-pairs]");
    if (mark) {
      var id = mark.dataset.pairs.split(" ")[0];
      select(cards().findIndex(function (c) { return c.dataset.pair === id; }));
    }
    var other = event.target.closest(".card");
    if (other && !event.target.closest("form, a, button")) select(cards().indexOf(other), false);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var c = form.closest(".card");
    if (!c) return;
    event.preventDefault();
    if (form.classList.contains("reject-form")) {
      decide(c, { decision: "reject", reason: form.reason.value });
    } else if (form.classList.contains("edit-form")) {
      decide(c, { decision: "edit", question: form.question.value, answer: form.answer.value });
    }
  });

  function toggleHelp(force) {
    var help = document.getElementById("help");
    help.hidden = force === undefined ? !help.hidden : !force;
  }

  // The filters apply as they change.
  var filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("change", function () { filters.submit(); });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.closest && target.closest("input[type=text], textarea, select");
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing) { target.blur(); closeForms(target.closest(".card")); }
      return;
    }
    if (typing) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
        event.preventDefault();
        target.form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var c = card();
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "a": act(c, "accept"); break;
      case "r": act(c, "reject"); break;
      case "e": act(c, "edit"); break;
      case "x": act(c, "undo"); break;
      case "o":
        if (c) { var link = c.querySelector("a.source"); if (link) window.location = link.href; }
        break;
      case "u":
        if (filters) { filters.unreviewed.checked = !filters.unreviewed.checked; filters.submit(); }
        else window.location = "/pairs?unreviewed=1";
        break;
      case "f":
        if (filters) filters.querySelector("select").focus();
        break;
      case "g": window.location = "/"; break;
      case "p": window.location = "/pairs"; break;
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  // Open a document at the pair named in the address (#pair-...), else at the first pair.
  var wanted = window.location.hash.indexOf("#pair-") === 0 ? window.location.hash.slice(6) : null;
  var at = wanted ? cards().findIndex(function (c) { return c.dataset.pair === wanted; }) : 0;
  if (cards().length) select(Math.max(0, at), Boolean(wanted));
})();
