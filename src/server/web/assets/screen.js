// The screen-sharing kind of the customer's session page, for desktop sessions (view mode): join
// with the PIN, answer the EULA, pick a screen in the browser's picker, then stream it to the
// technician over WebRTC. Protocol: src/protocol/customer-ws.ts; what it shares with Lens is in
// customer.js, loaded before it. The picker opens only from the customer's click on accept; the screen is
// offered after that and carries picture only while the session is active.
// Stopping the share (the page's button or the browser's own) ends the stream for good and tells
// the technician, who sees it as a status; chat goes on.
"use strict";
(function () {
  var c = window.rescueCustomer;
  var t = c.t;
  var $ = c.$;
  var show = c.show;

  // Screen content: sharp text first, so resolution is kept and the frame rate gives way.
  var CAPTURE = { video: { width: { max: 1920 }, height: { max: 1080 }, frameRate: { ideal: 15, max: 15 } }, audio: false };
  var MAX_FPS = 15;
  var MAX_BITRATE = 2500000;

  /** Candidates held until the offer is out; null once it is. */
  var early = [];
  var stopped = false;

  /** Picture goes out only while the session is live; the banner says so whenever it does. */
  function applyTracks() {
    var on = !!c.stream && !stopped && c.live();
    if (c.stream) c.stream.getTracks().forEach(function (track) { track.enabled = on; });
    document.body.dataset.sharing = on ? "yes" : "no";
    show("viewing", on && !c.finished);
    c.badge(!c.stream || stopped || c.status === "connecting" || c.status === "waiting", on);
  }

  function describe() {
    if (c.finished) return;
    if (stopped) c.setState("stopped", t.screenStopped);
    else if (c.interrupted()) c.setState("reconnecting", t.reconnecting);
    else if (c.status === "waiting") c.setState("waiting", t.screenWaiting);
    else if (c.status === "on-hold") c.setState("on-hold", t.screenOnHold);
    else if (c.live()) c.setState("live", t.viewing);
  }

  /** The customer stopped sharing: the stream ends for good, the technician is told, chat stays. */
  function stopSharing() {
    if (stopped || c.finished || !c.stream) return;
    stopped = true;
    c.stopTracks();
    show("stage", false);
    c.send({ type: "screen-share", state: "stopped" });
    applyTracks();
    describe();
  }

  function onJoined() {
    listen();
    show("eula-screen", true);
    $("accept").textContent = t.acceptShare;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      c.send({ type: "devices", camera: false, microphone: false });
      return c.end("denied", t.screenUnsupported);
    }
    c.setState("eula", t.screenHeading);
    show("eula", true);
  }

  /** From the click on accept: the browser's picker needs the customer's gesture. */
  function pickScreen() {
    $("accept").disabled = true;
    c.setState("picking", t.askScreen);
    navigator.mediaDevices.getDisplayMedia(CAPTURE).then(
      function (s) {
        c.stream = s;
        var video = s.getVideoTracks()[0];
        // Tells the encoder this is text and lines: keep detail rather than motion.
        if ("contentHint" in video) video.contentHint = "detail";
        var settings = video.getSettings ? video.getSettings() : {};
        document.body.dataset.capture = settings.width + "x" + settings.height + "@" + settings.frameRate + " " + video.contentHint;
        video.addEventListener("ended", stopSharing);
        $("preview").srcObject = new MediaStream([video.clone()]);
        show("stage", true);
        applyTracks();
        // Reloaded into a session the customer already accepted: straight back to sharing.
        if (c.resumed && c.startIfAccepted()) return;
        // The protocol's order: what was granted (the screen stands for the camera), then the EULA.
        c.send({ type: "devices", camera: true, microphone: false });
        c.send({ type: "eula", accepted: true });
      },
      function () {
        $("accept").disabled = false;
        c.setState("retry", t.screenDenied);
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
    var conn = new RTCPeerConnection({ iceServers: c.iceServers, bundlePolicy: "max-bundle" });
    var video = c.stream.getVideoTracks()[0];
    var transceiver = conn.addTransceiver(video, {
      direction: "sendonly",
      streams: [c.stream],
      sendEncodings: [{ maxFramerate: MAX_FPS, maxBitrate: MAX_BITRATE }],
    });
    tuneSender(transceiver.sender);
    // Candidates found while the offer is being made would reach the technician before it: hold them.
    conn.onicecandidate = function (event) {
      if (!event.candidate) return;
      var signal = { kind: "candidate", candidate: event.candidate.toJSON() };
      if (early) early.push(signal);
      else c.sendSignal(signal);
    };
    c.offer(conn);
    return conn;
  }

  /** The offer is out: the candidates held for it follow. */
  function offered() {
    if (early) early.forEach(function (signal) { c.sendSignal(signal); });
    early = null;
  }

  /** The page's buttons, once the session is known to be a desktop one. */
  function listen() {
    $("accept").addEventListener("click", pickScreen);
    $("decline").addEventListener("click", function () {
      c.send({ type: "devices", camera: false, microphone: false });
      c.send({ type: "eula", accepted: false });
    });
    $("stop").addEventListener("click", stopSharing);
  }

  c.register("desktop", {
    joined: onJoined,
    startPeer: startPeer,
    canStart: function () { return !!c.stream && !stopped; },
    offered: offered,
    applyTracks: applyTracks,
    describe: describe,
    cleanup: function () { show("viewing", false); },
  });
})();
