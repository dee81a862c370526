// The busy page (503.html): count the seconds down to the automatic retry. The retry
// itself is the page's <meta http-equiv="refresh">, so it happens without JavaScript too.
(function () {
  "use strict";
  const counter = document.getElementById("wb-nedtelling");
  if (!counter) return;
  let left = parseInt(counter.dataset.seconds, 10) || 10;
  const timer = setInterval(() => {
    left = Math.max(left - 1, 0);
    counter.textContent = String(left);
    if (left === 0) clearInterval(timer);
  }, 1000);
})();
