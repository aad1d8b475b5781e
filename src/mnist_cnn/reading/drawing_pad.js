// The drawing pad's browser side (drawing_pad.DrawingPad, an anywidget ES module): draws strokes on a
// canvas, sends the pad as a PNG at the end of each stroke, and shows the traits Python sets in
// return. The sizes and the stroke width are the widget's traits, set in Python.

const SHOWN = ["digit", "sure", "message", "probabilities", "seen"];

function render({ model, el }) {
  const size = model.get("pad_size"), lineWidth = model.get("line_width"), viewSize = model.get("view_size");
  el.classList.add("mnist-pad");
  el.innerHTML = `
    <div class="mnist-pad-drawing">
      <canvas class="mnist-pad-canvas" width="${size}" height="${size}"
        aria-label="Drawing pad: draw one digit"></canvas>
      <button type="button" class="jupyter-button mnist-pad-clear">Clear</button>
    </div>
    <div class="mnist-pad-reading">
      <div class="mnist-pad-digit"></div>
      <div class="mnist-pad-message" role="status"></div>
      <div class="mnist-pad-bars"></div>
      <figure class="mnist-pad-view">
        <canvas width="${viewSize}" height="${viewSize}"></canvas>
        <figcaption>what the network sees, ${viewSize} &times; ${viewSize}</figcaption>
      </figure>
    </div>`;
  const pad = el.querySelector(".mnist-pad-canvas");
  const context = pad.getContext("2d");
  const view = el.querySelector(".mnist-pad-view canvas").getContext("2d");
  let last = null;  // the stroke's latest point while drawing

  const blank = () => {
    context.fillStyle = "black";
    context.fillRect(0, 0, size, size);
  };
  const at = (event) => {
    const box = pad.getBoundingClientRect();
    return [((event.clientX - box.left) * size) / box.width, ((event.clientY - box.top) * size) / box.height];
  };
  const send = () =>
    pad.toBlob(async (png) => {
      model.set("image", new DataView(await png.arrayBuffer()));
      model.save_changes();
    }, "image/png");

  pad.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);  // the stroke goes on, clipped, if it leaves the pad
    last = at(event);
    context.fillStyle = "white";
    context.beginPath();
    context.arc(last[0], last[1], lineWidth / 2, 0, 2 * Math.PI);
    context.fill();
  });
  pad.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const points = event.getCoalescedEvents?.() ?? [];
    context.strokeStyle = "white";
    context.lineWidth = lineWidth;
    context.lineCap = context.lineJoin = "round";
    context.beginPath();
    context.moveTo(last[0], last[1]);
    for (const point of points.length ? points : [event]) {
      last = at(point);
      context.lineTo(last[0], last[1]);
    }
    context.stroke();
  });
  const end = () => {
    if (last === null) return;
    last = null;
    send();
  };
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) pad.addEventListener(name, end);
  el.querySelector(".mnist-pad-clear").addEventListener("click", () => {
    blank();
    model.set("image", new DataView(new ArrayBuffer(0)));
    model.save_changes();
  });

  const show = () => {
    const digit = el.querySelector(".mnist-pad-digit");
    digit.textContent = model.get("digit");
    digit.classList.toggle("mnist-pad-unsure", !model.get("sure"));
    el.querySelector(".mnist-pad-message").textContent = model.get("message");
    const probabilities = model.get("probabilities");
    el.querySelector(".mnist-pad-bars").replaceChildren(
      ...probabilities.map((probability, index) => {
        const row = document.createElement("div");
        row.className = "mnist-pad-bar" + (String(index) === model.get("digit") ? " mnist-pad-top" : "");
        row.innerHTML = `<span>${index}</span><span><i style="width: ${100 * probability}%"></i></span>
          <span>${Math.round(100 * probability)}%</span>`;
        return row;
      }),
    );
    const seen = model.get("seen"), pixels = view.createImageData(viewSize, viewSize);
    seen.forEach((value, index) => pixels.data.set([value, value, value, 255], 4 * index));
    if (!seen.length) for (let index = 3; index < pixels.data.length; index += 4) pixels.data[index] = 255;
    view.putImageData(pixels, 0, 0);
  };
  blank();
  show();
  for (const name of SHOWN) model.on(`change:${name}`, show);
  return () => SHOWN.forEach((name) => model.off(`change:${name}`, show));
}

export default { render };
