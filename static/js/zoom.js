// Zoom and pan for one picture in a scrolling viewport, as on the review page: a click zooms to
// full resolution (the original file) at the point clicked, a second click zooms back out; a
// drag pans; the page's keys call toggle() and by(). The viewport is focusable, so on it the
// arrow keys pan (the browser scrolls it). Used by the review page and the adjudication page
// (static/js/reviews/review.js, adjudication.js); the class names it sets are styled per page.

export const ZOOM_STEP = 1.5;

/**
 * `elements`: {viewport, picture, button, zoomIn, zoomOut, level} (picture: the element, or a
 * function giving the one on screen; button: the Zoom toggle,
 * aria-pressed; zoomIn/zoomOut: shown while zoomed; level: says how far).
 * `source()`: {original, width, height} of the picture on screen (the original's URL and size
 * in pixels, which may be null), or null while there is none.
 */
export function createZoom(
  { viewport, picture: pictureOf, button, zoomIn, zoomOut, level },
  source,
) {
  const zoom = { on: false, scale: 1 };
  // The picture element, or a function giving the one on screen (the review page swaps in a new
  // element for each image).
  const current = typeof pictureOf === "function" ? pictureOf : () => pictureOf;

  function naturalSize() {
    const picture = current();
    const shown = source();
    return {
      width: shown?.width || picture.naturalWidth || 1,
      height: shown?.height || picture.naturalHeight || 1,
    };
  }

  function apply(focus) {
    const picture = current();
    const { width, height } = naturalSize();
    // Keep the point under `focus` (fractions of the picture) in the middle of the viewport.
    picture.style.width = `${Math.round(width * zoom.scale)}px`;
    picture.style.height = `${Math.round(height * zoom.scale)}px`;
    viewport.scrollLeft = focus.x * width * zoom.scale - viewport.clientWidth / 2;
    viewport.scrollTop = focus.y * height * zoom.scale - viewport.clientHeight / 2;
    level.textContent = `${Math.round(zoom.scale * 100)} % of full resolution`;
  }

  function currentFocus() {
    const { width, height } = naturalSize();
    return {
      x: (viewport.scrollLeft + viewport.clientWidth / 2) / (width * zoom.scale),
      y: (viewport.scrollTop + viewport.clientHeight / 2) / (height * zoom.scale),
    };
  }

  function zoomTo(focus = { x: 0.5, y: 0.5 }) {
    const shown = source();
    if (!shown) return;
    const picture = current();
    const { width } = naturalSize();
    const fitted = picture.clientWidth || width;
    // Full resolution, or twice the fitted size for pictures smaller than the column.
    zoom.scale = Math.max(1, (2 * fitted) / width);
    zoom.on = true;
    if (shown.original && !picture.src.endsWith(shown.original)) picture.src = shown.original;
    viewport.classList.add("zoomed");
    button.setAttribute("aria-pressed", "true");
    zoomIn.hidden = zoomOut.hidden = false;
    apply(focus);
  }

  function reset() {
    zoom.on = false;
    zoom.scale = 1;
    viewport.classList.remove("zoomed", "panning");
    const picture = current();
    picture.style.width = picture.style.height = "";
    button.setAttribute("aria-pressed", "false");
    zoomIn.hidden = zoomOut.hidden = true;
    level.textContent = "";
  }

  function toggle() {
    if (zoom.on) reset();
    else zoomTo();
  }

  function by(factor) {
    if (!zoom.on) {
      zoomTo();
      return;
    }
    const focus = currentFocus();
    zoom.scale = Math.max(0.25, Math.min(8, zoom.scale * factor));
    apply(focus);
  }

  // Drag to pan; a click without a drag zooms in at that point, or back out. On a touch screen
  // the page scrolls over the picture until it is zoomed (CSS touch-action): the browser then
  // cancels the pointer, which is not taken for a click.
  const drag = { id: null, x: 0, y: 0, left: 0, top: 0, moved: false };

  viewport.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    Object.assign(drag, {
      id: event.pointerId,
      x: event.clientX,
      y: event.clientY,
      left: viewport.scrollLeft,
      top: viewport.scrollTop,
      moved: false,
    });
    viewport.setPointerCapture(event.pointerId);
  });

  viewport.addEventListener("pointermove", (event) => {
    if (event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (zoom.on && drag.moved) {
      viewport.classList.add("panning");
      viewport.scrollLeft = drag.left - dx;
      viewport.scrollTop = drag.top - dy;
    }
  });

  viewport.addEventListener("pointerup", (event) => {
    if (event.pointerId !== drag.id) return;
    drag.id = null;
    viewport.classList.remove("panning");
    if (drag.moved) return;
    if (zoom.on) {
      reset();
    } else {
      const box = current().getBoundingClientRect();
      zoomTo({
        x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
        y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)),
      });
    }
  });

  viewport.addEventListener("pointercancel", () => {
    drag.id = null;
    viewport.classList.remove("panning");
  });

  button.addEventListener("click", toggle);
  zoomIn.addEventListener("click", () => by(ZOOM_STEP));
  zoomOut.addEventListener("click", () => by(1 / ZOOM_STEP));

  return {
    toggle,
    reset,
    by,
    get on() {
      return zoom.on;
    },
  };
}
