// Copy buttons: <button data-copy="ID"> copies the value of the input with that id and shows
// the element marked data-copied-for="ID". Without the clipboard API the text is selected.
(function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var done = document.querySelector('[data-copied-for="' + button.getAttribute("data-copy") + '"]');
    if (!input) return;
    button.addEventListener("click", function () {
      var shown = function () { if (done) done.hidden = false; };
      input.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(shown, function () {});
      } else if (document.execCommand && document.execCommand("copy")) {
        shown();
      }
    });
  });
})();
