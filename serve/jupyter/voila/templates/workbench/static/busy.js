// The busy page (503.html): count down to an automatic retry, then reload. The viewer
// can stop it (WCAG 2.2.1: a time limit one can turn off); the link «Prøv igjen nå»
// retries at once. Without JavaScript the paragraph stays hidden and the link remains.
(function () {
  "use strict";
  const box = document.getElementById("wb-automatisk");
  const counter = document.getElementById("wb-nedtelling");
  const stop = document.getElementById("wb-stopp");
  if (!box || !counter || !stop) return;
  box.hidden = false;
  let left = parseInt(counter.dataset.seconds, 10) || 10;
  const timer = setInterval(() => {
    left = Math.max(left - 1, 0);
    counter.textContent = String(left);
    if (left === 0) {
      clearInterval(timer);
      location.reload();
    }
  }, 1000);
  stop.addEventListener("click", () => {
    clearInterval(timer);
    box.textContent = "Automatisk nytt forsøk er stoppet. Bruk «Prøv igjen nå» når du vil.";
  });
})();
