// The calendar's now-line: the server places it in the quarter-hour row of the current minute;
// this moves it within its row and on to the next rows as time passes. Without script the line
// stays where the server put it.
(function () {
  var lines = document.querySelectorAll(".cal-now[data-minute]");
  if (!lines.length) return;
  var loaded = Date.now();
  var ROW = 15;
  function place() {
    var elapsed = Math.floor((Date.now() - loaded) / 60000);
    lines.forEach(function (line) {
      var first = parseInt(line.getAttribute("data-first"), 10);
      var minute = parseInt(line.getAttribute("data-minute"), 10) + elapsed;
      var rowHeight = parseFloat(window.getComputedStyle(line.parentNode).gridAutoRows) || 0;
      var row = Math.floor((minute - first) / ROW) + 1;
      line.className = line.className.replace(/\br\d+\b/, "r" + row);
      if (rowHeight) line.style.marginTop = ((minute - first) % ROW) / ROW * rowHeight + "px";
    });
  }
  place();
  window.setInterval(place, 60000);
})();
