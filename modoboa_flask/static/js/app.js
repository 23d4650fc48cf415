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
