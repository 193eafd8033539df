// Offline support for the demo, prepended by scripts/build-site.sh to
// coi-serviceworker.js (which registers this file as the page's service worker and
// adds the COOP/COEP headers that cross-origin isolation needs).
//
// Once active, every file of the site (FACEFOREST_PRECACHE, written by build-site.sh:
// page, package, both wasm builds, both models, the sample) is cached under a name
// that changes with their content. Not during install: a slow install lets the page
// load uncontrolled and then be claimed without the isolation headers. Same-origin GET requests then go to the network
// first (so an update shows at once) and fall back to that cache when it fails, so
// the page works offline after the first visit. Responses get the same isolation
// headers as coi-serviceworker's. Nothing is sent anywhere: there is no other origin.
if (typeof window === 'undefined') {
  const CACHE = `faceforest-${FACEFOREST_VERSION}`;

  const precache = async () => {
    const cache = await caches.open(CACHE);
    const stale = (await caches.keys()).filter((k) => k.startsWith('faceforest-') && k !== CACHE);
    await Promise.all(stale.map((k) => caches.delete(k)));
    await cache.addAll(FACEFOREST_PRECACHE.map((p) => new URL(p, self.registration.scope).href));
  };
  // Started, not awaited: activation (and coi-serviceworker's reload) is not held up.
  self.addEventListener('activate', () => {
    precache().catch((e) => console.warn('faceforest: offline cache incomplete:', e));
  });

  const isolated = (response) => {
    if (response.status === 0) return response;
    const headers = new Headers(response.headers);
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };

  async function networkFirst(event) {
    const request = event.request;
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      // Stored alongside, not before answering: the page reads the body as it arrives
      // (download progress), the cache gets its own copy.
      if (response.ok && response.type === 'basic') event.waitUntil(cache.put(request, response.clone()).catch(() => {}));
      return isolated(response);
    } catch (e) {
      const hit = (await cache.match(request)) ?? (await cache.match(request, { ignoreSearch: true }));
      if (hit) return isolated(hit);
      throw e;
    }
  }

  // Registered before coi-serviceworker's own listener: same-origin GETs are answered
  // here (and kept from it); anything else falls through to it unchanged.
  self.addEventListener('fetch', (event) => {
    const r = event.request;
    if (r.method !== 'GET' || new URL(r.url).origin !== self.location.origin) return;
    if (r.cache === 'only-if-cached' && r.mode !== 'same-origin') return;
    event.stopImmediatePropagation();
    event.respondWith(networkFirst(event));
  });
}
