// Progressive enhancements only: every page works without this file.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Copy buttons: <button type="button" class="copy" data-copy="#id"> copies that element's value
// (or its text); data-copy-text="…" copies the attribute itself. The button says "Copied" for a
// moment, and a polite live region tells screen readers.
function copyTarget(button) {
  if (button.dataset.copyText !== undefined) return button.dataset.copyText;
  const target = document.querySelector(button.dataset.copy);
  if (!target) return null;
  return "value" in target && typeof target.value === "string" ? target.value : target.textContent.trim();
}

function announce(text) {
  let region = document.getElementById("copy-status");
  if (!region) {
    region = document.createElement("p");
    region.id = "copy-status";
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    document.body.appendChild(region);
  }
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP sites have no Clipboard API: copy through a selected, off-screen text area.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.appendChild(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  if (!done) throw new Error("copy refused");
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy], button[data-copy-text]");
  if (!button) return;
  event.preventDefault();
  const text = copyTarget(button);
  if (text === null) return;
  if (!button.dataset.label) button.dataset.label = button.textContent;
  try {
    await writeClipboard(text);
    button.textContent = "Copied";
    button.dataset.copied = "";
    announce("Copied to the clipboard");
  } catch {
    button.textContent = "Copy failed";
    announce("Could not copy; select the text and copy it by hand");
  }
  window.clearTimeout(button._copyTimer);
  button._copyTimer = window.setTimeout(() => {
    button.textContent = button.dataset.label;
    delete button.dataset.copied;
  }, 2000);
});

// Escape closes an open header menu and gives focus back to its summary.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = document.querySelector("details.dropdown[open]");
  if (!open) return;
  open.removeAttribute("open");
  open.querySelector("summary").focus();
});

document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons may be rendered `hidden`, so that a page without this script shows none.
  document.querySelectorAll("button[data-copy][hidden], button[data-copy-text][hidden]")
    .forEach((button) => { button.hidden = false; });
});

document.addEventListener("DOMContentLoaded", () => {
  // Sign-up: propose a username from the email's local part until the person edits it.
  const email = document.getElementById("email");
  const username = document.getElementById("username");
  if (!email || !username || !document.getElementById("password_confirm")) return;
  let edited = username.value !== "";
  username.addEventListener("input", () => { edited = true; });
  email.addEventListener("input", () => {
    if (edited) return;
    username.value = email.value.split("@")[0].replace(/[^A-Za-z0-9._-]/g, "").slice(0, 50);
  });
});
