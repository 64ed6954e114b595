// The Lens kind of the customer's session page: join with the PIN, grant camera and microphone,
// answer the EULA, then stream to the technician over WebRTC. Protocol: src/protocol/customer-ws.ts;
// what it shares with screen sharing is in customer.js, loaded before it.
// Media is offered only after the EULA is accepted; the connection may come up while the customer
// waits, but its senders hold no track (so no packet leaves, not even silence or black frames)
// until the session is active (or collaborating), and again none while on hold or paused.
"use strict";
(function () {
  var c = window.rescueCustomer;
  var t = c.t;
  var $ = c.$;
  var show = c.show;
  var tools = window.rescueLensTools;

  /** Collaborating technicians' peer connections, by peer name (the lead's is `c.pc`). */
  var others = {};
  var pausedByCustomer = false;

  function mediaFlows() {
    return c.live() && !pausedByCustomer;
  }

  /**
   * Gives each sending transceiver of `conn` the page's track of its kind while media flows, and
   * none otherwise: a disabled track still sends silence (50 packets/s) and black frames.
   */
  function applySenders(conn) {
    if (!conn || !c.stream || conn.connectionState === "closed") return;
    var on = mediaFlows();
    conn.getTransceivers().forEach(function (tr) {
      if (tr.direction !== "sendonly" && tr.direction !== "sendrecv") return;
      var own = tr.receiver.track.kind === "video" ? c.stream.getVideoTracks()[0] : c.stream.getAudioTracks()[0];
      var want = on && own ? own : null;
      if (tr.sender.track !== want) tr.sender.replaceTrack(want).catch(function () { /* a closing connection */ });
    });
  }

  function applyTracks() {
    if (!c.stream) return;
    var on = mediaFlows();
    c.stream.getTracks().forEach(function (track) { track.enabled = on; });
    applySenders(c.pc);
    Object.keys(others).forEach(function (peer) { applySenders(others[peer].pc); });
    // What is being sent, for tests and for anyone inspecting the page.
    document.body.dataset.tracks = c.stream.getTracks().map(function (track) { return track.kind + ":" + track.enabled; }).sort().join(",");
    c.badge(c.status === "connecting" || c.status === "waiting", on);
  }

  function describe() {
    if (c.finished) return;
    if (c.interrupted()) c.setState("reconnecting", t.reconnecting);
    else if (c.status === "waiting") c.setState("waiting", t.waiting);
    else if (c.status === "on-hold") c.setState("on-hold", t.onHold);
    else if (c.live()) c.setState(pausedByCustomer ? "paused" : "live", pausedByCustomer ? t.paused : t.live);
    $("pause").textContent = pausedByCustomer ? t.resume : t.pause;
  }

  /**
   * Rear camera on phones where there is one, and the microphone; whatever the customer grants.
   * The camera's own formats only (resizeMode "none"): 1280x720 asked of a 720x1280 phone camera
   * gave a 720x720 crop. Asking 1280 for both sides picks, among the native formats, the one whose
   * long side is nearest 1280 (720p landscape or portrait) rather than a smaller one of the
   * requested shape; browsers without resizeMode keep the aspect of a native format anyway.
   */
  function getDevices() {
    var video = { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 1280 }, resizeMode: "none" };
    return navigator.mediaDevices.getUserMedia({ video: video, audio: true }).catch(function () {
      return navigator.mediaDevices.getUserMedia({ video: video }).catch(function () {
        return navigator.mediaDevices.getUserMedia({ audio: true });
      });
    });
  }

  function onJoined() {
    listen();
    show("eula-lens", true);
    show("pause", true);
    var mediaDevices = navigator.mediaDevices;
    if (!mediaDevices || !mediaDevices.getUserMedia) {
      c.send({ type: "devices", camera: false, microphone: false });
      return c.end("denied", t.devicesDenied);
    }
    askDevices();
  }

  /**
   * Asks for the devices; a refusal leaves the session open with a Try again button (a reload
   * would not bring the browser's question back, a change in its settings and a new ask does).
   */
  function askDevices() {
    show("devices-again", false);
    c.setState("devices", t.askDevices);
    getDevices().then(
      function (s) {
        c.stream = s;
        // Keep the resolution, give up frame rate first: the technician reads details (labels, LEDs,
        // cables). Without it Chrome started a 720x1280 camera at 540x960 or 360x640 even at 2 Mbit/s.
        s.getVideoTracks().forEach(function (track) { track.contentHint = "detail"; });
        var camera = s.getVideoTracks().length > 0;
        // The customer always sees their own camera; what is sent stays dark until the session is live.
        if (camera) {
          tools.camera(function () { return s.getVideoTracks()[0] || null; });
          $("preview").srcObject = new MediaStream([s.getVideoTracks()[0].clone()]);
          show("stage", true);
        }
        applyTracks();
        // Reloaded into a session the customer already accepted: straight back to streaming.
        if (c.resumed && c.startIfAccepted()) return;
        c.send({ type: "devices", camera: camera, microphone: s.getAudioTracks().length > 0 });
        c.setState("eula", t.eulaHeading);
        show("eula", true);
      },
      function () {
        // The technician sees the refusal in the session log; the customer may still allow them.
        if (!c.resumed) c.send({ type: "devices", camera: false, microphone: false });
        c.setState("denied", t.devicesDenied);
        show("devices-again", true);
      },
    );
  }

  /**
   * An offer to one technician: video sendonly, audio sendrecv (the technician talks back), ICE
   * trickled. Every technician in the session gets their own connection from this page; `peer`
   * names a collaborator, none is the lead.
   */
  function newPeer(peer) {
    var stream = c.stream;
    var conn = new RTCPeerConnection({ iceServers: c.iceServers, bundlePolicy: "max-bundle" });
    var video = stream.getVideoTracks()[0];
    var audio = stream.getAudioTracks()[0];
    if (video) conn.addTransceiver(video, { direction: "sendonly", streams: [stream] });
    if (audio) conn.addTransceiver(audio, { direction: "sendrecv", streams: [stream] });
    else conn.addTransceiver("audio", { direction: "recvonly" });
    // Negotiated with the tracks, sent only once the session is live.
    applySenders(conn);
    // Lens tools come from the lead alone: the channel is made here, by the offerer, so the offer negotiates it.
    if (!peer) tools.attach(conn.createDataChannel("lens", { ordered: true }));
    conn.onicecandidate = function (event) {
      if (event.candidate) c.sendSignal({ kind: "candidate", candidate: event.candidate.toJSON() }, peer);
    };
    c.offer(conn, peer);
    return conn;
  }

  /** The lead's connection; their voice plays on the page's audio element. */
  function startLead() {
    var conn = newPeer();
    conn.ontrack = function (event) {
      if (event.track.kind === "audio") $("remote-audio").srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    return conn;
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

  /** A collaborating technician joined (offer to them) or left; the lead's peer is the core's. */
  function onPeer(peer, event) {
    if (!c.stream || c.finished) return;
    if (event === "joined") startOther(peer);
    else dropPeer(peer);
  }

  /** The page's buttons, once the session is known to be a Lens one. */
  function listen() {
    $("retry-devices").addEventListener("click", askDevices);
    $("accept").addEventListener("click", function () {
      $("accept").disabled = true;
      $("decline").disabled = true;
      c.send({ type: "eula", accepted: true });
    });
    $("decline").addEventListener("click", function () {
      c.send({ type: "eula", accepted: false });
    });
    $("pause").addEventListener("click", function () {
      pausedByCustomer = !pausedByCustomer;
      c.send({ type: "media", state: pausedByCustomer ? "paused" : "resumed" });
      applyTracks();
      describe();
    });
  }

  c.register("lens", {
    joined: onJoined,
    startPeer: startLead,
    applyTracks: applyTracks,
    describe: describe,
    cleanup: function () {
      Object.keys(others).forEach(dropPeer);
      tools.reset();
    },
    peers: {
      conn: function (peer) { return others[peer] && others[peer].pc; },
      drop: dropPeer,
      event: onPeer,
    },
  });
})();
