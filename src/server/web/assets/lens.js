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

  /** The offer: video sendonly, audio sendrecv (the technician talks back), ICE trickled. */
  function startPeer() {
    pc = new RTCPeerConnection({ iceServers: iceServers, bundlePolicy: "max-bundle" });
    var video = stream.getVideoTracks()[0];
    var audio = stream.getAudioTracks()[0];
    if (video) pc.addTransceiver(video, { direction: "sendonly", streams: [stream] });
    if (audio) pc.addTransceiver(audio, { direction: "sendrecv", streams: [stream] });
    else pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = function (event) {
      if (event.track.kind === "audio") $("remote-audio").srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onicecandidate = function (event) {
      if (event.candidate) send({ type: "signal", signal: { kind: "candidate", candidate: event.candidate.toJSON() } });
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
    if (pc && pc.localDescription) send({ type: "signal", signal: { kind: "offer", sdp: pc.localDescription.sdp } });
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
