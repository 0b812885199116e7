// Progressive enhancements only: every page works without this file.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
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
