// Starts Swagger UI on /docs/api/ (kept out of the page: the CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: node.dataset.specUrl,
    domNode: node,
    deepLinking: true,
    // No validator badge: it would call validator.swagger.io (offline use, strict CSP).
    validatorUrl: null,
    persistAuthorization: false,
  });
});
