// Voilà's loading text in Norwegian (it says «Executing 1 of 3»): included by
// index.html.j2 right after Voilà's helper functions, which set window.voila_process.
window.voila_process = function (cellIndex, cellCount) {
  const text = document.getElementById("loading_text");
  if (text) text.textContent = `Laster dashbordet … (${cellIndex} av ${cellCount})`;
};
