// The top navigation: marks the link of the current page (aria-current) and, on narrow
// screens, folds the links behind a "Menu" button. Without script every link simply shows.
(function () {
  var bar = document.querySelector(".topbar");
  var nav = bar && bar.querySelector(".topnav");
  if (!nav) return;
  var here = window.location.pathname;
  var best = null;
  nav.querySelectorAll("a[href]").forEach(function (link) {
    var path = link.getAttribute("href").split("?")[0];
    var matches = here === path || here.indexOf(path + "/") === 0;
    if (matches && (!best || path.length > best.path.length)) best = { link: link, path: path };
  });
  if (best) best.link.setAttribute("aria-current", "page");
  if (nav.children.length < 4) return;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "menu-button secondary";
  button.textContent = "Menu";
  button.setAttribute("aria-expanded", "false");
  nav.id = nav.id || "topnav";
  button.setAttribute("aria-controls", nav.id);
  button.addEventListener("click", function () {
    var open = bar.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  bar.insertBefore(button, nav);
  bar.classList.add("has-menu");
})();
