// Time-zone fields (<input list=… data-browser-zone>): the browser's own zone is the default
// of a fresh sign-up form ("fill"); elsewhere ("offer") a button offers it, keeping the
// choice already made. Only zones in the field's list are used.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    var list = input.list;
    var known = !list || Array.prototype.some.call(list.options, function (option) {
      return option.value === zone;
    });
    if (!known || input.value === zone) return;
    if (input.getAttribute("data-browser-zone") === "fill") {
      input.value = zone;
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "Use this device's time zone (" + zone + ")";
    button.addEventListener("click", function () {
      input.value = zone;
      input.focus();
    });
    input.parentNode.insertBefore(button, input.nextSibling);
  });
})();
