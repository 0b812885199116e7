// /api/docs: Swagger UI renders the API reference from the document named on its element.
(function () {
  var root = document.getElementById("api-reference");
  if (!root || typeof SwaggerUIBundle === "undefined") return;
  SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
})();
