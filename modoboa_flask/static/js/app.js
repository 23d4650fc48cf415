// htmx configuration and event glue only: no inline scripts anywhere (strict CSP).
document.addEventListener("htmx:beforeSwap", (event) => {
  // Forms re-render with 200 on validation errors; 4xx bodies that carry a message are
  // still worth showing (htmx 2 drops them by default).
  const status = event.detail.xhr.status;
  if (status === 400 || status === 403 || status === 404 || status === 409 || status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// "Export with password hashes" (super admins): the export link is re-sent out of band as
// the list is searched, so the option is read when the link is followed, not when ticked.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[id$='-export']");
  if (!link) return;
  const option = document.querySelector(`[data-export-link='${link.id}']`);
  if (!option) return;
  const url = new URL(link.href, window.location.href);
  if (option.checked) url.searchParams.set("with_passwords", "1");
  else url.searchParams.delete("with_passwords");
  link.href = url.toString();
});

// Filter rules: drag a row onto another to move it there (the ↑/↓ buttons do the same
// without a mouse). The drop posts the new position like those buttons do, CSRF included.
let draggedRule = null;
document.addEventListener("dragstart", (event) => {
  draggedRule = event.target.closest?.("tr[data-move-url]") || null;
  if (draggedRule) event.dataTransfer.effectAllowed = "move";
});
document.addEventListener("dragover", (event) => {
  if (draggedRule && event.target.closest?.("tr[data-move-url]")) event.preventDefault();
});
document.addEventListener("drop", (event) => {
  const target = event.target.closest?.("tr[data-move-url]");
  if (!draggedRule || !target || target === draggedRule) return;
  event.preventDefault();
  const form = document.createElement("form");
  form.method = "post";
  form.action = draggedRule.dataset.moveUrl;
  for (const [name, value] of [
    ["to", target.dataset.index],
    ["csrf_token", document.querySelector("input[name=csrf_token]").value],
  ]) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
});
