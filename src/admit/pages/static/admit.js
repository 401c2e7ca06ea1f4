// A little JavaScript: modals, tabs, role choices that follow the user type, no double submit.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.open);
    if (dialog) {
      if (opener.dataset.userType) {
        const select = dialog.querySelector("select[name=user_type]");
        if (select) { select.value = opener.dataset.userType; select.dispatchEvent(new Event("change")); }
      }
      dialog.showModal();
      const first = dialog.querySelector("textarea, input:not([type=hidden])");
      if (first) first.focus();
    }
    event.preventDefault();
  }
  // A confirmation pop-up: the button names the action URL, the question and the verb.
  const asker = event.target.closest("[data-confirm-action]");
  if (asker) {
    const dialog = document.getElementById("confirm-dialog");
    dialog.querySelector("form").action = asker.dataset.confirmAction;
    dialog.querySelector("[data-confirm-text]").textContent = asker.dataset.confirmText;
    const go = dialog.querySelector("button[type=submit]");
    go.textContent = asker.dataset.confirmButton || "Confirm";
    go.classList.toggle("danger-fill", asker.classList.contains("danger"));
    go.disabled = false;
    dialog.showModal();
    event.preventDefault();
  }
  // Copy Link: to the clipboard, and say so (falls back to selecting the text).
  const copier = event.target.closest("[data-copy]");
  if (copier) {
    const field = document.getElementById(copier.dataset.copy);
    const said = document.getElementById(copier.dataset.copyStatus);
    const say = (text) => { if (said) said.textContent = text; };
    const fallback = () => {
      field.select();
      try { document.execCommand("copy"); say("Link copied to the clipboard."); } catch (e) { say("Press Ctrl+C (or Cmd+C) to copy the selected link."); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(() => say("Link copied to the clipboard."), fallback);
    } else {
      fallback();
    }
    event.preventDefault();
  }
  const closer = event.target.closest("[data-close]");
  if (closer) { closer.closest("dialog").close(); event.preventDefault(); }
  const tab = event.target.closest("[data-tab]");
  if (tab) {
    const box = tab.closest("[data-tabs]");
    box.querySelectorAll("[data-tab]").forEach((t) => t.classList.toggle("active", t === tab));
    box.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== tab.dataset.tab; });
    // Buttons outside the panels that belong to one tab (the modal's Send Invitation).
    (box.closest("dialog") || document).querySelectorAll("[data-for-tab]").forEach((el) => {
      el.hidden = el.dataset.forTab !== tab.dataset.tab;
    });
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[name=user_type]")) {
    const form = event.target.form;
    const isClient = event.target.value === "client";
    form.querySelectorAll("[data-internal-only]").forEach((el) => { el.hidden = isClient; });
    const role = form.querySelector("select[name=role]");
    if (role) role.disabled = isClient;
  }
});

document.addEventListener("submit", (event) => {
  // One submission per click: a double click must not send the form twice.
  event.target.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => {
    setTimeout(() => { b.disabled = true; }, 0);
  });
});
