// Starts ReDoc on /redoc. A file, not an inline script: the page's CSP allows scripts from 'self' only.
// ReDoc's styled-components insert <style> elements: they carry the page's nonce (the only inline
// styles the CSP admits), which this script's own tag carries too.
"use strict";
(function () {
  var root = document.getElementById("redoc");
  var nonce = document.currentScript.nonce;
  Redoc.init(root.dataset.openapiUrl, { nonce: nonce }, root);
})();
