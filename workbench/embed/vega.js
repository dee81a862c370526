// The workbench's Vega chart widget (anywidget): workbench/embed/vega.py.
//
// Accessibility (docs/tilgjengelighet.md): after every draw the view (Vega gives it
// role="graphics-document") is named by the chart's title and described by a paragraph
// holding the text workbench/chart_text.py made from the data. Instead of vega-embed's
// «…» menu there are labelled buttons: «Last ned PNG», «Last ned SVG», «Last ned data»
// (the rows the kernel holds, CSV) and «Vis som tabell» (a disclosure button for the
// table the kernel built). A visually hidden status line says when the chart was redrawn.
function loadVegaEmbed(model) {
  if (window.vegaEmbed) return Promise.resolve(window.vegaEmbed);
  if (!window.__workbenchVega) {
    const url = model.get("_bundle_url");
    const src = url
      ? new URL(url, document.baseURI).href
      : URL.createObjectURL(new Blob([model.get("_bundle_src")], { type: "text/javascript" }));
    window.__workbenchVega = import(src).then(() => window.vegaEmbed).catch((e) => {
      window.__workbenchVega = null;
      throw e;
    });
  }
  return window.__workbenchVega;
}

function message(text) {
  const box = document.createElement("div");
  box.className = "wb-feil";
  box.setAttribute("role", "alert");
  box.textContent = text;
  return box;
}

// The first title in a spec (a string, lines, or {text}), for charts not made by the
// workbench's builders.
function titleOf(spec) {
  if (!spec || typeof spec !== "object") return "";
  const t = spec.title;
  const text = typeof t === "string" || Array.isArray(t) ? t : t && t.text;
  if (text) return Array.isArray(text) ? text.join(" ") : String(text);
  for (const key of ["vconcat", "hconcat", "concat", "layer"]) {
    for (const part of spec[key] || []) {
      const found = titleOf(part);
      if (found) return found;
    }
  }
  return "";
}

// Name and description: workbench/chart_text.py puts them in usermeta.workbench.
function chartText(spec) {
  const meta = spec && spec.usermeta && spec.usermeta.workbench;
  if (meta && meta.title) return { title: meta.title, description: meta.description || "" };
  return { title: titleOf(spec) || "Graf", description: (spec && spec.description) || "" };
}

function escapeXml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// The exported SVG file carries the chart's name and description too.
function labelledSvg(svg, text) {
  const open = svg.match(/<svg\b[^>]*>/);
  if (!open) return svg;
  const tag = open[0].replace(/^<svg/, '<svg role="img"');
  const inner = `<title>${escapeXml(text.title)}</title>` +
    (text.description ? `<desc>${escapeXml(text.description)}</desc>` : "");
  return svg.slice(0, open.index) + tag + inner + svg.slice(open.index + open[0].length);
}

function save(href, filename) {
  const link = document.createElement("a");
  link.href = href;
  link.download = filename;
  link.style.display = "none";
  document.body.appendChild(link);
  link.click();
  setTimeout(() => {
    if (href.startsWith("blob:")) URL.revokeObjectURL(href);
    link.remove();
  }, 60000);
}

function toolButton(label, className) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `wb-tool ${className}`;
  button.textContent = label;
  return button;
}

// The button shows ``label``; its name adds the chart's title («Last ned PNG:
// Helseteknologiordningen 2026»), so that the buttons of two charts are told apart. The
// name starts with the visible text (WCAG 2.5.3).
function setLabel(button, label, context) {
  button.textContent = label;
  if (context) button.setAttribute("aria-label", `${label}: ${context}`);
  else button.removeAttribute("aria-label");
}

function render({ model, el }) {
  // Unique on the page (each widget may load its own copy of this module).
  window.__wbCharts = (window.__wbCharts || 0) + 1;
  const uid = `wb-chart-${window.__wbCharts}`;
  el.classList.add("wb-chart");
  const holder = document.createElement("div");
  holder.className = "wb-chart-holder";
  const desc = document.createElement("p");
  desc.className = "wb-chart-desc wb-vh";
  desc.id = `${uid}-beskrivelse`;
  const status = document.createElement("div");
  status.className = "wb-vh";
  status.setAttribute("role", "status");
  const tools = document.createElement("div");
  tools.className = "wb-chart-tools";
  const png = toolButton("Last ned PNG", "wb-png");
  const svg = toolButton("Last ned SVG", "wb-svg");
  const csv = toolButton("", "wb-download");
  const toggle = toolButton("Vis som tabell", "wb-table-toggle");
  const tableBox = document.createElement("div");
  tableBox.className = "wb-chart-table";
  tableBox.id = `${uid}-tabell`;
  // The table's state lives in one place: the button's aria-expanded and the table's
  // hidden always change together.
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    tableBox.hidden = !open;
  };
  setOpen(false);
  toggle.setAttribute("aria-controls", tableBox.id);
  tools.append(png, svg, csv, toggle);
  el.append(holder, desc, status, tools, tableBox);

  let current = null;
  let text = chartText(model.get("spec"));
  let seq = 0;
  let drawn = 0;

  const done = (version) => {
    el.dataset.wbRendered = String(version);
    el.dispatchEvent(new CustomEvent("wb-rendered", { bubbles: true, detail: version }));
  };

  const syncCsv = () => {
    const rows = model.get("rows");
    // Without rows (rows < 0) there is no «Last ned data» button at all.
    if (rows < 0) csv.remove();
    else if (!csv.isConnected) svg.after(csv);
    setLabel(csv, model.get("csv_text"), text.title);
    csv.title = `${model.get("filename")}.csv`;
    csv.disabled = rows === 0;
  };

  // A table too wide for its column scrolls, and can then be reached by keyboard.
  const markScrolling = () => {
    const wrap = tableBox.querySelector(".wb-table-wrap");
    if (!wrap) return;
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", `Tabell: ${text.title}`);
    } else {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
    }
  };
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(markScrolling) : null;

  const syncTable = () => {
    const html = model.get("_table_html");
    const wrap = document.createElement("div");
    wrap.className = "wb-table-wrap";
    wrap.innerHTML = html; // built and escaped by the kernel (workbench/chart_text.py)
    tableBox.replaceChildren(wrap);
    toggle.hidden = !html;
    if (!html) setOpen(false);
    if (resize) { resize.disconnect(); resize.observe(wrap); }
    if (!tableBox.hidden) markScrolling();
  };

  const syncTools = () => {
    const open = toggle.getAttribute("aria-expanded") === "true";
    setLabel(png, "Last ned PNG", text.title);
    setLabel(svg, "Last ned SVG", text.title);
    setLabel(toggle, open ? "Skjul tabellen" : "Vis som tabell", text.title);
    png.disabled = svg.disabled = !current;
    syncCsv();
  };

  const showText = (view) => {
    const container = view.container();
    if (container) {
      container.setAttribute("aria-label", text.title);
      if (text.description) container.setAttribute("aria-describedby", desc.id);
      else container.removeAttribute("aria-describedby");
    }
    desc.textContent = text.description;
  };

  const announce = (words) => {
    status.textContent = "";
    requestAnimationFrame(() => { status.textContent = words; });
  };

  async function draw() {
    const mine = ++seq;
    const version = model.get("version");
    // The version being drawn; data-wb-rendered says which one is on screen.
    el.dataset.wbVersion = String(version);
    const error = model.get("error");
    if (error) {
      if (current) { current.finalize(); current = null; }
      holder.replaceChildren(message(error));
      desc.textContent = "";
      tools.hidden = true;
      setOpen(false);
      done(version);
      return;
    }
    tools.hidden = false;
    const spec = model.get("spec");
    if (!spec || Object.keys(spec).length === 0) {
      if (current) { current.finalize(); current = null; }
      holder.replaceChildren();
      syncTools();
      done(version);
      return;
    }
    let vegaEmbed;
    performance.mark("wb-chart-start");
    try {
      vegaEmbed = await loadVegaEmbed(model);
      performance.mark("wb-vega-loaded");
    } catch (e) {
      console.error("workbench: could not load the Vega bundle", e);
      holder.replaceChildren(message("Grafen kunne ikke lastes."));
      return;
    }
    if (mine !== seq) return;
    // Draw the new view off-screen, then swap: no flicker, no layout jump.
    const target = document.createElement("div");
    target.className = "wb-chart-view";
    if (holder.firstChild) target.style.cssText = "position:absolute;visibility:hidden;top:0;left:0";
    holder.appendChild(target);
    let next;
    try {
      next = await vegaEmbed(target, structuredClone(spec), structuredClone(model.get("_embed_options")));
    } catch (e) {
      console.error("workbench: Vega could not draw the chart", e);
      target.remove();
      if (mine === seq) holder.replaceChildren(message("Grafen kunne ikke tegnes."));
      return;
    }
    if (mine !== seq) { next.finalize(); target.remove(); return; }
    if (current) current.finalize();
    for (const child of [...holder.children]) if (child !== target) child.remove();
    target.style.cssText = "";
    current = next;
    text = chartText(spec);
    showText(next.view);
    syncTools();
    if (drawn && version > drawn) announce(`Grafen er oppdatert: ${text.title}.`);
    drawn = version;
    performance.mark("wb-chart-drawn");
    done(version);
  }

  png.addEventListener("click", async () => {
    if (!current) return;
    save(await current.view.toImageURL("png", 2), `${model.get("filename")}.png`);
  });
  svg.addEventListener("click", async () => {
    if (!current) return;
    const markup = labelledSvg(await current.view.toSVG(), text);
    save(URL.createObjectURL(new Blob([markup], { type: "image/svg+xml" })),
         `${model.get("filename")}.svg`);
  });
  csv.addEventListener("click", () => {
    csv.disabled = true;
    csv.setAttribute("aria-busy", "true");
    model.send({ event: "download" });
  });
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    syncTools();
    if (open) markScrolling();
  });

  const onMessage = (msg, buffers) => {
    if (!msg || msg.event !== "csv") return;
    csv.removeAttribute("aria-busy");
    syncCsv();
    if (msg.error) {
      tools.after(message(msg.error));
      return;
    }
    save(URL.createObjectURL(new Blob(buffers, { type: "text/csv;charset=utf-8" })), msg.filename);
  };

  const listeners = [
    ["change:version", draw], ["change:_table_html", syncTable], ["change:rows", syncCsv],
    ["change:csv_text", syncCsv], ["change:filename", syncCsv], ["msg:custom", onMessage],
  ];
  syncTable();
  syncTools();
  for (const [event, handler] of listeners) model.on(event, handler);
  draw();
  return () => {
    for (const [event, handler] of listeners) model.off(event, handler);
    if (resize) resize.disconnect();
    if (current) current.finalize();
  };
}

export default { render };
