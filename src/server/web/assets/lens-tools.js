// Lens tools on the customer's page: the technician's drawings over the customer's own camera
// preview, the frozen picture, and the camera's zoom and light. Commands come on the data channel
// "lens" of the lead's connection (protocol: src/protocol/lens.ts, LensCommand and LensReply).
// The channel is not trusted: every message is checked here against the same rules as the
// schema (the page cannot load zod), and anything else is dropped.
"use strict";
window.rescueLensTools = (function () {
  var COLORS = { red: "#ff2020", yellow: "#ffd400", green: "#18c048", blue: "#2f6bff", white: "#ffffff", black: "#000000" };
  var MAX_MESSAGE = 65536;
  var MAX_DRAWINGS = 500;

  var $ = function (id) { return document.getElementById(id); };
  /** Drawings in the order they came; a pointer replaces the previous pointer. */
  var drawings = [];
  var frozen = false;
  var getTrack = function () { return null; };

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function onlyKeys(o, keys) {
    return Object.keys(o).every(function (k) { return keys.indexOf(k) >= 0; });
  }
  function coord(v) { return typeof v === "number" && isFinite(v) && v >= 0 && v <= 1; }
  function requestId(v) { return typeof v === "string" && /^[A-Za-z0-9_-]{1,40}$/.test(v); }
  function label(v) { return typeof v === "string" && v.length >= 1 && v.length <= 200 && !/[\u0000-\u001f\u007f-\u009f]/.test(v); }

  /** LensShape: true when `s` is one, exactly. */
  function validShape(s) {
    if (!isObject(s)) return false;
    switch (s.kind) {
      case "pointer":
        return onlyKeys(s, ["kind", "x", "y"]) && coord(s.x) && coord(s.y);
      case "arrow":
        return onlyKeys(s, ["kind", "x", "y", "x2", "y2"]) && coord(s.x) && coord(s.y) && coord(s.x2) && coord(s.y2);
      case "circle":
        return onlyKeys(s, ["kind", "x", "y", "r"]) && coord(s.x) && coord(s.y) && coord(s.r) && s.r > 0;
      case "line":
        return onlyKeys(s, ["kind", "points"]) && Array.isArray(s.points) && s.points.length >= 2 && s.points.length <= 500 &&
          s.points.every(function (p) { return isObject(p) && onlyKeys(p, ["x", "y"]) && coord(p.x) && coord(p.y); });
      case "text":
        return onlyKeys(s, ["kind", "x", "y", "text"]) && coord(s.x) && coord(s.y) && label(s.text);
      default:
        return false;
    }
  }

  /** LensCommand: the parsed command, or null. */
  function parse(data) {
    if (typeof data !== "string" || data.length > MAX_MESSAGE) return null;
    var m;
    try {
      m = JSON.parse(data);
    } catch (e) {
      return null;
    }
    if (!isObject(m)) return null;
    switch (m.op) {
      case "draw":
        return onlyKeys(m, ["op", "shape", "color"]) && validShape(m.shape) && Object.prototype.hasOwnProperty.call(COLORS, m.color) ? m : null;
      case "erase":
        return onlyKeys(m, ["op", "all"]) && typeof m.all === "boolean" ? m : null;
      case "freeze":
      case "unfreeze":
        return onlyKeys(m, ["op"]) ? m : null;
      case "zoom":
        return onlyKeys(m, ["op", "id", "level"]) && requestId(m.id) && typeof m.level === "number" && isFinite(m.level) && m.level >= 0.1 && m.level <= 100 ? m : null;
      case "torch":
        return onlyKeys(m, ["op", "id", "on"]) && requestId(m.id) && typeof m.on === "boolean" ? m : null;
      default:
        return null;
    }
  }

  /**
   * Where the video frame shows inside the preview element (CSS pixels, relative to it), with
   * its object-fit (contain: letterboxed; cover: cropped; fill: stretched).
   */
  function contentRect(video) {
    var bw = video.clientWidth;
    var bh = video.clientHeight;
    var vw = video.videoWidth;
    var vh = video.videoHeight;
    if (!vw || !vh || !bw || !bh) return { x: 0, y: 0, w: bw, h: bh };
    var fit = getComputedStyle(video).objectFit;
    if (fit === "fill") return { x: 0, y: 0, w: bw, h: bh };
    var scale = fit === "cover" ? Math.max(bw / vw, bh / vh) : Math.min(bw / vw, bh / vh);
    var w = vw * scale;
    var h = vh * scale;
    return { x: (bw - w) / 2, y: (bh - h) / 2, w: w, h: h };
  }

  function drawArrow(g, x1, y1, x2, y2, width) {
    var angle = Math.atan2(y2 - y1, x2 - x1);
    var head = Math.max(10, width * 4);
    g.beginPath();
    g.moveTo(x1, y1);
    g.lineTo(x2 - Math.cos(angle) * head * 0.8, y2 - Math.sin(angle) * head * 0.8);
    g.stroke();
    g.beginPath();
    g.moveTo(x2, y2);
    g.lineTo(x2 - head * Math.cos(angle - Math.PI / 7), y2 - head * Math.sin(angle - Math.PI / 7));
    g.lineTo(x2 - head * Math.cos(angle + Math.PI / 7), y2 - head * Math.sin(angle + Math.PI / 7));
    g.closePath();
    g.fill();
  }

  /** Draws every drawing over the preview, scaled to where the frame shows. */
  function render() {
    var video = $("preview");
    var canvas = $("overlay");
    if (!video || !canvas) return;
    var ratio = window.devicePixelRatio || 1;
    var bw = video.clientWidth;
    var bh = video.clientHeight;
    canvas.style.width = bw + "px";
    canvas.style.height = bh + "px";
    canvas.width = Math.round(bw * ratio);
    canvas.height = Math.round(bh * ratio);
    var g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, bw, bh);
    var r = contentRect(video);
    var X = function (v) { return r.x + v * r.w; };
    var Y = function (v) { return r.y + v * r.h; };
    var width = Math.max(3, r.w * 0.008);
    g.lineCap = "round";
    g.lineJoin = "round";
    drawings.forEach(function (d) {
      var s = d.shape;
      g.strokeStyle = COLORS[d.color];
      g.fillStyle = COLORS[d.color];
      g.lineWidth = width;
      if (s.kind === "arrow") drawArrow(g, X(s.x), Y(s.y), X(s.x2), Y(s.y2), width);
      else if (s.kind === "circle") {
        g.beginPath();
        g.arc(X(s.x), Y(s.y), s.r * r.w, 0, 2 * Math.PI);
        g.stroke();
      } else if (s.kind === "pointer") {
        g.beginPath();
        g.arc(X(s.x), Y(s.y), width * 2, 0, 2 * Math.PI);
        g.fill();
        g.beginPath();
        g.arc(X(s.x), Y(s.y), width * 5, 0, 2 * Math.PI);
        g.stroke();
      } else if (s.kind === "line") {
        g.beginPath();
        g.moveTo(X(s.points[0].x), Y(s.points[0].y));
        for (var i = 1; i < s.points.length; i++) g.lineTo(X(s.points[i].x), Y(s.points[i].y));
        g.stroke();
      } else if (s.kind === "text") {
        g.font = "600 " + Math.max(12, Math.round(r.h * 0.05)) + "px system-ui, sans-serif";
        g.textBaseline = "top";
        g.lineWidth = Math.max(2, width * 0.8);
        g.strokeStyle = d.color === "black" ? "#ffffff" : "#000000";
        g.strokeText(s.text, X(s.x), Y(s.y));
        g.fillText(s.text, X(s.x), Y(s.y));
      }
    });
    // For tests and for anyone inspecting the page.
    document.body.dataset.drawings = String(drawings.length);
  }

  /** Holds the preview's current picture on the still canvas, laid out as the video is. */
  function freeze() {
    var video = $("preview");
    var still = $("still");
    if (!video.videoWidth) return;
    still.width = video.videoWidth;
    still.height = video.videoHeight;
    still.getContext("2d").drawImage(video, 0, 0);
    still.hidden = false;
    frozen = true;
    document.body.dataset.frozen = "true";
  }

  function unfreeze() {
    $("still").hidden = true;
    frozen = false;
    document.body.dataset.frozen = "false";
  }

  /**
   * Applies a camera constraint where the track says it can (getCapabilities) and answers
   * truthfully: applied, or why not ("unsupported", out of range, the browser's error).
   */
  function camera(channel, m) {
    var reply = function (applied, reason) {
      var out = { op: "reply", id: m.id, applied: applied };
      if (reason) out.reason = String(reason).slice(0, 300);
      if (channel.readyState === "open") channel.send(JSON.stringify(out));
    };
    var track = getTrack();
    if (!track) return reply(false, "no camera");
    var caps = typeof track.getCapabilities === "function" ? track.getCapabilities() : {};
    var constraint = {};
    if (m.op === "zoom") {
      if (!caps.zoom) return reply(false, "unsupported: this camera has no zoom");
      if (m.level < caps.zoom.min || m.level > caps.zoom.max) return reply(false, "out of range: this camera zooms from " + caps.zoom.min + " to " + caps.zoom.max);
      constraint.zoom = m.level;
    } else {
      if (!caps.torch) return reply(false, "unsupported: this camera has no light");
      constraint.torch = m.on;
    }
    track.applyConstraints({ advanced: [constraint] }).then(
      function () {
        var settings = track.getSettings();
        var key = m.op === "zoom" ? "zoom" : "torch";
        reply(settings[key] === constraint[key], settings[key] === constraint[key] ? undefined : "the camera did not take it");
      },
      function (e) { reply(false, (e && e.message) || "refused"); },
    );
  }

  function onCommand(channel, m) {
    if (m.op === "draw") {
      if (m.shape.kind === "pointer") drawings = drawings.filter(function (d) { return d.shape.kind !== "pointer"; });
      drawings.push({ shape: m.shape, color: m.color });
      if (drawings.length > MAX_DRAWINGS) drawings.shift();
    } else if (m.op === "erase") {
      if (m.all) drawings = [];
      else drawings.pop();
    } else if (m.op === "freeze") freeze();
    else if (m.op === "unfreeze") unfreeze();
    else return camera(channel, m);
    render();
  }

  window.addEventListener("resize", render);
  document.addEventListener("DOMContentLoaded", function () {
    var video = $("preview");
    if (video) {
      video.addEventListener("resize", render);
      video.addEventListener("loadedmetadata", render);
    }
  });

  return {
    /** The lead's data channel: its commands are checked, then drawn or applied. */
    attach: function (channel) {
      // For tests and for anyone inspecting the page.
      channel.onopen = function () { document.body.dataset.lens = "open"; };
      channel.onclose = function () { document.body.dataset.lens = "closed"; };
      channel.onmessage = function (event) {
        var m = parse(event.data);
        if (m) onCommand(channel, m);
      };
    },
    /** Where the camera track comes from (the stream that is sent), for zoom and torch. */
    camera: function (get) { getTrack = get; },
    /** Drops every drawing and the still (the session ended). */
    reset: function () {
      drawings = [];
      if (frozen) unfreeze();
      render();
    },
    render: render,
  };
})();
