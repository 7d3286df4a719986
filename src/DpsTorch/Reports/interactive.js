// DpsTorch report charts, interactive: hover read-out of the nearest point, drag to zoom (double-click resets), click a
// legend entry to hide or show its series, and a CSV download of the data behind each figure. Hand-written, no
// dependencies, no network; inlined into report pages and standalone SVG files (Reports/Interactive.cs). Without
// scripts the static SVG stays as it is. It reads only data attributes that LineChart and SvgPlot write:
//   svg[data-dps-chart]   data-plot="left top width height" (plot area, viewBox units),
//                         data-xaxis / data-yaxis="lin|log lo hi" (axis range, in log10 units on a log axis),
//                         data-xlabel, data-ylabel, data-title, and data-x (x values shared by every series)
//   .dps-layer            the clipped layer holding the series; .dps-ticks the static grid and tick labels
//   g.series              data-series="k", data-name, data-x, data-y, optional data-e (error), data-lo/data-hi (band);
//                         numbers comma-separated, an empty entry for a missing value
//   .legend-item          data-series="k": the legend entry of series k
//   svg[data-dps-csv]     any other figure (bars, circle, graph): its data as CSV text, offered for download only
(function () {
  'use strict';
  var HOVER_RADIUS = 28, MIN_DRAG = 6;

  function nums(text) {
    if (text == null || text === '') return [];
    return text.split(',').map(function (t) { return t === '' ? NaN : Number(t); });
  }
  function axis(text) {
    var p = (text || 'lin 0 1').split(' ');
    return { log: p[0] === 'log', lo: Number(p[1]), hi: Number(p[2]) };
  }
  function unit(a, v) { return a.log ? (v > 0 ? Math.log10(v) : NaN) : v; }
  function fmt(v) {
    if (!isFinite(v)) return '–';
    var a = Math.abs(v);
    if (v !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e');
    return String(Number(v.toPrecision(4)));
  }
  var svgNs = null;   // taken from the first chart: the script holds no URL at all
  function el(name, attrs, parent) {
    var e = document.createElementNS(svgNs, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function csvCell(s) { return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }

  // About six round ticks (1, 2 or 5 times a power of ten) in [lo, hi], in data units.
  function linearTicks(lo, hi) {
    var raw = (hi - lo) / 6, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
    var step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag, ticks = [];
    for (var k = Math.ceil(lo / step); k * step <= hi + 1e-9 * step && ticks.length < 50; k++) ticks.push(Number((k * step).toPrecision(12)));
    return ticks;
  }
  function ticksOf(a, lo, hi) {
    if (!a.log) return linearTicks(lo, hi);
    var ticks = [], k0 = Math.ceil(lo - 1e-9), k1 = Math.floor(hi + 1e-9);
    if (k1 - k0 >= 2) { for (var k = k0; k <= k1; k++) ticks.push(Math.pow(10, k)); return ticks; }
    for (var e = k0 - 1; e <= k1; e++) [1, 2, 5].forEach(function (m) {
      var t = m * Math.pow(10, e), l = Math.log10(t);
      if (l >= lo - 1e-9 && l <= hi + 1e-9) ticks.push(t);
    });
    return ticks.length >= 3 ? ticks : linearTicks(Math.pow(10, lo), Math.pow(10, hi)).filter(function (t) { return t > 0; });
  }

  function Chart(svg) {
    var c = this, p = (svg.getAttribute('data-plot') || '0 0 100 100').split(' ').map(Number);
    c.svg = svg; c.left = p[0]; c.top = p[1]; c.w = p[2]; c.h = p[3];
    c.xa = axis(svg.getAttribute('data-xaxis')); c.ya = axis(svg.getAttribute('data-yaxis'));
    c.view = { x0: c.xa.lo, x1: c.xa.hi, y0: c.ya.lo, y1: c.ya.hi };
    var shared = nums(svg.getAttribute('data-x'));
    c.series = Array.prototype.map.call(svg.querySelectorAll('g.series'), function (g) {
      var x = g.hasAttribute('data-x') ? nums(g.getAttribute('data-x')) : shared;
      return { g: g, index: g.getAttribute('data-series'), name: g.getAttribute('data-name') || '', x: x,
        y: nums(g.getAttribute('data-y')), e: nums(g.getAttribute('data-e')), lo: nums(g.getAttribute('data-lo')),
        hi: nums(g.getAttribute('data-hi')), hidden: false };
    });
    c.layer = svg.querySelector('.dps-layer') || svg;
    c.staticTicks = svg.querySelector('.dps-ticks');
    c.zoomTicks = el('g', { 'class': 'dps-zoom-ticks', 'pointer-events': 'none' });
    c.layer.parentNode.insertBefore(c.zoomTicks, c.layer);
    c.band = el('rect', { 'class': 'dps-zoom-band', fill: '#4dabf7', 'fill-opacity': '0.15', stroke: '#1c7ed6', 'stroke-width': '0.8', display: 'none', 'pointer-events': 'none' }, svg);
    c.readout = el('g', { 'class': 'dps-readout', display: 'none', 'pointer-events': 'none' }, svg);
    c.dot = el('circle', { r: '4', fill: 'none', stroke: '#212529', 'stroke-width': '1.5' }, c.readout);
    c.box = el('rect', { rx: '3', fill: '#fff', 'fill-opacity': '0.92', stroke: '#adb5bd', 'stroke-width': '0.8' }, c.readout);
    c.text = el('text', { 'class': 'dps-readout-text', 'font-size': '11' }, c.readout);
    svg.querySelectorAll('.dps-layer path, .dps-layer line').forEach(function (e) { e.setAttribute('vector-effect', 'non-scaling-stroke'); });
    svg.querySelectorAll('.dps-layer circle').forEach(function (e) { e.dataset.cx = e.getAttribute('cx'); e.dataset.cy = e.getAttribute('cy'); });
    svg.querySelectorAll('.legend-item').forEach(function (item) {
      item.style.cursor = 'pointer';
      var t = el('title', {}, item); t.textContent = 'click to hide or show this series';
      item.addEventListener('click', function () { c.toggle(item.getAttribute('data-series')); });
    });
    svg.style.cursor = 'crosshair';
    svg.addEventListener('mousemove', function (ev) { c.move(ev); });
    svg.addEventListener('mouseleave', function () { c.readout.setAttribute('display', 'none'); });
    svg.addEventListener('mousedown', function (ev) { c.down(ev); });
    window.addEventListener('mouseup', function (ev) { c.up(ev); });
    svg.addEventListener('dblclick', function (ev) { ev.preventDefault(); c.zoom(null); });
    download(svg, c.csv(), c.left + c.w, c.top - 3);
    svg.setAttribute('data-dps-ready', '1');
  }

  // Pixel (viewBox) position of axis units u under the current view, and back.
  Chart.prototype.px = function (u) { return this.left + (u - this.view.x0) / (this.view.x1 - this.view.x0) * this.w; };
  Chart.prototype.py = function (u) { return this.top + this.h - (u - this.view.y0) / (this.view.y1 - this.view.y0) * this.h; };
  Chart.prototype.ux = function (px) { return this.view.x0 + (px - this.left) / this.w * (this.view.x1 - this.view.x0); };
  Chart.prototype.uy = function (py) { return this.view.y0 + (this.top + this.h - py) / this.h * (this.view.y1 - this.view.y0); };
  Chart.prototype.point = function (ev) {
    var m = this.svg.getScreenCTM();
    return m ? new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse()) : { x: NaN, y: NaN };
  };
  Chart.prototype.inPlot = function (q) { return q.x >= this.left && q.x <= this.left + this.w && q.y >= this.top && q.y <= this.top + this.h; };

  Chart.prototype.nearest = function (q) {
    var best = null, bestD = HOVER_RADIUS * HOVER_RADIUS;
    for (var s = 0; s < this.series.length; s++) {
      var ser = this.series[s];
      if (ser.hidden) continue;
      for (var i = 0; i < ser.y.length; i++) {
        var X = this.px(unit(this.xa, ser.x[i])), Y = this.py(unit(this.ya, ser.y[i]));
        if (!isFinite(X) || !isFinite(Y) || X < this.left - 1 || X > this.left + this.w + 1 || Y < this.top - 1 || Y > this.top + this.h + 1) continue;
        var d = (X - q.x) * (X - q.x) + (Y - q.y) * (Y - q.y);
        if (d < bestD) { bestD = d; best = { ser: ser, i: i, X: X, Y: Y }; }
      }
    }
    return best;
  };

  Chart.prototype.move = function (ev) {
    var q = this.point(ev);
    if (this.drag) {
      var x = Math.max(this.left, Math.min(this.left + this.w, q.x)), y = Math.max(this.top, Math.min(this.top + this.h, q.y));
      var d = this.drag, tall = Math.abs(y - d.y) >= MIN_DRAG;
      this.band.setAttribute('x', Math.min(x, d.x)); this.band.setAttribute('width', Math.abs(x - d.x));
      this.band.setAttribute('y', tall ? Math.min(y, d.y) : this.top); this.band.setAttribute('height', tall ? Math.abs(y - d.y) : this.h);
      this.band.setAttribute('display', Math.abs(x - d.x) >= MIN_DRAG ? 'inline' : 'none');
      d.x1 = x; d.y1 = y;
      return;
    }
    var n = this.inPlot(q) ? this.nearest(q) : null;
    if (!n) { this.readout.setAttribute('display', 'none'); return; }
    var ser = n.ser, label = (ser.name ? ser.name + ': ' : '') + 'x = ' + fmt(ser.x[n.i]) + ', y = ' + fmt(ser.y[n.i]);
    if (isFinite(ser.e[n.i]) && ser.e[n.i] > 0) label += ' ± ' + fmt(ser.e[n.i]);
    if (isFinite(ser.lo[n.i]) && isFinite(ser.hi[n.i])) label += ' [' + fmt(ser.lo[n.i]) + ', ' + fmt(ser.hi[n.i]) + ']';
    this.text.textContent = label;
    this.dot.setAttribute('cx', n.X); this.dot.setAttribute('cy', n.Y);
    this.readout.setAttribute('display', 'inline');
    var bb = this.text.getBBox(), tw = bb.width + 10, th = bb.height + 6;
    var bx = n.X + 10 + tw > this.left + this.w ? n.X - 10 - tw : n.X + 10, by = Math.max(this.top + 2, n.Y - th - 8);
    this.box.setAttribute('x', bx); this.box.setAttribute('y', by); this.box.setAttribute('width', tw); this.box.setAttribute('height', th);
    this.text.setAttribute('x', bx + 5); this.text.setAttribute('y', by + th - 6);
  };

  Chart.prototype.down = function (ev) {
    if (ev.button !== 0) return;
    var q = this.point(ev);
    if (!this.inPlot(q) || (ev.target.closest && ev.target.closest('.legend-item'))) return;
    ev.preventDefault();
    this.drag = { x: q.x, y: q.y, x1: q.x, y1: q.y };
    this.readout.setAttribute('display', 'none');
  };

  Chart.prototype.up = function () {
    var d = this.drag;
    if (!d) return;
    this.drag = null;
    this.band.setAttribute('display', 'none');
    if (Math.abs(d.x1 - d.x) < MIN_DRAG) return;
    var tall = Math.abs(d.y1 - d.y) >= MIN_DRAG;
    this.zoom({ x0: this.ux(Math.min(d.x, d.x1)), x1: this.ux(Math.max(d.x, d.x1)),
      y0: tall ? this.uy(Math.max(d.y, d.y1)) : this.view.y0, y1: tall ? this.uy(Math.min(d.y, d.y1)) : this.view.y1 });
  };

  // Shows the view v (axis units; null: the whole figure). Drawn elements move by the affine map from the figure's
  // own pixels to the view's pixels; markers (circles, and .dps-mark shapes placed by translate(data-cx data-cy)) move
  // their centres so they keep their shape.
  Chart.prototype.zoom = function (v) {
    var xa = this.xa, ya = this.ya, c = this;
    this.view = v || { x0: xa.lo, x1: xa.hi, y0: ya.lo, y1: ya.hi };
    var sx = (xa.hi - xa.lo) / (this.view.x1 - this.view.x0), sy = (ya.hi - ya.lo) / (this.view.y1 - this.view.y0);
    var tx = this.px(xa.lo) - this.left * sx, ty = this.py(ya.lo) - (this.top + this.h) * sy;
    this.series.forEach(function (ser) {
      Array.prototype.forEach.call(ser.g.children, function (e) {
        if (e.tagName === 'circle') {
          e.setAttribute('cx', sx * Number(e.dataset.cx) + tx); e.setAttribute('cy', sy * Number(e.dataset.cy) + ty);
        } else if (e.classList && e.classList.contains('dps-mark')) {
          e.setAttribute('transform', 'translate(' + (sx * Number(e.dataset.cx) + tx) + ' ' + (sy * Number(e.dataset.cy) + ty) + ')');
        } else if (v) e.setAttribute('transform', 'matrix(' + sx + ' 0 0 ' + sy + ' ' + tx + ' ' + ty + ')');
        else e.removeAttribute('transform');
      });
    });
    while (this.zoomTicks.firstChild) this.zoomTicks.removeChild(this.zoomTicks.firstChild);
    if (this.staticTicks) this.staticTicks.setAttribute('display', v ? 'none' : 'inline');
    if (v) {
      ticksOf(xa, this.view.x0, this.view.x1).forEach(function (t) {
        var X = c.px(unit(xa, t));
        el('line', { x1: X, y1: c.top, x2: X, y2: c.top + c.h, stroke: '#e9ecef' }, c.zoomTicks);
        el('text', { x: X, y: c.top + c.h + 15, 'text-anchor': 'middle', 'class': 'dps-tick' }, c.zoomTicks).textContent = fmt(t);
      });
      ticksOf(ya, this.view.y0, this.view.y1).forEach(function (t) {
        var Y = c.py(unit(ya, t));
        el('line', { x1: c.left, y1: Y, x2: c.left + c.w, y2: Y, stroke: '#e9ecef' }, c.zoomTicks);
        el('text', { x: c.left - 5, y: Y + 4, 'text-anchor': 'end', 'class': 'dps-tick' }, c.zoomTicks).textContent = fmt(t);
      });
      this.svg.setAttribute('data-view', [this.view.x0, this.view.x1, this.view.y0, this.view.y1].map(fmt).join(' '));
    } else this.svg.removeAttribute('data-view');
  };

  Chart.prototype.toggle = function (index) {
    this.series.forEach(function (ser) {
      if (ser.index !== index) return;
      ser.hidden = !ser.hidden;
      ser.g.setAttribute('display', ser.hidden ? 'none' : 'inline');
    });
    var hidden = this.series.some(function (s) { return s.index === index && s.hidden; });
    this.svg.querySelectorAll('.legend-item[data-series="' + index + '"]').forEach(function (item) {
      item.setAttribute('opacity', hidden ? '0.35' : '1');
      item.setAttribute('data-hidden', hidden ? '1' : '0');
    });
    this.readout.setAttribute('display', 'none');
  };

  // One CSV row per point: series, x, y, and the error or band edges when a series has them.
  Chart.prototype.csv = function () {
    var svg = this.svg, hasE = this.series.some(function (s) { return s.e.length; }), hasBand = this.series.some(function (s) { return s.lo.length; });
    var head = ['series', svg.getAttribute('data-xlabel') || 'x', svg.getAttribute('data-ylabel') || 'y'];
    if (hasE) head.push('error');
    if (hasBand) head.push('low', 'high');
    var rows = [head.map(csvCell).join(',')];
    function v(a, i) { return i < a.length && isFinite(a[i]) ? String(a[i]) : ''; }
    this.series.forEach(function (s) {
      for (var i = 0; i < s.y.length; i++) {
        var r = [csvCell(s.name), v(s.x, i), v(s.y, i)];
        if (hasE) r.push(v(s.e, i));
        if (hasBand) r.push(v(s.lo, i), v(s.hi, i));
        rows.push(r.join(','));
      }
    });
    return rows.join('\n') + '\n';
  };

  // A link to the figure's data: under the figure in an HTML page, at (x, y) inside a standalone SVG file.
  function download(svg, csv, x, y) {
    var card = svg.closest && svg.closest('section'), heading = card && card.querySelector('h2');
    var title = svg.getAttribute('data-title') || (heading && heading.textContent) || svg.getAttribute('data-ylabel') || 'figure';
    var file = (title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'figure') + '.csv';
    var href = 'data:text/csv;charset=utf-8,' + encodeURIComponent(csv), a;
    var parent = svg.parentNode;
    if (parent && parent.nodeType === 1 && parent.namespaceURI !== svg.namespaceURI) {   // an inline SVG in an HTML page
      a = document.createElement('a');
      a.className = 'dps-download';
      a.textContent = 'data behind this figure (CSV)';
      a.style.cssText = 'display:block;text-align:right;font-size:12px;margin-top:2px;color:#1c7ed6';
      svg.parentNode.insertBefore(a, svg.nextSibling);
    } else {
      a = el('a', { 'class': 'dps-download' }, svg);
      el('text', { x: x, y: y, 'text-anchor': 'end', 'font-size': '10', fill: '#1c7ed6' }, a).textContent = 'CSV';
    }
    a.setAttribute('href', href);
    a.setAttribute('download', file);
  }

  function init() {
    document.querySelectorAll('svg[data-dps-chart]:not([data-dps-ready])').forEach(function (svg) { svgNs = svg.namespaceURI; new Chart(svg); });
    document.querySelectorAll('svg[data-dps-csv]:not([data-dps-ready])').forEach(function (svg) {
      svgNs = svg.namespaceURI;
      var box = svg.viewBox && svg.viewBox.baseVal;
      download(svg, svg.getAttribute('data-dps-csv'), box ? box.width - 4 : 40, 12);
      svg.setAttribute('data-dps-ready', '1');
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
