// A little JavaScript: modals and side panels (Invite, Members), tabs, role choices that follow the user type, no double submit.

// A page that answers a form (an API key shown once, a form with its errors): reloading it must
// not send the form again (a second key, a second invitation). The entry becomes a plain GET.
if (document.body.hasAttribute("data-posted")) history.replaceState(null, "", location.href);
// A page opened by a secret link (an invitation, a sign-in link…): the token leaves the address
// bar once the page has landed; the forms carry it in their own action.
if (document.body.dataset.secretPath) history.replaceState(null, "", document.body.dataset.secretPath);
// A recipient as a chip shows it, in User Management's Invite box and a workspace's Invite panel:
// the name given with the address read ("Cleo Client <cleo@client.example>"), else the address;
// what was typed when no address was read (``item``: the recipients check's). The address as the
// pages show it (``shown``: "+1 202-555-0173", where it is stored "+12025550173").
function recipientShown(item) {
  const address = item.shown || item.address;
  return address ? (item.name ? `${item.name} <${address}>` : address) : item.text;
}

// Where a colleague's address is (recipients/check's ``colleague``, the server's rule:
// ``members.service.colleagues_among``), said alike by a workspace's Invite panel and User
// Management's Invite box when either would invite them as a client: "at acme.com, your
// company's domain".
function colleagueDomainSaid(address) {
  return `at ${address.split("@")[1]}, your company's domain`;
}

// A fault said under a field, as the server says one (``_fields.html``: its words in a
// .field-error under it, the field marked and described by it), or, with no text, taken away:
// what the page finds before the server is asked (a Contacts dialog's Next, the workspace
// Invite panel's Enter) looks as the server's refusal would.
function sayUnder(input, text) {
  const id = `${input.id}_error`;
  let under = document.getElementById(id);
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((d) => d && d !== id);
  if (!text) {
    if (under) under.remove();
    input.removeAttribute("aria-invalid");
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
    return;
  }
  if (!under) {
    under = Object.assign(document.createElement("div"), { className: "field-error", id });
    input.insertAdjacentElement("afterend", under);
  }
  under.textContent = text;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", [id, ...described].join(" "));
}

// A dialog opened from a row menu: the menu closes as the dialog opens, so the browser cannot
// put the focus back where it was (a hidden item) when the dialog is dismissed; it goes to the
// menu's button.
function returnFocusOnClose(dialog, back) {
  dialog.addEventListener("close", () => { if (back && back.isConnected) back.focus(); }, { once: true });
}

// The rename dialog set for the button that opens it: its action, title and longest name.
function renameFor(dialog, renamer) {
  dialog.querySelector("form").action = renamer.dataset.renameAction;
  dialog.querySelector("[data-rename-title]").textContent = renamer.dataset.renameTitle || "Rename";
  const input = dialog.querySelector("input[name=name]");
  input.maxLength = Number(renamer.dataset.renameMax || 200);
  const menu = renamer.closest("details.row-menu");
  if (menu) menu.open = false;
  returnFocusOnClose(dialog, menu ? menu.querySelector("summary") : renamer);
  return input;
}

// An open modal dialog keeps the focus: Tab from its last control goes to its first, Shift+Tab
// from its first to its last (showModal alone let Tab leave to the page's body, then stop on the
// dialog itself, before coming back to its ×).
const FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])";
document.addEventListener("keydown", (event) => {
  if (event.key !== "Tab" || event.defaultPrevented) return;
  // The dialog the focus is in (showModal puts it in the one it opens: a dialog opened over
  // another may come earlier in the page, and the page's order alone would pick the inert one
  // below); else, the focus left on the page, the last in the page.
  const dialogs = [...document.querySelectorAll("dialog:modal")];
  const dialog = dialogs.findLast((d) => d.contains(document.activeElement)) || dialogs[dialogs.length - 1];
  if (!dialog) return;
  const controls = [...dialog.querySelectorAll(FOCUSABLE)]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length && !el.closest("[inert]")
      // a radio group is one stop, its checked one (as Tab treats it)
      && !(el.type === "radio" && !el.checked && el.form && [...el.form.elements].some((r) => r.name === el.name && r.checked)));
  if (!controls.length) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const at = document.activeElement;
  const outside = !dialog.contains(at) || at === dialog;
  if (event.shiftKey && (at === first || outside)) { event.preventDefault(); last.focus(); }
  else if (!event.shiftKey && (at === last || outside)) { event.preventDefault(); first.focus(); }
});

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.open);
    if (dialog) {
      if (opener.dataset.userType) {
        const select = dialog.querySelector("select[name=user_type]");
        if (select) { select.value = opener.dataset.userType; select.dispatchEvent(new Event("change")); }
      }
      // "Invite again" (a revoked invitation's row): the Invite box filled in as it was.
      if (opener.dataset.role) {
        const role = dialog.querySelector("select[name=role]");
        if (role) { role.value = opener.dataset.role; role.dispatchEvent(new Event("change", { bubbles: true })); }
      }
      if (opener.dataset.products !== undefined) {
        const given = opener.dataset.products.split(",").filter(Boolean);
        dialog.querySelectorAll("input[name=products]").forEach((box) => { box.checked = given.includes(box.value); });
      }
      if (opener.dataset.recipients) {
        const box = dialog.querySelector("textarea[name=recipients]");
        if (box) { box.value = opener.dataset.recipients; box.dispatchEvent(new Event("input", { bubbles: true })); }
      }
      // From a … menu (the workspace's Members, an action's Edit): the menu closes as the
      // dialog opens, and the focus comes back to its button.
      const menu = opener.closest("details.row-menu[open]");
      if (menu) { menu.open = false; returnFocusOnClose(dialog, menu.querySelector("summary")); }
      dialog.showModal();
      // Its first field, or where the dialog says it opens (the Members panel: its heading).
      const first = dialog.querySelector("[data-opens-here], textarea, input:not([type=hidden])");
      if (first) first.focus();
    }
    event.preventDefault();
  }
  // A confirmation pop-up: the button names the action URL, the question and the verb.
  // Greyed out (a Reinvite, a Resend waiting out the per-person limit: ``data-wait``): nothing
  // to confirm, no form sent.
  if (event.target.closest('[data-wait][aria-disabled="true"]')) { event.preventDefault(); return; }
  const asker = event.target.closest("[data-confirm-action]");
  if (asker) {
    const dialog = document.getElementById("confirm-dialog");
    dialog.querySelector("form").action = asker.dataset.confirmAction;
    dialog.querySelector("[data-confirm-text]").textContent = asker.dataset.confirmText;
    // A title when the button gives one: it names the dialog, the question describing it.
    const title = dialog.querySelector("[data-confirm-title]");
    const titled = Boolean(asker.dataset.confirmTitle);
    title.textContent = asker.dataset.confirmTitle || "";
    title.hidden = !titled;
    dialog.setAttribute("aria-labelledby", titled ? "confirm-title" : "confirm-question");
    if (titled) dialog.setAttribute("aria-describedby", "confirm-question");
    else dialog.removeAttribute("aria-describedby");
    const go = dialog.querySelector("button[type=submit]");
    go.textContent = asker.dataset.confirmButton || "Confirm";
    go.classList.toggle("danger-fill", asker.classList.contains("danger"));
    go.disabled = false;
    // The page's own query (its filters, sort and page): where the action comes back to.
    dialog.querySelector("input[name=back]").value = location.search;
    const menu = asker.closest("details[open]");  // the row menu it came from closes
    if (menu) menu.open = false;
    returnFocusOnClose(dialog, menu ? menu.querySelector("summary") : asker);
    dialog.showModal();
    event.preventDefault();
  }
  // A button that posts at once, with no question (it says what it does beside it: the invite
  // link's "Turn on"): through the confirm dialog's form, which holds the page's CSRF token.
  const poster = event.target.closest("[data-post-action]");
  if (poster) {
    const form = document.querySelector("#confirm-dialog form");
    form.action = poster.dataset.postAction;
    form.querySelector("input[name=back]").value = location.search;
    poster.disabled = true;  // one click, one post
    form.submit();
    event.preventDefault();
  }
  // Rename: one dialog for teams, client groups, contacts and roles; the button names the
  // action URL, the title, the current name and the longest name allowed.
  const renamer = event.target.closest("[data-rename-action]");
  if (renamer) {
    const dialog = document.getElementById("rename-dialog");
    const input = renameFor(dialog, renamer);
    // Another rename than the one refused: the earlier refusal is not about it.
    dialog.querySelectorAll(".field-error, [data-error]").forEach((el) => el.remove());
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    input.value = renamer.dataset.renameName || "";
    dialog.showModal();
    input.focus();
    input.select();
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
    box.querySelectorAll("[data-tab]").forEach((t) => {
      t.classList.toggle("active", t === tab);
      // Tabs of panels (role=tab): the one selected is said so, and is the one Tab reaches.
      if (t.getAttribute("role") === "tab") {
        t.setAttribute("aria-selected", String(t === tab));
        if (t === tab) t.removeAttribute("tabindex"); else t.tabIndex = -1;
      }
    });
    box.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== tab.dataset.tab; });
    // Buttons outside the panels that belong to one tab (the modal's Send Invitation).
    (box.closest("dialog") || document).querySelectorAll("[data-for-tab]").forEach((el) => {
      el.hidden = el.dataset.forTab !== tab.dataset.tab;
    });
    event.preventDefault();
  }
});

// A tab list's arrow keys (Left, Right, Home, End) move to and open the tab beside, as a
// screen reader user expects of role=tab (the click handler above opens it).
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest && event.target.closest('[role=tablist] [role=tab]');
  if (!tab || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
  const tabs = [...tab.closest("[role=tablist]").querySelectorAll("[role=tab]")];
  const at = tabs.indexOf(tab);
  const to = { ArrowLeft: at - 1 + tabs.length, ArrowRight: at + 1, Home: 0, End: tabs.length - 1 }[event.key] % tabs.length;
  tabs[to].focus();
  tabs[to].click();
  event.preventDefault();
});

document.addEventListener("change", (event) => {
  // A file chosen in the Invite box is previewed before anything is sent: its Send button says
  // so ("Preview"), and says "Send Invitation" again once the file is taken away.
  if (event.target.matches("input[type=file][name=file]")) {
    const send = event.target.form && event.target.form.querySelector("button[type=submit][data-for-tab=invite]");
    if (send) {
      send.dataset.sendWords = send.dataset.sendWords || send.textContent;
      send.textContent = event.target.files.length ? "Preview" : send.dataset.sendWords;
    }
  }
  if (event.target.matches("select[name=user_type]")) {
    const form = event.target.form;
    const isClient = event.target.value === "client";
    form.querySelectorAll("[data-internal-only]").forEach((el) => { el.hidden = isClient; });
    form.querySelectorAll("[data-client-only]").forEach((el) => { el.hidden = !isClient; });
    const role = form.querySelector("select[name=role]");
    if (role) role.disabled = isClient;
    // The Invite box's title and the line beside Send say whom it invites ("Invite Clients",
    // "Invites clients").
    form.querySelectorAll("[data-said-for]").forEach((said) => {
      said.textContent = JSON.parse(said.dataset.saidFor)[event.target.value] || said.textContent;
    });
  }
  // The owners' confirmation (_owners.html) a Send or Save of Owner asked for stands for the
  // roles it names (data-asked-for, from the policy): another role (or a client) asks none, so it
  // goes, and its tick (required) holds nothing up.
  if (event.target.matches("select[name=role]:not([data-list-role]), select[name=user_type]")) {
    const form = event.target.form;
    const owners = form && form.querySelector("[data-owners]");
    if (!owners) return;
    const role = form.querySelector("select[name=role]");
    const asks = Boolean(role && !role.disabled && owners.dataset.askedFor.split(" ").includes(role.value));
    owners.hidden = !asks;
    owners.querySelectorAll("input").forEach((input) => { input.disabled = !asks; });
  }
});

// A paste bigger than a form field may carry (the server takes fields up to 1 MB) goes as a
// file instead: the server turns it into an import with its preview, never an error page.
const PASTE_AS_FILE = 512 * 1024;
document.addEventListener("submit", (event) => {
  const form = event.target;
  const box = form.querySelector("textarea[name=recipients]");
  const file = form.querySelector("input[type=file][name=file]");
  if (!box || !file || file.files.length || box.value.length < PASTE_AS_FILE) return;
  const moved = new DataTransfer();
  moved.items.add(new File([box.value], "pasted-addresses.txt", { type: "text/plain" }));
  file.files = moved.files;
  box.value = "";
}, true);

document.addEventListener("submit", (event) => {
  // One submission per click: a double click must not send the form twice.
  event.target.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => {
    setTimeout(() => { b.disabled = true; }, 0);
  });
});

// Show or hide the element a button names (Not Joined → Resend Invitation, Assign, "+").
function showFirstOf(target) {
  const first = target.querySelector("input:not([type=hidden]), select, button[type=submit]");
  if (first) first.focus();
}
document.addEventListener("click", (event) => {
  const toggler = event.target.closest("[data-toggle]");
  if (!toggler) return;
  const target = document.getElementById(toggler.dataset.toggle);
  event.preventDefault();
  if (!target) return;
  // A side panel's button for something of the page behind it (the Invite panel's Assign of an
  // unassigned role): the panels over it are put away, then it is shown, on screen and with the
  // focus, once each panel has given the focus back to what opened it (their "close" listeners).
  const over = Array.from(document.querySelectorAll("dialog[open]")).filter((d) => !d.contains(target));
  if (over.length) {
    over.reverse().forEach((d) => d.close());
    over[over.length - 1].addEventListener("close", () => {
      target.hidden = false;
      document.querySelectorAll(`[data-toggle="${CSS.escape(target.id)}"][aria-expanded]`).forEach((b) => b.setAttribute("aria-expanded", "true"));
      target.scrollIntoView({ block: "nearest" });
      showFirstOf(target);
    }, { once: true });
    return;
  }
  target.hidden = !target.hidden;
  if (toggler.hasAttribute("aria-expanded")) toggler.setAttribute("aria-expanded", String(!target.hidden));
  if (!target.hidden) showFirstOf(target);
});
// Escape puts away what a button showed (Not Joined's Resend Invitation), focus back on that
// button, before anything around it (the Members panel it sits in) closes.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !event.target.closest) return;
  const shown = event.target.closest("[id]:not([hidden])");
  const toggler = shown && document.querySelector(`[data-toggle="${CSS.escape(shown.id)}"][aria-expanded="true"]`);
  const own = event.target.matches("[data-toggle][aria-expanded=true]") ? event.target : toggler;
  if (!own) return;
  const target = document.getElementById(own.dataset.toggle);
  if (!target || target.hidden) return;
  target.hidden = true;
  own.setAttribute("aria-expanded", "false");
  own.focus();
  event.preventDefault();
  event.stopPropagation();
}, true);

// A dialog marked data-autopen opens with the page (e.g. to show an error inside it).
// A refused rename comes back with its dialog open on the name typed: titled as the button that
// opened it said.
// A link to a side panel's section (…/workspaces/<id>#members, bookmarked or shared) opens that
// panel too, as ?q= does; the page alone without it.
document.addEventListener("DOMContentLoaded", () => {
  let named = null;
  try { named = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1))); } catch { named = null; }
  const holder = named && named.tagName === "SECTION" && named.closest("dialog.side");
  if (holder) holder.setAttribute("data-autopen", "");
  document.querySelectorAll("dialog[data-autopen]").forEach((d) => {
    if (d.dataset.renamed) {
      const path = (url) => new URL(url, location.href).pathname;
      const renamer = Array.from(document.querySelectorAll("[data-rename-action]"))
        .find((b) => path(b.dataset.renameAction) === path(d.dataset.renamed));
      if (renamer) renameFor(d, renamer);
    }
    if (!d.open) d.showModal();
    // What the panel came back to say (Resend's "Invitation resent to …") has the focus, where
    // it would fall on its first button (a field in error keeps it: autofocus). After the first
    // frame: the page's own first focusing would undo it; not if the person moved it since.
    const note = d.querySelector(".panel-note");
    const start = d.querySelector("[data-opens-here]");
    if (start && !note && !d.querySelector("[autofocus]")) start.focus();
    if (note && !d.querySelector("[autofocus]")) {
      note.tabIndex = -1;
      const picked = document.activeElement;
      requestAnimationFrame(() => setTimeout(() => {
        const now = document.activeElement;
        if (d.open && (now === picked || now === document.body)) note.focus();
      }, 0));
    }
  });
});

// Workspace Invite panel: suggestions as you type (this portal's members only), picked people
// become chips; nothing found → "No matches found" with Invite New Client / Internal User.
(() => {
  const panel = () => document.getElementById("invite-panel");
  let timer = null;
  let asked = 0;
  let chipping = Promise.resolve(true);
  const looksLikeAddress = (q) => q.includes("@") || /^\+?[\d\s().\-/]{4,}$/.test(q);
  const fold = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();

  // The suggestions are a combobox (ARIA's combobox pattern, its list a listbox): the box keeps
  // the focus; ↓ and ↑ move the highlight (aria-activedescendant) over the options that can be
  // picked, Enter picks the highlighted one, Escape closes the list.
  const listOf = (input) => input.form.querySelector("[data-suggestions]");
  const choices = (input) => [...listOf(input).querySelectorAll("[role=option]:not([aria-disabled])")];
  const highlighted = (input) => {
    const id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  };
  function highlight(input, option) {
    listOf(input).querySelectorAll("[role=option]").forEach((o) => o.setAttribute("aria-selected", String(o === option)));
    if (option) { input.setAttribute("aria-activedescendant", option.id); option.scrollIntoView({ block: "nearest" }); }
    else input.removeAttribute("aria-activedescendant");
  }
  function shown(input, open) {
    const list = listOf(input);
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (!open) highlight(input, null);
  }
  document.querySelectorAll("[data-people-search]").forEach((input) => {
    const list = listOf(input);
    list.id = list.id || `${input.id}-suggestions`;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    Object.entries({ role: "combobox", "aria-autocomplete": "list", "aria-controls": list.id, "aria-expanded": "false" })
      .forEach(([k, v]) => input.setAttribute(k, v));
  });

  function pick(form, person) {
    const chips = form.querySelector("[data-picked]");
    if (chips.querySelector(`input[value="${person.id}"]`)) return;
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.dataset.chip = person.label;
    chip.textContent = person.label + " ";
    const input = document.createElement("input");
    input.type = "hidden"; input.name = "user_ids"; input.value = person.id;
    const remove = document.createElement("button");
    remove.type = "button"; remove.textContent = "×"; remove.setAttribute("aria-label", "Remove " + person.label);
    remove.dataset.chipRemove = "";
    chip.append(input, remove);
    chips.append(chip);
  }

  // What recipients/check makes of ``text`` (the server's own reading: the address, or why it
  // is not one; whether Invite would skip it; whether it looks like a colleague's), or null.
  async function check(form, text) {
    try {
      const r = await fetch(panel().dataset.checkUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": form.querySelector("[name=csrf_token]").value },
        body: JSON.stringify({ text, workspace_id: panel().dataset.workspaceId }),
      });
      return r.ok ? (await r.json()).items || [] : null;
    } catch (e) { return null; }
  }

  // What Invite does with one checked address that is nobody picked, in words: a new one is
  // invited as a client; one invited already joins on that invitation; a member is added.
  // Someone in this workspace already is said so (the check was told the workspace).
  const fate = (item) => item.skip === "already_in_workspace" ? item.detail
    : item.skip === "already_invited"
    ? `${item.address} is already invited to the portal: nothing new is sent, they join this workspace when they accept.`
    : item.skip === "already_member" ? `${item.address} is in the portal: they will be added.`
    : `${item.address} is not in the portal: they will be invited as a client.`;

  // An address typed (Enter, comma, semicolon) as a chip, as a suggestion picked is one: its
  // hidden ``recipients`` goes with Invite; a bad one is marked with its reason (Invite reports
  // it, the others going ahead); one that looks like a colleague's offers the internal way.
  function typedChip(form, item) {
    const chips = form.querySelector("[data-picked]");
    const value = item.text.trim();
    if ([...chips.querySelectorAll("input[name=recipients]")].some((i) => i.value === value)) return;
    const chip = document.createElement("span");
    chip.className = "chip typed" + (item.error ? " bad" : "");
    // As the Invite box shows it (``recipientShown``: "Cleo Client <cleo@client.example>"); a
    // number given alone as typed ("+1 202 555 0173", not E.164).
    const shown = item.address && !item.address.includes("@") && !item.name ? value : recipientShown(item);
    chip.dataset.chip = shown;
    chip.dataset.typedChip = item.error ? "bad" : "ok";
    chip.textContent = shown + " ";
    const why = document.createElement("span");
    why.className = "chip-why";
    why.textContent = item.error ? item.error : item.skip ? fate(item).replace(`${item.address} `, "") : "new: invited as a client";
    const input = Object.assign(document.createElement("input"), { type: "hidden", name: "recipients", value });
    chip.append(why, input);
    const internal = panel().querySelector('[data-no-matches] [data-new-person="internal"]');
    if (item.colleague && !item.error && !item.skip && internal) {
      const instead = document.createElement("button");
      instead.type = "button";
      instead.textContent = "Invite as internal user";
      instead.setAttribute("aria-label", `Invite ${item.address} as an internal user instead`);
      instead.addEventListener("click", () => {
        chip.remove();
        form.querySelector("[data-people-search]").value = item.address;
        internal.click();
      });
      chip.append(instead);
    }
    const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "×" });
    remove.className = "chip-x";
    remove.setAttribute("aria-label", "Remove " + shown);
    remove.dataset.chipRemove = "";
    chip.append(remove);
    chips.append(chip);
  }

  // Enter, comma or semicolon after an address: the suggestion that is that very address is
  // picked; otherwise the text becomes chips, one per recipient in it.
  async function chipTyped(input) {
    const form = input.form;
    const typed = input.value;
    const q = typed.trim().replace(/[,;]+$/, "").trim();
    if (!q || !looksLikeAddress(q)) return false;
    const same = [...form.querySelectorAll("[data-suggestions] [data-suggestion]:not([aria-disabled])")]
      .find((b) => b.dataset.suggestion.toLowerCase() === q.toLowerCase());
    if (same) { same.click(); return true; }
    // Add Team Members: only people already in the portal are picked there; an address no one
    // has is "No matches found" (its search), not a client's chip.
    if (form.hasAttribute("data-team-form")) return false;
    const items = await check(form, q);
    if (items === null) return false;  // the server will read the box's text at Invite
    items.forEach((item) => typedChip(form, item));
    // What was typed while the server read it stays, for the next chip.
    input.value = input.value.startsWith(typed) ? input.value.slice(typed.length).replace(/^[\s,;]+/, "") : input.value;
    shown(input, false);
    form.querySelector("[data-no-matches]").hidden = true;
    sayUnder(input, null);
    note(form, null);
    input.focus();
    return true;
  }

  // The note under the box for the address being typed (null: none).
  // A colleague's address puts Invite New Internal User first (the primary button).
  function note(form, item) {
    const box = form.querySelector("[data-typed-note]");
    if (!box) return;
    const colleague = Boolean(item && item.colleague && !item.skip);
    const internal = form.querySelector('[data-no-matches] [data-new-person="internal"]');
    if (internal) internal.classList.toggle("primary", colleague);
    box.hidden = !item;
    if (!item) return;
    box.querySelector("[data-typed-said]").textContent = fate(item);
    box.querySelector("[data-typed-colleague]").hidden = !colleague;
    box.querySelector("[data-colleague-said]").textContent = `Their address is ${colleagueDomainSaid(item.address)}.`;
  }

  async function search(input) {
    const dialog = panel();
    const form = input.form;
    const list = form.querySelector("[data-suggestions]");
    const none = form.querySelector("[data-no-matches]");
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) { shown(input, false); none.hidden = true; return; }
    let items = [];
    try {
      // Add Team Members suggests internal users only (the box's data-user-type).
      const type = input.dataset.userType ? `&user_type=${encodeURIComponent(input.dataset.userType)}` : "";
      const r = await fetch(`${dialog.dataset.peopleUrl}?q=${encodeURIComponent(q)}&limit=8&workspace_id=${dialog.dataset.workspaceId}${type}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (r.ok) items = (await r.json()).items || [];
    } catch (e) { items = []; }
    if (mine !== asked) return; // a newer keystroke has its own answer coming
    list.replaceChildren();
    highlight(input, null);
    let n = 0;
    const option = (b) => {
      b.setAttribute("role", "option");
      b.setAttribute("aria-selected", "false");
      b.tabIndex = -1;  // the box keeps the focus (aria-activedescendant); a click still picks
      b.id = `${list.id}-${n++}`;
      const li = document.createElement("li");
      li.setAttribute("role", "none");
      li.append(b);
      list.append(li);
    };
    items.forEach((m) => {
      const u = m.user;
      const address = u.email || u.phone || "";
      const label = u.name ? `${u.name} (${address})` : address;
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `${label} · ${m.user_type === "client" ? "Client" : "Internal user"}`;
      b.dataset.suggestion = address;
      if (m.in_workspace) {  // shown, so that no one wonders where they went, but not picked again
        b.setAttribute("aria-disabled", "true");
        const here = document.createElement("span");
        here.className = "suggestion-here";
        here.textContent = "Already in this workspace";
        b.append(" ", here);
        option(b);
        return;
      }
      b.addEventListener("click", () => {
        pick(form, { id: u.id, label: u.name || address });
        input.value = ""; shown(input, false); none.hidden = true; sayUnder(input, null); input.focus();
      });
      option(b);
    });
    // The portal's teams and client groups this person may add (the form's select lists them)
    // whose name holds what was typed: picking one chooses it there, as choosing it would.
    const select = form.querySelector("select[name=team]");
    const folded = fold(q);
    const teams = select ? Array.from(select.options).filter((o) => o.value && !o.disabled && fold(o.text).includes(folded)).slice(0, 5) : [];
    teams.forEach((o) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `${o.text} · ${o.value.startsWith("team:") ? "Team" : "Client group"}`;
      b.dataset.suggestionTeam = o.value;
      b.addEventListener("click", () => {
        select.value = o.value;
        input.value = ""; shown(input, false); none.hidden = true; sayUnder(input, null); select.focus();
      });
      option(b);
    });
    shown(input, items.length + teams.length !== 0);
    none.hidden = items.length + teams.length !== 0;
    // As one types, the first suggestion is highlighted (Enter picks it), unless what is typed
    // is a whole address (the server's check says so): Enter makes that address a chip, never
    // swapped for someone suggested because theirs is like it. Add Team Members takes no
    // address typed, so there the first is always highlighted.
    const first = choices(input)[0];
    const addressy = looksLikeAddress(q) && !form.hasAttribute("data-team-form");
    if (first && !addressy) highlight(input, first);
    const read = addressy ? await check(form, q) : null;
    if (mine !== asked) return;
    const one = read && read.length === 1 && !read[0].error ? read[0] : null;
    if (first && addressy && !one) highlight(input, first);
    input.dataset.searched = q;
    // A whole address that is nobody suggested: say what Invite will do with it.
    const suggested = items.some((m) => [m.user.email, m.user.phone].includes(q.toLowerCase()));
    note(form, suggested ? null : one);
  }

  document.addEventListener("input", (event) => {
    if (!event.target.matches("[data-people-search]")) return;
    if (event.target.getAttribute("aria-invalid") === "true") sayUnder(event.target, null);
    clearTimeout(timer);
    const input = event.target;
    timer = setTimeout(() => search(input), 180);
  });
  document.addEventListener("keydown", async (event) => {
    if (!event.target.matches("[data-people-search]")) return;
    const input = event.target;
    const open = !listOf(input).hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const options = choices(input);
      if (!open || !options.length) return;
      event.preventDefault();
      const at = options.indexOf(highlighted(input));
      const down = event.key === "ArrowDown";
      highlight(input, options[at < 0 ? (down ? 0 : options.length - 1) : (at + (down ? 1 : options.length - 1)) % options.length]);
      return;
    }
    if (event.key === "Escape" && open) {
      event.preventDefault();  // the list closes, not the panel
      shown(input, false);
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();  // Enter in this box never sends the form
      clearTimeout(timer);
      // A name typed and Enter before its suggestions came: look for it now, so that Enter picks
      // from its suggestions, not from those of the text before. (An address typed so goes on
      // to be a chip as it is, never waiting: what is typed after it must not run into it.)
      const typed = input.value.trim();
      if (typed && !looksLikeAddress(typed) && input.dataset.searched !== typed) {
        await search(input);
        if (input.value.trim() !== typed) return;  // typed on meanwhile: that Enter is stale
      }
      // The highlight is picked only when it is of the text as it is now.
      const current = input.dataset.searched === input.value.trim();
      if (current && !listOf(input).hidden && highlighted(input)) { highlighted(input).click(); return; }
    }
    // Enter, comma or semicolon after an address makes it a chip (as User Management's Invite
    // box separates recipients); Enter after a name searches now rather than submitting.
    const separator = event.key === "," || event.key === ";";
    if (event.key !== "Enter" && !separator) return;
    if (separator && !looksLikeAddress(input.value.trim())) return;  // "Lovelace, Ada": typed on
    event.preventDefault();
    clearTimeout(timer);
    // One at a time: an address typed while the one before is read waits its turn, so it never
    // runs into it ("zoe@clientco.com+1 202 555 0173").
    const done = chipping.then(() => chipTyped(input));
    chipping = done.catch(() => false);
    if (await done || event.key !== "Enter") return;
    search(input);
    // Enter on what is no address (and nothing highlighted to pick): the help says Enter adds
    // it, so say why it does not, as Invite would: the check's ``detail`` for it.
    const q = input.value.trim();
    if (!q || looksLikeAddress(q) || input.form.hasAttribute("data-team-form")) return;
    const items = await check(input.form, q);
    const fault = items && items.length === 1 && items[0].error ? items[0].detail || items[0].error : null;
    if (fault && input.value.trim() === q) sayUnder(input, fault);
  });
  // A list pasted (addresses with commas, semicolons or lines between): each a chip.
  document.addEventListener("paste", (event) => {
    if (!event.target.matches("[data-people-search]")) return;
    const text = (event.clipboardData || window.clipboardData).getData("text");
    if (!/[,;\n]/.test(text) || !text.split(/[,;\n]/).filter((t) => t.trim()).every((t) => looksLikeAddress(t.trim()))) return;
    event.preventDefault();
    event.target.value = text;
    chipping = chipping.then(() => chipTyped(event.target)).catch(() => false);
  });
  document.addEventListener("submit", (event) => {
    const newForm = event.target.closest("[data-new-person-form]");
    if (!newForm) return;
    newForm.querySelectorAll("[data-carried]").forEach((el) => el.remove());
    const pickForm = origin(newForm);
    const carried = [...pickForm.querySelectorAll("[data-picked] input[name=user_ids], [data-picked] input[name=recipients]"), pickForm.querySelector("select[name=team]")];
    carried.filter((el) => el && el.value).forEach((el) => {
      newForm.append(Object.assign(document.createElement("input"), { type: "hidden", name: el.name, value: el.value }));
      newForm.lastElementChild.dataset.carried = "";
    });
  });
  // The form the new person's came from: the first screen's, or Add Team Members'.
  const origin = (newForm) => newForm.closest("dialog")
    .querySelector(newForm.querySelector("[data-screen]").value === "team" ? "[data-team-form]" : "[data-pick-form]");
  document.addEventListener("click", (event) => {
    // Invite Internal Users (seed 000): the Add Team Members screen, and Back from it.
    const teamOpen = event.target.closest("[data-team-open]");
    const teamBack = event.target.closest("[data-team-back]");
    if (teamOpen || teamBack) {
      const dialog = (teamOpen || teamBack).closest("dialog");
      const team = dialog.querySelector("[data-team-form]");
      const pick = dialog.querySelector("[data-pick-form]");
      team.hidden = Boolean(teamBack);
      pick.hidden = !teamBack;
      (teamBack ? pick.querySelector("[data-team-open]") : team.querySelector("[data-people-search]")).focus();
      event.preventDefault();
    }
    // × on a chip: picked here, or kept by the page after a refusal.
    const removed = event.target.closest("[data-picked] [data-chip-remove]");
    if (removed) removed.closest(".chip").remove();
    const opener = event.target.closest("[data-new-person]");
    if (opener) {
      const dialog = opener.closest("dialog");
      const pickForm = opener.closest("form");  // the first screen, or Add Team Members
      const newForm = dialog.querySelector("[data-new-person-form]");
      newForm.querySelector("[data-screen]").value = pickForm.hasAttribute("data-team-form") ? "team" : "";
      const q = pickForm.querySelector("[data-people-search]").value.trim();
      const internal = opener.dataset.newPerson === "internal";
      newForm.querySelector("input[name=user_type]").value = internal ? "internal" : "client";
      newForm.querySelector("[data-new-title]").textContent = internal ? "Invite a New Internal User" : "Invite a New Client";
      newForm.querySelector("[data-new-submit]").textContent = internal ? "Add Internal User" : "Add Client";
      newForm.querySelector("input[name=recipient]").value = looksLikeAddress(q) ? q : "";
      newForm.querySelector("input[name=name]").value = looksLikeAddress(q) ? "" : q;
      // Those picked already (and a team chosen) go along with the new person, and it says so.
      // An address chip goes as a client, whichever the new person is: said so.
      const picked = Array.from(pickForm.querySelectorAll("[data-picked] [data-chip]"))
        .map((c) => (c.dataset.typedChip === undefined ? c.dataset.chip : `${c.dataset.chip} (as a client)`));
      const team = pickForm.querySelector("select[name=team]");
      const teamName = team && team.value ? team.options[team.selectedIndex].text : "";
      const also = newForm.querySelector("[data-also]");
      const names = [...picked, ...(teamName ? [teamName] : [])];
      also.textContent = names.length ? `Also invited: ${names.join(", ")}.` : "";
      also.hidden = !names.length;
      pickForm.hidden = true;
      newForm.hidden = false;
      (looksLikeAddress(q) ? newForm.querySelector("input[name=name]") : newForm.querySelector("input[name=recipient]")).focus();
      event.preventDefault();
    }
    const back = event.target.closest("[data-new-back]");
    if (back) {
      const newForm = back.closest("[data-new-person-form]");
      newForm.hidden = true;
      origin(newForm).hidden = false;
      event.preventDefault();
    }
  });
})();

// Contacts "+": the details first, then Next shows the three endings.
document.addEventListener("click", async (event) => {
  const next = event.target.closest("[data-next]");
  if (!next) return;
  event.preventDefault();
  const form = next.closest("form");
  const first = form.querySelector("[data-step='1']");
  const fields = Array.from(first.querySelectorAll("input, textarea, select"));
  // A form left to the server (novalidate: every Contacts dialog) is not checked by the
  // browser here either: an empty field is the server's to say, under it, once an ending is
  // chosen (the dialog opens again on these details); the browser's "Please fill out this
  // field" bubble would say it in other words, untranslated, and vanish.
  if (!form.noValidate && !fields.every((f) => f.reportValidity())) return;
  // The address is read as Send will read it (the Invite box's check): a mistyped or empty one
  // is said here, under it, before the endings, not after one is chosen. The server says it
  // again if this fails.
  const who = first.querySelector("[data-check-one]");
  if (who) {
    try {
      // ``one``: the address is one person's, so left empty it is said as Send says it.
      const response = await fetch(who.dataset.checkOne, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.querySelector("[name=csrf_token]").value },
        body: JSON.stringify({ text: who.value, one: true }),
      });
      const items = response.ok ? (await response.json()).items : [];
      const fault = items.length > 1 ? "One person at a time: one email or phone number."
        : (items.find((i) => i.error) || {}).error;
      // Said under the field, as the server's refusal is (never the browser's bubble).
      sayUnder(who, fault || null);
      if (fault) {
        who.focus();
        return;
      }
    } catch (e) { /* the server checks again on the ending chosen */ }
  }
  first.hidden = true;
  form.querySelector("[data-step='2']").hidden = false;
});

// New workspace: role names only for flows.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-kind]")) {
    const roles = event.target.form.querySelector("[data-flow-only]");
    if (roles) roles.hidden = event.target.value !== "flow";
  }
});

// Choosing from a "+" menu closes it.
document.addEventListener("click", (event) => {
  const item = event.target.closest(".plus-menu .menu [data-open]");
  if (item) item.closest(".menu").hidden = true;
});

// User Management: search as you type (the URL keeps the filters), filters apply when chosen.
(() => {
  let timer = null;
  document.addEventListener("input", (event) => {
    const form = event.target.closest("form[data-live-search]");
    if (!form || event.target.type !== "search") return;
    clearTimeout(timer);
    timer = setTimeout(() => form.requestSubmit(), 350);
  });
  document.addEventListener("change", (event) => {
    const form = event.target.closest("form[data-live-search]");
    // A select, or a day typed in full (a date input says "change" once its day is whole).
    if (form && (event.target.tagName === "SELECT" || event.target.type === "date")) form.requestSubmit();
  });
  // One row menu open at a time; Escape closes it.
  document.addEventListener("toggle", (event) => {
    const opened = event.target;
    if (!opened.matches || !opened.matches("details.row-menu") || !opened.open) return;
    document.querySelectorAll("details.row-menu[open]").forEach((d) => { if (d !== opened) d.open = false; });
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      document.querySelectorAll("details.row-menu[open]").forEach((d) => { d.open = false; d.querySelector("summary").focus(); });
      return;
    }
    // A menu moves by arrows, as a menu does (role="menu"): down and up go round, Home and End
    // to its ends; from its button, down opens it on its first item.
    const menu = event.target.closest && event.target.closest("details.row-menu");
    if (!menu || !["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const items = Array.from(menu.querySelectorAll('[role="menuitem"]'));
    if (!items.length) return;
    if (event.target.matches("summary")) {
      if (event.key !== "ArrowDown") return;
      menu.open = true;
      items[0].focus();
      event.preventDefault();
      return;
    }
    const at = items.indexOf(event.target);
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    items[(next + items.length) % items.length].focus();
    event.preventDefault();
  });
})();
// User Management's Filters (a phone's: admit.css folds the filters behind it): opens and closes
// them, and keeps them so for the visit (a filter chosen reloads the list: they stay open to
// choose another).
(() => {
  const KEY = "admit.filters-open";
  const set = (button, open) => {
    button.setAttribute("aria-expanded", String(open));
    button.form.toggleAttribute("data-open", open);
  };
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.querySelector("[data-filters-toggle]");
    if (button && sessionStorage.getItem(KEY) === "1") set(button, true);
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-filters-toggle]");
    if (!button) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    set(button, open);
    sessionStorage.setItem(KEY, open ? "1" : "0");
  });
})();
// Back to a list page: the browser shows the page as it was left, its filters as they were being
// changed (Status set to Revoked, say) above a list that is not filtered by them. They are put
// back to what the list shows.
window.addEventListener("pageshow", (event) => {
  const navigation = performance.getEntriesByType("navigation")[0];
  if (!event.persisted && !(navigation && navigation.type === "back_forward")) return;
  document.querySelectorAll("form[data-live-search]").forEach((form) => form.reset());
});
const caretToEnd = () => {
  const box = document.querySelector("input[data-caret-end]");
  if (box) { box.focus(); box.setSelectionRange(box.value.length, box.value.length); }
};
document.addEventListener("DOMContentLoaded", caretToEnd);
// A row's action (Revoke, Deactivate, Resend… confirmed from its … menu) comes back to the list
// at that row (``#row-<id>``): the focus goes back to the row's … button (else its first control,
// else the row), the notice read with it; to the notice when the list no longer shows the row
// (filtered out). The fragment then leaves the address: a reload does not jump again.
document.addEventListener("DOMContentLoaded", () => {
  if (!location.hash.startsWith("#row-") || document.querySelector("dialog[open]")) return;
  const row = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const notice = document.querySelector("main > .notice[role]");  // base.html's: what was done
  if (notice && !notice.id) notice.id = "notice";
  let target = row && (row.querySelector("details.row-menu > summary") || row.querySelector("td.actions :is(a, button)"));
  if (row && !target) { row.tabIndex = -1; target = row; }
  if (!target && notice) { notice.tabIndex = -1; target = notice; }
  if (!target) return;
  if (notice && target !== notice) {
    target.setAttribute("aria-describedby", "notice");
    target.addEventListener("blur", () => target.removeAttribute("aria-describedby"), { once: true });
  }
  target.focus();
  history.replaceState(null, "", location.pathname + location.search);
});
// A form sent to a section of a long page (the account page's, #password-section) comes back
// there, and the browser's scroll to that section takes the focus from the field at fault
// (autofocus): given back once the page has loaded.
window.addEventListener("load", () => {
  const field = document.querySelector("[aria-invalid=true][autofocus]");
  if (!field || !location.hash || document.activeElement !== document.body) return;
  if (field.hasAttribute("data-caret-end")) caretToEnd(); else field.focus();
});

// What each bulk action does to a person, as its question and its outcome say it.
const BULK_DONE = { resend: "reinvited", revoke: "revoked", deactivate: "deactivated", reactivate: "reactivated" };

// User Management's selection: tick rows (or the page, or every match), then Resend / Revoke /
// Deactivate for all of them at once after a confirmation naming the count.
(() => {
  const form = document.querySelector("form[data-bulk-form]");
  if (!form) return;
  const bar = form.querySelector("[data-bulk-bar]");
  const boxes = () => Array.from(document.querySelectorAll("input[data-select]"));
  // The table head's box, and a phone's own above the cards (a phone hides the head).
  const pageBoxes = Array.from(document.querySelectorAll("input[data-select-page]"));
  const all = form.querySelector("[data-all-matching]");
  const allButton = form.querySelector("[data-bulk-all]");
  let total = Number(form.dataset.matching || 0);  // as the page counted them; the preview recounts
  // Every match, beyond the page: how many each action would take, asked of the server when
  // "Select all N matching" is pressed (GET …/people/bulk-preview).
  let matchingApplies = {};
  const people = (n) => `${n.toLocaleString()} ${n === 1 ? "person" : "people"}`;
  const count = () => (all.value ? total : boxes().filter((b) => b.checked).length);
  const refresh = () => {
    const ticked = boxes().filter((b) => b.checked).length;
    if (ticked < boxes().length) all.value = "";
    bar.hidden = ticked === 0;
    form.querySelector("[data-bulk-count]").textContent = all.value
      ? `All ${people(total)} matching selected` : `${ticked} selected`;
    allButton.hidden = !!all.value || ticked < boxes().length || total <= ticked;
    pageBoxes.forEach((box) => { box.checked = ticked > 0 && ticked === boxes().length; });
    // Only the actions that apply to someone ticked (each row says which it would take):
    // pending invitations offer Resend and Revoke, not Deactivate. All matching: those that
    // apply to someone among them, on any page.
    const applying = all.value
      ? new Set(Object.keys(matchingApplies).filter((action) => matchingApplies[action] > 0))
      : new Set(boxes().filter((b) => b.checked).flatMap((b) => b.dataset.applies.split(" ")));
    const offered = form.querySelectorAll("[data-bulk]");
    offered.forEach((button) => { button.hidden = !applying.has(button.dataset.bulk); });
    form.querySelector("[data-bulk-none]").hidden = Array.from(offered).some((b) => !b.hidden);
  };
  document.addEventListener("change", (event) => {
    const pageBox = pageBoxes.includes(event.target) ? event.target : null;
    if (pageBox) boxes().forEach((b) => { b.checked = pageBox.checked; });
    if (pageBox || event.target.matches("input[data-select]")) refresh();
  });
  // Only the ticked rows the action applies to are sent (the question counted the others apart,
  // "1 of those selected cannot be revoked"): a member sent to Revoke came back as a skip that
  // named nobody.
  form.addEventListener("formdata", (event) => {
    if (all.value) return;
    const action = event.formData.get("action");
    event.formData.delete("ids");
    boxes().filter((b) => b.checked && b.dataset.applies.split(" ").includes(action))
      .forEach((b) => event.formData.append("ids", b.value));
  });
  allButton.addEventListener("click", async () => {
    const label = allButton.textContent;
    allButton.disabled = true;
    allButton.textContent = "Counting…";
    try {
      const response = await fetch(form.dataset.previewUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const preview = await response.json();
      matchingApplies = preview.applies;
      total = preview.total;
    } catch (e) {
      // Not counted: every action is offered, and the job skips those it does not apply to.
      matchingApplies = Object.fromEntries(Array.from(form.querySelectorAll("[data-bulk]"), (b) => [b.dataset.bulk, total]));
    }
    allButton.disabled = false;
    allButton.textContent = label;
    all.value = "1";
    refresh();
  });
  const questions = {
    resend: (who) => `Reinvite ${who}? Only pending and expired invitations get a new link; their earlier links stop working.`,
    revoke: (who) => `Revoke the invitations of ${who}? Their links stop working.`,
    deactivate: (who) => `Deactivate ${who}? They lose access at once.`,
    reactivate: (who) => `Reactivate ${who}? They get their access back, with the role they had.`,
  };
  form.querySelectorAll("[data-bulk]").forEach((button) => button.addEventListener("click", () => {
    const action = button.dataset.bulk;
    // Ticked rows: each says which actions it would take (the server wrote it); the others
    // are counted apart. Every match (beyond the page): as many as the server counted it takes.
    const ticked = all.value ? [] : boxes().filter((b) => b.checked);
    const taking = all.value
      ? matchingApplies[action] || 0
      : ticked.filter((b) => b.dataset.applies.split(" ").includes(action)).length;
    const left = ticked.length - taking;
    const beside = all.value
      ? ` Those matching that cannot be ${BULK_DONE[action]} stay as they are.`
      : left ? ` ${left.toLocaleString()} of those selected cannot be ${BULK_DONE[action]} and stay as they are.` : "";
    form.querySelector("[data-bulk-question]").textContent = taking
      ? questions[action](all.value ? `up to ${people(taking)}` : people(taking)) + beside
      : `None of the ${people(ticked.length)} selected can be ${BULK_DONE[action]}.`;
    const go = form.querySelector("[data-bulk-go]");
    go.value = action;
    go.textContent = button.textContent;
    go.classList.toggle("danger-fill", action === "revoke" || action === "deactivate");
    go.disabled = taking === 0;
    document.getElementById("bulk-dialog").showModal();
  }));
  refresh();
})();

// A bulk action's progress, polled until it is done; then it says what happened.
(() => {
  // A finished job's box is the server's (who was skipped and why): nothing to poll.
  const box = document.querySelector("[data-bulk-job][data-url]");
  if (!box) return;
  const done = BULK_DONE[box.dataset.action];
  let edited = false;  // something typed or chosen since the page was read
  document.addEventListener("input", () => { edited = true; }, true);
  const show = (job) => {
    box.querySelector("[data-bulk-bar-progress]").value = job.done;
    box.querySelector("[data-bulk-done]").textContent = job.done.toLocaleString();
    if (job.status !== "done") return false;
    const counts = Object.assign({}, job.counts);
    const ok = counts.done || 0;
    delete counts.done;
    const skipped = Object.entries(counts);
    const skippedTotal = skipped.reduce((sum, [, n]) => sum + n, 0);
    box.querySelector("[data-bulk-title]").textContent = `${ok.toLocaleString()} ${done}`;
    box.querySelector("[data-bulk-progress-shown]").hidden = true;  // no "60 of 60" once done
    box.querySelector("[data-bulk-summary]").textContent = job.skipped ? `· ${job.skipped}` : "";
    box.classList.toggle("error", ok === 0);
    box.classList.toggle("warn", ok > 0 && skippedTotal > 0);
    // The rows behind were read before the job ran (their status, their Last sent): once it
    // ends, the page is read again, with this summary on it, so the list is as it is now;
    // unless something is under way there (a dialog or menu open, rows ticked, a field being
    // typed in), which a reload would throw away: then a link offers it.
    // (A field merely focused is no work: a search's box has the focus from the start.)
    const busy = document.querySelector("dialog[open], details.row-menu[open], input[data-select]:checked")
      || edited;
    if (!busy) {
      window.location.reload();
      return true;
    }
    const url = new URL(window.location.href);
    url.searchParams.delete("bulk");
    const current = box.querySelector("[data-bulk-reload]");
    current.href = window.location.href;
    current.hidden = false;
    const close = box.querySelector("[data-bulk-close]");
    close.href = url.toString();
    close.hidden = false;
    return true;
  };
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok && show(await response.json())) return;
    } catch (e) { /* try again */ }
    setTimeout(poll, 800);
  };
  poll();
})();

// The Invite box: every recipient shown as a chip, checked by the server's own rules as it is
// typed or pasted (red with the reason when it is not an address, a one-click fix for a
// mistyped domain, struck through when listed twice). The text stays the source of truth.
(() => {
  const box = document.querySelector("textarea[data-check-url]");
  if (!box) return;
  // The chips describe the box (beside the reason it was refused, when it was).
  const chips = box.getAttribute("aria-describedby").split(" ").map((id) => document.getElementById(id)).find((el) => el && el.matches("[data-chips]"));
  const form = box.closest("form");
  let timer = null;
  let asked = 0;
  const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // Every change the chips make goes through the text box as typing would: the browser's undo
  // (Ctrl+Z) takes it back, and the box's input event checks the text again.
  const edit = (start, end, replacement) => {
    box.focus();
    box.setSelectionRange(start, end);
    if (!document.execCommand("insertText", false, replacement)) {
      box.setRangeText(replacement, start, end, "end");
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
  };
  // Invited as an internal user, an email address the server does not call a colleague's
  // (recipients/check's ``colleague``: at the company domain of the inviter or of the portal's
  // internal users) is pointed out, never refused: it may be a contractor's. A number is no one's.
  const userType = form.querySelector("[name=user_type]");
  const domain = box.dataset.companyDomain;
  const notAt = domain ? `not at ${domain}` : "not at your company's domain";
  // Only a row Send invites (its ``state``, the server's: nothing to fix, not listed twice, not
  // skipped) is pointed out as outside the company or a colleague's.
  const outside = (item) => userType && userType.value === "internal" && item.state === "to_invite"
    && !item.colleague && Boolean(item.address && item.address.includes("@"));
  // Invited as a client, a colleague's address is pointed out the other way (the tester's
  // teammates went as clients in a box left on Client), with the way to invite internal users.
  const colleagueAsClient = (item) => userType && userType.value === "client" && item.state === "to_invite"
    && item.colleague;
  const internalOffered = userType && userType.matches("select") && userType.querySelector("option[value=internal]");
  const chip = (item) => {
    const el = document.createElement("span");
    // A skip: Send would leave this address out (already a member, already invited…), as the
    // server decides it; the chip says why before anything is sent.
    const noted = outside(item) || colleagueAsClient(item);
    el.className = "chip" + (item.error ? " bad" : item.duplicate ? " dup" : item.skip ? " skip" : noted ? " outside" : "");
    el.dataset.chip = item.error ? "bad" : item.duplicate ? "duplicate" : item.skip ? "skip" : "ok";
    if (item.skip) el.dataset.skip = item.skip;
    if (outside(item)) el.dataset.outside = "";
    if (colleagueAsClient(item)) el.dataset.colleague = "";
    const shown = recipientShown(item);
    // The address, its reason and fix in a body that wraps inside the chip; the × beside it, at
    // the chip's end (a long address wrapped with its × alone on a line between).
    const body = Object.assign(document.createElement("span"), { className: "chip-body" });
    body.append(Object.assign(document.createElement("span"), { className: "chip-text", textContent: shown }));
    el.append(body);
    el.title = item.error || (item.duplicate ? "Listed twice: invited once." : item.detail || "");
    const reason = item.error && !item.suggestion ? item.error : !item.error && !item.duplicate && item.skip ? item.detail
      : outside(item) ? `${notAt}: as an internal user they will see everyone in the portal`
        : colleagueAsClient(item) ? colleagueDomainSaid(item.address)
          + (internalOffered ? "" : ": if they work with you, ask an owner or admin to invite them as an internal user") : null;
    if (reason) {  // a suggestion's button says it ("gmail.com?")
      const why = document.createElement("span");
      why.className = "chip-why";
      why.dataset.chipWhy = "";
      why.textContent = reason;
      body.append(why);
    }
    // The box's User type, switched for the whole list (each address is checked again as one).
    if (colleagueAsClient(item) && internalOffered) {
      const instead = Object.assign(document.createElement("button"), { type: "button", className: "chip-link", textContent: "Invite internal users instead" });
      instead.addEventListener("click", () => {
        userType.value = "internal";
        userType.dispatchEvent(new Event("change", { bubbles: true }));
      });
      body.append(instead);
    }
    // A number of a country the portal does not text: its reason names Settings → Portal, under
    // Texts (SMS); for whoever may change it, a link there (a new tab: the list stays typed).
    if (item.skip === "sms_country_not_allowed" && box.dataset.textsUrl) {
      const go = Object.assign(document.createElement("a"), { href: box.dataset.textsUrl, target: "_blank", rel: "noopener", textContent: "Open Texts (SMS) settings" });
      go.className = "chip-link";
      body.append(go);
    }
    if (item.suggestion) {
      const fix = document.createElement("button");
      fix.type = "button";
      fix.textContent = `${item.suggestion}?`;
      fix.setAttribute("aria-label", `Use ${item.suggestion} instead of ${item.text}`);
      fix.addEventListener("click", () => {
        // The mistyped address where it stands alone, never inside a longer one ("new@gmial.com"
        // in "xnew@gmial.com"): bounded by the text's edges, spaces, separators or <>.
        const bare = item.text.includes("<") ? item.text.slice(item.text.lastIndexOf("<") + 1).replace(">", "").trim() : item.text.trim();
        const found = new RegExp(`(^|[\\s,;<])${escapeRe(bare)}(?=$|[\\s,;>])`).exec(box.value);
        if (!found) return;
        const at = found.index + found[1].length;
        edit(at, at + bare.length, item.suggestion);
      });
      body.append(fix);
    }
    // × takes the recipient out of the text (the text stays the source of truth): only an entry
    // standing whole between commas, semicolons or line breaks, never a match inside a longer
    // one ("a@x.com" in "aa@x.com"); for a row pasted from a spreadsheet, the row one of whose
    // cells is the address.
    const whole = new RegExp(`(^|[\\n,;])[ \\t]*${escapeRe(item.text.trim())}[ \\t]*(?=$|[\\n,;])`);
    // A row's cell is the recipient as read (its address), or as typed (a bad or skipped one's
    // too: "bad@@acme", "+44 20 7946 0001"), so that every chip of a pasted row has its ×.
    const typedAddress = (item.text.includes("<") ? item.text.slice(item.text.lastIndexOf("<") + 1).replace(">", "") : item.text).trim();
    const cellIs = new Set([item.address, item.text.trim(), typedAddress].filter(Boolean).map((t) => t.toLowerCase()));
    const rowOf = (lines) => lines.findIndex((line) => line.includes("\t")
      && line.split("\t").some((cell) => cellIs.has(cell.trim().toLowerCase())));
    const takeEntry = () => {
      const text = box.value;
      const found = whole.exec(text);
      if (!found) return;
      const at = found.index + found[1].length;
      const left = (text.slice(0, at) + text.slice(found.index + found[0].length))
        .replace(/(^|\n)[ \t]*[,;]+[ \t]*/g, "$1")  // a separator left at a line's start
        .replace(/[ \t]*[,;]+[ \t]*(?=\n|$)/g, "")  // or at its end
        .replace(/[ \t]*([,;])[ \t]*[,;]+[ \t]*/g, "$1 ")  // or doubled in between
        .replace(/\n{2,}/g, "\n").trim();
      edit(0, text.length, left);
    };
    const takeRow = () => {
      const lines = box.value.split("\n");
      const at = rowOf(lines);
      if (at < 0) return;
      lines.splice(at, 1);
      edit(0, box.value.length, lines.join("\n"));
    };
    const take = whole.test(box.value) ? takeEntry : rowOf(box.value.split("\n")) >= 0 ? takeRow : null;
    if (take) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-x";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${shown}`);
      remove.addEventListener("click", take);
      el.append(remove);
    }
    return el;
  };
  // What needs a look comes first, in sight without scrolling: to fix, then skipped, then listed
  // twice, then those not at the company's domain; the addresses to invite after them (each
  // group in the text's order).
  const rank = (item) => (item.error ? 0 : item.duplicate ? 2 : item.skip ? 1 : outside(item) || colleagueAsClient(item) ? 2.5 : 3);
  // More chips below the box's fold: the last row in sight fades into the summary instead of
  // being cut off (``.chips.more``).
  const fold = () => chips.classList.toggle("more", chips.scrollTop + chips.clientHeight < chips.scrollHeight - 2);
  chips.addEventListener("scroll", fold, { passive: true });
  let shownItems = null;  // the last answer, drawn again when the user type changes
  // Beside Send: how many it invites and the rows with errors it leaves out (Send invites the
  // others, as the API does), counted from the server's ``sendable``, never decided here.
  const note = form.querySelector("[data-send-note]");
  const rows = (n) => (n === 1 ? "1 row" : `${n} rows`);
  const tell = (sendable, bad) => {
    if (!note) return;
    note.textContent = !bad ? ""
      : sendable ? `${sendable} will be invited; ${rows(bad)} with errors ${bad === 1 ? "is" : "are"} left out.`
        : `Nobody to invite yet: fix or remove the ${bad === 1 ? "row" : rows(bad)} with errors.`;
  };
  // The reasons Send was refused for, said under the box by the server, are the chips' now
  // (each said once, on its chip, and kept up to date as the text changes).
  const stale = () => {
    const said = document.getElementById(`${box.id}_error`);
    if (!said) return;
    said.remove();
    box.setAttribute("aria-describedby", box.getAttribute("aria-describedby").split(" ").filter((id) => id !== said.id).join(" "));
  };
  const render = (items) => {
    shownItems = items;
    stale();
    const ordered = items.map((item, at) => [item, at]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]);
    chips.replaceChildren(...ordered.map(([item]) => chip(item)));
    // Each row counted where the server's check puts it (its ``state``), never decided here.
    const counted = (state) => items.filter((i) => i.state === state).length;
    const bad = counted("to_fix");
    const dup = counted("listed_twice");
    const skip = counted("skipped");
    const good = counted("to_invite");
    tell(good, bad);
    if (bad) box.setAttribute("aria-invalid", "true"); else box.removeAttribute("aria-invalid");
    const away = items.filter(outside).length;
    const colleagues = items.filter(colleagueAsClient);
    const colleagueDomains = [...new Set(colleagues.map((i) => i.address.split("@")[1]))].join(", ");
    const summary = document.createElement("span");
    summary.className = "chips-summary";
    summary.dataset.chipsSummary = "";
    summary.textContent = `${good} to invite` + (away ? ` (${away} ${notAt})` : "")
      + (colleagues.length ? ` (${colleagues.length} at ${colleagueDomains})` : "")
      + (bad ? ` · ${bad} to fix` : "") + (dup ? ` · ${dup} listed twice` : "")
      + (skip ? ` · ${skip} will be skipped` : "");
    chips.append(summary);
    fold();
  };
  const check = async () => {
    const text = box.value;
    if (!text.trim()) { chips.replaceChildren(); tell(0, 0); return; }
    if (text.length > 100 * 1024) {
      tell(0, 0);
      chips.replaceChildren(Object.assign(document.createElement("span"), {
        className: "chips-summary", textContent: "A long list: it will be checked in the preview before anything is sent.",
      }));
      return;
    }
    const mine = ++asked;
    try {
      const response = await fetch(box.dataset.checkUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.querySelector("[name=csrf_token]").value },
        body: JSON.stringify({ text }),
      });
      if (mine !== asked || !response.ok) return;
      render((await response.json()).items);
    } catch (e) { /* the server checks again on Send */ }
  };
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 300); });
  if (userType) userType.addEventListener("change", () => { if (shownItems && chips.childElementCount) render(shownItems); });
  if (box.value.trim()) check();
})();

// A field with a pattern and a title is refused in the title's words ("Use the 6-digit code your
// authenticator app shows now."), not the browser's "Please match the requested format.".
document.addEventListener("invalid", (event) => {
  const field = event.target;
  if (field.validity && field.validity.patternMismatch && field.title) field.setCustomValidity(field.title);
}, true);
document.addEventListener("input", (event) => {
  if (event.target.setCustomValidity && event.target.title && event.target.pattern) event.target.setCustomValidity("");
}, true);

// Times: written by the server as every page writes a moment ("6 December 2026 at 10:05 CET",
// the portal's time zone); recent ones said as "5 min ago", the exact moment in the tooltip (in
// the viewer's own zone). ``window.admitTime(el)`` says a <time data-local> added later (a
// message that arrived), which has no server text: older than a day, it is written as the server
// writes one ("6 December 2026 at 10:05"), in the viewer's zone.
(() => {
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const written = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short" });
  const say = (el) => {
    const at = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(at.getTime())) return;
    if (el.dataset.written === undefined) el.dataset.written = el.textContent || written.format(at);
    const seconds = Math.round((at.getTime() - Date.now()) / 1000);
    const ago = Math.abs(seconds);
    let text = el.dataset.written;
    if (ago < 60) text = relative.format(0, "second");
    else if (ago < 3600) text = relative.format(Math.round(seconds / 60), "minute");
    else if (ago < 86400) text = relative.format(Math.round(seconds / 3600), "hour");
    el.textContent = text;
    el.title = full.format(at);
  };
  window.admitTime = say;
  const all = () => document.querySelectorAll("time[data-local]").forEach(say);
  document.addEventListener("DOMContentLoaded", all);
  setInterval(all, 60_000);
})();

// Reinvite, Resend Invite, Resend confirmation and a workspace's Resend Invitation while the
// per-person limit would refuse them (sent to that person less than a minute ago): greyed out (aria-disabled, still focusable and read), the time left
// on them ("Reinvite in 51 s"), counted down from the seconds the server gave (``data-wait``:
// ``invitations.service.resend_waits``, the rule that refuses them; measured from when the page
// came, so a clock set wrong on this computer changes nothing), then offered as they are.
(() => {
  const left = (seconds) => (seconds < 60 ? `${seconds} s` : seconds <= 5400 ? `${Math.ceil(seconds / 60)} min` : `${Math.ceil(seconds / 3600)} h`);
  const waiting = [];
  const tick = () => {
    const now = Date.now();
    for (let i = waiting.length - 1; i >= 0; i -= 1) {
      const { el, until, text, label } = waiting[i];
      const seconds = Math.ceil((until - now) / 1000);
      if (seconds > 0) {
        el.textContent = `${text} in ${left(seconds)}`;
        if (label) el.setAttribute("aria-label", `${label} in ${left(seconds)}`);
        continue;
      }
      el.textContent = text;
      if (label) el.setAttribute("aria-label", label);
      el.removeAttribute("aria-disabled");
      delete el.dataset.wait;
      waiting.splice(i, 1);
    }
    if (!waiting.length) clearInterval(timer);
  };
  let timer = null;
  document.addEventListener("DOMContentLoaded", () => {
    const now = Date.now();
    document.querySelectorAll("[data-wait]").forEach((el) => {
      waiting.push({ el, until: now + Number(el.dataset.wait) * 1000, text: el.textContent.trim(), label: el.getAttribute("aria-label") });
    });
    if (!waiting.length) return;
    tick();
    timer = setInterval(tick, 1000);
  });
})();

// Delivery that is still on its way updates in place: every 2 seconds (for 30 rounds at most) the
// page asks the deliveries of all its queued badges at once (one request a round, the API's
// `people/deliveries`), until each is sent or failed. A refusal that passes (429 too many
// requests, 408, a 5xx such as 503, or no answer: the network) is asked again after a longer
// wait each time (4, 8, 16, then 30 s, or the Retry-After it gave if longer, a minute at most),
// five in a row at most; one that will not change (403: no longer the viewer's to see, 404,
// 422…) stops the watch, the badges left as they are.
(() => {
  const people = document.getElementById("people");
  const url = people?.dataset.deliveries;
  if (!url) return;
  const most = Number(people.dataset.deliveriesMax) || 50;
  const badges = Array.from(people.querySelectorAll("[data-delivery][data-watch]")).slice(0, most);
  if (!badges.length) return;
  const words = JSON.parse(people.dataset.deliveryWords || "{}");
  const show = (badge, delivery) => {
    // Why, under the badge: "Retrying — …" while a failed try waits for the next one, the
    // reason once it failed or bounced, nothing once sent (the page says it so too).
    let why = badge.parentElement.querySelector("[data-delivery-why]");
    if (delivery.error && !why) {
      why = document.createElement("div");
      why.className = "hint";
      why.dataset.deliveryWhy = "";
      badge.after(why);
    }
    if (delivery.error) {
      why.textContent = delivery.status === "queued" ? `${words.retrying} — ${delivery.error}` : delivery.error;
    } else if (why) {
      why.remove();
    }
    badge.title = delivery.error || "";
    if (delivery.status === "queued") return;
    badge.className = `badge ${delivery.status}`;
    badge.textContent = words[delivery.status] || delivery.status;
    delete badge.dataset.watch;
  };
  const passes = (status) => status === 408 || status === 429 || status >= 500;
  let rounds = 0;
  let refused = 0;  // refusals that pass, in a row
  const tick = async () => {
    rounds += 1;
    const waiting = badges.filter((b) => b.dataset.watch);
    let after = 0;  // what the server asked to wait, in ms (Retry-After)
    let passing = false;
    try {
      const ids = new URLSearchParams(waiting.map((b) => ["ids", b.dataset.watch]));
      const response = await fetch(`${url}?${ids}`, { headers: { Accept: "application/json" } });
      if (response.ok) {
        refused = 0;
        const found = new Map((await response.json()).items.map((item) => [item.id, item.delivery]));
        for (const badge of waiting) {
          const delivery = found.get(badge.dataset.watch);
          // Not answered: gone since, or no longer the viewer's to see; it is left as it was.
          if (delivery) show(badge, delivery);
          else delete badge.dataset.watch;
        }
      } else if (passes(response.status)) {
        passing = true;
        after = (Number(response.headers.get("Retry-After")) || 0) * 1000;
      } else {
        waiting.forEach((b) => delete b.dataset.watch);
      }
    } catch (e) {
      passing = true;  // no answer: the network, or the server going away for a moment
    }
    if (passing) refused += 1;
    if (!badges.some((b) => b.dataset.watch) || rounds >= 30 || refused > 5) return;
    const wait = refused ? Math.min(Math.max(Math.min(2000 * 2 ** refused, 30_000), after), 60_000) : 2000;
    setTimeout(tick, wait);
  };
  setTimeout(tick, 1500);
})();

// A colour picker beside a typed colour (the portal's brand): either one sets the other; the
// typed field is what the form sends (#abc and #aabbcc are both taken).
document.querySelectorAll("input[data-colour-for]").forEach((picker) => {
  const typed = document.getElementById(picker.dataset.colourFor);
  if (!typed) return;
  picker.addEventListener("input", () => { typed.value = picker.value; });
  typed.addEventListener("input", () => {
    const v = typed.value.trim().toLowerCase().replace(/^#?/, "#");
    if (v === "#" && picker.dataset.default) picker.value = picker.dataset.default;  // empty: the default
    else if (/^#[0-9a-f]{6}$/.test(v)) picker.value = v;
    else if (/^#[0-9a-f]{3}$/.test(v)) picker.value = "#" + [...v.slice(1)].map((c) => c + c).join("");
  });
});

// "All events": one box ticks or clears every box of its name; it shows ticked when all are.
(() => {
  for (const all of document.querySelectorAll("[data-check-all]")) {
    const boxes = [...all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.checkAll}"]`)];
    const sync = () => { all.checked = boxes.every((b) => b.checked); };
    all.addEventListener("change", () => { for (const b of boxes) b.checked = all.checked; });
    for (const b of boxes) b.addEventListener("change", sync);
    sync();
  }
  // A filter that applies as soon as it is chosen (its form still has a button without script).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
})();

// The interaction panel: new messages appear without reloading (the API polled every 3 s),
// sending goes through the API, and "@" offers the workspace's members. Text is only ever
// set as text, never as HTML.
(() => {
  const panel = document.querySelector("[data-conversation]");
  if (!panel) return;
  const list = panel.querySelector("#messages");
  const api = panel.dataset.api;
  const csrf = panel.dataset.csrf;
  const form = panel.querySelector("[data-compose]");
  const box = form.querySelector("textarea");
  const menu = form.querySelector("#mention-list");
  const said = form.querySelector("[data-compose-error]");
  const names = JSON.parse(box.dataset.mentionable || "[]");
  const fold = (s) => s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const last = () => {
    const items = list.querySelectorAll("[data-message-id]");
    return items.length ? items[items.length - 1].dataset.messageId : "";
  };
  const show = (m) => {
    if (document.getElementById("message-" + m.id)) return;
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    const li = document.createElement("li");
    li.id = "message-" + m.id;
    li.dataset.messageId = m.id;
    if (m.author && m.author.id === panel.dataset.me) li.classList.add("mine");
    const meta = document.createElement("div");
    meta.className = "meta";
    const who = document.createElement("strong");
    who.textContent = m.author ? m.author.name : "Someone";
    const when = document.createElement("time");
    when.dateTime = m.created_at;
    when.dataset.local = "";
    meta.append(who, " ", when);
    window.admitTime(when);  // "now", as the page's other times (never "Dec 6, 2026, 1:17 PM")
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = m.text;
    li.append(meta, text);
    list.append(li);
    li.scrollIntoView({ block: "nearest" });
  };
  const poll = async () => {
    const after = last();
    const response = await fetch(api + (after ? "?after=" + encodeURIComponent(after) : ""), { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = (await response.json()).items.slice().reverse();
    fresh.forEach(show);
    if (fresh.length) fetch(api + "/read", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
  };
  setInterval(() => { if (!document.hidden) poll().catch(() => {}); }, 3000);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!box.value.trim()) return;
    said.textContent = "";
    const response = await fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: box.value }),
    });
    if (response.status === 201) {
      show(await response.json());
      box.value = "";
    } else {
      const problem = await response.json().catch(() => ({}));
      said.textContent = problem.detail || "The message could not be sent. Try again.";
    }
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && menu.hidden) { event.preventDefault(); form.requestSubmit(); }
  });
  // "@" and a few letters: the members whose names start so (any case, accents or not).
  let active = 0;
  const typed = () => {
    const before = box.value.slice(0, box.selectionStart);
    const match = /(^|[^\p{L}\p{N}])@([^@\n]{0,40})$/u.exec(before);
    return match ? { start: before.length - match[2].length - 1, query: match[2] } : null;
  };
  const choose = (name) => {
    const at = typed();
    if (!at) return;
    box.value = box.value.slice(0, at.start) + "@" + name + " " + box.value.slice(box.selectionStart);
    const caret = at.start + name.length + 2;
    box.setSelectionRange(caret, caret);
    menu.hidden = true;
    box.focus();
  };
  const offer = () => {
    const at = typed();
    const found = at ? names.filter((n) => fold(n).startsWith(fold(at.query))).slice(0, 8) : [];
    menu.replaceChildren(...found.map((n, i) => {
      const li = document.createElement("li");
      li.role = "option";
      li.textContent = n;
      li.id = "mention-" + i;
      li.setAttribute("aria-selected", String(i === 0));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(n); });
      return li;
    }));
    active = 0;
    menu.hidden = found.length === 0;
    box.setAttribute("aria-expanded", String(!menu.hidden));
  };
  box.addEventListener("input", offer);
  box.addEventListener("keydown", (event) => {
    if (menu.hidden) return;
    const options = [...menu.children];
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(options[active].textContent);
    } else if (event.key === "Escape") {
      menu.hidden = true;
    }
  });
})();

// "Select all" over a list of row checkboxes (the HR preview): ticking it ticks them all;
// unticking a row unticks it, and the form then sends the ticked rows only.
(() => {
  document.querySelectorAll("[data-select-all]").forEach((all) => {
    const name = all.getAttribute("data-select-all");
    const boxes = () => Array.from(all.form.querySelectorAll(`input[name="${name}"]`));
    all.addEventListener("change", () => boxes().forEach((b) => { b.checked = all.checked; }));
    all.form.addEventListener("change", (event) => {
      if (event.target !== all && event.target.name === name && !event.target.checked) all.checked = false;
    });
  });
})();

// The profile menu (top right). The mouse opens it by hovering; its button opens and closes it
// (a click, Enter or Space), so Tab passes over its items until it is opened. Escape closes it
// and gives the focus back to its button; so does focus or a click going elsewhere.
(() => {
  const profile = document.querySelector(".profile");
  if (!profile) return;
  const button = profile.querySelector(":scope > button");
  const close = () => button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true"));
  });
  profile.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      close();
      button.focus();
    }
  });
  profile.addEventListener("focusout", (event) => {
    if (!profile.contains(event.relatedTarget)) close();
  });
  document.addEventListener("click", (event) => {
    if (!profile.contains(event.target)) close();
  });
})();

// Every password field has Show / Hide inside its box, so what was typed can be checked before
// it is sent. The field keeps its name, its value and the focus; it is a password field again
// when its form is sent (a browser does not offer to save what it saw as text).
document.querySelectorAll("input[type=password]").forEach((field) => {
  const focused = document.activeElement === field;
  const box = document.createElement("span");
  box.className = "reveal";
  field.parentNode.insertBefore(box, field);
  box.appendChild(field);
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "reveal-toggle";
  // aria-pressed: a screen reader says the state (pressed: the password is shown).
  const say = (shown) => {
    toggle.textContent = shown ? "Hide" : "Show";
    toggle.setAttribute("aria-pressed", String(shown));
  };
  say(false);
  if (field.id) toggle.setAttribute("aria-controls", field.id);
  toggle.addEventListener("click", () => {
    const shown = field.type === "password";
    field.type = shown ? "text" : "password";
    say(shown);
  });
  box.appendChild(toggle);
  if (focused || (field.autofocus && document.activeElement === document.body)) field.focus();
  if (field.form) field.form.addEventListener("submit", () => { field.type = "password"; say(false); });
});

// A box with a limit (an invitation's personal message) counts its characters as they are typed,
// and says so when a paste ran past the limit and was cut there (the browser cuts it without a
// word). Its hint ([data-count]: the box's id) says the limit until then.
document.querySelectorAll("[data-count]").forEach((hint) => {
  const box = document.getElementById(hint.dataset.count);
  if (!box || box.maxLength < 0) return;
  const max = box.maxLength;
  const number = (n) => n.toLocaleString("en-US");
  let cut = false;
  box.addEventListener("beforeinput", (event) => {
    const added = event.data || (event.dataTransfer ? event.dataTransfer.getData("text/plain") : "") || "";
    const kept = box.value.length - (box.selectionEnd - box.selectionStart);
    cut = kept + added.length > max;
  });
  const count = () => {
    const n = box.value.length;
    let said = `${number(n)} of ${number(max)} characters.`;
    if (n >= max) said = `${number(n)} of ${number(max)} characters: the limit.${cut ? " What went past it was cut." : ""}`;
    hint.textContent = said;
    hint.classList.toggle("at-limit", n >= max);
  };
  box.addEventListener("input", count);
  if (box.value) count();  // a refused form comes back with its message
});

// A workspace's Members panel: Find a member narrows the rows as you type and a state's link
// picks its rows, here, without asking the server (which answers the same GET without the
// script). Each row carries what the search looks in, folded as the server folds it
// (``people.workspace.fold``), and its state; the counts follow, and the address too.
document.querySelectorAll("[data-member-filter]").forEach((form) => {
  const fold = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
  const section = form.closest("section");
  const box = form.querySelector("input[name=q]");
  let state = new URLSearchParams(location.search).get("state") || "";
  const apply = () => {
    const q = fold(box.value);
    const counts = { all: 0 };
    let shown = 0;
    const found = new Set();  // the teams and groups with someone found in them
    section.querySelectorAll("#workspace-members td[data-member]").forEach((td) => {
      const match = !q || td.dataset.find.includes(q);
      if (match && td.dataset.teams) td.dataset.teams.split(" ").forEach((id) => found.add(id));
      if (match) {  // people, not rows: a row of "2 invited guests" is two (data-people)
        const people = Number(td.dataset.people || 1);
        counts.all += people;
        counts[td.dataset.state] = (counts[td.dataset.state] || 0) + people;
      }
      const show = match && (!state || td.dataset.state === state);
      td.parentElement.hidden = !show;
      // What Resend to selected sends is what is seen: a tick filtered out of sight goes.
      const tick = show ? null : td.parentElement.querySelector("input[data-select]:checked");
      if (tick) { tick.checked = false; tick.dispatchEvent(new Event("change", { bubbles: true })); }
      if (show) shown += 1;
    });
    let label = "";
    form.querySelectorAll("[data-state-filter]").forEach((a) => {
      const s = a.dataset.stateFilter;
      a.querySelector(".count").textContent = String(counts[s] || 0);
      const current = (state || "all") === s;
      if (current) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      if (current && state) label = a.firstChild.textContent.trim();
    });
    // The team and client-group rows: those whose name holds the search or with someone in
    // them it finds (``people.workspace.find_teams``); the heading goes with the last.
    const teams = section.querySelector("[data-team-rows]");
    if (teams) {
      let any = false;
      teams.querySelectorAll("tr[data-team-id]").forEach((tr) => {
        const show = !q || tr.dataset.find.includes(q) || found.has(tr.dataset.teamId);
        tr.hidden = !show;
        any = any || show;
      });
      teams.hidden = !any;
    }
    // Resend to selected goes while no row shown can be ticked (Joined): no one there to resend to.
    const resend = section.querySelector("#resend-selected");
    if (resend) resend.hidden = !section.querySelector("#workspace-members tr:not([hidden]) input[data-select]");
    const none = section.querySelector("#workspace-members tr[data-no-match]");
    if (none) {
      none.hidden = shown > 0;
      const typed = box.value.trim();
      none.firstElementChild.textContent = typed
        ? `No one ${label ? `among ${label}` : "here"} matches “${typed}”.`
        : `Nobody here is ${label}.`;
    }
    const kept = form.querySelector("input[name=state]");
    if (kept) kept.value = state;
    const url = new URL(location.href);
    if (typed(box)) url.searchParams.set("q", box.value.trim()); else url.searchParams.delete("q");
    if (state) url.searchParams.set("state", state); else url.searchParams.delete("state");
    url.searchParams.delete("confirm");
    url.searchParams.delete("selected");  // the ticks are the rows' now
    history.replaceState(history.state, "", url.pathname + url.search + "#members");
  };
  const typed = (input) => input.value.trim() !== "";
  box.addEventListener("input", apply);
  form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
  form.addEventListener("click", (event) => {
    const link = event.target.closest("[data-state-filter]");
    if (!link) return;
    event.preventDefault();
    state = link.dataset.stateFilter === "all" ? "" : link.dataset.stateFilter;
    apply();
  });
});

// Resend to selected: the button counts the people ticked, and the panel's filter (as the
// address now says it) comes back with the answer.
document.querySelectorAll("form[data-keep-filter]").forEach((form) => {
  const button = form.querySelector("button[type=submit]");
  const why = form.querySelector("[data-none-ticked]");
  const ticked = () => document.querySelectorAll(`input[form="${form.id}"][data-select]:checked`).length;
  // With no one ticked it waits, saying why beside it, as its description too (the server says
  // the same to a page without script); a title on a disabled button reached only a mouse.
  const count = () => {
    const n = ticked();
    button.textContent = n ? `Resend to selected (${n})` : "Resend to selected";
    button.disabled = !n;
    if (!why) return;
    why.hidden = Boolean(n);
    if (n) button.removeAttribute("aria-describedby"); else button.setAttribute("aria-describedby", why.id);
  };
  document.addEventListener("change", (event) => { if (event.target.matches(`input[form="${form.id}"][data-select]`)) count(); });
  form.addEventListener("submit", () => { form.querySelector("input[name=back]").value = location.search; });
  count();
});

// The dev mailbox's email frame: as tall as the email it shows (a fixed height cut off its
// bottom on a phone), again when the width changes (a turned phone rewraps it).
function fitFrame(frame) {
  const html = frame.contentDocument && frame.contentDocument.documentElement;
  if (html && html.offsetHeight) frame.style.height = `${html.getBoundingClientRect().height + 2}px`;
}
document.querySelectorAll("iframe[data-fit-content]").forEach((frame) => {
  frame.addEventListener("load", () => fitFrame(frame));
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") fitFrame(frame);
  // The window's load waits for the frame and for the page's stylesheet: on a busy machine the
  // frame's own load can come before this script is listening, or before anything is laid out.
  window.addEventListener("load", () => fitFrame(frame));
  window.addEventListener("resize", () => fitFrame(frame));
});

// An uploaded list's Role column: ticking "Use the Role column" or choosing its role applies it
// (a button does without scripts).
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("[data-submit-on-change]")) event.target.form.requestSubmit();
});

// An import being sent: its progress, read every half second until it is done (then the rows
// not invited, if any, by reading the page again).
(() => {
  const box = document.querySelector("[data-import]");
  if (!box || ["done", "failed"].includes(box.dataset.state)) return;
  const labels = JSON.parse(box.dataset.labels || "{}");
  const tick = async () => {
    try {
      const r = await fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (r.ok) {
        const s = await r.json();
        const total = Math.max(s.total, 1);
        box.querySelector("[data-progress]").max = total;
        box.querySelector("[data-progress]").value = s.processed;
        box.querySelector("[data-percent]").textContent = Math.floor(s.processed * 100 / total) + "%";
        box.querySelector("[data-processed]").textContent = s.processed.toLocaleString("en-US");
        box.querySelector("[data-invited]").textContent = s.invited.toLocaleString("en-US");
        box.querySelector("[data-skipped]").textContent = Object.entries(s.skipped).map(([k, n]) => (labels[k] || k) + ": " + n.toLocaleString("en-US")).join(" · ");
        const label = {queued: "Waiting", running: "Inviting", done: "Done", failed: "Failed"}[s.status];
        const badge = box.querySelector("[data-state-label]");
        badge.textContent = label;
        badge.className = "badge " + (s.status === "done" ? "active" : s.status === "failed" ? "failed" : "pending");
        if (s.status === "done") {
          // Read the page again: it lists the rows that were not invited, and why.
          if (Object.keys(s.skipped).length) { location.reload(); return; }
          box.querySelector("[data-when-done]").hidden = false;
          const hint = box.querySelector("[data-while-running]");
          if (hint) hint.hidden = true;
          return;
        }
        if (s.status === "failed") { location.reload(); return; }
      }
    } catch (e) { /* try again */ }
    setTimeout(tick, 500);
  };
  tick();
})();
