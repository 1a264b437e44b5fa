/* Nurse inbox: the live queue (ws/inbox/) and live updates of an open thread.
 *
 * The server renders every page completely; this script only keeps it current. The socket sends
 * a full snapshot on every (re)connect, so nothing is lost while it was down. All text from the
 * server goes into the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var queueBody = document.getElementById("queue-body");
  var threadEl = document.querySelector(".thread-layout[data-escalation]");
  var statusEl = document.getElementById("live-status");
  var muteBtn = document.getElementById("mute-toggle");
  var MUTE_KEY = "inbox-muted";
  var known = {}; // escalation id -> last dict seen (queue page)
  var firstSnapshot = true;

  // ---------------------------------------------------------------- sound and visual cues
  var audioCtx = null;
  function muted() { return window.localStorage.getItem(MUTE_KEY) === "1"; }
  function renderMute() {
    if (!muteBtn) return;
    muteBtn.setAttribute("aria-pressed", muted() ? "true" : "false");
    muteBtn.textContent = muted() ? "Sound off" : "Sound on";
  }
  if (muteBtn) {
    renderMute();
    muteBtn.addEventListener("click", function () {
      window.localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
      renderMute();
      ensureAudio();
    });
  }
  // Browsers only allow sound after a user gesture: create the context on the first one.
  function ensureAudio() {
    if (audioCtx || !(window.AudioContext || window.webkitAudioContext)) return;
    try { audioCtx = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audioCtx = null; }
  }
  document.addEventListener("pointerdown", ensureAudio, { once: true });
  document.addEventListener("keydown", ensureAudio, { once: true });

  function beep() {
    if (muted() || !audioCtx) return;
    if (audioCtx.state === "suspended") audioCtx.resume();
    var t = audioCtx.currentTime;
    [0, 0.25, 0.5].forEach(function (offset) {
      var osc = audioCtx.createOscillator();
      var gain = audioCtx.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, t + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.18);
      osc.connect(gain).connect(audioCtx.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.2);
    });
  }

  function emergencyCue(esc) {
    beep();
    var banner = document.getElementById("emergency-banner");
    if (banner) {
      banner.textContent = "New emergency: " + esc.patient_name + " — " +
        (esc.rule_title || "emergency") + ". Open it now.";
      banner.hidden = false;
    }
    document.body.classList.remove("emergency-flash");
    void document.body.offsetWidth; // restart the animation
    document.body.classList.add("emergency-flash");
    document.body.dataset.lastEmergency = String(esc.id);
  }

  // ---------------------------------------------------------------- time texts
  function minutesText(minutes) {
    minutes = Math.abs(minutes);
    if (minutes < 1) return "under a minute";
    if (minutes < 90) return Math.floor(minutes) + " min";
    var hours = minutes / 60;
    if (hours < 48) return (Math.round(hours * 10) / 10).toString().replace(/\.0$/, "") + " h";
    return Math.floor(hours / 24) + " days";
  }
  function slaText(esc, now) {
    if (esc.status === "resolved") return "resolved";
    if (esc.first_response_at && esc.status !== "open") return "answered";
    var delta = (Date.parse(esc.due_at) - now) / 60000;
    return delta >= 0 ? "due in " + minutesText(delta) : "overdue by " + minutesText(delta);
  }
  function refreshTimes() {
    var now = Date.now();
    document.querySelectorAll(".q-created[datetime]").forEach(function (el) {
      el.textContent = "waiting " + minutesText((now - Date.parse(el.getAttribute("datetime"))) / 60000);
    });
    document.querySelectorAll(".q-due[data-due]").forEach(function (el) {
      var row = el.closest("[data-id]") || threadEl;
      var id = row && (row.dataset.id || row.dataset.escalation);
      var esc = known[id];
      if (!esc) return;
      el.textContent = slaText(esc, now);
      el.classList.toggle("badge-overdue", isOverdue(esc, now));
    });
  }
  function isOverdue(esc, now) {
    return esc.status !== "resolved" && Date.parse(esc.due_at) <= now &&
      (esc.status === "open" || !esc.first_response_at);
  }

  // ---------------------------------------------------------------- queue rendering
  // "Nov 24, 14:05" in the clinic's time zone, as the server renders the transcript.
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var zone = document.documentElement.dataset.timeZone || undefined;
    var day = d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: zone });
    var time = d.toLocaleTimeString("en-GB", {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone
    });
    return day + ", " + time;
  }

  // Only these become links. A citation's address comes from imported content: http(s) only
  // (the server drops any other at import and again when it sends one; a `javascript:` link must
  // not appear even if both missed). The queue's and the alerts' links are the site's own paths.
  function safeUrl(url) {
    return /^https?:\/\/\S/i.test(url || "") ? url : "";
  }
  function sitePath(url) {
    return /^\/(?![\/\\])/.test(url || "") ? url : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function cell(label) { var td = el("td"); td.setAttribute("data-label", label); return td; }

  function buildRow(esc) {
    var tr = el("tr", "q-row level-" + esc.level + (esc.overdue ? " is-overdue" : ""));
    tr.dataset.id = String(esc.id);
    var level = cell("Level");
    level.appendChild(el("span", "badge badge-" + esc.level, esc.level_label));
    var who = cell("Patient");
    var link = el("a", "q-open", esc.patient_name);
    if (sitePath(esc.url)) link.href = sitePath(esc.url);
    who.appendChild(link);
    if (esc.reopened_count) { who.appendChild(document.createTextNode(" ")); who.appendChild(el("span", "badge", "reopened")); }
    if (esc.patient_wrote) {
      who.appendChild(document.createTextNode(" "));
      who.appendChild(el("span", "badge badge-new q-patient-wrote", "patient wrote since reply"));
    }
    var reason = cell("Reason");
    reason.className = "q-reason";
    reason.appendChild(el("strong", null, esc.rule_title || "Question for a nurse"));
    if (esc.matched && esc.matched.length) {
      var span = el("span", "q-matched", " — the patient wrote ");
      esc.matched.forEach(function (w, i) {
        span.appendChild(el("mark", null, w));
        if (i < esc.matched.length - 1) span.appendChild(document.createTextNode(", "));
      });
      reason.appendChild(span);
    }
    if (esc.excerpt) reason.appendChild(el("div", "q-excerpt muted small", "“" + esc.excerpt + "”"));
    var sla = cell("Waiting");
    sla.className = "q-sla";
    var created = el("time", "q-created");
    created.setAttribute("datetime", esc.created_at);
    sla.appendChild(created);
    var due = el("span", "q-due badge" + (esc.overdue ? " badge-overdue" : ""), esc.sla_text);
    due.dataset.due = esc.due_at;
    sla.appendChild(due);
    var claim = cell("Claimed by");
    claim.className = "q-claim";
    if (esc.claimed_by_name) claim.textContent = esc.claimed_by_name;
    else claim.appendChild(el("span", "muted", "Unclaimed"));
    [level, who, reason, sla, claim].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  // As the server orders it: level, then waiting for a nurse before answered, then oldest.
  function sortKey(esc) {
    return [esc.priority, esc.awaiting_response === false ? 1 : 0, Date.parse(esc.created_at), esc.id];
  }
  function compare(a, b) {
    var ka = sortKey(a), kb = sortKey(b);
    for (var i = 0; i < ka.length; i++) { if (ka[i] !== kb[i]) return ka[i] - kb[i]; }
    return 0;
  }

  function renderQueue() {
    if (!queueBody) return;
    var rows = Object.keys(known).map(function (k) { return known[k]; })
      .filter(function (e) { return e.status !== "resolved"; }).sort(compare);
    var existing = {};
    queueBody.querySelectorAll("tr[data-id]").forEach(function (tr) { existing[tr.dataset.id] = tr; });
    var frag = document.createDocumentFragment();
    rows.forEach(function (esc) {
      var fresh = buildRow(esc);
      var old = existing[String(esc.id)];
      if (old && old.classList.contains("flash-emergency")) fresh.classList.add("flash-emergency");
      frag.appendChild(fresh);
    });
    queueBody.textContent = "";
    queueBody.appendChild(frag);
    var count = document.getElementById("queue-count");
    if (count) count.textContent = String(rows.length);
    var overdue = rows.filter(function (e) { return isOverdue(e, Date.now()); }).length;
    var overdueEl = document.getElementById("overdue-count");
    if (overdueEl) { overdueEl.textContent = overdue + " overdue"; overdueEl.hidden = overdue === 0; }
    var empty = document.getElementById("queue-empty");
    if (empty) empty.hidden = rows.length > 0;
    refreshTimes();
  }

  function flashRow(id, emergency) {
    var tr = queueBody && queueBody.querySelector('tr[data-id="' + id + '"]');
    if (tr) tr.classList.add(emergency ? "flash-emergency" : "flash-new");
  }

  function onEscalation(esc) {
    var before = known[String(esc.id)];
    known[String(esc.id)] = esc;
    if (queueBody) {
      renderQueue();
      var isNew = !before || (before.status === "resolved" && esc.status !== "resolved");
      var raisedToEmergency = before && before.level !== "emergency" && esc.level === "emergency";
      if (esc.status !== "resolved" && (isNew || raisedToEmergency)) {
        var emergency = esc.level === "emergency";
        flashRow(esc.id, emergency);
        if (emergency) emergencyCue(esc);
      }
    }
    if (threadEl && String(esc.id) === threadEl.dataset.escalation) onThreadEscalation(esc);
  }

  function onSnapshot(msg) {
    var previous = known;
    known = {};
    msg.escalations.forEach(function (e) { known[String(e.id)] = e; });
    if (threadEl && previous[threadEl.dataset.escalation] && !known[threadEl.dataset.escalation]) {
      known[threadEl.dataset.escalation] = previous[threadEl.dataset.escalation];
    }
    renderQueue();
    // Emergencies that arrived while the socket was down still get their cue.
    if (!firstSnapshot && queueBody) {
      msg.escalations.forEach(function (e) {
        if (!previous[String(e.id)] && e.level === "emergency") { flashRow(e.id, true); emergencyCue(e); }
      });
    }
    firstSnapshot = false;
    renderAlerts(msg.alerts || []);
  }

  // ---------------------------------------------------------------- alerts
  function renderAlerts(alerts) {
    var box = document.getElementById("alerts");
    var list = document.getElementById("alert-list");
    if (!box || !list) return;
    list.textContent = "";
    alerts.forEach(function (a) {
      var li = el("li", "alert-item alert-" + a.kind);
      var link = el("a", null, a.text);
      if (sitePath(a.url)) link.href = sitePath(a.url);
      li.appendChild(link);
      list.appendChild(li);
    });
    box.hidden = alerts.length === 0;
  }

  // ---------------------------------------------------------------- thread page
  function onThreadEscalation(esc) {
    var status = document.getElementById("esc-status");
    if (status) status.textContent = esc.status_label + (esc.claimed_by_name ? " · " + esc.claimed_by_name : "");
    var due = document.getElementById("esc-due");
    if (due) { due.textContent = esc.sla_text; due.classList.toggle("badge-overdue", esc.overdue); }
    var changed = esc.status !== threadEl.dataset.status ||
      String(esc.claimed_by_id || "") !== threadEl.dataset.claimedBy;
    var note = document.getElementById("thread-changed");
    if (changed && note) {
      note.textContent = "";
      note.appendChild(document.createTextNode(
        "This escalation changed: " + esc.status_label +
        (esc.claimed_by_name ? " (" + esc.claimed_by_name + ")" : "") + ". "));
      var reload = el("a", null, "Reload to see the current actions");
      reload.href = window.location.pathname;
      note.appendChild(reload);
      note.hidden = false;
    }
  }

  function appendMessage(m) {
    var list = document.getElementById("transcript");
    if (!list || document.getElementById("msg-" + m.id)) return;
    var li = el("li", "msg msg-" + m.role + " flash-new");
    li.id = "msg-" + m.id;
    li.dataset.id = String(m.id);
    var head = el("div", "msg-head");
    var who = m.role === "nurse" ? "Nurse " + (m.author_name || "") :
      (m.role === "patient" ? (list.dataset.patient || "Patient") : m.role_label);
    head.appendChild(el("span", "msg-who", who));
    if (m.role !== "patient") head.appendChild(el("span", "badge badge-kind-" + m.kind, m.kind_label));
    var time = el("time", "muted small", clock(m.created_at));
    time.setAttribute("datetime", m.created_at);
    head.appendChild(time);
    li.appendChild(head);
    var text = el("div", "msg-text");
    String(m.text).split("\n").forEach(function (line, i) {
      if (i) text.appendChild(document.createElement("br"));
      text.appendChild(document.createTextNode(line));
    });
    li.appendChild(text);
    if (m.citations && m.citations.length) {
      var ol = el("ol", "citations small");
      m.citations.forEach(function (c) {
        var item = el("li");
        item.value = c.n;
        var url = safeUrl(c.url);
        if (url) { var a = el("a", null, c.title || c.section_id); a.href = url; a.rel = "noopener noreferrer"; a.target = "_blank"; item.appendChild(a); }
        else item.appendChild(document.createTextNode(c.title || c.section_id));
        item.appendChild(el("span", "muted", " — " + (c.source_name || c.source) + ", " + c.section_id + " v" + c.version));
        ol.appendChild(item);
      });
      li.appendChild(ol);
    }
    list.appendChild(li);
    if (m.role === "patient") {
      var note = document.getElementById("thread-changed");
      if (note && note.hidden) { note.textContent = "The patient wrote a new message."; note.hidden = false; }
    }
  }

  function setupReplyBox() {
    var text = document.getElementById("reply-text");
    if (!text) return;
    var draftId = document.getElementById("draft-id");
    var draftValue = draftId ? draftId.value : "";
    var draftText = text.value;
    var clear = document.getElementById("clear-btn");
    if (clear) clear.addEventListener("click", function () {
      text.value = ""; if (draftId) draftId.value = ""; text.focus();
    });
    var restore = document.getElementById("use-draft-btn");
    if (restore) restore.addEventListener("click", function () {
      text.value = draftText; if (draftId) draftId.value = draftValue; text.focus();
    });
    var select = document.getElementById("canned-select");
    var data = document.getElementById("canned-data");
    if (select && data) {
      var canned = JSON.parse(data.textContent);
      select.addEventListener("change", function () {
        var chosen = canned.filter(function (c) { return String(c.id) === select.value; })[0];
        if (!chosen) return;
        var start = text.selectionStart || text.value.length;
        text.value = text.value.slice(0, start) + chosen.body + text.value.slice(text.selectionEnd || start);
        select.value = "";
        text.focus();
      });
    }
  }

  // ---------------------------------------------------------------- socket
  var socket = null;
  var retry = 0;
  function setStatus(state, text) {
    if (!statusEl) return;
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/inbox/");
    socket.onopen = function () {
      retry = 0;
      setStatus("live", "Live");
      if (threadEl) socket.send(JSON.stringify({ type: "watch", escalation_id: Number(threadEl.dataset.escalation) }));
    };
    socket.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.type === "queue") onSnapshot(msg);
      else if (msg.type === "escalation") onEscalation(msg.escalation);
      else if (msg.type === "alerts") renderAlerts(msg.alerts);
      else if (msg.type === "message") appendMessage(msg.message);
    };
    socket.onclose = function (event) {
      if (event.code === 4403) { setStatus("down", "Not allowed"); return; }
      if (event.code === 4401) { window.location.reload(); return; } // signed out: to sign-in
      setStatus("down", "Reconnecting…");
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, 500 * Math.pow(2, retry));
    };
  }

  if (threadEl) {
    var transcript = document.getElementById("transcript");
    var who = document.querySelector("#transcript .msg-patient .msg-who");
    if (transcript && who) transcript.dataset.patient = who.textContent;
    setupReplyBox();
  }
  if (queueBody || threadEl) {
    connect();
    window.setInterval(refreshTimes, 15000);
  }
})();
