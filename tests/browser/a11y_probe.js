// What tests/browser/test_accessibility.py reads from a page: injected with
// page.add_script_tag, called as wbProbe.<name>(arg).
window.wbProbe = (() => {
  // Rendered and shown (not inside a closed <details>, not visibility: hidden).
  const visible = (e) => e.getClientRects().length > 0 &&
    (e.checkVisibility ? e.checkVisibility({ contentVisibilityAuto: true,
                                             visibilityProperty: true })
      : getComputedStyle(e).visibility !== "hidden");
  // A stable key for an element: its path of tag names and child positions.
  const key = (e) => {
    const path = [];
    for (let x = e; x && x !== document.body; x = x.parentElement) {
      path.unshift(`${x.tagName}:${[...x.parentElement.children].indexOf(x)}`);
    }
    return path.join("/");
  };
  const texts = (svg) => [...svg.querySelectorAll("g.mark-text.role-mark text")]
    .map((t) => t.textContent);
  const markLabels = (svg) => [...svg.querySelectorAll("g.role-mark > [aria-label]")]
    .map((m) => m.getAttribute("aria-label"));
  const lines = (text) => {
    const spans = [...text.querySelectorAll("tspan")].map((t) => t.textContent);
    return spans.length ? spans.join(" ") : text.textContent;
  };

  // Every dashboard chart: its name, description, shown values, table and CSV button.
  function charts() {
    return [...document.querySelectorAll(".wb-chart")].map((c) => {
      const view = c.querySelector(".wb-chart-holder > .vega-embed");
      const svg = c.querySelector("svg.marks");
      const describedBy = view && view.getAttribute("aria-describedby");
      const desc = describedBy && document.getElementById(describedBy);
      const title = svg && svg.querySelector("g.role-title-text text");
      const table = c.querySelector(".wb-chart-table table.wb-table");
      const csv = c.querySelector("button.wb-download");
      return {
        version: Number(c.dataset.wbVersion || 0),
        rendered: Number(c.dataset.wbRendered || 0),
        role: view && view.getAttribute("role"),
        name: view && view.getAttribute("aria-label"),
        title: title ? lines(title) : null,
        description: desc ? desc.textContent : null,
        // The values as the chart shows them: its value labels and its marks' names.
        shown: svg ? texts(svg).concat(markLabels(svg)) : [],
        table: table ? {
          caption: table.caption ? table.caption.textContent : null,
          cols: [...table.querySelectorAll("thead th")].map((th) => th.getAttribute("scope")),
          rows: [...table.querySelectorAll("tbody tr")].map((tr) => {
            const th = tr.querySelector("th[scope=row]");
            return th ? th.textContent : null;
          }),
        } : null,
        csv: csv ? { text: csv.textContent, file: csv.title } : null,
        toggle: !!c.querySelector("button.wb-table-toggle[aria-controls]"),
        status: [...c.querySelectorAll("[role=status]")].map((e) => e.textContent).join(" "),
      };
    });
  }

  function selects() {
    return [...document.querySelectorAll(".widget-dropdown")].map((d, i) => ({
      i,
      label: (d.querySelector("label") || {}).textContent || "",
      disabled: d.querySelector("select").disabled,
      index: d.querySelector("select").selectedIndex,
      options: d.querySelectorAll("option").length,
    }));
  }

  // The focused element and how its focus is drawn.
  function focus() {
    const e = document.activeElement;
    if (!e || e === document.body || e === document.documentElement) return null;
    const s = getComputedStyle(e);
    return {
      key: key(e), tag: e.tagName,
      text: (e.innerText || e.textContent || "").trim().slice(0, 60),
      outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
      outlineColor: s.outlineColor,
    };
  }

  // What a keyboard user should reach with Tab, in page order.
  function reachable() {
    return [...document.querySelectorAll(
      "a[href], button, select, input, textarea, summary, [tabindex]")]
      .filter((e) => !e.disabled && e.tabIndex >= 0 && visible(e))
      .map(key);
  }

  // Colours of chart text and marks (with the opacity of every ancestor).
  function marks(root) {
    const scope = root ? document.querySelector(root) : document;
    const alpha = (e, own) => {
      let a = own;
      for (let x = e; x && x.tagName.toLowerCase() !== "html"; x = x.parentElement) {
        a *= parseFloat(getComputedStyle(x).opacity);
      }
      return a;
    };
    const svgs = [...scope.querySelectorAll("svg.marks")];
    const text = svgs.flatMap((svg) => [...svg.querySelectorAll("text")]
      .filter((t) => t.getClientRects().length && t.textContent.trim())
      .map((t) => {
        const s = getComputedStyle(t);
        return { what: t.textContent.slice(0, 40), fill: s.fill,
                 alpha: alpha(t, parseFloat(s.fillOpacity)) };
      }));
    const found = svgs.flatMap((svg) => [...svg.querySelectorAll(
      "g.role-mark.mark-rect > path, g.role-mark.mark-symbol > path, " +
      "g.role-mark.mark-line > path, g.role-legend-symbol path, g.role-axis-domain line")]
      .filter((m) => m.getClientRects().length)
      .map((m) => {
        const s = getComputedStyle(m);
        const group = m.closest("g[class]");
        return {
          what: (m.getAttribute("aria-label") || (group && group.getAttribute("class")) || "")
            .slice(0, 60),
          fill: s.fill, fillAlpha: alpha(m, parseFloat(s.fillOpacity)),
          stroke: s.stroke, strokeAlpha: alpha(m, parseFloat(s.strokeOpacity)),
          strokeWidth: parseFloat(s.strokeWidth) || 0,
        };
      }));
    // The chart's background: the SVG's own (browser) or its first full-size rect
    // (vl-convert).
    const backgrounds = svgs.map((svg) => {
      const own = getComputedStyle(svg).backgroundColor;
      if (own && own !== "rgba(0, 0, 0, 0)") return own;
      const rect = svg.querySelector(":scope > rect");
      return rect ? getComputedStyle(rect).fill : "none";
    });
    return { text, marks: found, backgrounds };
  }

  // Reflow: what would be cut off or make the page scroll sideways.
  function reflow() {
    const vw = document.documentElement.clientWidth;
    const out = [];
    const scrollers = [document.documentElement, document.body,
      document.getElementById("rendered_cells")].filter(Boolean);
    for (const s of scrollers) {
      if (s.scrollWidth > s.clientWidth + 1) out.push(`page scrolls sideways: ${s.tagName}#${s.id}`);
    }
    for (const svg of document.querySelectorAll("svg.marks")) {
      const r = svg.getBoundingClientRect();
      if (r.left < -0.5 || r.right > vw + 0.5) out.push(`chart outside the page: ${Math.round(r.right)} > ${vw}`);
      for (let x = svg.parentElement; x && x !== document.body; x = x.parentElement) {
        if (getComputedStyle(x).overflowX === "visible") continue;
        const c = x.getBoundingClientRect();
        if (r.right > c.right + 0.5 || r.left < c.left - 0.5) out.push(`chart clipped by ${x.className}`);
      }
      for (const t of svg.querySelectorAll("text")) {
        const b = t.getBoundingClientRect();
        if (b.width && (b.right > r.right + 1 || b.left < r.left - 1)) out.push(`label cut: ${t.textContent}`);
      }
    }
    for (const e of document.querySelectorAll("select, button, a[href], summary")) {
      if (!e.getClientRects().length) continue;
      if (e.getBoundingClientRect().right > vw + 0.5) {
        out.push(`control outside the page: ${(e.textContent || e.tagName).trim().slice(0, 40)}`);
      }
    }
    return out;
  }

  // Title, language, headings, landmarks, and the links of top-level footers.
  function structure() {
    const shown = (sel) => [...document.querySelectorAll(sel)].filter((e) => e.getClientRects().length);
    return {
      title: document.title,
      lang: document.documentElement.lang,
      h1: document.querySelectorAll("h1").length,
      levels: shown("h1, h2, h3, h4, h5, h6").map((h) => Number(h.tagName[1])),
      main: shown("main, [role=main]").length,
      footer: [...document.querySelectorAll("footer")]
        .filter((f) => !f.closest("main, article, aside, nav, section"))
        .map((f) => [...f.querySelectorAll("a")].map((a) => [a.textContent.trim(), a.getAttribute("href")])),
    };
  }

  // A report page: each chart SVG's name, description, shown values and its table.
  function report() {
    const byId = (id) => id && document.getElementById(id);
    return {
      svgs: [...document.querySelectorAll("svg.marks")].map((svg) => {
        const title = byId(svg.getAttribute("aria-labelledby"));
        const desc = byId(svg.getAttribute("aria-describedby"));
        const shownTitle = svg.querySelector("g.role-title-text text");
        const output = svg.closest(".jp-OutputArea-child");
        const next = output && output.nextElementSibling;
        const table = next && next.querySelector("details.wb-table-details table.wb-table");
        return {
          role: svg.getAttribute("role"),
          title: title && title.tagName === "title" ? title.textContent : null,
          visibleTitle: shownTitle ? lines(shownTitle) : null,
          desc: desc && desc.tagName === "desc" ? desc.textContent : null,
          shown: texts(svg).concat(markLabels(svg)),
          rows: table ? table.querySelectorAll("tbody th[scope=row]").length : 0,
        };
      }),
      stops: [...document.querySelectorAll("*")].filter((e) => e.tabIndex >= 0 && visible(e))
        .map((e) => e.tagName),
    };
  }

  return { charts, selects, focus, reachable, marks, reflow, structure, report };
})();
