// The customer's Lens page: join with the PIN, grant camera and microphone, answer the EULA,
// then stream to the technician over WebRTC. Protocol: src/protocol/customer-ws.ts.
// Media is offered only after the EULA is accepted; tracks carry picture and sound only while
// the session is active (or collaborating) and the customer has not paused.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("lens-data").textContent);
  var t = data.strings;
  var $ = function (id) { return document.getElementById(id); };
  var show = function (id, on) { $(id).hidden = !on; };

  var ws = null;
  var pc = null;
  /** Collaborating technicians' peer connections, by peer name (the lead's is `pc`). */
  var others = {};
  var stream = null;
  var iceServers = [];
  var status = "connecting";
  var pausedByCustomer = false;
  var answered = false;
  var finished = false;

  /** The page's state for people (the status line) and for tests (data-state on body). */
  function setState(state, text) {
    document.body.dataset.state = state;
    $("status").textContent = text;
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function mediaFlows() {
    return (status === "active" || status === "collaborating") && !pausedByCustomer;
  }

  function applyTracks() {
    if (!stream) return;
    var on = mediaFlows();
    stream.getTracks().forEach(function (track) { track.enabled = on; });
    // What is being sent, for tests and for anyone inspecting the page.
    document.body.dataset.tracks = stream.getTracks().map(function (track) { return track.kind + ":" + track.enabled; }).sort().join(",");
    var badge = $("badge");
    badge.hidden = status === "connecting" || status === "waiting";
    badge.textContent = on ? "LIVE" : "II";
    badge.className = on ? "badge live" : "badge";
  }

  function describe() {
    if (finished) return;
    if (status === "waiting") setState("waiting", t.waiting);
    else if (status === "on-hold") setState("on-hold", t.onHold);
    else if (status === "active" || status === "collaborating") setState(pausedByCustomer ? "paused" : "live", pausedByCustomer ? t.paused : t.live);
    $("pause").textContent = pausedByCustomer ? t.resume : t.pause;
  }

  function end(state, text) {
    if (finished) return;
    finished = true;
    setState(state, text);
    if (pc) pc.close();
    Object.keys(others).forEach(dropPeer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    var preview = $("preview").srcObject;
    if (preview) preview.getTracks().forEach(function (track) { track.stop(); });
    show("controls", false);
    show("recorded", false);
    show("chat-form", false);
    show("eula", false);
    show("stage", false);
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000, "done");
  }

  /** Rear camera on phones where there is one, and the microphone; whatever the customer grants. */
  function getDevices() {
    var video = { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } };
    return navigator.mediaDevices.getUserMedia({ video: video, audio: true }).catch(function () {
      return navigator.mediaDevices.getUserMedia({ video: video }).catch(function () {
        return navigator.mediaDevices.getUserMedia({ audio: true });
      });
    });
  }

  function onJoined(msg) {
    iceServers = msg.iceServers || [];
    $("eula-text").textContent = msg.eula;
    show("recorded", msg.recorded);
    setState("devices", t.askDevices);
    var mediaDevices = navigator.mediaDevices;
    if (!mediaDevices || !mediaDevices.getUserMedia) {
      send({ type: "devices", camera: false, microphone: false });
      return end("denied", t.devicesDenied);
    }
    getDevices().then(
      function (s) {
        stream = s;
        var camera = s.getVideoTracks().length > 0;
        // The customer always sees their own camera; what is sent stays dark until the session is live.
        if (camera) {
          $("preview").srcObject = new MediaStream([s.getVideoTracks()[0].clone()]);
          show("stage", true);
        }
        applyTracks();
        send({ type: "devices", camera: camera, microphone: s.getAudioTracks().length > 0 });
        setState("eula", t.eulaHeading);
        show("eula", true);
      },
      function () {
        send({ type: "devices", camera: false, microphone: false });
        end("denied", t.devicesDenied);
      },
    );
  }

  /**
   * An offer to one technician: video sendonly, audio sendrecv (the technician talks back), ICE
   * trickled. Every technician in the session gets their own connection from this page; `peer`
   * names a collaborator, none is the lead.
   */
  function newPeer(peer) {
    var conn = new RTCPeerConnection({ iceServers: iceServers, bundlePolicy: "max-bundle" });
    var video = stream.getVideoTracks()[0];
    var audio = stream.getAudioTracks()[0];
    if (video) conn.addTransceiver(video, { direction: "sendonly", streams: [stream] });
    if (audio) conn.addTransceiver(audio, { direction: "sendrecv", streams: [stream] });
    else conn.addTransceiver("audio", { direction: "recvonly" });
    conn.onicecandidate = function (event) {
      if (event.candidate) sendSignal({ kind: "candidate", candidate: event.candidate.toJSON() }, peer);
    };
    conn.createOffer()
      .then(function (offer) { return conn.setLocalDescription(offer); })
      .then(function () { sendSignal({ kind: "offer", sdp: conn.localDescription.sdp }, peer); })
      .catch(function () { if (peer) dropPeer(peer); else end("error", t.lost); });
    return conn;
  }

  function startPeer() {
    pc = newPeer();
    pc.ontrack = function (event) {
      if (event.track.kind === "audio") $("remote-audio").srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onconnectionstatechange = function () {
      document.body.dataset.peer = pc.connectionState;
    };
  }

  /** A collaborator's connection; their voice plays on an audio element of its own. */
  function startOther(peer) {
    dropPeer(peer);
    var conn = newPeer(peer);
    var audio = document.createElement("audio");
    audio.autoplay = true;
    conn.ontrack = function (event) {
      if (event.track.kind === "audio") audio.srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    others[peer] = { pc: conn, audio: audio };
    document.body.dataset.others = String(Object.keys(others).length);
  }

  function dropPeer(peer) {
    var other = others[peer];
    if (!other) return;
    delete others[peer];
    other.pc.close();
    other.audio.srcObject = null;
    document.body.dataset.others = String(Object.keys(others).length);
  }

  function sendSignal(signal, peer) {
    var message = { type: "signal", signal: signal };
    if (peer) message.peer = peer;
    send(message);
  }

  function sendOffer() {
    if (pc && pc.localDescription) sendSignal({ kind: "offer", sdp: pc.localDescription.sdp });
  }

  function onSignal(signal, peer) {
    var conn = peer ? others[peer] && others[peer].pc : pc;
    if (!conn) return;
    if (signal.kind === "answer") {
      // Only the answer to the offer out there counts; a repeat would tear the connection down.
      if (conn.signalingState !== "have-local-offer") return;
      if (!peer) answered = true;
      conn.setRemoteDescription({ type: "answer", sdp: signal.sdp }).catch(function () { if (peer) dropPeer(peer); else end("error", t.lost); });
    } else if (signal.kind === "candidate") {
      conn.addIceCandidate(signal.candidate).catch(function () { /* a late or foreign candidate is harmless */ });
    }
  }

  /** A technician joined (offer to them; "lead" again after a transfer) or left. */
  function onPeer(peer, event) {
    if (!stream || finished) return;
    if (peer === "lead") {
      if (event !== "joined") return;
      if (pc) pc.close();
      answered = false;
      startPeer();
    } else if (event === "joined") startOther(peer);
    else dropPeer(peer);
  }

  function onStatus(next) {
    var before = status;
    status = next;
    if (next === "declined") return end("declined", t.declined);
    if (next === "closed" || next === "aborted" || next === "timed-out") return end("ended", t.ended);
    if (next === "waiting" && !pc) {
      show("eula", false);
      show("controls", true);
      show("chat", true);
      startPeer();
    }
    // A technician whose daemon was not listening when the offer went out gets it again on start.
    if ((next === "active" || next === "collaborating") && before === "waiting" && !answered) sendOffer();
    applyTracks();
    describe();
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

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/api/v1/customer/ws");
    ws.onopen = function () {
      var join = { type: "join", pin: data.pin };
      if (data.name) join.name = data.name;
      send(join);
    };
    ws.onmessage = function (event) {
      var msg;
      try {
        msg = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (msg.type === "joined") onJoined(msg);
      else if (msg.type === "status") onStatus(msg.status);
      else if (msg.type === "signal") onSignal(msg.signal, msg.peer);
      else if (msg.type === "peer") onPeer(msg.peer, msg.event);
      else if (msg.type === "chat") addChat(msg.message);
    };
    ws.onclose = function (event) {
      if (finished) return;
      if (event.code === 4404 || event.code === 4429) {
        show("again", true);
        return end("bad-pin", event.code === 4404 ? t.badPin : event.reason);
      }
      end("lost", t.lost);
    };
  }

  $("accept").addEventListener("click", function () {
    $("accept").disabled = true;
    $("decline").disabled = true;
    send({ type: "eula", accepted: true });
  });
  $("decline").addEventListener("click", function () {
    send({ type: "eula", accepted: false });
  });
  $("pause").addEventListener("click", function () {
    pausedByCustomer = !pausedByCustomer;
    send({ type: "media", state: pausedByCustomer ? "paused" : "resumed" });
    applyTracks();
    describe();
  });
  $("disconnect").addEventListener("click", function () {
    send({ type: "leave" });
    end("ended", t.ended);
  });
  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("chat-text").value.trim();
    if (!text) return;
    send({ type: "chat", text: text });
    $("chat-text").value = "";
  });

  if (!/^\d{6}$/.test(data.pin)) {
    show("again", true);
    end("bad-pin", t.badPin);
  } else {
    connect();
  }
})();
