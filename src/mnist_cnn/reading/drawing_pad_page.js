// The drawing pad in a static page (drawing_pad.page_html): the widget's Python side, in the browser.
// `mount(el, { settings, network })` renders drawing_pad.js's pad with a stand-in for the widget's
// model: at the end of each stroke it reads the pad's PNG as drawing_pad.read_drawing does in
// Python (prepare_drawing, then the network) and sets the same answers. The preparation repeats
// OpenCV's resize (INTER_AREA) and NumPy's float32 steps; the network runs the Keras model's layers
// (browser_network.py) with its weights, float32 or float16 in the page.

// Python's round(): halves to the even neighbour, as OpenCV's cvRound too.
function roundHalfEven(value) {
  const floor = Math.floor(value), rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

// Pillow's convert("L") of RGBA pixels: ITU-R 601-2 luma, in its fixed-point arithmetic.
function luminance(rgba, count) {
  const gray = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const [red, green, blue] = rgba.subarray(4 * index, 4 * index + 3);
    gray[index] = (red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16;
  }
  return gray;
}

// OpenCV's area weights along one axis (computeResizeAreaTab): [destination, source, weight] triples.
function areaTable(sourceSize, size, scale) {
  const table = [];
  for (let destination = 0; destination < size; destination++) {
    const start = destination * scale, end = start + scale, cell = Math.min(scale, sourceSize - start);
    let first = Math.ceil(start), last = Math.min(Math.floor(end), sourceSize - 1);
    first = Math.min(first, last);
    if (first - start > 1e-3) table.push([destination, first - 1, Math.fround((first - start) / cell)]);
    for (let source = first; source < last; source++) table.push([destination, source, Math.fround(1 / cell)]);
    if (end - last > 1e-3) table.push([destination, last, Math.fround(Math.min(end - last, 1, cell) / cell)]);
  }
  return table;
}

// cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA) for a shrinking uint8 image.
function resizeArea(image, sourceWidth, sourceHeight, width, height) {
  const scaleX = 1 / (width / sourceWidth), scaleY = 1 / (height / sourceHeight);
  const output = new Uint8Array(width * height);
  const wholeX = Math.round(scaleX), wholeY = Math.round(scaleY);
  if (Math.abs(scaleX - wholeX) < Number.EPSILON && Math.abs(scaleY - wholeY) < Number.EPSILON) {
    // Whole scales: OpenCV's fast path, the mean of each block (2 x 2 blocks rounded half up).
    const area = wholeX * wholeY, inverse = Math.fround(1 / area);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let row = 0; row < wholeY; row++) {
          for (let column = 0; column < wholeX; column++) {
            sum += image[(y * wholeY + row) * sourceWidth + x * wholeX + column];
          }
        }
        output[y * width + x] = wholeX === 2 && wholeY === 2 ? (sum + 2) >> 2 : roundHalfEven(Math.fround(sum * inverse));
      }
    }
    return output;
  }
  const across = areaTable(sourceWidth, width, scaleX), down = areaTable(sourceHeight, height, scaleY);
  const row = new Float32Array(width), sums = new Float32Array(width);
  const write = (y) => sums.forEach((sum, x) => (output[y * width + x] = Math.min(255, Math.max(0, roundHalfEven(sum)))));
  let current = down[0][0];
  for (const [y, sourceY, beta] of down) {
    row.fill(0);
    for (const [x, sourceX, alpha] of across) row[x] += Math.fround(image[sourceY * sourceWidth + sourceX] * alpha);
    if (y !== current) {
      write(current);
      sums.fill(0);
      current = y;
    }
    for (let x = 0; x < width; x++) sums[x] += Math.fround(beta * row[x]);
  }
  write(current);
  return output;
}

// cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR) for an enlarged uint8 image: OpenCV's
// mapping of pixel centres and its 11-bit weights (in a sliver of ink at the pad's edge, under 20 pixels).
function resizeLinear(image, sourceWidth, sourceHeight, width, height) {
  const weights = (sourceSize, size) =>
    Array.from({ length: size }, (_, destination) => {
      let position = Math.fround((destination + 0.5) * (1 / (size / sourceSize)) - 0.5), start = Math.floor(position);
      position -= start;
      if (start < 0) [start, position] = [0, 0];
      if (start >= sourceSize - 1) [start, position] = [sourceSize - 1, 0];
      const far = roundHalfEven(position * 2048);
      return [start, Math.min(start + 1, sourceSize - 1), 2048 - far, far];
    });
  const across = weights(sourceWidth, width), down = weights(sourceHeight, height), output = new Uint8Array(width * height);
  down.forEach(([top, bottom, upper, lower], y) => {
    across.forEach(([left, right, near, far], x) => {
      const row = (sourceY) => image[sourceY * sourceWidth + left] * near + image[sourceY * sourceWidth + right] * far;
      output[y * width + x] = (row(top) * upper + row(bottom) * lower + (1 << 21)) >> 22;
    });
  });
  return output;
}

// preparation.to_mnist: fitted into the digit box keeping its shape, centred by mass in 28 x 28.
function toMnist(strokes, sourceWidth, sourceHeight, settings) {
  const viewSize = settings.view_size, scale = settings.digit_box / Math.max(sourceWidth, sourceHeight);
  const width = Math.max(1, roundHalfEven(sourceWidth * scale)), height = Math.max(1, roundHalfEven(sourceHeight * scale));
  const resized = (scale < 1 ? resizeArea : resizeLinear)(strokes, sourceWidth, sourceHeight, width, height);
  const brightest = Math.max(1, ...resized), stretch = Math.fround(255 / brightest);
  const digit = Float32Array.from(resized, (value) => value * stretch);
  let total = 0, rows = 0, columns = 0;
  digit.forEach((value, index) => {
    total += value;
    rows += Math.floor(index / width) * value;
    columns += (index % width) * value;
  });
  total = Math.max(total, 1);
  const clip = (value, high) => Math.min(Math.max(value, 0), high);
  const top = clip(roundHalfEven(viewSize / 2 - rows / total), viewSize - height);
  const left = clip(roundHalfEven(viewSize / 2 - columns / total), viewSize - width);
  const frame = new Uint8Array(viewSize * viewSize);
  digit.forEach((value, index) => {
    frame[(top + Math.floor(index / width)) * viewSize + left + (index % width)] = Math.trunc(clip(value, 255));
  });
  return frame;
}

// drawing_pad.read_drawing, for a grayscale drawing: a sentence, and the answer when there is one.
function readDrawing(gray, width, height, settings, network) {
  let darkest = 255, brightest = 0, top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = gray[y * width + x];
      darkest = Math.min(darkest, value);
      brightest = Math.max(brightest, value);
      if (value >= settings.min_contrast) {
        top = Math.min(top, y);
        bottom = y;
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (gray.length === 0 || darkest === brightest) return { message: settings.empty };
  if (bottom < 0) {
    return {
      message: `No digit found: the image is blank (its brightest ink is ${brightest} of 255, expected at least ${settings.min_contrast}).`,
    };
  }
  const cropWidth = right - left + 1, cropHeight = bottom - top + 1, crop = new Uint8Array(cropWidth * cropHeight);
  for (let y = 0; y < cropHeight; y++) crop.set(gray.subarray((top + y) * width + left, (top + y) * width + right + 1), y * cropWidth);
  const seen = toMnist(crop, cropWidth, cropHeight, settings);
  if (Math.max(cropWidth, cropHeight) < settings.min_extent * Math.max(width, height)) return { message: settings.too_small, seen };
  if (seen.filter((value) => value > 127).length / seen.length > settings.max_ink) return { message: settings.too_much_ink, seen };
  const probabilities = network(seen), digit = probabilities.indexOf(Math.max(...probabilities));
  const answer = `${digit} (${roundHalfEven(100 * probabilities[digit])}%)`;  // Python's "{:.0%}"
  const sure = probabilities[digit] >= settings.not_a_digit_below;
  return { message: sure ? `Reads ${answer}.` : `Not a digit, it seems: at most ${answer}.`, digit, probabilities, seen, sure };
}

// The weights, float32 or float16 little-endian in base64, as float32.
function decodeWeights(base64, floatBits) {
  const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
  if (floatBits === 32) return new Float32Array(bytes.buffer);
  const halves = new DataView(bytes.buffer), weights = new Float32Array(bytes.length / 2);
  for (let index = 0; index < weights.length; index++) {
    const half = halves.getUint16(2 * index, true), sign = half & 0x8000 ? -1 : 1;
    const exponent = (half >> 10) & 0x1f, fraction = half & 0x3ff;
    weights[index] =
      exponent === 0 ? sign * fraction * 2 ** -24 : exponent === 31 ? (fraction ? NaN : sign * Infinity) : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return weights;
}

// The network as a function of a 28 x 28 uint8 view: its ten probabilities (Keras's layers, channels last).
function networkFunction({ layers, weights, float_bits }) {
  if (layers.some((layer) => layer.kind === "conv2d" && !["relu", "linear"].includes(layer.activation))) {
    throw new Error("Expected convolutions with relu or linear activations.");
  }
  const all = decodeWeights(weights, float_bits);
  let offset = 0;
  const take = (count) => all.subarray(offset, (offset += count));
  const steps = layers.map((layer) => {
    if (layer.kind === "conv2d") {
      const [kernelHeight, kernelWidth, channels, filters] = layer.shape;
      const kernel = take(kernelHeight * kernelWidth * channels * filters), bias = take(filters);
      return ({ data, height, width }) => {
        const outHeight = height - kernelHeight + 1, outWidth = width - kernelWidth + 1;
        const output = new Float32Array(outHeight * outWidth * filters), sums = new Float64Array(filters);
        for (let y = 0; y < outHeight; y++) {
          for (let x = 0; x < outWidth; x++) {
            sums.set(bias);
            for (let row = 0; row < kernelHeight; row++) {
              for (let column = 0; column < kernelWidth; column++) {
                const input = ((y + row) * width + x + column) * channels, weight = (row * kernelWidth + column) * channels * filters;
                for (let channel = 0; channel < channels; channel++) {
                  const value = data[input + channel];
                  if (value === 0) continue;
                  const start = weight + channel * filters;
                  for (let filter = 0; filter < filters; filter++) sums[filter] += value * kernel[start + filter];
                }
              }
            }
            const at = (y * outWidth + x) * filters, relu = layer.activation === "relu";
            for (let filter = 0; filter < filters; filter++) output[at + filter] = relu ? Math.max(sums[filter], 0) : sums[filter];
          }
        }
        return { data: output, height: outHeight, width: outWidth, channels: filters };
      };
    }
    if (layer.kind === "max_pooling2d") {
      const [poolHeight, poolWidth] = layer.size;
      return ({ data, height, width, channels }) => {
        const outHeight = Math.floor(height / poolHeight), outWidth = Math.floor(width / poolWidth);
        const output = new Float32Array(outHeight * outWidth * channels).fill(-Infinity);
        for (let y = 0; y < outHeight * poolHeight; y++) {
          for (let x = 0; x < outWidth * poolWidth; x++) {
            const at = (Math.floor(y / poolHeight) * outWidth + Math.floor(x / poolWidth)) * channels, from = (y * width + x) * channels;
            for (let channel = 0; channel < channels; channel++) output[at + channel] = Math.max(output[at + channel], data[from + channel]);
          }
        }
        return { data: output, height: outHeight, width: outWidth, channels };
      };
    }
    if (layer.kind === "flatten") return ({ data }) => ({ data, height: 1, width: 1, channels: data.length });
    if (layer.kind === "dense") {
      const [inputs, units] = layer.shape, kernel = take(inputs * units), bias = take(units);
      return ({ data }) => {
        const sums = Float64Array.from(bias);
        data.forEach((value, input) => {
          if (value !== 0) for (let unit = 0; unit < units; unit++) sums[unit] += value * kernel[input * units + unit];
        });
        return { data: Float32Array.from(activate(sums, layer.activation)), height: 1, width: 1, channels: units };
      };
    }
    if (layer.kind === "scale_shift") {
      const scale = take(layer.size), shift = take(layer.size);
      return ({ data, ...shape }) => ({ ...shape, data: data.map((value, index) => value * scale[index % layer.size] + shift[index % layer.size]) });
    }
    if (layer.kind === "relu") return ({ data, ...shape }) => ({ ...shape, data: data.map((value) => Math.max(value, 0)) });
    throw new Error(`Expected a layer the page can run, found ${layer.kind}.`);
  });
  return (view) => {
    let tensor = { data: Float32Array.from(view, (value) => value / 255), height: view.length ** 0.5, width: view.length ** 0.5, channels: 1 };
    for (const step of steps) tensor = step(tensor);
    return Array.from(tensor.data);
  };
}

function activate(sums, activation) {
  if (activation === "relu") return sums.map((value) => Math.max(value, 0));
  if (activation === "softmax") {
    const largest = Math.max(...sums), exponentials = sums.map((value) => Math.exp(value - largest));
    const total = exponentials.reduce((sum, value) => sum + value, 0);
    return exponentials.map((value) => value / total);
  }
  return sums;
}

// Reads the pad's PNG (a DataView of its bytes; empty when cleared) into grayscale pixels.
async function pngPixels(bytes) {
  if (bytes.byteLength === 0) return { gray: new Uint8Array(0), width: 0, height: 0 };
  const bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height), context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  return { gray: luminance(rgba, bitmap.width * bitmap.height), width: bitmap.width, height: bitmap.height };
}

function mount(el, { settings, network }) {
  const classify = networkFunction(network);
  const values = {
    pad_size: settings.pad_size, line_width: settings.line_width, view_size: settings.view_size,
    image: new DataView(new ArrayBuffer(0)), message: settings.empty, digit: "", sure: false, probabilities: [], seen: [],
  };
  const listeners = new Map();
  let latest = 0;  // the drawing whose answer is shown: a slower read of an earlier stroke is dropped
  const model = {
    get: (name) => values[name],
    set: (name, value) => (values[name] = value),
    on: (event, callback) => listeners.set(event, [...(listeners.get(event) ?? []), callback]),
    off: (event, callback) => listeners.set(event, (listeners.get(event) ?? []).filter((known) => known !== callback)),
    save_changes: async () => {
      const drawing = ++latest, { gray, width, height } = await pngPixels(values.image);
      if (drawing !== latest) return;
      const reading = readDrawing(gray, width, height, settings, classify);
      Object.assign(values, {
        message: reading.message, digit: reading.digit === undefined ? "" : String(reading.digit), sure: reading.sure ?? false,
        probabilities: reading.probabilities ?? [], seen: reading.seen ? Array.from(reading.seen) : [],
      });
      for (const callback of new Set(SHOWN.flatMap((name) => listeners.get(`change:${name}`) ?? []))) callback();
      el.dispatchEvent(new CustomEvent("mnist-pad-read", { detail: reading }));
    },
  };
  // For a test or the browser's console: read any grayscale drawing, or classify a 28 x 28 view.
  el.mnistPad = { read: (gray, width, height) => readDrawing(gray, width, height, settings, classify), classify };
  render({ model, el });
  // Once while the page settles: the first stroke's answer then comes as fast as the next ones.
  setTimeout(() => {
    const size = settings.pad_size, bar = new Uint8Array(size * size);
    for (let y = size / 4; y < (3 * size) / 4; y++) bar.fill(255, y * size + size / 2 - 10, y * size + size / 2 + 10);
    readDrawing(bar, size, size, settings, classify);
    el.querySelector(".mnist-pad-canvas").toBlob(async (png) => pngPixels(new DataView(await png.arrayBuffer())));
  }, 0);
}
