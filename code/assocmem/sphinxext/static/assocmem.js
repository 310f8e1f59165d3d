/* assocmem: the static widgets of the book (assocmem.viz.widgets.FigureWidget.static_html).
   Each widget holds one precomputed image per grid point (data-key = the control indices, joined
   by ","); moving a range input shows the matching image. No kernel, no network. */
(function () {
  function wire(box) {
    var inputs = Array.prototype.slice.call(box.querySelectorAll("input[type=range][data-control]"));
    var images = box.querySelectorAll(".assocmem-static-frames img");
    function show() {
      var key = inputs.map(function (input) { return input.value; }).join(",");
      images.forEach(function (img) { img.hidden = img.getAttribute("data-key") !== key; });
      inputs.forEach(function (input) {
        var labels = JSON.parse(input.getAttribute("data-labels") || "[]");
        var out = input.closest(".assocmem-static-control").querySelector("output");
        if (out && labels.length) { out.textContent = labels[Number(input.value)]; }
      });
    }
    inputs.forEach(function (input) { input.addEventListener("input", show); input.addEventListener("change", show); });
  }
  /* Display equations wider than the text column are scaled down to fit (down to 60 %), instead
     of scrolling under their equation number; the number sits on its own line on a narrow screen. */
  function fitEquations() {
    document.querySelectorAll("mjx-container[display='true']").forEach(function (eq) {
      eq.style.fontSize = "";
      var box = eq.parentElement;
      var room = box ? box.clientWidth : 0;
      if (room && eq.scrollWidth > room) {
        eq.style.fontSize = Math.max(60, Math.floor(100 * room / eq.scrollWidth)) + "%";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".assocmem-static-widget").forEach(wire);
    var mj = window.MathJax;
    var ready = mj && mj.startup && mj.startup.promise;
    if (ready) { ready.then(fitEquations); }
    var timer = null;
    window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(fitEquations, 150); });
  });
})();
