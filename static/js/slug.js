// New organization: propose the short name (slug) from the full name until the person edits it.
// The same rule as suggest_slug in app/orgs/forms.py, which fills an empty field on the server.
(() => {
  const suggest = (name) =>
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "");

  const start = () => {
    const name = document.getElementById("name");
    const slug = document.getElementById("slug");
    if (!name || !slug) return;
    // A slug typed by the person (or kept from a refused submission) is theirs to keep.
    let edited = slug.value !== "" && slug.value !== suggest(name.value);
    slug.addEventListener("input", () => { edited = slug.value !== ""; });
    name.addEventListener("input", () => {
      if (!edited) slug.value = suggest(name.value);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
