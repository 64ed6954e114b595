// What the customer's session page shares between its kinds, Lens (lens.js) and screen sharing
// (screen.js): the customer WebSocket, the status line, chat, the lead technician's offer and
// answer, and the end of the session. Protocol: src/protocol/customer-ws.ts. The page is the
// same for every PIN; each kind registers its hooks (devices, tracks, its peer connection) and
// the session type in `joined` picks one.
"use strict";
/** The page's core, read from its JSON data block (pin, name, strings). */
window.rescueCustomer = (function () {
  var data = JSON.parse(document.getElementById("session-data").textContent);
  var t = data.strings;
  var $ = function (id) { return document.getElementById(id); };
  var show = function (id, on) { $(id).hidden = !on; };
  /** Hooks by session type, and those of the type in use (none until joined). */
  var kinds = {};
  var hooks = { cleanup: function () {} };

  var c = {
    data: data,
    t: t,
    $: $,
    show: show,
    ws: null,
    /** The lead technician's peer connection. */
    pc: null,
    stream: null,
    /** The session type once joined: "lens" or "desktop". */
    kind: null,
    iceServers: [],
    status: "connecting",
    /** Whether the lead's answer to the offer out there has arrived. */
    answered: false,
    finished: false,
    /** This page came back into its session (`resume`) after a reload, rather than joining with the PIN. */
    resumed: false,
    /** The socket dropped and the page is resuming the session. */
    reconnecting: false,
  };

  // The resume credential lives in this tab only (sessionStorage): a reload comes back, another tab does not.
  var resumeKey = "rescue-resume:" + data.pin;
  var resume = null;
  try {
    resume = JSON.parse(sessionStorage.getItem(resumeKey) || "null");
  } catch (e) {
    resume = null;
  }
  function keepResume(value) {
    resume = value;
    try {
      if (value) sessionStorage.setItem(resumeKey, JSON.stringify(value));
      else sessionStorage.removeItem(resumeKey);
    } catch (e) {
      /* storage off: the page still reconnects while it stays open */
    }
  }
  // A reload (or Back to this page) keeps the tab's storage but not this script: the moment the
  // page was left is stored with the credential, so the resume says how long the customer was
  // away (`awayMs`) as it does after a dropped socket. `leftAt` is this browser's clock only.
  window.addEventListener("pagehide", function () {
    if (!resume || c.finished) return;
    keepResume(Object.assign({}, resume, { leftAt: awaySince || Date.now() }));
  });
  /** Whether the session's customer has accepted (the statuses after the EULA). */
  function accepted(status) {
    return status === "waiting" || status === "active" || status === "on-hold" || status === "collaborating";
  }

  /** The page's state for people (the status line) and for tests (data-state on body). */
  c.setState = function (state, text) {
    document.body.dataset.state = state;
    $("status").textContent = text;
  };

  c.send = function (message) {
    if (c.ws && c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(message));
  };

  c.sendSignal = function (signal, peer) {
    var message = { type: "signal", signal: signal };
    if (peer) message.peer = peer;
    c.send(message);
  };

  c.live = function () {
    return c.status === "active" || c.status === "collaborating";
  };

  /** The badge on the customer's own picture: LIVE while it goes out, paused otherwise. */
  c.badge = function (hidden, on) {
    var badge = $("badge");
    badge.hidden = hidden;
    badge.textContent = on ? "LIVE" : "II";
    badge.className = on ? "badge live" : "badge";
  };

  c.stopTracks = function () {
    if (c.stream) c.stream.getTracks().forEach(function (track) { track.stop(); });
    var preview = $("preview").srcObject;
    if (preview) preview.getTracks().forEach(function (track) { track.stop(); });
  };

  c.end = function (state, text) {
    if (c.finished) return;
    c.finished = true;
    keepResume(null);
    clearTimeout(retryTimer);
    c.setState(state, text);
    if (c.pc) c.pc.close();
    hooks.cleanup();
    c.stopTracks();
    show("controls", false);
    show("recorded", false);
    show("chat-form", false);
    // A chat card with no messages has nothing left to say once the session is over.
    if (!$("messages").children.length) show("chat", false);
    show("eula", false);
    show("stage", false);
    if (c.ws && c.ws.readyState === WebSocket.OPEN) c.ws.close(1000, "done");
  };

  /** A connection that failed: a collaborator's is dropped, the lead's ends the session. */
  function failed(peer) {
    if (peer) hooks.peers.drop(peer);
    else c.end("error", t.lost);
  }

  /** Makes and sends the offer of one connection; `peer` names a collaborator, none is the lead. */
  c.offer = function (conn, peer) {
    conn.createOffer()
      .then(function (offer) { return conn.setLocalDescription(offer); })
      .then(function () {
        c.sendSignal({ kind: "offer", sdp: conn.localDescription.sdp }, peer);
        if (!peer) hooks.offered();
      })
      .catch(function () { failed(peer); });
  };

  /** The lead's connection, made by the page; its state is on body for tests. */
  c.startPeer = function () {
    var conn = hooks.startPeer();
    c.pc = conn;
    conn.onconnectionstatechange = function () {
      if (c.pc !== conn) return;
      document.body.dataset.peer = conn.connectionState;
      if (conn.connectionState === "connected") wasConnected = true;
      // The network went (Wi-Fi to LTE, a tunnel): say so, and once ICE gives up, connect anew.
      if (conn.connectionState === "failed") c.renewLead();
      hooks.describe();
    };
  };

  var wasConnected = false;

  /** A new connection to the lead in place of a dead one (or on their daemon's request). */
  c.renewLead = function () {
    if (c.finished || !c.stream) return;
    if (c.pc) c.pc.close();
    c.pc = null;
    c.answered = false;
    document.body.dataset.peer = "renewing";
    // Without the socket the offer would be lost: the reconnect makes it.
    if (c.ws && c.ws.readyState === WebSocket.OPEN) c.startPeer();
  };

  /** Whether the page should say the connection is interrupted rather than "Live". */
  c.interrupted = function () {
    if (c.reconnecting) return true;
    // Once media went out, anything but a connected lead (a dead one, or its replacement still
    // connecting) is an interruption, not "Live".
    var state = c.pc ? c.pc.connectionState : "closed";
    return c.live() && wasConnected && state !== "connected";
  };

  /**
   * After a reload into an accepted session, once the page has its media again: controls, chat
   * and a new connection to the lead, without the EULA again.
   */
  c.startIfAccepted = function () {
    if (c.pc || c.finished || !accepted(c.status) || !hooks.canStart()) return false;
    show("eula", false);
    show("controls", true);
    show("chat", true);
    c.startPeer();
    hooks.applyTracks();
    hooks.describe();
    return true;
  };

  function sendOffer() {
    if (!c.pc || !c.pc.localDescription) return;
    c.sendSignal({ kind: "offer", sdp: c.pc.localDescription.sdp });
    hooks.offered();
  }

  var joinedOnce = false;
  function onJoined(msg) {
    if (msg.resume) keepResume({ sessionId: msg.sessionId, token: msg.resume.token, graceMs: msg.resume.graceMs });
    var page = kinds[msg.sessionType];
    if (!page) return c.end("error", t.badPin);
    c.kind = msg.sessionType;
    hooks = page;
    hooks.canStart = hooks.canStart || function () { return true; };
    hooks.offered = hooks.offered || function () {};
    c.iceServers = msg.iceServers || [];
    // In again; also a reloaded page whose first resume had to be tried again (told to wait).
    c.reconnecting = false;
    if (joinedOnce) {
      // Back after a dropped socket: the page kept its media. A connection that is not up may
      // have lost its offer or answer with the socket: it is made anew.
      if (!c.pc) c.startIfAccepted();
      else if (c.pc.connectionState !== "connected") c.renewLead();
      return;
    }
    joinedOnce = true;
    c.resumed = msg.resumed === true;
    // The page carries the agreement in its own language; the server's English one is a fallback.
    show("recorded", msg.recorded);
    hooks.joined(msg);
  }

  function onSignal(signal, peer) {
    var conn = peer ? hooks.peers.conn(peer) : c.pc;
    if (!conn) return;
    if (signal.kind === "answer") {
      // Only the answer to the offer out there counts; a repeat would tear the connection down.
      if (conn.signalingState !== "have-local-offer") return;
      if (!peer) c.answered = true;
      conn.setRemoteDescription({ type: "answer", sdp: signal.sdp }).catch(function () { failed(peer); });
    } else if (signal.kind === "candidate") {
      conn.addIceCandidate(signal.candidate).catch(function () { /* a late or foreign candidate is harmless */ });
    }
  }

  function onStatus(next) {
    var before = c.status;
    c.status = next;
    if (next === "declined") return c.end("declined", t.declined);
    if (next === "closed" || next === "aborted" || next === "timed-out") return c.end("ended", t.ended);
    if (c.resumed && !c.pc) c.startIfAccepted();
    else if (next === "waiting" && !c.pc && hooks.canStart()) {
      show("eula", false);
      show("controls", true);
      show("chat", true);
      c.startPeer();
    }
    // A technician whose daemon was not listening when the offer went out gets it again on start.
    if (c.live() && before === "waiting" && !c.answered) sendOffer();
    hooks.applyTracks();
    hooks.describe();
  }

  function addChat(message) {
    var li = document.createElement("li");
    li.className = message.from;
    var who = document.createElement("b");
    who.textContent = message.from === "customer" ? t.you : message.from === "technician" ? t.technician : "";
    var text = document.createElement("span");
    text.textContent = message.text;
    li.appendChild(who);
    li.appendChild(text);
    $("messages").appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  var retryTimer = null;
  /**
   * Since when the page has been without the server (0 while connected): its last message (the
   * `pong` to the ping every 5 s at the latest), not when the dead socket was noticed, which after
   * an outage is only once the network is back. `noticedAt`: when the drop was noticed, from which
   * the server's grace period (which starts when the server notices it) is waited out. And how
   * many resumes were tried since.
   */
  var awaySince = 0;
  var noticedAt = 0;
  var lastHeard = 0;
  var attempts = 0;
  // Back from a reload: away since the old page was left, unless the clock says otherwise (moved back).
  if (resume && typeof resume.leftAt === "number" && resume.leftAt <= Date.now()) awaySince = noticedAt = resume.leftAt;

  /**
   * The socket dropped: resume with the credential until the server's grace period is over.
   * `waitMs`: the server asked for that long before the next try (too many reconnects).
   */
  function reconnect(waitMs) {
    if (c.finished) return;
    if (!awaySince) awaySince = lastHeard || Date.now();
    if (!noticedAt) noticedAt = Date.now();
    if (Date.now() - noticedAt > (resume.graceMs || 0)) return c.end("lost", t.lost);
    c.reconnecting = true;
    c.setState("reconnecting", t.reconnecting);
    attempts += 1;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, Math.max(waitMs || 0, Math.min(4000, 250 * Math.pow(2, attempts - 1))));
  }

  function connect() {
    clearTimeout(retryTimer);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/api/v1/customer/ws");
    c.ws = ws;
    ws.onopen = function () {
      openedAt = Date.now();
      if (resume) {
        var back = { type: "resume", sessionId: resume.sessionId, token: resume.token };
        // How long this page was without a connection: the gap the technician is told of.
        // At most a day, as the server takes it (it bounds the figure by its grace period itself).
        if (awaySince) back.awayMs = Math.min(86400000, Math.max(0, Math.round(Date.now() - awaySince)));
        return c.send(back);
      }
      var join = { type: "join", pin: data.pin };
      if (data.name) join.name = data.name;
      c.send(join);
    };
    ws.onmessage = function (event) {
      if (c.ws === ws) lastHeard = Date.now();
      var msg;
      try {
        msg = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (msg.type === "joined") {
        awaySince = 0;
        noticedAt = 0;
        attempts = 0;
        onJoined(msg);
      } else if (msg.type === "status") onStatus(msg.status);
      // A page without collaborators treats every signal as the lead's.
      else if (msg.type === "signal") onSignal(msg.signal, hooks.peers ? msg.peer : undefined);
      // "lead" joined: a new lead after a transfer, or the lead's daemon asking for a new connection.
      else if (msg.type === "peer" && msg.peer === "lead") {
        if (msg.event === "joined") c.renewLead();
      } else if (msg.type === "peer" && hooks.peers) hooks.peers.event(msg.peer, msg.event);
      else if (msg.type === "chat") addChat(msg.message);
    };
    ws.onclose = function (event) {
      if (c.finished || c.ws !== ws) return;
      if (event.code === 4404 && resume) {
        // The credential no longer opens the session: it ended while this page was away.
        return c.end("ended", t.ended);
      }
      // 4429 with "retry in N s" on a resume: too many reconnects for the session; wait that long
      // (within the grace period) and try again.
      var retryIn = event.code === 4429 && resume ? /retry in (\d+) s/.exec(event.reason || "") : null;
      if (retryIn) return reconnect(Number(retryIn[1]) * 1000);
      if (event.code === 4404 || event.code === 4429) {
        show("again", true);
        // 4429 before joining: the network spent its budget of wrong PINs (waiting it out takes hours).
        return c.end("bad-pin", event.code === 4404 ? t.badPin : joinedOnce ? event.reason : t.pinThrottled);
      }
      if (event.code === 4409 || event.code === 4410 || event.code === 1000) return c.end("ended", t.ended);
      if (resume) return reconnect();
      c.end("lost", t.lost);
    };
  }

  /**
   * Pings every PING_MS; a socket the server has not been heard on for SILENT_MS (three pings
   * unanswered) is given up and the session resumed on a new one. A socket the server dropped
   * during an outage looks open until something is sent on it, and one left behind by a network
   * switch (Wi-Fi to LTE, a NAT that forgot the mapping) never errors at all: only the silence tells.
   */
  var PING_MS = 5000;
  var SILENT_MS = 15000;
  var openedAt = 0;
  setInterval(function () {
    if (c.finished || !c.ws || c.ws.readyState !== WebSocket.OPEN || !joinedOnce) return;
    if (resume && Date.now() - Math.max(lastHeard, openedAt) > SILENT_MS) {
      var stale = c.ws;
      c.ws = null; // its close, whenever it comes, is not this page's any more
      try {
        stale.close();
      } catch (e) {
        // already closing
      }
      return reconnect();
    }
    c.send({ type: "ping" });
  }, PING_MS);

  // Back online (the phone's radio returned): try at once rather than at the next backoff step.
  window.addEventListener("online", function () {
    if (c.reconnecting && !c.finished) connect();
  });

  /**
   * Registers the hooks of one session type ("lens", "desktop"). Hooks: joined(msg) after the
   * shared part of "joined" (the kind's controls and listeners go up there); startPeer() returns
   * the lead's connection; applyTracks() and describe() after every status; cleanup() on the end;
   * optional: canStart() before the lead's connection is made, offered() after the lead's offer
   * went out, peers { conn(peer), drop(peer), event(peer, event) } for collaborators.
   */
  c.register = function (sessionType, pageHooks) {
    kinds[sessionType] = pageHooks;
  };

  /** Runs the page once every kind has registered (the scripts are deferred, in order). */
  function start() {
    $("disconnect").addEventListener("click", function () {
      c.send({ type: "leave" });
      c.end("ended", t.ended);
    });
    $("chat-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("chat-text").value.trim();
      if (!text) return;
      c.send({ type: "chat", text: text });
      $("chat-text").value = "";
    });
    if (!/^\d{6}$/.test(data.pin)) {
      show("again", true);
      c.end("bad-pin", t.badPin);
    } else {
      connect();
    }
  }
  document.addEventListener("DOMContentLoaded", start);

  return c;
})();
