// The customer's screen-sharing page of a desktop session (view mode): join with the PIN, answer
// the EULA, pick a screen in the browser's picker, then stream it to the technician over WebRTC.
// Protocol: src/protocol/customer-ws.ts. The picker opens only from the customer's click on
// accept; the screen is offered after that and carries picture only while the session is active.
// Stopping the share (the page's button or the browser's own) ends the stream for good and tells
// the technician, who sees it as a status; chat goes on.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("screen-data").textContent);
  var t = data.strings;
  var $ = function (id) { return document.getElementById(id); };
  var show = function (id, on) { $(id).hidden = !on; };

  // Screen content: sharp text first, so resolution is kept and the frame rate gives way.
  var CAPTURE = { video: { width: { max: 1920 }, height: { max: 1080 }, frameRate: { ideal: 15, max: 15 } }, audio: false };
  var MAX_FPS = 15;
  var MAX_BITRATE = 2500000;

  var ws = null;
  var pc = null;
  var stream = null;
  var iceServers = [];
  var status = "connecting";
  var answered = false;
  /** Candidates held until the offer is out; null once it is. */
  var early = [];
  var stopped = false;
  var finished = false;

  /** The page's state for people (the status line) and for tests (data-state on body). */
  function setState(state, text) {
    document.body.dataset.state = state;
    $("status").textContent = text;
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function live() {
    return status === "active" || status === "collaborating";
  }

  /** Picture goes out only while the session is live; the banner says so whenever it does. */
  function applyTracks() {
    var on = !!stream && !stopped && live();
    if (stream) stream.getTracks().forEach(function (track) { track.enabled = on; });
    document.body.dataset.sharing = on ? "yes" : "no";
    show("viewing", on && !finished);
    var badge = $("badge");
    badge.hidden = !stream || stopped || status === "connecting" || status === "waiting";
    badge.textContent = on ? "LIVE" : "II";
    badge.className = on ? "badge live" : "badge";
  }

  function describe() {
    if (finished) return;
    if (stopped) setState("stopped", t.screenStopped);
    else if (status === "waiting") setState("waiting", t.screenWaiting);
    else if (status === "on-hold") setState("on-hold", t.screenOnHold);
    else if (live()) setState("live", t.viewing);
  }

  function stopTracks() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    var preview = $("preview").srcObject;
    if (preview) preview.getTracks().forEach(function (track) { track.stop(); });
  }

  function end(state, text) {
    if (finished) return;
    finished = true;
    setState(state, text);
    if (pc) pc.close();
    stopTracks();
    show("viewing", false);
    show("controls", false);
    show("recorded", false);
    show("chat-form", false);
    show("eula", false);
    show("stage", false);
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000, "done");
  }

  /** The customer stopped sharing: the stream ends for good, the technician is told, chat stays. */
  function stopSharing() {
    if (stopped || finished || !stream) return;
    stopped = true;
    stopTracks();
    show("stage", false);
    send({ type: "screen-share", state: "stopped" });
    applyTracks();
    describe();
  }

  function onJoined(msg) {
    iceServers = msg.iceServers || [];
    $("eula-text").textContent = msg.eula;
    show("recorded", msg.recorded);
    if (msg.sessionType !== "desktop") return end("error", t.badPin);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      send({ type: "devices", camera: false, microphone: false });
      return end("denied", t.screenUnsupported);
    }
    setState("eula", t.screenHeading);
    show("eula", true);
  }

  /** From the click on accept: the browser's picker needs the customer's gesture. */
  function pickScreen() {
    $("accept").disabled = true;
    setState("picking", t.askScreen);
    navigator.mediaDevices.getDisplayMedia(CAPTURE).then(
      function (s) {
        stream = s;
        var video = s.getVideoTracks()[0];
        // Tells the encoder this is text and lines: keep detail rather than motion.
        if ("contentHint" in video) video.contentHint = "detail";
        var settings = video.getSettings ? video.getSettings() : {};
        document.body.dataset.capture = settings.width + "x" + settings.height + "@" + settings.frameRate + " " + video.contentHint;
        video.addEventListener("ended", stopSharing);
        $("preview").srcObject = new MediaStream([video.clone()]);
        show("stage", true);
        applyTracks();
        // The protocol's order: what was granted (the screen stands for the camera), then the EULA.
        send({ type: "devices", camera: true, microphone: false });
        send({ type: "eula", accepted: true });
      },
      function () {
        $("accept").disabled = false;
        setState("retry", t.screenDenied);
      },
    );
  }

  /** Resolution and frame-rate limits on the sender: text stays sharp, motion gives way. */
  function tuneSender(sender) {
    if (!sender.getParameters || !sender.setParameters) return;
    var params = sender.getParameters();
    params.degradationPreference = "maintain-resolution";
    (params.encodings || []).forEach(function (encoding) {
      encoding.maxFramerate = MAX_FPS;
      encoding.maxBitrate = MAX_BITRATE;
    });
    // What the sender runs with, for tests and for anyone inspecting the page.
    var report = function () {
      var p = sender.getParameters();
      var fps = (p.encodings || []).map(function (e) { return e.maxFramerate; }).join(",");
      document.body.dataset.sender = (p.degradationPreference || "balanced") + " " + fps + "fps";
    };
    sender.setParameters(params).then(report, report);
  }

  /** The offer: the screen as video, sendonly, ICE trickled. */
  function startPeer() {
    pc = new RTCPeerConnection({ iceServers: iceServers, bundlePolicy: "max-bundle" });
    var video = stream.getVideoTracks()[0];
    var transceiver = pc.addTransceiver(video, {
      direction: "sendonly",
      streams: [stream],
      sendEncodings: [{ maxFramerate: MAX_FPS, maxBitrate: MAX_BITRATE }],
    });
    tuneSender(transceiver.sender);
    // Candidates found while the offer is being made would reach the technician before it: hold them.
    pc.onicecandidate = function (event) {
      if (!event.candidate) return;
      var signal = { type: "signal", signal: { kind: "candidate", candidate: event.candidate.toJSON() } };
      if (early) early.push(signal);
      else send(signal);
    };
    pc.onconnectionstatechange = function () {
      document.body.dataset.peer = pc.connectionState;
    };
    pc.createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer); })
      .then(sendOffer)
      .catch(function () { end("error", t.lost); });
  }

  function sendOffer() {
    if (!pc || !pc.localDescription) return;
    send({ type: "signal", signal: { kind: "offer", sdp: pc.localDescription.sdp } });
    if (early) early.forEach(send);
    early = null;
  }

  function onSignal(signal) {
    if (!pc) return;
    if (signal.kind === "answer") {
      // Only the answer to the offer out there counts; a repeat would tear the connection down.
      if (pc.signalingState !== "have-local-offer") return;
      answered = true;
      pc.setRemoteDescription({ type: "answer", sdp: signal.sdp }).catch(function () { end("error", t.lost); });
    } else if (signal.kind === "candidate") {
      pc.addIceCandidate(signal.candidate).catch(function () { /* a late or foreign candidate is harmless */ });
    }
  }

  function onStatus(next) {
    var before = status;
    status = next;
    if (next === "declined") return end("declined", t.declined);
    if (next === "closed" || next === "aborted" || next === "timed-out") return end("ended", t.ended);
    if (next === "waiting" && !pc && stream && !stopped) {
      show("eula", false);
      show("controls", true);
      show("chat", true);
      startPeer();
    }
    // A technician whose daemon was not listening when the offer went out gets it again on start.
    if (live() && before === "waiting" && !answered) sendOffer();
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
      else if (msg.type === "signal") onSignal(msg.signal);
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

  $("accept").addEventListener("click", pickScreen);
  $("decline").addEventListener("click", function () {
    send({ type: "devices", camera: false, microphone: false });
    send({ type: "eula", accepted: false });
  });
  $("stop").addEventListener("click", stopSharing);
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
