// The live preview: the transformed image fetched as an <img> would fetch it (the
// browser's image Accept, so fm=auto answers as it would on a page), shown from its
// bytes, with what the service answered: natural size, format, bytes, Server-Timing.

import { failure, serviceUrl } from './api.js';

/** What Chromium and Firefox send for images; fetch() alone would send any type. */
export const IMAGE_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

/** "store;dur=1.2, decode;dur=3.4" → [{name: "store", ms: 1.2}, …] */
export function serverTiming(header) {
  if (!header) return [];
  return header
    .split(',')
    .map((entry) => {
      const [name, ...params] = entry.trim().split(';');
      const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
      return { name: name.trim(), ms: dur === undefined ? null : Number(dur.slice(4)) };
    })
    .filter((phase) => phase.name !== '');
}

/** 12345 → "12 345 bytes (12.1 KiB)" */
export function describeBytes(n) {
  const grouped = String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  if (n < 1024) return `${grouped} bytes`;
  const unit = n < 1024 * 1024 ? ['KiB', 1024] : ['MiB', 1024 * 1024];
  return `${grouped} bytes (${(n / unit[1]).toFixed(1)} ${unit[0]})`;
}

/**
 * Fetches `path` (service-relative, signed when it must be) and shows it in `img`.
 * Resolves to {shown, width, height, type, bytes, timing, status}; rejects with the service's
 * ApiError on an error answer. `signal` aborts a preview a newer one replaced: an aborted
 * preview never touches `img`, and the image is decoded off the page first, so an older
 * answer that arrives late cannot replace a newer one or lend it its size.
 */
export async function loadPreview(path, img, signal) {
  const response = await fetch(serviceUrl(path), {
    headers: { Accept: IMAGE_ACCEPT },
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  if (!response.ok) throw await failure(response);
  const blob = await response.blob();
  signal?.throwIfAborted();
  const objectUrl = URL.createObjectURL(blob);
  const decoded = new Image();
  decoded.src = objectUrl;
  let shown = true;
  try {
    await decoded.decode();
  } catch {
    // A format this browser cannot show (TIFF): the facts still hold.
    shown = false;
  }
  if (signal?.aborted) {
    URL.revokeObjectURL(objectUrl);
    signal.throwIfAborted();
  }
  const previous = img.dataset.objectUrl;
  img.dataset.objectUrl = objectUrl;
  img.src = objectUrl;
  if (previous) URL.revokeObjectURL(previous);
  return {
    shown,
    width: shown ? decoded.naturalWidth : null,
    height: shown ? decoded.naturalHeight : null,
    type: response.headers.get('content-type') || blob.type,
    bytes: blob.size,
    timing: serverTiming(response.headers.get('server-timing')),
    status: response.status,
  };
}
