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

document.addEventListener("htmx:responseError", (event) => {
  // htmx does not swap 5xx bodies: during a database outage a click would show nothing.
  // Put the 503 notice where flash messages go, once, whatever element asked.
  const xhr = event.detail.xhr;
  const flashes = document.getElementById("flashes");
  if (xhr.status !== 503 || !flashes || flashes.querySelector("[data-error-code='503']")) {
    return;
  }
  const notice = document.createElement("div");
  notice.className = "alert alert-warning";
  notice.setAttribute("role", "alert");
  notice.dataset.errorCode = "503";
  // The body is errors/_fragment.html: keep its text (the message lives on the server).
  const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
  notice.textContent = page.body.textContent.trim() || "Service temporarily unavailable.";
  flashes.append(notice);
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

// Copy buttons: <button data-copy="#element-id"> copies that element's text (DKIM records).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    button.textContent = "Copied";
  });
});
