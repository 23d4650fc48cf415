// Parameter forms: show a field only while its controlling field has a given value
// (data-visible-if="<field id>=<value>"). Runs on load, on change and after htmx swaps.
function applyVisibilityRules(root) {
  const rows = Array.from(root.querySelectorAll("[data-visible-if]"));
  // Rules chain (LDAP bind DN depends on the method, which depends on the backend):
  // repeat until nothing changes.
  for (let pass = 0; pass < rows.length + 1; pass += 1) {
    let changed = false;
    rows.forEach((row) => {
      const [id, wanted] = row.dataset.visibleIf.split("=");
      const control = document.getElementById(id);
      const controlRow = control ? control.closest("[data-param]") : null;
      const show = !!control && control.value === wanted && !(controlRow && controlRow.hidden);
      if (row.hidden === show) {
        row.hidden = !show;
        changed = true;
      }
    });
    if (!changed) break;
  }
}
document.addEventListener("DOMContentLoaded", () => applyVisibilityRules(document));
document.addEventListener("change", (event) => {
  const form = event.target.closest(".params-form");
  if (form) applyVisibilityRules(form);
});
document.addEventListener("htmx:afterSwap", () => applyVisibilityRules(document));
