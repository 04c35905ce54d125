// Safe actions: a form (or a submit button) with data-confirm="…" asks in a <dialog> before it
// is sent, saying what will happen. "Go back" sends nothing; the chosen button's name and
// value are kept when it is sent.
(function () {
  var dialog, text, yes, pending;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-text");
    text = document.createElement("p");
    text.id = "confirm-text";
    var actions = document.createElement("div");
    actions.className = "actions";
    yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger";
    yes.textContent = "Yes, go ahead";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.textContent = "Go back";
    actions.appendChild(yes);
    actions.appendChild(no);
    dialog.appendChild(text);
    dialog.appendChild(actions);
    document.body.appendChild(dialog);
    no.addEventListener("click", function () { pending = null; dialog.close(); });
    yes.addEventListener("click", function () {
      var p = pending;
      pending = null;
      dialog.close();
      if (!p) return;
      p.form.setAttribute("data-confirmed", "1");
      if (p.form.requestSubmit) { p.form.requestSubmit(p.submitter || undefined); } else { p.form.submit(); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!message) return;
    if (form.getAttribute("data-confirmed") === "1") { form.removeAttribute("data-confirmed"); return; }
    if (typeof HTMLDialogElement === "undefined") { if (!window.confirm(message)) event.preventDefault(); return; }
    event.preventDefault();
    if (!dialog) build();
    pending = { form: form, submitter: submitter };
    text.textContent = message;
    dialog.showModal();
    yes.focus();
  });
})();
