// The workbench's Vega chart widget (anywidget): workbench/embed/vega.py.
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

function render({ model, el }) {
  el.classList.add("wb-chart");
  const holder = document.createElement("div");
  holder.className = "wb-chart-holder";
  el.appendChild(holder);
  let current = null;
  let seq = 0;

  const done = (version) => {
    el.dataset.wbRendered = String(version);
    el.dispatchEvent(new CustomEvent("wb-rendered", { bubbles: true, detail: version }));
  };

  // A preheated kernel sends a static SVG of the first chart (drawn server-side by
  // vl-convert): shown at once, replaced by the interactive view when that is drawn.
  const snapshot = model.get("_snapshot");
  if (snapshot) {
    const still = document.createElement("div");
    still.className = "wb-chart-view wb-snapshot";
    still.innerHTML = snapshot;
    holder.appendChild(still);
  }

  async function draw() {
    const mine = ++seq;
    const version = model.get("version");
    const error = model.get("error");
    if (error) {
      if (current) { current.finalize(); current = null; }
      holder.replaceChildren(message(error));
      done(version);
      return;
    }
    const spec = model.get("spec");
    if (!spec || Object.keys(spec).length === 0) {
      if (current) { current.finalize(); current = null; }
      holder.replaceChildren();
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
    performance.mark("wb-chart-drawn");
    done(version);
  }

  model.on("change:version", draw);
  draw();
  return () => {
    model.off("change:version", draw);
    if (current) current.finalize();
  };
}

export default { render };
