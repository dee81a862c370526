// The «Last ned data» widget (anywidget): workbench/embed/download.py.
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "wb-download jupyter-widgets jupyter-button widget-button";
  const sync = () => {
    button.textContent = model.get("text");
    button.title = model.get("filename");
    button.disabled = model.get("rows") === 0;
  };
  sync();
  model.on("change:text", sync);
  model.on("change:rows", sync);
  model.on("change:filename", sync);
  button.addEventListener("click", () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    model.send({ event: "download" });
  });
  const onMessage = (msg, buffers) => {
    if (!msg || msg.event !== "csv") return;
    button.removeAttribute("aria-busy");
    sync();
    if (msg.error) {
      const box = document.createElement("div");
      box.className = "wb-feil";
      box.setAttribute("role", "alert");
      box.textContent = msg.error;
      el.appendChild(box);
      return;
    }
    const blob = new Blob(buffers, { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = msg.filename;
    link.style.display = "none";
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 60000);
  };
  model.on("msg:custom", onMessage);
  el.appendChild(button);
  return () => {
    model.off("msg:custom", onMessage);
    model.off("change:text", sync);
    model.off("change:rows", sync);
    model.off("change:filename", sync);
  };
}
export default { render };
