/* The patient chat page: a websocket client for ws/chat/<id>/ (see docs/chat-protocol.md).
 *
 * The server-rendered history is the starting point; the socket keeps it live. Rules:
 * - every text from a person or the server goes into the page with textContent, never as HTML;
 * - a message gets a client_id before it is sent and stays "pending" (also across a page reload,
 *   in sessionStorage) until the server echoes it back; after a reconnect every pending message is
 *   sent again with the same client_id, which the server deduplicates;
 * - a dropped socket reconnects with exponential backoff and reloads the history on connect.
 */
(function () {
  "use strict";

  var log = document.getElementById("chat-log");
  if (!log) return;

  var conversationId = JSON.parse(document.getElementById("chat-conversation-id").textContent);
  var maxChars = JSON.parse(document.getElementById("chat-max-chars").textContent);
  var form = document.getElementById("composer");
  var input = document.getElementById("chat-input");
  var countEl = document.querySelector("#chat-count .count");
  var countBox = document.getElementById("chat-count");
  var thinkingEl = document.getElementById("chat-thinking");
  var alertEl = document.getElementById("chat-alert");
  var connEl = document.getElementById("chat-connection");
  var banner = document.getElementById("handoff-banner");
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var region = log.parentNode; // the scrolling live region around the list
  var feedbackUrl = log.getAttribute("data-feedback-url");
  var handoffUrl = log.getAttribute("data-handoff-url");
  var loginUrl = log.getAttribute("data-login-url") || "/accounts/login/";
  var STORE_KEY = "chat-pending-" + conversationId;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var THUMB_UP = "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3z" +
    "M7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3";
  var THUMB_DOWN = "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3z" +
    "m7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17";

  var socket = null;
  var attempt = 0;
  var reconnectTimer = null;
  var stopped = false; // signed out or forbidden: reconnecting cannot help
  var retryTimers = {};
  var pending = loadPending(); // client_id -> {text: ..., at: ms}

  // --- small helpers --------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function urlFor(template, id) {
    return template.replace("/0/", "/" + encodeURIComponent(id) + "/");
  }

  function safeUrl(url) {
    return /^https?:\/\/\S/i.test(url || "") ? url : "";
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var rnd = new Uint32Array(4);
    window.crypto.getRandomValues(rnd);
    return Array.prototype.map.call(rnd, function (n) { return n.toString(36); }).join("-");
  }

  function loadPending() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function savePending() {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(pending));
    } catch (e) { /* private mode: pending messages then live in memory only */ }
  }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    // The clock the pages rendered by the server use (24-hour, the clinic's time zone), so a
    // live message and the same message after a reload show the same time.
    return d.toLocaleTimeString("en-GB", {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      timeZone: document.documentElement.dataset.timeZone || undefined
    });
  }

  // On wide screens the log scrolls inside its box; on phones the page scrolls (chat.css).
  function pageScrolls() {
    return window.getComputedStyle(region).overflowY === "visible";
  }

  function nearBottom() {
    if (pageScrolls()) {
      return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 200;
    }
    return region.scrollHeight - region.scrollTop - region.clientHeight < 120;
  }

  function scrollToEnd(node) {
    if (!pageScrolls()) {
      region.scrollTop = region.scrollHeight;
    } else if (node) {
      node.scrollIntoView({ block: "nearest" });
    }
  }

  function showAlert(text, linkText, linkHref) {
    alertEl.textContent = "";
    alertEl.appendChild(document.createTextNode(text));
    if (linkText && linkHref) {
      alertEl.appendChild(document.createTextNode(" "));
      alertEl.appendChild(el("a", { href: linkHref, text: linkText }));
    }
    alertEl.hidden = false;
  }

  function clearAlert() {
    alertEl.hidden = true;
    alertEl.textContent = "";
  }

  function setConnection(state, text) {
    connEl.setAttribute("data-state", state);
    connEl.querySelector(".conn-text").textContent = text;
  }

  // --- rendering (mirrors templates/assistant/partials/*.html) --------------------------------

  function thumbButton(value, label, path, pressed) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    var button = el("button", {
      type: "submit", name: "helpful", value: value,
      class: "thumb thumb-" + (value === "yes" ? "up" : "down"),
      "aria-pressed": pressed ? "true" : "false"
    }, [svg, el("span", { text: label })]);
    return button;
  }

  function csrfField() {
    return el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf });
  }

  function renderFeedback(m) {
    var fb = m.feedback || null;
    var labelId = "feedback-label-" + m.id;
    var commentId = "feedback-comment-" + m.id;
    var textarea = el("textarea", { id: commentId, name: "comment", rows: 2, maxlength: 2000 });
    textarea.value = fb && fb.comment ? fb.comment : "";
    return el("form", {
      class: "feedback", method: "post", action: urlFor(feedbackUrl, m.id), "data-feedback": true
    }, [
      csrfField(),
      el("span", { class: "feedback-label small", id: labelId, text: "Was this helpful?" }),
      el("span", { class: "feedback-buttons", role: "group", "aria-labelledby": labelId }, [
        thumbButton("yes", "Yes", THUMB_UP, fb && fb.helpful === true),
        thumbButton("no", "No", THUMB_DOWN, fb && fb.helpful === false)
      ]),
      el("details", { class: "feedback-comment" }, [
        el("summary", { class: "small", text: "Add a comment (optional)" }),
        el("label", { for: commentId, class: "small", text: "Your comment" }),
        textarea,
        el("p", { class: "small muted feedback-hint", text: "Then choose Yes or No to send it." })
      ]),
      el("span", { class: "feedback-status small", role: "status" })
    ]);
  }

  function renderCitations(m) {
    return el("div", { class: "citations" }, [
      el("p", { class: "citations-title small", text: "Sources" }),
      el("ol", { class: "citation-list" }, m.citations.map(function (c) {
        var url = safeUrl(c.url);
        var meta = el("p", { class: "cite-meta small" }, [
          el("span", { class: "cite-org", text: c.source_name || c.source || "" })
        ]);
        if (url) {
          meta.appendChild(document.createTextNode(" · "));
          meta.appendChild(el("a", {
            class: "cite-link", href: url, target: "_blank", rel: "noopener noreferrer"
          }, [
            document.createTextNode("Read the full section"),
            el("span", { class: "visually-hidden", text: " (opens in a new tab)" })
          ]));
        }
        return el("li", { id: "message-" + m.id + "-source-" + c.n }, [
          el("details", { class: "citation" }, [
            el("summary", {}, [
              el("span", { class: "cite-n", text: "[" + c.n + "]" }),
              document.createTextNode(" "),
              el("span", { class: "cite-title", text: c.title || "" })
            ]),
            el("blockquote", { class: "cite-text", text: c.excerpt || c.text || "" }),
            meta
          ])
        ]);
      }))
    ]);
  }

  function renderBody(m) {
    if (m.kind === "safety") {
      return el("div", { class: "safety-notice", role: "alert" }, [
        el("p", { class: "safety-title", text: "This may be an emergency" }),
        el("p", { class: "msg-text", text: m.text }),
        el("p", { class: "safety-actions" }, [
          el("a", { class: "btn btn-danger", href: "tel:911", text: "Call 911" }),
          document.createTextNode(" "),
          el("a", { class: "btn btn-danger-outline", href: "tel:988", text: "Call or text 988" })
        ])
      ]);
    }
    return el("p", { class: "msg-text", text: m.text });
  }

  function renderMessage(m) {
    var li = el("li", {
      id: "message-" + m.id,
      class: "msg msg-" + m.role + " kind-" + m.kind,
      "data-message-id": m.id,
      "data-client-id": m.client_id || null,
      "data-reply-to": m.reply_to || null,
      "data-role": m.role,
      "data-kind": m.kind,
      "data-answer-state": m.answer_state || ""
    }, [
      el("div", { class: "msg-head" }, [
        el("span", { class: "msg-author", text: m.author_label || "" }),
        m.created_at ? el("time", {
          class: "msg-time", datetime: m.created_at, text: formatTime(m.created_at)
        }) : null,
        el("span", { class: "msg-state small" })
      ]),
      renderBody(m),
      m.citations && m.citations.length ? renderCitations(m) : null,
      m.offer_handoff ? el("form", {
        class: "handoff-offer", method: "post", action: urlFor(handoffUrl, m.id), "data-handoff": true
      }, [
        csrfField(),
        el("button", {
          type: "submit", class: "btn btn-secondary btn-small",
          text: "Send my question to my care team"
        })
      ]) : null,
      m.rateable ? renderFeedback(m) : null
    ]);
    updateState(li, m.answer_state || "");
    return li;
  }

  function renderLocal(clientId, text) {
    var li = el("li", {
      class: "msg msg-patient kind-question is-local",
      "data-client-id": clientId, "data-role": "patient", "data-kind": "question",
      "data-answer-state": "sending"
    }, [
      el("div", { class: "msg-head" }, [
        el("span", { class: "msg-author", text: "You" }),
        el("span", { class: "msg-state small" })
      ]),
      el("p", { class: "msg-text", text: text })
    ]);
    updateState(li, "sending");
    return li;
  }

  var STATE_TEXT = {
    sending: "Sending…",
    offline: "Will be sent when the connection is back",
    signedout: "Will be sent after you sign in again",
    waiting: "Waiting to send…",
    failed: "Not answered",
    rejected: "Not sent"
  };

  function updateState(li, state, detail) {
    li.setAttribute("data-answer-state", state);
    var box = li.querySelector(".msg-state");
    if (!box || li.getAttribute("data-role") !== "patient") return;
    var text = STATE_TEXT[state] || "";
    box.textContent = detail ? text + ": " + detail : text;
  }

  // --- applying server state ------------------------------------------------------------------

  function findMessage(m) {
    var node = document.getElementById("message-" + m.id);
    if (!node && m.client_id) {
      node = log.querySelector('li[data-client-id="' + cssEscape(m.client_id) + '"]');
    }
    return node;
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
  }

  function insertOrdered(li, id) {
    var items = log.querySelectorAll("li[data-message-id]");
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].getAttribute("data-message-id")) > id) {
        log.insertBefore(li, items[i]);
        return;
      }
    }
    var firstLocal = log.querySelector("li.is-local");
    log.insertBefore(li, firstLocal);
  }

  function upsertMessage(m) {
    var stick = nearBottom();
    var node = findMessage(m);
    if (!node) {
      node = renderMessage(m);
      insertOrdered(node, m.id);
    } else {
      if (node.classList.contains("is-local")) { // our own message, now acknowledged
        node.classList.remove("is-local");
        node.id = "message-" + m.id;
        node.setAttribute("data-message-id", m.id);
        var head = node.querySelector(".msg-head");
        if (m.created_at && !head.querySelector("time")) {
          head.insertBefore(
            el("time", { class: "msg-time", datetime: m.created_at, text: formatTime(m.created_at) }),
            head.querySelector(".msg-state")
          );
        }
      }
      if (m.role === "patient") updateState(node, m.answer_state || "");
      if (m.rateable && m.feedback) applyFeedback(node, m.feedback.helpful, null);
    }
    if (m.client_id && pending[m.client_id]) {
      delete pending[m.client_id];
      savePending();
    }
    if (m.reply_to) {
      var asked = document.getElementById("message-" + m.reply_to);
      if (asked && asked.getAttribute("data-role") === "patient") {
        updateState(asked, m.kind === "error" ? "failed" : "answered");
      }
    }
    var empty = document.getElementById("chat-empty");
    if (empty) empty.hidden = true;
    var current = document.querySelector(".conv-current");
    if (current && m.role === "patient" && current.getAttribute("data-untitled") !== null) {
      current.textContent = m.text.length > 80 ? m.text.slice(0, 79) + "…" : m.text;
      current.removeAttribute("data-untitled");
    }
    refreshThinking();
    if (stick) scrollToEnd(node);
  }

  function refreshThinking() {
    var waiting = log.querySelectorAll(
      'li[data-role="patient"][data-message-id][data-answer-state="pending"]'
    );
    thinkingEl.hidden = waiting.length === 0;
  }

  function applyFeedback(node, helpful, statusText) {
    var up = node.querySelector(".thumb-up");
    var down = node.querySelector(".thumb-down");
    if (up) up.setAttribute("aria-pressed", helpful === true ? "true" : "false");
    if (down) down.setAttribute("aria-pressed", helpful === false ? "true" : "false");
    var status = node.querySelector(".feedback-status");
    if (status && statusText !== null) status.textContent = statusText;
  }

  function applyHandoff(esc) {
    if (!esc) {
      banner.hidden = true;
      return;
    }
    banner.className = "handoff-banner handoff-" + esc.status + " level-" + esc.level;
    banner.querySelector(".handoff-text").textContent = esc.status_text;
    banner.hidden = false;
    if (esc.status !== "resolved") {
      log.querySelectorAll("form.handoff-offer").forEach(function (f) {
        f.hidden = true;
      });
    }
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case "history":
        (frame.messages || []).forEach(upsertMessage);
        applyHandoff(frame.handoff);
        resendPending();
        break;
      case "message":
        upsertMessage(frame.message);
        break;
      case "thinking": {
        var node = frame.message_id ? document.getElementById("message-" + frame.message_id) : null;
        if (node && node.getAttribute("data-answer-state") === "pending") refreshThinking();
        break;
      }
      case "handoff":
        applyHandoff(frame.escalation);
        break;
      case "feedback_saved": {
        var msg = document.getElementById("message-" + frame.message_id);
        if (msg) applyFeedback(msg, frame.helpful, "Thank you, your feedback was saved.");
        break;
      }
      case "error":
        handleError(frame);
        break;
      default:
        break;
    }
  }

  function handleError(frame) {
    var cid = frame.client_id;
    var local = cid ? log.querySelector('li.is-local[data-client-id="' + cssEscape(cid) + '"]') : null;
    if (cid && pending[cid] && frame.code === "rate_limited") {
      // Nothing was stored: keep it and send it again once the window has room.
      if (local) updateState(local, "waiting");
      showAlert(frame.detail);
      clearTimeout(retryTimers[cid]);
      retryTimers[cid] = setTimeout(function () {
        clearAlert();
        transmit(cid);
      }, (Number(frame.retry_after) || 5) * 1000);
      return;
    }
    if (cid && pending[cid]) {
      var text = pending[cid].text;
      delete pending[cid];
      savePending();
      if (local) {
        updateState(local, "rejected", frame.detail);
        local.classList.remove("is-local");
        local.classList.add("is-rejected");
      }
      if (!input.value) {
        input.value = text; // give it back for editing
        updateCount();
      }
    }
    showAlert(frame.detail || "Something went wrong. Please try again.");
    input.focus();
  }

  // --- sending --------------------------------------------------------------------------------

  function isOpen() {
    return socket && socket.readyState === WebSocket.OPEN;
  }

  function sendFrame(frame) {
    if (!isOpen()) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function transmit(clientId) {
    var item = pending[clientId];
    if (!item) return;
    var local = log.querySelector('li.is-local[data-client-id="' + cssEscape(clientId) + '"]');
    if (!local) {
      local = renderLocal(clientId, item.text);
      log.appendChild(local);
    }
    if (sendFrame({ type: "message", text: item.text, client_id: clientId })) {
      updateState(local, "sending");
    } else {
      updateState(local, "offline");
    }
  }

  function resendPending() {
    Object.keys(pending).forEach(function (cid) {
      var acked = log.querySelector('li[data-message-id][data-client-id="' + cssEscape(cid) + '"]');
      if (acked) {
        delete pending[cid];
        savePending();
      } else {
        transmit(cid);
      }
    });
  }

  function updateCount() {
    var n = input.value.length;
    countEl.textContent = String(n);
    countBox.classList.toggle("over", n > maxChars);
  }

  function sendFromInput() {
    var text = input.value.trim();
    if (!text) {
      showAlert("Type a message first.");
      input.focus();
      return;
    }
    if (text.length > maxChars) {
      showAlert("Messages can be at most " + maxChars + " characters.");
      input.focus();
      return;
    }
    clearAlert();
    var cid = newClientId();
    pending[cid] = { text: text, at: Date.now() };
    savePending();
    input.value = "";
    updateCount();
    input.focus();
    transmit(cid);
    scrollToEnd(log.querySelector('li.is-local[data-client-id="' + cssEscape(cid) + '"]'));
  }

  // --- connection -----------------------------------------------------------------------------

  function connect() {
    clearTimeout(reconnectTimer);
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(proto + "//" + window.location.host + "/ws/chat/" + conversationId + "/");
    socket = ws;
    setConnection("connecting", attempt ? "Reconnecting…" : "Connecting…");
    ws.onopen = function () {
      attempt = 0;
      setConnection("online", "Connected");
    };
    ws.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handleFrame(frame);
    };
    ws.onclose = function (event) {
      if (socket === ws) socket = null;
      if (event.code === 4401) {
        stopped = true;
        setConnection("offline", "Signed out");
        // Unsent messages stay in this tab's storage; the page sends them after the sign-in.
        // Until then nobody reads them, so an emergency must not wait for that.
        var unsent = 0;
        Object.keys(pending).forEach(function (cid) {
          var li = log.querySelector('li[data-client-id="' + cssEscape(cid) + '"]');
          if (li && !li.hasAttribute("data-message-id")) {
            updateState(li, "signedout");
            unsent += 1;
          }
        });
        showAlert(unsent ?
          "Your session has ended: your message is not sent yet. If this is an emergency, " +
          "call 911 now." : "Your session has ended.", "Sign in again",
          loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
        return;
      }
      if (event.code === 4403) {
        stopped = true;
        setConnection("offline", "Not available");
        showAlert("This conversation is not available.");
        return;
      }
      if (event.code === 4429) {
        // Too many portal windows open for this account: say so, and keep retrying slowly.
        showAlert("Too many portal windows are open for your account. Close one and this " +
          "chat reconnects.");
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (stopped) return;
    // 1 s, 2 s, 4 s … up to 30 s, with jitter so a restarted server is not hit all at once.
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    attempt += 1;
    setConnection("offline", "Connection lost. Reconnecting in " + Math.ceil(delay / 1000) + " s…");
    reconnectTimer = setTimeout(connect, delay);
  }

  // --- wiring ---------------------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendFromInput();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromInput();
    }
  });
  input.addEventListener("input", updateCount);

  log.addEventListener("submit", function (event) {
    var target = event.target;
    if (!isOpen()) return; // no socket: the form posts the classic way
    if (target.matches("form[data-feedback]")) {
      event.preventDefault();
      var li = target.closest("li[data-message-id]");
      var helpful = event.submitter ? event.submitter.value === "yes" : true;
      var comment = target.querySelector("textarea[name=comment]");
      sendFrame({
        type: "feedback",
        message_id: Number(li.getAttribute("data-message-id")),
        helpful: helpful,
        comment: comment ? comment.value : ""
      });
      applyFeedback(li, helpful, "Saving…");
    } else if (target.matches("form[data-handoff]")) {
      event.preventDefault();
      var item = target.closest("li[data-message-id]");
      sendFrame({ type: "handoff_request", message_id: Number(item.getAttribute("data-message-id")) });
      target.querySelector("button").disabled = true;
    }
  });

  window.addEventListener("online", function () {
    if (!socket && !stopped) {
      attempt = 0;
      connect();
    }
  });

  log.querySelectorAll('li[data-role="patient"]').forEach(function (li) {
    updateState(li, li.getAttribute("data-answer-state") || "");
  });
  Object.keys(pending).forEach(function (cid) { // left over from before a reload
    if (!log.querySelector('li[data-message-id][data-client-id="' + cssEscape(cid) + '"]')) {
      log.appendChild(renderLocal(cid, pending[cid].text));
    }
  });
  updateCount();
  refreshThinking();
  scrollToEnd();
  connect();
})();
