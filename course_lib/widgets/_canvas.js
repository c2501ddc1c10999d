// The explorer's picture in the browser (see _canvas.py): one canvas that shows, in order, the figure's static part
// (a PNG matplotlib renders only when it changes), the changing artists drawn here from their operations (the
// "scene", in CSS pixels, see _scene.py), and the legends (a transparent PNG). Sized in CSS pixels; drawn at the
// device's pixel ratio so lines and text stay sharp.

function drawPath(ctx, op) {
  ctx.beginPath();
  for (const d of op.d) {
    if (d.length < 2) continue;
    ctx.moveTo(d[0], d[1]);
    for (let i = 2; i < d.length; i += 2) ctx.lineTo(d[i], d[i + 1]);
    if (op.close) ctx.closePath();
  }
  if (op.fill) { ctx.fillStyle = op.fill; ctx.fill(); }
  if (op.stroke && op.lw > 0) stroke(ctx, op);
}

function stroke(ctx, op) {
  ctx.strokeStyle = op.stroke;
  ctx.lineWidth = op.lw;
  ctx.setLineDash(op.dash || []);
  ctx.lineCap = op.cap || "butt";
  ctx.lineJoin = op.join || "round";
  ctx.stroke();
}

function drawMarkers(ctx, op) {
  const xy = op.xy, n = xy.length / 2;
  const pick = (c, i) => (Array.isArray(c) ? c[i] : c);
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1], s = op.scale ? op.scale[i] : 1;
    ctx.beginPath();
    for (const d of op.shape) {
      if (d.length < 2) continue;
      ctx.moveTo(x + s * d[0], y + s * d[1]);
      for (let j = 2; j < d.length; j += 2) ctx.lineTo(x + s * d[j], y + s * d[j + 1]);
      if (op.close) ctx.closePath();
    }
    const fill = pick(op.fill, i), edge = pick(op.stroke, i);
    if (fill) { ctx.fillStyle = fill; ctx.fill(); }
    if (edge && op.lw > 0) stroke(ctx, {stroke: edge, lw: op.lw, cap: "butt", join: "miter"});
  }
}

function drawText(ctx, op) {
  ctx.font = op.font;
  ctx.fillStyle = op.color || "black";
  ctx.textAlign = op.align;
  ctx.textBaseline = "alphabetic";
  for (const [s, x, y] of op.lines) {
    ctx.save();
    ctx.translate(x, y);
    if (op.rot) ctx.rotate(-op.rot);
    ctx.fillText(s, 0, 0);
    ctx.restore();
  }
}

function drawImage(ctx, op) {
  const buf = op.rgba;  // a DataView (a binary buffer of the widget message)
  const pixels = new Uint8ClampedArray(buf.buffer, buf.byteOffset, buf.byteLength);
  const off = document.createElement("canvas");
  off.width = op.w;
  off.height = op.h;
  off.getContext("2d").putImageData(new ImageData(pixels, op.w, op.h), 0, 0);
  ctx.imageSmoothingEnabled = !!op.smooth;
  ctx.drawImage(off, op.dst[0], op.dst[1], op.dst[2], op.dst[3]);
}

const DRAW = {path: drawPath, markers: drawMarkers, text: drawText, image: drawImage};

function drawScene(ctx, ops) {
  for (const op of ops || []) {
    ctx.save();
    if (op.clip) {
      ctx.beginPath();
      ctx.rect(op.clip[0], op.clip[1], op.clip[2], op.clip[3]);
      ctx.clip();
    }
    (DRAW[op.k] || (() => {}))(ctx, op);
    ctx.restore();
  }
}

function render({ model, el }) {
  el.classList.add("course-live-canvas");
  const canvas = document.createElement("canvas");
  canvas.style.display = "block";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  const layers = {background: null, foreground: null};
  const wanted = {background: 0, foreground: 0};
  let pending = 0;

  const load = key => {
    const seq = ++wanted[key];
    const data = model.get(key);
    if (!data || !data.byteLength) { layers[key] = null; return; }
    pending++;
    createImageBitmap(new Blob([data], {type: "image/png"}))
      .then(bitmap => { if (seq === wanted[key]) layers[key] = bitmap; })
      .catch(() => {})
      .finally(() => { pending--; paint(); });
  };

  const paint = () => {
    if (pending) return;  // the new picture is still being decoded: paint everything together once it is
    const w = model.get("width"), h = model.get("height"), ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (layers.background) ctx.drawImage(layers.background, 0, 0, w, h);
    drawScene(ctx, model.get("scene"));
    if (layers.foreground) ctx.drawImage(layers.foreground, 0, 0, w, h);
  };

  // A message from the kernel sets its values one by one ("change:<name>" each), then fires one "change": a new
  // picture and the new scene of one draw are shown together.
  const onBackground = () => load("background"), onForeground = () => load("foreground");
  model.on("change:background", onBackground);
  model.on("change:foreground", onForeground);
  model.on("change", paint);
  const ratio = window.devicePixelRatio || 1;
  if (model.get("pixel_ratio") !== ratio) {  // the kernel renders the pictures at this density
    model.set("pixel_ratio", ratio);
    model.save_changes();
  }
  load("background");
  load("foreground");
  paint();

  // Clicks reach the figure's matplotlib callbacks (e.g. the optimizer race's start point).
  const onDown = e => {
    const r = canvas.getBoundingClientRect();
    model.send({event: "button_press", x: e.clientX - r.left, y: e.clientY - r.top, button: e.button + 1});
  };
  canvas.addEventListener("mousedown", onDown);
  return () => {
    model.off("change:background", onBackground);
    model.off("change:foreground", onForeground);
    model.off("change", paint);
    canvas.removeEventListener("mousedown", onDown);
  };
}

export default { render };
