// The API docs load nothing from another host. ReDoc (drf-spectacular-sidecar) credits Redocly
// in its sidebar with a logo from cdn.redoc.ly and has no option to leave it out; so, on the
// ReDoc page only, a picture's source on another origin is dropped before the browser asks for
// it. The empty source fails at once, and ReDoc then removes the logo itself (its onError).
// Loaded as a module before ReDoc's deferred script, so that it runs first.
function elsewhere(value) {
  const url = new URL(String(value), document.baseURI);
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin !== location.origin;
}

const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
Object.defineProperty(HTMLImageElement.prototype, "src", {
  ...src,
  set(value) {
    src.set.call(this, elsewhere(value) ? "" : value);
  },
});
