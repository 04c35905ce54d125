// Suggests the booking address from the business name until the owner edits it.
(function () {
  var name = document.getElementById("business_name");
  var slug = document.getElementById("slug");
  if (!name || !slug) return;
  var edited = slug.value !== "";
  slug.addEventListener("input", function () { edited = slug.value !== ""; });
  name.addEventListener("input", function () {
    if (edited) return;
    slug.placeholder = name.value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "suggested from the name";
  });
})();
