// Passkeys (SPEC §10): sign in, the second step, and adding one on the security page. Each
// <section data-passkey="get|create" data-options-url="…"> stays hidden unless this browser has
// WebAuthn with its JSON helpers; its button asks the server for options (a POST carrying the
// CSRF token in X-CSRFToken), lets the authenticator answer, and posts the answer in the
// section's form, so the server answers with a page as for any other form.
(() => {
  const PKC = window.PublicKeyCredential;
  const supported = Boolean(
    PKC && PKC.parseCreationOptionsFromJSON && PKC.parseRequestOptionsFromJSON && navigator.credentials
  );

  // The authenticator's refusals, in words; the browser's own messages are for developers.
  const REASONS = {
    NotAllowedError: "The passkey was not used: the request was cancelled or timed out. Try again.",
    InvalidStateError: "This authenticator already holds a passkey for your account.",
    SecurityError: "This site's address cannot use passkeys here. Sign in another way.",
    AbortError: "The passkey request was cancelled.",
    NotSupportedError: "This browser or authenticator cannot make a passkey here.",
  };

  function say(section, text) {
    const box = section.querySelector("[data-passkey-error]");
    box.textContent = text;
    box.hidden = !text;
  }

  async function options(section, form) {
    const response = await fetch(section.dataset.optionsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.elements.csrf_token.value, Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(body.error || "The passkey could not be started. Reload the page and try again.");
    }
    return body;
  }

  async function answer(section, json) {
    if (section.dataset.passkey === "create") {
      const publicKey = PKC.parseCreationOptionsFromJSON(json);
      return navigator.credentials.create({ publicKey });
    }
    const publicKey = PKC.parseRequestOptionsFromJSON(json);
    return navigator.credentials.get({ publicKey });
  }

  function copyChoices(form) {
    form.querySelectorAll("[data-passkey-remember]").forEach((hidden) => {
      const box = document.querySelector(hidden.dataset.passkeyRemember);
      hidden.value = box && box.checked ? "y" : "";
    });
  }

  async function start(section, button) {
    const form = section.querySelector("form[data-passkey-form]");
    say(section, "");
    if (!form.reportValidity()) return;
    button.disabled = true;
    try {
      const credential = await answer(section, await options(section, form));
      if (!credential) throw new Error("No passkey was chosen.");
      form.elements.credential.value = JSON.stringify(credential.toJSON());
      copyChoices(form);
      form.submit();
    } catch (error) {
      say(section, REASONS[error.name] || error.message || "The passkey did not work. Try again.");
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-passkey-unsupported]").forEach((note) => {
      note.hidden = supported;
    });
    if (!supported) return;
    document.querySelectorAll("section[data-passkey]").forEach((section) => {
      section.hidden = false;
      const button = section.querySelector("[data-passkey-start]");
      button.addEventListener("click", () => start(section, button));
      // Enter in the name field means the button; only start() sends the form (form.submit).
      section.querySelector("form[data-passkey-form]").addEventListener("submit", (event) => {
        event.preventDefault();
        if (!button.disabled) start(section, button);
      });
    });
  });
})();
